"""Sending a launched run: what ``manage.py db_worker`` does for ``dashboard.tasks.work_run``.

Safety comes from our own tables, not the task queue (django-tasks-db leaves a killed
task "running" forever):

- Each unit (a broadcast file, a trigger recipient) is claimed in its own transaction
  (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's IMMEDIATE
  transactions serialise writers, so a claim there is exclusive too) and committed as
  ``sending``, with the id of the call it is about to make, before the call.
- A worker holds a lease on the run, renewed while it lives. Any worker that finds an
  expired lease turns the units that lease's owner left ``sending`` into ``unknown``:
  they may or may not have reached the platform, so nothing is sent again without a
  person deciding. Then it sends what is still ``pending``.
- Every worker that starts on a run queues a follow-up for when a lease would have
  expired: it takes over if this worker died, helps if there is still work, and ends at
  once if the run is over.
"""

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from dashboard.models import BroadcastPart, Recipient, Run, RunLease
from dashboard.models.runs import (
    ACTIVE_STATES,
    FAILED,
    FINISHED,
    PENDING,
    QUEUED,
    RUNNING,
    SENDING,
    SENT,
    UNKNOWN,
)
from dashboard.services.mapping import values_for
from dashboard.services.readback import readbacks_schedule
from dashboard.services.runs import run_sources
from technowiz.client import get_client
from technowiz.context import Actor, acting_as
from technowiz.errors import TechnowizError
from technowiz.types import BroadcastReceipt

logger = logging.getLogger("dashboard.runs")

STOPPED_DURING_CALL = (
    "The worker sending this stopped during the call: it may or may not have reached the "
    "platform. Check the conversation, then re-send or drop it."
)


def work(run_id: int) -> None:
    """Work on run ``run_id`` until nothing is left for this worker to send."""
    from dashboard.tasks import work_run

    run = Run.objects.filter(pk=run_id).first()
    if run is None or run.state not in ACTIVE_STATES:
        return
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    # The follow-up first: should this worker die from here on, it comes back for the run.
    follow_up = timezone.now() + timedelta(seconds=2 * settings.RUN_LEASE_SECONDS)
    work_run.using(run_after=follow_up).enqueue(run.pk)
    reap_expired(run)
    RunLease.objects.create(run=run, owner=owner, expires_at=_lease_end())
    Run.objects.filter(pk=run.pk, state=QUEUED).update(state=RUNNING)
    actor = Actor(run.launched_by_id, run.launched_by_name or "system", f"job:run-{run.pk}")
    try:
        with acting_as(actor):
            _send_all(run, owner)
    finally:
        release(run, owner)
        finish_if_done(run)


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.RUN_LEASE_SECONDS)


def _send_all(run: Run, owner: str) -> None:
    """Senders on threads (one for a broadcast's files, ``RUN_CONCURRENCY`` for flows)
    while this thread renews the lease until the last sender ends. Senders stop claiming
    once the lease is lost (another worker took this one for dead)."""
    senders = 1 if run.is_broadcast else max(settings.RUN_CONCURRENCY, 1)
    send = _send_files if run.is_broadcast else _send_triggers
    renew_every = settings.RUN_LEASE_SECONDS / 3
    lost = threading.Event()
    failures: list[BaseException] = []
    with ThreadPoolExecutor(senders, thread_name_prefix=f"run-{run.pk}") as pool:
        pending = {
            pool.submit(copy_context().run, _on_own_connection, send, run, owner, lost)
            for _ in range(senders)
        }
        while pending:
            done, pending = wait(pending, timeout=renew_every)
            failures += [f.exception() for f in done if f.exception() is not None]
            renewed = RunLease.objects.filter(run=run, owner=owner).update(expires_at=_lease_end())
            if not renewed:
                lost.set()
    if failures:
        raise failures[0]  # once every sender has ended and recorded its call


def _on_own_connection(send: object, run: Run, owner: str, lost: threading.Event) -> None:
    try:
        send(run, owner, lost)  # type: ignore[operator]
    finally:
        connection.close()  # this thread's connection


def _claim[M: Model](units: QuerySet[M], owner: str) -> M | None:
    """The next pending unit, committed as ``sending`` by ``owner`` with its call id."""
    with transaction.atomic():
        unit = (
            units.filter(state=PENDING, run__state__in=ACTIVE_STATES)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .first()
        )
        if unit is None:
            return None
        unit.state, unit.claimed_by, unit.call_id = SENDING, owner, uuid.uuid4()
        unit.save(update_fields=["state", "claimed_by", "call_id"])
    return unit


def _outcome(error: TechnowizError | None) -> tuple[str, str]:
    if error is None:
        return SENT, ""
    state = UNKNOWN if error.outcome == "unknown" else FAILED
    return state, (f"{error.message} ({error.detail})" if error.detail else error.message)[:300]


def _record[M: Model](model: type[M], unit: M, owner: str, state: str, reason: str) -> None:
    """The unit's outcome; it also replaces an ``unknown`` that a worker who thought this
    one dead wrote meanwhile (the real outcome is the better record)."""
    model.objects.filter(pk=unit.pk, claimed_by=owner, state__in=(SENDING, UNKNOWN)).update(
        state=state, reason=reason, sent_at=timezone.now()
    )


def _send_triggers(run: Run, owner: str, lost: threading.Event) -> None:
    flow, slots, sources = run.flow, run.slots, run_sources(run)
    client = get_client()
    while not lost.is_set() and (recipient := _claim(Recipient.objects.filter(run=run), owner)):
        values = values_for(
            slots,
            sources,
            name=recipient.name,
            phone=recipient.phone,
            attributes=recipient.attributes,
        )
        error = None
        try:
            client.trigger_flow(
                flow.key,
                phone=recipient.phone,
                attributes=dict(zip(slots, values, strict=True)),
                call_id=recipient.call_id,
            )
        except TechnowizError as exc:
            error = exc
        _record(Recipient, recipient, owner, *_outcome(error))


def _send_files(run: Run, owner: str, lost: threading.Event) -> None:
    slots, sources = run.slots, run_sources(run)
    client = get_client()
    while not lost.is_set() and (part := _claim(BroadcastPart.objects.filter(run=run), owner)):
        people = list(Recipient.objects.filter(run=run, part=part.number).order_by("position"))
        rows = [
            (
                r.phone,
                values_for(slots, sources, name=r.name, phone=r.phone, attributes=r.attributes),
            )
            for r in people
        ]
        receipt, error = None, None
        try:
            receipt = client.broadcast(
                f"{run.name}-part-{part.number}",
                template_name=run.template.name,
                language=run.template.language,
                rows=rows,
                call_id=part.call_id,
            )
        except TechnowizError as exc:
            error = exc
        state, reason = _outcome(error)
        with transaction.atomic():
            _record(BroadcastPart, part, owner, state, reason)
            if receipt is not None:
                BroadcastPart.objects.filter(pk=part.pk).update(
                    accepted_count=receipt.accepted_count, rejected_count=len(receipt.rejected)
                )
            _record_people(run, part.number, people, state, reason, receipt)


def _record_people(
    run: Run,
    number: int,
    people: list[Recipient],
    state: str,
    reason: str,
    receipt: BroadcastReceipt | None,
) -> None:
    """The file's outcome on each of its people; rows the platform refused are failed."""
    refused = {}
    if receipt is not None:
        for row in receipt.rejected:
            if 1 <= row.row <= len(people):
                refused[people[row.row - 1].pk] = f"Refused by the platform: {row.reason}"[:300]
    in_file = Recipient.objects.filter(run=run, part=number)
    in_file.exclude(pk__in=refused).update(state=state, reason=reason, sent_at=timezone.now())
    for pk, why in refused.items():
        in_file.filter(pk=pk).update(state=FAILED, reason=why, sent_at=timezone.now())


def reap_expired(run: Run) -> int:
    """Units left ``sending`` by workers whose lease expired (or is gone) become
    ``unknown``; the expired leases are removed. Returns how many units."""
    with transaction.atomic():
        expired = RunLease.objects.filter(run=run, expires_at__lt=timezone.now())
        dead = list(expired.values_list("owner", flat=True))
        expired.delete()
        alive = RunLease.objects.filter(run=run).values_list("owner", flat=True)
        count = _left_unknown(run, Q(claimed_by__in=dead) | ~Q(claimed_by__in=alive))
    if count:
        logger.warning("run %s: %s unit(s) left sending by a stopped worker", run.pk, count)
    return count


def release(run: Run, owner: str) -> None:
    """This worker stops: what it still has ``sending`` (a sender that failed) is unknown."""
    with transaction.atomic():
        _left_unknown(run, Q(claimed_by=owner))
        RunLease.objects.filter(run=run, owner=owner).delete()


def _left_unknown(run: Run, whose: Q) -> int:
    """Units ``sending`` for ``whose`` become ``unknown`` (a file's people with it)."""
    files = BroadcastPart.objects.filter(whose, run=run, state=SENDING)
    numbers = list(files.values_list("number", flat=True))
    count = files.update(state=UNKNOWN, reason=STOPPED_DURING_CALL)
    Recipient.objects.filter(run=run, part__in=numbers).update(
        state=UNKNOWN, reason=STOPPED_DURING_CALL
    )
    people = Recipient.objects.filter(whose, run=run, state=SENDING)
    return count + people.update(state=UNKNOWN, reason=STOPPED_DURING_CALL)


def finish_if_done(run: Run) -> bool:
    """Mark the run finished once nothing is waiting or in flight and no worker is on it."""
    units = BroadcastPart if run.is_broadcast else Recipient
    with transaction.atomic():
        reap_expired(run)
        busy = units.objects.filter(run=run, state__in=(PENDING, SENDING)).exists()
        if busy or RunLease.objects.filter(run=run).exists():
            return False
        ended_at = timezone.now()
        if not Run.objects.filter(pk=run.pk, state__in=ACTIVE_STATES).update(
            state=FINISHED, finished_at=ended_at
        ):
            return False
        readbacks_schedule(run, ended_at=ended_at)  # with the end: never one without the other
        return True
