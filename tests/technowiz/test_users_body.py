"""A list of users is read one user at a time, and reads exactly as the whole-body decoder.

The whole-body path (``decode_json`` then ``parse_users``) is the reference: for any body,
the streaming decoder gives the same users and envelope, or the same error.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz.errors import UnexpectedResponse
from technowiz.parsing import decode_json, parse_users, read_envelope
from technowiz.users_body import decode_users_body

from .conftest import ok, rows
from .test_parsing import _VALUES, USER


def _read(decode: Any, body: bytes) -> tuple[str, Any]:
    """What a body reads as: ("users", envelope fields and users) or ("error", detail)."""
    try:
        envelope = read_envelope(decode(body))
        found = parse_users(envelope.payload)
    except UnexpectedResponse as exc:
        return "error", exc.detail
    return "users", (envelope.code, envelope.desc, envelope.details, found)


def _same(body: bytes) -> None:
    assert _read(decode_users_body, body) == _read(decode_json, body)


def _body(payload: Any, **envelope: Any) -> bytes:
    return json.dumps({"status": {"code": 1000, "desc": "SUCCESS"}, **envelope, **payload}).encode()


_USER = st.fixed_dictionaries(
    {},
    optional={
        **{key: _VALUES for key in USER},
        "user_id": st.text(max_size=4) | st.integers(),
        "attributes": st.dictionaries(st.text(max_size=4), _VALUES, max_size=3) | _VALUES,
    },
)
_USERS = st.lists(_USER | _VALUES, max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=_USERS,
    form=st.sampled_from(["object", "bare", "nested", "other"]),
    extra=st.dictionaries(st.text(max_size=12), _VALUES, max_size=3),
)
def test_any_answer_reads_as_the_whole_body_decoder_reads_it(users, form, extra):
    payload = {
        "object": {"responseObject": {"count": len(users), "users": users}},
        "bare": {"responseObject": users},
        "nested": {"responseObject": {"users": {"users": users}}},  # not a list: an error
        "other": {"data": {"users": users}},  # no responseObject: no users
    }[form]
    _same(json.dumps({**extra, **payload}).encode())
    _same(json.dumps({**payload, **extra}).encode())  # the status after the users, too


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  ",
        b"<html><body>Bad gateway</body></html>",
        b'{"responseObject": {"users": []}} trailing',
        b'{"responseObject": {"users": [{"user_id": "a"}',  # cut short
        b'{"responseObject": {"users": [{"user_id": "a", "attributes": {"n": 1e400}}]}}',
        b'{"responseObject": {"users": [{"user_id": "a", "attributes": {"n": NaN}}]}}',
        b'{"responseObject": {"users": [{"user_id": "a\\u0000b", "name": "\\ud83d"}]}}',
        b'{"responseObject": {"users": [{"user_id": "\\ude00", "name": "\\ud83d\\ude00"}]}}',
        b'{"responseObject": {"users": [{"user_id": "\xff"}]}}',  # not UTF-8
        b'{"responseObject": {"users": [{"user_id": "a", "user_id": "b"}]}}',  # the last
        b'{"responseObject": {"users": [{"user_id": "a"}]}, "responseObject": []}',
        b'{"responseObject.users": [{"no": "id"}]}',  # a key with a dot is not a path
        b'{"responseObject": {"users": [1, "two"]}}',
        b'{"responseObject": {"users": [{"name": "no id"}]}}',
        b'{"status": {"code": 1001, "desc": "Bad request"}, "errorDetails": {"why": [1]}}',
        b"[]",
        b'"users"',
    ],
)
def test_odd_and_hostile_bodies_read_as_the_whole_body_decoder_reads_them(body):
    _same(body)


@pytest.mark.django_db
def test_a_list_of_users_is_never_held_whole_as_json(make_client, platform):
    """20,000 users through the client: at the peak, the users it became and little else,
    not the JSON of all of them besides (about 0.8 times the users)."""
    people = [
        {
            **USER,
            "user_id": f"9198{index:08d}",
            "name": f"Person {index}",
            "phone_no": f"+9198{index:08d}",
            "attributes": {"feedback": str(index % 5 + 1), "city": "Pune", "plan": "gold"},
        }
        for index in range(20_000)
    ]
    answer = ok({"count": len(people), "users": people})
    del people
    platform.default = lambda request: answer
    client = make_client()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        found = client.users_by_attribute("feedback", "1")
        kept, peak = (value - before for value in tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    assert len(found) == 20_000 and found[0].name == "Person 0"
    body = len(answer.content)
    # The bytes are held twice at most (httpx's buffer and the read), plus the users.
    # Besides the users, less than the answer's size again (the whole-body decoder held
    # 9.4 MB more here, twice the 4.5 MB answer; this one 0.5 MB).
    assert peak - kept < body, (peak, body, kept)


@pytest.mark.django_db
def test_the_client_reads_a_bare_list_and_a_hostile_list_of_users(make_client, platform):
    platform.script = [
        ok([{**USER, "user_id": "u1"}]),
        httpx.Response(
            200,
            content=_body({"responseObject": {"users": [{**USER, "user_id": "u\\u0000"}]}}).replace(
                b"\\\\u0000", b"\\u0000"
            ),
        ),
    ]
    client = make_client()
    assert [u.user_id for u in client.users_by_attribute("feedback", "1")] == ["u1"]
    assert [u.user_id for u in client.users_by_attribute("feedback", "1")] == ["u\ufffd"]


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.django_db
def test_a_spooled_answer_is_audited_by_its_size_and_its_file_closed(make_client, platform):
    """A list's answer goes to a temporary file: the audit row says how many bytes came,
    and the file is gone after the answer is read, or refused as unreadable."""
    answer = ok({"count": 2, "users": [{**USER, "user_id": "u1"}, {**USER, "user_id": "u2"}]})
    platform.script = [
        answer,
        answer,
        httpx.Response(200, content=b"<html>Bad gateway</html>"),
        httpx.Response(200, content=b""),
    ]
    client = make_client()
    client.users_by_attribute("feedback", "1")  # the database's files are open from here on
    before = _open_files()
    assert [u.user_id for u in client.users_by_attribute("feedback", "1")] == ["u1", "u2"]
    for detail in ("body is an HTML page", "empty body"):
        with pytest.raises(UnexpectedResponse) as refused:
            client.users_by_attribute("feedback", "1")
        assert refused.value.detail == detail
    assert _open_files() == before
    size = len(answer.content)
    assert [row.response_bytes for row in rows()] == [size, size, 24, 0]
