"""Auth, routing, ids, the users endpoint and conversation paging, over httpx."""

import httpx
import pytest

from technowiz.sandbox import SANDBOX_BOT_WITHOUT_WHATSAPP, SandboxTransport

from .conftest import BASE, BOT, CUSTOMER, FEEDBACK_1, KEY, USERS, conversations_path, status_code


@pytest.mark.parametrize(
    "auth", [None, "Basic wrong", f"Basic  {KEY}", f"basic {KEY}", f"Bearer {KEY}", KEY]
)
def test_missing_or_wrong_key_is_401(app, auth):
    headers = {"Authorization": auth} if auth else {}
    with httpx.Client(base_url="http://sandbox", transport=SandboxTransport(app)) as raw:
        response = raw.get(USERS, params=FEEDBACK_1, headers=headers)
    assert response.status_code == 401


def test_unknown_route_is_404_not_json(sandbox_client):
    response = sandbox_client.get("/bot-api/v1.0/nothing/here")
    assert response.status_code == 404
    assert not response.headers["content-type"].startswith("application/json")
    assert sandbox_client.get(USERS + "/").status_code == 404


def test_wrong_method_is_405(sandbox_client):
    assert sandbox_client.post(USERS, params=FEEDBACK_1).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        f"/bot-api/v1.0/customer/99999/bot/{BOT}/users",
        f"/bot-api/v1.0/customer/{CUSTOMER}/bot/deadbeef/users",
    ],
)
def test_unknown_customer_or_bot_is_1002(sandbox_client, path):
    response = sandbox_client.get(path, params=FEEDBACK_1)
    assert response.status_code == 400 and status_code(response) == 1002
    assert response.json()["status"]["desc"] == "INVALID_BOT_OR_CUSTOMER_ID"
    assert response.json()["errorDetails"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"attribute_name": "feedback"},
        {"attribute_value": "1"},
        {"attribute_name": "", "attribute_value": "1"},
        {"attribute_name": "feedback", "attribute_value": ""},
    ],
)
def test_users_params_required(sandbox_client, params):
    response = sandbox_client.get(USERS, params=params)
    assert response.status_code == 400 and status_code(response) == 1001


def test_users_match_exactly_newest_first(sandbox_client, data):
    response = sandbox_client.get(USERS, params=FEEDBACK_1)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == {"code": 1000, "desc": "SUCCESS"}
    users = body["responseObject"]["users"]
    assert body["responseObject"]["count"] == len(users) == data.rating_counts()["1"]
    assert all(u["attributes"]["feedback"] == "1" for u in users)
    stamps = [u["last_active_at"] for u in users]
    assert stamps == sorted(stamps, reverse=True)
    assert "919812345678" in {u["user_id"] for u in users}


def test_users_matching_is_case_sensitive_and_unknown_is_empty(sandbox_client):
    gold = sandbox_client.get(USERS, params={"attribute_name": "plan", "attribute_value": "gold"})
    assert gold.json()["responseObject"]["count"] > 0
    for params in (
        {"attribute_name": "plan", "attribute_value": "Gold"},
        {"attribute_name": "Plan", "attribute_value": "gold"},
        {"attribute_name": "plan", "attribute_value": "gold "},
        {"attribute_name": "no_such_attribute", "attribute_value": "x"},
    ):
        body = sandbox_client.get(USERS, params=params).json()
        assert body["responseObject"] == {"count": 0, "users": []}


def test_special_bot_is_known_for_reads(sandbox_client):
    path = f"/bot-api/v1.0/customer/{CUSTOMER}/bot/{SANDBOX_BOT_WITHOUT_WHATSAPP}/users"
    assert sandbox_client.get(path, params=FEEDBACK_1).status_code == 200


# --- conversations -----------------------------------------------------------


def page(sandbox_client, user_id, **params):
    return sandbox_client.get(conversations_path(user_id), params=params)


def test_conversation_default_page(sandbox_client, data):
    user_id = data.example_user_id
    body = page(sandbox_client, user_id).json()["responseObject"]
    messages = data.conversation(user_id)
    assert body["user_id"] == user_id
    assert body["page_number"] == 1 and body["page_size"] == 500
    assert body["total_records"] == len(messages) and body["total_pages"] == 1
    assert body["messages"] == list(messages)


def test_paging_a_long_conversation(sandbox_client, data):
    user_id = data.long_conversation_user_ids[0]
    everything = list(data.conversation(user_id))
    first = page(sandbox_client, user_id, page_size=50).json()["responseObject"]
    assert first["total_records"] == len(everything)
    assert first["total_pages"] == -(-len(everything) // 50)
    collected = []
    for number in range(1, first["total_pages"] + 1):
        body = page(sandbox_client, user_id, page_size=50, page_number=number).json()[
            "responseObject"
        ]
        collected += body["messages"]
    assert collected == everything
    past = page(sandbox_client, user_id, page_size=50, page_number=first["total_pages"] + 1)
    assert past.status_code == 200 and past.json()["responseObject"]["messages"] == []


def test_page_size_above_500_is_served_as_500(sandbox_client, data):
    user_id = data.long_conversation_user_ids[1]
    body = page(sandbox_client, user_id, page_size=501).json()["responseObject"]
    assert body["page_size"] == 500 and len(body["messages"]) == 500


def test_range_is_inclusive_start_exclusive_end(sandbox_client, data):
    messages = data.conversation(data.long_conversation_user_ids[2])
    start, end = messages[10]["timestamp"], messages[20]["timestamp"]
    body = page(
        sandbox_client, data.long_conversation_user_ids[2], start_date=start, end_date=end
    ).json()
    got = body["responseObject"]["messages"]
    assert got == list(messages[10:20])
    assert body["responseObject"]["total_records"] == 10
    only_end = page(sandbox_client, data.long_conversation_user_ids[2], end_date=end).json()
    assert only_end["responseObject"]["messages"] == list(messages[:20])
    only_start = page(
        sandbox_client, data.long_conversation_user_ids[2], start_date=messages[-3]["timestamp"]
    )
    assert only_start.json()["responseObject"]["messages"] == list(messages[-3:])


def test_empty_range_has_no_pages(sandbox_client, data):
    body = page(sandbox_client, data.example_user_id, start_date=1, end_date=2).json()[
        "responseObject"
    ]
    assert body["total_records"] == 0 and body["total_pages"] == 0 and body["messages"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "-1"},
        {"end_date": "-5"},
        {"start_date": "abc"},
        {"end_date": "1.5"},
        {"start_date": ""},
        {"start_date": "100", "end_date": "100"},
        {"start_date": "200", "end_date": "100"},
        {"start_date": "2026-11-01"},
    ],
)
def test_bad_dates_are_1003(sandbox_client, data, params):
    response = page(sandbox_client, data.example_user_id, **params)
    assert response.status_code == 400 and status_code(response) == 1003


@pytest.mark.parametrize("number", ["0", "-1", "abc", "1.0", ""])
def test_bad_page_number_is_1004(sandbox_client, data, number):
    response = page(sandbox_client, data.example_user_id, page_number=number)
    assert response.status_code == 400 and status_code(response) == 1004


@pytest.mark.parametrize("size", ["0", "-10", "ten", ""])
def test_bad_page_size_is_1001(sandbox_client, data, size):
    response = page(sandbox_client, data.example_user_id, page_size=size)
    assert response.status_code == 400 and status_code(response) == 1001


def test_unknown_user_is_1002(sandbox_client):
    response = page(sandbox_client, "919999999999")
    assert response.status_code == 400 and status_code(response) == 1002
    wrong_bot = sandbox_client.get(
        f"/bot-api/v1.0/customer/{CUSTOMER}/bot/x/channel-user/1/conversations"
    )
    assert status_code(wrong_bot) == 1002


def test_percent_encoded_user_id(sandbox_client, data):
    user_id = data.example_web_user_id
    response = sandbox_client.get(
        f"{BASE}/channel-user/{user_id.replace('-', '%2D')}/conversations"
    )
    assert response.json()["responseObject"]["user_id"] == user_id
