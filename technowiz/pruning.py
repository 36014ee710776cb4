"""Retention: ``manage.py audit_prune --before DATE`` removes the oldest sealed blocks.

Only whole blocks go, from the start of the chain, and only blocks whose every row
(call or action) is older than the date; unsealed rows older than the date make it
refuse, and so does a log that does not verify (a prune must not erase the evidence
of tampering). What went is kept in an ``AuditPrune`` record (the seals and ids removed,
the last removed seal's hash, who, when) under an HMAC with ``AUDIT_SEAL_KEY``: the
verifier starts the remaining chain from it and says so.

On PostgreSQL the append-only triggers refuse DELETE of sealed rows; this is the one
sanctioned way past them: the deletes run in a transaction that sets
``technowiz.pruning`` (``SET LOCAL``), which the trigger function checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from technowiz.models import ActionRecord, AuditPrune, AuditSeal, OutboundCall
from technowiz.sealing import audit_verify, chain_tail, key_id_of, prune_hash_of


class PruneRefused(RuntimeError):
    """Nothing was removed; the message says why and what to do."""


@dataclass(frozen=True)
class PruneResult:
    record: AuditPrune | None  # None: no whole block was old enough

    @property
    def summary(self) -> str:
        if self.record is None:
            return "Nothing to prune: no whole sealed block is older than that date."
        r = self.record
        return (
            f"Pruned seals #{r.seals_from}-#{r.seals_to}: {r.calls_removed} calls (up to "
            f"#{r.calls_to}) and {r.actions_removed} actions (up to #{r.actions_to}). "
            f"Last removed seal hash {r.last_seal_hash}; recorded as prune #{r.number}."
        )


def _unsealed_before(before: datetime) -> tuple[int, int]:
    tail = chain_tail()
    calls = OutboundCall.objects.filter(id__gt=tail.calls_to, started_at__lt=before).count()
    actions = ActionRecord.objects.filter(id__gt=tail.actions_to, created_at__lt=before).count()
    return calls, actions


def _prunable(before: datetime) -> list[AuditSeal]:
    """The seals from the start of the chain whose rows are all older than ``before``."""
    first_call = OutboundCall.objects.filter(started_at__gte=before).aggregate(m=Min("id"))["m"]
    first_action = ActionRecord.objects.filter(created_at__gte=before).aggregate(m=Min("id"))["m"]
    seals = []
    for seal in AuditSeal.objects.order_by("number").iterator(chunk_size=500):
        calls_old = seal.last_id is None or first_call is None or seal.last_id < first_call
        actions_old = (
            seal.actions_last_id is None
            or first_action is None
            or seal.actions_last_id < first_action
        )
        if not (calls_old and actions_old):
            break
        seals.append(seal)
    return seals


def audit_prune(*, before: datetime, username: str) -> PruneResult:
    """Remove the whole sealed blocks older than ``before``; see the module docstring."""
    calls, actions = _unsealed_before(before)
    if calls or actions:
        raise PruneRefused(
            f"{calls} calls and {actions} actions before {before:%Y-%m-%d} are not sealed yet: "
            "run manage.py audit_seal first. Nothing was removed."
        )
    report = audit_verify()
    if not report.ok:
        raise PruneRefused(
            "The audit log does not verify; pruning now would erase the evidence. "
            "Nothing was removed. Problems: " + " ".join(report.problems)
        )
    seals = _prunable(before)
    if not seals:
        return PruneResult(None)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what the append-only triggers let through
                cursor.execute("SET LOCAL technowiz.pruning = 'on'")
        previous = AuditPrune.objects.select_for_update().order_by("-number").first()
        last = seals[-1]
        bounds = AuditSeal.objects.filter(number__lte=last.number).aggregate(
            calls=Max("last_id"), actions=Max("actions_last_id")
        )
        calls_to = max(bounds["calls"] or 0, previous.calls_to if previous else 0)
        actions_to = max(bounds["actions"] or 0, previous.actions_to if previous else 0)
        # Past the application's refusal (AppendOnlyQuerySet.delete): the plain delete.
        removed_calls, _ = models.QuerySet.delete(OutboundCall.objects.filter(id__lte=calls_to))
        removed_actions, _ = models.QuerySet.delete(ActionRecord.objects.filter(id__lte=actions_to))
        models.QuerySet.delete(AuditSeal.objects.filter(number__lte=last.number))
        person = get_user_model().objects.filter(username=username).first()
        record = AuditPrune(
            number=(previous.number + 1) if previous else 1,
            before=before,
            seals_from=seals[0].number,
            seals_to=last.number,
            calls_to=calls_to,
            actions_to=actions_to,
            calls_removed=removed_calls,
            actions_removed=removed_actions,
            last_seal_hash=last.seal_hash,
            user=person,
            username=username[:150],
            created_at=timezone.now(),
            key_id=key_id_of(settings.AUDIT_SEAL_KEY),
        )
        record.record_hash = prune_hash_of(record, settings.AUDIT_SEAL_KEY)
        record.save()
        if connection.vendor == "postgresql":
            # Off again at once: inside an outer transaction, SET LOCAL would outlive ours.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL technowiz.pruning = 'off'")
    return PruneResult(record)
