"""gunicorn settings: gthread workers, because pages wait on the platform.

Measured here: sync workers served ~35 req/s at 50 ms upstream and 16 clients,
gthread 2x8 served ~178 req/s (DESIGN.md, pitfalls).
"""

import contextlib
import ctypes
import os
import tempfile

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Longer than the platform call budget (connect + read timeouts plus retries).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
accesslog = "-"
# No paths or query strings in the access log: a WhatsApp user's id is their phone
# number, and it is in the path. The request id ties a line to its audit rows
# (OutboundCall.origin is "web:<request id>").
access_log_format = '%(h)s "%(m)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
# One control socket per server (gunicorn 27 shares one per user by default).
control_socket = os.path.join(
    tempfile.gettempdir(), f"gunicorn-{os.environ.get('PORT', '8000')}-{os.getpid()}.ctl"
)


def post_fork(server: object, worker: object) -> None:
    """At most two malloc arenas in a web worker (unless ``MALLOC_ARENA_MAX`` says).

    glibc gives busy threads arenas of their own, and memory freed in one is not reused
    by the others: with 8 threads working on big user lists a worker peaked at 1,260 MB
    with the default, 828 MB with two (bench/memory.py, BENCHMARKS.md).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    # Not glibc (musl, macOS): nothing to tune.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(-8, 2)  # -8 is M_ARENA_MAX in glibc's malloc.h
