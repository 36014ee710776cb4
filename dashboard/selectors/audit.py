"""Reads for the audit screen: filtered calls, keyset pages, one call and its attempts."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections

from technowiz.models import ActionRecord, OutboundCall
from technowiz.sealing import BLOCK_SIZE, VerifyReport, audit_seal, last_verification, sealed_counts
from technowiz.tasks import seal_in_background, verification_queued_at


def audit_calls(
    *,
    username: str = "",
    action: str = "",
    outcome: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    path: str = "",
    subject: str = "",
) -> Any:
    """The calls matching the filter, each annotated with ``effective`` outcome."""
    calls = OutboundCall.objects.with_effective_outcome()
    if username:
        calls = calls.filter(username__iexact=username)
    if action:
        calls = calls.filter(action=action)
    if outcome:
        calls = calls.effectively(outcome)  # the outcome index, not a scan of the CASE
    if since:
        calls = calls.filter(started_at__gte=since)
    if until:
        calls = calls.filter(started_at__lt=until)
    if path:
        calls = calls.filter(path__icontains=path)
    if subject:  # the user a call concerns: an index lookup, not a substring scan
        calls = calls.filter(subject=subject)
    return calls


#: Matches counted exactly up to this many; past it, the planner's estimate (PostgreSQL).
EXACT_COUNT_UP_TO = 10_000


@dataclass(frozen=True)
class Estimate:
    """How many rows a filter matches: exact when few, else about (or at least) ``count``."""

    count: int
    exact: bool
    at_least: bool = False  # no estimate at hand (SQLite): "more than count"


def rows_estimate(*, rows: Any) -> Estimate:
    """Count up to ``EXACT_COUNT_UP_TO`` matches (a LIMITed count: cheap), past that ask
    PostgreSQL's planner (``EXPLAIN``, no scan); SQLite has no estimate: "more than"."""
    rows = rows.order_by()
    counted = rows[: EXACT_COUNT_UP_TO + 1].count()
    if counted <= EXACT_COUNT_UP_TO:
        return Estimate(counted, exact=True)
    if connections[rows.db].vendor == "postgresql":
        plan = json.loads(rows.explain(format="json"))
        planned = int(plan[0]["Plan"]["Plan Rows"])
        return Estimate(max(planned, counted), exact=False)
    return Estimate(EXACT_COUNT_UP_TO, exact=False, at_least=True)


@dataclass(frozen=True)
class AuditPage:
    calls: list[Any]  # the page's rows: calls, or actions on the action log
    older_than: int | None  # the ``before`` cursor of the next (older) page, if any
    newer_than: int | None  # the ``after`` cursor of the previous (newer) page, if any


def audit_page(
    *, calls: Any, size: int, before: int | None = None, after: int | None = None
) -> AuditPage:
    """One page, newest first, by keyset on id (never OFFSET)."""
    if after is not None:
        rows = list(calls.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = bool(rows) and calls.filter(id__lt=rows[-1].pk).exists()
    else:
        window = calls.filter(id__lt=before) if before is not None else calls
        rows = list(window.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = bool(rows) and calls.filter(id__gt=rows[0].pk).exists()
    return AuditPage(
        calls=rows,
        older_than=rows[-1].pk if has_older else None,
        newer_than=rows[0].pk if has_newer else None,
    )


def audit_call(*, pk: int) -> OutboundCall | None:
    return OutboundCall.objects.with_effective_outcome().filter(pk=pk).first()


def audit_call_causes(*, call: OutboundCall) -> list[ActionRecord]:
    """The people's actions recorded in the web request that made ``call``."""
    if not call.origin.startswith("web:"):
        return []
    return list(ActionRecord.objects.filter(origin=call.origin).order_by("id")[:20])


def audit_attempts(*, call: OutboundCall) -> list[OutboundCall]:
    """Every attempt of the same call (retries), the given one included, in order."""
    siblings = OutboundCall.objects.with_effective_outcome().filter(call_id=call.call_id)
    return list(siblings.order_by("attempt", "id"))


def key_values(data: object) -> list[tuple[str, str]]:
    """A JSON object as readable (key, value) pairs; nested values as compact JSON."""
    if not isinstance(data, dict):
        return [("", _readable(data))] if data not in (None, "", [], {}) else []
    return [(str(key), _readable(value)) for key, value in sorted(data.items())]


def _readable(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_EXPORTED = (
    "id",
    "call_id",
    "attempt",
    "started_at",
    "finished_at",
    "duration_ms",
    "username",
    "origin",
    "action",
    "method",
    "path",
    "query",
    "body_summary",
    "status",
    "platform_code",
    "effective",
    "detail",
    "response_bytes",
    "subject",
)
# The export's column names: the call's fields, its (effective) outcome named "outcome".
EXPORT_HEADER = ["outcome" if name == "effective" else name for name in _EXPORTED]


def audit_export_rows(*, calls: Any, tz: Any) -> Iterator[list[object]]:
    """The filtered calls for CSV, newest first, streamed from the database (as tuples of
    the exported columns: no model instance per row, a third of the time at 100,000)."""
    for row in calls.order_by("-id").values_list(*_EXPORTED).iterator(chunk_size=2000):
        (pk, call_id, attempt, started, finished, duration, *middle, query, body) = row[:13]
        yield [
            pk,
            call_id,
            attempt + 1,  # numbered from 1, as on the screen
            started.astimezone(tz).isoformat(),
            finished.astimezone(tz).isoformat() if finished else "",
            "" if duration is None else round(duration, 1),
            *middle,
            _readable(query),
            _readable(body),
            *row[13:],
        ]


#: Rows a visit of the audit screen seals itself; a task seals the rest.
PAGE_SEAL_ROWS = 1_000


@dataclass(frozen=True)
class Integrity:
    sealed_rows: int
    unsealed_rows: int
    last: VerifyReport | None
    sealing_in_background: bool = False
    verifying_since: datetime | None = None  # a verification queued or running


def audit_integrity(*, seal: bool = True) -> Integrity:
    """Seal what is final (a bounded share; the rest in the background), then the counts
    and the last verification's report."""
    background = False
    budget = PAGE_SEAL_ROWS
    if seal and audit_seal(max_rows=budget, block_size=min(BLOCK_SIZE, budget)) >= budget:
        seal_in_background()  # the budget ran out: more may be waiting
        background = True
    sealed, unsealed = sealed_counts()
    return Integrity(sealed, unsealed, last_verification(), background, verification_queued_at())
