"""The chat transcript: each type readable, platform text always shown as text, links only
to web addresses."""

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.lists.transcript import chat_messages
from technowiz.types import Message
from tests.dashboard.parsed_html import ParsedHtml

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHAT_TAGS = {"li", "div", "span", "time", "p", "br", "ul", "a"}
CHAT_ATTRIBUTES = {"class", "id", "aria-current", "datetime", "aria-label", "href", "rel", "target"}
TYPES = [
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


def _message(kind: str, **fields) -> Message:
    values = {"message_id": f"m-{kind}", "timestamp": WHEN, "sender": "BOT", "text": None}
    values.update(fields)
    return Message(type=kind, **values)


hostile = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "' onmouseover='x",
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<b>x</b>",
            "&amp; & <b>bold</b>",
            "</li></ul><li>",
            "https://cdn.example/a b.jpg?x=1&y=<2>",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(
    text=hostile,
    kind=st.one_of(st.sampled_from(TYPES), hostile),
    sender=st.one_of(st.sampled_from(["USER", "BOT", "AGENT"]), hostile),
    highlight=st.one_of(st.just("same"), hostile),
)
def test_every_field_is_shown_as_the_text_it_is(text, kind, sender, highlight):
    message = Message(
        message_id=text or "m-1",
        timestamp=WHEN,
        sender=sender,
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
    if highlight == "same":
        highlight = message.message_id
    page = ParsedHtml(chat_messages([message], tz=UTC, highlight=highlight))

    assert {tag for tag, _ in page.elements} <= CHAT_TAGS
    assert {attr for _, attrs in page.elements for attr in attrs} <= CHAT_ATTRIBUTES
    assert all(a["href"].startswith(("http://", "https://")) for a in page.all("a"))
    tag, item = page.elements[0]  # the message's <li> (chips are <li> too)
    assert tag == "li" and "msg" in item["class"].split()
    assert item["id"] == message.message_id
    lit = bool(highlight) and highlight == message.message_id
    assert (item.get("aria-current") == "true") is lit
    assert ("highlighted" in item["class"].split()) is lit
    shown = "".join(page.text)
    if kind == "TEXT":
        assert text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "") in shown
    if kind == "TEMPLATE":
        assert text in shown


def test_each_type_is_readable():
    html = chat_messages(
        [
            _message("BUTTONS", text="What next?", payload={"options": ["Track order", "Agent"]}),
            _message("FEEDBACK", sender="USER", payload={"rating": 2, "comment": "slow"}),
            _message("IMAGE", sender="USER", payload={"url": "https://cdn.example/a.jpg"}),
            _message("IMAGE", message_id="m-bad", payload={"url": "javascript:alert(1)"}),
            _message(
                "TEMPLATE", payload={"template_name": "apology_offer", "broadcast_id": "nov-1"}
            ),
            _message("EVENT", text="Handed to agent Ravi"),
            _message("AGENT_PARTICIPATION_STATUS"),
            _message("TEXT", sender="AGENT", agent_name="Ravi", text="Hi\nthere"),
            _message("DOCUMENT", file_url="https://cdn.example/x.pdf", file_mime="application/pdf"),
            _message("VIDEO", message_id="m-ftp", file_url="ftp://cdn.example/x.mp4"),
            _message("STRANGE_NEW_TYPE", text="plain <i>text</i>"),
            _message("STICKER"),
        ],
        tz=UTC,
        highlight="m-FEEDBACK",
    )
    assert (
        '<ul class="chips"><li class="chip">Track order</li><li class="chip">Agent</li></ul>'
        in html
    )
    assert '<p class="rating" aria-label="Rated 2 out of 5">' in html
    assert '<span class="stars">★★☆☆☆</span> 2/5' in html and "“slow”" in html
    lit = 'class="msg msg-user msg-type-feedback highlighted" id="m-FEEDBACK" aria-current="true"'
    assert f"<li {lit}>" in html
    assert html.count("aria-current") == 1
    assert '<a href="https://cdn.example/a.jpg" rel="noopener noreferrer nofollow"' in html
    assert ">Image: https://cdn.example/a.jpg</a>" in html
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert "not shown as a link" in html
    assert '<span class="badge">Template</span> apology_offer' in html
    assert "(broadcast nov-1)" in html
    assert '<p class="event-note">Handed to agent Ravi</p>' in html
    assert '<p class="event-note">AGENT_PARTICIPATION_STATUS</p>' in html
    assert '<span class="msg-sender">Agent Ravi</span>' in html and "<p>Hi<br>there</p>" in html
    assert ">Document (application/pdf)</a>" in html
    assert "Video (link not shown: not a web address)" in html and 'href="ftp' not in html
    assert "<p>plain &lt;i&gt;text&lt;/i&gt;</p>" in html
    assert '<span class="hint">(sticker message)</span>' in html


def test_a_long_image_address_is_shortened_but_links_in_full():
    url = "https://cdn.example/" + "a" * 100 + ".jpg"
    html = chat_messages([_message("IMAGE", payload={"url": url})], tz=UTC)
    (link,) = ParsedHtml(html).all("a")
    assert link["href"] == url
    assert f">Image: {url[:79]}…</a>" in html


def test_senders_are_named():
    html = chat_messages(
        [
            _message("TEXT", sender="USER", text="a"),
            _message("TEXT", sender="BOT", text="b"),
            _message("TEXT", sender="AGENT", text="c"),
            _message("TEXT", sender="SYSTEM", text="d"),
        ],
        tz=UTC,
    )
    senders = [p for p in ParsedHtml(html).text if p in ("User", "Bot", "Agent")]
    assert senders == ["User", "Bot", "Agent", "User"]
    assert 'class="msg msg-agent msg-type-text"' in html


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        # New York falls back: 01:30:00 happens twice, at -04:00 and then at -05:00.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York", "1 Nov 2026, 01:30:00"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York", "1 Nov 2026, 01:30:00"),
        # ... and springs forward: a second after 01:59:59 is 03:00:00.
        (datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC), "America/New_York", "8 Mar 2026, 01:59:59"),
        (datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC), "America/New_York", "8 Mar 2026, 03:00:00"),
        # Lord Howe goes back half an hour: 01:59:59 at +11:00, then 01:30:00 at +10:30.
        (
            datetime(2026, 4, 4, 14, 59, 59, tzinfo=UTC),
            "Australia/Lord_Howe",
            "5 Apr 2026, 01:59:59",
        ),
        (datetime(2026, 4, 4, 15, 0, 0, tzinfo=UTC), "Australia/Lord_Howe", "5 Apr 2026, 01:30:00"),
        (datetime(2026, 12, 31, 18, 14, 59, tzinfo=UTC), "Asia/Kathmandu", "31 Dec 2026, 23:59:59"),
        # Offsets in seconds (local mean time) and years before 1000.
        (datetime(1850, 6, 1, 12, 0, 5, tzinfo=UTC), "Asia/Kolkata", "1 Jun 1850, 17:53:33"),
        (datetime(1, 1, 2, 0, 0, 1, tzinfo=UTC), "UTC", "2 Jan 1, 00:00:01"),
        (
            datetime(2026, 11, 20, 12, 0, 0, 1000, tzinfo=UTC),
            "Asia/Kolkata",
            "20 Nov 2026, 17:30:00",
        ),
    ],
)
def test_times_across_dst_changes_and_odd_offsets(moment, zone, shown):
    tz = ZoneInfo(zone)
    html = chat_messages([_message("TEXT", timestamp=moment, text="hi")], tz=tz)
    iso = moment.astimezone(tz).isoformat()
    assert f'<time datetime="{iso}">{shown}</time>' in html


@pytest.mark.parametrize(
    "tz",
    [ZoneInfo("Pacific/Chatham"), ZoneInfo("America/St_Johns"), timezone(timedelta(hours=-9.5))],
    ids=str,
)
def test_a_day_of_messages_across_a_dst_change_keeps_each_ones_offset(tz):
    start = datetime(2026, 4, 4, 12, 0, 7, 250000, tzinfo=UTC)
    messages = [
        _message("TEXT", message_id=f"m{i}", timestamp=start + timedelta(minutes=13 * i), text="x")
        for i in range(120)
    ]
    times = ParsedHtml(chat_messages(messages, tz=tz)).all("time")
    assert [t["datetime"] for t in times] == [
        m.timestamp.astimezone(tz).isoformat() for m in messages
    ]
