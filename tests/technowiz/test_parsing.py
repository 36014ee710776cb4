"""The tolerant parser: what each odd value from the platform becomes, or which error.

test_variations.py covers the documented variations through the client; this module
covers the rest of what the parser accepts, and that nothing it is given crashes it.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz.errors import UnexpectedResponse
from technowiz.parsing import (
    decode_json,
    parse_conversation,
    parse_message,
    parse_user,
    parse_users,
)
from technowiz.types import Message, User

MESSAGE = {
    "message_id": "m-000051",
    "timestamp": 1763000000000,
    "sender": "USER",
    "type": "TEXT",
    "text": "my order never came",
    "agent_name": None,
    "payload": None,
}
USER = {
    "user_id": "919812345678",
    "name": "Asha Rao",
    "channel": "whatsapp",
    "phone_no": "+919812345678",
    "email": None,
    "created_at": 1761955200000,
    "last_active_at": 1763700000000,
    "attributes": {"feedback": "1", "city": "Pune"},
}
AT = datetime(2025, 11, 13, 2, 13, 20, tzinfo=UTC)  # 1763000000000 ms
PAGE_ARGS = {"user_id": "u1", "page": 1, "page_size": 50}


def message(**changes: Any) -> Message:
    return parse_message({**MESSAGE, **changes})


def user(**changes: Any) -> User:
    return parse_user({**USER, **changes})


def error(function: Any, *args: Any, **kwargs: Any) -> str:
    """The detail of the UnexpectedResponse the call raises."""
    with pytest.raises(UnexpectedResponse) as caught:
        function(*args, **kwargs)
    return caught.value.detail


# --- messages -----------------------------------------------------------------------------


def test_documented_message():
    assert message() == Message(
        message_id="m-000051",
        timestamp=AT,
        sender="USER",
        type="TEXT",
        text="my order never came",
    )


@pytest.mark.parametrize(
    "stamp,expected",
    [
        ("1763000000000", AT),
        (" 1763000000000 ", AT),
        (1763000000000.0, AT),
        ("2025-11-13T02:13:20Z", AT),
        ("2025-11-13 02:13:20", AT),  # no offset: UTC
        ("2025-11-13 07:43:20+05:30", AT),
    ],
)
def test_other_timestamp_spellings(stamp, expected):
    assert message(timestamp=stamp).timestamp == expected


def test_timestamp_under_another_key():
    assert message(timestamp=None, created_at=1763000000000).timestamp == AT
    assert message(timestamp=None, time="2025-11-13T02:13:20Z").timestamp == AT


@pytest.mark.parametrize(
    "stamp,detail",
    [
        (None, "missing key 'timestamp'"),
        ("yesterday", "unreadable timestamp 'yesterday'"),
        (True, "unreadable timestamp"),
        ([1], "unreadable timestamp"),
        ({"ms": 1}, "unreadable timestamp"),
        (10**400, "timestamp out of range"),
        (float("nan"), "timestamp out of range"),
        (float("inf"), "timestamp out of range"),
        (-(10**15), "timestamp out of range"),
        ("0001-01-01T00:00:00+05:00", "timestamp out of range"),
    ],
    ids=repr,
)
def test_unusable_timestamp_is_a_typed_error(stamp, detail):
    assert error(message, timestamp=stamp) == detail


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"sender": " Agent "}, "AGENT"),
        ({"sender": None, "sender_type": "bot"}, "BOT"),
    ],
)
def test_sender_spellings(changes, expected):
    assert message(**changes).sender == expected


@pytest.mark.parametrize(
    "changes,detail",
    [
        ({"sender": "SYSTEM"}, "unknown sender 'SYSTEM'"),
        ({"sender": 7}, "unknown sender '7'"),
        ({"sender": None}, "missing key 'sender'"),
    ],
)
def test_unknown_or_missing_sender_is_a_typed_error(changes, detail):
    assert error(message, **changes) == detail


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"type": None}, "TEXT"),
        ({"type": ""}, "TEXT"),
        ({"type": " buttons "}, "BUTTONS"),
        ({"type": 3}, "3"),
    ],
)
def test_type_spellings(changes, expected):
    assert message(**changes).type == expected


@pytest.mark.parametrize(
    "changes,expected",
    [({"text": 42}, "42"), ({"text": 4.5}, "4.5"), ({"text": True}, None), ({"text": ["a"]}, None)],
)
def test_text_that_is_not_a_string(changes, expected):
    assert message(**changes).text == expected


def test_text_as_an_object_gives_its_text_and_its_payload():
    found = message(text={"text": "inside", "url": "https://x/y.png"})
    assert found.text == "inside"
    assert found.payload == {"text": "inside", "url": "https://x/y.png"}
    assert found.file_url == "https://x/y.png"
    kept = message(text={"text": "inside"}, payload={"rating": 2})
    assert kept.text == "inside" and kept.payload == {"rating": 2}


def test_file_url_from_the_file_object_before_the_payload():
    assert message(payload={"url": "https://cdn.example/p.jpg"}).file_url == (
        "https://cdn.example/p.jpg"
    )
    found = message(
        file={"url": "https://cdn.example/f.pdf", "mime_type": "application/pdf"},
        payload={"url": "https://cdn.example/p.jpg"},
    )
    assert (found.file_url, found.file_mime) == ("https://cdn.example/f.pdf", "application/pdf")


@pytest.mark.parametrize("payload", [[], "text", 0, {}])
def test_a_payload_that_is_not_an_object_is_empty(payload):
    found = message(payload=payload)
    assert found.payload == {} and found.file_url is None


def test_message_id_spellings():
    assert message(message_id=12).message_id == "12"
    raw = {key: value for key, value in MESSAGE.items() if key != "message_id"}
    assert parse_message({**raw, "id": "x-1"}).message_id == "x-1"


def test_messages_without_ids_get_distinct_ids():
    raw = {**MESSAGE, "message_id": None}
    page = parse_conversation({"messages": [raw, raw, {**raw, "message_id": ""}]}, **PAGE_ARGS)
    assert [m.message_id for m in page.messages] == [
        "1763000000000-0",
        "1763000000000-1",
        "1763000000000-2",
    ]


@pytest.mark.parametrize("raw", [None, [], "m", 5], ids=repr)
def test_a_message_that_is_not_an_object_is_a_typed_error(raw):
    assert error(parse_message, raw) == "message is not an object"


# --- users --------------------------------------------------------------------------------


def test_documented_user():
    assert user() == User(
        user_id="919812345678",
        name="Asha Rao",
        channel="whatsapp",
        phone="+919812345678",
        email=None,
        created_at=datetime(2025, 11, 1, tzinfo=UTC),
        last_active_at=datetime(2025, 11, 21, 4, 40, tzinfo=UTC),
        attributes={"feedback": "1", "city": "Pune"},
    )


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"user_id": None, "userId": "w-1"}, "w-1"),
        ({"user_id": None, "id": 919800000000}, "919800000000"),
        ({"user_id": 919812345678}, "919812345678"),
    ],
)
def test_user_id_spellings(changes, expected):
    assert user(**changes).user_id == expected


def test_a_user_without_an_id_is_a_typed_error():
    assert error(user, user_id=None) == "missing key 'user_id'"


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"phone_no": 919812345678}, "919812345678"),
        ({"phone_no": ""}, None),
        ({"phone_no": [1]}, None),
    ],
)
def test_phone_spellings(changes, expected):
    assert user(**changes).phone == expected


@pytest.mark.parametrize("key", ["phone_number", "phone"])
def test_phone_under_another_key_when_phone_no_is_absent(key):
    raw = {name: value for name, value in USER.items() if name != "phone_no"}
    assert parse_user({**raw, key: "+441234"}).phone == "+441234"


def test_empty_or_odd_contact_fields():
    found = user(channel=None, email="", name=12)
    assert (found.channel, found.email, found.name) == ("", None, "12")


def test_user_times():
    found = user(created_at="2025/08/12 10:11:12Z", last_active_at=None)
    assert found.created_at == datetime(2025, 8, 12, 10, 11, 12, tzinfo=UTC)
    assert found.last_active_at is None
    assert error(user, created_at="soon") == "unreadable timestamp 'soon'"


def test_attribute_values_that_are_not_strings_become_json_text():
    values = {"feedback": 1, "vip": True, "tags": ["a"], "none": None, "f": 2.5, 7: "seven"}
    assert user(attributes=values).attributes == {
        "feedback": "1",
        "vip": "true",
        "tags": '["a"]',
        "none": "null",
        "f": "2.5",
        "7": "seven",
    }


@pytest.mark.parametrize("attributes", [None, [], "feedback=1"])
def test_attributes_that_are_not_an_object_are_empty(attributes):
    assert user(attributes=attributes).attributes == {}


def test_attributes_from_any_mapping():
    assert user(attributes=MappingProxyType({"feedback": "3"})).attributes == {"feedback": "3"}


@pytest.mark.parametrize("raw", [None, [], "u", 5], ids=repr)
def test_a_user_that_is_not_an_object_is_a_typed_error(raw):
    assert error(parse_user, raw) == "user is not an object"


def test_results_are_read_only_copies_of_the_input():
    """A result keeps no link to the JSON it came from, and its mappings are read-only."""
    raw_message = {**MESSAGE, "payload": {"url": "https://cdn.example/a.jpg"}}
    raw_user = {**USER, "attributes": {"feedback": "1"}}
    found_message, found_user = parse_message(raw_message), parse_user(raw_user)
    raw_message["payload"]["url"] = raw_user["attributes"]["feedback"] = "changed"
    assert found_message.payload == {"url": "https://cdn.example/a.jpg"}
    assert found_user.attributes == {"feedback": "1"}
    with pytest.raises(TypeError):
        found_user.attributes["feedback"] = "5"  # type: ignore[index]
    with pytest.raises(TypeError):
        found_message.payload["url"] = "x"  # type: ignore[index]


# --- whole answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload,expected",
    [(None, []), ([], []), ({}, []), ({"users": None}, []), ([USER], ["919812345678"])],
    ids=repr,
)
def test_users_answer_shapes(payload, expected):
    assert [found.user_id for found in parse_users(payload)] == expected


def test_a_long_answer_holds_each_short_text_once():
    """A city or a plan repeats from user to user: the users of one answer share the
    string (a sandbox user took 886 bytes, 653 with them shared), long texts are not
    looked up, and the JSON is consumed as it is parsed."""
    comment = "c" * 65
    raw = [
        {**USER, "user_id": f"u{i}", "attributes": {"city": "Pune", "plan": 3, "note": comment}}
        for i in range(3)
    ]
    raw = json.loads(json.dumps(raw))  # each user's strings their own objects, as decoded
    first, *others = found = parse_users(raw)
    assert raw == []
    assert [u.attributes["city"] for u in found] == ["Pune"] * 3
    for other in others:
        assert other.attributes["city"] is first.attributes["city"]
        assert other.attributes["plan"] is first.attributes["plan"]
        assert other.channel is first.channel
        assert other.attributes["note"] == comment
        assert other.attributes["note"] is not first.attributes["note"]


@pytest.mark.parametrize(
    "payload,detail",
    [
        ({"users": "x"}, "users is not a list"),
        ("users", "users is not a list"),
        ({"users": [USER, None]}, "user is not an object"),
    ],
    ids=repr,
)
def test_a_bad_users_answer_is_a_typed_error(payload, detail):
    assert error(parse_users, payload) == detail


def test_page_fields_given_as_strings_or_floats():
    page = parse_conversation(
        {
            "messages": [MESSAGE],
            "user_id": 5,
            "page_number": "2",
            "page_size": 3.0,
            "total_records": "9",
            "total_pages": 3,
        },
        **PAGE_ARGS,
    )
    assert (page.user_id, page.page, page.page_size) == ("5", 2, 3)
    assert (page.total_records, page.total_pages) == (9, 3)


def test_unreadable_page_fields_fall_back_to_the_request():
    page = parse_conversation({"messages": [MESSAGE], "page_number": "²"}, **PAGE_ARGS)
    assert (page.user_id, page.page, page.page_size) == ("u1", 1, 50)


@pytest.mark.parametrize(
    "payload,detail",
    [
        (None, "conversation is not an object"),
        ({"messages": "x"}, "messages is not a list"),
        ({"messages": [MESSAGE, {**MESSAGE, "sender": "x"}]}, "unknown sender 'X'"),
        ({"messages": [MESSAGE, None]}, "message is not an object"),
    ],
    ids=repr,
)
def test_a_bad_conversation_answer_is_a_typed_error(payload, detail):
    assert error(parse_conversation, payload, **PAGE_ARGS) == detail


# --- anything at all ----------------------------------------------------------------------

_STRINGS = st.sampled_from(
    [
        "",
        "  ",
        "USER",
        "bot",
        " agent ",
        "TEXT",
        "m-1",
        "1763000000000",
        "-17",
        "²",
        "2025-08-12 10:11:12.123456+0530",
        "2025/08/12 10:11:12Z",
        "0001-01-01T00:00:00+05:00",
        "https://cdn.example/x.png",
    ]
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000)
    | st.floats()
    | _STRINGS
)
_KEYS = st.sampled_from(["url", "text", "mimeType", "mime_type", "rating"]) | st.text(max_size=4)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)
_MESSAGE_KEYS = st.sampled_from(
    [*MESSAGE, "created_at", "time", "sender_type", "message_type", "response", "file", "id"]
)
_USER_KEYS = st.sampled_from([*USER, "userId", "id", "phone_number", "phone"])
_ATTRIBUTES = st.dictionaries(st.text(max_size=5) | st.integers(0, 3), _VALUES, max_size=4)
_RANDOM = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _aware_utc(value: Any) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None and not value.utcoffset()


def _changed(base: dict[str, Any], changes: dict[str, Any], dropped: set[str]) -> dict[str, Any]:
    return {key: value for key, value in {**base, **changes}.items() if key not in dropped}


@_RANDOM
@given(
    changes=st.dictionaries(_MESSAGE_KEYS, _VALUES, max_size=4),
    dropped=st.sets(_MESSAGE_KEYS, max_size=2),
    index=st.integers(0, 600),
)
def test_any_message_is_typed_or_a_typed_error(changes, dropped, index):
    try:
        found = parse_message(_changed(MESSAGE, changes, dropped), index)
    except UnexpectedResponse:
        return
    assert isinstance(found.message_id, str) and found.message_id
    assert _aware_utc(found.timestamp)
    assert found.sender in {"USER", "BOT", "AGENT"}
    assert isinstance(found.type, str) and found.type == found.type.upper()
    assert _optional_str(found.text) and _optional_str(found.agent_name)
    assert isinstance(found.payload, MappingProxyType)
    assert _optional_str(found.file_url) and _optional_str(found.file_mime)


@_RANDOM
@given(
    changes=st.dictionaries(_USER_KEYS, _VALUES | _ATTRIBUTES, max_size=4),
    dropped=st.sets(_USER_KEYS, max_size=2),
)
def test_any_user_is_typed_or_a_typed_error(changes, dropped):
    try:
        found = parse_user(_changed(USER, changes, dropped))
    except UnexpectedResponse:
        return
    assert isinstance(found.user_id, str) and isinstance(found.channel, str)
    assert _optional_str(found.name) and _optional_str(found.phone) and _optional_str(found.email)
    assert found.phone != "" and found.email != ""
    for moment in (found.created_at, found.last_active_at):
        assert moment is None or _aware_utc(moment)
    assert isinstance(found.attributes, MappingProxyType)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in found.attributes.items())


@_RANDOM
@given(raw=_VALUES)
def test_any_value_as_a_message_user_or_answer_is_typed_or_a_typed_error(raw):
    for parse in (
        parse_message,
        parse_user,
        parse_users,
        lambda value: parse_conversation(value, **PAGE_ARGS),
        lambda value: parse_conversation({"messages": [value]}, **PAGE_ARGS),
    ):
        with contextlib.suppress(UnexpectedResponse):
            parse(raw)


# --- text a page, a file or a database cannot hold ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (rb'{"a": "x\u0000y"}', {"a": "x\ufffdy"}),  # PostgreSQL refuses NUL
        (rb'{"a": "\ud83d"}', {"a": "\ufffd"}),  # half an emoji: UTF-8 cannot encode it
        (rb'{"a": "\ude00x"}', {"a": "\ufffdx"}),
        (rb'{"a": ["\uD83D\uDE00", "\ude00"]}', {"a": ["\U0001f600", "\ufffd"]}),
        (rb'{"\u0000": {"k\ud800": 1}}', {"\ufffd": {"k\ufffd": 1}}),
        (rb'{"a": "\ud83d\ude00 \u00e9"}', {"a": "\U0001f600 \u00e9"}),  # left as it is
    ],
)
def test_nul_and_lone_surrogates_become_replacement_characters(body, expected):
    decoded = decode_json(body)
    assert decoded == expected
    json.dumps(decoded, ensure_ascii=False).encode()  # every string can be encoded
