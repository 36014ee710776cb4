"""The rating history: how many users hold each rating, and when each user was first seen
with a low rating (1-2 stars). Recorded by the periodic task ``record_rating_history``."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard.models import LowRatingSeen, RatingSnapshot
from dashboard.selectors.overview import STARS
from dashboard.selectors.users import UserFilter, users_matching
from technowiz.context import Actor, acting_as

LOW = ("1", "2")
ACTOR = Actor(user_id=None, username="rating history", origin="job:rating-history")


def rating_history_record(*, now: datetime | None = None) -> RatingSnapshot:
    """Ask the platform for each rating's users (fresh lists, audited as the job), then
    record the counts and the low-rated users first seen now, in one transaction.

    Raises ``TechnowizError`` when the platform fails (nothing is recorded then).
    """
    attribute = settings.TECHNOWIZ_RATING_ATTRIBUTE
    with acting_as(ACTOR):
        sets = {
            stars: users_matching(user_filter=UserFilter(attribute, (stars,)), refresh=True)
            for stars in STARS
        }
    now = now or timezone.now()
    low = {u.user_id: stars for stars in LOW for u in sets[stars].users}
    with transaction.atomic():
        snapshot = RatingSnapshot.objects.create(
            taken_at=now, counts={stars: len(s.users) for stars, s in sets.items()}
        )
        _low_remember(low, now)
    return snapshot


def _low_remember(low: dict[str, str], now: datetime) -> None:
    """New low-rated users get ``first_seen_at = now``; the others keep theirs, with their
    latest stars and whether they are still low."""
    known = {row.user_id: row for row in LowRatingSeen.objects.all()}
    LowRatingSeen.objects.bulk_create(
        [
            LowRatingSeen(user_id=uid, first_seen_at=now, stars=s)
            for uid, s in low.items()
            if uid not in known
        ],
        batch_size=1000,
    )
    changed = []
    for uid, row in known.items():
        still_low, stars = uid in low, low.get(uid, row.stars)
        if (row.still_low, row.stars) != (still_low, stars):
            row.still_low, row.stars = still_low, stars
            changed.append(row)
    LowRatingSeen.objects.bulk_update(changed, ["still_low", "stars"], batch_size=1000)
