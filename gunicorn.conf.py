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


# glibc malloc settings for a web worker: (mallopt parameter in malloc.h, value), each
# unless its environment variable is set.
_MALLOC = {
    # Busy threads get arenas of their own, and memory freed in one is not reused by the
    # others: with 8 threads working on big user lists a worker peaked at 1,260 MB with
    # the default, 828 MB with two.
    "MALLOC_ARENA_MAX": (-8, 2),
    # Blocks over 128 KB (a platform answer, a pickled list) get memory of their own,
    # returned when freed, and freed memory at the top of the heap goes back too. By
    # default glibc raises that limit after the first big block is freed, and the next
    # big blocks stay in the heap for good: one worker's peak went from 534 to 444 MB.
    "MALLOC_MMAP_THRESHOLD_": (-3, 128 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (-1, 128 * 1024),
}


def post_fork(server: object, worker: object) -> None:
    """The malloc settings above (bench/memory.py; the figures are in BENCHMARKS.md)."""
    # Not glibc (musl, macOS): nothing to tune.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        for variable, (parameter, value) in _MALLOC.items():
            if variable not in os.environ:
                libc.mallopt(parameter, value)
