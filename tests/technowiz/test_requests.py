"""What the client sends: paths, auth, query, multipart CSV, flow body; local refusals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from technowiz.client import ClientConfig, TechnowizClient, get_client
from technowiz.errors import InvalidRequest
from technowiz.models import OutboundCall

from .conftest import API_KEY, BOT, CUSTOMER, ok, rows

pytestmark = pytest.mark.django_db

BASE = f"/customer/{CUSTOMER}/bot/{BOT}"


def test_users_request_and_auth_header(platform_client, platform):
    platform.script.append(ok({"count": 0, "users": []}))
    platform_client.users_by_attribute("feedback", "1")
    request = platform.requests[0]
    assert request.method == "GET"
    assert request.url.path == f"/bot-api/v1.0{BASE}/users"
    assert dict(request.url.params) == {"attribute_name": "feedback", "attribute_value": "1"}
    assert request.headers["Authorization"] == f"Basic {API_KEY}"
    [row] = rows()
    assert row.action == "users.search" and row.query == {
        "attribute_name": "feedback",
        "attribute_value": "1",
    }
    assert row.path_template == "/bot-api/v1.0/customer/{customer_id}/bot/{bot_key}/users"


def test_conversation_dates_become_utc_epoch_ms(platform_client, platform):
    platform.script.append(ok({"messages": []}))
    ist = timezone(timedelta(hours=5, minutes=30))
    platform_client.conversation(
        "919812345678",
        start=datetime(2025, 11, 13, 5, 30, tzinfo=ist),
        end=datetime(2025, 11, 14, tzinfo=UTC),
        page=2,
        page_size=50,
    )
    params = dict(platform.requests[0].url.params)
    assert params == {
        "start_date": "1762992000000",
        "end_date": "1763078400000",
        "page_number": "2",
        "page_size": "50",
    }
    [row] = rows()
    assert row.path == f"/bot-api/v1.0{BASE}/channel-user/919812345678/conversations"
    assert row.path_template.endswith("/channel-user/{user_id}/conversations")


def test_naive_datetime_refused_before_sending(platform_client, platform):
    with pytest.raises(InvalidRequest):
        platform_client.conversation("u1", start=datetime(2025, 1, 1))
    assert platform.requests == [] and OutboundCall.objects.count() == 0


def test_user_id_is_escaped_in_path(platform_client, platform):
    platform.script.append(ok({"messages": []}))
    platform_client.conversation("web/../4f1c")
    assert (
        "/channel-user/web%2F..%2F4f1c/conversations" in platform.requests[0].url.raw_path.decode()
    )


def test_broadcast_builds_csv_and_template_payload(platform_client, platform):
    platform.script.append(
        ok(
            {
                "broadcast_id": "nov-apology-1",
                "accepted_count": 2,
                "rejected": [{"row": 3, "phone_number": "98123", "reason": "INVALID_PHONE_NUMBER"}],
            }
        )
    )
    receipt = platform_client.broadcast(
        "nov-apology-1",
        template_name="feedback_followup",
        language="en",
        rows=[
            ("+919812345678", ["Asha", "A-1"]),
            ("+919812345679", ["Ravi, Jr.", "A-2"]),
            ("98123", ["x", "y"]),
        ],
    )
    assert receipt.accepted_count == 2 and receipt.rejected[0].reason == "INVALID_PHONE_NUMBER"
    request = platform.requests[0]
    assert request.method == "POST" and dict(request.url.params) == {
        "broadcast_id": "nov-apology-1"
    }
    assert request.url.path == f"/whatsapp-api/v1.0{BASE}/external/broadcast"
    body = request.content
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="target_audience"; filename="audience.csv"' in body and b"text/csv" in body
    start = body.index(b"user.phone_number")
    table = list(csv.reader(io.StringIO(body[start:].split(b"\r\n--")[0].decode())))
    assert table[0] == ["user.phone_number", "user.attribute_0", "user.attribute_1"]
    assert table[2] == ["+919812345679", "Ravi, Jr.", "A-2"]
    payload_part = (
        body.split(b'name="template_payload"')[1].split(b"\r\n\r\n", 1)[1].split(b"\r\n--")[0]
    )
    assert json.loads(payload_part) == {
        "template_name": "feedback_followup",
        "language": "en",
        "body_parameters": ["user.attribute_0", "user.attribute_1"],
    }
    [row] = rows()
    assert (
        row.body_summary["rows"] == 3 and row.body_summary["template_name"] == "feedback_followup"
    )
    assert "+919812345678" not in json.dumps(row.body_summary)


def test_broadcast_over_10000_rows_refused_before_sending(platform_client, platform):
    with pytest.raises(InvalidRequest) as info:
        platform_client.broadcast(
            "big", template_name="t", language="en", rows=[("+9100000", [])] * 10_001
        )
    assert isinstance(info.value, ValueError)
    assert "10,000" in info.value.message
    assert platform.requests == [] and OutboundCall.objects.count() == 0


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, "semi;colon"])
def test_broadcast_id_validated(platform_client, platform, bad):
    with pytest.raises(InvalidRequest):
        platform_client.broadcast(bad, template_name="t", language="en", rows=[("+91", [])])
    assert platform.requests == []


def test_flow_trigger_body_and_masked_phone(platform_client, platform):
    platform.script.append(ok(True))
    assert (
        platform_client.trigger_flow(
            "callback_flow", phone="+919812345678", attributes={"order_id": "A-1009"}
        )
        is None
    )
    request = platform.requests[0]
    assert request.url.path == f"/bot-api/v2.0{BASE}/flow/callback_flow"
    assert platform.json_body() == {
        "user.channel": "whatsapp",
        "user.phone_no": "+919812345678",
        "order_id": "A-1009",
    }
    [row] = rows()
    assert row.body_summary == {
        "flow_key": "callback_flow",
        "channel": "whatsapp",
        "phone": "********5678",
        "attributes": ["order_id"],
    }
    assert row.action == "flow.trigger" and row.method == "POST"


def test_flow_attributes_may_not_override_user_fields(platform_client, platform):
    with pytest.raises(InvalidRequest):
        platform_client.trigger_flow("f", phone="+91", attributes={"user.phone_no": "+1"})
    assert platform.requests == []


def test_config_repr_hides_key(settings):
    settings.TECHNOWIZ_API_KEY = API_KEY
    assert API_KEY not in repr(ClientConfig.from_settings())


def test_factory_builds_once(settings, monkeypatch):
    settings.TECHNOWIZ_BASE_URL = "https://api.technowiz.test"
    settings.TECHNOWIZ_API_KEY = API_KEY
    first = get_client()
    assert get_client() is first and isinstance(first, TechnowizClient)
    assert first.config.base_url == "https://api.technowiz.test"
