"""A user's conversation: chat, paging, date range, jump to the rating, export."""

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboard.models import TeamMember
from technowiz.models import OutboundCall
from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS, MARKUP_USER_ID, SandboxData
from tests.conftest import page_html as _html

pytestmark = pytest.mark.django_db
LONG = LONG_CONVERSATION_USER_IDS[0]


def _url(user_id: str, query: str = "") -> str:
    return reverse("dashboard:conversation", args=[user_id]) + (f"?{query}" if query else "")


def _ids(html: str) -> list[str]:
    return re.findall(r'<li class="msg [^"]*" id="([^"]+)"', html)


def test_needs_view_conversations(client, client_for, django_user_model, sandbox):
    assert client.get(_url(LONG)).status_code == 302
    nobody = client_for(django_user_model.objects.create_user("nobody", password="pw-1234567"))
    assert nobody.get(_url(LONG)).status_code == 403


def test_shows_the_transcript_as_a_chat(agent_client, sandbox):
    total = len(SandboxData.build().conversation(MARKUP_USER_ID))
    html = _html(agent_client.get(_url(MARKUP_USER_ID, "size=500")))
    assert f"{total} messages in this range." in html
    assert "msg-user" in html and "msg-bot" in html
    assert 'class="chip"' in html  # buttons as chips
    assert 'class="stars"' in html  # the rating as stars
    call = OutboundCall.objects.get(action="conversation.page")
    assert call.action == "conversation.page" and MARKUP_USER_ID in call.path


def test_platform_text_is_data_never_markup(agent_client, sandbox):
    html = _html(agent_client.get(_url(MARKUP_USER_ID, "size=500")))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' not in html
    assert "<b>bold</b>" not in html
    assert 'href="javascript:' not in html
    assert "its link is not a web address" in html


def test_user_details_come_from_the_list_it_was_opened_from(agent_client, sandbox):
    html = _html(agent_client.get(_url(MARKUP_USER_ID, "preset=1-2&lpage=2")))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the user's name, escaped
    assert "+919800000042" in html
    assert 'href="/users/?preset=1-2&amp;page=2"' in html  # back to the same list page


def test_paging_with_page_x_of_y(agent_client, sandbox):
    total = len(SandboxData.build().conversation(LONG))
    pages = -(-total // 100)
    html = _html(agent_client.get(_url(LONG, "size=100&page=3")))
    assert f"Page 3 of {pages}" in html
    ids = _ids(html)
    assert len(ids) == 100 and ids[0] == "m-000201"
    fragment = agent_client.get(_url(LONG, "size=100&page=4"), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and body.strip().startswith('<div id="conversation-screen"')
    assert "HX-Request" in fragment["Vary"]


def test_date_range_is_read_in_the_viewers_zone_and_sent_as_utc_ms(agent, agent_client, sandbox):
    TeamMember.objects.filter(user=agent).update(time_zone="Asia/Kolkata")
    _html(agent_client.get(_url(LONG, "start=2026-10-01&end=2026-10-31")))
    call = OutboundCall.objects.get(action="conversation.page")
    start = int(datetime(2026, 9, 30, 18, 30, tzinfo=UTC).timestamp() * 1000)
    end = int(datetime(2026, 10, 31, 18, 30, tzinfo=UTC).timestamp() * 1000)
    assert int(call.query["start_date"]) == start
    assert int(call.query["end_date"]) == end


def test_date_range_limits_the_messages(agent_client, sandbox):
    messages = SandboxData.build().conversation(LONG)
    day = datetime.fromtimestamp(messages[len(messages) // 2]["timestamp"] / 1000, tz=UTC).date()
    html = _html(agent_client.get(_url(LONG, f"start={day}&end={day}&size=500")))
    expected = [
        m for m in messages if datetime.fromtimestamp(m["timestamp"] / 1000, tz=UTC).date() == day
    ]
    assert f"{len(expected)} message" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-10-05&end=2026-10-01", "“To” must be on or after “From”."),
        ("start=yesterday", "Enter the date as YYYY-MM-DD."),
        ("end=9999-12-31", "Enter a date between 2000 and 9000."),
        ("page=0", "The page must be a whole number, 1 or more."),
        ("page=two", "The page must be a whole number, 1 or more."),
        ("size=7", "Page size must be 25, 50, 100, 200 or 500."),
    ],
)
def test_bad_input_says_what_is_wrong_and_calls_nothing(
    agent_client, sandbox, platform_calls, query, message
):
    html = _html(agent_client.get(_url(LONG, query)))
    assert message in html
    assert platform_calls() == 0


def test_unknown_user_is_said_in_plain_words(agent_client, sandbox):
    html = _html(agent_client.get(_url("nobody-at-all")))
    assert "unknown" in html.lower()
    call = OutboundCall.objects.get(action="conversation.page")
    assert call.platform_code == 1002 and f"call #{call.pk}" in html


def test_jump_to_the_rating_opens_its_page_highlighted(agent_client, sandbox):
    messages = SandboxData.build().conversation(LONG)
    index = max(i for i, m in enumerate(messages) if m["type"] == "FEEDBACK")
    rating = reverse("dashboard:conversation_rating", args=[LONG]) + "?size=50"
    response = agent_client.get(rating)
    assert response.status_code == 302
    target = messages[index]["message_id"]
    assert f"page={index // 50 + 1}" in response["Location"]
    assert response["Location"].endswith(f"highlight={target}#{target}")
    html = _html(agent_client.get(response["Location"]))
    assert re.search(rf'class="msg [^"]*highlighted" id="{target}"', html)
    # For htmx: fetch that page into the transcript and push its URL.
    location = json.loads(agent_client.get(rating, HTTP_HX_REQUEST="true")["HX-Location"])
    assert location["target"] == "#conversation-screen"
    assert location["path"] == response["Location"].split("#")[0]


def test_jump_without_a_rating_says_so(agent_client, sandbox):
    rating = (
        reverse("dashboard:conversation_rating", args=[LONG]) + "?start=2020-01-01&end=2020-01-02"
    )
    html = _html(agent_client.get(rating))
    assert "gave no rating in this date range" in html


def test_export_has_every_message_of_the_range(agent_client, sandbox):
    total = len(SandboxData.build().conversation(LONG))
    url = reverse("dashboard:conversation_export", args=[LONG])
    response = agent_client.get(url + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["time", "sender", "agent", "type", "text", "message_id"]
    assert len(rows) - 1 == total
    assert OutboundCall.objects.filter(action="conversation.page").count() == -(-total // 500)
    text = b"".join(agent_client.get(url + "?format=txt").streaming_content).decode()
    assert len(text.splitlines()) == total


def test_export_needs_export_data(client_for, django_user_model, sandbox):
    from django.contrib.auth.models import Permission

    reader = django_user_model.objects.create_user("reader", password="pw-1234567")
    reader.user_permissions.add(Permission.objects.get(codename="view_conversations"))
    client = client_for(reader)
    assert client.get(_url(LONG)).status_code == 200
    url = reverse("dashboard:conversation_export", args=[LONG])
    assert client.get(url + "?format=csv").status_code == 403


def test_a_shared_link_shows_the_person_fetched_with_the_page(agent_client, sandbox):
    # No list in the URL (a link pasted in a chat): the rating lists are asked for with
    # the transcript, at once, and kept for the next page.
    html = _html(agent_client.get(_url(LONG)))
    assert '<h1 id="person-heading">Rahul Mehta</h1>' in html
    assert "<dt>Rating</dt><dd>" in html and "5 of 5" in html
    assert "<dt>city</dt><dd>Pune</dd>" in html and "<dt>plan</dt><dd>platinum</dd>" in html
    searched = OutboundCall.objects.filter(action="users.search")
    assert sorted(c.query["attribute_value"] for c in searched) == ["1", "2", "3", "4", "5"]
    _html(agent_client.get(_url(LONG, "page=2")))
    assert OutboundCall.objects.filter(action="users.search").count() == 5  # kept


def test_a_user_in_no_list_says_what_the_page_does_not_know(agent_client, sandbox):
    unrated = next(u for u in SandboxData.build().users if "feedback" not in u["attributes"])
    html = _html(agent_client.get(_url(unrated["user_id"])))
    assert f'<h1 id="person-heading">User {unrated["user_id"]}</h1>' in html
    assert "nor among the users who rated the bot" in html
    assert "(no name)" not in html


def test_user_details_survive_the_conversations_own_page_size(agent_client, sandbox):
    # size=500 is the conversation's; the list's own size travels as lsize.
    html = _html(agent_client.get(_url(MARKUP_USER_ID, "preset=1-2&lsize=25&size=500")))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert 'href="/users/?preset=1-2&amp;size=25"' in html


def test_the_range_and_size_reach_the_export_and_jump_links(agent_client, sandbox):
    """After a new range is shown (as an htmx swap), every action uses it."""
    html = agent_client.get(
        _url(LONG, "start=2026-01-01&end=2026-01-31&size=100"), HTTP_HX_REQUEST="true"
    ).content.decode()
    for name in ("conversation_rating", "conversation_export"):
        base = reverse(f"dashboard:{name}", args=[LONG])
        links = re.findall(rf'href="{re.escape(base)}\?([^"]+)"', html)
        assert links, name
        assert all("start=2026-01-01" in q and "end=2026-01-31" in q for q in links), links


def test_export_times_are_in_the_viewers_zone(agent, agent_client, sandbox):
    TeamMember.objects.filter(user=agent).update(time_zone="Asia/Kolkata")
    url = reverse("dashboard:conversation_export", args=[LONG]) + "?format=txt"
    first_line = b"".join(agent_client.get(url).streaming_content).decode().splitlines()[0]
    assert re.match(r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+05:30\] ", first_line), first_line


def test_every_page_read_while_streaming_is_recorded_as_the_viewer(agent_client, sandbox):
    url = reverse("dashboard:conversation_export", args=[LONG]) + "?format=csv"
    b"".join(agent_client.get(url).streaming_content)  # read after the view returned
    calls = OutboundCall.objects.filter(action="conversation.page")
    assert calls.count() == 5
    assert set(calls.values_list("username", flat=True)) == {"agent1"}
    assert all(origin.startswith("web:") for origin in calls.values_list("origin", flat=True))


def test_a_failed_export_says_why_on_a_page(agent_client, sandbox):
    sandbox.faults.push("status=503")
    url = reverse("dashboard:conversation_export", args=[LONG]) + "?format=csv"
    response = agent_client.get(url)
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "The export was not made" in html and "internal problem" in html
    call = OutboundCall.objects.get()
    assert f"call #{call.pk}" in html


def test_a_page_past_the_end_offers_the_last_page(agent_client, sandbox):
    total = len(SandboxData.build().conversation(LONG))
    last = -(-total // 500)
    html = _html(agent_client.get(_url(LONG, "size=500&page=999")))
    assert f"This range has only {last} pages at this size." in html
    assert f"page={last}" in html and "Go to the last page" in html


def test_paging_with_htmx_asks_the_platform_for_the_page_only(agent_client, sandbox):
    cache.clear()  # the user list of the person card would have to be fetched again
    response = agent_client.get(_url(LONG, "preset=1&page=2"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'class="card person"' not in response.content.decode()
    actions = list(OutboundCall.objects.values_list("action", flat=True))
    assert actions == ["conversation.page"]


def test_looking_for_a_rating_in_an_empty_range_reads_its_page_once(agent_client, sandbox):
    rating = (
        reverse("dashboard:conversation_rating", args=[LONG]) + "?start=2020-01-01&end=2020-01-02"
    )
    assert "gave no rating in this date range" in _html(agent_client.get(rating))
    assert list(OutboundCall.objects.values_list("action", flat=True)) == ["conversation.page"]
