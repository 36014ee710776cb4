"""The audit screen: access, rows from real calls, filters, keyset paging, detail, export,
bad input, and the integrity panel."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz.models import OutboundCall
from technowiz.sealing import audit_seal
from tests.conftest import make_call, tamper
from tests.conftest import page_html as _html

URL = reverse("dashboard:audit_list")
EXPORT = reverse("dashboard:audit_export")
VERIFY = reverse("dashboard:audit_verify")
pytestmark = pytest.mark.django_db


def _ids(html: str) -> list[int]:
    """The call ids of the table's rows, in order."""
    return [int(pk) for pk in re.findall(r'<tr data-call="(\d+)">', html)]


def _link(html: str, rel: str) -> str:
    """The href of the pager link ``rel`` (relative query strings resolved against the page)."""
    href = re.search(rf'<a href="([^"]+)" hx-get="[^"]+"[^>]*rel="{rel}">', html).group(1)
    href = href.replace("&amp;", "&")
    return URL + href if href.startswith("?") else href


def _older(html: str) -> str:
    return _link(html, "next")


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, EXPORT, reverse("dashboard:audit_detail", args=[1])])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", [URL, EXPORT, reverse("dashboard:audit_detail", args=[1])])
def test_agents_and_managers_are_refused(agent_client, manager_client, url):
    make_call()
    assert agent_client.get(url).status_code == 403
    assert manager_client.get(url).status_code == 403
    assert agent_client.post(VERIFY).status_code == 403
    assert manager_client.post(VERIFY).status_code == 403


def test_admin_sees_the_page(admin_client_):
    html = _html(admin_client_.get(URL))
    assert "<h1>Audit log</h1>" in html and "Integrity" in html


def test_fragment_for_htmx_and_full_page_otherwise(admin_client_):
    make_call()
    full = admin_client_.get(URL)
    fragment = admin_client_.get(URL, HTTP_HX_REQUEST="true")
    assert "<html" in full.content.decode()
    body = fragment.content.decode()
    assert "<html" not in body and body.strip().startswith('<div id="audit-screen"')
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in full["Vary"]


# --- Rows from real platform calls ----------------------------------------------------


def test_real_calls_appear_with_who_action_and_outcome(agent_client, admin_client_, sandbox):
    agent_client.get(reverse("dashboard:users_list") + "?preset=1")
    call = OutboundCall.objects.get()
    html = _html(admin_client_.get(URL))
    assert _ids(html) == [call.pk]
    row = html.split(f'<tr data-call="{call.pk}">')[1].split("</tr>")[0]
    assert "agent1" in row and "Users search" in row  # the filter's words
    assert '<span class="badge good">ok</span>' in row
    assert "sandbox-key" not in html


def test_outcome_filter_after_a_faulted_call(agent_client, admin_client_, sandbox):
    users = reverse("dashboard:users_list")
    agent_client.get(users + "?preset=1")
    sandbox.faults.push("status=400")
    agent_client.get(users + "?preset=1&refresh=1")
    failed = OutboundCall.objects.get(outcome="client_error")
    assert _ids(_html(admin_client_.get(URL + "?outcome=client_error"))) == [failed.pk]
    assert len(_ids(_html(admin_client_.get(URL + "?outcome=ok")))) == 1


def test_pending_long_past_the_timeouts_filters_and_shows_as_unknown(admin_client_):
    dead = make_call(outcome="pending", status=None, started_at=timezone.now() - timedelta(hours=1))
    live = make_call(outcome="pending", status=None, started_at=timezone.now())
    # The panel seals on each visit: the dead row is closed as unknown, the live one waits.
    html = _html(admin_client_.get(URL + "?outcome=unknown"))
    assert _ids(html) == [dead.pk]
    assert '<span class="badge warn">unknown</span>' in html
    assert _ids(_html(admin_client_.get(URL + "?outcome=pending"))) == [live.pk]


def test_username_action_and_path_filters(admin_client_):
    a = make_call(username="Priya")
    b = make_call(action="flow.trigger", path="/flows/callback/trigger")
    assert _ids(_html(admin_client_.get(URL + "?username=priya"))) == [a.pk]
    assert _ids(_html(admin_client_.get(URL + "?action=flow.trigger"))) == [b.pk]
    assert _ids(_html(admin_client_.get(URL + "?path=CALLBACK"))) == [b.pk]


def test_date_range_is_in_the_viewers_time_zone_and_to_is_inclusive(admin_client_, admin_member):
    admin_member.member.time_zone = "Asia/Kolkata"
    admin_member.member.save()
    # 20:00 UTC on 1 Jan is 01:30 on 2 Jan in India.
    early = make_call(started_at=datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    late = make_call(started_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC))
    assert _ids(_html(admin_client_.get(URL + "?start=2026-01-02&end=2026-01-02"))) == [late.pk]
    assert _ids(_html(admin_client_.get(URL + "?start=2026-01-01&end=2026-01-01"))) == [early.pk]
    assert _ids(_html(admin_client_.get(URL + "?end=2026-01-02"))) == [late.pk, early.pk]
    html = _html(admin_client_.get(URL + "?start=2026-01-02"))
    assert "2 Jan 2026, 01:30:00" in html  # one date format on every page


# --- Keyset paging --------------------------------------------------------------------


def test_older_and_newer_links_page_without_overlap_or_gap(admin_client_):
    calls = [make_call() for _ in range(130)]
    expected = [c.pk for c in reversed(calls)]
    first = _html(admin_client_.get(URL))
    seen = _ids(first)
    assert len(seen) == 50 and 'rel="prev"' not in first
    page = first
    while 'rel="next">Older' in page:
        older = _older(page)
        assert "before=" in older
        page = _html(admin_client_.get(older))
        seen += _ids(page)
    assert seen == expected
    # "Newer" from the second page is the first page again.
    second = _html(admin_client_.get(URL + f"?before={expected[49]}"))
    assert _ids(second) == expected[50:100]
    assert _ids(_html(admin_client_.get(_link(second, "prev")))) == expected[:50]
    assert _ids(_html(admin_client_.get(_link(second, "first")))) == expected[:50]


def test_page_size_and_paging_keep_the_filter(admin_client_):
    for _ in range(105):
        make_call(action="conversation.page")
    make_call()
    html = _html(admin_client_.get(URL + "?action=conversation.page&size=100"))
    assert len(_ids(html)) == 100
    older = _older(html)
    assert "action=conversation.page" in older and "size=100" in older
    assert len(_ids(_html(admin_client_.get(older)))) == 5


# --- Detail ---------------------------------------------------------------------------


def test_detail_shows_every_field_and_the_other_attempts(admin_client_):
    call_id = uuid.uuid4()
    first = make_call(call_id=call_id, attempt=0, status=503, outcome="server_error")
    retry = make_call(
        call_id=call_id,
        attempt=1,
        body_summary={"template": "apology", "recipients": 12},
        detail="all good",
    )
    html = _html(admin_client_.get(reverse("dashboard:audit_detail", args=[retry.pk])))
    for text in (
        f"Call #{retry.pk}: Users search",
        str(call_id),
        "<dt>attribute</dt><dd>feedback</dd>",
        "<dt>template</dt><dd>apology</dd>",
        "<dt>recipients</dt><dd>12</dd>",
        "all good",
        "web:abc",
        "#2 (this one)",  # attempts are numbered from 1
        f"#1 (call #{first.pk})",
        '<span class="badge bad">server_error</span>',
    ):
        assert text in html, text
    assert admin_client_.get(reverse("dashboard:audit_detail", args=[99999])).status_code == 404


# --- Export ---------------------------------------------------------------------------


def test_export_is_the_filtered_rows(admin_client_):
    keep = [make_call(username="priya") for _ in range(60)]
    make_call(username="other")
    response = admin_client_.get(EXPORT + "?username=priya&before=999999&size=50")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["id"]) for r in rows] == [c.pk for c in reversed(keep)]
    assert {r["username"] for r in rows} == {"priya"} and rows[0]["outcome"] == "ok"


def test_export_refuses_a_bad_filter(admin_client_):
    response = admin_client_.get(EXPORT + "?start=yesterday")
    assert response.status_code == 400 and b"YYYY-MM-DD" in response.content


# --- Bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-13-45", "start", "Enter the date as YYYY-MM-DD."),
        ("start=2026-02-02&end=2026-02-01", "end", "“To” must be on or after “From”."),
        ("outcome=exploded", "outcome", "Choose an outcome from the list."),
        ("action=users.delete", "action", "Choose an action from the list."),
        ("size=7", "size", "Page size must be 50, 100 or 200."),
        ("before=abc", "before", "The position in the log must be a call number."),
        ("before=-3", "before", "The position in the log must be a call number."),
        ("before=5&after=2", "after", "Ask for older or for newer calls, not both."),
        ("before=" + "9" * 30, "before", "The position in the log must be a call number."),
        ("end=9999-12-31", "end", "Enter a date between 2000 and 9000."),
    ],
)
def test_bad_inputs_show_their_message(admin_client_, query, field, message):
    html = _html(admin_client_.get(URL + "?" + query))
    assert message in html and 'role="alert"' in html
    if field not in ("before", "after"):
        # The field names its message (Django's aria-describedby) and the message is there.
        assert f'aria-describedby="id_{field}_error"' in html
        assert f'<span class="field-error" id="id_{field}_error">{message}</span>' in html
    assert "<tbody>" not in html


# --- Integrity ------------------------------------------------------------------------


# "Not sealed yet" counts the admin's own sign-in too: an action younger than the
# settle window (technowiz.sealing.SETTLE).


def test_integrity_panel_seals_verifies_and_shows_tampering(admin_client_):
    calls = [make_call() for _ in range(3)]
    html = _html(admin_client_.get(URL))
    assert (
        "<strong>3</strong> rows (calls and actions) sealed, <strong>1</strong> not sealed yet."
        in html
    )
    assert "Not verified yet." in html
    panel = _html(admin_client_.post(VERIFY, HTTP_HX_REQUEST="true"))
    assert panel.strip().startswith('<section id="integrity-panel"')
    assert '<span class="badge good">Intact</span>' in panel
    tamper("UPDATE technowiz_outboundcall SET status = 201 WHERE id = %s", [calls[1].pk])
    panel = _html(admin_client_.post(VERIFY, HTTP_HX_REQUEST="true"))
    assert 'role="alert"' in panel
    assert f"Row #{calls[1].pk} was changed after it was sealed (block #1)." in panel
    # The full page shows the last verification too; a plain POST redirects back.
    assert "was changed after it was sealed" in _html(admin_client_.get(URL))
    response = admin_client_.post(VERIFY + "?outcome=ok")
    assert response.status_code == 302 and response["Location"] == URL + "?outcome=ok"


def test_integrity_counts_rows_not_sealed_yet(admin_client_):
    make_call()
    audit_seal()
    make_call(started_at=timezone.now())  # too young to seal
    html = _html(admin_client_.get(URL))
    assert (
        "<strong>1</strong> row (calls and actions) sealed, <strong>2</strong> not sealed yet."
        in html
    )


# --- Never a 500 ----------------------------------------------------------------------

_NAMES = ["username", "action", "outcome", "start", "end", "path", "size", "before", "after"]
_VALUES = st.one_of(
    st.sampled_from(
        [
            *("", "0", "-1", "1", "50", "9" * 40, "2026-13-45", "9999-12-31", "0001-01-01"),
            *("\x00", "unknown", "pending", "users.search", "%", "<script>"),
        ]
    ),
    st.text(max_size=20),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(_NAMES), _VALUES), max_size=6))
def test_no_query_string_makes_a_500(admin_client_, pairs):
    for path in (URL, EXPORT):
        response = admin_client_.get(f"{path}?{urlencode(pairs)}")
        assert response.status_code in (200, 400), (path, pairs, response.status_code)
        if response.status_code == 200 and path == EXPORT:
            b"".join(response.streaming_content)


def test_the_list_does_not_accept_posts(admin_client_):
    assert admin_client_.post(URL).status_code == 405
    assert admin_client_.get(VERIFY).status_code == 405


def test_a_long_backlog_is_sealed_in_shares_and_the_rest_in_the_background(
    admin_client_, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from technowiz.tasks import seal_audit_log

    monkeypatch.setattr("dashboard.selectors.audit.PAGE_SEAL_ROWS", 2)
    for _ in range(5):
        make_call()
    html = _html(admin_client_.get(URL))  # seals 2 of 5 itself, queues the rest
    assert (
        "<strong>2</strong> rows (calls and actions) sealed, <strong>4</strong> not sealed yet."
        in html
    )
    assert "The rest is being sealed in the background; reload in a minute." in html
    html = _html(admin_client_.get(URL))  # the next 2; the task is queued once only
    assert (
        "<strong>4</strong> rows (calls and actions) sealed, <strong>2</strong> not sealed yet."
        in html
    )
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "technowiz.tasks.seal_audit_log"
    ]
    assert seal_audit_log.call() == 1  # what the worker runs
    html = _html(admin_client_.get(URL))
    assert (
        "<strong>5</strong> rows (calls and actions) sealed, <strong>1</strong> not sealed yet."
        in html
    )
    assert "in the background" not in html


def test_a_large_log_is_verified_in_the_background_and_the_panel_follows(
    admin_client_, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from technowiz.tasks import verify_audit_log

    monkeypatch.setattr("dashboard.views.audit.INLINE_VERIFY_ROWS", 2)
    for _ in range(3):
        make_call()
    _html(admin_client_.get(URL))  # seals the 3 calls
    panel = _html(admin_client_.post(VERIFY, HTTP_HX_REQUEST="true"))
    assert "The whole log is being checked in the background" in panel
    poll = re.search(r'<p role="status" hx-get="([^"]+)" hx-trigger="every 3s"', panel)
    assert poll and poll.group(1) == reverse("dashboard:audit_integrity")
    assert "Not verified yet." in panel
    admin_client_.post(VERIFY, HTTP_HX_REQUEST="true")  # a second click queues nothing more
    queued = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == ["technowiz.tasks.verify_audit_log"]
    assert verify_audit_log.call() is True  # what the worker runs
    panel = _html(admin_client_.get(poll.group(1), HTTP_HX_REQUEST="true"))
    assert panel.strip().startswith('<section id="integrity-panel"')
    assert '<span class="badge good">Intact</span>' in panel
    assert "every 3s" not in panel and "in the background" not in panel
    plain = admin_client_.get(poll.group(1))
    assert plain.status_code == 302 and plain["Location"] == URL


def test_the_integrity_panel_is_for_admins_only(manager_client):
    response = manager_client.get(reverse("dashboard:audit_integrity"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
