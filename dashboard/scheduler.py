"""Periodic work: ``manage.py run_scheduler`` queues each job once per time slot (the
audit log's sealing, the rating history, the pruning of finished task records).

A job's slot is the epoch seconds divided by its interval. Queuing a slot inserts a
``ScheduledSlot`` row (unique per job and slot) and the task in one transaction, so two
schedulers (or one restarted mid-slot) queue it once; a scheduler that was down queues
the current slot when it is back (missed slots are not caught up: each job does all that
is due). The tasks themselves are safe to run twice. The worker (``db_worker``) runs them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import Task
from django.utils import timezone

from dashboard.models import ScheduledSlot


@dataclass(frozen=True)
class Job:
    name: str
    interval: Callable[[], int]  # seconds, read from settings each time
    task: Callable[[], Task]


def _jobs() -> tuple[Job, ...]:
    from dashboard.tasks import prune_task_results, record_rating_history
    from technowiz.tasks import seal_audit_log

    return (
        Job("audit-seal", lambda: settings.AUDIT_SEAL_SECONDS, lambda: seal_audit_log),
        Job(
            "rating-history",
            lambda: settings.RATING_HISTORY_SECONDS,
            lambda: record_rating_history,
        ),
        Job("prune-task-results", lambda: 24 * 3600, lambda: prune_task_results),
    )


def schedule_due(*, now: datetime | None = None) -> list[str]:
    """Queue every job whose current slot is not queued yet; the names of those queued."""
    now = now or timezone.now()
    queued = []
    for job in _jobs():
        interval = max(1, job.interval())
        slot = int(now.timestamp()) // interval
        try:
            with transaction.atomic():
                ScheduledSlot.objects.create(job=job.name, slot=slot)
                job.task().enqueue()
        except IntegrityError:
            continue  # queued already, by us or another scheduler
        queued.append(job.name)
    ScheduledSlot.objects.filter(enqueued_at__lt=now - timedelta(days=2)).delete()
    return queued
