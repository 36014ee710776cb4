"""The users page: filters, local paging/sort/search, selection, export, errors."""

import csv
import io
import json
import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from dashboard.models import TeamMember
from technowiz.models import OutboundCall
from technowiz.sandbox.data import MARKUP_USER_ID, SandboxData
from tests.conftest import page_html as _html

URL = reverse("dashboard:users_list")
pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    """The user ids of the table's rows, in order."""
    return re.findall(r'<input type="checkbox" name="user_id" value="([^"]+)"', html)


def _count(html: str) -> int:
    return int(re.search(r'<p class="count"[^>]*><strong>(\d+)</strong>', html).group(1))


@pytest.fixture
def counts():
    return SandboxData.build().rating_counts()


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL + "?preset=1")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bare_visit_makes_no_platform_call(agent_client, sandbox, platform_calls):
    html = _html(agent_client.get(URL))
    assert "Choose a quick filter" in html
    assert '<label for="id_attribute">Attribute</label>' in html
    assert '<label for="id_value">Value</label>' in html
    assert platform_calls() == 0


def test_one_star_preset_lists_exactly_the_one_star_users(agent_client, sandbox, counts):
    html = _html(agent_client.get(URL + "?preset=1"))
    assert _count(html) == counts["1"]
    assert "match feedback = “1”" in html
    assert len(_rows(html)) == 50
    call = OutboundCall.objects.get()
    assert call.action == "users.search" and call.username == "agent1"


def test_one_to_two_stars_is_the_union_each_user_once(agent_client, sandbox, counts):
    html = _html(agent_client.get(URL + "?preset=1-2&size=200&page=1"))
    assert _count(html) == counts["1"] + counts["2"]
    assert OutboundCall.objects.filter(action="users.search").count() == 2
    every = []
    for page in range(1, 6):
        every += _rows(_html(agent_client.get(URL + f"?preset=1-2&size=200&page={page}")))
    assert len(every) == len(set(every)) == counts["1"] + counts["2"]


def test_attribute_and_value_filter(agent_client, sandbox):
    expected = len(SandboxData.build().users_matching("city", "Pune"))
    html = _html(agent_client.get(URL + "?attribute=city&value=Pune"))
    assert _count(html) == expected
    # Exact and case-sensitive: "pune" is another value.
    html = _html(agent_client.get(URL + "?attribute=city&value=pune"))
    assert "No user matches" in html


def test_fragment_for_htmx_and_full_page_otherwise(agent_client, sandbox):
    full = agent_client.get(URL + "?preset=1")
    fragment = agent_client.get(URL + "?preset=1", HTTP_HX_REQUEST="true")
    assert "<html" in full.content.decode()
    body = fragment.content.decode()
    assert "<html" not in body and body.strip().startswith('<div id="users-screen"')
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in full["Vary"]
    restore = agent_client.get(
        URL + "?preset=1", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_paging_sorting_and_search_make_no_new_platform_call(agent_client, sandbox):
    first = _rows(_html(agent_client.get(URL + "?preset=1&size=25")))
    calls = OutboundCall.objects.count()
    third = _html(agent_client.get(URL + "?preset=1&size=25&page=3"))
    assert "Page 3 of" in third and set(_rows(third)).isdisjoint(first)
    by_name = _html(agent_client.get(URL + "?preset=1&size=25&sort=name"))
    names = re.findall(r'conversation/\?[^"]*">([^<]+)</a>', by_name)
    assert names == sorted(names, key=str.casefold)
    searched = _html(agent_client.get(URL + "?preset=1&q=" + first[0]))
    assert _rows(searched) == [first[0]]
    assert "found for" in searched
    assert OutboundCall.objects.count() == calls


def test_a_page_past_the_end_shows_the_last_page(agent_client, sandbox, counts):
    html = _html(agent_client.get(URL + "?preset=1&size=200&page=99"))
    last = -(-counts["1"] // 200)
    assert f"Page {last} of {last}" in html


def test_refresh_fetches_again(agent_client, sandbox):
    agent_client.get(URL + "?preset=1")
    agent_client.get(URL + "?preset=1&refresh=1")
    assert OutboundCall.objects.filter(action="users.search").count() == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("attribute=&value=1", "Enter the attribute name, for example feedback."),
        ("attribute=city&value=", "Enter the value to match, for example 1."),
        ("preset=1&page=0", "The page must be a whole number, 1 or more."),
        ("preset=1&page=abc", "The page must be a whole number, 1 or more."),
        ("preset=1&size=7", "Page size must be 25, 50, 100 or 200."),
        ("preset=1&sort=evil", "Choose a sort order from the list."),
        ("preset=9", "Choose one of the presets."),
        (
            "preset=1&attribute=city&value=Pune",
            "Use either a quick filter or an attribute and a value, not both.",
        ),
        ("attribute=" + "a" * 101 + "&value=1", "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_input_says_what_is_wrong_and_calls_nothing(
    agent_client, sandbox, platform_calls, query, message
):
    html = _html(agent_client.get(URL + "?" + query))
    assert message in html
    assert platform_calls() == 0


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("revoked", "Tell an admin"),
        ("status=503", "The platform had an internal problem"),
        ("timeout=3", "The platform did not answer"),
        ("malformed", "answered with something the dashboard does not understand"),
        ("forbidden", "plan on the platform does not allow this"),
    ],
)
def test_platform_errors_show_in_place_with_a_retry(agent_client, sandbox, fault, message):
    sandbox.faults.push(fault)
    html = _html(agent_client.get(URL + "?preset=1", HTTP_HX_REQUEST="true"))
    assert 'class="error-box platform-error" role="alert"' in html
    assert message.lower() in html.lower()
    call = OutboundCall.objects.get()
    assert f"call #{call.pk}" in html
    assert "Try again" in html and 'hx-get="?preset=1"' in html
    # The same page works again once the platform does.
    assert _count(_html(agent_client.get(URL + "?preset=1"))) > 0


def test_markup_in_names_is_shown_as_text(agent_client, sandbox):
    html = _html(agent_client.get(URL + f"?preset=1-2&q={MARKUP_USER_ID}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_users_without_phone_get_a_badge(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?attribute=feedback&value=5&size=200"))
    assert "No phone: WhatsApp cannot reach them" in html


def test_last_active_is_in_the_viewers_time_zone(agent, agent_client, sandbox):
    html = _html(agent_client.get(URL + "?preset=1&size=25"))
    utc_time = re.search(r'<time datetime="([^"]+)">', html).group(1)
    TeamMember.objects.filter(user=agent).update(time_zone="Asia/Kolkata")
    html = _html(agent_client.get(URL + "?preset=1&size=25"))
    local_time = re.search(r'<time datetime="([^"]+)">', html).group(1)
    assert utc_time.endswith("+00:00") and local_time.endswith("+05:30")


def test_selection_survives_paging_and_can_be_all_matching(agent_client, sandbox, counts):
    select = reverse("dashboard:users_select") + "?preset=1"
    page1 = _rows(_html(agent_client.get(URL + "?preset=1")))
    bar = agent_client.post(
        select, {"op": "toggle", "toggle": page1[0], "user_id": page1[0]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>1</strong> selected" in bar
    page2 = _html(agent_client.get(URL + "?preset=1&page=2"))
    assert "<strong>1</strong> selected" in page2
    page1_html = _html(agent_client.get(URL + "?preset=1"))
    assert re.search(rf'value="{page1[0]}"[^>]*checked', page1_html)
    # "All matching" changes every box on the page: htmx fetches the screen again.
    back = URL + "?preset=1&page=2"
    response = agent_client.post(select, {"op": "all", "next": back}, HTTP_HX_REQUEST="true")
    assert json.loads(response["HX-Location"]) == {
        "path": back,
        "target": "#users-screen",
        "swap": "outerHTML",
    }
    page2 = _html(agent_client.get(back))
    assert f"<strong>{counts['1']}</strong> selected" in page2
    assert "Select all" not in page2  # nothing left to add
    assert all(f'value="{uid}" aria-label' in page2 for uid in _rows(page2))
    assert len(re.findall(r"checked hx-post", page2)) == len(_rows(page2))
    bar = agent_client.post(
        select, {"op": "toggle", "toggle": page1[0]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f"<strong>{counts['1'] - 1}</strong> selected" in bar
    agent_client.post(select, {"op": "clear"}, HTTP_HX_REQUEST="true")
    assert "<strong>0</strong> selected" in _html(agent_client.get(back))


def test_selection_refuses_an_off_site_return_address(agent_client, sandbox):
    select = reverse("dashboard:users_select") + "?preset=1"
    response = agent_client.post(select, {"op": "all", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == URL


def test_selection_rejects_unknown_changes(agent_client, sandbox):
    select = reverse("dashboard:users_select") + "?preset=1"
    assert agent_client.post(select, {"op": "explode"}).status_code == 400
    assert agent_client.post(reverse("dashboard:users_select"), {"op": "all"}).status_code == 400


def test_export_streams_the_whole_matched_set(agent_client, sandbox, counts):
    response = agent_client.get(reverse("dashboard:users_export") + "?preset=1")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["user_id", "name", "channel", "phone", "email", "last_active"]
    assert len(rows) - 1 == counts["1"]
    assert all(row[rows[0].index("feedback")] == "1" for row in rows[1:])


def test_export_needs_export_data(django_user_model, client_for, sandbox):
    viewer = django_user_model.objects.create_user("viewer", password="pw-123456-x")
    viewer.user_permissions.add(Permission.objects.get(codename="view_users"))
    client = client_for(viewer)
    assert client.get(URL + "?preset=1").status_code == 200
    assert client.get(reverse("dashboard:users_export") + "?preset=1").status_code == 403


def test_the_error_summary_names_fields_as_the_form_does(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?attribute=city&value="))
    assert "<li>Value: Enter the value to match, for example 1.</li>" in html
    assert 'class="field-error" id="value-error">Enter the value to match' in html


def test_a_failed_users_export_says_why_on_a_page(agent_client, sandbox):
    sandbox.faults.push("revoked")
    response = agent_client.get(reverse("dashboard:users_export") + "?preset=1")
    assert response.status_code == 502
    assert "The export was not made" in response.content.decode()
    html = _html(agent_client.get(URL + "?preset=1"))
    assert 'href="/users/export.csv?preset=1">Export CSV</a>' in html  # a plain link


def test_one_problem_one_message(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?attribute=" + "a" * 101 + "&value=1"))
    assert "Enter the attribute name" not in html


def test_ticking_never_waits_on_the_platform(agent_client, sandbox):
    from django.core.cache import cache

    select = reverse("dashboard:users_select") + "?preset=1"
    rows = _rows(_html(agent_client.get(URL + "?preset=1")))
    calls = OutboundCall.objects.count()
    cache.clear()  # the kept set expired
    bar = agent_client.post(
        select, {"op": "toggle", "toggle": rows[0], "user_id": rows[0]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>1</strong> selected" in bar
    agent_client.post(select, {"op": "all"}, HTTP_HX_REQUEST="true")
    bar = agent_client.post(
        select, {"op": "toggle", "toggle": rows[1]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>All</strong> matching selected" in bar
    assert OutboundCall.objects.count() == calls


def test_ticks_from_one_page_are_sent_one_after_another(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?preset=1"))
    boxes = re.findall(r'<input type="checkbox" name="user_id"[^>]*>', html)
    assert boxes and all('hx-sync="closest tbody:queue all"' in box for box in boxes)


def test_a_set_being_fetched_elsewhere_is_waited_for_not_fetched_again(
    agent_client, sandbox, monkeypatch
):
    """Many people opening the same cold list make one platform call, not one each."""
    from django.core.cache import cache

    import dashboard.selectors.users as selectors
    from dashboard.selectors.users import UserFilter, users_keep
    from technowiz.client import get_client

    user_filter = UserFilter("feedback", ("1",))
    users = get_client().users_by_attribute("feedback", "1")  # what the other request got
    calls = OutboundCall.objects.count()
    cache.clear()
    cache.add(f"{user_filter.cache_key}:fetching", 1, timeout=60)  # another request fetches
    waits = []

    def other_request_finishes(seconds):
        waits.append(seconds)
        if len(waits) == 2:
            users_keep(user_filter=user_filter, users=users, fetched_at=time.time())

    monkeypatch.setattr(selectors, "_pause", other_request_finishes)
    html = _html(agent_client.get(URL + "?preset=1"))
    assert _count(html) == len(users)
    assert len(waits) == 2
    assert OutboundCall.objects.count() == calls  # no second fetch


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("preset=1&size=7", "size", "Page size must be 25, 50, 100 or 200."),
        ("preset=1&sort=evil", "sort", "Choose a sort order from the list."),
    ],
)
def test_a_bad_choice_is_explained_next_to_its_list(agent_client, sandbox, query, name, message):
    html = _html(agent_client.get(URL + "?" + query))
    select = re.search(rf'<select name="{name}"[^>]*>', html)[0]
    assert f'aria-describedby="id_{name}_error"' in select
    assert 'aria-invalid="true"' in select
    assert f'<span class="field-error" id="id_{name}_error">{message}</span>' in html


def test_an_unknown_preset_is_explained_beside_the_quick_filters(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?preset=9"))
    nav = re.search(r'<nav class="presets".*?</nav>', html, re.S)[0]
    assert '<span class="field-error" id="id_preset_error" role="alert">' in nav
    assert "Choose one of the presets." in nav


def test_each_list_shows_the_choice_in_effect(agent_client, sandbox):
    html = _html(agent_client.get(URL + "?preset=1-2&sort=-name"))
    assert 'hx-push-url="true" aria-current="true">1-2 stars</a>' in html
    assert '<option value="-name" selected>Name, Z to A</option>' in html
    assert '<option value="50" selected>50</option>' in html  # the default size


def test_a_second_refresh_waits_for_the_first_instead_of_fetching_again(
    agent_client, sandbox, monkeypatch
):
    """Eight people pressing Refresh on a 200,000-user list must not fetch it eight times;
    and an older copy in the cache is not what a refresh asked for."""
    from django.core.cache import cache

    import dashboard.selectors.users as selectors
    from dashboard.selectors.users import UserFilter, users_keep
    from technowiz.client import get_client

    user_filter = UserFilter("feedback", ("1",))
    users = get_client().users_by_attribute("feedback", "1")
    users_keep(user_filter=user_filter, users=users[:3], fetched_at=time.time() - 30)  # older
    calls = OutboundCall.objects.count()
    cache.add(f"{user_filter.cache_key}:fetching", 1, timeout=60)  # the first refresh
    waits = []

    def first_refresh_finishes(seconds):
        waits.append(seconds)
        if len(waits) == 3:
            users_keep(user_filter=user_filter, users=users, fetched_at=time.time())

    monkeypatch.setattr(selectors, "_pause", first_refresh_finishes)
    html = _html(agent_client.get(URL + "?preset=1&refresh=1"))
    assert _count(html) == len(users)  # not the three of the older copy
    assert len(waits) == 3 and OutboundCall.objects.count() == calls
