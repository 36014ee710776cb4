"""A real ``db_worker`` killed with SIGKILL in the middle of a 2,000-recipient flow run
against the sandbox server: another worker finishes the run, nobody is called twice,
and exactly the calls that were in flight are left ``unknown``.

Everything runs as separate processes on the test database (committed data: a
transactional test), as ``make run`` serves it: the sandbox server with latency, then
two workers one after the other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from dashboard.models import Flow, Recipient, Run, RunLease
from dashboard.services.audience import Member
from dashboard.services.mapping import Source
from dashboard.services.run_worker import STOPPED_DURING_CALL
from dashboard.services.runs import draft_choose, draft_configure, draft_create, run_launch
from tests.stack import ROOT, free_port

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECIPIENTS = 2000
LATENCY_MS = 50
LEASE_SECONDS = 2
SENT_BEFORE_THE_KILL = 150  # of 2,000: the kill lands early in the run
WAIT = 120.0  # seconds, for anything we wait for; a clear failure beyond it


def _database_url() -> str:
    """The test database, as the other processes reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def _environment(sandbox_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TECHNOWIZ_", "DATABASE_URL", "CACHE_URL", "DJANGO_", "RUN_"))
    }
    env.update(
        DATABASE_URL=_database_url(),
        TECHNOWIZ_SANDBOX_URL=sandbox_url,
        TECHNOWIZ_RATE_LIMIT="0",
        RUN_LEASE_SECONDS=str(LEASE_SECONDS),
        PYTHONUNBUFFERED="1",
    )
    return env


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no output)"


def _wait(what: str, done: Callable[[], bool], describe: Callable[[], str]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {WAIT:.0f} s. {describe()}")
        time.sleep(0.05)


def _stopped(pid: int) -> bool:
    """The process is stopped (SIGSTOP has taken effect): ``T`` in /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] in "tT"


def _database_quiet() -> bool:
    """No statement from another process is under way. PostgreSQL carries out what a
    stopped worker had already sent (a COMMIT in the socket, say), so a frozen worker's
    rows can still change until its connections are idle; SQLite's writes are made by
    the writer itself, and stop with it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND state = 'active'"
        )
        return cursor.fetchone()[0] == 0


def _database_settled() -> bool:
    """Quiet, and still quiet a moment later (a message on its way has been read)."""
    if not _database_quiet():
        return False
    time.sleep(0.05)
    return _database_quiet()


def _states(run: Run) -> dict[str, int]:
    return dict(Counter(Recipient.objects.filter(run=run).values_list("state", flat=True)))


def test_a_worker_killed_mid_run_leaves_exactly_its_calls_in_flight_unknown(manager, tmp_path):
    flow = Flow.objects.create(key="callback_request", name="Call-back", attributes=["city"])
    members = [
        Member(user_id=f"u{n}", name=f"Person {n}", phone=f"+4477009{n:05d}", attributes={})
        for n in range(RECIPIENTS)
    ]
    run = draft_create(kind="trigger", person=manager, members=members, audience="crash test")
    draft_choose(run, flow=flow)
    draft_configure(
        run, name="crash-test", sources={"city": Source("text", "Pune")}, include_recent=False
    )
    run, launched = run_launch(run, key=str(run.key), person=manager)
    assert launched and Recipient.objects.filter(run=run, state="pending").count() == RECIPIENTS

    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    env = _environment(sandbox_url)
    manage = [sys.executable, "manage.py"]
    worker_command = [
        *manage,
        "db_worker",
        "--queue-name",
        "*",
        "--interval",
        "0.2",
        "--no-startup-delay",
        "--no-reload",
    ]
    logs = {name: tmp_path / f"{name}.log" for name in ("sandbox", "worker-1", "worker-2")}
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, command: list[str]) -> subprocess.Popen:
        with open(logs[name], "w") as log:
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return processes[name]

    def describe() -> str:
        state = Run.objects.get(pk=run.pk).state
        tails = "".join(f"\n--- {name}:\n{_tail(log)}" for name, log in logs.items())
        return f"Run {state}, recipients by state {_states(run)}.{tails}"

    platform = httpx.Client(
        base_url=sandbox_url, headers={"Authorization": "Basic sandbox-key"}, timeout=10.0
    )

    def sandbox_up() -> bool:
        if processes["sandbox"].poll() is not None:
            pytest.fail(f"The sandbox server exited. {describe()}")
        try:
            return platform.get("/__sandbox__/stats").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        start(
            "sandbox",
            [*manage, "technowiz_sandbox", "--port", str(port), "--latency-ms", str(LATENCY_MS)],
        )
        _wait("The sandbox server answering", sandbox_up, describe)

        first = start("worker-1", worker_command)
        sending = Recipient.objects.filter(run=run, state="sending")

        def well_under_way() -> bool:
            if first.poll() is not None:
                pytest.fail(f"The first worker exited by itself. {describe()}")
            sent = Recipient.objects.filter(run=run, state="sent").count()
            return sent >= SENT_BEFORE_THE_KILL and sending.exists()

        _wait("The first worker sending", well_under_way, describe)
        # Freeze the worker and let the database finish what it had sent, then read what
        # it has in flight: nothing changes between the reading and the kill. (A unit is
        # committed `sending` before its call, so what is not `sending` now was either
        # never called or has its outcome recorded.)
        in_flight: set[int] = set()
        while not in_flight:
            os.kill(first.pid, signal.SIGSTOP)
            _wait("The first worker stopping", lambda: _stopped(first.pid), describe)
            _wait("Its last statements done", _database_settled, describe)
            in_flight = set(sending.values_list("pk", flat=True))
            if not in_flight:  # between two calls: let it go on a moment
                os.kill(first.pid, signal.SIGCONT)
                time.sleep(0.05)
        before_kill = _states(run)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert before_kill.get("pending", 0) > 0, f"the run was nearly over: {before_kill}"

        second = start("worker-2", worker_command)

        def finished() -> bool:
            if second.poll() is not None:
                pytest.fail(f"The second worker exited by itself. {describe()}")
            return Run.objects.get(pk=run.pk).state == "finished"

        _wait("The run finished by the second worker", finished, describe)
        received = platform.get("/__sandbox__/stats").json()["triggers"]
    finally:
        platform.close()
        for name, process in processes.items():
            if process.poll() is None:
                (process.kill if name.startswith("worker") else process.terminate)()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    phones = Counter(call["phone_no"] for call in received)
    assert [phone for phone, times in phones.items() if times > 1] == [], "called twice"
    assert {call["flow_key"] for call in received} == {"callback_request"}

    recipients = {r.pk: r for r in Recipient.objects.filter(run=run)}
    unknown = {pk for pk, r in recipients.items() if r.state == "unknown"}
    assert unknown == in_flight, describe()
    assert all(recipients[pk].reason == STOPPED_DURING_CALL for pk in unknown)
    assert not RunLease.objects.filter(run=run).exists()
    others = Counter(r.state for pk, r in recipients.items() if pk not in in_flight)
    assert others == {"sent": RECIPIENTS - len(in_flight)}, describe()

    # Every sent recipient reached the platform; of the unknown ones, some did (their
    # answer was on its way when the worker died) and some may not have.
    sent_phones = {r.phone for r in recipients.values() if r.state == "sent"}
    unknown_phones = {recipients[pk].phone for pk in unknown}
    assert sent_phones <= phones.keys()
    assert phones.keys() <= sent_phones | unknown_phones
    assert len(received) == len(sent_phones) + len(unknown_phones & phones.keys())
