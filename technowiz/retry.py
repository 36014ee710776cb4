"""When and how long to wait before repeating a GET (reads only; never a POST)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from technowiz.errors import NetworkError, PlatformTimeout, RateLimited, ServerError, TechnowizError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter; ``Retry-After`` honoured up to a cap."""

    max_retries: int = 2
    base: float = 0.2
    cap: float = 2.0
    retry_after_cap: float = 10.0

    def delay(self, error: TechnowizError, *, method: str, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based), or None: do not retry."""
        if method.upper() != "GET" or retry > self.max_retries:
            return None
        if isinstance(error, PlatformTimeout):
            return None  # a read that timed out once would time out again: one row, fail
        if isinstance(error, RateLimited):
            if error.retry_after is not None:
                if error.retry_after > self.retry_after_cap:
                    return None
                return max(error.retry_after, 0.0)
            return self._backoff(retry)
        if isinstance(error, ServerError | NetworkError):
            return self._backoff(retry)
        return None

    def _backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2 ** (retry - 1)))
