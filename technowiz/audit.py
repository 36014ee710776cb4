"""Recording of outbound calls: a row before the request goes out, completed after.

Both writes are single autocommit statements on the caller's connection, the second
one as soon as the exchange is over: a process that dies after a call leaves at worst
a ``pending`` row, read as ``unknown``. The client refuses to call the platform from
inside a caller's transaction (see :func:`ensure_outside_transaction`), so no rollback
can ever take an audit row with it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, OperationalError, connections

from technowiz.context import current_actor
from technowiz.models import OutboundCall

logger = logging.getLogger("technowiz.audit")

REDACTED = "[redacted]"
_DETAIL_MAX = 500


def ensure_outside_transaction(using: str = "default") -> None:
    """Refuse a platform call made inside a caller's atomic block.

    A platform call cannot be rolled back, so neither may its audit row. Django's own
    test-case wrappers (``_from_testcase``) are allowed: they are not a caller's choice.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError(
            "Technowiz calls must not be made inside transaction.atomic(): the call cannot be "
            "rolled back, so its audit row must not be either. Call the platform first, or "
            "after the transaction commits (transaction.on_commit)."
        )


def redact(text: str | None, secrets: tuple[str, ...]) -> str:
    """Shorten ``text`` for a row and take out every secret, whatever its surroundings."""
    if not text:
        return ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text[:_DETAIL_MAX]


def mask_phone(phone: str | None) -> str | None:
    """Keep the last four digits of a single phone number: enough to tell people apart."""
    if not phone:
        return phone
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def write_retrying[T](
    operation: Callable[[], T], *, also: tuple[type[Exception], ...] = (), attempts: int = 40
) -> T:
    """Run one write, waiting out SQLite's table/database locks (and retrying ``also``).

    SQLite answers ``database table is locked`` at once (shared-cache databases, where
    the busy timeout does not apply) or ``database is locked`` after its busy timeout;
    both are transient. Other databases never take the lock path. The last failure is
    raised as it is.
    """
    pause = 0.002
    for attempt in range(attempts):
        try:
            return operation()
        except also:
            if attempt == attempts - 1:
                raise
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    raise AssertionError("unreachable")


@dataclass(slots=True)
class AttemptRecord:
    """What is known about one attempt; turned into the row's completion."""

    row_id: int
    call_id: uuid.UUID
    attempt: int
    started: float
    ended: float | None = None  # when the exchange ended (the caller may finish later)
    status: int | None = None
    platform_code: int | None = None
    outcome: str = "unknown"
    detail: str = ""
    response_bytes: int | None = None
    retry_after: float | None = None


def begin(
    *,
    call_id: uuid.UUID,
    attempt: int,
    action: str,
    method: str,
    path_template: str,
    path: str,
    query: Mapping[str, Any],
    body_summary: Mapping[str, Any],
    subject: str = "",
) -> AttemptRecord:
    """Write the ``pending`` row of an attempt, before anything is sent."""
    actor = current_actor()
    values = {
        "call_id": call_id,
        "attempt": attempt,
        "started_at": datetime.now(UTC),
        "user_id": actor.user_id,
        "username": actor.username[:150],
        "origin": actor.origin[:80],
        "action": action,
        "method": method,
        "path_template": path_template,
        "path": path[:500],
        "query": dict(query),
        "body_summary": dict(body_summary),
        "subject": subject[:200],
    }
    started = time.perf_counter()
    try:
        row = write_retrying(lambda: OutboundCall.objects.create(**values))
    except IntegrityError:
        # The acting user was deleted meanwhile: keep the snapshot, drop the link.
        values["user_id"] = None
        row = write_retrying(lambda: OutboundCall.objects.create(**values))
    return AttemptRecord(row_id=row.pk, call_id=call_id, attempt=attempt, started=started)


def finish(record: AttemptRecord) -> None:
    """Complete the attempt's row. A failed write is logged and the row then reads
    ``unknown``; it never fails the call."""
    ended = record.ended if record.ended is not None else time.perf_counter()
    try:
        write_retrying(
            lambda: OutboundCall.objects.complete_pending(
                record.row_id,
                finished_at=datetime.now(UTC),
                duration_ms=max((ended - record.started) * 1000.0, 0.001),
                status=record.status,
                platform_code=record.platform_code,
                outcome=record.outcome,
                detail=record.detail[:_DETAIL_MAX],
                response_bytes=record.response_bytes,
                retry_after=record.retry_after,
            )
        )
    except DatabaseError:
        logger.exception("could not complete audit row %s", record.row_id)
