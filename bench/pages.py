"""What the dashboard's pages cost on top of the platform calls they make.

Run: ``.venv/bin/python bench/pages.py`` (a throwaway SQLite file; set
``DATABASE_URL=postgres://...`` to run on a throwaway PostgreSQL database).

Part 1. The sandbox HTTP server (``manage.py technowiz_sandbox --latency-ms 100``, in its
own process, as the platform is) answers on 127.0.0.1. Through the whole Django stack
(middleware, session, permissions, the audited client, templates), each page against
one bare request sent with a plain ``httpx.Client``, interleaved (A B B A) in one run;
the ratio of medians is printed:

- the users page, 1 star, refetched (one call) and a conversation page of 500 messages
  opened from a cached list (one call): goal under 1.25;
- the users page, 1-2 stars, refetched, and the same conversation page opened from an
  expired list (two calls each, sent together): goal under 1.35 of a single bare call.

Part 2. 50,000 matched users already fetched (the in-process sandbox seeded with
125,000 users, 40% of whom gave 5 stars): the server time of the users page at its
first, middle and last page, searched and sorted. Goal: under 30 ms each.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
LATENCY_MS = 100
BIG_SET_USERS = 125_000


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _signed_in_client():
    from django.test import Client

    from dashboard.services.team import member_create

    user = member_create(username="bench-agent", password="bench-pass-123456", role="agent")
    client = Client()
    client.force_login(user)
    return client


def _check(response) -> None:
    assert response.status_code == 200, response.status_code
    assert b"platform-error" not in response.content, "the page shows a platform error"


@contextmanager
def sandbox_process(latency_ms: int) -> Iterator[str]:
    """The sandbox HTTP server in its own process, as the platform is: yields its URL."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "technowiz_sandbox",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def part_one(client) -> list[str]:
    import httpx
    from django.conf import settings
    from django.core.cache import cache

    from technowiz.client import reset_client
    from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS

    user_id = LONG_CONVERSATION_USER_IDS[0]
    customer, bot = settings.TECHNOWIZ_CUSTOMER_ID, settings.TECHNOWIZ_BOT_KEY
    base = f"/bot-api/v1.0/customer/{customer}/bot/{bot}"
    with sandbox_process(LATENCY_MS) as server_url:
        settings.TECHNOWIZ_SANDBOX_URL = server_url
        reset_client()
        bare = httpx.Client(
            base_url=server_url,
            headers={"Authorization": f"Basic {settings.TECHNOWIZ_API_KEY}"},
            timeout=30,
        )

        def users_call() -> object:
            params = {"attribute_name": "feedback", "attribute_value": "1"}
            return bare.get(f"{base}/users", params=params).json()

        def conversation_call() -> object:
            params = {"page_number": 2, "page_size": 500}
            return bare.get(f"{base}/channel-user/{user_id}/conversations", params=params).json()

        conversation = f"/users/{user_id}/conversation/?size=500&page=2&preset=1"
        client.get("/users/?preset=1")  # the list the conversation comes from, cached
        cases = {
            "users page (1 star, refetched)": (
                lambda: _check(client.get("/users/?preset=1&refresh=1")),
                users_call,
                None,
            ),
            "users page (1-2 stars, refetched)": (
                lambda: _check(client.get("/users/?preset=1-2&refresh=1")),
                users_call,
                None,
            ),
            "conversation (500, list cached)": (
                lambda: _check(client.get(conversation)),
                conversation_call,
                lambda: client.get("/users/?preset=1"),
            ),
            "conversation (500, list expired)": (
                lambda: _check(client.get(conversation)),
                conversation_call,
                cache.clear,
            ),
        }
        lines = []
        for name, (page, call, before) in cases.items():
            page(), call()  # warm up: connections, template caches
            page_times, call_times = [], []
            for round_ in range(ROUNDS):
                order = (page, call) if round_ % 2 == 0 else (call, page)
                for action in order:
                    if action is page and before is not None:
                        before()  # untimed: the state the page is opened in
                    (page_times if action is page else call_times).append(_timed(action))
            page_ms = statistics.median(page_times) * 1000
            call_ms = statistics.median(call_times) * 1000
            lines.append(
                f"{name:<34} page {page_ms:7.1f} ms   bare call {call_ms:7.1f} ms   "
                f"ratio {page_ms / call_ms:5.3f}   (median of {ROUNDS}, latency {LATENCY_MS} ms)"
            )
        bare.close()
    settings.TECHNOWIZ_SANDBOX_URL = ""
    return lines


def part_two(client) -> list[str]:
    from django.conf import settings

    from technowiz.client import set_inprocess_sandbox
    from technowiz.sandbox.app import SandboxApp
    from technowiz.sandbox.data import SandboxData
    from technowiz.sandbox.faults import Faults

    set_inprocess_sandbox(
        SandboxApp(
            api_key=settings.TECHNOWIZ_API_KEY,
            customer_id=settings.TECHNOWIZ_CUSTOMER_ID,
            bot_key=settings.TECHNOWIZ_BOT_KEY,
            data=SandboxData.build(user_count=BIG_SET_USERS),
            faults=Faults(),
        )
    )
    query = "attribute=feedback&value=5"
    first = client.get(f"/users/?{query}&size=200")
    _check(first)
    total = int(re.search(r'<p class="count"[^>]*><strong>(\d+)<', first.content.decode())[1])
    last_page = -(-total // 200)
    pages = {
        "first page (50 rows, the default)": f"/users/?{query}",
        "first page (200 rows)": f"/users/?{query}&size=200",
        "middle page (200 rows)": f"/users/?{query}&size=200&page={last_page // 2}",
        "last page (200 rows)": f"/users/?{query}&size=200&page={last_page}",
        "searched ('kiran')": f"/users/?{query}&size=200&q=kiran",
        "sorted by name": f"/users/?{query}&size=200&sort=name&page=7",
        "sorted by name, descending": f"/users/?{query}&size=200&sort=-name&page=3",
        "last active, oldest first": f"/users/?{query}&size=200&sort=-last_active&page=5",
        "searched ('shah'), Z to A": f"/users/?{query}&size=200&sort=-name&q=shah",
        "htmx fragment, page 2": f"/users/?{query}&size=200&page=2",
    }
    lines = [f"matched set: {total:,} users (feedback = 5 of {BIG_SET_USERS:,})"]
    for name, url in pages.items():
        headers = {"HTTP_HX_REQUEST": "true"} if "htmx" in name else {}
        once = _timed(lambda url=url, headers=headers: _check(client.get(url, **headers)))
        times = [
            _timed(lambda url=url, headers=headers: _check(client.get(url, **headers)))
            for _ in range(ROUNDS)
        ]
        lines.append(
            f"{name:<34} median {statistics.median(times) * 1000:6.1f} ms   "
            f"max {max(times) * 1000:6.1f} ms   first load {once * 1000:6.1f} ms"
        )
    return lines


def main() -> None:
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["TECHNOWIZ_RATE_LIMIT"] = "0"
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp,
        throwaway_database(Path(tmp), name="bench_pages") as label,
    ):
        client = _signed_in_client()
        print(f"bench/pages.py on {label}, {ROUNDS} rounds")
        print("Part 1: page time vs the bare platform call it makes")
        for line in part_one(client):
            print("  " + line)
        print("Part 2: users page server time with 50,000 matched users already fetched")
        for line in part_two(client):
            print("  " + line)


if __name__ == "__main__":
    main()
