"""Tamper evidence for the audit log: final rows sealed in blocks chained by hash.

The log has two tables, sealed together: outbound calls and people's actions
(``ActionRecord``). A block takes the oldest rows not sealed yet from both, merged by
time (at most ``BLOCK_SIZE`` in all), so a block covers one stretch of time and can be
pruned as a whole (``audit_prune``). Each log has its own id range, digest and row
index in the seal. Seals of format 1 (made before the action log) cover calls only.

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
from django.db.models import Max, Sum
from django.utils import timezone

from technowiz.audit import write_retrying
from technowiz.models import (
    PENDING,
    ActionRecord,
    AuditPrune,
    AuditSeal,
    OutboundCall,
    stale_after,
)

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
#: A call as seals of format 1 saw it: before the ``subject`` column existed.
FIELDS_V1: tuple[str, ...] = tuple(name for name in FIELDS if name != "subject")
ACTION_FIELDS: tuple[str, ...] = tuple(f.attname for f in ActionRecord._meta.concrete_fields)
FORMAT = 2
_OUTCOME, _STARTED_AT = FIELDS.index("outcome"), FIELDS.index("started_at")
_CREATED_AT = ACTION_FIELDS.index("created_at")
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


def row_bytes(values: Sequence[Any], names: Sequence[str] = FIELDS) -> bytes:
    """One row (values in ``names`` order) as canonical JSON: sorted keys, UTC times."""
    record = {name: _canonical(value) for name, value in zip(names, values, strict=True)}
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


def digest_rows(rows: Iterable[Sequence[Any]], names: Sequence[str] = FIELDS) -> BlockDigest:
    """The block digest and per-row hash prefixes of rows given in id order."""
    whole = hashlib.sha256()
    ids: list[int] = []
    hashes: dict[int, str] = {}
    for values in rows:
        data = row_bytes(values, names)
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
    parts.append(seal.key_id)
    if seal.format >= 2:  # format 1 seals keep their original message
        parts += [
            f"format {seal.format}",
            str(seal.actions_first_id),
            str(seal.actions_last_id),
            str(seal.actions_count),
            seal.actions_digest,
            seal.actions_index,
        ]
    message = "\n".join(parts).encode()
    return hmac.new(key.encode(), message, "sha256").hexdigest()


def _block_rows(
    first_id: int | None, last_id: int | None, *, model: Any = OutboundCall, names: Any = FIELDS
) -> Iterable[tuple[Any, ...]]:
    if first_id is None or last_id is None:
        return iter(())
    rows = model.objects.filter(id__gte=first_id, id__lte=last_id).order_by("id")
    return rows.values_list(*names).iterator(chunk_size=1000)


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


@dataclass(frozen=True)
class ChainTail:
    """Where the next seal goes: its number, the hash it follows, the ids sealed so far."""

    number: int
    seal_hash: str
    calls_to: int
    actions_to: int


def chain_tail(*, lock: bool = False) -> ChainTail:
    """The end of the chain: the last seal, else the last prune record, else genesis."""
    seals = AuditSeal.objects.select_for_update() if lock else AuditSeal.objects
    last = seals.order_by("-number").first()
    pruned = AuditPrune.objects.order_by("-number").first()
    calls_to = pruned.calls_to if pruned else 0
    actions_to = pruned.actions_to if pruned else 0
    if last is None:
        if pruned is None:
            return ChainTail(0, GENESIS, 0, 0)
        return ChainTail(pruned.seals_to, pruned.last_seal_hash, calls_to, actions_to)
    bounds = AuditSeal.objects.aggregate(calls=Max("last_id"), actions=Max("actions_last_id"))
    return ChainTail(
        last.number,
        last.seal_hash,
        max(bounds["calls"] or 0, calls_to),
        max(bounds["actions"] or 0, actions_to),
    )


def _next_block(
    tail: ChainTail, *, block_size: int, horizon: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The oldest final calls and actions not sealed yet, merged by time, at most
    ``block_size`` in all; stops at the first call not final or row too young.

    Both are read lazily (rows are decoded as they are taken): a block of calls only
    decodes no action, and the other way round.
    """
    calls = (
        OutboundCall.objects.filter(id__gt=tail.calls_to)
        .order_by("id")
        .values_list(*FIELDS)[:block_size]
        .iterator(chunk_size=100)
    )
    actions = (
        ActionRecord.objects.filter(id__gt=tail.actions_to)
        .order_by("id")
        .values_list(*ACTION_FIELDS)[:block_size]
        .iterator(chunk_size=100)
    )
    taken_calls: list[tuple[Any, ...]] = []
    taken_actions: list[tuple[Any, ...]] = []
    call, action = next(calls, None), next(actions, None)
    while len(taken_calls) + len(taken_actions) < block_size:
        if call is not None and (action is None or call[_STARTED_AT] <= action[_CREATED_AT]):
            if call[_OUTCOME] == PENDING or call[_STARTED_AT] >= horizon:
                break
            taken_calls.append(call)
            call = next(calls, None)
        elif action is not None:
            if action[_CREATED_AT] >= horizon:
                break
            taken_actions.append(action)
            action = next(actions, None)
        else:
            break
    return taken_calls, taken_actions


def _seal_next(*, block_size: int, horizon: datetime) -> int:
    with transaction.atomic():
        tail = chain_tail(lock=True)
        calls, actions = _next_block(tail, block_size=block_size, horizon=horizon)
        if not calls and not actions:
            return 0
        digest = digest_rows(calls)
        action_digest = digest_rows(actions, ACTION_FIELDS)
        seal = AuditSeal(
            number=tail.number + 1,
            format=FORMAT,
            first_id=digest.ids[0] if calls else None,
            last_id=digest.ids[-1] if calls else None,
            row_count=len(calls),
            rows_digest=digest.rows_digest,
            row_index=digest.row_index,
            actions_first_id=action_digest.ids[0] if actions else None,
            actions_last_id=action_digest.ids[-1] if actions else None,
            actions_count=len(actions),
            actions_digest=action_digest.rows_digest,
            actions_index=action_digest.row_index,
            created_at=timezone.now(),
        )
        seal.key_id = key_id_of(settings.AUDIT_SEAL_KEY)
        seal.seal_hash = seal_hash_of(tail.seal_hash, seal, settings.AUDIT_SEAL_KEY)
        seal.save()
        transaction.on_commit(lambda: witness_write(seal))
        return len(calls) + len(actions)


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
    """(rows sealed, rows after the last seal), calls and actions, from the seals' counts."""
    counts = AuditSeal.objects.aggregate(calls=Sum("row_count"), actions=Sum("actions_count"))
    tail = chain_tail()
    unsealed = OutboundCall.objects.filter(id__gt=tail.calls_to).count()
    unsealed += ActionRecord.objects.filter(id__gt=tail.actions_to).count()
    return (counts["calls"] or 0) + (counts["actions"] or 0), unsealed


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
    starts_at: str = ""  # after a prune: where the remaining chain starts, and why

    @property
    def summary(self) -> str:
        state = "intact" if self.ok else "TAMPERED"
        text = (
            f"Audit log {state}: {self.sealed_rows} rows sealed in {self.seals} blocks, "
            f"{self.unsealed_rows} not sealed yet."
        )
        return f"{text} {self.starts_at}" if self.starts_at else text


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


def _parse_index(text: str) -> tuple[list[int], dict[int, str]] | None:
    try:
        pairs = [item.split(":") for item in text.split(",") if item]
        ids = [int(pk) for pk, _ in pairs]
        return ids, {int(pk): value for pk, value in pairs}
    except ValueError:
        return None


@dataclass(frozen=True)
class _Log:
    """One of the two logs a seal covers, as the verifier reads it."""

    model: Any
    row: str  # "Row" or "Action": how a problem names one
    first: str
    last: str
    count: str
    digest: str
    index: str

    def names(self, seal: AuditSeal) -> tuple[str, ...]:
        if self.model is ActionRecord:
            return ACTION_FIELDS
        return FIELDS if seal.format >= 2 else FIELDS_V1


CALLS = _Log(OutboundCall, "Row", "first_id", "last_id", "row_count", "rows_digest", "row_index")
ACTIONS = _Log(
    ActionRecord,
    "Action",
    "actions_first_id",
    "actions_last_id",
    "actions_count",
    "actions_digest",
    "actions_index",
)


def _rows_label(log: _Log, first: int, last: int) -> str:
    plural = "Rows" if log.row == "Row" else "Actions"
    return f"{log.row} #{first} is" if first == last else f"{plural} #{first}-#{last} are"


def _block_problems(seal: AuditSeal, log: _Log, *, seal_altered: bool) -> list[str]:
    """What is wrong with one log's rows of one block, compared with its seal."""
    first, last = getattr(seal, log.first), getattr(seal, log.last)
    rows = _block_rows(first, last, model=log.model, names=log.names(seal))
    actual = digest_rows(rows, log.names(seal))
    count, digest = getattr(seal, log.count), getattr(seal, log.digest)
    if not count and first is None and not actual.ids:
        return []
    if actual.rows_digest == digest and len(actual.ids) == count:
        return []
    block = f"block #{seal.number}"
    index = _parse_index(getattr(seal, log.index))
    if index is None:
        return [f"The row list of seal #{seal.number} is unreadable: the seal was altered."]
    ids, sealed_hashes = index
    problems = [
        f"{log.row} #{pk} was changed after it was sealed ({block})."
        for pk in ids
        if pk in actual.row_hashes and actual.row_hashes[pk] != sealed_hashes[pk]
    ]
    missing = set(ids) - set(actual.ids)
    problems += [
        f"{_rows_label(log, a, b)} missing from {block}." for a, b in _id_runs(ids, missing)
    ]
    added = set(actual.ids) - set(ids)
    problems += [
        f"{_rows_label(log, a, b)} in {block} but were not there when it was sealed."
        for a, b in _id_runs(actual.ids, added)
    ]
    if problems or seal_altered:
        return problems  # an altered seal is reported as such, not as changed rows
    return [f"The rows of {block} do not match its seal."]


def _coverage_problems(seal: AuditSeal, log: _Log, covered_to: int, previous: int) -> list[str]:
    """Overlaps with the block before, or rows between blocks that no seal covers."""
    first = getattr(seal, log.first)
    if first is None:
        return []
    if first <= covered_to:
        return [f"Seal #{seal.number} overlaps the block before it: altered."]
    if log.model.objects.filter(id__gt=covered_to, id__lt=first).exists():
        noun = "Rows" if log is CALLS else "Actions"
        return [
            f"{noun} before #{first} are not covered by any seal "
            f"(between seal #{previous} and #{seal.number})."
        ]
    return []


@dataclass
class _Start:
    """Where verification starts: genesis, or after what the latest prune removed."""

    number: int = 0
    seal_hash: str = GENESIS
    calls_to: int = 0
    actions_to: int = 0
    note: str = ""
    problems: list[str] = field(default_factory=list)


def prune_hash_of(record: AuditPrune, key: str) -> str:
    """HMAC-SHA256 under ``key`` of every field of a prune record."""
    parts = [
        str(record.number),
        _canonical(record.before),
        str(record.seals_from),
        str(record.seals_to),
        str(record.calls_to),
        str(record.actions_to),
        str(record.calls_removed),
        str(record.actions_removed),
        record.last_seal_hash,
        record.username,
        _canonical(record.created_at),
        record.key_id,
    ]
    return hmac.new(key.encode(), "\n".join(parts).encode(), "sha256").hexdigest()


def _start() -> _Start:
    pruned = AuditPrune.objects.order_by("-number").first()
    if pruned is None:
        return _Start()
    key = seal_keys().get(pruned.key_id)
    problems = []
    if key is None or prune_hash_of(pruned, key) != pruned.record_hash:
        problems.append(
            f"Prune record #{pruned.number} was not made with this site's key, or was "
            "altered: the rows it says were removed cannot be trusted as removed by a prune."
        )
    note = (
        f"Verified from seal #{pruned.seals_to + 1}: seals #1-#{pruned.seals_to} (calls up to "
        f"#{pruned.calls_to}, actions up to #{pruned.actions_to}) were pruned on "
        f"{_canonical(pruned.created_at)[:19]}Z by {pruned.username} (rows before "
        f"{_canonical(pruned.before)[:10]}; last removed seal hash {pruned.last_seal_hash})."
    )
    return _Start(
        pruned.seals_to,
        pruned.last_seal_hash,
        pruned.calls_to,
        pruned.actions_to,
        note,
        problems,
    )


def _check(seals: Iterable[AuditSeal], start: _Start) -> tuple[list[str], int, int, ChainTail]:
    keys = seal_keys()
    problems: list[str] = list(start.problems)
    previous: AuditSeal | None = None
    sealed = count = 0
    covered = {CALLS.row: start.calls_to, ACTIONS.row: start.actions_to}
    for seal in seals:
        count += 1
        expected = previous.number + 1 if previous else start.number + 1
        if seal.number != expected:
            after = f"seal #{previous.number}" if previous else "the start of the chain"
            problems.append(
                f"Seal #{expected} is missing: seal #{seal.number} follows {after}: "
                "the chain was altered."
            )
        previous_hash = previous.seal_hash if previous else start.seal_hash
        key = keys.get(seal.key_id)
        if key is None:
            problems.append(
                f"Seal #{seal.number} was made with a key this site does not have (key id "
                f"“{seal.key_id}”): add that key to AUDIT_SEAL_OLD_KEYS, or it was forged."
            )
        altered = key is None or seal_hash_of(previous_hash, seal, key) != seal.seal_hash
        if altered and key is not None:
            if previous is None and not start.number:
                problems.append(
                    f"Seal #{seal.number} was altered: its hash does not match its contents."
                )
            else:
                before = previous.number if previous else start.number
                problems.append(
                    f"Seal #{seal.number} does not follow seal #{before}: the chain was altered."
                )
        before_number = previous.number if previous else start.number
        for log in (CALLS, ACTIONS):
            problems += _coverage_problems(seal, log, covered[log.row], before_number)
            problems += _block_problems(seal, log, seal_altered=altered)
            last = getattr(seal, log.last)
            covered[log.row] = max(covered[log.row], last or 0)
        sealed += seal.row_count + seal.actions_count
        previous = seal
    tail = ChainTail(
        previous.number if previous else start.number,
        previous.seal_hash if previous else "",
        covered[CALLS.row],
        covered[ACTIONS.row],
    )
    return problems, sealed, count, tail


def audit_verify() -> VerifyReport:
    """Recompute every seal and its rows; the report is also kept for the audit screen."""
    start = _start()
    problems, sealed, count, tail = _check(
        AuditSeal.objects.order_by("number").iterator(chunk_size=100), start
    )
    problems += _witness_problems(pruned_to=start.number)
    if len(problems) > _MAX_MESSAGES:
        more = len(problems) - _MAX_MESSAGES
        problems = [*problems[:_MAX_MESSAGES], f"... and {more} more problems."]
    unsealed = OutboundCall.objects.filter(id__gt=tail.calls_to).count()
    unsealed += ActionRecord.objects.filter(id__gt=tail.actions_to).count()
    report = VerifyReport(
        ok=not problems,
        sealed_rows=sealed,
        unsealed_rows=unsealed,
        seals=count,
        last_seal_hash=tail.seal_hash,
        checked_at=timezone.now(),
        problems=tuple(problems),
        starts_at=start.note,
    )
    cache.set(_LAST_VERIFY_KEY, report, timeout=None)
    return report


def _witness_problems(*, pruned_to: int = 0) -> list[str]:
    """The latest seal the witness file names must still be in the database, unchanged
    (unless a prune removed it)."""
    known = witness_read()
    if known is None or known["number"] <= pruned_to:
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
