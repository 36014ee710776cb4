"""Background work of the site (Django's Tasks framework, ``manage.py db_worker``)."""

from django.tasks import task

from dashboard.services import run_worker


@task
def work_run(run_id: int) -> None:
    """Send what is waiting in a launched run (safe to run on several workers at once)."""
    run_worker.work(run_id)


@task
def record_rating_history() -> int:
    """Record how many users hold each rating, and who is newly low (the scheduler queues
    it every ``RATING_HISTORY_SECONDS``); returns how many users were counted."""
    from dashboard.services.rating_history import rating_history_record

    return sum(rating_history_record().counts.values())
