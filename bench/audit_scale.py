"""The audit screens and their integrity work on a log of years.

Run: ``.venv/bin/python bench/audit_scale.py`` (a throwaway SQLite file; set
``DATABASE_URL=postgres://...`` for a throwaway PostgreSQL database).
``BENCH_AUDIT_ROWS`` (default 1,000,000) outbound calls and ``BENCH_AUDIT_ACTIONS``
(default 200,000) people's actions are written in bulk, one call a minute with the
actions spread over the same time (none sealed yet), then, signed in as an admin
through the whole Django stack:

- the first visit of the audit screen, which seals a share and queues the rest;
- ``manage.py audit_seal``, what the queued task does, on the rest;
- the next visits (median of 3): newest page, a page 200 pages deep (keyset), person +
  outcome, a phone (the ``subject`` column), the action log's newest page and a person;
- the CSV export of 100,000 calls (one person's), rows a second;
- ``manage.py audit_verify`` on the whole log.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "1000000"))
ACTION_ROWS = int(os.environ.get("BENCH_AUDIT_ACTIONS", "200000"))
ACTIONS = ("conversation.page",) * 90 + ("users.search",) * 9 + ("broadcast.send",)
OUTCOMES = ("ok",) * 99 + ("server_error",)  # and network_error: only the oldest 100 rows
PEOPLE_ACTIONS = ("auth.sign_in",) * 5 + ("export.users",) * 3 + ("run.launch", "auth.sign_out")
BATCH = 5000


def _phone(i: int) -> str:
    return f"+9198{i % 50_000:08d}"  # 50,000 people, each in about 20 calls


def _fill_calls(rows: int, admin_id: int, start: datetime) -> None:
    from technowiz.models import OutboundCall

    batch = []
    for i in range(rows):
        started = start + timedelta(minutes=i)
        action = ACTIONS[i % len(ACTIONS)]
        mine = i % 10 == 0
        batch.append(
            OutboundCall(
                call_id=uuid.uuid4(),
                attempt=0,
                started_at=started,
                finished_at=started + timedelta(milliseconds=120),
                duration_ms=120.0,
                user_id=admin_id if mine else None,
                username="bench-admin" if mine else "system",
                origin=f"web:bench{i}",
                action=action,
                method="GET",
                path_template="/channel-user/{user_id}/conversations",
                path=f"/channel-user/{_phone(i)}/conversations",
                query={"page_number": 1, "page_size": 50},
                body_summary={},
                status=200,
                outcome="network_error" if i < 100 else OUTCOMES[(i * 7) % len(OUTCOMES)],
                response_bytes=4096,
                subject=_phone(i) if action == "conversation.page" else "",
            )
        )
        if len(batch) == BATCH:
            OutboundCall.objects.bulk_create(batch)
            batch = []
    OutboundCall.objects.bulk_create(batch)


def _fill_actions(rows: int, calls: int, admin_id: int, start: datetime) -> None:
    from technowiz.models import ActionRecord

    step = timedelta(minutes=calls) / max(rows, 1)
    batch = []
    for i in range(rows):
        mine = i % 10 == 0
        batch.append(
            ActionRecord(
                created_at=start + step * i + timedelta(seconds=30),
                user_id=admin_id if mine else None,
                username="bench-admin" if mine else f"agent{i % 40}",
                origin=f"web:bench{i * calls // max(rows, 1)}",
                action=PEOPLE_ACTIONS[i % len(PEOPLE_ACTIONS)],
                object_type="run" if i % 10 == 8 else "",
                object_id=str(i // 10) if i % 10 == 8 else "",
                detail={"rows": 25} if i % 10 in (5, 6, 7) else {},
            )
        )
        if len(batch) == BATCH:
            ActionRecord.objects.bulk_create(batch)
            batch = []
    ActionRecord.objects.bulk_create(batch)


def _fill(rows: int, actions: int) -> int:
    """Write the calls and actions, oldest first; returns the admin's id."""
    from django.db import connection

    from dashboard.services.team import member_create
    from technowiz.models import ActionRecord, OutboundCall

    admin = member_create(username="bench-admin", password="bench-pass-123456", role="admin")
    start = datetime.now(UTC) - timedelta(minutes=rows + 10)
    _fill_calls(rows, admin.pk, start)
    _fill_actions(actions, rows, admin.pk, start)
    if connection.vendor == "postgresql":  # as autovacuum would soon after such a load
        with connection.cursor() as cursor:
            for model in (OutboundCall, ActionRecord):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return admin.pk


def _timed(label: str, action, *, repeat: int = 1) -> object:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    status = getattr(result, "status_code", "")
    note = f"median of {repeat}" if repeat > 1 else ""
    print(f"  {label:<46} {statistics.median(times) * 1000:10.1f} ms  {status} {note}")
    return result


def _export_rate(client, url: str) -> None:
    started = time.perf_counter()
    response = client.get(url)
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    elapsed = time.perf_counter() - started
    rows = lines - 1
    print(
        f"  {'export CSV, one person (' + format(rows, ',') + ' rows)':<46} "
        f"{elapsed * 1000:10.1f} ms  {rows / elapsed:,.0f} rows/s"
    )


def main() -> None:
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp,
        throwaway_database(Path(tmp), name="bench_audit") as label,
    ):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from technowiz.models import OutboundCall

        settings.AUDIT_SEAL_WITNESS = str(Path(tmp) / "witness.json")
        logging.getLogger("technowiz.sealing").setLevel(logging.WARNING)  # a line a seal
        started = time.perf_counter()
        admin_id = _fill(ROWS, ACTION_ROWS)
        print(
            f"bench/audit_scale.py on {label}: {ROWS:,} calls and {ACTION_ROWS:,} actions "
            f"written in {time.perf_counter() - started:.1f} s; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        client = Client()
        client.force_login(get_user_model().objects.get(pk=admin_id))
        newest = OutboundCall.objects.order_by("-id").values_list("id", flat=True).first()
        deep = newest - 200 * 50  # the cursor of page 201 at 50 a page
        print("audit screens (admin), whole Django stack:")
        _timed("first visit (seals a share, queues the rest)", lambda: client.get("/audit/"))
        _timed("manage.py audit_seal (the rest, as the task)", lambda: call_command("audit_seal"))
        pages = [
            ("calls: newest page", "/audit/"),
            ("calls: a page 200 pages deep", f"/audit/?before={deep}"),
            ("calls: person + outcome", "/audit/?username=bench-admin&outcome=server_error"),
            ("calls: a phone (user id)", f"/audit/?subject={_phone(12345)}"),
            ("actions: newest page", "/audit/actions/"),
            ("actions: person", "/audit/actions/?username=bench-admin"),
            ("actions: a run (object)", "/audit/actions/?object_type=run&object_id=777"),
        ]
        for name, url in pages:
            _timed(name, lambda url=url: client.get(url), repeat=3)
        _export_rate(client, "/audit/export.csv?username=bench-admin")
        _timed("manage.py audit_verify (whole log)", lambda: call_command("audit_verify"))
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
