"""The Python-rendered rows: platform text is always data, never markup."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from types import MappingProxyType
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.html_fast import chat_messages, user_rows
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
