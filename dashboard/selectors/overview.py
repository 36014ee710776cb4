"""Reads for the overview: the rating distribution and the platform's health."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from dashboard.selectors.users import UserFilter, users_matching_each
from technowiz.models import OUTCOMES, PENDING, OutboundCall

STARS = ("1", "2", "3", "4", "5")
FAILED_OUTCOMES = tuple(name for name, _ in OUTCOMES if name not in ("ok", PENDING))


@dataclass(frozen=True)
class RatingBar:
    stars: str
    count: int
    percent: float  # of the largest bar, for drawing


@dataclass(frozen=True)
class RatingDistribution:
    bars: tuple[RatingBar, ...]
    fetched_age_seconds: int

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def needs_attention(self) -> int:
        return sum(bar.count for bar in self.bars if bar.stars in ("1", "2"))


def rating_distribution() -> RatingDistribution:
    """How many users gave each star value: one cached user set per value.

    Raises ``TechnowizError`` when the platform must be asked and fails.
    """
    attribute = settings.TECHNOWIZ_RATING_ATTRIBUTE
    # The lists not in the cache are asked for at once: one latency, not five.
    sets = users_matching_each([UserFilter(attribute, (stars,)) for stars in STARS])
    counts = [len(s.users) for s in sets]
    largest = max(counts) or 1
    bars = tuple(
        RatingBar(stars, count, round(100 * count / largest, 1))
        for stars, count in zip(STARS, counts, strict=True)
    )
    return RatingDistribution(bars, max(s.age_seconds for s in sets))


@dataclass(frozen=True)
class PlatformHealth:
    calls_last_hour: int
    failed_last_hour: int
    last_error: OutboundCall | None

    @property
    def error_rate(self) -> float:
        return self.failed_last_hour / self.calls_last_hour if self.calls_last_hour else 0.0


def platform_health(*, now: datetime | None = None) -> PlatformHealth:
    """Calls to the platform in the last hour, how many failed, and the last failure."""
    since = (now or timezone.now()) - timedelta(hours=1)
    failed = Q(outcome__in=FAILED_OUTCOMES)
    stats = OutboundCall.objects.filter(started_at__gte=since).aggregate(
        calls=Count("id"), failed=Count("id", filter=failed)
    )
    # The newest row of each failed outcome (the outcome index), then the newest of
    # those: a scan for "anything not ok" would read every row since the last failure,
    # and failures are rare in a healthy log.
    newest = [
        OutboundCall.objects.filter(outcome=outcome).order_by("-started_at", "-id").first()
        for outcome in FAILED_OUTCOMES
    ]
    found = [call for call in newest if call is not None]
    last_error = max(found, key=lambda call: (call.started_at, call.pk), default=None)
    return PlatformHealth(stats["calls"], stats["failed"], last_error)
