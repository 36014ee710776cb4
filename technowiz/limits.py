"""A rate limit and a concurrency ceiling toward the platform, shared by every process.

* :class:`FileLimiter` (one host): ``fcntl.flock`` on small files in a lock directory.
  The rate is a GCRA token bucket (one 8-byte "theoretical arrival time" in a state
  file, read and advanced under an exclusive lock); the concurrency ceiling is N slot
  files, taken with non-blocking locks. Microseconds, no database round-trip, and a
  process that dies releases its locks with its file descriptors.
* :class:`RedisLimiter` (many hosts, when the cache is Redis): the same GCRA in a Lua
  script on one key, and a lease semaphore (a sorted set of members that expire).
* :class:`LocalLimiter`: one process only (tests, tools).
"""

from __future__ import annotations

import fcntl
import os
import random
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from technowiz.errors import PlatformBusy

_STATE = struct.Struct("<d")


class Limiter(Protocol):
    """Waits for a rate token and a concurrency slot around one request."""

    def slot(self, *, timeout: float) -> Any:  # a context manager
        """Hold a slot for the duration of one request; raise PlatformBusy after timeout."""


def _busy(what: str) -> PlatformBusy:
    return PlatformBusy(
        detail=f"not sent: the dashboard's own {what} ceiling toward the platform "
        "was full for too long"
    )


def _interval_and_burst(rate: float) -> tuple[float, int]:
    """Seconds between requests at ``rate`` per second (0: no ceiling), and the burst."""
    return (1.0 / rate if rate > 0 else 0.0), max(int(rate), 1)


def _next_token(tat: float, now: float, interval: float, burst: int) -> tuple[float, float]:
    """GCRA: (seconds to wait for a token, the new theoretical arrival time)."""
    tat = max(tat, now)
    return tat - now - (burst - 1) * interval, tat + interval


class LocalLimiter:
    """Per-process limiter (threads only): for tests and single-process tools."""

    def __init__(self, *, rate: float, concurrency: int) -> None:
        self.interval, self.burst = _interval_and_burst(rate)
        self._semaphore = threading.BoundedSemaphore(max(concurrency, 1))
        self._lock = threading.Lock()
        self._tat = 0.0

    def _wait_for_token(self, timeout: float) -> None:
        if not self.interval:
            return
        with self._lock:
            wait, tat = _next_token(self._tat, time.time(), self.interval, self.burst)
            if wait > timeout:
                raise _busy("rate")
            self._tat = tat
        if wait > 0:
            time.sleep(wait)

    @contextmanager
    def slot(self, *, timeout: float) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=timeout):
            raise _busy("concurrency")
        try:
            self._wait_for_token(timeout)
            yield
        finally:
            self._semaphore.release()


class FileLimiter:
    """Host-wide limiter on ``flock``: every process using the same ``directory`` shares it."""

    def __init__(self, directory: Path | str, *, rate: float, concurrency: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.interval, self.burst = _interval_and_burst(rate)
        self.concurrency = max(concurrency, 1)
        self._pid = -1
        self._open_lock = threading.Lock()
        self._state_fd = -1
        self._slot_fds: list[int] = []
        self._slot_locks = [threading.Lock() for _ in range(self.concurrency)]
        self._rate_lock = threading.Lock()

    def _fds(self) -> None:
        """Open the lock files once per process (a forked child must not share them)."""
        if self._pid == os.getpid():
            return
        with self._open_lock:
            if self._pid == os.getpid():
                return
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self._state_fd = os.open(self.directory / "rate.state", flags, 0o600)
            self._slot_fds = [
                os.open(self.directory / f"slot-{i}.lock", flags, 0o600)
                for i in range(self.concurrency)
            ]
            self._pid = os.getpid()

    def _wait_for_token(self, timeout: float) -> None:
        if not self.interval:
            return
        fd = self._state_fd
        with self._rate_lock:  # flock is per open file: threads of one process queue here
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(fd, _STATE.size, 0)
                now = time.time()
                tat = _STATE.unpack(raw)[0] if len(raw) == _STATE.size else 0.0
                if tat > now + self.burst * self.interval + timeout + 1:
                    tat = now  # a clock that went backwards must not stall every process
                wait, tat = _next_token(tat, now, self.interval, self.burst)
                if wait > timeout:
                    raise _busy("rate")
                os.pwrite(fd, _STATE.pack(tat), 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        if wait > 0:
            time.sleep(wait)

    def _take_slot(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while True:
            start = random.randrange(self.concurrency)
            for k in range(self.concurrency):
                i = (start + k) % self.concurrency
                local = self._slot_locks[i]
                if not local.acquire(blocking=False):
                    continue
                try:
                    fcntl.flock(self._slot_fds[i], fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    local.release()
                    continue
                return i
            if time.monotonic() >= deadline:
                raise _busy("concurrency")
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _release_slot(self, i: int) -> None:
        fcntl.flock(self._slot_fds[i], fcntl.LOCK_UN)
        self._slot_locks[i].release()

    @contextmanager
    def slot(self, *, timeout: float) -> Iterator[None]:
        self._fds()
        i = self._take_slot(timeout)
        try:
            self._wait_for_token(timeout)
            yield
        finally:
            self._release_slot(i)


# GCRA on one key: returns the wait in milliseconds, or -1 when it would exceed max wait.
_RATE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > max_wait then return -1 end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(tolerance + interval + 1000))
if wait < 0 then return 0 end
return math.ceil(wait)
"""

# Lease semaphore: drop expired leases, then take one if fewer than the limit are held.
_SLOT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
  return 1
end
return 0
"""


class RedisLimiter:
    """Limiter shared by every host that uses the same Redis and ``prefix``.

    Times come from Redis (``TIME``), so hosts with skewed clocks still agree. A lease
    outlives the longest request (``lease_seconds``): a process that dies mid-call frees
    its slot when the lease expires.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str,
        rate: float,
        concurrency: int,
        lease_seconds: float,
    ) -> None:
        self.redis = client
        self.rate_key = f"{prefix}:rate"
        self.slot_key = f"{prefix}:slots"
        interval, burst = _interval_and_burst(rate)
        self.interval_ms = interval * 1000.0
        self.tolerance_ms = (burst - 1) * self.interval_ms
        self.concurrency = max(concurrency, 1)
        self.lease_ms = int(lease_seconds * 1000)
        self._rate = client.register_script(_RATE_LUA)
        self._slot = client.register_script(_SLOT_LUA)

    @contextmanager
    def slot(self, *, timeout: float) -> Iterator[None]:
        member = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        pause = 0.002
        while not self._slot(
            keys=[self.slot_key],
            args=[self.concurrency, self.lease_ms, member],
        ):
            if time.monotonic() >= deadline:
                raise _busy("concurrency")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        try:
            if self.interval_ms:
                wait = self._rate(
                    keys=[self.rate_key],
                    args=[self.interval_ms, self.tolerance_ms, timeout * 1000],
                )
                if int(wait) < 0:
                    raise _busy("rate")
                if int(wait) > 0:
                    time.sleep(int(wait) / 1000.0)
            yield
        finally:
            self.redis.zrem(self.slot_key, member)


def build_limiter(config: Any) -> Limiter:
    """The limiter a :class:`~technowiz.config.ClientConfig` asks for."""
    if config.limiter == "redis" and config.redis_url:
        import redis

        return RedisLimiter(
            redis.Redis.from_url(config.redis_url),
            prefix=config.limit_scope,
            rate=config.rate_limit,
            concurrency=config.max_concurrency,
            lease_seconds=config.connect_timeout + config.read_timeout + 5,
        )
    if config.limiter == "file" and config.lock_dir:
        return FileLimiter(
            config.lock_dir, rate=config.rate_limit, concurrency=config.max_concurrency
        )
    return LocalLimiter(rate=config.rate_limit, concurrency=config.max_concurrency)
