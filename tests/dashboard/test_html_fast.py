"""The Python-rendered rows: platform text is always data, never markup."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from html import escape as _html_escape
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import html_fast
from dashboard.html_fast import chat_messages, short_time, user_rows
from dashboard.templatetags.dashboard_tags import http_url, stars
from technowiz.parsing import decode_json, parse_conversation, parse_users, read_envelope
from technowiz.sandbox.app import CONVERSATIONS, USERS, SandboxApp
from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS, SandboxData
from technowiz.sandbox.faults import Faults
from technowiz.sandbox.protocol import SandboxRequest
from technowiz.types import Message, User

USER_TAGS = {"tr", "td", "input", "a", "span", "time"}
CHAT_TAGS = {"li", "div", "span", "time", "p", "br", "ul", "a"}
WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name == "href":
                self.hrefs.append(value or "")


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _user(text: str) -> User:
    return User(
        user_id=text or "x",
        name=text or None,
        channel=text,
        phone=None,
        email=None,
        created_at=WHEN,
        last_active_at=WHEN,
        attributes=MappingProxyType({text: text, "city": text}),
    )


nasty = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "' onmouseover='x",
            "javascript:alert(1)",
            "&amp; & <b>bold</b>",
            "</td></tr><tr>",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(nasty)
def test_user_rows_escape_every_field(text):
    html = user_rows(
        [_user(text)],
        tz=ZoneInfo("Asia/Kolkata"),
        selected_ids=set(),
        select_url="/users/selection/?preset=1",
        conversation_url="/users/__id__/conversation/",
        list_query="preset=1&page=2",
    )
    parsed = _parse(html)
    assert parsed.tags <= USER_TAGS
    assert parsed.attributes <= {
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
    assert all(href.startswith("/users/") for href in parsed.hrefs)


def test_user_rows_show_time_in_the_viewers_zone_and_mark_selection():
    html = user_rows(
        [_user("Asha")],
        tz=ZoneInfo("Asia/Kolkata"),
        selected_ids={"Asha"},
        select_url="/s/",
        conversation_url="/users/__id__/conversation/",
        list_query="a=1&b=2",
    )
    assert '<time datetime="2026-11-20T17:30:00+05:30">20 Nov 2026, 17:30</time>' in html
    assert " checked " in html
    assert 'href="/users/Asha/conversation/?a=1&amp;b=2"' in html


@settings(max_examples=150, deadline=None)
@given(
    nasty,
    st.sampled_from(
        ["TEXT", "BUTTONS", "IMAGE", "TEMPLATE", "FEEDBACK", "EVENT", "VIDEO", "STRANGE_NEW_TYPE"]
    ),
)
def test_chat_messages_escape_every_field(text, kind):
    message = Message(
        message_id=text or "m-1",
        timestamp=WHEN,
        sender="AGENT",
        type=kind,
        text=text,
        agent_name=text,
        payload=MappingProxyType(
            {
                "options": [text],
                "url": text,
                "template_name": text,
                "broadcast_id": text,
                "rating": text,
                "comment": text,
            }
        ),
        file_url=text,
        file_mime=text,
    )
    parsed = _parse(chat_messages([message], tz=ZoneInfo("UTC"), highlight=text))
    assert parsed.tags <= CHAT_TAGS
    assert parsed.attributes <= {
        "class",
        "id",
        "aria-current",
        "datetime",
        "aria-label",
        "href",
        "rel",
        "target",
    }
    assert all(href.startswith(("http://", "https://")) for href in parsed.hrefs)


def test_chat_messages_render_each_type_readably():
    def msg(kind, **fields):
        base = {
            "message_id": f"m-{kind}",
            "timestamp": WHEN,
            "sender": "BOT",
            "type": kind,
            "text": None,
        }
        base.update(fields)
        return Message(**base)

    html = chat_messages(
        [
            msg("BUTTONS", text="What next?", payload={"options": ["Track order", "Agent"]}),
            msg("FEEDBACK", sender="USER", payload={"rating": 2, "comment": "slow"}),
            msg("IMAGE", sender="USER", payload={"url": "https://cdn.example/a.jpg"}),
            msg("TEMPLATE", payload={"template_name": "apology_offer", "broadcast_id": "nov-1"}),
            msg("EVENT", text="Handed to agent Ravi"),
            msg("TEXT", sender="AGENT", agent_name="Ravi", text="Hi\nthere"),
            msg("DOCUMENT", file_url="https://cdn.example/x.pdf", file_mime="application/pdf"),
        ],
        tz=ZoneInfo("UTC"),
        highlight="m-FEEDBACK",
    )
    assert '<li class="chip">Track order</li>' in html
    assert '<span class="stars">★★☆☆☆</span> 2/5' in html and "“slow”" in html
    assert 'class="msg msg-user msg-type-feedback highlighted" id="m-FEEDBACK"' in html
    assert 'href="https://cdn.example/a.jpg"' in html
    assert "apology_offer" in html and "(broadcast nov-1)" in html
    assert '<p class="event-note">Handed to agent Ravi</p>' in html
    assert "Agent Ravi" in html and "Hi<br>there" in html
    assert ">Document (application/pdf)</a>" in html


# --- byte for byte against the first implementation --------------------------------------
#
# A verbatim copy of dashboard/html_fast.py before it was made faster (only renamed
# ``_ref_*``). The fast version must produce exactly these bytes for any input: the
# sandbox's long conversations and all its users, time zones with DST changes,
# half-hour shifts and historical offsets in seconds, and hostile text in every field.

_REF_MONTHS = (
    "",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _ref_e(value: object) -> str:
    """Escape for HTML text and quoted attributes."""
    return _html_escape("" if value is None else str(value), quote=True)


def _ref_short_time(moment: datetime, tz: tzinfo, *, seconds: bool = False) -> tuple[str, str]:
    """(ISO 8601, "j M Y, H:i[:s]") of ``moment`` in ``tz``."""
    local = moment.astimezone(tz)
    clock = f"{local.hour:02d}:{local.minute:02d}"  # f-strings: half strftime's cost
    if seconds:
        clock = f"{clock}:{local.second:02d}"
    return local.isoformat(), f"{local.day} {_REF_MONTHS[local.month]} {local.year}, {clock}"


def _ref_attributes(attributes: Mapping[str, str]) -> str:
    return " ".join(
        f'<span class="attr"><span class="attr-name">{_ref_e(k)}</span> {_ref_e(v)}</span>'
        for k, v in attributes.items()
    )


def _ref_user_rows(
    users: Iterable[User],
    *,
    tz: tzinfo,
    selected_ids: set[str],
    select_url: str,
    conversation_url: str,
    list_query: str,
) -> str:
    """The users table's body rows. ``conversation_url`` holds ``__id__`` for the user id."""
    before, _, after = conversation_url.partition("__id__")
    select, query = _ref_e(select_url), _ref_e(list_query)
    rows = []
    for u in users:
        checked = " checked" if u.user_id in selected_ids else ""
        vals = _ref_e(json.dumps({"op": "toggle", "toggle": u.user_id}))
        name = _ref_e(u.name) if u.name else '<span class="no-name">(no name)</span>'
        if u.phone:
            contact = _ref_e(u.phone)
        else:
            contact = (
                '<span class="badge warn" title="No phone number: cannot receive WhatsApp'
                f' templates or flows">no WhatsApp</span> {_ref_e(u.channel)}'
            )
        active = "—"
        if u.last_active_at:
            iso, shown = _ref_short_time(u.last_active_at, tz)
            active = f'<time datetime="{iso}">{shown}</time>'
        href = _ref_e(f"{before}{quote(u.user_id, safe='')}{after}")
        rows.append(
            f'<tr><td><input type="checkbox" name="user_id" value="{_ref_e(u.user_id)}"'
            f' aria-label="Select {_ref_e(u.name or u.user_id)}"{checked} hx-post="{select}"'
            f' hx-vals="{vals}" hx-target="#selection-bar" hx-swap="outerHTML"'
            ' hx-sync="closest tbody:queue all"></td>'
            f'<td><a href="{href}?{query}">{name}</a></td><td>{contact}</td><td>{active}</td>'
            f'<td class="attributes">{_ref_attributes(u.attributes)}</td></tr>'
        )
    return "\n".join(rows)


def _ref_sender(m: Message) -> str:
    if m.sender == "AGENT":
        return "Agent" + (f" {_ref_e(m.agent_name)}" if m.agent_name else "")
    return "Bot" if m.sender == "BOT" else "User"


def _ref_paragraph(text: str | None) -> str:
    return f"<p>{_ref_e(text).replace(chr(10), '<br>')}</p>" if text else ""


def _ref_link_or_note(url: str, label: str, note: str) -> str:
    safe = http_url(url)
    if safe:
        return (
            f'<p><a href="{_ref_e(safe)}" rel="noopener noreferrer nofollow" target="_blank">'
            f"{_ref_e(label)}</a></p>"
        )
    return f'<p class="hint">{_ref_e(note)}</p>'


def _ref_body(m: Message) -> str:
    payload = m.payload or {}
    kind = m.type
    if kind == "FEEDBACK":
        rating = payload.get("rating", "")
        comment = payload.get("comment")
        body = (
            f'<p class="rating" aria-label="Rated {_ref_e(rating)} out of 5">'
            f'<span class="stars">{_ref_e(stars(rating))}</span> {_ref_e(rating)}/5</p>'
        )
        return body + (f'<p class="comment">“{_ref_e(comment)}”</p>' if comment else "")
    if kind in ("BUTTONS", "OPTIONS"):
        options = payload.get("options") or ()
        chips = "".join(f'<li class="chip">{_ref_e(o)}</li>' for o in options)
        return _ref_paragraph(m.text) + (f'<ul class="chips">{chips}</ul>' if options else "")
    if kind == "IMAGE":
        url = str(payload.get("url") or m.file_url or "")
        shown = url if len(url) <= 80 else url[:79] + "…"
        note = f"Image (its link is not a web address, so it is not shown as a link): {shown}"
        return _ref_link_or_note(url, f"Image: {shown}", note) + _ref_paragraph(m.text)
    if kind == "TEMPLATE":
        broadcast = payload.get("broadcast_id")
        extra = f' <span class="hint">(broadcast {_ref_e(broadcast)})</span>' if broadcast else ""
        name = _ref_e(payload.get("template_name", ""))
        return f'<p><span class="badge">Template</span> {name}{extra}</p>' + _ref_paragraph(m.text)
    if kind in ("EVENT", "AGENT_PARTICIPATION_STATUS"):
        return f'<p class="event-note">{_ref_e(m.text or kind)}</p>'
    if m.file_url:
        label = kind.title() + (f" ({m.file_mime})" if m.file_mime else "")
        note = f"{kind.title()} (link not shown: not a web address)"
        return _ref_link_or_note(m.file_url, label, note) + _ref_paragraph(m.text)
    if m.text:
        return _ref_paragraph(m.text)
    return f'<p><span class="hint">({_ref_e(kind.lower())} message)</span></p>'


def _ref_chat_messages(messages: Iterable[Message], *, tz: tzinfo, highlight: str = "") -> str:
    """The transcript's ``<li>`` items: user, bot and agent messages, each type readable."""
    items = []
    for m in messages:
        iso, shown = _ref_short_time(m.timestamp, tz, seconds=True)
        lit = m.message_id == highlight
        items.append(
            f'<li class="msg msg-{_ref_e(m.sender.lower())} msg-type-{_ref_e(m.type.lower())}'
            f'{" highlighted" if lit else ""}" id="{_ref_e(m.message_id)}"'
            f'{' aria-current="true"' if lit else ""}><div class="msg-meta">'
            f'<span class="msg-sender">{_ref_sender(m)}</span> '
            f'<time datetime="{iso}">{shown}</time>'
            f'</div><div class="msg-body">{_ref_body(m)}</div></li>'
        )
    return "\n".join(items)


# --- the sandbox's data, as the platform serves it and the client parses it ----------------

_KEY, _CUSTOMER, _BOT = "html-fast-key", "html-fast-customer", "html-fast-bot"
ZONES = ("UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe")


@cache
def _sandbox() -> SandboxApp:
    return SandboxApp(api_key=_KEY, customer_id=_CUSTOMER, bot_key=_BOT, faults=Faults())


def _get(template: str, query: dict[str, str], **path: str) -> Any:
    """The ``responseObject`` of a GET answered by the in-process sandbox app."""
    request = SandboxRequest(
        "GET",
        template.format(customer_id=_CUSTOMER, bot_key=_BOT, **path),
        query,
        {"Authorization": f"Basic {_KEY}"},
    )
    response = _sandbox().handle(request)
    assert response.status == 200
    envelope = read_envelope(decode_json(response.body))
    assert envelope.ok
    return envelope.payload


@cache
def _conversation(user_id: str) -> tuple[Message, ...]:
    """Every message of a user's conversation, read page by page (500, the maximum)."""
    messages: list[Message] = []
    page = 1
    while True:
        query = {"page_number": str(page), "page_size": "500"}
        parsed = parse_conversation(
            _get(CONVERSATIONS, query, user_id=user_id),
            user_id=user_id,
            page=page,
            page_size=500,
        )
        messages.extend(parsed.messages)
        if not parsed.has_next:
            return tuple(messages)
        page += 1


@cache
def _all_users() -> tuple[User, ...]:
    """All the sandbox's users: every user has a ``customer_type``."""
    users: list[User] = []
    for value in ("regular", "vip", "new"):
        query = {"attribute_name": "customer_type", "attribute_value": value}
        users.extend(parse_users(_get(USERS, query)))
    return tuple(users)


def test_the_sandbox_data_is_what_the_comparisons_need():
    data = SandboxData.build()
    assert len(_all_users()) == len(data.users) == 5000
    assert {u.user_id for u in _all_users()} == {u["user_id"] for u in data.users}
    for user_id in LONG_CONVERSATION_USER_IDS:
        messages = _conversation(user_id)
        assert len(messages) == len(data.conversation(user_id)) > 2000
        kinds = {m.type for m in messages}
        assert {"TEXT", "BUTTONS", "IMAGE", "TEMPLATE", "FEEDBACK", "EVENT"} <= kinds
        assert {m.sender for m in messages} == {"USER", "BOT", "AGENT"}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("user_id", LONG_CONVERSATION_USER_IDS)
def test_chat_messages_are_byte_identical_on_the_long_conversations(zone, user_id):
    messages = _conversation(user_id)
    tz = ZoneInfo(zone)
    feedback = next(m.message_id for m in messages if m.type == "FEEDBACK")
    for highlight in ("", feedback, messages[len(messages) // 2].message_id, "no-such-id"):
        fast = chat_messages(messages, tz=tz, highlight=highlight)
        assert fast == _ref_chat_messages(messages, tz=tz, highlight=highlight)
    # as the page renders it: 500 at a time
    for first in range(0, len(messages), 500):
        page = messages[first : first + 500]
        assert chat_messages(page, tz=tz) == _ref_chat_messages(page, tz=tz)


def test_the_long_conversations_cross_dst_changes():
    """The comparisons above do go through DST changes and a half-hour one."""
    messages = [m for user_id in LONG_CONVERSATION_USER_IDS for m in _conversation(user_id)]
    for zone, offsets in (
        ("America/New_York", ('-04:00"', '-05:00"')),
        ("Australia/Lord_Howe", ('+10:30"', '+11:00"')),
    ):
        html = chat_messages(messages, tz=ZoneInfo(zone))
        assert all(offset in html for offset in offsets)


@pytest.mark.parametrize("zone", ZONES)
def test_user_rows_are_byte_identical_for_every_sandbox_user(zone):
    users = _all_users()
    kwargs: dict[str, Any] = {
        "tz": ZoneInfo(zone),
        "select_url": "/users/selection/?attribute_name=city&attribute_value=Pune&page=2",
        "conversation_url": "/users/__id__/conversation/",
        "list_query": "attribute_name=city&attribute_value=Pune&q=<b>&page=2",
    }
    for selected in (set(), {u.user_id for u in users[::3]}):
        fast = user_rows(users, selected_ids=selected, **kwargs)
        assert fast == _ref_user_rows(users, selected_ids=selected, **kwargs)
    for first in range(0, len(users), 200):  # as the page renders them
        page = users[first : first + 200]
        fast = user_rows(page, selected_ids={page[0].user_id}, **kwargs)
        assert fast == _ref_user_rows(page, selected_ids={page[0].user_id}, **kwargs)


def _around(zone: str, start: datetime, hours: int, step: timedelta) -> list[datetime]:
    """UTC instants every ``step`` for ``hours`` from ``start`` (wall time in ``zone``)."""
    first = start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    count = int(timedelta(hours=hours) / step)
    return [first + i * step for i in range(count)]


ODD_MOMENTS = [
    *_around("America/New_York", datetime(2026, 3, 8), 6, timedelta(minutes=7, seconds=13)),
    *_around("America/New_York", datetime(2026, 11, 1), 6, timedelta(minutes=7, seconds=13)),
    *_around("Australia/Lord_Howe", datetime(2026, 4, 5), 6, timedelta(minutes=4, seconds=1)),
    *_around("Australia/Lord_Howe", datetime(2026, 10, 4), 6, timedelta(minutes=4, seconds=1)),
    datetime(1850, 6, 1, 12, 0, 5, tzinfo=UTC),  # local mean time: offsets in seconds
    datetime(1899, 12, 31, 18, 38, 50, 123456, tzinfo=UTC),
    datetime(1, 1, 2, tzinfo=UTC),  # years below 1000 and 100
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 20, 12, 0, tzinfo=UTC),  # no microseconds
    datetime(2026, 11, 20, 12, 0, 0, 1000, tzinfo=UTC),  # whole milliseconds
    datetime(2026, 11, 20, 12, 0, 0, 1, tzinfo=UTC),  # not whole milliseconds
    datetime(2026, 11, 20, 12, 0, 0, 999999, tzinfo=UTC),
    datetime(2026, 11, 20, 12, 0, fold=1, tzinfo=UTC),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 7, 1, 9, 15, 30, 250000, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 7, 1, 9, 15, 30, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 7, 1, 9, 15, 30, tzinfo=timezone.utc),  # noqa: UP017
]
ODD_ZONES = (
    *(ZoneInfo(zone) for zone in ZONES),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("Pacific/Chatham"),
    UTC,
    timezone(timedelta(hours=-9, minutes=-30)),
    timezone(timedelta(hours=5, minutes=30, seconds=15, microseconds=7)),
)


@pytest.mark.parametrize("tz", ODD_ZONES, ids=str)
def test_times_are_byte_identical_across_dst_changes_and_odd_offsets(tz):
    messages = [
        Message(message_id=f"m-{i}", timestamp=moment, sender="USER", type="TEXT", text="hi")
        for i, moment in enumerate(ODD_MOMENTS)
    ]
    assert chat_messages(messages, tz=tz) == _ref_chat_messages(messages, tz=tz)
    users = [
        User(
            user_id=f"u-{i}",
            name=None,
            channel="web",
            phone=None,
            email=None,
            created_at=None,
            last_active_at=moment,
        )
        for i, moment in enumerate(ODD_MOMENTS)
    ]
    kwargs: dict[str, Any] = {
        "tz": tz,
        "selected_ids": set(),
        "select_url": "/s/",
        "conversation_url": "/u/__id__/",
        "list_query": "",
    }
    assert user_rows(users, **kwargs) == _ref_user_rows(users, **kwargs)
    for moment in ODD_MOMENTS:
        for seconds in (False, True):
            assert short_time(moment, tz, seconds=seconds) == _ref_short_time(
                moment, tz, seconds=seconds
            )


class _Loud(str):
    """A ``str`` whose ``str()`` is something else: escaping must use the latter."""

    def __str__(self) -> str:
        return "<loud & clear>"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(nasty, st.none(), st.integers(), st.floats(), st.booleans(), st.builds(_Loud, nasty))
)
def test_the_fast_escape_is_html_escape(value):
    expected = _html_escape("" if value is None else str(value), quote=True)
    assert html_fast._e(value) == expected == _ref_e(value)


hostile = st.one_of(
    nasty,
    st.sampled_from(["", "\n", "a\nb", "https://cdn.example/a b.jpg", " http://x/\"'<>&", "★"]),
    st.text(alphabet=st.sampled_from("&<>\"'\n\t aZ09-_.~%/:é😀"), max_size=12),
)
payload_value = st.one_of(
    hostile,
    st.none(),
    st.integers(-2, 7),
    st.lists(hostile, max_size=3),
    st.builds(_Loud, hostile),
)
moments = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/London"), timezone(-timedelta(hours=3))]),
    ),
    st.sampled_from(ODD_MOMENTS),
)
zones = st.sampled_from(ODD_ZONES)

messages_strategy = st.builds(
    Message,
    message_id=hostile,
    timestamp=moments,
    sender=st.one_of(st.sampled_from(["USER", "BOT", "AGENT"]), hostile),
    type=st.one_of(
        st.sampled_from(
            [
                "TEXT",
                "BUTTONS",
                "OPTIONS",
                "IMAGE",
                "TEMPLATE",
                "FEEDBACK",
                "EVENT",
                "AGENT_PARTICIPATION_STATUS",
                "VIDEO",
                "DOCUMENT",
                "STRANGE_NEW_TYPE",
            ]
        ),
        hostile,
    ),
    text=st.one_of(st.none(), hostile),
    agent_name=st.one_of(st.none(), hostile),
    payload=st.dictionaries(
        st.sampled_from(
            ["options", "url", "template_name", "broadcast_id", "rating", "comment", "other"]
        ),
        payload_value,
    ).map(MappingProxyType),
    file_url=st.one_of(st.none(), hostile),
    file_mime=st.one_of(st.none(), hostile),
)


def _outcome(render, *args: Any, **kwargs: Any) -> object:
    """What ``render`` returns, or the type of what it raises (bad payloads raise in both)."""
    try:
        return str(render(*args, **kwargs))
    except Exception as error:
        return type(error)


@settings(max_examples=400, deadline=None)
@given(st.lists(messages_strategy, max_size=6), zones, st.one_of(hostile, st.just("m-1")))
def test_chat_messages_are_byte_identical_on_hostile_input(messages, tz, highlight):
    if messages and highlight == "m-1":
        highlight = messages[0].message_id
    fast = _outcome(chat_messages, messages, tz=tz, highlight=highlight)
    assert fast == _outcome(_ref_chat_messages, messages, tz=tz, highlight=highlight)


users_strategy = st.builds(
    User,
    user_id=st.one_of(
        hostile,
        st.sampled_from(
            ["919812345678", "web-4f1c", "a_b.c~d-e", "50%", "a/b", "a b", "ü", 'x"y', "1\n"]
        ),
    ),
    name=st.one_of(st.none(), hostile),
    channel=hostile,
    phone=st.one_of(st.none(), hostile),
    email=st.one_of(st.none(), hostile),
    created_at=st.none(),
    last_active_at=st.one_of(st.none(), moments),
    attributes=st.dictionaries(
        st.one_of(hostile, st.sampled_from(["city", "plan"])),
        st.one_of(hostile, st.sampled_from(["Pune", "gold"])),
        max_size=4,
    ).map(MappingProxyType),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(users_strategy, max_size=6),
    zones,
    st.data(),
    hostile,
    st.one_of(hostile, st.builds("{}__id__{}".format, hostile, hostile)),
    hostile,
)
def test_user_rows_are_byte_identical_on_hostile_input(
    users, tz, data, select_url, conversation_url, list_query
):
    ids = [u.user_id for u in users]
    selected = set(data.draw(st.lists(st.sampled_from(ids), max_size=3))) if ids else set()
    kwargs: dict[str, Any] = {
        "tz": tz,
        "selected_ids": selected,
        "select_url": select_url,
        "conversation_url": conversation_url,
        "list_query": list_query,
    }
    assert _outcome(user_rows, users, **kwargs) == _outcome(_ref_user_rows, users, **kwargs)


def test_attributes_equal_but_not_alike_are_not_confused():
    """The per-call attribute cache keeps plain ``str`` pairs only: 1 == 1.0 == True."""
    users = [
        User(
            user_id=f"u{i}",
            name="n",
            channel="web",
            phone="1",
            email=None,
            created_at=None,
            last_active_at=None,
            attributes=MappingProxyType({"k": value, "k2": "v"}),
        )
        for i, value in enumerate([1, 1.0, True, "1", _Loud("1")])
    ]
    kwargs: dict[str, Any] = {
        "tz": UTC,
        "selected_ids": set(),
        "select_url": "/s/",
        "conversation_url": "/u/__id__/",
        "list_query": "",
    }
    html = user_rows(users, **kwargs)  # type: ignore[arg-type]
    assert html == _ref_user_rows(users, **kwargs)  # type: ignore[arg-type]
    assert "</span> 1.0</span>" in html and "</span> True</span>" in html
    assert "&lt;loud &amp; clear&gt;" in html
