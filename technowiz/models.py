"""The audit log of outbound platform calls: one append-only row per request attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from technowiz.errors import failure_sentence

PENDING = "pending"
OUTCOMES = [
    (PENDING, "Pending"),
    ("ok", "OK"),
    ("client_error", "Client error"),
    ("server_error", "Server error"),
    ("network_error", "Network error"),
    ("unknown", "Unknown"),
]


class ImmutableAuditRow(RuntimeError):
    """Raised on any attempt to edit or delete audit rows through the application."""


def stale_after() -> timedelta:
    """How long after its start a still-pending row must be a dead process's call."""
    connect = float(getattr(settings, "TECHNOWIZ_CONNECT_TIMEOUT", 5.0))
    read = float(getattr(settings, "TECHNOWIZ_READ_TIMEOUT", 30.0))
    return timedelta(seconds=2 * (connect + read) + 60)


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk edits and deletes (the model's ``noun`` names them in the message)."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableAuditRow(f"{self.model.noun} cannot be edited.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableAuditRow(f"{self.model.noun} cannot be deleted.")


class AppendOnlyModel(models.Model):
    """Insert only: ``save()`` of an existing record and ``delete()`` are refused."""

    noun = "Audit rows"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAuditRow(f"{self.noun} cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableAuditRow(f"{self.noun} cannot be deleted.")


class OutboundCallQuerySet(AppendOnlyQuerySet):
    """Refuses bulk edits and deletes; completion goes through :meth:`complete_pending`."""

    def complete_pending(self, pk: int, **fields: Any) -> int:
        """Complete one row that is still pending (the only write after its insert).

        One ``UPDATE ... WHERE id = %s AND outcome = 'pending'`` (a compare-and-set):
        a completed row is never written again. Returns the number of rows changed.
        """
        if fields.get("outcome", PENDING) == PENDING:
            raise ValueError("A completion must set a final outcome.")
        return models.QuerySet.update(self.filter(pk=pk, outcome=PENDING), **fields)

    def effectively(self, outcome: str) -> OutboundCallQuerySet:
        """Rows whose ``effective`` outcome is ``outcome``, on plain columns (indexable).

        The same rows as ``with_effective_outcome().filter(effective=outcome)``: only a
        long-pending row reads differently (``unknown``).
        """
        cutoff = timezone.now() - stale_after()
        if outcome == "unknown":
            return self.filter(
                models.Q(outcome="unknown") | models.Q(outcome=PENDING, started_at__lt=cutoff)
            )
        if outcome == PENDING:
            return self.filter(outcome=PENDING, started_at__gte=cutoff)
        return self.filter(outcome=outcome)

    def with_effective_outcome(self) -> OutboundCallQuerySet:
        """Annotate ``effective`` : a long-pending row (a dead process) reads ``unknown``."""
        cutoff = timezone.now() - stale_after()
        return self.annotate(
            effective=models.Case(
                models.When(outcome=PENDING, started_at__lt=cutoff, then=models.Value("unknown")),
                default=models.F("outcome"),
                output_field=models.CharField(),
            )
        )


class OutboundCall(AppendOnlyModel):
    """One attempt of one platform request: written before it goes out, completed after."""

    call_id = models.UUIDField(db_index=True, help_text="Shared by the attempts of one call.")
    attempt = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    origin = models.CharField(max_length=80, help_text='"web:<request id>", "job:<id>", "system"')
    action = models.CharField(max_length=40)
    method = models.CharField(max_length=8)
    path_template = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    query = models.JSONField(default=dict, blank=True)
    body_summary = models.JSONField(default=dict, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    platform_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=OUTCOMES, default=PENDING)
    detail = models.CharField(max_length=500, blank=True)
    response_bytes = models.PositiveIntegerField(null=True, blank=True)
    retry_after = models.FloatField(null=True, blank=True)
    subject = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The platform user the call concerns (user id or phone), for lookups.",
    )

    objects = OutboundCallQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="tw_call_started"),
            models.Index(fields=["outcome", "-started_at"], name="tw_call_outcome"),
            models.Index(fields=["action", "-started_at"], name="tw_call_action"),
            models.Index(fields=["user", "-started_at"], name="tw_call_user"),
            models.Index(fields=["subject", "-id"], name="tw_call_subject"),
            models.Index(fields=["origin"], name="tw_call_origin"),
            # The person filter is case-insensitive (``username__iexact``: UPPER() on
            # PostgreSQL), with an outcome: a person's failures without a scan of all.
            models.Index(
                Upper("username"), "outcome", models.F("id").desc(), name="tw_call_person_outcome"
            ),
        ]
        verbose_name = "outbound call"

    def __str__(self) -> str:
        return f"{self.action} #{self.attempt} {self.effective_outcome} ({self.call_id})"

    @property
    def failure_sentence(self) -> str:
        """What went wrong, in words for people (``detail`` is for admins)."""
        return failure_sentence(self.detail, self.effective_outcome)

    @property
    def effective_outcome(self) -> str:
        """The outcome, with a row pending long past any timeout shown as ``unknown``."""
        if (
            self.outcome == PENDING
            and self.started_at is not None
            and self.started_at < timezone.now() - stale_after()
        ):
            return "unknown"
        return self.outcome


class ActionRecord(AppendOnlyModel):
    """What a person did that an admin answers for (sign-in, an export, a launch, a role
    change ...): one append-only row, sealed with the outbound calls.

    Written by :func:`dashboard.services.actions.action_record` only, explicitly where
    the action happens. ``origin`` is the same ``web:<request id>`` as the outbound calls
    the action caused.
    """

    noun = "Action records"

    created_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    origin = models.CharField(max_length=80, help_text='"web:<request id>", "job:<id>", "system"')
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="tw_action_created"),
            models.Index(fields=["username", "-id"], name="tw_action_username"),
            models.Index(fields=["action", "-id"], name="tw_action_action"),
            models.Index(fields=["object_type", "object_id", "-id"], name="tw_action_object"),
            models.Index(fields=["origin"], name="tw_action_origin"),
        ]
        verbose_name = "action record"

    def __str__(self) -> str:
        return f"{self.action} by {self.username} ({self.created_at:%Y-%m-%d %H:%M})"


class AuditSeal(AppendOnlyModel):
    """One sealed block of final audit rows (outbound calls and people's actions, from the
    same stretch of time), chained to the seal before it by hash.

    Written by :func:`technowiz.sealing.audit_seal` only; see that module for the scheme.
    Seals of ``format`` 1 (before the action log) cover calls only and leave out their
    ``subject`` column.
    """

    noun = "Audit seals"

    number = models.PositiveIntegerField(unique=True, help_text="1, 2, 3 ... in chain order.")
    format = models.PositiveSmallIntegerField(default=1)
    first_id = models.BigIntegerField(unique=True, null=True, blank=True)
    last_id = models.BigIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField()
    rows_digest = models.CharField(max_length=64)
    row_index = models.TextField(help_text='"<id>:<row hash prefix>" per row, to locate changes.')
    actions_first_id = models.BigIntegerField(unique=True, null=True, blank=True)
    actions_last_id = models.BigIntegerField(null=True, blank=True)
    actions_count = models.PositiveIntegerField(default=0)
    actions_digest = models.CharField(max_length=64, blank=True)
    actions_index = models.TextField(blank=True)
    seal_hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(
        max_length=16, blank=True, help_text="Which AUDIT_SEAL_KEY made the seal (none: unkeyed)."
    )
    created_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()  # append-only like the rows they seal

    class Meta:
        ordering = ["number"]
        verbose_name = "audit seal"

    def __str__(self) -> str:
        return f"seal #{self.number} (rows #{self.first_id}-#{self.last_id})"


class AuditPrune(AppendOnlyModel):
    """What ``manage.py audit_prune`` removed: whole sealed blocks, from the start.

    Cumulative: the latest record says where the remaining chain starts (after seal
    ``seals_to``, whose hash was ``last_seal_hash``). ``record_hash`` is an HMAC under
    ``AUDIT_SEAL_KEY``, so a removal without a record the key made reads as tampering.
    """

    noun = "Audit prune records"

    number = models.PositiveIntegerField(unique=True)
    before = models.DateTimeField(help_text="Rows older than this were asked to go.")
    seals_from = models.PositiveIntegerField()
    seals_to = models.PositiveIntegerField()
    calls_to = models.BigIntegerField(help_text="Every call up to this id is gone.")
    actions_to = models.BigIntegerField(help_text="Every action up to this id is gone.")
    calls_removed = models.PositiveIntegerField()
    actions_removed = models.PositiveIntegerField()
    last_seal_hash = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    record_hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = "audit prune record"

    def __str__(self) -> str:
        return f"prune #{self.number} (seals #{self.seals_from}-#{self.seals_to})"
