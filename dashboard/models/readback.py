"""Read-backs: after a run, what each recipient's conversation and rating say came of it.

The platform reports no delivery. Some time after a run ends (``RUN_READBACK_AFTER``,
by default +1 h, +24 h and +72 h) the worker reads each sent or unknown recipient's
conversation and the rating attribute back, and records here what it found:

- ``ReadBack``: one round of a run (its due time), worked in bounded batches by
  ``dashboard.tasks.read_back`` under a lease, like a run's sending.
- ``Outcome``: per recipient, whether the template or the flow's first message reached
  them, whether they replied, whether they rated again (and the value), each with its
  time and the message, so people can open the conversation at that message.
"""

from django.db import models

from dashboard.models.runs import Recipient, Run


class ReadBack(models.Model):
    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="readbacks")
    number = models.PositiveSmallIntegerField()  # 1, 2, 3 ... in time order
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="one_readback_a_round")
        ]

    def __str__(self) -> str:
        return f"read-back {self.number} of run {self.run_id} due {self.due_at}"


class Outcome(models.Model):
    recipient = models.OneToOneField(
        Recipient, on_delete=models.PROTECT, primary_key=True, related_name="outcome"
    )
    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="outcomes")
    rating_before = models.PositiveSmallIntegerField(null=True, blank=True)
    rounds = models.PositiveSmallIntegerField(default=0)  # read-back rounds done
    checked_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True)  # the last read that failed
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_message = models.CharField(max_length=200, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_message = models.CharField(max_length=200, blank=True)
    rerated_at = models.DateTimeField(null=True, blank=True)
    rerated_value = models.PositiveSmallIntegerField(null=True, blank=True)
    rerated_message = models.CharField(max_length=200, blank=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["run", "rounds"], name="outcome_run_rounds")]

    def __str__(self) -> str:
        return f"outcome of recipient {self.recipient_id}"

    @property
    def improved(self) -> bool:
        return bool(
            self.rerated_value and self.rating_before and self.rerated_value > self.rating_before
        )
