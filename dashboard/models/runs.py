"""Runs: a broadcast or a flow trigger run, its recipients, its files and its workers.

A run starts as a ``draft`` (audience chosen, nothing sent) and is launched by one
confirm: ``key`` is the confirm form's idempotency key, unique, so a double-clicked or
replayed confirm launches it once. The worker then sends each unit (a file of a
broadcast, a recipient of a trigger run), committed as ``sending`` before its call and
given its outcome after; a unit left ``sending`` by a worker whose lease expired becomes
``unknown`` and waits for a person.
"""

import uuid

from django.conf import settings
from django.db import models

from dashboard.models.catalogue import Flow, WhatsAppTemplate

BROADCAST, TRIGGER = "broadcast", "trigger"
DRAFT, QUEUED, RUNNING, PAUSED, CANCELLED, FINISHED = (
    "draft",
    "queued",
    "running",
    "paused",
    "cancelled",
    "finished",
)
ACTIVE_STATES = (QUEUED, RUNNING)

# A unit's (and a recipient's) states.
SET_ASIDE, PENDING, SENDING, SENT, FAILED, UNKNOWN, DROPPED, NOT_SENT = (
    "set_aside",
    "pending",
    "sending",
    "sent",
    "failed",
    "unknown",
    "dropped",
    "not_sent",
)
UNIT_STATES = [
    (PENDING, "Waiting"),
    (SENDING, "Sending"),
    (SENT, "Sent"),
    (FAILED, "Failed"),
    (UNKNOWN, "Unknown"),
    (DROPPED, "Dropped"),
    (NOT_SENT, "Not sent (cancelled)"),
]
RECIPIENT_STATES = [(SET_ASIDE, "Set aside"), *UNIT_STATES]


class Run(models.Model):
    kind = models.CharField(max_length=10, choices=[(BROADCAST, "Broadcast"), (TRIGGER, "Flow")])
    name = models.CharField(max_length=54, help_text="The broadcast's name on the platform.")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        max_length=10,
        default=DRAFT,
        db_index=True,
        choices=[
            (DRAFT, "Draft"),
            (QUEUED, "Queued"),
            (RUNNING, "Running"),
            (PAUSED, "Paused"),
            (CANCELLED, "Cancelled"),
            (FINISHED, "Finished"),
        ],
    )
    template = models.ForeignKey(
        WhatsAppTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    flow = models.ForeignKey(
        Flow, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    # Each template parameter ("1", "2" ...) or flow attribute -> where its value comes
    # from: {"source": "name" | "phone" | "attribute" | "text", "value": ..., "fallback": ...}.
    mapping = models.JSONField(default=dict, blank=True)
    audience = models.CharField(max_length=300, help_text="How the audience was chosen.")
    include_recent = models.BooleanField(default=False)
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resends"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    launched_by_name = models.CharField(max_length=150, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ()
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} ({self.state})"

    @property
    def is_broadcast(self) -> bool:
        return self.kind == BROADCAST

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def slots(self) -> list[str]:
        """What the mapping fills: template parameters "1".."n", or the flow's attributes."""
        if self.is_broadcast:
            count = self.template.parameter_count if self.template else 0
            return [str(n) for n in range(1, count + 1)]
        return list(self.flow.attributes) if self.flow else []


class Unit(models.Model):
    """What a worker claims and sends: committed ``sending`` before the call."""

    state = models.CharField(max_length=10, choices=UNIT_STATES, default=PENDING)
    reason = models.CharField(max_length=300, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    call_id = models.UUIDField(null=True, blank=True, help_text="The platform call (audit).")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Recipient(Unit):
    """One person of a run; the unit of a trigger run (a broadcast sends its files)."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="recipients")
    position = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=RECIPIENT_STATES, default=PENDING)
    user_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    attributes = models.JSONField(default=dict, blank=True)  # what the mapping reads
    part = models.PositiveIntegerField(null=True, blank=True)  # the broadcast file

    class Meta:
        default_permissions = ()
        ordering = ["position"]
        indexes = [
            models.Index(fields=["run", "state"], name="recipient_run_state"),
            models.Index(fields=["run", "part", "position"], name="recipient_run_part"),
            models.Index(fields=["phone", "state"], name="recipient_phone"),
            # The next one to claim, without walking past the ones already sent.
            models.Index(
                fields=["run", "id"], condition=models.Q(state=PENDING), name="recipient_waiting"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="one_recipient_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.phone or self.user_id} ({self.state})"


class BroadcastPart(Unit):
    """One file of a broadcast (at most 10,000 rows and 5 MB): one platform call."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="parts")
    number = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    accepted_count = models.PositiveIntegerField(null=True, blank=True)
    rejected_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        default_permissions = ()
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="one_part_per_number")
        ]
        indexes = [
            models.Index(
                fields=["run", "id"], condition=models.Q(state=PENDING), name="part_waiting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run.name}-part-{self.number} ({self.state})"

    @property
    def broadcast_id(self) -> str:
        return f"{self.run.name}-part-{self.number}"


class RunLease(models.Model):
    """A worker at work on a run; it renews ``expires_at`` while it lives."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="leases")
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["run", "owner"], name="one_lease_a_worker")]

    def __str__(self) -> str:
        return f"{self.owner} on run {self.run_id} until {self.expires_at}"
