"""Whatever the platform sends, a page never fails with anything but a typed error.

Random payloads, shaped like users and messages with any JSON values in their fields,
go through the parser and then through the rendering of the users table and the chat in
several time zones: the parser either returns typed objects or raises
``UnexpectedResponse`` (which every page shows as a platform error), and rendering what
it returned never raises.
"""

from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.list_state import conversation_paths
from dashboard.lists.transcript import chat_messages
from dashboard.lists.users_table import user_rows
from technowiz.errors import UnexpectedResponse
from technowiz.parsing import parse_conversation, parse_users

ZONES = [
    ZoneInfo(name)
    for name in ("UTC", "Asia/Kolkata", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12")
]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**22), max_value=10**22),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-11-25T10:00:00+05:30",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59Z",
            "2026/11/25 10:00:00",
            "USER",
            "bot",
            "FEEDBACK",
            "IMAGE",
            "javascript:alert(1)",
            "https://example.com/a.png",
            "<script>x</script>",
            "1763000000000",
            "²",  # a digit int() refuses
            "١٧٦٣٠٠٠٠٠٠٠٠٠",  # Arabic-Indic digits int() takes
        ]
    ),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_TIMES = st.one_of(
    st.sampled_from(
        [
            253_402_300_799_999,  # the last millisecond datetime knows
            253_402_214_399_999,
            -62_135_596_800_000,  # its first
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
        ]
    ),
    st.integers(min_value=-(10**18), max_value=10**18),
    _SCALARS,
)
_VALID_MESSAGE = {
    "message_id": "m1",
    "timestamp": 1763000000000,
    "sender": "USER",
    "type": "TEXT",
    "text": "hi",
    "agent_name": None,
    "payload": None,
}
_VALID_USER = {
    "user_id": "919800000001",
    "name": "Asha",
    "channel": "whatsapp",
    "phone_no": "+919800000001",
    "email": None,
    "created_at": 1763000000000,
    "last_active_at": 1763000000000,
    "attributes": {"feedback": "1"},
}
# A valid message or user with some fields replaced by anything: most examples then
# parse, so rendering meets the odd values too.
_MESSAGE_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "message_id": _JSON,
        "id": _JSON,
        "timestamp": _TIMES,
        "created_at": _TIMES,
        "time": _TIMES,
        "sender": st.one_of(st.sampled_from(["USER", "BOT", "AGENT", "user"]), _JSON),
        "sender_type": _JSON,
        "type": st.one_of(st.sampled_from(["TEXT", "BUTTONS", "FEEDBACK", "IMAGE"]), _JSON),
        "message_type": _JSON,
        "text": _JSON,
        "response": _JSON,
        "agent_name": _JSON,
        "payload": _JSON,
        "file": _JSON,
    },
)
_USER_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "user_id": _JSON,
        "userId": _JSON,
        "id": _JSON,
        "name": _JSON,
        "channel": _JSON,
        "phone_no": _JSON,
        "phone": _JSON,
        "email": _JSON,
        "created_at": _TIMES,
        "last_active_at": _TIMES,
        "attributes": _JSON,
    },
)
_MESSAGE = _MESSAGE_CHANGES.map(lambda changes: {**_VALID_MESSAGE, **changes})
_USER = _USER_CHANGES.map(lambda changes: {**_VALID_USER, **changes})
_RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_RELAXED
@given(messages=st.lists(st.one_of(_MESSAGE, _JSON), max_size=4), zone=st.sampled_from(ZONES))
def test_any_conversation_payload_is_shown_or_is_a_typed_error(messages, zone):
    try:
        page = parse_conversation({"messages": messages}, user_id="u1", page=1, page_size=50)
    except UnexpectedResponse:
        return
    html = chat_messages(page.messages, tz=zone, highlight="m")
    assert html.count("<li ") == len(page.messages)


@_RELAXED
@given(users=st.lists(st.one_of(_USER, _JSON), max_size=4), zone=st.sampled_from(ZONES))
def test_any_users_payload_is_shown_or_is_a_typed_error(users, zone):
    try:
        parsed = parse_users({"count": len(users), "users": users})
    except UnexpectedResponse:
        return
    html = user_rows(
        parsed,
        tz=zone,
        selected_ids=set(),
        select_url="/users/selection/",
        conversation_path=conversation_paths(),
        list_query="preset=1",
    )
    assert html.count("<tr>") == len(parsed)
