"""Broadcasts (multipart, CSV shape, limits, rejected rows) and flow triggers, with state."""

import json

import pytest

from technowiz.sandbox import SANDBOX_BOT_WITHOUT_BROADCAST, SANDBOX_BOT_WITHOUT_WHATSAPP

from .conftest import BOT, CUSTOMER, FLOW, NOW, conversations_path, status_code

FOLLOWUP = {
    "template_name": "feedback_followup",
    "language": "en",
    "body_parameters": ["user.attribute_0", "user.attribute_1"],
}
HEADER = "user.phone_number,user.attribute_0,user.attribute_1\n"


def broadcast(
    sandbox_client, csv_text, payload=FOLLOWUP, broadcast_id="nov-apology-1", bot=BOT, **kw
):
    path = f"/whatsapp-api/v1.0/customer/{CUSTOMER}/bot/{bot}/external/broadcast"
    csv_bytes = csv_text.encode() if isinstance(csv_text, str) else csv_text
    payload_text = payload if isinstance(payload, str) else json.dumps(payload)
    return sandbox_client.post(
        path,
        params={"broadcast_id": broadcast_id} if broadcast_id is not None else {},
        files={"target_audience": ("audience.csv", csv_bytes, "text/csv")},
        data={"template_payload": payload_text},
        **kw,
    )


def last_message(sandbox_client, user_id):
    return sandbox_client.get(conversations_path(user_id)).json()["responseObject"]["messages"][-1]


def test_broadcast_accepts_and_rejects_rows(sandbox_client, app):
    csv_text = HEADER + "+919812345678,Asha,1\n+441234567890,Bob,2\n98123,Kim,1\n+12,X,1\n"
    response = broadcast(sandbox_client, csv_text)
    assert response.status_code == 200
    body = response.json()["responseObject"]
    assert body["broadcast_id"] == "nov-apology-1" and body["accepted_count"] == 2
    assert body["rejected"] == [
        {"row": 3, "phone_number": "98123", "reason": "INVALID_PHONE_NUMBER"},
        {"row": 4, "phone_number": "+12", "reason": "INVALID_PHONE_NUMBER"},
    ]
    recorded = app.stats.broadcasts
    assert len(recorded) == 1 and recorded[0]["accepted_count"] == 2
    assert recorded[0]["phone_numbers"] == ["+919812345678", "+441234567890"]


def test_broadcast_appends_a_template_message(sandbox_client, data):
    before = sandbox_client.get(conversations_path(data.example_user_id)).json()["responseObject"]
    broadcast(sandbox_client, HEADER + "+919812345678,Asha,1\n")
    after = sandbox_client.get(conversations_path(data.example_user_id)).json()["responseObject"]
    assert after["total_records"] == before["total_records"] + 1
    message = after["messages"][-1]
    assert message["sender"] == "BOT" and message["type"] == "TEMPLATE"
    assert message["payload"]["template_name"] == "feedback_followup"
    assert message["payload"]["broadcast_id"] == "nov-apology-1"
    assert message["payload"]["parameters"] == ["Asha", "1"]
    assert "Asha" in message["text"]
    assert message["timestamp"] == int(NOW * 1000)
    assert message["message_id"] == f"m-{before['total_records'] + 1:06d}"


def test_same_broadcast_twice_is_two_broadcasts(sandbox_client, app, data):
    for _ in range(2):
        assert broadcast(sandbox_client, HEADER + "+919812345678,Asha,1\n").status_code == 200
    assert len(app.stats.broadcasts) == 2
    messages = sandbox_client.get(conversations_path(data.example_user_id)).json()["responseObject"]
    stamps = [m["timestamp"] for m in messages["messages"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_template_without_parameters(sandbox_client):
    payload = {"template_name": "service_update", "language": "en", "body_parameters": []}
    response = broadcast(sandbox_client, "user.phone_number\n+919812345678\n", payload, "svc_1")
    assert response.json()["responseObject"]["accepted_count"] == 1


@pytest.mark.parametrize("broadcast_id", [None, "", "has space", "x" * 65, "émoji", "a/b"])
def test_bad_broadcast_id_is_1001(sandbox_client, broadcast_id):
    response = broadcast(sandbox_client, HEADER + "+919812345678,A,1\n", broadcast_id=broadcast_id)
    assert response.status_code == 400 and status_code(response) == 1001


@pytest.mark.parametrize(
    "csv_text",
    [
        "",
        "phone,user.attribute_0,user.attribute_1\n+919812345678,A,1\n",
        "user.phone_number,user.attribute_1,user.attribute_0\n+919812345678,A,1\n",
        "user.phone_number,user.attribute_0\n+919812345678,A\n",
        HEADER + "+919812345678,A\n",
        b"user.phone_number,user.attribute_0,user.attribute_1\n+91\xff\xfe,A,1\n",
    ],
)
def test_bad_csv_is_2005(sandbox_client, csv_text):
    response = broadcast(sandbox_client, csv_text)
    assert response.status_code == 400 and status_code(response) == 2005
    assert response.json()["status"]["desc"] == "INVALID_FILE_FORMAT"


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        {**FOLLOWUP, "template_name": "unknown_template"},
        {**FOLLOWUP, "language": "fr"},
        {**FOLLOWUP, "body_parameters": ["user.attribute_0"]},
        {**FOLLOWUP, "body_parameters": "user.attribute_0"},
    ],
)
def test_bad_template_payload_is_1001(sandbox_client, payload):
    response = broadcast(sandbox_client, HEADER + "+919812345678,A,1\n", payload)
    assert response.status_code == 400 and status_code(response) == 1001


def test_body_parameter_naming_a_missing_column_is_2005(sandbox_client):
    payload = {**FOLLOWUP, "body_parameters": ["user.attribute_0", "user.attribute_7"]}
    response = broadcast(sandbox_client, HEADER + "+919812345678,A,1\n", payload)
    assert status_code(response) == 2005


def test_not_multipart_or_missing_part_is_1001(sandbox_client):
    path = f"/whatsapp-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/external/broadcast"
    as_json = sandbox_client.post(path, params={"broadcast_id": "b1"}, json={"x": 1})
    assert status_code(as_json) == 1001
    only_payload = sandbox_client.post(
        path,
        params={"broadcast_id": "b1"},
        files={"template_payload": (None, json.dumps(FOLLOWUP))},
    )
    assert status_code(only_payload) == 1001


def test_10000_rows_pass_and_10001_fail_with_2006(sandbox_client, app):
    rows = "".join(f"+9198{i:08d},N,1\n" for i in range(10_001))
    too_many = broadcast(sandbox_client, HEADER + rows)
    assert too_many.status_code == 400 and status_code(too_many) == 2006
    assert too_many.json()["status"]["desc"] == "FILE_UPLOAD_FAILED"
    rows_10k = "".join(f"+9198{i:08d},N,1\n" for i in range(10_000))
    ok = broadcast(sandbox_client, HEADER + rows_10k)
    assert ok.json()["responseObject"]["accepted_count"] == 10_000
    assert len(app.stats.broadcasts) == 1


def test_file_over_5_mb_is_2006(sandbox_client):
    row = "+919812345678," + "x" * 1000 + ",1\n"
    response = broadcast(sandbox_client, HEADER + row * 5300)
    assert status_code(response) == 2006


def test_bot_errors(sandbox_client, app):
    csv_text = HEADER + "+919812345678,A,1\n"
    assert status_code(broadcast(sandbox_client, csv_text, bot="unknownbot")) == 2003
    assert (
        status_code(broadcast(sandbox_client, csv_text, bot=SANDBOX_BOT_WITHOUT_WHATSAPP)) == 2004
    )
    assert broadcast(sandbox_client, csv_text, bot=SANDBOX_BOT_WITHOUT_BROADCAST).status_code == 403
    wrong_customer = sandbox_client.post(
        f"/whatsapp-api/v1.0/customer/1/bot/{BOT}/external/broadcast",
        params={"broadcast_id": "b"},
    )
    assert status_code(wrong_customer) == 1002
    assert app.stats.broadcasts == []


# --- flows ------------------------------------------------------------------


def trigger(sandbox_client, flow_key, body):
    return sandbox_client.post(f"{FLOW}/{flow_key}", json=body)


def test_trigger_appends_the_flows_first_message(sandbox_client, app, data):
    body = {"user.channel": "whatsapp", "user.phone_no": "+919812345678", "order_id": "A-1009"}
    response = trigger(sandbox_client, "create_ticket", body)
    assert response.status_code == 200
    assert response.json() == {"status": {"code": 1000, "desc": "SUCCESS"}, "responseObject": True}
    message = last_message(sandbox_client, data.example_user_id)
    assert message["sender"] == "BOT" and message["type"] == "TEMPLATE"
    assert message["payload"]["flow_key"] == "create_ticket"
    assert app.stats.triggers[0]["body"] == body
    trigger(sandbox_client, "callback_request", body)
    assert last_message(sandbox_client, data.example_user_id)["type"] == "TEXT"
    assert len(app.stats.triggers) == 2


def test_trigger_for_an_unknown_phone_is_accepted(sandbox_client, app):
    response = trigger(sandbox_client, "callback_request", {"user.phone_no": "+15550001111"})
    assert response.json()["responseObject"] is True
    assert len(app.stats.triggers) == 1


def test_unknown_flow_is_404(sandbox_client, app):
    response = trigger(sandbox_client, "no_such_flow", {"user.phone_no": "+919812345678"})
    assert response.status_code == 404 and app.stats.triggers == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user.phone_no": "919812345678"},
        {"user.phone_no": "+91"},
        {"phone": "+9198"},
        {"user.phone_no": 919812345678},
        [1],
        "text",
    ],
)
def test_bad_phone_is_1001(sandbox_client, app, body):
    response = trigger(sandbox_client, "callback_request", body)
    assert response.status_code == 400 and status_code(response) == 1001
    assert app.stats.triggers == []


def test_trigger_with_unknown_bot_is_1002(sandbox_client):
    response = sandbox_client.post(
        f"/bot-api/v2.0/customer/{CUSTOMER}/bot/nope/flow/callback_request",
        json={"user.phone_no": "+919812345678"},
    )
    assert status_code(response) == 1002


def test_reset_clears_state(sandbox_client, app, data):
    before = sandbox_client.get(conversations_path(data.example_user_id)).json()["responseObject"]
    trigger(sandbox_client, "callback_request", {"user.phone_no": "+919812345678"})
    broadcast(sandbox_client, HEADER + "+919812345678,Asha,1\n")
    app.reset()
    after = sandbox_client.get(conversations_path(data.example_user_id)).json()["responseObject"]
    assert after == before
    stats = app.stats
    assert stats.broadcasts == [] and stats.triggers == [] and stats.requests == 1
