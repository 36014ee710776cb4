"""Several reads sent together: each request leaves after its pending row is written, the
requests are in flight at once, results and errors come in order, each attempt audited."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import transaction

from technowiz import audit
from technowiz.errors import PlatformUnavailable, UnknownBotOrCustomer
from technowiz.models import OutboundCall

from .conftest import fail, ok, rows

pytestmark = pytest.mark.django_db


def _users(*ids: str) -> dict:
    return {
        "count": len(ids),
        "users": [
            {"user_id": i, "name": None, "channel": "web", "phone_no": None, "email": None}
            for i in ids
        ],
    }


def test_reads_are_in_flight_together_and_answer_in_order(make_client, platform, monkeypatch):
    """Each request waits until all three are at the platform: sent one after another,
    the first would wait for the others forever (the barrier breaks after 10 s)."""
    client = make_client()
    arrived = threading.Barrier(3, timeout=10)
    events = []
    begin = audit.begin
    monkeypatch.setattr(audit, "begin", lambda **kw: events.append("row") or begin(**kw))

    def answer(request: httpx.Request) -> httpx.Response:
        events.append("sent")
        arrived.wait()
        value = request.url.params.get("attribute_value")
        if value is None:  # the conversation
            return fail(1002, "INVALID_BOT_OR_CUSTOMER_ID", "no such user")
        return ok(_users(f"u{value}"))

    platform.default = answer
    first, error, second = client.gather(
        [
            client.users_call("feedback", "1"),
            client.conversation_call("nobody"),
            client.users_call("feedback", "2"),
        ]
    )
    assert [u.user_id for u in first] == ["u1"]
    assert [u.user_id for u in second] == ["u2"]
    assert isinstance(error, UnknownBotOrCustomer)
    assert error.message == "This user is unknown to the platform."
    # Each request left after its own row was written (rows are written in order).
    sends = [i for i, event in enumerate(events) if event == "sent"]
    assert [events[:at].count("row") >= n for n, at in enumerate(sends, start=1)] == [True] * 3
    calls = rows()
    assert [c.action for c in calls] == ["users.search", "conversation.page", "users.search"]
    assert [c.outcome for c in calls] == ["ok", "client_error", "ok"]
    assert error.audit_id == calls[1].pk


def test_a_failed_read_is_repeated_alone_with_a_row_per_attempt(make_client, platform):
    client = make_client(max_retries=2)
    served = []

    def answer(request: httpx.Request) -> httpx.Response:
        value = request.url.params["attribute_value"]
        served.append(value)
        if value == "2" and served.count("2") == 1:
            return httpx.Response(503, text="<html>busy</html>")
        return ok(_users(f"u{value}"))

    platform.default = answer
    ones, twos = client.gather(
        [client.users_call("feedback", "1"), client.users_call("feedback", "2")]
    )
    assert [u.user_id for u in ones] == ["u1"] and [u.user_id for u in twos] == ["u2"]
    attempts = [(c.query["attribute_value"], c.attempt, c.outcome) for c in rows()]
    assert sorted(attempts) == [("1", 0, "ok"), ("2", 0, "server_error"), ("2", 1, "ok")]
    assert len({c.call_id for c in rows() if c.query["attribute_value"] == "2"}) == 1


def test_an_open_breaker_refuses_each_read_with_its_own_row(make_client, platform):
    client = make_client(breaker_failures=1, max_retries=0)
    platform.script.append(httpx.Response(500, text=""))
    client.gather([client.users_call("feedback", "1")])  # opens the breaker
    answers = client.gather([client.users_call("feedback", "1"), client.conversation_call("x")])
    assert all(isinstance(a, PlatformUnavailable) for a in answers)
    assert len(platform.requests) == 1  # nothing more went out
    refused = rows()[1:]
    assert [c.outcome for c in refused] == ["network_error", "network_error"]
    assert all("circuit open" in c.detail and c.status is None for c in refused)


def test_only_reads_are_gathered(platform_client):
    call = platform_client.users_call("feedback", "1")
    post = type(call)(**{**{f: getattr(call, f) for f in call.__slots__}, "method": "POST"})
    with pytest.raises(ValueError, match="Only reads"):
        platform_client.gather([call, post])
    assert not OutboundCall.objects.exists()


def test_gather_is_refused_inside_a_callers_transaction(platform_client, platform):
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"), transaction.atomic():
        platform_client.gather([platform_client.users_call("feedback", "1")])
    assert not platform.requests
