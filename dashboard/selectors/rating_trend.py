"""The rating history for the overview: low ratings per day, and who is new since
yesterday (from what ``record_rating_history`` recorded)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from dashboard.forms.common import local_midnight
from dashboard.models import LowRatingSeen, RatingSnapshot

STARS = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class TrendDay:
    day: date
    counts: tuple[int, ...] | None  # users per rating 1-5 at the day's last record
    percent: float = 0.0  # the day's low count, of the largest, for drawing

    @property
    def low(self) -> int:
        return sum(self.counts[:2]) if self.counts else 0

    @property
    def bar_height(self) -> float:  # in a chart 40 units high
        return round(self.percent * 0.4, 1)

    @property
    def bar_y(self) -> float:
        return round(40 - self.bar_height, 1)


@dataclass(frozen=True)
class RatingTrend:
    days: tuple[TrendDay, ...]
    new_since_yesterday: int
    yesterday: date
    recorded: bool  # any record yet

    @property
    def recorded_days(self) -> list[TrendDay]:
        return [d for d in self.days if d.counts]


def rating_trend(*, days: int, now: datetime | None = None) -> RatingTrend:
    """The last ``days`` days (the viewer's time zone), each with its last record."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    first_day = today - timedelta(days=days - 1)
    by_day: dict[date, tuple[int, ...]] = {}
    for snapshot in RatingSnapshot.objects.filter(taken_at__gte=local_midnight(first_day)):
        counts = tuple(int(snapshot.counts.get(s, 0)) for s in STARS)
        by_day[timezone.localtime(snapshot.taken_at).date()] = counts  # the day's last wins
    largest = max((sum(c[:2]) for c in by_day.values()), default=0) or 1
    trend = tuple(
        TrendDay(
            d, by_day.get(d), round(100 * sum(by_day[d][:2]) / largest, 1) if d in by_day else 0
        )
        for d in (first_day + timedelta(days=i) for i in range(days))
    )
    yesterday = today - timedelta(days=1)
    return RatingTrend(
        days=trend,
        new_since_yesterday=new_low_since(since=local_midnight(yesterday)),
        yesterday=yesterday,
        recorded=RatingSnapshot.objects.exists(),
    )


def new_low(*, since: datetime) -> QuerySet[LowRatingSeen]:
    """Users still low-rated who were first seen at ``since`` or later (the very first
    record is the starting point, not news: the users it found are not counted)."""
    first = RatingSnapshot.objects.order_by("taken_at").values_list("taken_at", flat=True).first()
    found = LowRatingSeen.objects.filter(still_low=True, first_seen_at__gte=since)
    return found.exclude(first_seen_at=first) if first else found.none()


def new_low_since(*, since: datetime) -> int:
    return new_low(since=since).count()
