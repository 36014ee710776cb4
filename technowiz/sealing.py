"""Tamper evidence for the audit log: final rows sealed in blocks chained by hash.

A seal covers a run of consecutive audit rows (by id, at most ``BLOCK_SIZE``). It stores
the run's bounds, its row count, ``rows_digest`` (sha256 over a canonical serialization of
every field of every row, in id order), a row index (each id with a prefix of that row's
own hash, so a check can name the row that changed or went missing) and ``seal_hash`` =
HMAC-SHA256 under ``AUDIT_SEAL_KEY`` of the previous seal's hash and this seal's fields,
with the key's id recorded beside it (old keys keep verifying from
``AUDIT_SEAL_OLD_KEYS``). The key is not in the database, so whoever can write the
database cannot seal again what they changed. Changing, deleting or inserting a sealed
row, or changing, removing or reordering a seal, no longer verifies.

The latest seal is also written to ``AUDIT_SEAL_WITNESS`` (a file outside the database)
and logged; verification checks the database still holds it, so removing the newest seals
with their rows (or emptying both tables) is seen too. On PostgreSQL, triggers refuse
UPDATE, DELETE and TRUNCATE of sealed rows and of seals (migration 0003).

Pending rows are never sealed. A row still pending after :func:`stale_after` belongs to a
process that died mid-call: before sealing, :func:`audit_seal` completes it as
``unknown`` through ``complete_pending`` (the same compare-and-set on ``outcome =
pending`` that a live completion uses, so exactly one of the two wins). A row is
therefore sealed only once it can never be written again; ``complete_pending`` needs no
knowledge of seals. A block stops at the first row that is not final, and never takes a
row younger than ``SETTLE`` (on PostgreSQL ids can commit out of order).

Concurrency: a seal is written in one transaction that locks the last seal
(``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions serialise writers anyway),
and ``number`` and ``first_id`` are unique, so two processes sealing at once cannot fork
the chain: the loser gets an ``IntegrityError``, rolls back and retries on the new tail.

What this does not catch: rows that are not sealed yet, and, when the witness file is
lost too, the newest seals removed with their rows (the log line still names them).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Sum
from django.utils import timezone

from technowiz.audit import write_retrying
from technowiz.models import PENDING, AuditSeal, OutboundCall, stale_after

logger = logging.getLogger("technowiz.sealing")

BLOCK_SIZE = 500
SETTLE = timedelta(seconds=5)
GENESIS = "0" * 64
ROW_HASH_CHARS = 16
NEVER_COMPLETED = (
    "Never completed: the process making this call stopped before recording its result "
    "(closed as unknown when the audit log was sealed)."
)
FIELDS: tuple[str, ...] = tuple(f.attname for f in OutboundCall._meta.concrete_fields)
_OUTCOME, _STARTED_AT = FIELDS.index("outcome"), FIELDS.index("started_at")
_LAST_VERIFY_KEY = "technowiz:audit:last-verify"
_MAX_MESSAGES = 20


class SealContention(RuntimeError):
    """Sealing kept losing to other processes; the next run carries on."""


# --- Canonical form -------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def row_bytes(values: Sequence[Any]) -> bytes:
    """One row (values in ``FIELDS`` order) as canonical JSON: sorted keys, UTC times."""
    record = {name: _canonical(value) for name, value in zip(FIELDS, values, strict=True)}
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode() + b"\n"


@dataclass(frozen=True)
class BlockDigest:
    ids: tuple[int, ...]
    rows_digest: str
    row_hashes: dict[int, str]

    @property
    def row_index(self) -> str:
        return ",".join(f"{pk}:{self.row_hashes[pk]}" for pk in self.ids)


def digest_rows(rows: Iterable[Sequence[Any]]) -> BlockDigest:
    """The block digest and per-row hash prefixes of rows given in id order."""
    whole = hashlib.sha256()
    ids: list[int] = []
    hashes: dict[int, str] = {}
    for values in rows:
        data = row_bytes(values)
        whole.update(data)
        ids.append(values[0])
        hashes[values[0]] = hashlib.sha256(data).hexdigest()[:ROW_HASH_CHARS]
    return BlockDigest(tuple(ids), whole.hexdigest(), hashes)


def key_id_of(key: str) -> str:
    """A short public name for a key (a hash of it: it tells nothing of the key)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def seal_keys() -> dict[str, str]:
    """Key id -> key, for the current key and the old ones still verified."""
    keys = [settings.AUDIT_SEAL_KEY, *settings.AUDIT_SEAL_OLD_KEYS]
    return {key_id_of(key): key for key in keys if key}


def seal_hash_of(previous_hash: str, seal: AuditSeal, key: str) -> str:
    """HMAC-SHA256 under ``key`` of the previous seal's hash and every field of this seal."""
    parts = [
        previous_hash,
        str(seal.number),
        str(seal.first_id),
        str(seal.last_id),
        str(seal.row_count),
        seal.rows_digest,
        _canonical(seal.created_at),
        seal.row_index,
    ]
    message = "\n".join([*parts, seal.key_id]).encode()
    return hmac.new(key.encode(), message, "sha256").hexdigest()


def _block_rows(first_id: int, last_id: int) -> Iterable[tuple[Any, ...]]:
    rows = OutboundCall.objects.filter(id__gte=first_id, id__lte=last_id).order_by("id")
    return rows.values_list(*FIELDS).iterator(chunk_size=1000)


# --- Sealing --------------------------------------------------------------------------


def _retrying[T](operation: Callable[[], T]) -> T:
    """Retry a sealing write that lost a race (IntegrityError) or met a SQLite lock."""
    try:
        return write_retrying(operation, also=(IntegrityError,))
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise
        msg = "Could not seal the audit log: other processes kept sealing first."
        raise SealContention(msg) from None


def close_stale() -> int:
    """Complete rows pending past :func:`stale_after` as ``unknown`` (their process died)."""
    cutoff = timezone.now() - stale_after()
    stale = OutboundCall.objects.filter(outcome=PENDING, started_at__lt=cutoff)
    closed = 0
    for pk in list(stale.values_list("pk", flat=True)):
        closed += write_retrying(
            lambda pk=pk: OutboundCall.objects.complete_pending(
                pk, outcome="unknown", detail=NEVER_COMPLETED
            )
        )
    return closed


def _seal_next(*, block_size: int, horizon: datetime) -> int:
    with transaction.atomic():
        last = AuditSeal.objects.select_for_update().order_by("-number").first()
        after = last.last_id if last else 0
        candidates = OutboundCall.objects.filter(id__gt=after).order_by("id")
        block = []
        for values in candidates.values_list(*FIELDS)[:block_size]:
            if values[_OUTCOME] == PENDING or values[_STARTED_AT] >= horizon:
                break
            block.append(values)
        if not block:
            return 0
        digest = digest_rows(block)
        seal = AuditSeal(
            number=last.number + 1 if last else 1,
            first_id=digest.ids[0],
            last_id=digest.ids[-1],
            row_count=len(block),
            rows_digest=digest.rows_digest,
            row_index=digest.row_index,
            created_at=timezone.now(),
        )
        seal.key_id = key_id_of(settings.AUDIT_SEAL_KEY)
        seal.seal_hash = seal_hash_of(
            last.seal_hash if last else GENESIS, seal, settings.AUDIT_SEAL_KEY
        )
        seal.save()
        transaction.on_commit(lambda: witness_write(seal))
        return len(block)


# --- The witness: the latest seal, outside the database ------------------------------


def witness_write(seal: AuditSeal) -> None:
    """Record ``seal`` as the latest, in the witness file (unless a later one is there
    already) and in the log."""
    logger.info(
        "audit sealed: seal #%s rows to #%s hash %s", seal.number, seal.last_id, seal.seal_hash
    )
    path = settings.AUDIT_SEAL_WITNESS
    record = {"number": seal.number, "last_id": seal.last_id, "seal_hash": seal.seal_hash}
    try:
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            known = _witness_from(handle.read())
            if known and known["number"] >= seal.number:
                return
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        logger.exception("could not write the audit seal witness %s", path)


def _witness_from(text: str) -> dict[str, Any] | None:
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("number"), int) else None


def witness_read() -> dict[str, Any] | None:
    try:
        with open(settings.AUDIT_SEAL_WITNESS) as handle:
            return _witness_from(handle.read())
    except FileNotFoundError:
        return None


def audit_seal(*, block_size: int = BLOCK_SIZE, max_rows: int | None = None) -> int:
    """Seal every final row not sealed yet, in blocks; returns how many rows were sealed.

    With ``max_rows``, stop once at least that many were sealed (whole blocks): a web
    request seals a bounded share and leaves the rest to a task or the command.
    Safe to run from several processes at once (see the module's docstring).
    """
    close_stale()
    horizon = timezone.now() - SETTLE
    total = 0
    while sealed := _retrying(lambda: _seal_next(block_size=block_size, horizon=horizon)):
        total += sealed
        if max_rows is not None and total >= max_rows:
            break
    return total


def sealed_counts() -> tuple[int, int]:
    """(rows sealed, rows after the last seal), from the seals' own counts."""
    sealed = AuditSeal.objects.aggregate(rows=Sum("row_count"))["rows"] or 0
    last = AuditSeal.objects.order_by("-number").values_list("last_id", flat=True).first()
    return sealed, OutboundCall.objects.filter(id__gt=last or 0).count()


# --- Verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    """The result of recomputing every seal; ``problems`` are in plain words."""

    ok: bool
    sealed_rows: int
    unsealed_rows: int
    seals: int
    last_seal_hash: str
    checked_at: datetime
    problems: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        state = "intact" if self.ok else "TAMPERED"
        return (
            f"Audit log {state}: {self.sealed_rows} rows sealed in {self.seals} blocks, "
            f"{self.unsealed_rows} not sealed yet."
        )


def _id_runs(ids: Sequence[int], wanted: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive entries of ``ids`` that are in ``wanted``, as (first, last)."""
    runs: list[tuple[int, int]] = []
    start = prev = None
    for pk in ids:
        if pk in wanted:
            start = pk if start is None else start
            prev = pk
        elif start is not None:
            runs.append((start, prev))  # type: ignore[arg-type]
            start = None
    if start is not None:
        runs.append((start, prev))  # type: ignore[arg-type]
    return runs


def _rows_label(first: int, last: int) -> str:
    return f"Row #{first} is" if first == last else f"Rows #{first}-#{last} are"


def _parse_index(text: str) -> tuple[list[int], dict[int, str]] | None:
    try:
        pairs = [item.split(":") for item in text.split(",") if item]
        ids = [int(pk) for pk, _ in pairs]
        return ids, {int(pk): value for pk, value in pairs}
    except ValueError:
        return None


def _block_problems(seal: AuditSeal, *, seal_altered: bool) -> list[str]:
    """What is wrong with the rows of one block, compared with its seal."""
    actual = digest_rows(_block_rows(seal.first_id, seal.last_id))
    if actual.rows_digest == seal.rows_digest and len(actual.ids) == seal.row_count:
        return []
    block = f"block #{seal.number}"
    index = _parse_index(seal.row_index)
    if index is None:
        return [f"The row list of seal #{seal.number} is unreadable: the seal was altered."]
    ids, sealed_hashes = index
    problems = [
        f"Row #{pk} was changed after it was sealed ({block})."
        for pk in ids
        if pk in actual.row_hashes and actual.row_hashes[pk] != sealed_hashes[pk]
    ]
    missing = set(ids) - set(actual.ids)
    problems += [f"{_rows_label(a, b)} missing from {block}." for a, b in _id_runs(ids, missing)]
    added = set(actual.ids) - set(ids)
    problems += [
        f"{_rows_label(a, b)} in {block} but were not there when it was sealed."
        for a, b in _id_runs(actual.ids, added)
    ]
    if problems or seal_altered:
        return problems  # an altered seal is reported as such, not as changed rows
    return [f"The rows of {block} do not match its seal."]


def _check(seals: Iterable[AuditSeal]) -> tuple[list[str], int, int, int, str]:
    keys = seal_keys()
    problems: list[str] = []
    previous: AuditSeal | None = None
    sealed = count = covered_to = 0
    for seal in seals:
        count += 1
        expected = previous.number + 1 if previous else 1
        if seal.number != expected:
            after = f"seal #{previous.number}" if previous else "the start of the chain"
            problems.append(
                f"Seal #{expected} is missing: seal #{seal.number} follows {after}: "
                "the chain was altered."
            )
        previous_hash = previous.seal_hash if previous else GENESIS
        key = keys.get(seal.key_id)
        if key is None:
            problems.append(
                f"Seal #{seal.number} was made with a key this site does not have (key id "
                f"“{seal.key_id}”): add that key to AUDIT_SEAL_OLD_KEYS, or it was forged."
            )
        altered = key is None or seal_hash_of(previous_hash, seal, key) != seal.seal_hash
        if altered and key is not None:
            if previous is None:
                problems.append(
                    f"Seal #{seal.number} was altered: its hash does not match its contents."
                )
            else:
                problems.append(
                    f"Seal #{seal.number} does not follow seal #{previous.number}: "
                    "the chain was altered."
                )
        if seal.first_id <= covered_to:
            problems.append(f"Seal #{seal.number} overlaps the block before it: altered.")
        elif OutboundCall.objects.filter(id__gt=covered_to, id__lt=seal.first_id).exists():
            problems.append(
                f"Rows before #{seal.first_id} are not covered by any seal "
                f"(between seal #{previous.number if previous else 0} and #{seal.number})."
            )
        problems += _block_problems(seal, seal_altered=altered)
        sealed += seal.row_count
        covered_to = max(covered_to, seal.last_id)
        previous = seal
    return problems, sealed, count, covered_to, previous.seal_hash if previous else ""


def audit_verify() -> VerifyReport:
    """Recompute every seal and its rows; the report is also kept for the audit screen."""
    problems, sealed, count, covered_to, last_hash = _check(
        AuditSeal.objects.order_by("number").iterator(chunk_size=100)
    )
    problems += _witness_problems()
    if len(problems) > _MAX_MESSAGES:
        more = len(problems) - _MAX_MESSAGES
        problems = [*problems[:_MAX_MESSAGES], f"... and {more} more problems."]
    report = VerifyReport(
        ok=not problems,
        sealed_rows=sealed,
        unsealed_rows=OutboundCall.objects.filter(id__gt=covered_to).count(),
        seals=count,
        last_seal_hash=last_hash,
        checked_at=timezone.now(),
        problems=tuple(problems),
    )
    cache.set(_LAST_VERIFY_KEY, report, timeout=None)
    return report


def _witness_problems() -> list[str]:
    """The latest seal the witness file names must still be in the database, unchanged."""
    known = witness_read()
    if known is None:
        return []
    held = AuditSeal.objects.filter(number=known["number"]).first()
    if held is None:
        return [
            f"Seal #{known['number']} (rows up to #{known.get('last_id')}) is gone from the "
            f"database, but the witness file {settings.AUDIT_SEAL_WITNESS} recorded it: seals "
            "and rows were removed."
        ]
    if held.seal_hash != known.get("seal_hash"):
        return [f"Seal #{held.number} differs from the one the witness file recorded: altered."]
    return []


def last_verification() -> VerifyReport | None:
    """The report of the most recent :func:`audit_verify` run in any process, if kept."""
    report = cache.get(_LAST_VERIFY_KEY)
    return report if isinstance(report, VerifyReport) else None
