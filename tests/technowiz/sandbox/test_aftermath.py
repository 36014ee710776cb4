"""The aftermath script: who never gets a send, who replies, who rates again, and when."""

import pytest

from technowiz.sandbox import Aftermath, SandboxApp, SandboxServer

from .conftest import BOT, CUSTOMER, FLOW, KEY, NOW, conversations_path, sandbox_http
from .test_broadcast_and_flows import HEADER, broadcast


def _whatsapp_users(data, count):
    return [u for u in data.users if u["phone_no"]][:count]


def _app(data, spec, clock):
    return SandboxApp(
        api_key=KEY,
        customer_id=CUSTOMER,
        bot_key=BOT,
        data=data,
        faults=None,
        clock=clock,
        aftermath=Aftermath.parse(spec),
    )


def _messages(http, user_id):
    """What was appended to the conversation since the sandbox's clock started (``NOW``)."""
    since = {"start_date": int(NOW * 1000) - 1000}
    return http.get(conversations_path(user_id), params=since).json()["responseObject"]["messages"]


def test_the_spec_is_parsed_and_bad_items_are_named():
    spec = Aftermath.parse("lost=0.1; reply=0.3,rerate=0.2,rating=4,after=60,seed=3")
    assert (spec.lost, spec.reply, spec.rerate, spec.rating, spec.after, spec.seed) == (
        0.1,
        0.3,
        0.2,
        4,
        60.0,
        3,
    )
    assert str(spec) == "lost=0.1,reply=0.3,rerate=0.2,rating=4,after=60,seed=3"
    with pytest.raises(ValueError, match="unknown aftermath item 'gone=1'"):
        Aftermath.parse("gone=1")
    with pytest.raises(ValueError, match="share between 0 and 1"):
        Aftermath.parse("lost=2")
    with pytest.raises(ValueError, match="rating must be 1-5"):
        Aftermath.parse("rating=9")


def test_a_fate_depends_on_the_seed_the_send_and_the_person_only():
    spec = Aftermath.parse("lost=0.3,reply=0.5,rerate=0.5,seed=1")
    fates = [spec.fate(f"u{n}", "b-1") for n in range(400)]
    assert fates == [spec.fate(f"u{n}", "b-1") for n in range(400)]
    assert fates != [spec.fate(f"u{n}", "b-2") for n in range(400)]
    lost = sum(f.lost for f in fates)
    assert 90 <= lost <= 150  # about 30%
    assert not any(f.replied or f.rerated for f in fates if f.lost)


def test_a_scripted_broadcast_loses_some_and_others_reply_and_rate_again_later(data):
    now = [NOW]
    app = _app(data, "lost=0.2,reply=0.5,rerate=0.4,rating=4,after=60,seed=2", lambda: now[0])
    people = _whatsapp_users(data, 60)
    csv_text = HEADER + "".join(f"{u['phone_no']},{u['name'] or 'x'},1\n" for u in people)
    with sandbox_http(app) as http:
        assert broadcast(http, csv_text).status_code == 200
        fates = {f["user_id"]: f for f in app.stats.aftermath}
        assert set(fates) == {u["user_id"] for u in people}
        for user in people:
            appended = [m["type"] for m in _messages(http, user["user_id"])]
            # Replies and ratings come 60 s later; a lost template never.
            assert appended == ([] if fates[user["user_id"]]["lost"] else ["TEMPLATE"])
        was = {u["user_id"]: u["attributes"].get("feedback") for u in people}
        rerated = [uid for uid, f in fates.items() if f["rerated"] and was[uid] != "4"]
        assert rerated and all(not fates[uid]["lost"] for uid in rerated)
        fours = http.get(
            f"/bot-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/users",
            params={"attribute_name": "feedback", "attribute_value": "4"},
        ).json()["responseObject"]["users"]
        assert not set(rerated) & {u["user_id"] for u in fours}

        now[0] = NOW + 61
        for uid in rerated:
            messages = _messages(http, uid)
            assert messages[-1]["type"] == "FEEDBACK" and messages[-1]["payload"]["rating"] == 4
            assert messages[-1]["sender"] == "USER"
        for uid, fate in fates.items():
            expected = [] if fate["lost"] else ["BOT TEMPLATE"]
            expected += ["USER TEXT"] * fate["replied"] + ["USER FEEDBACK"] * bool(fate["rerated"])
            assert [f"{m['sender']} {m['type']}" for m in _messages(http, uid)] == expected
        fours = http.get(
            f"/bot-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/users",
            params={"attribute_name": "feedback", "attribute_value": "4"},
        ).json()["responseObject"]["users"]
        assert set(rerated) <= {u["user_id"] for u in fours}
        ones = http.get(
            f"/bot-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/users",
            params={"attribute_name": "feedback", "attribute_value": "1"},
        ).json()["responseObject"]["users"]
        assert [uid for uid in rerated if was[uid] == "1"]
        assert not set(rerated) & {u["user_id"] for u in ones}


def test_a_lost_flow_message_never_shows(data):
    app = _app(data, "lost=1", lambda: NOW)
    user = _whatsapp_users(data, 1)[0]
    with sandbox_http(app) as http:
        answer = http.post(f"{FLOW}/callback_request", json={"user.phone_no": user["phone_no"]})
        assert answer.json()["responseObject"] is True
        assert _messages(http, user["user_id"]) == []
    assert app.stats.aftermath == [
        {
            "user_id": user["user_id"],
            "send": "callback_request",
            "lost": True,
            "replied": False,
            "rerated": None,
        }
    ]


def test_the_script_is_set_over_http_and_reset_with_the_rest(data):
    import httpx

    app = _app(data, "", lambda: NOW)
    with SandboxServer(app) as server:
        auth = {"Authorization": f"Basic {KEY}"}
        answer = httpx.post(
            server.url + "/__sandbox__/aftermath", json={"aftermath": "lost=0.5"}, headers=auth
        )
        assert answer.json() == {"aftermath": "lost=0.5"}
        assert app.aftermath.lost == 0.5
        bad = httpx.post(
            server.url + "/__sandbox__/aftermath", json={"aftermath": "lost=x"}, headers=auth
        )
        assert bad.status_code == 400 and "needs a number" in bad.json()["error"]
        httpx.post(server.url + "/__sandbox__/reset", headers=auth)
        assert str(app.aftermath) == ""
