"""The fast paths of technowiz.parsing give exactly what the general path gives.

``_reference_*`` below is the parser with its fast paths switched off: the general,
tolerant code, which is the parser as it was before the fast paths. Every case is run
through both; results must be equal *and* have the same repr (which also pins tz
objects, mapping proxies and field types), errors must have the same type, message and
detail.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any
from unittest import mock

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz import parsing
from technowiz.sandbox import SandboxData
from technowiz.sandbox.data import (
    EXAMPLE_USER_ID,
    EXAMPLE_WEB_USER_ID,
    LONG_CONVERSATION_USER_IDS,
    MARKUP_USER_ID,
)

from .conftest import BOT, CUSTOMER
from .sandbox.conftest import BASE, sandbox_app, sandbox_http

# --- the reference: the general path alone ------------------------------------------------
#
# ``_any_user`` and ``_any_message`` are the parser as it was before the fast paths
# (commit 8ed52cd), moved, not rewritten. The reference is the public functions with the
# fast paths switched off, so everything that is not a fast path is shared and only the
# fast paths are under test.


def _general_path_only(function: Callable[..., Any]) -> Callable[..., Any]:
    def reference(*args: Any, **kwargs: Any) -> Any:
        with (
            mock.patch.object(parsing, "_documented_message", lambda obj: None),
            mock.patch.object(parsing, "_documented_user", lambda obj: None),
        ):
            return function(*args, **kwargs)

    return reference


_reference_parse_user = _general_path_only(parsing.parse_user)
_reference_parse_users = _general_path_only(parsing.parse_users)
_reference_parse_message = _general_path_only(parsing.parse_message)
_reference_parse_conversation = _general_path_only(parsing.parse_conversation)


# --- comparing ------------------------------------------------------------------------------


def _outcome(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """What a call gave: the result (and its repr), or the error's type, text and detail."""
    try:
        result = function(*args, **kwargs)
    except Exception as exc:
        return ("raised", type(exc), str(exc), getattr(exc, "detail", None))
    return ("returned", result, repr(result))


def assert_same(new: Callable[..., Any], reference: Callable[..., Any], *args: Any, **kw: Any):
    assert _outcome(new, *args, **kw) == _outcome(reference, *args, **kw)


def same_message(raw: Any, index: int = 0) -> None:
    assert_same(parsing.parse_message, _reference_parse_message, raw, index)
    page = {"messages": [raw]}
    assert_same(parsing.parse_conversation, _reference_parse_conversation, page, **PAGE_ARGS)


def same_user(raw: Any) -> None:
    assert_same(parsing.parse_user, _reference_parse_user, raw)
    assert_same(parsing.parse_users, _reference_parse_users, {"users": [raw]})


PAGE_ARGS = {"user_id": "u1", "page": 1, "page_size": 50}


# --- the sandbox's real answers -------------------------------------------------------------


@pytest.fixture(scope="module")
def data() -> SandboxData:
    return SandboxData.build()


@pytest.fixture(scope="module")
def sandbox(data: SandboxData) -> Iterator[httpx.Client]:
    with sandbox_http(sandbox_app(data)) as client:
        # a broadcast and a flow append BOT messages of their own shape
        client.post(
            f"/whatsapp-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/external/broadcast",
            params={"broadcast_id": "equivalence-1"},
            files={
                "target_audience": (
                    "audience.csv",
                    f"user.phone_number,user.attribute_0,user.attribute_1\n"
                    f"+{EXAMPLE_USER_ID},Asha,1\n".encode(),
                    "text/csv",
                )
            },
            data={
                "template_payload": json.dumps(
                    {
                        "template_name": "feedback_followup",
                        "language": "en",
                        "body_parameters": ["user.attribute_0", "user.attribute_1"],
                    }
                )
            },
        ).raise_for_status()
        client.post(
            f"/bot-api/v2.0/customer/{CUSTOMER}/bot/{BOT}/flow/callback_request",
            json={"user.phone_no": f"+{EXAMPLE_USER_ID}"},
        ).raise_for_status()
        yield client


def response_object(response: httpx.Response) -> Any:
    response.raise_for_status()
    return response.json()["responseObject"]


def conversation_pages(client: httpx.Client, user_id: str, size: int = 500) -> Iterator[Any]:
    page = 1
    while True:
        body = response_object(
            client.get(
                f"{BASE}/channel-user/{user_id}/conversations",
                params={"page_number": page, "page_size": size},
            )
        )
        yield body
        if page >= body["total_pages"]:
            return
        page += 1


@pytest.mark.parametrize("rating", ["1", "2", "3", "4", "5"])
def test_users_answers_are_parsed_identically(sandbox, rating):
    body = response_object(
        sandbox.get(
            f"{BASE}/users", params={"attribute_name": "feedback", "attribute_value": rating}
        )
    )
    assert body["count"] > 100
    new, reference = parsing.parse_users(body), _reference_parse_users(body)
    assert new == reference and repr(new) == repr(reference)


def test_every_sandbox_user_is_parsed_identically(data):
    users = json.loads(json.dumps(list(data.users)))  # as the wire gives them
    new, reference = parsing.parse_users(users), _reference_parse_users(users)
    assert len(new) == len(data.users)
    assert new == reference and repr(new) == repr(reference)


def test_long_conversations_are_parsed_identically(sandbox, data):
    kinds: set[str] = set()
    for user_id in LONG_CONVERSATION_USER_IDS:
        for body in conversation_pages(sandbox, user_id):
            args = {"user_id": user_id, "page": body["page_number"], "page_size": 500}
            new = parsing.parse_conversation(body, **args)
            reference = _reference_parse_conversation(body, **args)
            assert new == reference and repr(new) == repr(reference)
            kinds.update(message.type for message in new.messages)
    assert len(kinds) >= 6  # TEXT BUTTONS EVENT TEMPLATE IMAGE FEEDBACK


def test_other_sandbox_conversations_are_parsed_identically(sandbox, data):
    user_ids = [EXAMPLE_USER_ID, EXAMPLE_WEB_USER_ID, MARKUP_USER_ID]
    user_ids += [user["user_id"] for user in data.users[::50]]
    for user_id in user_ids:
        for body in conversation_pages(sandbox, user_id, size=37):  # odd pages too
            args = {"user_id": user_id, "page": 1, "page_size": 37}
            new = parsing.parse_conversation(body, **args)
            reference = _reference_parse_conversation(body, **args)
            assert new == reference and repr(new) == repr(reference)


def test_broadcast_and_flow_messages_are_parsed_identically(sandbox):
    *_, last_page = conversation_pages(sandbox, EXAMPLE_USER_ID)
    flow, broadcast = last_page["messages"][-1], last_page["messages"][-2]
    assert broadcast["payload"]["broadcast_id"] == "equivalence-1"
    assert flow["payload"]["flow_key"] == "callback_request"
    for index, raw in enumerate(last_page["messages"]):
        same_message(raw, index)


# --- hand-made variations and bad input -----------------------------------------------------

DOCUMENTED_MESSAGE = {
    "message_id": "m-000051",
    "timestamp": 1763000000000,
    "sender": "USER",
    "type": "TEXT",
    "text": "my order never came",
    "agent_name": None,
    "payload": None,
}

MESSAGE_VARIATIONS: list[dict[str, Any]] = [
    {},
    {"timestamp": "1763000000000"},
    {"timestamp": " -5 "},
    {"timestamp": 1763000000000.0},
    {"timestamp": 1763000000000.5},
    {"timestamp": "2025-08-12 10:11:12.123456+0530"},
    {"timestamp": "2025/08/12 10:11:12.123456+0530"},
    {"timestamp": "2025-08-12T10:11:12Z"},
    {"timestamp": "2025-08-12 10:11:12"},
    {"timestamp": "yesterday"},
    {"timestamp": ""},
    {"timestamp": None},
    {"timestamp": None, "created_at": 1763000000001},
    {"timestamp": None, "time": "2025-08-12T10:11:12Z"},
    {"timestamp": True},
    {"timestamp": [1]},
    {"timestamp": {"ms": 1}},
    {"timestamp": 10**20},
    {"timestamp": 10**400},
    {"timestamp": -(10**15)},
    {"timestamp": "²"},
    {"sender": "bot"},
    {"sender": " Agent "},
    {"sender": "SYSTEM"},
    {"sender": ""},
    {"sender": None},
    {"sender": None, "sender_type": "user"},
    {"sender": 7},
    {"sender": ["USER"]},
    {"type": "buttons"},
    {"type": " carousel_v2 "},
    {"type": ""},
    {"type": "   "},
    {"type": None},
    {"type": None, "message_type": "IMAGE"},
    {"message_type": "IMAGE"},
    {"type": 3},
    {"type": {"x": 1}},
    {"text": None},
    {"text": ""},
    {"text": 42},
    {"text": 4.5},
    {"text": True},
    {"text": {"text": "inside", "url": "https://x/y.png"}},
    {"text": {"text": "inside"}, "payload": {"rating": 2}},
    {"text": ["a"]},
    {"response": "What next?"},
    {"text": None, "response": "ignored: text is present"},
    {"message_id": None},
    {"message_id": ""},
    {"message_id": 12},
    {"message_id": None, "id": "x-1"},
    {"id": "x-1"},
    {"agent_name": "Ravi"},
    {"agent_name": 5},
    {"agent_name": {"n": 1}},
    {"payload": {}},
    {"payload": {"url": "https://cdn.example/a.jpg"}},
    {"payload": {"url": 5}},
    {"payload": {"options": ["a", "b"]}},
    {"payload": OrderedDict(url="https://cdn.example/o.jpg")},
    {"payload": []},
    {"payload": "text"},
    {"payload": 0},
    {"file": {"url": "https://cdn.example/f.pdf", "mimeType": "application/pdf"}},
    {"file": {"url": "https://cdn.example/f.pdf", "mime_type": "application/pdf"}},
    {"file": {"url": 1}, "payload": {"url": "https://cdn.example/p.jpg"}},
    {"file": None, "payload": {"url": "https://cdn.example/p.jpg"}},
    {"file": "nope", "payload": {"url": "https://cdn.example/p.jpg"}},
    {"extra": {"ignored": True}},
]
MESSAGE_VARIATIONS += [
    {"type": kind, "text": None, "file": {"url": "https://cdn.example/f", "mimeType": "x/y"}}
    for kind in ["OPTIONS", "FILE_RECEIVED", "AGENT_PARTICIPATION_STATUS", "VIDEO", "AUDIO"]
]
MESSAGE_VARIATIONS += [{"type": "DOCUMENT", "file": {}}]


@pytest.mark.parametrize("change", MESSAGE_VARIATIONS, ids=repr)
@pytest.mark.parametrize("index", [0, 7])
def test_message_variations(change, index):
    same_message({**DOCUMENTED_MESSAGE, **change}, index)


@pytest.mark.parametrize("key", sorted(DOCUMENTED_MESSAGE))
def test_message_without_a_key(key):
    raw = dict(DOCUMENTED_MESSAGE)
    del raw[key]
    same_message(raw, 3)


@pytest.mark.parametrize(
    "raw",
    [None, [], "m", 5, MappingProxyType(DOCUMENTED_MESSAGE), OrderedDict(DOCUMENTED_MESSAGE)],
    ids=repr,
)
def test_message_that_is_not_a_dict(raw):
    same_message(raw)


DOCUMENTED_USER = {
    "user_id": "919812345678",
    "name": "Asha Rao",
    "channel": "whatsapp",
    "phone_no": "+919812345678",
    "email": None,
    "created_at": 1761955200000,
    "last_active_at": 1763700000000,
    "attributes": {"feedback": "1", "city": "Pune", "plan": "gold"},
}

USER_VARIATIONS: list[dict[str, Any]] = [
    {},
    {"user_id": None},
    {"user_id": None, "userId": "w-1"},
    {"user_id": None, "id": 919800000000},
    {"user_id": ""},
    {"user_id": 919812345678},
    {"user_id": ["x"]},
    {"name": None},
    {"name": ""},
    {"name": 12},
    {"name": {"first": "A"}},
    {"channel": None},
    {"channel": ""},
    {"channel": 1.5},
    {"phone_no": None},
    {"phone_no": ""},
    {"phone_no": 919812345678},
    {"phone_no": None, "phone_number": "+441234"},
    {"phone_no": [1]},
    {"email": "k@example.org"},
    {"email": ""},
    {"email": 3},
    {"created_at": None},
    {"created_at": ""},
    {"created_at": "1761955200000"},
    {"created_at": "2025-08-12 10:11:12.123456+0530"},
    {"created_at": "2025/08/12 10:11:12Z"},
    {"created_at": "soon"},
    {"created_at": 1761955200000.0},
    {"created_at": True},
    {"created_at": 10**400},
    {"last_active_at": None},
    {"last_active_at": {"ms": 1}},
    {"attributes": None},
    {"attributes": {}},
    {"attributes": []},
    {"attributes": "feedback=1"},
    {"attributes": {"feedback": 1, "vip": True, "tags": ["a"], "none": None, "f": 2.5}},
    {"attributes": {1: "one", "1": "string one"}},
    {"attributes": {"1": "string one", 1: "one"}},
    {"attributes": OrderedDict(feedback="2")},
    {"attributes": MappingProxyType({"feedback": "3"})},
    {"brand_new_field": {"x": 1}},
]


@pytest.mark.parametrize("change", USER_VARIATIONS, ids=repr)
def test_user_variations(change):
    same_user({**DOCUMENTED_USER, **change})


@pytest.mark.parametrize("key", sorted(DOCUMENTED_USER))
def test_user_without_a_key(key):
    raw = dict(DOCUMENTED_USER)
    del raw[key]
    same_user(raw)


@pytest.mark.parametrize(
    "raw", [None, [], "u", 5, MappingProxyType(DOCUMENTED_USER), OrderedDict(DOCUMENTED_USER)]
)
def test_user_that_is_not_a_dict(raw):
    same_user(raw)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {},
        {"users": None},
        {"users": "x"},
        {"users": [DOCUMENTED_USER, None]},
        [DOCUMENTED_USER, {**DOCUMENTED_USER, "user_id": None}],
        "users",
    ],
    ids=repr,
)
def test_users_payload_shapes(payload):
    assert_same(parsing.parse_users, _reference_parse_users, payload)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {},
        {"messages": None, "conversations": [DOCUMENTED_MESSAGE]},
        {"messages": "x"},
        {"messages": [DOCUMENTED_MESSAGE], "page_number": "2", "page_size": 3.0},
        {"messages": [DOCUMENTED_MESSAGE], "page": 4, "total_records": "9", "total_pages": 3},
        {"messages": [DOCUMENTED_MESSAGE], "page_number": "²"},
        {"messages": [DOCUMENTED_MESSAGE, {**DOCUMENTED_MESSAGE, "sender": "x"}]},
        {"messages": [{**DOCUMENTED_MESSAGE, "message_id": None}] * 3, "user_id": 5},
        {"messages": [DOCUMENTED_MESSAGE, None, DOCUMENTED_MESSAGE]},
    ],
    ids=repr,
)
def test_conversation_payload_shapes(payload):
    assert_same(parsing.parse_conversation, _reference_parse_conversation, payload, **PAGE_ARGS)


def test_results_do_not_share_the_input_dicts():
    """Like the reference, a payload or attributes are copied, not wrapped as they are."""
    raw_message = {**DOCUMENTED_MESSAGE, "payload": {"url": "https://cdn.example/a.jpg"}}
    raw_user = {**DOCUMENTED_USER, "attributes": {"feedback": "1"}}
    message, user = parsing.parse_message(raw_message), parsing.parse_user(raw_user)
    raw_message["payload"]["url"] = raw_user["attributes"]["feedback"] = "changed"
    assert message.payload == {"url": "https://cdn.example/a.jpg"}
    assert user.attributes == {"feedback": "1"}


# --- random payloads ------------------------------------------------------------------------

_STRINGS = st.sampled_from(
    [
        "",
        "  ",
        "USER",
        "BOT",
        "AGENT",
        "bot",
        " user ",
        "TEXT",
        "buttons",
        "m-1",
        "1763000000000",
        "-17",
        "²",
        "2025-08-12 10:11:12.123456+0530",
        "2025/08/12 10:11:12Z",
        "https://cdn.example/x.png",
    ]
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000)
    | st.floats(allow_nan=False)
    | _STRINGS
)
_INNER_KEYS = st.sampled_from(["url", "text", "mimeType", "mime_type", "rating"]) | st.text(
    max_size=4
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_INNER_KEYS, inner, max_size=3),
    max_leaves=6,
)
_OTHER_MESSAGE_KEYS = [
    "created_at",
    "time",
    "sender_type",
    "message_type",
    "response",
    "file",
    "id",
]
_MESSAGE_KEYS = st.sampled_from([*DOCUMENTED_MESSAGE, *_OTHER_MESSAGE_KEYS, "extra"])
_USER_KEYS = st.sampled_from([*DOCUMENTED_USER, "userId", "id", "phone_number", "phone", "extra"])
_ATTRIBUTES = st.dictionaries(st.text(max_size=5) | st.integers(0, 3), _VALUES, max_size=4)


def _changed(base: dict[str, Any], changes: dict[str, Any], dropped: set[str]) -> dict[str, Any]:
    return {key: value for key, value in {**base, **changes}.items() if key not in dropped}


_RANDOM = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_RANDOM
@given(
    changes=st.dictionaries(_MESSAGE_KEYS, _VALUES, max_size=4),
    dropped=st.sets(_MESSAGE_KEYS, max_size=2),
    index=st.integers(0, 600),
)
def test_random_messages(changes, dropped, index):
    same_message(_changed(DOCUMENTED_MESSAGE, changes, dropped), index)


@_RANDOM
@given(
    changes=st.dictionaries(_USER_KEYS, _VALUES | _ATTRIBUTES, max_size=4),
    dropped=st.sets(_USER_KEYS, max_size=2),
)
def test_random_users(changes, dropped):
    same_user(_changed(DOCUMENTED_USER, changes, dropped))


@_RANDOM
@given(raw=_VALUES)
def test_random_values_as_message_and_user(raw):
    same_message(raw)
    same_user(raw)


def test_the_fast_builders_build_what_the_constructors_build():
    """They set each slot directly, in fields() order: a field moved or added would show."""
    from datetime import UTC, datetime

    from technowiz.types import Message, User

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    values = ("m-1", at, "AGENT", "IMAGE", "hi", "Ana", MappingProxyType({"u": 1}), "u", "x/y")
    assert repr(parsing._message(*values)) == repr(Message(*values))
    assert parsing._message(*values) == Message(*values)
    person = ("u-1", "Ana", "web", "+911", None, at, None, MappingProxyType({"a": "1"}))
    assert repr(parsing._user(*person)) == repr(User(*person))
    assert parsing._user(*person) == User(*person)
