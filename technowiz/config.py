"""The client's configuration, passed in explicitly (``ClientConfig.from_settings()``)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """Everything the client needs; the API key is kept out of ``repr``.

    ``base_url`` empty means the in-process sandbox. ``limiter`` is ``"file"`` (host-wide
    flock files in ``lock_dir``), ``"redis"`` (all hosts, ``redis_url``) or ``"local"``.
    """

    base_url: str
    api_key: str = field(repr=False)
    customer_id: str
    bot_key: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 2
    rate_limit: float = 20.0
    max_concurrency: int = 8
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    queue_timeout: float = 10.0
    limiter: str = "file"
    lock_dir: str = ""
    redis_url: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, **overrides: Any) -> ClientConfig:
        """Read the ``TECHNOWIZ_*`` settings (and the cache, for a Redis-shared limit)."""
        from django.conf import settings

        base_url = settings.TECHNOWIZ_BASE_URL or settings.TECHNOWIZ_SANDBOX_URL
        cache = settings.CACHES.get("default", {})
        limiter, redis_url = "file", ""
        if cache.get("BACKEND") == REDIS_BACKEND:
            location = cache.get("LOCATION") or ""
            redis_url = location[0] if isinstance(location, list | tuple) else location
            redis_url = redis_url.split(",")[0]
            limiter = "redis"
        scope = "|".join(
            [
                str(settings.BASE_DIR),
                base_url,
                settings.TECHNOWIZ_CUSTOMER_ID,
                settings.TECHNOWIZ_BOT_KEY,
            ]
        )
        digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
        config = cls(
            base_url=base_url,
            api_key=settings.TECHNOWIZ_API_KEY,
            customer_id=settings.TECHNOWIZ_CUSTOMER_ID,
            bot_key=settings.TECHNOWIZ_BOT_KEY,
            connect_timeout=settings.TECHNOWIZ_CONNECT_TIMEOUT,
            read_timeout=settings.TECHNOWIZ_READ_TIMEOUT,
            max_retries=settings.TECHNOWIZ_MAX_RETRIES,
            rate_limit=settings.TECHNOWIZ_RATE_LIMIT,
            max_concurrency=settings.TECHNOWIZ_MAX_CONCURRENCY,
            breaker_failures=settings.TECHNOWIZ_BREAKER_FAILURES,
            breaker_cooldown=settings.TECHNOWIZ_BREAKER_COOLDOWN,
            queue_timeout=max(settings.TECHNOWIZ_CONNECT_TIMEOUT * 2, 1.0),
            limiter=limiter,
            lock_dir=str(Path(tempfile.gettempdir()) / f"technowiz-limits-{digest}"),
            redis_url=redis_url,
        )
        return replace(config, **overrides) if overrides else config

    @property
    def limit_scope(self) -> str:
        """A short name shared by every process limiting calls to the same platform bot."""
        key = f"{self.base_url}|{self.customer_id}|{self.bot_key}"
        return "technowiz:limit:" + hashlib.sha256(key.encode()).hexdigest()[:16]
