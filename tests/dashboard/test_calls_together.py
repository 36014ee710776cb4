"""Pages that ask the platform several things ask them at once (one latency, not two to
five); the answers land in their place on full pages and fragments; and nothing is left
for later: the audit rows and the shared list are written before the page is answered."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboard.selectors.users import UserFilter, _decode
from technowiz.models import OutboundCall
from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS, SandboxData
from tests.conftest import page_html

pytestmark = pytest.mark.django_db

LONG = LONG_CONVERSATION_USER_IDS[0]
USERS = reverse("dashboard:users_list")
CONVERSATION = reverse("dashboard:conversation", args=[LONG])


def _calls() -> list[OutboundCall]:
    return list(OutboundCall.objects.order_by("id"))


def _section(html: str, opening: str) -> str:
    return re.search(re.escape(opening) + r".*?</section>", html, re.S)[0]


@pytest.mark.parametrize(
    "url",
    [USERS + "?preset=1", USERS + "?preset=1&page=2", CONVERSATION + "?size=25&page=2"],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_the_answer_lands_in_its_place(agent_client, sandbox, url, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    html = page_html(agent_client.get(url, **headers))
    if "conversation" in url:
        transcript = _section(html, '<section id="transcript"')
        assert transcript.count('<li class="msg ') == 25
        assert 'class="pager"' in transcript
    else:
        results = re.search(r'<div id="results" aria-live="polite">.*', html, re.S)[0]
        assert "users-table" in results and 'class="pager"' in results
        assert results.count('name="user_id"') == 50
    assert ("<html" in html) is not htmx


def test_a_platform_error_takes_the_transcripts_place_and_the_form_stays(agent_client, sandbox):
    sandbox.faults.push("status=503")
    html = page_html(agent_client.get(CONVERSATION + "?size=25"))
    transcript = _section(html, '<section id="transcript"')
    assert "The platform had an internal problem" in transcript
    assert f"call #{OutboundCall.objects.get().pk}" in transcript  # for the admin
    assert "Try again" in transcript
    assert '<input type="date" name="start"' in html  # the range form, around the transcript


def test_a_cold_person_card_is_fetched_while_the_transcript_is(agent_client, sandbox):
    cache.clear()  # the list the person came from must be fetched again
    sandbox.faults.push("latency=300", "latency=300")
    html = page_html(agent_client.get(CONVERSATION + "?preset=1&size=25"))
    transcript, card = _calls()
    assert (transcript.action, card.action) == ("conversation.page", "users.search")
    assert card.started_at < transcript.finished_at  # both in flight at once
    assert 'class="card person"' in html


def test_the_two_calls_of_1_2_stars_are_in_flight_together(agent_client, sandbox):
    sandbox.faults.push("latency=300", "latency=300")
    html = page_html(agent_client.get(USERS + "?preset=1-2"))
    ones, twos = _calls()
    assert [c.query["attribute_value"] for c in (ones, twos)] == ["1", "2"]
    assert twos.started_at < ones.finished_at
    counts = SandboxData.build().rating_counts()
    total = int(re.search(r'<p class="count"[^>]*><strong>(\d+)</strong>', html)[1])
    assert total == counts["1"] + counts["2"]


def test_the_overview_asks_for_its_five_lists_at_once(agent_client, sandbox):
    cache.clear()
    sandbox.faults.push(*["latency=300"] * 5)
    html = page_html(agent_client.get(reverse("dashboard:home")))
    calls = _calls()
    assert [c.query["attribute_value"] for c in calls] == ["1", "2", "3", "4", "5"]
    assert max(c.started_at for c in calls) < min(c.finished_at for c in calls)
    counts = SandboxData.build().rating_counts()
    assert f"{counts['1'] + counts['2']}" in html  # "needs attention"


def test_the_audit_and_the_shared_list_are_written_before_the_page_is_answered(
    agent_client, sandbox
):
    cache.clear()
    page_html(agent_client.get(USERS + "?preset=1-2&refresh=1"))
    # Nothing is left for a thread to finish: both rows are complete, the list is shared.
    assert [c.outcome for c in _calls()] == ["ok", "ok"]
    key = UserFilter("feedback", ("1", "2")).cache_key
    fetched_at, chunks = cache.get(key)
    assert cache.get(f"{key}:at")[0] == fetched_at
    counts = SandboxData.build().rating_counts()
    assert len(_decode(chunks)) == counts["1"] + counts["2"]
