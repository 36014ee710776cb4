"""Background work of the site (Django's Tasks framework, ``manage.py db_worker``)."""

from django.tasks import task

from dashboard.services import readback, run_worker

#: Read-backs yield to people's sends (priority 0) whenever both are waiting.
READBACK_PRIORITY = -50


@task
def work_run(run_id: int) -> None:
    """Send what is waiting in a launched run (safe to run on several workers at once)."""
    run_worker.work(run_id)


@task(priority=READBACK_PRIORITY)
def read_back(run_id: int, number: int) -> None:
    """One batch of a run's read-back round ``number`` (it queues the next batch itself)."""
    readback.readback_work(run_id=run_id, number=number)


@task
def record_rating_history() -> int:
    """Record how many users hold each rating, and who is newly low (the scheduler queues
    it every ``RATING_HISTORY_SECONDS``); returns how many users were counted."""
    from dashboard.services.rating_history import rating_history_record

    return sum(rating_history_record().counts.values())


@task
def prune_task_results() -> None:
    """Delete finished task records older than 14 days (django-tasks-db's own command):
    the scheduler's jobs would otherwise pile them up (1,440 seals a day)."""
    from django.core.management import call_command

    call_command("prune_db_task_results", queue_name="*", verbosity=0)
