"""The sandbox over real HTTP: keep-alive, control endpoints, timeouts, the command."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from technowiz.sandbox import Faults, SandboxApp, SandboxServer

from .conftest import BOT, CUSTOMER, FEEDBACK_1, FLOW, KEY, USERS, conversations_path, status_code

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sandbox_server(app):
    with SandboxServer(app) as sandbox_server:
        yield sandbox_server


@pytest.fixture
def server_http(sandbox_server):
    with httpx.Client(
        base_url=sandbox_server.url, headers={"Authorization": f"Basic {KEY}"}, timeout=5.0
    ) as client:
        yield client


def test_url_and_basic_request(sandbox_server, server_http, data):
    assert sandbox_server.url.startswith("http://127.0.0.1:") and sandbox_server.port > 0
    response = server_http.get(USERS, params=FEEDBACK_1)
    assert response.status_code == 200
    assert response.json()["responseObject"]["count"] == data.rating_counts()["1"]
    assert int(response.headers["content-length"]) == len(response.content)


def test_errors_over_http(server_http):
    assert server_http.get("/nowhere").status_code == 404
    assert status_code(server_http.get(USERS)) == 1001
    assert (
        server_http.get(USERS, params=FEEDBACK_1, headers={"Authorization": "Basic no"}).status_code
        == 401
    )


def test_keep_alive_reuses_one_connection(server_http):
    ports = set()
    for _ in range(20):
        response = server_http.get(USERS, params=FEEDBACK_1, extensions={})
        assert response.status_code == 200
        stream = response.extensions.get("network_stream")
        if stream is not None:
            ports.add(stream.get_extra_info("client_addr"))
    assert len(ports) == 1


def test_multipart_broadcast_over_http(server_http, app):
    response = server_http.post(
        f"/whatsapp-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/external/broadcast",
        params={"broadcast_id": "over-http"},
        files={"target_audience": ("a.csv", b"user.phone_number\n+919812345678\n", "text/csv")},
        data={
            "template_payload": json.dumps({"template_name": "service_update", "language": "en"})
        },
    )
    assert response.json()["responseObject"]["accepted_count"] == 1
    assert app.stats.broadcasts[0]["broadcast_id"] == "over-http"


def test_stall_is_a_real_read_timeout(server_http):
    # A read timeout, not the dropped connection that ends the 5 s stall.
    with pytest.raises(httpx.ReadTimeout):
        server_http.get(
            USERS, params=FEEDBACK_1, headers={"X-Sandbox-Fault": "timeout=5"}, timeout=0.2
        )
    assert server_http.get(USERS, params=FEEDBACK_1).status_code == 200


def test_short_stall_drops_the_connection(server_http):
    with pytest.raises(httpx.RemoteProtocolError):
        server_http.get(USERS, params=FEEDBACK_1, headers={"X-Sandbox-Fault": "timeout=0.05"})


def test_control_script_stats_and_reset(server_http, app, data):
    control = server_http.post("/__sandbox__/faults", json={"script": ["status=503", "status=503"]})
    assert control.json() == {"faults": "", "script": ["status=503", "status=503"]}
    statuses = [server_http.get(USERS, params=FEEDBACK_1).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    server_http.post(f"{FLOW}/callback_request", json={"user.phone_no": "+919812345678"})
    stats = server_http.get("/__sandbox__/stats").json()
    assert stats["requests"] == 4 and stats["by_status"] == {"503": 2, "200": 2}
    assert [t["flow_key"] for t in stats["triggers"]] == ["callback_request"]
    assert server_http.post("/__sandbox__/reset").json() == {"reset": True}
    stats = server_http.get("/__sandbox__/stats").json()
    assert stats["requests"] == 0 and stats["triggers"] == []
    messages = server_http.get(conversations_path(data.example_user_id)).json()["responseObject"]
    assert messages["total_records"] == len(data.conversation(data.example_user_id))


def test_control_process_faults_and_auth(server_http, sandbox_server):
    assert server_http.post("/__sandbox__/faults", json={"faults": "status=502"}).status_code == 200
    assert server_http.get(USERS, params=FEEDBACK_1).status_code == 502
    assert server_http.post("/__sandbox__/faults", json={"faults": ""}).json()["faults"] == ""
    assert server_http.get(USERS, params=FEEDBACK_1).status_code == 200
    assert server_http.post("/__sandbox__/faults", json={"faults": "bogus"}).status_code == 400
    assert httpx.get(f"{sandbox_server.url}/__sandbox__/stats").status_code == 401


def test_concurrent_clients_with_latency(data):
    app = SandboxApp(
        api_key=KEY, customer_id=CUSTOMER, bot_key=BOT, data=data, faults=Faults("latency=20")
    )
    # The first eight requests are answered only once all eight are in: a server that
    # handled one at a time would break the barrier (after 10 s) and answer 500s.
    together = threading.Barrier(8, timeout=10)
    arrived = iter(range(10_000))  # next() is atomic: each request its own number
    handle = app.handle

    def handle_together(request):
        if next(arrived) < 8:
            together.wait()
        return handle(request)

    app.handle = handle_together
    with SandboxServer(app) as server:

        def worker(_: int) -> list[int]:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Basic {KEY}"}) as c:
                return [
                    c.get(conversations_path(data.example_user_id)).status_code for _ in range(25)
                ]

        with ThreadPoolExecutor(8) as pool:
            results = [s for batch in pool.map(worker, range(8)) for s in batch]
    assert results == [200] * 200
    assert not together.broken
    assert app.stats.requests == 200


def test_stop_wakes_a_stalled_handler(app):
    server = SandboxServer(app).start()
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(
                f"{server.url}{USERS}",
                params=FEEDBACK_1,
                headers={"Authorization": f"Basic {KEY}", "X-Sandbox-Fault": "timeout=30"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    while not app.stats.by_status.get("timeout"):  # the handler is in its stall
        assert time.monotonic() < deadline, "the request never reached the sandbox"
        time.sleep(0.01)
    server.stop()
    thread.join(20)  # the stall is 30 s: only stop() can end the request sooner
    assert not thread.is_alive() and errors


def test_command_serves_and_stops_on_sigterm():
    env = {**os.environ, "TECHNOWIZ_API_KEY": "cmd-key", "TECHNOWIZ_BASE_URL": ""}
    env.pop("TECHNOWIZ_SANDBOX_FAULTS", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "technowiz_sandbox", "--port", "0", "--users", "50"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "Technowiz sandbox listening on http://127.0.0.1:" in line, process.stderr.read()
        assert "(key from TECHNOWIZ_API_KEY)" in line and "cmd-key" not in line
        url = line.split("listening on ")[1].split(" ")[0]
        response = httpx.get(
            f"{url}{USERS}", params=FEEDBACK_1, headers={"Authorization": "Basic cmd-key"}
        )
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
