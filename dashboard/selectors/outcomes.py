"""Reads about what came of a run: read-back counts, and who was reached, replied, re-rated."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q

from dashboard.models import Outcome, ReadBack, Recipient, Run

#: The lists a person can open, in the order they are shown.
WHICH = {
    "reached": "Reached",
    "not_reached": "Not reached",
    "replied": "Replied",
    "rerated": "Re-rated",
}
_FILTERS = {
    "reached": Q(reached_at__isnull=False),
    "not_reached": Q(reached_at__isnull=True, problem=""),
    "replied": Q(replied_at__isnull=False),
    "rerated": Q(rerated_value__isnull=False),
}
_ORDER = {
    "reached": "reached_at",
    "not_reached": "recipient__position",
    "replied": "replied_at",
    "rerated": "rerated_at",
}


@dataclass(frozen=True)
class OutcomeCounts:
    read: int  # recipients read back at least once
    reached: int
    not_reached: int
    replied: int
    rerated: int
    improved: int  # re-rated higher than at the send
    unreadable: int  # the last read of their conversation failed
    rounds: list[ReadBack]

    @property
    def lists(self) -> list[tuple[str, str, int]]:
        """(key, label, count) of each list a person can open."""
        return [(key, label, getattr(self, key)) for key, label in WHICH.items()]

    @property
    def next_round(self) -> ReadBack | None:
        return next((r for r in self.rounds if not r.finished_at), None)


def run_outcomes(run: Run) -> OutcomeCounts:
    counts = Outcome.objects.filter(run=run).aggregate(
        read=Count("pk"),
        unreadable=Count("pk", filter=~Q(problem="")),
        improved=Count("pk", filter=Q(rerated_value__gt=F("rating_before"))),
        **{which: Count("pk", filter=rule) for which, rule in _FILTERS.items()},
    )
    return OutcomeCounts(**counts, rounds=list(ReadBack.objects.filter(run=run)))


def user_id_of(recipient: Recipient) -> str:
    """The platform's id: the one we hold, else a WhatsApp user's phone digits."""
    return recipient.user_id or recipient.phone.lstrip("+")


@dataclass(frozen=True)
class OutcomeRow:
    outcome: Outcome
    user_id: str  # the platform's id of the recipient
    at: datetime | None  # when it happened (reached, replied, re-rated)
    message: str  # the message that shows it, if any

    @property
    def at_ms(self) -> int | None:
        return int(self.at.timestamp() * 1000) if self.at else None


def run_outcome_people(run: Run, *, which: str, page: int | str, size: int = 50) -> Page:
    """One page of the recipients in list ``which`` (a key of ``WHICH``), each as an
    ``OutcomeRow`` with the time and message of what put them there."""
    outcomes = (
        Outcome.objects.filter(_FILTERS[which], run=run)
        .select_related("recipient")
        .order_by(_ORDER[which], "pk")
    )
    shown = Paginator(outcomes, size).get_page(page)
    field = which if which != "not_reached" else ""
    shown.object_list = [
        OutcomeRow(
            o,
            user_id_of(o.recipient),
            getattr(o, f"{field}_at", None),
            getattr(o, f"{field}_message", ""),
        )
        for o in shown.object_list
    ]
    return shown
