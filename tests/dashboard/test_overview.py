"""The overview: ratings at a glance, who needs attention, the platform's health."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.selectors.overview import platform_health
from technowiz.models import OutboundCall
from technowiz.sandbox.data import SandboxData

pytestmark = pytest.mark.django_db


def _ratings_card(client) -> str:
    """The ratings card as the page loads it on its own (htmx, ``?card=ratings``)."""
    return client.get("/?card=ratings", HTTP_HX_REQUEST="true").content.decode()


def test_the_page_answers_without_asking_the_platform(agent_client, sandbox):
    html = agent_client.get("/").content.decode()
    assert 'hx-get="/?card=ratings" hx-trigger="load, load-again"' in html
    assert "Asking the platform for the ratings…" in html
    assert OutboundCall.objects.count() == 0


def test_rating_distribution_counts_each_star_and_links_to_the_list(agent_client, sandbox):
    counts = SandboxData.build().rating_counts()
    html = _ratings_card(agent_client)
    assert "<html" not in html and html.lstrip().startswith('<div class="card-group"')
    for stars in "12345":
        # The same filter as the users page's quick filters.
        row = re.search(
            rf'href="/users/\?preset={stars}" class="bar-link">{stars} stars?'
            r"</a></th>\s*<td class=\"num\">(\d+)</td>",
            html,
        )
        assert row and int(row.group(1)) == counts[stars], stars
    attention = re.search(r'<p class="big-number">(\d+)</p>', html)
    assert int(attention.group(1)) == counts["1"] + counts["2"]
    assert 'href="/users/?preset=1-2"' in html
    assert OutboundCall.objects.filter(action="users.search").count() == 5
    # Kept: a second visit asks the platform nothing.
    _ratings_card(agent_client)
    assert OutboundCall.objects.count() == 5


def test_without_javascript_the_card_link_shows_the_whole_page_with_ratings(agent_client, sandbox):
    html = agent_client.get("/?card=ratings").content.decode()
    assert "<h1>Overview</h1>" in html and '<p class="big-number">' in html
    assert "Platform health" in html
    assert html.count('id="follow-up-heading"') == 1


def test_the_largest_bar_is_full_width(agent_client, sandbox):
    html = _ratings_card(agent_client)
    widths = [float(w) for w in re.findall(r'<rect x="0" y="0" height="10" width="([\d.]+)"', html)]
    assert len(widths) == 5 and max(widths) == 100.0


def test_platform_health_from_the_audit_log(admin_client_, sandbox):
    sandbox.faults.push("status=503")
    admin_client_.get("/users/?preset=1")  # one failed call
    admin_client_.get("/users/?preset=1")  # one good call
    html = admin_client_.get("/").content.decode()
    calls = OutboundCall.objects.count()
    assert re.search(rf"<strong>{calls}</strong> calls in the last hour", html)
    assert "Last failure:" in html and "Users search: The platform had an internal problem." in html


def test_platform_error_shows_in_its_card_with_a_way_to_try_again(agent_client, sandbox):
    sandbox.faults.push("revoked")
    assert "Platform health" in agent_client.get("/").content.decode()
    html = _ratings_card(agent_client)
    assert "rejected the dashboard&#x27;s API key" in html
    assert 'hx-get="/?card=ratings" hx-target="#ratings-cards"' in html
    assert "Users who gave 1 or 2 stars." in html  # the other card says what it can


def test_a_stalled_platform_is_named_in_the_card_and_on_the_health_card(
    admin_client_, sandbox, settings
):
    settings.TECHNOWIZ_READ_TIMEOUT = 0.2
    sandbox.faults.push("timeout=3")
    html = _ratings_card(admin_client_)
    assert "The platform did not answer in time." in html
    health = admin_client_.get("/").content.decode()
    assert "The platform did not answer in time." in health
    assert "PlatformTimeout" not in health and "ReadTimeout" not in health


def test_the_ratings_card_needs_view_users(client_for, django_user_model, sandbox):
    nobody = client_for(django_user_model.objects.create_user("nobody", password="pw-1234567"))
    html = nobody.get("/?card=ratings", HTTP_HX_REQUEST="true").content.decode()
    assert "Ratings" not in html and OutboundCall.objects.count() == 0


def test_attribute_names_seen_are_suggested(agent_client, sandbox):
    agent_client.get("/users/?preset=1")
    html = agent_client.get("/users/").content.decode()
    suggestions = re.search(r'<datalist id="attribute-names">(.*?)</datalist>', html).group(1)
    for name in ("city", "plan", "language", "feedback"):
        assert f'<option value="{name}">' in suggestions


def test_the_last_failure_is_the_newest_of_any_failed_outcome(db):
    now = timezone.now()

    def call(outcome: str, minutes_ago: int) -> OutboundCall:
        return OutboundCall.objects.create(
            call_id=uuid.uuid4(),
            started_at=now - timedelta(minutes=minutes_ago),
            username="system",
            origin="system",
            action="users.search",
            method="GET",
            path_template="/users",
            path="/users",
            outcome=outcome,
        )

    assert platform_health(now=now).last_error is None
    call("server_error", 300)
    newest = call("network_error", 90)
    call("client_error", 200)
    call("ok", 1)
    call("pending", 0)
    health = platform_health(now=now)
    assert health.last_error == newest
    assert (health.calls_last_hour, health.failed_last_hour) == (2, 0)
