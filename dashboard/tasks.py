"""Background work of the site (Django's Tasks framework, ``manage.py db_worker``)."""

from django.tasks import task

from dashboard.services import run_worker


@task
def work_run(run_id: int) -> None:
    """Send what is waiting in a launched run (safe to run on several workers at once)."""
    run_worker.work(run_id)
