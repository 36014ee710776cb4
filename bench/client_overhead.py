"""What the client's layers cost: audited ``conversation`` calls vs a bare httpx.Client.

Run: ``.venv/bin/python bench/client_overhead.py`` (a throwaway SQLite file), or with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`` (a throwaway PostgreSQL
database ``bench_overhead_<id>``, created, migrated and dropped).

A SandboxServer with 20 ms latency answers on 127.0.0.1 (port 0). The same ``CALLS``
requests are sent sequentially twice: through ``TechnowizClient`` (the audit row
committed before, completed after, breaker, host-wide flock limiter, retry loop, typed
parsing) and through a bare ``httpx.Client`` (+ ``response.json()``), interleaved in
blocks (A B B A ...) so that machine noise hits both alike. The rate limit is raised to
10,000/s so the benchmark measures overhead, not the configured ceiling. Goal: < 1.15.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._django import throwaway_database  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "500"))
BLOCK = 25
LATENCY_MS = 20
PAGE_SIZE = 20


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="technowiz-bench-") as tmp_name,
        throwaway_database(Path(tmp_name), name="bench_overhead") as label,
    ):
        run(label, Path(tmp_name))


def run(label: str, tmp: Path) -> None:
    import httpx

    from technowiz.client import TechnowizClient
    from technowiz.config import ClientConfig
    from technowiz.models import OutboundCall
    from technowiz.sandbox.app import SandboxApp
    from technowiz.sandbox.data import SandboxData
    from technowiz.sandbox.faults import Faults
    from technowiz.sandbox.server import SandboxServer

    key, customer, bot = "bench-key", "61179", "bb67e0773bed4c7e"
    app = SandboxApp(
        api_key=key, customer_id=customer, bot_key=bot, faults=Faults(f"latency={LATENCY_MS}")
    )
    user_id = SandboxData.build().example_user_id
    with SandboxServer(app) as server:
        config = ClientConfig(
            base_url=server.url,
            api_key=key,
            customer_id=customer,
            bot_key=bot,
            rate_limit=10_000,
            limiter="file",
            lock_dir=str(tmp / "locks"),
        )
        client = TechnowizClient(config)
        bare = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Basic {key}", "Accept": "application/json"},
            timeout=httpx.Timeout(5.0, read=30.0),
        )
        path = f"/bot-api/v1.0/customer/{customer}/bot/{bot}/channel-user/{user_id}/conversations"
        params = {"page_number": 1, "page_size": PAGE_SIZE}

        def audited(n: int) -> None:
            for _ in range(n):
                client.conversation(user_id, page=1, page_size=PAGE_SIZE)

        def plain(n: int) -> None:
            for _ in range(n):
                bare.get(path, params=params).json()

        audited(10)  # warm both connections and code paths
        plain(10)
        sides = [("client", audited), ("bare", plain)]
        times = dict.fromkeys((name for name, _ in sides), 0.0)
        blocks = CALLS // BLOCK
        for block in range(blocks):
            order = list(sides)
            if block % 2:
                order.reverse()
            for name, work in order:
                started = time.perf_counter()
                work(BLOCK)
                times[name] += time.perf_counter() - started
        calls = blocks * BLOCK
        rows = OutboundCall.objects.filter(outcome="ok").count()
        client.close()
        bare.close()

    ratio = times["client"] / times["bare"]
    print(f"database: {label}")
    print(f"calls: {calls} sequential conversation pages per side, sandbox latency {LATENCY_MS} ms")
    print(
        f"bare httpx.Client : {times['bare']:.3f} s  ({times['bare'] / calls * 1000:.2f} ms/call)"
    )
    print(
        f"TechnowizClient   : {times['client']:.3f} s  "
        f"({times['client'] / calls * 1000:.2f} ms/call, {rows} audit rows)"
    )
    print(f"overhead          : {(times['client'] - times['bare']) / calls * 1000:.3f} ms/call")
    print(f"ratio             : {ratio:.3f}  (goal < 1.15)")


if __name__ == "__main__":
    main()
