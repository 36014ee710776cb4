"""The users table's rows: platform text is always shown as text, never run as markup."""

import json
from datetime import UTC, datetime
from types import MappingProxyType
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.list_state import conversation_paths
from dashboard.lists.users_table import user_rows
from technowiz.types import User
from tests.dashboard.parsed_html import ParsedHtml

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ROW_TAGS = {"tr", "td", "input", "a", "span", "time"}
ROW_ATTRIBUTES = {
    "type",
    "name",
    "value",
    "aria-label",
    "checked",
    "hx-post",
    "hx-vals",
    "hx-target",
    "hx-swap",
    "hx-sync",
    "href",
    "class",
    "title",
    "datetime",
}


def _user(user_id: str, **fields) -> User:
    values = {
        "name": None,
        "channel": "web",
        "phone": None,
        "email": None,
        "created_at": WHEN,
        "last_active_at": WHEN,
        "attributes": MappingProxyType({}),
    }
    values.update(fields)
    return User(user_id=user_id, **values)


def _rows(users, *, tz=UTC, selected_ids=frozenset(), list_query="preset=1&page=2"):
    return user_rows(
        users,
        tz=tz,
        selected_ids=set(selected_ids),
        select_url="/users/selection/?preset=1",
        conversation_path=conversation_paths(),
        list_query=list_query,
    )


hostile = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "' onmouseover='x",
            "javascript:alert(1)",
            "&amp; & <b>bold</b>",
            "</td></tr><tr>",
            "a/b?c#d 50%",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(user_id=hostile, name=hostile, channel=hostile, key=hostile, value=hostile)
def test_every_field_is_shown_as_the_text_it_is(user_id, name, channel, key, value):
    user = _user(
        user_id or "x",
        name=name or None,
        channel=channel,
        attributes=MappingProxyType({key: value, "city": name}),
    )
    page = ParsedHtml(_rows([user], list_query=name))

    assert {tag for tag, _ in page.elements} <= ROW_TAGS
    assert {attr for _, attrs in page.elements for attr in attrs} <= ROW_ATTRIBUTES
    (checkbox,) = page.all("input")
    assert checkbox["value"] == user.user_id
    assert checkbox["aria-label"] == f"Select {name or user.user_id}"
    # What htmx posts when the box is ticked: this user's id, whatever it holds.
    assert json.loads(checkbox["hx-vals"]) == {"op": "toggle", "toggle": user.user_id}
    (link,) = page.all("a")
    path, _, query = link["href"].partition("?")
    assert path.startswith("/users/") and path.endswith("/conversation/")
    assert unquote(path.removeprefix("/users/").removesuffix("/conversation/")) == user.user_id
    assert query == name
    text = "".join(page.text)
    assert (name or "(no name)") in text
    assert channel in text and key in text and value in text


def test_time_is_the_viewers_and_selection_is_ticked():
    html = _rows(
        [_user("Asha", name="Asha"), _user("Ravi", name="Ravi")],
        tz=ZoneInfo("Asia/Kolkata"),
        selected_ids={"Asha"},
        list_query="a=1&b=2",
    )
    assert '<time datetime="2026-11-20T17:30:00+05:30">20 Nov 2026, 17:30</time>' in html
    boxes = ParsedHtml(html).all("input")
    assert [("checked" in box) for box in boxes] == [True, False]
    assert 'href="/users/Asha/conversation/?a=1&amp;b=2"' in html


def test_user_without_name_phone_or_activity():
    user = _user("web-4f1c", channel="web", last_active_at=None)
    page = ParsedHtml(_rows([user]))
    text = "".join(page.text)
    assert "(no name)" in text and "No phone: WhatsApp cannot reach them" in text and "—" in text
    assert page.all("input")[0]["aria-label"] == "Select web-4f1c"
    assert page.all("time") == []


def test_a_user_with_a_phone_shows_it_and_their_attributes():
    user = _user(
        "919812345678",
        name="Asha",
        phone="+91 98123 45678",
        attributes=MappingProxyType({"city": "Pune", "plan": "gold"}),
    )
    html = _rows([user])
    assert "<td>+91 98123 45678</td>" in html and "No phone: WhatsApp cannot reach them" not in html
    assert '<span class="attr"><span class="attr-name">city</span> Pune</span>' in html
    assert '<span class="attr"><span class="attr-name">plan</span> gold</span>' in html


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        # New York springs forward at 02:00 local: 01:59 EST, then 03:00 EDT.
        (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "America/New_York", "8 Mar 2026, 01:59"),
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "America/New_York", "8 Mar 2026, 03:00"),
        # ... and falls back: 01:30 happens twice, once at -04:00 and once at -05:00.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York", "1 Nov 2026, 01:30"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York", "1 Nov 2026, 01:30"),
        # Lord Howe moves by half an hour (02:00 is 02:30); Kathmandu +5:45; Chatham +13:45.
        (datetime(2026, 10, 3, 15, 29, tzinfo=UTC), "Australia/Lord_Howe", "4 Oct 2026, 01:59"),
        (datetime(2026, 10, 3, 15, 30, tzinfo=UTC), "Australia/Lord_Howe", "4 Oct 2026, 02:30"),
        (datetime(2026, 12, 31, 18, 15, tzinfo=UTC), "Asia/Kathmandu", "1 Jan 2027, 00:00"),
        (datetime(2026, 12, 31, 10, 15, tzinfo=UTC), "Pacific/Chatham", "1 Jan 2027, 00:00"),
        # Before standard time: Kolkata's local mean time was 5:53:28 ahead.
        (datetime(1850, 6, 1, 12, 0, 5, tzinfo=UTC), "Asia/Kolkata", "1 Jun 1850, 17:53"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "UTC", "31 Dec 999, 23:59"),
    ],
)
def test_times_across_dst_changes_and_odd_offsets(moment, zone, shown):
    tz = ZoneInfo(zone)
    html = _rows([_user("u", last_active_at=moment)], tz=tz)
    iso = moment.astimezone(tz).isoformat()
    assert f'<time datetime="{iso}">{shown}</time>' in html


def test_an_instant_given_in_another_zone_keeps_its_microseconds():
    moment = datetime(2026, 7, 1, 9, 15, 30, 250000, tzinfo=ZoneInfo("Europe/London"))
    html = _rows([_user("u", last_active_at=moment)], tz=ZoneInfo("America/Sao_Paulo"))
    assert '<time datetime="2026-07-01T05:15:30.250000-03:00">1 Jul 2026, 05:15</time>' in html
