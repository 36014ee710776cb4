"""gunicorn settings: gthread workers, because pages wait on the platform.

Measured here: sync workers served ~35 req/s at 50 ms upstream and 16 clients,
gthread 2x8 served ~178 req/s (DESIGN.md, pitfalls).
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Longer than the platform call budget (connect + read timeouts plus retries).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
accesslog = "-"
# No query strings in the access log: they can hold phone numbers and user ids.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
