"""A per-process circuit breaker: stop hammering a platform that keeps failing.

After ``failures`` consecutive server or network failures the breaker opens: calls
fail fast with :class:`PlatformUnavailable` for ``cooldown`` seconds. Then one probe
goes through; its success closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import threading
import time

from technowiz.errors import PlatformUnavailable


class CircuitBreaker:
    """Thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, *, failures: int, cooldown: float, clock=time.monotonic) -> None:
        self.threshold = max(failures, 1)
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def before(self) -> None:
        """Let the call through, or raise PlatformUnavailable while open."""
        with self._lock:
            if self._opened_at is None:
                return
            remaining = self._opened_at + self.cooldown - self._clock()
            if remaining <= 0 and not self._probing:
                self._probing = True  # this call is the probe
                return
            wait = max(int(remaining + 0.999), 1)
            raise PlatformUnavailable(
                "The platform has been failing, so the dashboard paused calls to it. "
                f"Calls are paused for {wait} second{'s' if wait != 1 else ''}: try again then.",
                detail=f"circuit open: calls paused for {wait} s",
                retry_after=float(wait),
            )

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._probing = False

    def neutral(self) -> None:
        """An answer that says nothing about the platform's health (e.g. a 4xx)."""
        with self._lock:
            if self._probing:
                self._failures = 0
                self._opened_at = None
            self._probing = False

    def abandon(self) -> None:
        """The call never reached the platform: a probe it held may be taken again."""
        with self._lock:
            self._probing = False
