"""Memory of one web process while people refresh and page big user lists.

Run: ``.venv/bin/python bench/memory.py`` (the stack of tests/stack.py on a throwaway
SQLite file, with default settings: ``USERS_MEMORY_MB`` 150, timeouts, cache time). Part 1
runs twice in one run: with the database cache, as ``make run`` serves, then with Redis
(``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/0``, keys under a prefix of their
own), as in production; without Redis it says so and runs the first only.

Part 1. gunicorn with one gthread worker of 8 threads, the sandbox server seeded with
510,000 users (feedback 2, 3, 4 and 5 match about 50,000, 85,000, 125,000 and 200,000 of
them), and 8 signed-in clients. Each client, for ``BENCH_ROUNDS`` rounds, takes one of
the four lists (a different one each round, the clients spread over the four) and
refreshes it (``&refresh=1``: a platform call), then opens its page 2, sorted by name,
and searched. The worker's RSS is read from ``/proc/<pid>/status`` every 50 ms (VmRSS)
and its peak from the kernel's high-water mark (VmHWM); "settled" is VmRSS 10 s after
the last answer. The goal set for it: under 400 MB, and under the bound the README's
deploy section states (BENCHMARKS.md has the figures and where the memory goes).

Part 2. Where it goes, in one process under tracemalloc (in-process sandbox, the same
users): for each list, the peak of one refresh (the in-process sandbox's answer, the
users, the copy for the shared cache), the set decoded as kept (what ``approx_bytes``
estimates, with a name order and search texts), and the peak of one page of a list not
kept in the process (decoded from the shared cache for that request).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

USERS = 510_000
VALUES = ("2", "3", "4", "5")
CLIENTS = 8
THREADS = 8
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SAMPLE_EVERY = 0.05
SETTLE_SECONDS = 10
MB = 1024 * 1024
COUNT = re.compile(r'<p class="count"[^>]*><strong>(\d+)</strong>')


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values


class Sampler(threading.Thread):
    """Reads a process's RSS every ``SAMPLE_EVERY`` seconds until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop.is_set():
            self.samples.append((time.monotonic() - start, _status(self.pid)["VmRSS"]))
            self.stop.wait(SAMPLE_EVERY)


def _client_rounds(client, index: int) -> list[tuple[str, int, float, int | None]]:
    """(value, status, seconds, users matched) of each page this client loaded."""
    done = []
    for round_ in range(ROUNDS):
        value = VALUES[(index + round_) % len(VALUES)]
        base = f"/users/?attribute=feedback&value={value}"
        for url in (
            base + "&refresh=1",
            base + "&page=2",
            base + "&sort=name&page=3",
            base + "&q=kumar&sort=-name",
        ):
            start = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - start
            found = COUNT.search(response.text)
            done.append((value, response.status_code, seconds, int(found[1]) if found else None))
    return done


def part_one(cache_url: str | None) -> list[str]:
    import httpx

    from tests.stack import running_stack

    env = {"CACHE_URL": cache_url} if cache_url else {}
    with running_stack(
        web_workers=1,
        web_threads=THREADS,
        sandbox_args=["--users", str(USERS)],
        background_worker=False,
        env=env,
    ) as stack:
        (worker,) = stack.web_workers()
        clients = [stack.signed_in("agent", timeout=300.0) for _ in range(CLIENTS)]
        for client in clients:  # a page without a list: templates, sessions, connections
            client.get("/users/").raise_for_status()
        idle = _status(worker)["VmRSS"]
        sampler = Sampler(worker)
        sampler.start()
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            loads = list(pool.map(_client_rounds, clients, range(CLIENTS)))
        elapsed = time.monotonic() - started
        time.sleep(SETTLE_SECONDS)
        sampler.stop.set()
        sampler.join()
        final = _status(worker)
        platform_calls = stack.sandbox_stats()["requests"]
        for client in clients:
            client.close()
        try:
            httpx.get(stack.url + "/healthz", timeout=5).raise_for_status()
        except httpx.HTTPError as exc:
            print(f"the stack is unwell after the load: {exc}\n{stack.tail()}")
    pages = [page for load in loads for page in load]
    failed = [page for page in pages if page[1] != 200 or page[3] is None]
    sizes = sorted({(page[0], page[3]) for page in pages if page[3] is not None})
    peak_during = max(rss for _, rss in sampler.samples)
    refreshes = sorted(page[2] for page in pages[0::4])
    return [
        f"one worker x {THREADS} threads, {CLIENTS} clients x {ROUNDS} rounds x 4 pages "
        f"({len(pages)} pages, {len(failed)} failed) in {elapsed:.0f} s",
        "lists: " + ", ".join(f"feedback {value} = {size:,}" for value, size in sizes),
        f"platform calls: {platform_calls} (the pages asked for {len(refreshes)} refreshes)",
        f"refresh page times: median {refreshes[len(refreshes) // 2]:.1f} s, "
        f"max {refreshes[-1]:.1f} s",
        f"RSS idle (signed in, no list)        {idle / MB:7.0f} MB",
        f"RSS peak (VmHWM)                     {final['VmHWM'] / MB:7.0f} MB",
        f"RSS peak of the 50 ms samples        {peak_during / MB:7.0f} MB",
        f"RSS settled ({SETTLE_SECONDS} s after the last page)  {final['VmRSS'] / MB:7.0f} MB",
        *(f"failed: {page}" for page in failed[:5]),
    ]


def _traced(action) -> tuple[object, int, int]:
    """``action()``'s result, the peak it added and what it left (bytes, tracemalloc)."""
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = action()
    current, peak = tracemalloc.get_traced_memory()
    return result, peak - before, current - before


def _stages(body: bytes) -> list[str]:
    """What one refresh holds at once, step by step, for the answer ``body``."""
    import base64
    import pickle

    from dashboard.selectors.users import _encode
    from technowiz.parsing import decode_json, parse_users, read_envelope
    from technowiz.users_body import decode_users_body

    tree, _, tree_bytes = _traced(lambda: read_envelope(decode_json(body)).payload)
    users, _, users_bytes = _traced(lambda: parse_users(tree))
    tree = users = None
    users, stream_peak, _ = _traced(
        lambda: parse_users(read_envelope(decode_users_body(body)).payload)
    )
    encoded, _, encoded_bytes = _traced(lambda: _encode(users))
    pickled = pickle.dumps((0.0, encoded), pickle.HIGHEST_PROTOCOL)
    b64 = len(base64.b64encode(pickled))
    return [
        f"the answer's bytes                             {len(body) / MB:6.0f} MB",
        f"  decoded whole (before): its JSON             {tree_bytes / MB:6.0f} MB",
        f"    the users parsed from it (JSON dropped)    {users_bytes / MB:6.0f} MB",
        f"  read as a stream (now): peak, the users too  {stream_peak / MB:6.0f} MB",
        f"the copy for the shared cache: chunks          {encoded_bytes / MB:6.0f} MB",
        f"  pickled as one value                         {len(pickled) / MB:6.0f} MB",
        f"  base64 (the database cache's column)         {b64 / MB:6.0f} MB",
    ]


def part_two() -> list[str]:
    import gc

    from django.conf import settings
    from django.core.cache import cache

    from dashboard.selectors import users as selectors
    from dashboard.selectors.matched_set import UserFilter
    from technowiz.client import set_inprocess_sandbox
    from technowiz.sandbox.app import SandboxApp
    from technowiz.sandbox.data import SandboxData
    from technowiz.sandbox.faults import Faults
    from technowiz.sandbox.protocol import SandboxRequest

    app = SandboxApp(
        api_key=settings.TECHNOWIZ_API_KEY,
        customer_id=settings.TECHNOWIZ_CUSTOMER_ID,
        bot_key=settings.TECHNOWIZ_BOT_KEY,
        data=SandboxData.build(user_count=USERS),
        faults=Faults(),
    )
    set_inprocess_sandbox(app)
    path = f"/bot-api/v1.0/customer/{app.customer_id}/bot/{app.bot_key}/users"
    lines = [
        f"{'list':<22}{'refresh peak':>14}{'kept set':>11}{'approx_bytes':>14}"
        f"{'decoding it (peak)':>20}"
    ]
    # The sandbox's own copies of the answers are made first, outside the measures.
    bodies = {
        value: app.handle(
            SandboxRequest(
                "GET",
                path,
                f"attribute_name=feedback&attribute_value={value}",
                [("authorization", f"Basic {app.api_key}")],
                b"",
            )
        ).body
        for value in VALUES
    }
    gc.collect()
    tracemalloc.start()
    for value in VALUES:
        user_filter = UserFilter("feedback", (value,))
        selectors._local.clear()
        gc.collect()
        fetched, refresh_peak, _ = _traced(
            lambda user_filter=user_filter: selectors.users_matching(
                user_filter=user_filter, refresh=True
            )
        )
        fetched_at = fetched.fetched_at
        del fetched
        selectors._local.clear()
        gc.collect()

        def decoded(user_filter=user_filter, fetched_at=fetched_at):
            # As users_cached() decodes a set from the shared cache to keep it, with a
            # name order and the search texts (built on first use, kept with the set).
            rows = cache.get(user_filter.cache_key)[1]
            kept = selectors.MatchedSet(user_filter, selectors._decode(rows), fetched_at)
            kept.search("name", "kumar")
            return kept

        kept, page_peak, kept_bytes = _traced(decoded)
        estimate = kept.approx_bytes
        count = len(kept.users)
        del kept
        gc.collect()
        lines.append(
            f"feedback {value} ({count:,})".ljust(22)
            + f"{refresh_peak / MB:11.0f} MB{kept_bytes / MB:8.0f} MB{estimate / MB:11.0f} MB"
            + f"{page_peak / MB:17.0f} MB"
        )
        cache.delete(user_filter.cache_key)
    gc.collect()
    left = tracemalloc.get_traced_memory()[0]
    lines.append(f"still traced once the sets are dropped: {left / MB:.1f} MB")
    lines.append(f"one refresh of feedback {VALUES[-1]}, step by step (tracemalloc, retained):")
    lines += ["  " + line for line in _stages(bodies[VALUES[-1]])]
    tracemalloc.stop()
    return lines


def main() -> None:
    print(f"bench/memory.py: {USERS:,} sandbox users, {CLIENTS} clients, {ROUNDS} rounds")
    print("Part 1: RSS of one web worker (gunicorn gthread, 8 threads) under the load")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    caches = {"the database cache (SQLite), as make run": None}
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        print(f"  (Redis at {redis_url} not reachable: {type(exc).__name__}; skipped)")
    else:
        key_prefix = f"bench-memory-{uuid.uuid4().hex[:8]}"
        caches[f"Redis ({redis_url}), as in production"] = f"{redis_url}?key_prefix={key_prefix}"
    for label, cache_url in caches.items():
        print(f"  shared cache: {label}")
        for line in part_one(cache_url):
            print("    " + line, flush=True)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["TECHNOWIZ_RATE_LIMIT"] = "0"
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp,
        throwaway_database(Path(tmp), name="bench_memory") as label,
    ):
        print(f"Part 2: where it goes, one process, tracemalloc ({label})")
        for line in part_two():
            print("  " + line, flush=True)


if __name__ == "__main__":
    main()
