"""Contract tests over real HTTP: the client against the sandbox server.

One test per endpoint and per error code the sandbox can produce, each asserting the
typed result or typed error AND the audit row it left.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from technowiz import errors
from technowiz.client import TechnowizClient
from technowiz.limits import LocalLimiter
from technowiz.sandbox.app import SandboxApp
from technowiz.sandbox.catalogue import SANDBOX_BOT_WITHOUT_BROADCAST, SANDBOX_BOT_WITHOUT_WHATSAPP
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.faults import Faults
from technowiz.sandbox.server import SandboxServer

from .conftest import API_KEY, BOT, CUSTOMER, assert_no_key, config, rows

pytestmark = [pytest.mark.django_db, pytest.mark.server]


@pytest.fixture(scope="module")
def sandbox_stack() -> Iterator[tuple[SandboxApp, SandboxServer]]:
    app = SandboxApp(api_key=API_KEY, customer_id=CUSTOMER, bot_key=BOT, faults=Faults())
    with SandboxServer(app) as server:
        yield app, server


@pytest.fixture
def app(sandbox_stack) -> SandboxApp:
    app, _server = sandbox_stack
    app.reset()
    app.faults.clear_script()
    app.faults.configure("")
    return app


@pytest.fixture
def http_client(sandbox_stack, app) -> Iterator[Any]:
    _app, server = sandbox_stack
    built: list[TechnowizClient] = []

    def make(**overrides: Any) -> TechnowizClient:
        cfg = config(base_url=server.url, **overrides)
        client = TechnowizClient(cfg, limiter=LocalLimiter(rate=0, concurrency=16))
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()


@pytest.fixture
def live(http_client) -> TechnowizClient:
    return http_client()


def only_row():
    [row] = rows()
    assert row.duration_ms > 0 and row.finished_at is not None
    assert_no_key(row)
    return row


# --- endpoints ------------------------------------------------------------------------------


def test_users_by_attribute(live, app):
    users = live.users_by_attribute("feedback", "1")
    assert users and all(u.attributes["feedback"] == "1" for u in users)
    assert users == sorted(users, key=lambda u: u.last_active_at, reverse=True)
    assert any(u.can_receive_whatsapp for u in users)
    row = only_row()
    assert (row.action, row.method, row.status, row.outcome) == ("users.search", "GET", 200, "ok")
    assert row.response_bytes > 100 and row.platform_code == 1000


def test_conversation_paging(live):
    user_id = SandboxData.build().example_user_id
    first = live.conversation(user_id, page=1, page_size=5)
    assert first.page == 1 and len(first.messages) <= 5 and first.user_id == user_id
    assert [m.timestamp for m in first.messages] == sorted(m.timestamp for m in first.messages)
    assert all(m.timestamp.tzinfo is UTC for m in first.messages)
    row = only_row()
    assert row.action == "conversation.page" and user_id in row.path
    assert row.query == {"page_number": 1, "page_size": 5}


def test_conversation_date_range(live):
    user_id = SandboxData.build().example_user_id
    whole = live.conversation(user_id, page_size=500).messages
    assert len(whole) >= 2
    start = whole[1].timestamp
    ranged = live.conversation(
        user_id, start=start, end=start + timedelta(days=3650), page_size=500
    )
    assert ranged.messages[0].timestamp >= start


def test_broadcast(live, app):
    users = [u for u in live.users_by_attribute("feedback", "1") if u.can_receive_whatsapp][:3]
    rows_in = [(u.phone, [u.name or "there", "1"]) for u in users] + [("98123", ["x", "1"])]
    receipt = live.broadcast(
        "contract-1", template_name="feedback_followup", language="en", rows=rows_in
    )
    assert receipt.broadcast_id == "contract-1" and receipt.accepted_count == 3
    assert [r.row for r in receipt.rejected] == [4]
    assert app.stats.broadcasts[0]["phone_numbers"] == [u.phone for u in users]
    row = rows()[-1]
    assert row.action == "broadcast.send" and row.outcome == "ok" and row.body_summary["rows"] == 4
    assert users[0].phone not in str(row.body_summary)
    page = live.conversation(users[0].user_id, page=1, page_size=500)
    last = page.messages[-1] if not page.has_next else None
    if last is not None:
        assert last.type == "TEMPLATE" and last.payload["broadcast_id"] == "contract-1"


def test_trigger_flow(live, app):
    [user] = [u for u in live.users_by_attribute("feedback", "2") if u.can_receive_whatsapp][:1]
    assert (
        live.trigger_flow("callback_request", phone=user.phone, attributes={"order_id": "A-1"})
        is None
    )
    assert app.stats.triggers[0]["body"]["order_id"] == "A-1"
    row = rows()[-1]
    assert row.action == "flow.trigger" and row.outcome == "ok"
    assert row.body_summary["phone"].endswith(user.phone[-4:]) and user.phone not in str(
        row.body_summary
    )


# --- documented codes -----------------------------------------------------------------------


def test_1001_missing_attribute_value(live):
    with pytest.raises(errors.InvalidInput) as info:
        live.users_by_attribute("feedback", "")
    assert (only_row().platform_code, info.value.code) == (1001, 1001)


def test_1001_page_size(live):
    with pytest.raises(errors.InvalidInput):
        live.conversation(SandboxData.build().example_user_id, page_size=0)
    assert only_row().outcome == "client_error"


def test_1001_bad_phone_on_trigger(live):
    with pytest.raises(errors.InvalidInput) as info:
        live.trigger_flow("callback_request", phone="12")
    assert "phone number" in info.value.message and only_row().platform_code == 1001


def test_1002_unknown_user(live):
    with pytest.raises(errors.UnknownBotOrCustomer) as info:
        live.conversation("nobody-here")
    assert info.value.message == "This user is unknown to the platform."
    row = only_row()
    assert (row.status, row.platform_code, row.outcome) == (400, 1002, "client_error")


def test_1002_unknown_customer(http_client):
    with pytest.raises(errors.UnknownBotOrCustomer) as info:
        http_client(customer_id="999").users_by_attribute("feedback", "1")
    assert "customer id or bot key" in info.value.message
    assert only_row().path.startswith("/bot-api/v1.0/customer/999/")


def test_1003_date_range(live):
    now = datetime.now(UTC)
    with pytest.raises(errors.InvalidDateRange):
        live.conversation(
            SandboxData.build().example_user_id, start=now, end=now - timedelta(days=1)
        )
    assert only_row().platform_code == 1003


def test_1004_page_number(live):
    with pytest.raises(errors.InvalidPageNumber):
        live.conversation(SandboxData.build().example_user_id, page=0)
    assert only_row().platform_code == 1004


def test_2003_bot_not_found(http_client):
    with pytest.raises(errors.BotNotFound):
        http_client(bot_key="no-such-bot").broadcast(
            "b", template_name="service_update", language="en", rows=[("+447821876415", [])]
        )
    assert only_row().platform_code == 2003


def test_2004_whatsapp_not_configured(http_client):
    with pytest.raises(errors.WhatsAppNotConfigured):
        http_client(bot_key=SANDBOX_BOT_WITHOUT_WHATSAPP).broadcast(
            "b", template_name="service_update", language="en", rows=[("+447821876415", [])]
        )
    assert only_row().platform_code == 2004


def test_2000_broadcast_failure(live, app):
    app.faults.push("broadcast_failure")
    with pytest.raises(errors.BroadcastFailure):
        live.broadcast(
            "b", template_name="service_update", language="en", rows=[("+447821876415", [])]
        )
    row = only_row()
    assert (row.status, row.platform_code, row.outcome) == (500, 2000, "server_error")


def test_403_not_on_plan(http_client):
    with pytest.raises(errors.Forbidden):
        http_client(bot_key=SANDBOX_BOT_WITHOUT_BROADCAST).broadcast(
            "b", template_name="service_update", language="en", rows=[("+447821876415", [])]
        )
    assert only_row().status == 403


def test_401_wrong_key(http_client):
    with pytest.raises(errors.Unauthorized) as info:
        http_client(api_key="not-the-key").users_by_attribute("feedback", "1")
    assert "revoked" in info.value.message
    row = only_row()
    assert (row.status, row.outcome) == (401, "client_error") and "not-the-key" not in str(
        row.detail
    )


def test_401_revoked(live, app):
    app.faults.push("revoked")
    with pytest.raises(errors.Unauthorized):
        live.users_by_attribute("feedback", "1")
    assert only_row().status == 401


def test_404_unknown_flow(live):
    with pytest.raises(errors.NotFound) as info:
        live.trigger_flow("no_such_flow", phone="+447821876415")
    assert "flow key" in info.value.message and only_row().status == 404


# --- faults over HTTP -----------------------------------------------------------------------


def test_timeout_over_http(http_client, app):
    app.faults.push("timeout=1")
    with pytest.raises(errors.PlatformTimeout) as info:
        http_client(read_timeout=0.3).users_by_attribute("feedback", "1")
    assert "did not answer in time" in info.value.message
    row = only_row()
    assert row.outcome == "network_error" and row.status is None


def test_503_twice_then_ok_over_http(live, app):
    app.faults.push("status=503", "status=503")
    assert live.users_by_attribute("feedback", "3")
    found = rows()
    assert [r.status for r in found] == [503, 503, 200] and len({r.call_id for r in found}) == 1
    assert app.stats.requests == 3


def test_post_503_not_retried_over_http(live, app):
    app.faults.push("status=503")
    with pytest.raises(errors.ServerError):
        live.trigger_flow("callback_request", phone="+447821876415")
    assert app.stats.requests == 1 and len(rows()) == 1


def test_post_timeout_is_unknown_over_http(http_client, app):
    app.faults.push("timeout=1")
    with pytest.raises(errors.PlatformTimeout) as info:
        http_client(read_timeout=0.3).trigger_flow("callback_request", phone="+447821876415")
    assert info.value.outcome == "unknown" and only_row().outcome == "unknown"
    assert len(app.stats.triggers) == 1  # the platform did act: hence "unknown", never a retry


def test_html500_and_malformed_over_http(live, app):
    app.faults.push("html500", "html500", "html500", "malformed")
    with pytest.raises(errors.ServerError):
        live.users_by_attribute("feedback", "1")
    with pytest.raises(errors.UnexpectedResponse):
        live.users_by_attribute("feedback", "1")
    outcomes = [(r.status, r.outcome) for r in rows()]
    assert outcomes == [(500, "server_error")] * 3 + [(200, "server_error")]


def test_control_endpoint_fault_script(sandbox_stack, live, app):
    _app, server = sandbox_stack
    answer = httpx.post(
        f"{server.url}/__sandbox__/faults",
        json={"script": ["status=429;retry_after=1"]},
        headers={"Authorization": f"Basic {API_KEY}"},
    )
    assert answer.status_code == 200
    assert live.users_by_attribute("feedback", "4")
    assert [r.status for r in rows()] == [429, 200] and rows()[0].retry_after == 1.0
