"""Helpers the settings module uses: kept apart so they can be tested alone."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

SECRET_KEY_FILE = ".secret_key"
AUDIT_SEAL_KEY_FILE = ".audit_seal_key"


def local_secret_key(base_dir: Path, name: str = SECRET_KEY_FILE) -> str:
    """Return this checkout's secret, generating it once into a git-ignored file."""
    path = base_dir / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = get_random_secret_key()
        handle.write(key)
    return key


def sqlite_options() -> dict[str, object]:
    """SQLite as a real multi-process database (web and worker writing at once)."""
    return {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``; otherwise refuse to start, naming the setting."""
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)} (it is {value!r}).")
    return value


def check_production(
    *,
    secret_key: str,
    debug: bool,
    allowed_hosts: list[str],
    base_url: str,
    api_key: str,
    audit_seal_key: str,
) -> None:
    """Refuse to start with a configuration that is unsafe for production."""
    problems = []
    if not secret_key:
        problems.append("SECRET_KEY is not set: give it a long random value.")
    elif len(secret_key) < 50 or len(set(secret_key)) < 5:
        problems.append(
            "SECRET_KEY is too weak: use at least 50 random characters (for example "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if debug:
        problems.append("DEBUG is on: set DEBUG=false (DEBUG shows settings and data).")
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS is empty: list the host names the site answers to.")
    if len(audit_seal_key) < 32:
        problems.append(
            "AUDIT_SEAL_KEY is not set (or shorter than 32 characters): the audit log's "
            "seals need a key kept outside the database."
        )
    if base_url and not api_key:
        problems.append("TECHNOWIZ_API_KEY is not set although TECHNOWIZ_BASE_URL is.")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_ENV=production: " + " ".join(problems)
        )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def durations(name: str, value: str) -> list[float]:
    """``"1h,24h,72h"`` (units s, m, h, d; a bare number is seconds) as seconds, in order;
    otherwise refuse to start, naming the setting."""
    seconds = []
    for item in (part.strip() for part in value.split(",")):
        number, unit = (item[:-1], item[-1]) if item[-1:] in _UNITS else (item, "s")
        try:
            amount = float(number) * _UNITS[unit]
        except ValueError:
            amount = -1
        if amount <= 0:
            raise ImproperlyConfigured(
                f"{name} must be durations such as 1h,24h,72h (s, m, h or d); {item!r} is not."
            )
        seconds.append(amount)
    return sorted(seconds)
