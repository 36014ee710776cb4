"""Each documented code and HTTP failure: the typed error, its words, and its audit row."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth import get_user_model

from technowiz import errors
from technowiz.context import Actor, acting_as

from .conftest import API_KEY, assert_no_key, fail, rows

pytestmark = pytest.mark.django_db

CODES = [
    (1001, "INVALID_INPUT", errors.InvalidInput, "missing or malformed"),
    (
        1002,
        "INVALID_BOT_OR_CUSTOMER_ID",
        errors.UnknownBotOrCustomer,
        "This user is unknown to the platform.",
    ),
    (1003, "INVALID_INPUT_DATE_VALUE", errors.InvalidDateRange, "end must come after the start"),
    (1004, "INVALID_PAGE_NUMBER", errors.InvalidPageNumber, "pages start at 1"),
    (2003, "BOT_NOT_FOUND", errors.BotNotFound, "does not know the dashboard's bot"),
    (2004, "API_KEY_NOT_FOUND", errors.WhatsAppNotConfigured, "WhatsApp is not set up"),
    (2005, "INVALID_FILE_FORMAT", errors.InvalidAudienceFile, "audience file's format"),
    (2006, "FILE_UPLOAD_FAILED", errors.AudienceFileTooLarge, "too large"),
    (4242, "SOMETHING_NEW", errors.GenericClientError, "SOMETHING_NEW - it broke"),
]


@pytest.fixture
def person():
    return get_user_model().objects.create_user("maya", password="x")


@pytest.mark.parametrize("code,desc,cls,words", CODES)
def test_documented_code(platform_client, platform, person, code, desc, cls, words):
    platform.script.append(fail(code, desc, "it broke"))
    actor = Actor(user_id=person.pk, username="maya", origin="web:req-1")
    with acting_as(actor), pytest.raises(cls) as info:
        platform_client.conversation("919812345678")
    error = info.value
    assert words in error.message and API_KEY not in error.message
    assert error.code == code and error.status == 400
    [row] = rows()
    assert error.audit_id == row.pk and error.call_id == str(row.call_id)
    assert row.outcome == "client_error" and row.status == 400 and row.platform_code == code
    assert row.user_id == person.pk and row.username == "maya" and row.origin == "web:req-1"
    assert row.duration_ms > 0 and row.finished_at is not None
    assert desc in row.detail
    assert_no_key(row)


def test_broadcast_failure_2000(platform_client, platform):
    platform.script.append(fail(2000, "FAILURE", "boom", status=500))
    with pytest.raises(errors.BroadcastFailure) as info:
        platform_client.broadcast(
            "b1", template_name="t", language="en", rows=[("+919812345678", [])]
        )
    assert "may not have been sent" in info.value.message
    [row] = rows()
    assert row.outcome == "server_error" and row.status == 500 and row.platform_code == 2000
    assert row.action == "broadcast.send"


def test_1002_on_users_search_speaks_of_configuration(platform_client, platform):
    platform.script.append(fail(1002, "INVALID_BOT_OR_CUSTOMER_ID"))
    with pytest.raises(errors.UnknownBotOrCustomer) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert "customer id or bot key" in info.value.message


HTTP = [
    (401, errors.Unauthorized, "rejected the dashboard's API key", "client_error", "users"),
    (403, errors.Forbidden, "does not allow this", "client_error", "users"),
    (404, errors.NotFound, "does not know this flow key", "client_error", "flow"),
    (500, errors.ServerError, "internal problem", "server_error", "flow"),
    (503, errors.ServerError, "internal problem", "server_error", "flow"),
]


@pytest.mark.parametrize("status,cls,words,outcome,endpoint", HTTP)
def test_http_failure(platform_client, platform, status, cls, words, outcome, endpoint):
    platform.script.append(httpx.Response(status, text=f"nope {API_KEY}"))
    with pytest.raises(cls) as info:
        if endpoint == "users":
            platform_client.users_by_attribute("feedback", "1")
        else:
            platform_client.trigger_flow("no_such_flow", phone="+919812345678")
    assert words in info.value.message and API_KEY not in str(info.value)
    [row] = rows()
    assert row.status == status and row.outcome == outcome and row.duration_ms > 0
    assert row.username == "system" and row.origin == "system" and row.user_id is None
    assert_no_key(row)


def test_platform_echoing_the_key_is_redacted(platform_client, platform):
    platform.script.append(fail(4242, "ODD", f"bad key {API_KEY}"))
    with pytest.raises(errors.GenericClientError) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert API_KEY not in info.value.message and API_KEY not in (info.value.detail or "")
    assert_no_key(rows()[0])


def test_429_without_retry_after_on_post(platform_client, platform):
    platform.script.append(httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(errors.RateLimited) as info:
        platform_client.trigger_flow("f", phone="+919812345678")
    assert info.value.retry_after == 7.0 and "7 seconds" in info.value.message
    [row] = rows()
    assert row.status == 429 and row.retry_after == 7.0 and row.outcome == "client_error"


def test_connect_error_is_network_error(platform_client, platform):
    platform.default = lambda request: (_ for _ in ()).throw(
        httpx.ConnectError("refused", request=request)
    )
    with pytest.raises(errors.NetworkError) as info:
        platform_client.trigger_flow("f", phone="+919812345678")
    assert "could not connect" in info.value.message
    assert [r.outcome for r in rows()] == ["network_error"]


def test_no_httpx_exception_escapes(platform_client, platform):
    platform.default = lambda request: (_ for _ in ()).throw(
        httpx.RemoteProtocolError("eof", request=request)
    )
    with pytest.raises(errors.TechnowizError) as info:
        platform_client.trigger_flow("f", phone="+919812345678")
    assert not isinstance(info.value, httpx.HTTPError)
    assert info.value.outcome == "unknown"
    assert rows()[0].outcome == "unknown"
