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
