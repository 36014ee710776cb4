"""Sending runs: a flow run of 5,000 recipients and a broadcast of 50,000, sent by a real
``manage.py db_worker`` process to the sandbox server (its own process, 50 ms latency).

Run: ``.venv/bin/python bench/fanout.py`` (a throwaway SQLite file), or with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`` (a throwaway PostgreSQL
database ``bench_fanout_<id>``, created, migrated and dropped).

The worker runs as the Procfile runs it (``db_worker --queue-name "*"``, polling every
second) with ``RUN_CONCURRENCY=16``, ``TECHNOWIZ_MAX_CONCURRENCY=16`` and
``TECHNOWIZ_RATE_LIMIT=0``; a fresh worker process for each part, started and idle
before the run is launched. This process plays the web process: it builds the drafts
and launches them with the services the screens use.

Part 1. ``BENCH_TRIGGERS`` (5,000) recipients, one flow trigger each. Wall time is the
run's own record, launch to finished (``Run.launched_at`` -> ``Run.finished_at``),
against the ideal 5,000 x 50 ms / 16 = 15.6 s. Goal: within 1.25x. Also the part after
the worker picked the task up, and the worker's peak RSS (``VmHWM``). Goal: < 200 MB.

Part 2. ``BENCH_BROADCAST`` (50,000) recipients, built (checked and stored), launched
(previewed and split into 5 files of 10,000) and sent: 5 platform calls. "Our own time"
is the time from the first service call to the run finished, minus 5 x 50 ms of the
sandbox's latency (so the sandbox's own work on each file counts against us); the
platform calls' whole durations (from the audit rows) are shown too. Goal: < 10 s.
"""

from __future__ import annotations

import itertools
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

TRIGGERS = int(os.environ.get("BENCH_TRIGGERS", "5000"))
BROADCAST = int(os.environ.get("BENCH_BROADCAST", "50000"))
LATENCY_MS = 50
CONCURRENCY = 16
TIMEOUT = 600.0  # seconds: a run that takes longer than this is reported as stuck
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp_name,
        throwaway_database(Path(tmp_name), name="bench_fanout") as label,
    ):
        run(label, Path(tmp_name))


def _database_url() -> str:
    """The throwaway database, as the worker process reaches it."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in kB (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class BackendCpu:
    """CPU time of the PostgreSQL backends serving one database, sampled while they live
    (a backend that ends takes its counters with it; sampled every half second)."""

    def __init__(self) -> None:
        from django.db import connection

        self.marker = (
            f" {connection.settings_dict['NAME']} " if connection.vendor != "sqlite" else ""
        )
        self.seen: dict[int, float] = {}

    def sample(self) -> None:
        if not self.marker:
            return
        for folder in Path("/proc").glob("[0-9]*"):
            try:
                if self.marker in (folder / "cmdline").read_bytes().decode(errors="replace"):
                    self.seen[int(folder.name)] = _cpu_seconds(int(folder.name))
            except (OSError, ValueError):
                continue

    def total(self) -> float:
        self.sample()
        return sum(self.seen.values())


def _host_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool]):
    """A process of ``manage.py``, started and waited for; stopped on exit."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_finished(run_id: int, worker: subprocess.Popen, backends: BackendCpu) -> None:
    from dashboard.models import Run

    deadline = time.monotonic() + TIMEOUT
    while Run.objects.get(pk=run_id).state != "finished":
        backends.sample()
        if worker.poll() is not None:
            raise RuntimeError("the worker exited during the run")
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} not finished after {TIMEOUT:.0f} s")
        time.sleep(0.5)  # the times come from the run's own record, not from this loop


def run(label: str, tmp: Path) -> None:
    import httpx

    from dashboard.services.team import member_create

    port = _free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TECHNOWIZ_", "RUN_", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=_database_url(),
        TECHNOWIZ_SANDBOX_URL=sandbox_url,
        TECHNOWIZ_RATE_LIMIT="0",
        TECHNOWIZ_MAX_CONCURRENCY=str(CONCURRENCY),
        RUN_CONCURRENCY=str(CONCURRENCY),
        PYTHONUNBUFFERED="1",
    )
    # The processes get no TECHNOWIZ_* from this environment: the sandbox expects the
    # settings' default key, and the worker sends it.
    platform = httpx.Client(
        base_url=sandbox_url, headers={"Authorization": "Basic sandbox-key"}, timeout=60.0
    )

    def sandbox_up() -> bool:
        try:
            return platform.get("/__sandbox__/stats").status_code == 200
        except httpx.HTTPError:
            return False

    person = member_create(username="bench-manager", password="bench-pass-123456", role="manager")
    sandbox_command = ["technowiz_sandbox", "--port", str(port), "--latency-ms", str(LATENCY_MS)]
    lines = [
        f"database: {label}",
        f"sandbox latency {LATENCY_MS} ms; worker: RUN_CONCURRENCY={CONCURRENCY}, "
        f"TECHNOWIZ_MAX_CONCURRENCY={CONCURRENCY}, TECHNOWIZ_RATE_LIMIT=0",
    ]
    with _process(sandbox_command, env, tmp / "sandbox.log", sandbox_up) as sandbox:
        for part in (part_one, part_two):
            log = tmp / f"worker-{part.__name__}.log"

            def worker_up(log: Path = log) -> bool:
                return "Starting worker" in log.read_text()

            worker_command = ["db_worker", "--queue-name", "*", "--no-reload"]
            with _process(worker_command, env, log, worker_up) as worker:
                time.sleep(1.0)  # settled: imports done, first poll made
                lines += part(person, worker, sandbox, platform)
            platform.post("/__sandbox__/reset")
    platform.close()
    print("\n".join(lines))


def _measured(
    worker: subprocess.Popen, sandbox: subprocess.Popen, backends: BackendCpu
) -> dict[str, float]:
    busy, total = _host_cpu()
    return {
        "worker_cpu": _cpu_seconds(worker.pid),
        "sandbox_cpu": _cpu_seconds(sandbox.pid),
        "own_cpu": time.process_time(),
        "postgres_cpu": backends.total(),
        "host_busy": busy,
        "host_total": total,
    }


def _cpu_lines(before: dict[str, float], after: dict[str, float], wall: float) -> list[str]:
    """Where the CPU went while it ran: ours, and what else ran on this (shared) host."""
    cores = os.cpu_count() or 1
    spent = {name: after[name] - before[name] for name in before}
    names = {"worker_cpu": "worker", "sandbox_cpu": "sandbox", "own_cpu": "this process"}
    if spent["postgres_cpu"]:
        names["postgres_cpu"] = "PostgreSQL (this database)"
    parts = [f"{label} {spent[name]:.1f}" for name, label in names.items()]
    rest = spent["host_busy"] / TICKS - sum(spent[name] for name in names)
    return [
        f"  CPU seconds during it: {', '.join(parts)}, anything else {max(rest, 0):.1f}; "
        f"the host's {cores} cores {spent['host_busy'] / max(spent['host_total'], 1):.0%} "
        f"busy over {wall:.1f} s",
    ]


def part_one(person, worker: subprocess.Popen, sandbox: subprocess.Popen, platform) -> list[str]:
    from django_tasks_db.models import DBTaskResult

    from dashboard.models import Flow, Recipient
    from dashboard.services.audience import Member
    from dashboard.services.mapping import Source
    from dashboard.services.runs import draft_choose, draft_configure, draft_create, run_launch

    flow = Flow.objects.create(key="callback_request", name="Call-back", attributes=["city"])
    members = [
        Member(
            user_id=f"u{n}",
            name=f"Person {n}",
            phone=f"+4477009{n:05d}",
            attributes={"city": "Pune"},
        )
        for n in range(TRIGGERS)
    ]
    run = draft_create(kind="trigger", person=person, members=members, audience="bench")
    draft_choose(run, flow=flow)
    sources = {"city": Source("attribute", "city")}
    draft_configure(run, name="bench-triggers", sources=sources, include_recent=False)
    idle_rss = _proc(worker.pid, "VmRSS")
    backends = BackendCpu()
    before = _measured(worker, sandbox, backends)
    run, _ = run_launch(run, key=str(run.key), person=person)
    _wait_finished(run.pk, worker, backends)
    after = _measured(worker, sandbox, backends)
    peak = _proc(worker.pid, "VmHWM")

    worker_ms = (after["worker_cpu"] - before["worker_cpu"]) / TRIGGERS * 1000
    postgres_ms = (after["postgres_cpu"] - before["postgres_cpu"]) / TRIGGERS * 1000
    run.refresh_from_db()
    task = DBTaskResult.objects.filter(started_at__isnull=False).order_by("started_at").first()
    wall = (run.finished_at - run.launched_at).total_seconds()
    sending = (run.finished_at - task.started_at).total_seconds()
    pickup = (task.started_at - run.launched_at).total_seconds()
    ideal = TRIGGERS * LATENCY_MS / 1000 / CONCURRENCY
    triggers = platform.get("/__sandbox__/stats").json()["triggers"]
    phones = [t["phone_no"] for t in triggers]
    sent = Recipient.objects.filter(run=run, state="sent").count()
    assert sent == TRIGGERS and len(phones) == len(set(phones)) == TRIGGERS, (sent, len(phones))
    return [
        "",
        f"Part 1: flow run of {TRIGGERS:,} recipients (ideal {TRIGGERS:,} x {LATENCY_MS} ms / "
        f"{CONCURRENCY} = {ideal:.1f} s)",
        f"  launch -> finished          {wall:6.2f} s   ratio {wall / ideal:.3f}  (goal < 1.25)",
        f"  of which waiting for pickup {pickup:6.2f} s (db_worker polls every second)",
        f"  task started -> finished    {sending:6.2f} s   ratio {sending / ideal:.3f}",
        f"  {TRIGGERS / sending:.0f} triggers/s; sandbox received {len(phones):,}, each phone once",
        f"  worker RSS: idle {idle_rss / 1024:.0f} MB, peak (VmHWM) {peak / 1024:.0f} MB"
        "  (goal < 200 MB)",
        *_cpu_lines(before, after, wall),
        f"  per trigger: worker {worker_ms:.1f} ms of CPU (its threads share one core: at most "
        f"{1000 / worker_ms:.0f}/s; the ideal needs {TRIGGERS / ideal:.0f}/s)"
        + (f", PostgreSQL {postgres_ms:.1f} ms" if postgres_ms else ""),
    ]


def part_two(person, worker: subprocess.Popen, sandbox: subprocess.Popen, platform) -> list[str]:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from dashboard.models import BroadcastPart, Recipient, Run, WhatsAppTemplate
    from dashboard.services.audience import Member
    from dashboard.services.mapping import Source
    from dashboard.services.runs import (
        draft_choose,
        draft_configure,
        draft_create,
        run_launch,
    )
    from technowiz.models import OutboundCall

    template = WhatsAppTemplate.objects.create(
        name="feedback_followup",
        language="en",
        body="Hi {{1}}, you rated us {{2}} stars. We are sorry, and we want to make it right.",
    )
    members = [
        Member(
            user_id=f"w{n}",
            name=f"Customer {n}",
            phone=f"+1555{n:07d}",
            attributes={"feedback": str(1 + n % 2), "city": "Pune"},
        )
        for n in range(BROADCAST)
    ]
    sources = {"1": Source("name"), "2": Source("attribute", "feedback")}
    idle_rss = _proc(worker.pid, "VmRSS")
    backends = BackendCpu()
    before = _measured(worker, sandbox, backends)
    marks = [("start", timezone.now())]
    run = draft_create(kind="broadcast", person=person, members=members, audience="bench")
    marks.append(("checked and stored (draft_create)", timezone.now()))
    draft_choose(run, template=template)
    draft_configure(run, name="bench-broadcast", sources=sources, include_recent=False)
    marks.append(("template and values chosen", timezone.now()))
    run, _ = run_launch(run, key=str(run.key), person=person)
    marks.append(("launched (previewed, split into files)", timezone.now()))
    _wait_finished(run.pk, worker, backends)
    after = _measured(worker, sandbox, backends)
    peak = _proc(worker.pid, "VmHWM")

    run.refresh_from_db()
    marks.append(("sent by the worker (queue pickup included)", run.finished_at))
    total = (marks[-1][1] - marks[0][1]).total_seconds()
    files = list(BroadcastPart.objects.filter(run=run).values_list("state", "rows"))
    calls = list(
        OutboundCall.objects.filter(action="broadcast.send").values_list("duration_ms", flat=True)
    )
    received = platform.get("/__sandbox__/stats").json()["broadcasts"]
    accepted = sum(b["accepted_count"] for b in received)
    assert files == [("sent", 10_000)] * (BROADCAST // 10_000), files
    assert accepted == BROADCAST and len(received) == len(files), (accepted, len(received))
    assert Recipient.objects.filter(run=run, state="sent").count() == BROADCAST
    assert Run.objects.get(pk=run.pk).state == "finished"
    latency = len(files) * LATENCY_MS / 1000
    platform_time = sum(calls) / 1000
    lines = [
        "",
        f"Part 2: broadcast of {BROADCAST:,} recipients as {len(files)} files",
    ]
    for (_, previous), (name, at) in itertools.pairwise(marks):
        lines.append(f"  {name:<44} {(at - previous).total_seconds():6.2f} s")
    tasks = DBTaskResult.objects.filter(args_kwargs__args=[run.pk], started_at__isnull=False)
    task = tasks.order_by("started_at").first()
    pickup = (task.started_at - run.launched_at).total_seconds()
    lines.append(f"    of which waiting for the worker's pickup   {pickup:6.2f} s")
    lines += [
        f"  total                                        {total:6.2f} s",
        f"  our own time (total - {len(files)} x {LATENCY_MS} ms latency)  "
        f"{total - latency:6.2f} s   (goal < 10 s)",
        f"  the {len(files)} platform calls, whole (audit durations): {platform_time:.2f} s;"
        f" total without them {total - platform_time:.2f} s",
        f"  the sandbox accepted {accepted:,} rows; worker RSS: idle {idle_rss / 1024:.0f} MB, "
        f"peak (VmHWM) {peak / 1024:.0f} MB; this process's peak "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        *_cpu_lines(before, after, total),
    ]
    return lines


if __name__ == "__main__":
    main()
