"""The audit screen and its integrity work on a large log.

Run: ``.venv/bin/python bench/audit_scale.py`` (a throwaway SQLite file; set
``DATABASE_URL=postgres://...`` for a throwaway PostgreSQL database).
``BENCH_AUDIT_ROWS`` (default 200,000) rows are written in bulk, as months of use would
leave them (none sealed yet), then, signed in as an admin through the whole Django stack:

- the first visit of the audit screen, which seals a share and queues the rest;
- ``manage.py audit_seal``, what the queued task does, on the rest;
- the next visits (newest page; a filter on a rare action, on a rare outcome, on a
  person, on a path; an old page by keyset);
- the overview's platform health (the last failure is old: failures are rare);
- ``manage.py audit_verify`` on the whole log.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "200000"))
ACTIONS = ("conversation.page",) * 90 + ("users.search",) * 9 + ("broadcast.send",)
OUTCOMES = ("ok",) * 99 + ("server_error",)  # and network_error: only the oldest 100 rows


def _fill(rows: int) -> int:
    """Write ``rows`` completed calls, oldest first, one a minute; returns the admin's id."""
    from django.db import connection

    from dashboard.services.team import member_create
    from technowiz.models import OutboundCall

    admin = member_create(username="bench-admin", password="bench-pass-123456", role="admin")
    start = datetime.now(UTC) - timedelta(minutes=rows + 10)
    batch = []
    for i in range(rows):
        started = start + timedelta(minutes=i)
        batch.append(
            OutboundCall(
                call_id=uuid.uuid4(),
                attempt=0,
                started_at=started,
                finished_at=started + timedelta(milliseconds=120),
                duration_ms=120.0,
                user_id=admin.pk if i % 10 == 0 else None,
                username="bench-admin" if i % 10 == 0 else "system",
                origin="web:bench",
                action=ACTIONS[i % len(ACTIONS)],
                method="GET",
                path_template="/channel-user/{user_id}/conversations",
                path=f"/channel-user/9198{i:08d}/conversations",
                query={"page_number": 1, "page_size": 50},
                body_summary={},
                status=200,
                outcome="network_error" if i < 100 else OUTCOMES[(i * 7) % len(OUTCOMES)],
                response_bytes=4096,
            )
        )
        if len(batch) == 5000:
            OutboundCall.objects.bulk_create(batch)
            batch = []
    OutboundCall.objects.bulk_create(batch)
    if connection.vendor == "postgresql":  # as autovacuum would soon after such a load
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {OutboundCall._meta.db_table}")
    return admin.pk


def _timed(label: str, action) -> None:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    status = getattr(result, "status_code", "")
    print(f"  {label:<44} {elapsed * 1000:9.1f} ms  {status}")


def main() -> None:
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp,
        throwaway_database(Path(tmp), name="bench_audit") as label,
    ):
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from dashboard.selectors.overview import platform_health

        started = time.perf_counter()
        admin_id = _fill(ROWS)
        print(
            f"bench/audit_scale.py on {label}: {ROWS:,} audit rows written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = Client()
        client.force_login(get_user_model().objects.get(pk=admin_id))
        print("audit screen (admin), whole Django stack:")
        _timed("first visit (seals a share, queues the rest)", lambda: client.get("/audit/"))
        _timed("manage.py audit_seal (the rest, as the task)", lambda: call_command("audit_seal"))
        _timed("next visit, newest page", lambda: client.get("/audit/"))
        _timed("filter: action broadcast.send", lambda: client.get("/audit/?action=broadcast.send"))
        _timed(
            "filter: outcome network_error (rare)",
            lambda: client.get("/audit/?outcome=network_error"),
        )
        _timed("filter: person bench-admin", lambda: client.get("/audit/?username=bench-admin"))
        _timed("filter: path contains 98000123", lambda: client.get("/audit/?path=98000123"))
        _timed("an old page (keyset)", lambda: client.get(f"/audit/?before={ROWS // 10}"))
        _timed("overview's platform health", platform_health)
        _timed("manage.py audit_verify (whole log)", lambda: call_command("audit_verify"))


if __name__ == "__main__":
    main()
