"""A run's page while it sends: htmx polls its progress, and when the run stops the
whole page reloads, so its files and recipients show their outcome too."""

import pytest
from django.urls import reverse

from dashboard.models import Run, WhatsAppTemplate
from dashboard.services.audience import Member
from dashboard.services.mapping import Source
from dashboard.services.runs import draft_choose, draft_configure, draft_create, run_launch

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(manager) -> Run:
    template = WhatsAppTemplate.objects.create(
        name="feedback_followup", language="en", body="Hi {{1}}, you rated us {{2}} stars."
    )
    members = [Member(user_id="u1", name="Asha", phone="+447700900001", attributes={"f": "1"})]
    run = draft_create(kind="broadcast", person=manager, members=members, audience="test")
    draft_choose(run, template=template, flow=None)
    sources = {"1": Source("name"), "2": Source("attribute", "f")}
    draft_configure(run, name="nov-apology", sources=sources, include_recent=False)
    run, launched = run_launch(run, key=str(run.key), person=manager)
    assert launched and run.is_active
    return run


def test_an_active_runs_poll_gets_the_progress_fragment(manager_client, launched):
    url = reverse("dashboard:run_detail", args=[launched.pk])
    response = manager_client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Refresh" not in response
    assert 'id="run-progress"' in html and 'hx-trigger="every 2s"' in html
    assert "<html" not in html and 'id="recipients-heading"' not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("state", ["finished", "paused", "cancelled"])
def test_the_poll_that_finds_the_run_stopped_reloads_the_page(manager_client, launched, state):
    Run.objects.filter(pk=launched.pk).update(state=state)
    url = reverse("dashboard:run_detail", args=[launched.pk])
    response = manager_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert "HX-Request" in response["Vary"]
    page = manager_client.get(url).content.decode()  # what the reload shows
    assert 'id="recipients-heading"' in page and 'hx-trigger="every 2s"' not in page


def test_a_boosted_or_history_request_for_a_stopped_run_gets_the_page(manager_client, launched):
    Run.objects.filter(pk=launched.pk).update(state="finished")
    url = reverse("dashboard:run_detail", args=[launched.pk])
    for headers in ({"HTTP_HX_BOOSTED": "true"}, {"HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}):
        response = manager_client.get(url, HTTP_HX_REQUEST="true", **headers)
        assert "HX-Refresh" not in response
        assert 'id="recipients-heading"' in response.content.decode()
