"""Broadcasts and flow runs, from the audience to the launch, and a person's decisions.

Nothing reaches a customer until :func:`run_launch`: a draft holds the audience (with
who is set aside and why), the template or flow, and where each value comes from. The
launch is one transaction guarded by the draft's key, so a double-clicked or replayed
confirm launches it once; the worker (``dashboard.tasks.work_run``) sends after it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from dashboard.models import BroadcastPart, Flow, Recipient, Run, WhatsAppTemplate
from dashboard.models.runs import (
    ACTIVE_STATES,
    BROADCAST,
    CANCELLED,
    DRAFT,
    DROPPED,
    FAILED,
    NOT_SENT,
    PAUSED,
    PENDING,
    QUEUED,
    SET_ASIDE,
    TRIGGER,
    UNKNOWN,
)
from dashboard.services.actions import action_record
from dashboard.services.audience import RECENT, Member, members_checked
from dashboard.services.mapping import Source, default_sources, values_for
from technowiz.audience import MAX_BROADCAST_BYTES, MAX_BROADCAST_ROWS

RUN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,54}$")
# Room in a file for the header and CSV quoting beyond the values themselves.
_FILE_BUDGET = MAX_BROADCAST_BYTES - 64 * 1024


class LaunchRefused(ValueError):
    """The run cannot be launched as it is; the message says what to change."""


def _name(person: AbstractBaseUser) -> str:
    return (person.get_full_name() or person.get_username())[:150]


def draft_create(
    *, kind: str, person: AbstractBaseUser, members: Sequence[Member], audience: str
) -> Run:
    """A draft run for ``members``: each checked, and set aside with a reason if need be."""
    if kind not in (BROADCAST, TRIGGER):
        raise ValueError(f"unknown run kind {kind!r}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    with transaction.atomic():
        run = Run.objects.create(
            kind=kind,
            name=f"{kind}-{stamp}",
            audience=audience[:300],
            created_by=person,
            created_by_name=_name(person),
        )
        Recipient.objects.bulk_create(
            (
                Recipient(
                    run=run,
                    position=position,
                    user_id=item.member.user_id[:200],
                    name=item.member.name[:200],
                    phone=item.phone,
                    attributes=item.member.attributes,
                    state=SET_ASIDE if item.set_aside else PENDING,
                    reason=item.set_aside,
                )
                for position, item in enumerate(members_checked(members), start=1)
            ),
            batch_size=2000,
        )
    return run


def draft_choose(
    run: Run, *, template: WhatsAppTemplate | None = None, flow: Flow | None = None
) -> None:
    """Choose what the draft sends; each value starts from a guess the person can change."""
    with transaction.atomic():
        _lock_draft(run)
        run.template, run.flow = template, flow
        names = set()
        for attributes in Recipient.objects.filter(run=run).values_list("attributes", flat=True)[
            :2000
        ]:
            names.update(attributes or {})
        guesses = default_sources(run.slots, names)
        run.mapping = {slot: source.as_json() for slot, source in guesses.items()}
        run.save(update_fields=["template", "flow", "mapping"])


def draft_configure(
    run: Run, *, name: str, sources: dict[str, Source], include_recent: bool
) -> None:
    """Save where each value comes from; recently contacted people join or leave."""
    with transaction.atomic():
        _lock_draft(run)
        run.name = name
        run.mapping = {slot: source.as_json() for slot, source in sources.items()}
        run.include_recent = include_recent
        run.save(update_fields=["name", "mapping", "include_recent"])
        recent = Recipient.objects.filter(run=run, reason=RECENT)
        if include_recent:
            recent.filter(state=SET_ASIDE).update(state=PENDING)
        else:
            recent.filter(state=PENDING).update(state=SET_ASIDE)


def _lock_draft(run: Run) -> None:
    if Run.objects.select_for_update().get(pk=run.pk).state != DRAFT:
        raise LaunchRefused("This run was launched already; it can no longer be changed.")


def run_sources(run: Run) -> dict[str, Source]:
    return {slot: Source.from_json(run.mapping.get(slot)) for slot in run.slots}


@dataclass(frozen=True)
class Preview:
    """What some recipients will get, and who would get an empty value."""

    samples: list[tuple[Recipient, list[str]]]
    empty: list[tuple[Recipient, list[str]]]  # the first few, with the empty slots' names
    empty_count: int
    recipients: int


def run_preview(run: Run, *, samples: int = 5, shown_empty: int = 50) -> Preview:
    """The values of the first recipients, and every recipient with an empty value."""
    slots, sources = run.slots, run_sources(run)
    first, empty, empty_count, total = [], [], 0, 0
    for recipient in Recipient.objects.filter(run=run, state=PENDING).iterator(chunk_size=2000):
        total += 1
        values = _values(recipient, slots, sources)
        missing = [slot for slot, value in zip(slots, values, strict=True) if not value]
        if len(first) < samples:
            first.append((recipient, values))
        if missing:
            empty_count += 1
            if len(empty) < shown_empty:
                empty.append((recipient, missing))
    return Preview(first, empty, empty_count, total)


def _values(recipient: Recipient, slots: list[str], sources: dict[str, Source]) -> list[str]:
    return values_for(
        slots,
        sources,
        name=recipient.name,
        phone=recipient.phone,
        attributes=recipient.attributes,
    )


def how_sent(run: Run, recipients: int) -> str:
    """In words, how the launch will reach the platform."""
    if run.is_broadcast:
        files = -(-recipients // MAX_BROADCAST_ROWS) or 1
        return (
            f"{files} file{'s' if files != 1 else ''} of at most {MAX_BROADCAST_ROWS:,} people "
            "and 5 MB, one platform call each, by the background worker; never re-sent "
            "automatically."
        )
    return (
        f"One platform call per person, up to {settings.RUN_CONCURRENCY} at a time within the "
        f"platform's rate limit ({settings.TECHNOWIZ_RATE_LIMIT:g} a second), by the background "
        "worker; never re-sent automatically."
    )


def launch_problems(run: Run, preview: Preview) -> list[str]:
    """Why the run cannot be launched yet (nothing: it can)."""
    problems = []
    if run.is_broadcast and not (run.template and run.template.active):
        problems.append("Choose an active template.")
    if not run.is_broadcast and not (run.flow and run.flow.active):
        problems.append("Choose an active flow.")
    if not RUN_NAME.match(run.name):
        problems.append("Give the run a name of 1-54 letters, digits, _ or -.")
    if not preview.recipients:
        problems.append("Nobody would receive it: everyone is set aside.")
    if preview.empty_count:
        problems.append(
            f"{preview.empty_count:,} recipient{'s' if preview.empty_count != 1 else ''} would "
            "get an empty value: give those values a fallback, or choose another source."
        )
    return problems


def run_launch(run: Run, *, key: str, person: AbstractBaseUser) -> tuple[Run, bool]:
    """Launch the draft whose confirm form carried ``key``: ``(run, True)`` once, and
    ``(run, False)`` for every replay. Raises LaunchRefused while it cannot be sent."""
    from dashboard.tasks import work_run

    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if str(run.key) != key:
            raise LaunchRefused("This confirmation is out of date: review the run again.")
        if run.state != DRAFT:
            return run, False
        problems = launch_problems(run, run_preview(run, samples=0, shown_empty=0))
        if problems:
            raise LaunchRefused(" ".join(problems))
        if run.is_broadcast:
            _split_into_files(run)
        run.state, run.launched_by, run.launched_by_name = QUEUED, person, _name(person)
        run.launched_at = timezone.now()
        run.save(update_fields=["state", "launched_by", "launched_by_name", "launched_at"])
        _record(
            run,
            "run.launch",
            drafted_by=run.created_by_name,
            recipients=run.recipients.exclude(state=SET_ASIDE).count(),
        )
        # In the same transaction (the task queue is this database): a launch is never
        # committed without its task, whatever happens to this process next.
        work_run.enqueue(run.pk)
    return run, True


def _split_into_files(run: Run) -> None:
    """Files of at most 10,000 rows and 5 MB (``<name>-part-N``), in recipient order."""
    slots, sources = run.slots, run_sources(run)
    files: list[tuple[int, int, int]] = []  # (first position, last position, rows)
    size = rows = 0
    for recipient in Recipient.objects.filter(run=run, state=PENDING).iterator(chunk_size=2000):
        row = len(recipient.phone) + sum(
            len(value.encode()) + 3 for value in _values(recipient, slots, sources)
        )
        if not files or rows == MAX_BROADCAST_ROWS or size + row > _FILE_BUDGET:
            files.append((recipient.position, recipient.position, 0))
            size = rows = 0
        size, rows = size + row, rows + 1
        files[-1] = (files[-1][0], recipient.position, rows)
    for number, (first, last, count) in enumerate(files, start=1):
        Recipient.objects.filter(
            run=run, state=PENDING, position__gte=first, position__lte=last
        ).update(part=number)
        BroadcastPart.objects.create(run=run, number=number, rows=count)


def _record(run: Run, action: str, **detail: object) -> None:
    """The action log's row for a person's decision about ``run`` (in its transaction)."""
    action_record(
        action=action,
        object_type="run",
        object_id=run.pk,
        object_label=f"{run.get_kind_display()} {run.name}",
        detail=detail,
    )


def run_pause(run: Run) -> bool:
    with transaction.atomic():
        paused = Run.objects.filter(pk=run.pk, state__in=ACTIVE_STATES).update(state=PAUSED)
        if paused:
            _record(run, "run.pause", before=run.state)
    return bool(paused)


def run_resume(run: Run) -> bool:
    from dashboard.tasks import work_run

    with transaction.atomic():
        resumed = Run.objects.filter(pk=run.pk, state=PAUSED).update(state=QUEUED)
        if resumed:
            work_run.enqueue(run.pk)  # with the state change, as at the launch
            _record(run, "run.resume")
    return bool(resumed)


def run_cancel(run: Run) -> bool:
    """Stop before the next unit: what is waiting is marked not sent."""
    from dashboard.services.readback import readbacks_schedule

    ended_at = timezone.now()
    with transaction.atomic():
        if not Run.objects.filter(pk=run.pk, state__in=(*ACTIVE_STATES, PAUSED)).update(
            state=CANCELLED, finished_at=ended_at
        ):
            return False
        not_sent = Recipient.objects.filter(run=run, state=PENDING).update(state=NOT_SENT)
        BroadcastPart.objects.filter(run=run, state=PENDING).update(state=NOT_SENT)
        _record(run, "run.cancel", before=run.state, not_sent=not_sent)
        readbacks_schedule(run, ended_at=ended_at)  # for those sent before it stopped
    return True


def run_drop_unknown(run: Run) -> int:
    """A person decided not to re-send what may or may not have gone out."""
    with transaction.atomic():
        BroadcastPart.objects.filter(run=run, state=UNKNOWN).update(state=DROPPED)
        dropped = Recipient.objects.filter(run=run, state=UNKNOWN).update(state=DROPPED)
        if dropped:
            _record(run, "run.drop_unknown", dropped=dropped)
        return dropped


def run_resend(run: Run, *, person: AbstractBaseUser) -> Run:
    """A new draft for the failed and unknown recipients of ``run``, with the same
    template or flow and values: it is sent only when a person confirms it."""
    chosen = Recipient.objects.filter(run=run, state__in=(FAILED, UNKNOWN))
    members = [
        Member(user_id=r.user_id, name=r.name, phone=r.phone, attributes=r.attributes)
        for r in chosen
    ]
    if not members:
        raise LaunchRefused("Nobody in this run failed or is unknown: there is nothing to re-send.")
    draft = draft_create(
        kind=run.kind, person=person, members=members, audience=f"Re-send of “{run.name}”"
    )
    draft.resend_of, draft.template, draft.flow = run, run.template, run.flow
    draft.save(update_fields=["resend_of", "template", "flow"])
    # The same values; and they were contacted by this very run: include them.
    draft_configure(
        draft, name=f"{run.name[:47]}-resend", sources=run_sources(run), include_recent=True
    )
    _record(run, "run.resend", draft=draft.pk, recipients=len(members))
    return draft
