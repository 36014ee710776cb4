"""Read-backs of a 5,000-recipient flow run, by a real ``manage.py db_worker`` against the
sandbox server at 50 ms, while a person opens pages through the same rate limit.

Run: ``.venv/bin/python bench/readback.py`` (a throwaway SQLite file), or with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`` (a throwaway PostgreSQL
database ``bench_readback_<id>``, created, migrated and dropped).

Setup: the sandbox server (its own process, ``--latency-ms 50``, 7,000 seeded users and
an aftermath script: 5% never get the flow's message, 30% reply, 20% rate again). The
flow's triggers are sent to it straight from this process (the sending is
``bench/fanout.py``'s subject); the run's 5,000 recipients are recorded as sent and the
run ended as the worker ends one (``finish_if_done``), which queues the read-backs
(``RUN_READBACK_AFTER=1s``). One worker (``db_worker --queue-name "*"``), with
``TECHNOWIZ_RATE_LIMIT`` 50/s (``BENCH_RATE``) and ``TECHNOWIZ_MAX_CONCURRENCY=8``, the
same limits as this process: both share the host's file limiter.

Measured: the round's own record (``ReadBack.started_at`` -> ``finished_at``) against
the ideal ``5,000 / rate`` (goal: within 1.3x); and, in this process, a person's pages
through the whole Django stack (a conversation page, one platform call; the users page
of 1 star refreshed, one call) before the read-backs and while they run: medians and
95th percentiles (goal: the median while they run within 1.25x of before).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402
from bench.fanout import (  # noqa: E402
    BackendCpu,
    _cpu_lines,
    _database_url,
    _free_port,
    _measured,
    _process,
)

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "5000"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
LATENCY_MS = 50
USERS = 7000
AFTERMATH = "lost=0.05,reply=0.3,rerate=0.2,rating=4,seed=1"
PAGE_SAMPLES = 20
TIMEOUT = 1200.0


def main() -> None:
    port = _free_port()
    os.environ.update(
        TECHNOWIZ_SANDBOX_URL=f"http://127.0.0.1:{port}",
        TECHNOWIZ_RATE_LIMIT=f"{RATE:g}",
        TECHNOWIZ_MAX_CONCURRENCY="8",
        RUN_READBACK_AFTER="1s",
        ALLOWED_HOSTS="testserver,127.0.0.1",  # this process's test client
    )
    for name in ("TECHNOWIZ_BASE_URL", "TECHNOWIZ_API_KEY", "TECHNOWIZ_SANDBOX_FAULTS"):
        os.environ.pop(name, None)
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp_name,
        throwaway_database(Path(tmp_name), name="bench_readback") as label,
    ):
        run(label, Path(tmp_name), port)


def run(label: str, tmp: Path, port: int) -> None:
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DATABASE_URL=_database_url(), PYTHONUNBUFFERED="1")
    platform = httpx.Client(
        base_url=os.environ["TECHNOWIZ_SANDBOX_URL"],
        headers={"Authorization": "Basic sandbox-key"},
        timeout=60.0,
    )

    def sandbox_up() -> bool:
        try:
            return platform.get("/__sandbox__/stats").status_code == 200
        except httpx.HTTPError:
            return False

    sandbox_command = [
        "technowiz_sandbox",
        "--port",
        str(port),
        "--latency-ms",
        str(LATENCY_MS),
        "--users",
        str(USERS),
        "--aftermath",
        AFTERMATH,
    ]
    log = tmp / "worker.log"
    with (
        _process(sandbox_command, env, tmp / "sandbox.log", sandbox_up) as sandbox,
        _process(
            ["db_worker", "--queue-name", "*", "--no-reload"],
            env,
            log,
            lambda: "Starting worker" in log.read_text(),
        ) as worker,
    ):
        lines = [
            f"database: {label}",
            f"sandbox latency {LATENCY_MS} ms, {USERS:,} users, aftermath {AFTERMATH}; "
            f"TECHNOWIZ_RATE_LIMIT={RATE:g}/s, TECHNOWIZ_MAX_CONCURRENCY=8, "
            "RUN_READBACK_SHARE=0.85 (default), RUN_READBACK_BATCH=200 (default)",
            *measure(worker, sandbox, platform),
        ]
    platform.close()
    print("\n".join(lines))


def _sent_run(platform):
    """A flow run whose recipients the sandbox has received, recorded as sent and ended."""
    from django.utils import timezone

    from dashboard.models import Flow, Recipient, Run
    from dashboard.services.audience import Member
    from dashboard.services.run_worker import finish_if_done
    from dashboard.services.runs import draft_choose, draft_configure, draft_create
    from dashboard.services.team import member_create
    from technowiz.sandbox.data import SandboxData

    person = member_create(username="bench-manager", password="bench-pass-123456", role="manager")
    users = [u for u in SandboxData.build(seed=7, user_count=USERS).users if u["phone_no"]]
    users = users[:RECIPIENTS]
    assert len(users) == RECIPIENTS, len(users)
    flow = Flow.objects.create(key="email_followup", name="E-mail follow-up")
    members = [
        Member(
            user_id=u["user_id"],
            name=u["name"] or "",
            phone=u["phone_no"],
            attributes=u["attributes"],
        )
        for u in users
    ]
    run = draft_create(kind="trigger", person=person, members=members, audience="bench")
    draft_choose(run, flow=flow)
    draft_configure(run, name="bench-readback", sources={}, include_recent=True)
    launched = timezone.now()

    def trigger(phone: str) -> None:
        answer = platform.post(
            "/bot-api/v2.0/customer/61179/bot/bb67e0773bed4c7e/flow/email_followup",
            json={"user.channel": "whatsapp", "user.phone_no": phone},
        )
        answer.raise_for_status()

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(trigger, [u["phone_no"] for u in users]))
    Recipient.objects.filter(run=run, state="pending").update(state="sent", sent_at=timezone.now())
    Run.objects.filter(pk=run.pk).update(
        state="running", launched_by=person, launched_by_name="bench", launched_at=launched
    )
    assert finish_if_done(run)
    return run, person


def _page_times(client, user_ids: list[str], samples: int, until=None) -> list[float]:
    """Seconds per page: a conversation page and the 1-star list refreshed, in turn."""
    times = []
    rng = random.Random(3)
    while len(times) < samples or (until is not None and not until()):
        if len(times) % 2:
            url = "/users/?preset=1&refresh=1"
        else:
            url = f"/users/{rng.choice(user_ids)}/conversation/"
        start = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - start)
        assert answer.status_code in (200, 302), (url, answer.status_code)
        time.sleep(0.5)  # a person reads between clicks
        if until is None and len(times) >= samples:
            break
    return times


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    median = statistics.median(times)
    return f"median {median * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms (n={len(times)})"


def _chunk_spans(calls) -> tuple[list[float], list[float]]:
    """Each chunk's calls (consecutive groups in time order), from the first row's start
    to the last answer, in ms; and each call's duration."""
    rows = list(calls.order_by("started_at").values_list("started_at", "duration_ms"))
    size = max(8 // 2, 1)
    spans = []
    for start in range(0, len(rows), size):
        group = rows[start : start + size]
        first = group[0][0]
        ends = [(at - first).total_seconds() * 1000 + (ms or 0) for at, ms in group]
        spans.append(max(ends))
    return spans, [ms or 0 for _, ms in rows]


def measure(worker, sandbox, platform) -> list[str]:
    from django.test import Client

    from dashboard.models import Outcome, ReadBack
    from dashboard.selectors.outcomes import run_outcomes
    from dashboard.services.team import member_create
    from technowiz.models import OutboundCall

    agent = member_create(username="bench-agent", password="bench-pass-123456", role="agent")
    client = Client()
    client.force_login(agent)
    from technowiz.sandbox.data import SandboxData

    others = [u["user_id"] for u in SandboxData.build(seed=7, user_count=USERS).users[-1500:]]
    before_pages = _page_times(client, others, PAGE_SAMPLES)

    backends = BackendCpu()
    cpu_before = _measured(worker, sandbox, backends)
    run, _ = _sent_run(platform)
    round_ = ReadBack.objects.get(run=run, number=1)

    def done() -> bool:
        backends.sample()
        if worker.poll() is not None:
            raise RuntimeError("the worker exited during the read-back")
        return bool(ReadBack.objects.filter(pk=round_.pk, finished_at__isnull=False).exists())

    deadline = time.monotonic() + TIMEOUT
    while not ReadBack.objects.filter(pk=round_.pk, started_at__isnull=False).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the read-back never started")
        time.sleep(0.2)
    during_pages = _page_times(client, others, PAGE_SAMPLES, until=done)
    cpu_after = _measured(worker, sandbox, backends)
    round_.refresh_from_db()

    wall = (round_.finished_at - round_.started_at).total_seconds()
    pickup = (round_.started_at - round_.due_at).total_seconds()
    ideal = RECIPIENTS / RATE
    counts = run_outcomes(run)
    fates = platform.get("/__sandbox__/stats").json()["aftermath"]
    lost = sum(f["lost"] for f in fates)
    reads = OutboundCall.objects.filter(origin=f"job:run-{run.pk}:readback-1")
    conversation_reads = reads.filter(action="conversation.page").count()
    list_reads = reads.filter(action="users.search").count()
    assert counts.read == RECIPIENTS and Outcome.objects.filter(run=run).count() == RECIPIENTS
    assert counts.not_reached == lost, (counts.not_reached, lost)
    ratio_pages = statistics.median(during_pages) / statistics.median(before_pages)
    spans, durations = _chunk_spans(reads.filter(action="conversation.page"))
    chunk = max(8 // 2, 1)
    period = wall / (RECIPIENTS / chunk)
    return [
        "",
        f"Read-back of a flow run of {RECIPIENTS:,} recipients (ideal {RECIPIENTS:,} / "
        f"{RATE:g} per s = {ideal:.1f} s)",
        f"  round started -> finished   {wall:7.2f} s   ratio {wall / ideal:.3f}  (goal < 1.3)",
        f"  due -> picked up            {pickup:7.2f} s",
        f"  calls: {conversation_reads:,} conversation pages, {list_reads} rating lists; "
        f"found {counts.reached:,} reached, {counts.not_reached} not (the sandbox lost {lost}), "
        f"{counts.replied:,} replied, {counts.rerated:,} re-rated",
        f"  per chunk of {chunk} reads: {period * 1000:.0f} ms (the pace allows "
        f"{chunk / (0.85 * RATE) * 1000:.0f} ms); its calls, first written to last answered "
        f"{statistics.mean(spans):.0f} ms; one call {statistics.median(durations):.0f} ms "
        "(median, audit duration); the rest is the chunk's own database work and waiting",
        f"  a person's pages before:  {_summary(before_pages)}",
        f"  a person's pages during:  {_summary(during_pages)}   median ratio {ratio_pages:.2f}"
        "  (goal < 1.25)",
        *_cpu_lines(cpu_before, cpu_after, wall),
    ]


if __name__ == "__main__":
    main()
