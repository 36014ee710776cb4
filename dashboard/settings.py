"""Settings for the Technowiz support dashboard, read from the environment.

Every variable is optional on a laptop; ``DJANGO_ENV=production`` (set by the
Procfile) turns unsafe values into a refusal to start. The full list, with
defaults, is in ``.env.example`` and the README.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

from dashboard.config import (
    AUDIT_SEAL_KEY_FILE,
    check_production,
    choice,
    durations,
    local_secret_key,
    sqlite_options,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def text(name: str, default: str) -> str:
    """A string setting; set but empty (as in a copied .env.example) means the default."""
    return env.str(name, default="") or default


# Only these two: a typo ("prod", "Production") must not quietly mean development.
DJANGO_ENV = choice("DJANGO_ENV", text("DJANGO_ENV", "development"), ("development", "production"))
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = env.str("SECRET_KEY", default="") or ("" if PRODUCTION else local_secret_key(BASE_DIR))
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- The Technowiz platform -------------------------------------------------
# No TECHNOWIZ_BASE_URL means the built-in sandbox: no real customer is contacted.
TECHNOWIZ_BASE_URL = env.str("TECHNOWIZ_BASE_URL", default="").rstrip("/")
TECHNOWIZ_SANDBOX = not TECHNOWIZ_BASE_URL
# In sandbox mode, where the sandbox HTTP server listens (``make run`` starts one);
# empty means the in-process sandbox.
TECHNOWIZ_SANDBOX_URL = env.str("TECHNOWIZ_SANDBOX_URL", default="").rstrip("/")
# The sandbox's key when no real platform is configured; a real one needs its own.
TECHNOWIZ_API_KEY = text("TECHNOWIZ_API_KEY", "sandbox-key" if TECHNOWIZ_SANDBOX else "")
TECHNOWIZ_CUSTOMER_ID = text("TECHNOWIZ_CUSTOMER_ID", "61179")
TECHNOWIZ_BOT_KEY = text("TECHNOWIZ_BOT_KEY", "bb67e0773bed4c7e")
TECHNOWIZ_RATING_ATTRIBUTE = text("TECHNOWIZ_RATING_ATTRIBUTE", "feedback")
TECHNOWIZ_CONNECT_TIMEOUT = env.float("TECHNOWIZ_CONNECT_TIMEOUT", default=5.0)
TECHNOWIZ_READ_TIMEOUT = env.float("TECHNOWIZ_READ_TIMEOUT", default=30.0)
TECHNOWIZ_MAX_RETRIES = env.int("TECHNOWIZ_MAX_RETRIES", default=2)
TECHNOWIZ_RATE_LIMIT = env.float("TECHNOWIZ_RATE_LIMIT", default=20.0)
TECHNOWIZ_MAX_CONCURRENCY = env.int("TECHNOWIZ_MAX_CONCURRENCY", default=8)
TECHNOWIZ_BREAKER_FAILURES = env.int("TECHNOWIZ_BREAKER_FAILURES", default=5)
TECHNOWIZ_BREAKER_COOLDOWN = env.float("TECHNOWIZ_BREAKER_COOLDOWN", default=30.0)
USERS_CACHE_SECONDS = env.int("USERS_CACHE_SECONDS", default=60)
# What one process keeps of the user lists it served, decoded (the oldest go first).
USERS_MEMORY_MB = env.int("USERS_MEMORY_MB", default=150)
# Broadcasts and flow runs: people contacted this many days ago or less are set aside
# unless a person includes them; how many calls one worker has in flight for a run; how
# long a worker's claim on a run lives without being renewed.
RECENT_CONTACT_DAYS = env.int("RECENT_CONTACT_DAYS", default=7)
RUN_CONCURRENCY = env.int("RUN_CONCURRENCY", default=8)
RUN_LEASE_SECONDS = env.float("RUN_LEASE_SECONDS", default=30.0)
# Read-backs after a run: when (after it ends) each recipient's conversation and rating
# are read again; how many recipients one task reads before it hands the worker back;
# the share of TECHNOWIZ_RATE_LIMIT they may use (the rest stays free for people's pages).
RUN_READBACK_AFTER = durations("RUN_READBACK_AFTER", env.str("RUN_READBACK_AFTER", "1h,24h,72h"))
RUN_READBACK_BATCH = env.int("RUN_READBACK_BATCH", default=200)
RUN_READBACK_SHARE = env.float("RUN_READBACK_SHARE", default=0.85)
DEMO_PASSWORD = text("DEMO_PASSWORD", "technowiz-demo")
# The audit log's seals are HMACs under this key, kept outside the database; to rotate,
# move the old key to AUDIT_SEAL_OLD_KEYS (comma-separated): blocks sealed with it keep
# verifying by the key id they record. The latest seal is also written to
# AUDIT_SEAL_WITNESS (and logged), which verification checks: removing seals and rows
# together from the database is then seen.
AUDIT_SEAL_KEY = env.str("AUDIT_SEAL_KEY", default="") or (
    "" if PRODUCTION else local_secret_key(BASE_DIR, AUDIT_SEAL_KEY_FILE)
)
AUDIT_SEAL_OLD_KEYS = env.list("AUDIT_SEAL_OLD_KEYS", default=[])
AUDIT_SEAL_WITNESS = text("AUDIT_SEAL_WITNESS", str(BASE_DIR / "audit-seal-witness.json"))

if PRODUCTION:
    check_production(
        secret_key=SECRET_KEY,
        debug=DEBUG,
        allowed_hosts=ALLOWED_HOSTS,
        base_url=TECHNOWIZ_BASE_URL,
        api_key=TECHNOWIZ_API_KEY,
        audit_seal_key=AUDIT_SEAL_KEY,
    )

# --- Applications -----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "technowiz",
    "dashboard",
]

MIDDLEWARE = [
    # First: answers load balancers' probes whatever Host header they send.
    "dashboard.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.HtmxLoginRedirectMiddleware",
    "dashboard.middleware.PersonTimezoneMiddleware",
    "dashboard.middleware.NoStoreMiddleware",
    "technowiz.middleware.AuditContextMiddleware",
    # Axes wants to be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.site",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------
# An empty variable means the default, as if it were not set.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and a worker write at once: WAL, IMMEDIATE and a busy
    # timeout, or "database is locked" loses writes (DESIGN.md, pitfalls).
    DATABASES["default"].setdefault("OPTIONS", {}).update(sqlite_options())
    # The test database is a file too, not Django's shared in-memory one: there a second
    # thread's write fails at once ("table is locked"), where a file waits its turn.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"technowiz-test-{os.getpid()}.sqlite3")
    )
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Read by the test runner on PostgreSQL too; harmless elsewhere.
    DATABASES["default"].setdefault("TEST", {})
# Keep connections between requests (Django's persistent connections).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache every process on the host shares (the database); Redis in production.
CACHES = {
    "default": environ.Env.cache_url_config(
        env.str("CACHE_URL", default="") or "dbcache://dashboard_cache"
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # User lists are large entries: past 60 entries the expired ones are deleted (then a
    # third of the rest), so the table holds a few dozen lists at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 60)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- People -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dashboard.auth.TeamBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

# django-axes, set deliberately: its defaults lock by IP only, after 3 failures, forever.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The person's address for the lockout. Behind N proxies that each append the address they
# saw to X-Forwarded-For, the client's is the N-th from the right (read by django-ipware);
# with 0 (the default) the header is never trusted: anyone can write it.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES or None
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXIES else ("REMOTE_ADDR",)
)

# --- Place and time ---------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = text("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve static/ without collectstatic on a laptop
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security ---------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Django's database sessions, the same engine everywhere (the tests run what production runs).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": text("LOG_LEVEL", "INFO")},
    "loggers": {
        # httpx and httpcore log every URL (phone numbers, user ids) at INFO/DEBUG.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
