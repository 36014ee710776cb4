"""The shared rate limit and concurrency ceiling (flock files, Redis), and the breaker."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from technowiz.breaker import CircuitBreaker
from technowiz.config import ClientConfig
from technowiz.errors import PlatformBusy, PlatformUnavailable
from technowiz.limits import FileLimiter, LocalLimiter, RedisLimiter, build_limiter


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture(params=["file", "redis"])
def pair(request, tmp_path):
    """Two limiters sharing state, as two processes (or hosts) would."""

    def make(rate: float, concurrency: int):
        if request.param == "file":
            return [FileLimiter(tmp_path, rate=rate, concurrency=concurrency) for _ in range(2)]
        client = _redis()
        prefix = f"technowiz:test:{uuid.uuid4().hex}"
        return [
            RedisLimiter(client, prefix=prefix, rate=rate, concurrency=concurrency, lease_seconds=5)
            for _ in range(2)
        ]

    return make


def test_concurrency_is_shared(pair):
    first, second = pair(rate=0, concurrency=1)
    with first.slot(timeout=1), pytest.raises(PlatformBusy), second.slot(timeout=0.05):
        pass
    with second.slot(timeout=0.5):
        pass


def test_rate_is_shared(pair):
    first, second = pair(rate=20, concurrency=4)
    started = time.monotonic()
    for i in range(30):
        with (first if i % 2 else second).slot(timeout=5):
            pass
    # A burst of 20, then one every 50 ms: the last 10 take about half a second.
    assert time.monotonic() - started >= 0.4


def test_rate_wait_beyond_timeout_is_busy(pair):
    first, second = pair(rate=1, concurrency=4)
    with first.slot(timeout=1):
        pass
    with pytest.raises(PlatformBusy), second.slot(timeout=0.1):
        pass


def test_slot_held_by_another_process(tmp_path):
    code = (
        "import sys; from technowiz.limits import FileLimiter\n"
        f"lim = FileLimiter({str(tmp_path)!r}, rate=0, concurrency=1)\n"
        "with lim.slot(timeout=1):\n"
        "    print('held', flush=True); sys.stdin.readline()\n"  # until the test is done
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        with (
            pytest.raises(PlatformBusy),
            FileLimiter(tmp_path, rate=0, concurrency=1).slot(timeout=0.1),
        ):
            pass
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    with FileLimiter(tmp_path, rate=0, concurrency=1).slot(timeout=0.5):
        pass  # the dead process's lock went with it


def test_local_limiter_ceiling():
    limiter = LocalLimiter(rate=0, concurrency=1)
    with limiter.slot(timeout=1), pytest.raises(PlatformBusy), limiter.slot(timeout=0.01):
        pass


def test_build_limiter_choice(tmp_path):
    base = {"base_url": "", "api_key": "k", "customer_id": "1", "bot_key": "b"}
    assert isinstance(
        build_limiter(ClientConfig(**base, limiter="file", lock_dir=str(tmp_path))), FileLimiter
    )
    assert isinstance(build_limiter(ClientConfig(**base, limiter="local")), LocalLimiter)
    _redis()
    redis_config = ClientConfig(**base, limiter="redis", redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(build_limiter(redis_config), RedisLimiter)


def test_from_settings_picks_redis_when_cache_is_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    config = ClientConfig.from_settings()
    assert config.limiter == "redis" and config.redis_url == "redis://127.0.0.1:6379/1"


def test_breaker_half_open_probe():
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=lambda: now[0])
    breaker.failure()
    breaker.before()
    breaker.failure()
    with pytest.raises(PlatformUnavailable) as info:
        breaker.before()
    assert "10 seconds" in info.value.message
    now[0] = 11
    breaker.before()  # the probe
    with pytest.raises(PlatformUnavailable):
        breaker.before()  # only one probe at a time
    breaker.failure()  # the probe failed: open again
    with pytest.raises(PlatformUnavailable):
        breaker.before()
    now[0] = 22
    breaker.before()
    breaker.success()
    breaker.before()
    assert not breaker.is_open
