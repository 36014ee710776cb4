"""A rating's comment and time, read from the user's conversation (the platform has no
attribute for them): one user at a time, only when their row is on screen, through the
client (so under its rate limit), and kept in the shared cache."""

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256

from django.core.cache import cache

from dashboard.selectors.conversations import rating_location

NOTE_SECONDS = 6 * 3600  # a rating's comment does not change; a new rating has a new key
COMMENT_MAX = 300


@dataclass(frozen=True)
class RatingNote:
    comment: str
    rated_at: datetime | None


def rating_note(*, user_id: str, rating: str) -> RatingNote:
    """The comment and time of the user's latest rating (``rating`` as the list shows it,
    part of the cache key). Raises ``TechnowizError`` when the platform fails."""
    key = "rating-note:" + sha256(repr((user_id, rating)).encode()).hexdigest()[:32]
    kept = cache.get(key)
    if kept is not None:
        return kept
    found = rating_location(user_id=user_id, start=None, end=None, size=50)
    if found is None:
        note = RatingNote("", None)
    else:
        comment = found.message.payload.get("comment")
        text = comment if isinstance(comment, str) else ""
        note = RatingNote(text[:COMMENT_MAX], found.message.timestamp)
    cache.set(key, note, NOTE_SECONDS)
    return note
