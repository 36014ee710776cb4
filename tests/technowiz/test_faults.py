"""Faults: timeouts, retries, Retry-After, bad bodies, the breaker; audit rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db import transaction

from technowiz import errors
from technowiz.breaker import CircuitBreaker
from technowiz.context import Actor, acting_as
from technowiz.models import ImmutableAuditRow, OutboundCall

from .conftest import ok, rows

pytestmark = pytest.mark.django_db

EMPTY_USERS = {"count": 0, "users": []}


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def test_get_timeout_is_one_completed_row(platform_client, platform):
    platform.default = read_timeout
    with pytest.raises(errors.PlatformTimeout) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert info.value.message == "The platform did not answer in time. Try again in a minute."
    [row] = rows()
    assert row.outcome == "network_error" and row.finished_at is not None and row.status is None
    assert row.duration_ms > 0 and len(platform.requests) == 1


def test_post_timeout_is_unknown_and_not_retried(platform_client, platform):
    platform.default = read_timeout
    with pytest.raises(errors.PlatformTimeout) as info:
        platform_client.trigger_flow("f", phone="+919812345678")
    assert info.value.outcome == "unknown" and "did not answer in time" in info.value.message
    assert "check" in info.value.message
    assert [r.outcome for r in rows()] == ["unknown"]


def test_get_503_twice_then_200_succeeds_with_three_rows(platform_client, platform):
    platform.script += [
        httpx.Response(503),
        httpx.Response(503, text="<html>busy</html>"),
        ok(EMPTY_USERS),
    ]
    assert platform_client.users_by_attribute("feedback", "1") == []
    found = rows()
    assert [(r.attempt, r.outcome, r.status) for r in found] == [
        (0, "server_error", 503),
        (1, "server_error", 503),
        (2, "ok", 200),
    ]
    assert len({r.call_id for r in found}) == 1


def test_get_gives_up_after_max_retries(platform_client, platform):
    platform.default = lambda request: httpx.Response(502)
    with pytest.raises(errors.ServerError) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert len(platform.requests) == 3 and info.value.audit_id == rows()[-1].pk


def test_get_connect_error_is_retried(platform_client, platform):
    platform.script += [httpx.ConnectError("refused"), ok(EMPTY_USERS)]
    assert platform_client.users_by_attribute("feedback", "1") == []
    assert [r.outcome for r in rows()] == ["network_error", "ok"]


def test_post_503_is_not_retried(platform_client, platform):
    platform.script += [httpx.Response(503), ok(True)]
    with pytest.raises(errors.ServerError):
        platform_client.trigger_flow("f", phone="+919812345678")
    assert len(platform.requests) == 1 and len(rows()) == 1


def test_broadcast_502_is_unknown_not_retried(platform_client, platform):
    platform.script += [httpx.Response(502), ok({"broadcast_id": "b", "accepted_count": 1})]
    with pytest.raises(errors.ServerError) as info:
        platform_client.broadcast(
            "b", template_name="t", language="en", rows=[("+919812345678", [])]
        )
    assert info.value.outcome == "unknown" and len(platform.requests) == 1
    assert rows()[0].outcome == "unknown"


def test_429_retry_after_is_waited_for(platform_client, platform):
    platform.script += [httpx.Response(429, headers={"Retry-After": "1"}), ok(EMPTY_USERS)]
    started = time.monotonic()
    assert platform_client.users_by_attribute("feedback", "1") == []
    assert time.monotonic() - started >= 0.95
    first, second = rows()
    assert first.status == 429 and first.retry_after == 1.0 and second.outcome == "ok"


def test_429_retry_after_beyond_cap_is_not_waited(platform_client, platform):
    platform.script += [httpx.Response(429, headers={"Retry-After": "120"})]
    with pytest.raises(errors.RateLimited) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert info.value.retry_after == 120 and len(rows()) == 1


def test_malformed_json_is_typed(platform_client, platform):
    platform.script.append(httpx.Response(200, content=b'{"status": {"code": 1000, "desc": "SUCC'))
    with pytest.raises(errors.UnexpectedResponse) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert "does not understand" in info.value.message
    [row] = rows()
    assert row.status == 200 and row.outcome == "server_error" and "not JSON" in row.detail


def test_html_500_is_typed(platform_client, platform):
    page = "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>"
    platform.default = lambda request: httpx.Response(
        500, text=page, headers={"Content-Type": "text/html"}
    )
    with pytest.raises(errors.ServerError) as info:
        platform_client.conversation("919812345678")
    assert "internal problem" in info.value.message
    assert all(r.outcome == "server_error" and "HTML" in r.detail for r in rows())


def test_success_missing_keys_is_typed(platform_client, platform):
    platform.script.append(ok({"users": [{"name": "no id"}]}))
    with pytest.raises(errors.UnexpectedResponse):
        platform_client.users_by_attribute("feedback", "1")


def test_post_with_unreadable_success_is_unknown(platform_client, platform):
    platform.script.append(httpx.Response(200, content=b"<html>ok</html>"))
    with pytest.raises(errors.UnexpectedResponse) as info:
        platform_client.trigger_flow("f", phone="+919812345678")
    assert info.value.outcome == "unknown" and rows()[0].outcome == "unknown"


def test_breaker_opens_and_fails_fast_with_a_row(make_client, platform):
    now = [1000.0]
    client = make_client(max_retries=0)
    client.breaker = CircuitBreaker(failures=2, cooldown=30.0, clock=lambda: now[0])
    platform.default = lambda request: httpx.Response(503)
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            client.users_by_attribute("feedback", "1")
    with pytest.raises(errors.PlatformUnavailable) as info:
        client.users_by_attribute("feedback", "1")
    assert "paused for" in info.value.message
    assert len(platform.requests) == 2
    fast = rows()[-1]
    assert fast.pk == info.value.audit_id and fast.outcome == "network_error"
    assert "circuit open" in fast.detail and fast.status is None and fast.duration_ms > 0
    now[0] += 29.0
    with pytest.raises(errors.PlatformUnavailable):  # still within the cooldown
        client.users_by_attribute("feedback", "1")
    assert len(platform.requests) == 2
    now[0] += 1.5
    platform.default = lambda request: ok({"count": 0, "users": []})
    assert client.users_by_attribute("feedback", "1") == []  # the probe closes it
    assert not client.breaker.is_open


def test_breaker_ignores_client_errors(make_client, platform):
    client = make_client(breaker_failures=1)
    platform.default = lambda request: httpx.Response(401)
    for _ in range(3):
        with pytest.raises(errors.Unauthorized):
            client.users_by_attribute("feedback", "1")
    assert not client.breaker.is_open


def test_job_context_origin(platform_client, platform):
    platform.script.append(ok(True))
    with acting_as(Actor(user_id=None, username="maya", origin="job:42")):
        platform_client.trigger_flow("f", phone="+919812345678")
    [row] = rows()
    assert row.origin == "job:42" and row.username == "maya" and row.outcome == "ok"


def test_completed_rows_are_immutable(platform_client, platform):
    platform.script.append(ok(EMPTY_USERS))
    platform_client.users_by_attribute("feedback", "1")
    row = OutboundCall.objects.get()
    row.outcome = "server_error"
    with pytest.raises(ImmutableAuditRow):
        row.save()
    with pytest.raises(ImmutableAuditRow):
        row.delete()
    with pytest.raises(ImmutableAuditRow):
        OutboundCall.objects.filter(pk=row.pk).update(outcome="server_error")
    with pytest.raises(ImmutableAuditRow):
        OutboundCall.objects.all().delete()
    assert OutboundCall.objects.complete_pending(row.pk, outcome="server_error") == 0
    assert OutboundCall.objects.get().outcome == "ok"


def test_refuses_inside_a_callers_atomic_block(platform_client, platform):
    with transaction.atomic(), pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        platform_client.users_by_attribute("feedback", "1")
    assert platform.requests == [] and OutboundCall.objects.count() == 0


def test_long_pending_row_reads_unknown():
    started = datetime.now(UTC) - timedelta(hours=2)
    common = {
        "call_id": "6f1d0c1e-8a8e-4a36-9c55-2f7f5b0f0b11",
        "username": "system",
        "origin": "system",
        "action": "flow.trigger",
        "method": "POST",
        "path_template": "/x",
        "path": "/x",
    }
    old = OutboundCall.objects.create(started_at=started, **common)
    fresh = OutboundCall.objects.create(started_at=datetime.now(UTC), **common)
    assert old.effective_outcome == "unknown" and fresh.effective_outcome == "pending"
    effective = dict(OutboundCall.objects.with_effective_outcome().values_list("pk", "effective"))
    assert effective == {old.pk: "unknown", fresh.pk: "pending"}


def test_the_pause_message_says_the_time_left(make_client, platform):
    now = [1000.0]
    client = make_client(max_retries=0)
    client.breaker = CircuitBreaker(failures=1, cooldown=30.0, clock=lambda: now[0])
    platform.default = lambda request: httpx.Response(503)
    with pytest.raises(errors.ServerError):
        client.users_by_attribute("feedback", "1")
    now[0] += 12.2
    with pytest.raises(errors.PlatformUnavailable) as info:
        client.users_by_attribute("feedback", "1")
    assert "Calls are paused for 18 seconds" in info.value.message
    now[0] += 17.5
    with pytest.raises(errors.PlatformUnavailable) as info:
        client.users_by_attribute("feedback", "1")
    assert "Calls are paused for 1 seconds" not in info.value.message
    assert "Calls are paused for 1 second:" in info.value.message
