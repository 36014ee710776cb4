"""A web worker SIGKILLed while 16 people load conversation pages from a slow platform.

The audit log must still account for every request that reached the platform, and what
the dead worker left ``pending`` must be closed as ``unknown`` by the next seal. Runs the
real processes (tests/stack.py): the sandbox server at 500 ms, gunicorn with 2 gthread
workers of 4 threads, on a throwaway SQLite file.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest

from technowiz.sandbox.data import SandboxData
from tests.stack import ROOT, Stack, running_stack

pytestmark = pytest.mark.server

CLIENTS = 16
WORKERS = 2
THREADS = 4
PAGES_PER_CLIENT = 6  # 96 page loads, ~6 s at 500 ms and 8 threads
LATENCY_MS = 500
WAIT = 60.0  # seconds: the bound on every wait below (a loaded machine is slow, not stuck)

# `manage.py audit_seal` as it runs once the stale window (`stale_after()`, 2 x the
# timeouts + 60 s) has passed: the same command on the same database, with Django's clock
# moved past that window, instead of making the test wait two minutes.
SEAL_LATER = """
import django
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
from technowiz.models import stale_after

real_now = timezone.now
timezone.now = lambda: real_now() + stale_after() + timedelta(seconds=1)
call_command("audit_seal")
"""


def _rows(stack: Stack) -> list[tuple[int, str, int | None, str]]:
    """(id, outcome, status, detail) of every audit row, read beside the running stack."""
    uri = f"file:{stack.database}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=20)) as db:
        query = "SELECT id, outcome, status, detail FROM technowiz_outboundcall ORDER BY id"
        return db.execute(query).fetchall()


def _pending(stack: Stack) -> int:
    return sum(1 for row in _rows(stack) if row[1] == "pending")


def _load(client: httpx.Client, user_ids: list[str]) -> list[str]:
    """Open each conversation; what each load gave: "ok", or what went wrong."""
    results = []
    for user_id in user_ids:
        try:
            response = client.get(f"/users/{user_id}/conversation/")
        except httpx.TransportError as exc:  # the worker holding the request was killed
            results.append(type(exc).__name__)
            continue
        if response.status_code != 200 or "platform-error" in response.text:
            results.append(f"page {response.status_code}: {response.text[:300]}")
        else:
            results.append("ok")
    return results


def _wait(condition, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} did not happen within {WAIT} s; the stack's output ends:\n{stack.tail()}"
            )
        time.sleep(0.05)


def test_a_killed_web_worker_leaves_every_sent_request_audited_and_nothing_pending():
    users = [u["user_id"] for u in SandboxData.build().users[: CLIENTS * PAGES_PER_CLIENT]]
    with running_stack(
        web_workers=WORKERS,
        web_threads=THREADS,
        sandbox_args=["--latency-ms", str(LATENCY_MS)],
        background_worker=False,
    ) as stack:
        _wait(lambda: len(stack.web_workers()) == WORKERS, "both web workers up", stack)
        with ThreadPoolExecutor(CLIENTS) as pool:
            # No keep-alive: each page load is a new connection, taken by whichever worker
            # is free, so both carry the load (a kept connection stays with one worker).
            clients = list(
                pool.map(
                    lambda _: stack.signed_in(
                        "agent", limits=httpx.Limits(max_keepalive_connections=0)
                    ),
                    range(CLIENTS),
                )
            )
            # The rating lists kept, as after the overview every sign-in lands on: each
            # conversation page then makes one call (the person is found in them).
            warm = clients[0].get("/?card=ratings", headers={"HX-Request": "true"})
            assert warm.status_code == 200 and "platform-error" not in warm.text
            loads = [
                pool.submit(_load, client, users[i::CLIENTS]) for i, client in enumerate(clients)
            ]
            # A worker has at most THREADS calls in flight: with more pending rows than
            # that, both workers are in the middle of calls, so the victim is too.
            _wait(
                lambda: _pending(stack) > THREADS or all(load.done() for load in loads),
                "both workers calling the platform",
                stack,
            )
            assert not all(load.done() for load in loads), (
                "the load ended before both workers were calling the platform at once"
            )
            victim = stack.web_workers()[0]
            assert stack.web.poll() is None, "gunicorn's master exited"
            os.kill(victim, signal.SIGKILL)
            _wait(
                lambda: len(stack.web_workers()) == WORKERS and victim not in stack.web_workers(),
                "gunicorn replacing the killed worker",
                stack,
            )
            results = [result for load in loads for result in load.result(timeout=WAIT)]
            for client in clients:
                client.close()

        pages = [r for r in results if r in ("ok",) or r.startswith("page ")]
        assert all(r == "ok" for r in pages), [r for r in pages if r != "ok"]
        assert len(pages) >= len(results) // 2, results

        # Every request the sandbox received had its audit row committed before it left
        # (the sandbox counts a request as soon as it reads it, before its latency), and
        # every live worker completed its rows before answering its page. So once the
        # load is over, a row either has a status (its request was answered: received
        # exactly once) or is still pending (a call the killed worker had in flight).
        # A pending row's request may or may not have left: SIGKILL can land after the
        # row's commit and before the request is written to the socket (breaker,
        # limiter, httpx's pool), or after it was written, during the sandbox's 500 ms.
        # Which of the two, the database cannot tell. Hence, exactly:
        #     answered <= sandbox requests <= answered + pending.
        # Any other row (an error without a status: refused, timed out, never sent)
        # would make the count ambiguous; none is expected here, so none is allowed.
        requests = stack.sandbox_stats()["requests"]
        rows = _rows(stack)
        answered = [row for row in rows if row[2] is not None]
        pending = [row for row in rows if row[1] == "pending"]
        assert [row for row in rows if row[2] is None and row[1] != "pending"] == []
        assert 1 <= len(pending) <= THREADS, f"{len(pending)} pending rows: {pending}"
        assert len(answered) <= requests <= len(answered) + len(pending), (
            f"sandbox received {requests}; audit rows: {len(answered)} answered, "
            f"{len(pending)} pending"
        )

        seal = subprocess.run(
            [sys.executable, "-c", SEAL_LATER],
            cwd=ROOT,
            env={**stack.env, "DJANGO_SETTINGS_MODULE": "dashboard.settings"},
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert seal.returncode == 0, seal.stderr[-2000:]
        after = {row[0]: row for row in _rows(stack)}
        assert [row for row in after.values() if row[1] == "pending"] == []
        for row_id, *_ in pending:
            assert after[row_id][1] == "unknown", after[row_id]
            assert after[row_id][3].startswith("Never completed"), after[row_id]
        verify = stack.manage("audit_verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
