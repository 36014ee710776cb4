"""The rating history: the periodic task's counts and "new since" across runs with
changed ratings, the overview's trend, the users page's "new since" filter, and the
scheduler that queues the task (and the audit sealing) once per slot."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboard.models import LowRatingSeen, RatingSnapshot, ScheduledSlot
from dashboard.scheduler import schedule_due
from dashboard.selectors.rating_trend import rating_trend
from dashboard.services.rating_history import rating_history_record
from dashboard.tasks import prune_task_results, record_rating_history
from technowiz.models import OutboundCall
from tests.conftest import page_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_platform(sandbox):
    """A sandbox of its own (300 users) whose ratings the test may change."""
    from technowiz.client import set_inprocess_sandbox
    from technowiz.config import ClientConfig
    from technowiz.sandbox import Faults, SandboxApp, SandboxData

    config = ClientConfig.from_settings()
    data = SandboxData(seed=11, user_count=300)
    app = SandboxApp(
        api_key=config.api_key,
        customer_id=config.customer_id,
        bot_key=config.bot_key,
        data=data,
        faults=Faults(),
    )
    set_inprocess_sandbox(app)
    return app


def _rate(app, user: dict, stars: str) -> None:
    user["attributes"]["feedback"] = stars
    # The sandbox indexes attribute values and keeps its answers: forget both.
    app.data._index.clear()
    app._users_cache.clear()


def _low(data) -> set[str]:
    return {u["user_id"] for u in data.users if u["attributes"].get("feedback") in ("1", "2")}


def test_two_runs_record_counts_and_who_is_new(small_platform, agent_client):
    app = small_platform
    data = app.data
    now = timezone.now()
    first = rating_history_record(now=now - timedelta(days=3))
    assert first.counts == {s: data.rating_counts().get(s, 0) for s in "12345"}
    assert set(LowRatingSeen.objects.values_list("user_id", flat=True)) == _low(data)
    five = [u for u in data.users if u["attributes"].get("feedback") == "5"][:3]
    two = next(u for u in data.users if u["attributes"].get("feedback") == "2")
    _rate(app, five[0], "1")
    _rate(app, five[1], "2")
    _rate(app, two, "4")  # leaves the low ratings
    second = rating_history_record(now=now - timedelta(hours=1))
    assert second.counts == {s: data.rating_counts().get(s, 0) for s in "12345"}
    assert second.counts["5"] == first.counts["5"] - 2
    new = set(
        LowRatingSeen.objects.filter(first_seen_at=second.taken_at).values_list(
            "user_id", flat=True
        )
    )
    assert new == {five[0]["user_id"], five[1]["user_id"]}
    assert not LowRatingSeen.objects.get(user_id=two["user_id"]).still_low
    # Both runs' calls are audited as the job.
    assert set(OutboundCall.objects.values_list("username", flat=True)) == {"rating history"}

    trend = rating_trend(days=7)
    assert trend.new_since_yesterday == 2
    html = page_html(agent_client.get(reverse("dashboard:home")))
    assert '<strong class="big-number">2</strong> new since yesterday' in html
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert f"?preset=1-2&amp;new_since={yesterday}" in html
    assert "The figures, day by day" in html  # the chart's table alternative
    assert f'<td class="num">{second.counts["1"] + second.counts["2"]}</td>' in html

    listing = page_html(
        agent_client.get(reverse("dashboard:users_list") + f"?preset=1-2&new_since={yesterday}")
    )
    shown = set(re.findall(r'name="user_id" value="([^"]+)"', listing))
    assert shown == new


def test_the_first_run_is_a_starting_point_not_news(small_platform):
    rating_history_record(now=timezone.now() - timedelta(minutes=5))
    assert LowRatingSeen.objects.count() == len(_low(small_platform.data))
    assert rating_trend(days=7).new_since_yesterday == 0


def test_a_failed_run_records_nothing(small_platform, sandbox):
    from technowiz.client import inprocess_sandbox
    from technowiz.errors import TechnowizError

    inprocess_sandbox().faults.push("revoked")
    with pytest.raises(TechnowizError):
        rating_history_record()
    assert not RatingSnapshot.objects.exists() and not LowRatingSeen.objects.exists()


def test_the_task_runs_the_record(small_platform):
    counts = small_platform.data.rating_counts()
    assert record_rating_history.call() == sum(counts.get(s, 0) for s in "12345")
    assert RatingSnapshot.objects.count() == 1


def test_the_overview_without_history_says_when_it_comes(agent_client, sandbox):
    html = page_html(agent_client.get(reverse("dashboard:home")))
    assert "No history yet: the worker records the ratings every hour" in html


def test_the_scheduler_queues_each_job_once_a_slot(settings):
    settings.AUDIT_SEAL_SECONDS = 60
    settings.RATING_HISTORY_SECONDS = 3600
    start = timezone.now().replace(minute=0, second=1, microsecond=0)
    assert sorted(schedule_due(now=start)) == ["audit-seal", "prune-task-results", "rating-history"]
    assert schedule_due(now=start + timedelta(seconds=30)) == []  # a second scheduler
    assert schedule_due(now=start + timedelta(seconds=61)) == ["audit-seal"]
    names = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert names == [
        "dashboard.tasks.prune_task_results",
        "dashboard.tasks.record_rating_history",
        "technowiz.tasks.seal_audit_log",
        "technowiz.tasks.seal_audit_log",
    ]
    assert ScheduledSlot.objects.count() == 4


def test_the_prune_task_deletes_old_finished_records():
    old = prune_task_results.enqueue()
    DBTaskResult.objects.filter(id=old.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=15)
    )
    fresh = prune_task_results.enqueue()
    prune_task_results.call()
    assert [str(i) for i in DBTaskResult.objects.values_list("id", flat=True)] == [fresh.id]


def test_run_scheduler_once_queues_what_is_due_and_says_so():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("run_scheduler", once=True, stdout=out)
    assert "queued audit-seal" in out.getvalue() and "queued rating-history" in out.getvalue()
    out = StringIO()
    call_command("run_scheduler", once=True, stdout=out)
    assert out.getvalue() == ""  # the same slots: nothing queued twice
