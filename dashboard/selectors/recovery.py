"""Reads for the overview's outcome cards: the recovery rate, and who still needs a follow-up.

- Recovery rate: of the 1-2 star users a run contacted (sent, and read back since), the
  share whose rating went up, per template, per flow and per person who launched, over
  the last 7 and 30 days (by launch time).
- Follow-up list: users rated 1 or 2 now, with a WhatsApp phone, whom no broadcast or
  flow run has contacted (sent, unknown or being sent), newest activity first.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from dashboard.models import Outcome, Recipient
from dashboard.models.runs import BROADCAST, SENDING, SENT, TRIGGER, UNKNOWN
from dashboard.selectors.matched_set import UserFilter
from dashboard.selectors.users import users_matching_each
from technowiz.types import User

WINDOWS = (7, 30)
UNHAPPY = ("1", "2")
_CHUNK = 500  # phones asked about in one query


@dataclass(frozen=True)
class RecoveryRow:
    label: str
    contacted: tuple[int, int]  # over 7 and 30 days
    improved: tuple[int, int]

    @property
    def windows(self) -> list[tuple[int, int, int | None]]:
        """(contacted, improved, percent or None) for 7 and 30 days."""
        return [
            (c, i, round(100 * i / c) if c else None)
            for c, i in zip(self.contacted, self.improved, strict=True)
        ]


@dataclass(frozen=True)
class Recovery:
    by_template: list[RecoveryRow]
    by_flow: list[RecoveryRow]
    by_person: list[RecoveryRow]

    @property
    def groups(self) -> list[tuple[str, list[RecoveryRow]]]:
        return [
            ("Template", self.by_template),
            ("Flow", self.by_flow),
            ("Launched by", self.by_person),
        ]


def recovery_rates(*, now: datetime | None = None) -> Recovery:
    now = now or timezone.now()
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    contacted = Outcome.objects.filter(
        recipient__state=SENT,
        rating_before__in=(1, 2),
        run__launched_at__gte=since[max(WINDOWS)],
    )
    went_up = Q(rerated_value__gt=F("rating_before"))
    counts = {}
    for days in WINDOWS:
        recent = Q(run__launched_at__gte=since[days])
        counts[f"c{days}"] = Count("pk", filter=recent)
        counts[f"i{days}"] = Count("pk", filter=recent & went_up)

    def rows(queryset, field: str) -> list[RecoveryRow]:
        grouped = queryset.values(field).annotate(**counts).order_by(field)
        return [
            RecoveryRow(
                row[field] or "—",
                tuple(row[f"c{d}"] for d in WINDOWS),
                tuple(row[f"i{d}"] for d in WINDOWS),
            )
            for row in grouped
        ]

    return Recovery(
        by_template=rows(contacted.filter(run__kind=BROADCAST), "run__template__name"),
        by_flow=rows(contacted.filter(run__kind=TRIGGER), "run__flow__name"),
        by_person=rows(contacted, "run__launched_by_name"),
    )


@dataclass(frozen=True)
class FollowUp:
    users: list[tuple[User, str]]  # the first ones and their stars, newest activity first
    total: int


def follow_up_list(*, limit: int = 10) -> FollowUp:
    """Unhappy users not yet contacted. Reads the 1 and 2 star lists the overview's rating
    card has just fetched (cached); raises ``TechnowizError`` if they must be asked for
    and the platform fails."""
    attribute = settings.TECHNOWIZ_RATING_ATTRIBUTE
    sets = users_matching_each([UserFilter(attribute, (stars,)) for stars in UNHAPPY])
    unhappy = sorted(
        ((user, s.filter.values[0]) for s in sets for user in s.users if user.phone),
        key=lambda pair: pair[0].last_active_at.timestamp() if pair[0].last_active_at else 0,
        reverse=True,
    )
    waiting: list[tuple[User, str]] = []
    for start in range(0, len(unhappy), _CHUNK):
        waiting += _not_contacted(unhappy[start : start + _CHUNK])
    return FollowUp(waiting[:limit], len(waiting))


def _not_contacted(users: Sequence[tuple[User, str]]) -> list[tuple[User, str]]:
    contacted = set(
        Recipient.objects.filter(
            phone__in=[u.phone for u, _ in users], state__in=(SENT, UNKNOWN, SENDING)
        ).values_list("phone", flat=True)
    )
    return [(u, stars) for u, stars in users if u.phone not in contacted]
