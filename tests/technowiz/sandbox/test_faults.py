"""Faults: the spec grammar, the script, per-request headers, process rates, stalls."""

import time

import httpx
import pytest

from technowiz.sandbox import Faults, FaultSpec, SandboxApp, SandboxTransport
from technowiz.sandbox.faults import ENV_VAR

from .conftest import BOT, CUSTOMER, FEEDBACK_1, KEY, USERS, status_code


def get(sandbox_client, fault=None, **kw):
    headers = {"X-Sandbox-Fault": fault} if fault else {}
    return sandbox_client.get(USERS, params=FEEDBACK_1, headers=headers, **kw)


def test_parse_grammar():
    spec = FaultSpec.parse("latency=20, error_rate=0.1;status=429;retry_after=2,timeout,seed=3")
    assert spec.latency_ms == (20.0, 20.0) and spec.error_rate == 0.1
    assert spec.status == 429 and spec.retry_after == "2" and spec.seed == 3
    assert FaultSpec.parse("latency=10-50").latency_ms == (10.0, 50.0)
    assert FaultSpec.parse("") == FaultSpec()
    assert FaultSpec.parse(str(spec)) == spec


@pytest.mark.parametrize(
    "bad", ["nonsense", "status=abc", "status=700", "error_rate=2", "latency=50-10", "html500=1"]
)
def test_parse_rejects_bad_specs(bad):
    with pytest.raises(ValueError, match="bad sandbox fault"):
        FaultSpec.parse(bad)


def test_bad_header_is_a_plain_400(sandbox_client):
    response = get(sandbox_client, "frobnicate")
    assert response.status_code == 400 and "frobnicate" in response.text


def test_script_of_two_503_then_normal(sandbox_client, app):
    app.faults.push("status=503", "status=503")
    assert [get(sandbox_client).status_code for _ in range(3)] == [503, 503, 200]
    assert app.faults.script == []
    assert app.stats.by_status == {"503": 2, "200": 1}


def test_script_entries_apply_in_order_and_ok_means_normal(sandbox_client, app):
    app.faults.push("html500", "ok", "status=502")
    statuses = [get(sandbox_client).status_code for _ in range(4)]
    assert statuses == [500, 200, 502, 200]


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("status=503", 503, None),
        ("status=500", 500, "text/plain"),
        ("status=502", 502, "text/html"),
        ("status=504", 504, "text/html"),
        ("html500", 500, "text/html"),
        ("revoked", 401, None),
        ("forbidden", 403, None),
    ],
)
def test_header_faults(sandbox_client, fault, status, content_type):
    response = get(sandbox_client, fault)
    assert response.status_code == status
    if content_type:
        assert response.headers["content-type"].startswith(content_type)


def test_429_carries_retry_after(sandbox_client):
    response = get(sandbox_client, "status=429;retry_after=1")
    assert response.status_code == 429 and response.headers["retry-after"] == "1"


def test_broadcast_failure_is_500_with_code_2000(sandbox_client):
    response = get(sandbox_client, "broadcast_failure")
    assert response.status_code == 500 and status_code(response) == 2000
    assert response.json()["status"]["desc"] == "FAILURE"


def test_malformed_is_200_with_truncated_json(sandbox_client):
    response = get(sandbox_client, "malformed")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


def test_malformed_broadcast_was_still_sent(sandbox_client, app):
    response = sandbox_client.post(
        f"/bot-api/v2.0/customer/{CUSTOMER}/bot/{BOT}/flow/callback_request",
        json={"user.phone_no": "+919812345678"},
        headers={"X-Sandbox-Fault": "malformed"},
    )
    assert response.status_code == 200 and len(app.stats.triggers) == 1


def test_status_fault_sends_nothing(sandbox_client, app):
    sandbox_client.post(
        f"/bot-api/v2.0/customer/{CUSTOMER}/bot/{BOT}/flow/callback_request",
        json={"user.phone_no": "+919812345678"},
        headers={"X-Sandbox-Fault": "status=503"},
    )
    assert app.stats.triggers == [] and app.stats.requests == 1


def test_fault_answers_before_auth(app):
    app.faults.push("status=503")
    with httpx.Client(base_url="http://sandbox", transport=SandboxTransport(app)) as raw:
        assert raw.get(USERS, params=FEEDBACK_1).status_code == 503
        assert raw.get(USERS, params=FEEDBACK_1).status_code == 401


def test_stall_raises_read_timeout_in_process(sandbox_client, app, monkeypatch):
    from technowiz.sandbox import transport

    slept = []
    monkeypatch.setattr(transport.time, "sleep", slept.append)
    with pytest.raises(httpx.ReadTimeout):
        get(sandbox_client, "timeout", timeout=httpx.Timeout(5.0, read=0.1))
    assert slept == [0.1]  # the read timeout, not the stall
    assert app.stats.by_status == {"timeout": 1}


def test_short_stall_drops_the_connection(sandbox_client):
    with pytest.raises(httpx.RemoteProtocolError):
        get(sandbox_client, "timeout=0.05", timeout=httpx.Timeout(5.0, read=1.0))


def test_latency_longer_than_read_timeout_times_out(sandbox_client):
    with pytest.raises(httpx.ReadTimeout):
        get(sandbox_client, "latency=500", timeout=httpx.Timeout(5.0, read=0.05))


def test_latency_delays(sandbox_client):
    started = time.perf_counter()
    assert get(sandbox_client, "latency=60").status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_process_faults_are_seeded_and_roughly_at_rate(data):
    def run() -> list[int]:
        app = SandboxApp(
            api_key=KEY,
            customer_id=CUSTOMER,
            bot_key=BOT,
            data=data,
            faults=Faults("error_rate=0.3,throttle_rate=0.1,seed=5"),
        )
        with httpx.Client(
            base_url="http://sandbox",
            transport=SandboxTransport(app),
            headers={"Authorization": f"Basic {KEY}"},
        ) as client:
            return [get(client).status_code for _ in range(300)]

    first, second = run(), run()
    assert first == second
    failures = sum(s in (500, 502, 503) for s in first)
    throttled = sum(s == 429 for s in first)
    assert 60 < failures < 120 and 15 < throttled < 50
    assert first.count(200) == 300 - failures - throttled


def test_process_random_latency_range():
    faults = Faults("latency=10-30")
    delays = [faults.decide().delay_seconds for _ in range(200)]
    assert all(0.01 <= d <= 0.03 for d in delays) and len(set(delays)) > 100


def test_from_env_and_reset():
    faults = Faults.from_env({ENV_VAR: "latency=20,timeout_rate=0.5"})
    assert faults.spec.latency_ms == (20.0, 20.0) and faults.spec.timeout_rate == 0.5
    faults.configure("status=503")
    faults.push("ok")
    faults.reset()
    assert faults.spec.status is None and faults.script == []
    assert Faults.from_env({}).spec == FaultSpec()


def test_request_stats_count_faulted_requests_per_route(sandbox_client, app):
    get(sandbox_client)
    get(sandbox_client, "status=503")
    sandbox_client.get("/nowhere")
    stats = app.stats
    assert stats.requests == 3
    assert stats.by_route == {
        "/bot-api/v1.0/customer/{customer_id}/bot/{bot_key}/users": 2,
        "(unknown)": 1,
    }
