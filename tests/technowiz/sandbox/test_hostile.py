"""The hostile data set: fixed, first, beside unchanged seeded users, and served as the
contract says (over JSON a lone surrogate travels as an escape)."""

import json
from urllib.parse import quote

import httpx
import pytest

from technowiz.sandbox import SandboxData, SandboxServer
from technowiz.sandbox.hostile import (
    HOSTILE_ATTRIBUTE,
    HOSTILE_PAYLOADS,
    HOSTILE_USER_COUNT,
    HOSTILE_VALUE,
    MARKER,
)

from .conftest import KEY, USERS, conversations_path, sandbox_app, sandbox_http, status_code


@pytest.fixture
def hostile() -> SandboxData:
    return SandboxData.build(seed=7, user_count=0, hostile=True)


def test_the_hostile_users_come_first_and_the_seeded_ones_stay_as_they_were():
    mixed, plain = SandboxData(7, 300, hostile=True), SandboxData(7, 300)
    assert len(mixed.users) == HOSTILE_USER_COUNT + 300
    assert mixed.users[HOSTILE_USER_COUNT:] == plain.users
    assert mixed.users == SandboxData(7, 300, hostile=True).users
    assert len({u["user_id"] for u in mixed.users}) == len(mixed.users)
    assert SandboxData.build(7, 0, hostile=True) is not SandboxData.build(7, 0)
    first = mixed.users[0]["user_id"]
    assert mixed.conversation(first) == SandboxData(7, 0, hostile=True).conversation(first)


def test_every_field_carries_attacks(hostile):
    texts = []
    for user in hostile.users:
        assert user["attributes"][HOSTILE_ATTRIBUTE] == HOSTILE_VALUE
        texts += [user["user_id"], user["name"], user["phone_no"], user["email"]]
        texts += [*user["attributes"], *user["attributes"].values()]
        for message in hostile.conversation(user["user_id"]):
            texts += [message["message_id"], message["text"], message["agent_name"]]
            texts.append(json.dumps(message.get("payload")))
            texts.append(json.dumps(message.get("file")))
    joined = "\n".join(t for t in texts if isinstance(t, str))
    for needle in ("=HYPERLINK(", "<script>", "onerror=", "javascript:", "data:text/html", "../"):
        assert needle in joined
    for needle in ("\x00", "\u202e", "\ud83d", "A" * 10_240, f"window.{MARKER}=1"):
        assert needle in joined
    ratings = [u["attributes"]["feedback"] for u in hostile.users]
    assert ratings.count("1") + ratings.count("2") == HOSTILE_USER_COUNT - 4


def test_each_conversation_has_every_type_and_one_rating(hostile):
    for user in hostile.users:
        messages = hostile.conversation(user["user_id"])
        assert len(messages) > 25  # two pages at the smallest page size
        stamps = [m["timestamp"] for m in messages]
        assert stamps == sorted(set(stamps)) and stamps[-1] == user["last_active_at"]
        assert [m["type"] for m in messages].count("FEEDBACK") == 1
        kinds = {m["type"] for m in messages}
        assert {"TEXT", "BUTTONS", "IMAGE", "TEMPLATE", "EVENT", "DOCUMENT"} <= kinds


def test_served_as_json_with_the_lone_surrogate_escaped(hostile):
    app = sandbox_app(hostile)
    with sandbox_http(app) as http:
        answer = http.get(USERS, params={"attribute_name": "feedback", "attribute_value": "1"})
        assert answer.status_code == 200 and b"\\ud83d" in answer.content
        users = answer.json()["responseObject"]["users"]
        assert len(users) == sum(u["attributes"]["feedback"] == "1" for u in hostile.users)
        # Attribute values that are not strings match nothing (and break nothing).
        assert http.get(USERS, params={"attribute_name": "x", "attribute_value": "3.5"}).json()
        params = {"attribute_name": HOSTILE_ATTRIBUTE, "attribute_value": HOSTILE_VALUE}
        assert http.get(USERS, params=params).json()["responseObject"]["count"] == 36


@pytest.mark.server
def test_every_conversation_over_http(hostile):
    auth = {"Authorization": f"Basic {KEY}"}
    with (
        SandboxServer(sandbox_app(hostile)) as server,
        httpx.Client(base_url=server.url, headers=auth, timeout=5.0) as http,
    ):
        for user in hostile.users:
            user_id = user["user_id"]
            path = conversations_path(quote(user_id, safe="", errors="surrogatepass"))
            answer = http.get(path)
            if user_id in (".", ".."):  # a dot segment: the URL itself loses the id
                assert answer.status_code == 404
                continue
            if user_id == "\ud83d":  # its UTF-8 bytes are no text: an unknown user
                assert status_code(answer) == 1002
                continue
            assert answer.status_code == 200, repr(user_id[:40])
            page = answer.json()["responseObject"]
            assert len(page["messages"]) == len(hostile.conversation(user_id))


def test_hostile_payloads_are_distinct():
    assert len(set(HOSTILE_PAYLOADS)) == len(HOSTILE_PAYLOADS)
