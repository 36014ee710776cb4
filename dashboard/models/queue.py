"""The shared work queue: each platform user's state, assignee and private notes, who
opened whom, and the rating history the periodic task records.

Rows exist only for users someone touched (a user without a row is "new", unassigned).
``version`` makes every change a compare-and-set: a change made from a stale version
is refused and shown, never written over the newer one.
"""

from django.conf import settings
from django.db import models

NEW, IN_PROGRESS, RESOLVED, WONT_FIX = "new", "in_progress", "resolved", "wont_fix"
QUEUE_STATES = [
    (NEW, "New"),
    (IN_PROGRESS, "In progress"),
    (RESOLVED, "Resolved"),
    (WONT_FIX, "Won't fix"),
]
STATE_LABELS = dict(QUEUE_STATES)


class QueueItem(models.Model):
    """A platform user's place in the queue."""

    user_id = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=20, choices=QUEUE_STATES, default=NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_items",
    )
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["state"]), models.Index(fields=["assignee"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.state}"


class QueueNote(models.Model):
    """A private note on a platform user: appended, never edited or deleted."""

    user_id = models.CharField(max_length=200, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(max_length=4000)

    class Meta:
        default_permissions = ()
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.user_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Notes are append-only: a saved note is never changed.")
        super().save(*args, **kwargs)


class UserOpened(models.Model):
    """A platform user a person has opened (the list marks them read); bounded a person."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_id = models.CharField(max_length=200)
    opened_at = models.DateTimeField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["person", "user_id"], name="one_open_mark_per_user")
        ]
        indexes = [models.Index(fields=["person", "opened_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} opened {self.user_id}"


class RatingSnapshot(models.Model):
    """How many users held each rating when the periodic task looked."""

    taken_at = models.DateTimeField(unique=True)
    counts = models.JSONField()  # {"1": n, ..., "5": n}

    class Meta:
        default_permissions = ()
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"ratings at {self.taken_at:%Y-%m-%d %H:%M}"


class LowRatingSeen(models.Model):
    """A user first seen with a low rating (1-2 stars) at ``first_seen_at``."""

    user_id = models.CharField(max_length=200, unique=True)
    first_seen_at = models.DateTimeField(db_index=True)
    stars = models.CharField(max_length=10)  # as last seen
    still_low = models.BooleanField(default=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} low since {self.first_seen_at:%Y-%m-%d}"


class ScheduledSlot(models.Model):
    """One periodic job's time slot, enqueued once: the unique pair is what stops two
    schedulers (or a restarted one) from enqueuing the same slot twice."""

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField()  # epoch seconds // interval
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_enqueue_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} #{self.slot}"
