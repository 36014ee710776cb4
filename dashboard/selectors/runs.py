"""Reads about runs: lists, progress, results, and what a draft's audience holds."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from dashboard.models import BroadcastPart, Recipient, Run
from dashboard.models.runs import (
    DRAFT,
    DROPPED,
    FAILED,
    NOT_SENT,
    RECIPIENT_STATES,
    SENT,
    SET_ASIDE,
    UNKNOWN,
)
from dashboard.services.audience import reason_text
from dashboard.services.mapping import values_for

DONE = (SENT, FAILED, UNKNOWN, DROPPED, NOT_SENT)
STATE_LABELS = dict(RECIPIENT_STATES)


@dataclass(frozen=True)
class Progress:
    """A run's units (files or recipients) and its recipients, counted by state."""

    units: dict[str, int]
    recipients: dict[str, int]

    @property
    def unit_total(self) -> int:
        return sum(self.units.values())

    @property
    def unit_done(self) -> int:
        return sum(self.units.get(state, 0) for state in DONE)

    @property
    def percent(self) -> int:
        return round(100 * self.unit_done / self.unit_total) if self.unit_total else 100

    def recipients_in(self, state: str) -> int:
        return self.recipients.get(state, 0)

    @property
    def sent(self) -> int:
        return self.recipients_in(SENT)

    @property
    def needs_decision(self) -> int:
        """Recipients who may or may not have been reached."""
        return self.recipients_in(UNKNOWN)

    @property
    def can_resend(self) -> int:
        return self.recipients_in(FAILED) + self.recipients_in(UNKNOWN)

    def rows(self) -> list[tuple[str, str, int]]:
        """(state, label, count) of the recipients, in the states' order."""
        return [
            (state, label, self.recipients[state])
            for state, label in RECIPIENT_STATES
            if self.recipients.get(state)
        ]


def _by_state(queryset: QuerySet) -> dict[str, int]:
    return {
        row["state"]: row["count"]
        for row in queryset.values("state").annotate(count=Count("id")).order_by()
    }


def run_progress(run: Run) -> Progress:
    recipients = _by_state(Recipient.objects.filter(run=run).exclude(state=SET_ASIDE))
    units = _by_state(BroadcastPart.objects.filter(run=run)) if run.is_broadcast else recipients
    return Progress(units, recipients)


def runs_of_kind(kind: str, *, limit: int = 100) -> list[tuple[Run, Progress]]:
    """The newest runs of ``kind`` (drafts too), each with its progress."""
    runs = Run.objects.filter(kind=kind).select_related("template", "flow")[:limit]
    return [(run, run_progress(run)) for run in runs]


def recent_runs(*, limit: int = 5) -> list[tuple[Run, Progress]]:
    """The latest launched runs of either kind, for the overview."""
    runs = Run.objects.exclude(state=DRAFT).select_related("template", "flow")[:limit]
    return [(run, run_progress(run)) for run in runs]


def run_recipients(run: Run, *, state: str, page: int, size: int = 50) -> Page:
    """One page of the run's recipients, in order, of one state (or all but set aside)."""
    recipients = Recipient.objects.filter(run=run)
    recipients = recipients.filter(state=state) if state else recipients.exclude(state=SET_ASIDE)
    return Paginator(recipients.order_by("position"), size).get_page(page)


def set_aside(run: Run, *, limit: int = 100) -> tuple[list[tuple[str, int]], list[Recipient]]:
    """Why people were set aside, with counts, and the first ``limit`` of them."""
    rows = (
        Recipient.objects.filter(run=run, state=SET_ASIDE)
        .values("reason")
        .annotate(count=Count("id"))
        .order_by("-count")
    )
    counts = [(reason_text(row["reason"]), row["count"]) for row in rows]
    people = list(Recipient.objects.filter(run=run, state=SET_ASIDE).order_by("position")[:limit])
    return counts, people


def attribute_names(run: Run, *, sample: int = 2000) -> list[str]:
    """The attribute names the audience's people have (from the first ``sample``)."""
    names: set[str] = set()
    rows = Recipient.objects.filter(run=run).values_list("attributes", flat=True)[:sample]
    for attributes in rows:
        names.update(attributes or {})
    return sorted(names)


def run_export_rows(run: Run) -> tuple[list[str], Iterator[list[object]]]:
    """Every recipient of the run with what they were sent and what came of it."""
    from dashboard.services.runs import run_sources

    slots, sources = run.slots, run_sources(run)
    header = ["position", "user_id", "name", "phone", "state", "reason", "file", "call_id"]
    header += [f"value {slot}" if run.is_broadcast else slot for slot in slots]

    def rows() -> Iterator[list[object]]:
        for r in Recipient.objects.filter(run=run).order_by("position").iterator(chunk_size=2000):
            values = [""] * len(slots)
            if r.state != SET_ASIDE:
                values = values_for(
                    slots, sources, name=r.name, phone=r.phone, attributes=r.attributes
                )
            yield [
                r.position,
                r.user_id,
                r.name,
                r.phone,
                STATE_LABELS.get(r.state, r.state),
                reason_text(r.reason) if r.state == SET_ASIDE else r.reason,
                r.part or "",
                r.call_id or "",
                *values,
            ]

    return header, rows()
