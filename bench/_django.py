"""Django on a throwaway database, for the benchmarks (never the developer's own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_database(tmp: Path, *, name: str) -> Iterator[str]:
    """Set Django up on a fresh SQLite file in ``tmp``, or, when DATABASE_URL is
    PostgreSQL, on a new database ``<name>_<id>`` dropped on exit. Yields a label."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if not postgres:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        yield "SQLite (WAL file)"
        return
    connection.settings_dict["TEST"]["NAME"] = f"{name}_{uuid.uuid4().hex[:8]}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"PostgreSQL ({connection.settings_dict['NAME']})"
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
