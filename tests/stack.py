"""The whole site as separate processes: sandbox server, gunicorn and a worker.

Used by the browser tests and the page benchmarks. It runs on a fresh SQLite
file in a temporary folder (migrated and seeded with the demo team), so it never
touches the developer's database and works the same on every machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "browser-demo-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, *, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@dataclass(frozen=True)
class Stack:
    url: str
    sandbox_url: str
    env: dict[str, str]


@contextmanager
def running_stack(*, sandbox_latency_ms: int = 0, web_workers: int = 1) -> Iterator[Stack]:
    """Start sandbox, gunicorn (gthread) and db_worker; stop them all on exit."""
    with tempfile.TemporaryDirectory(prefix="tw-stack-") as folder:
        web_port, sandbox_port = free_port(), free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TECHNOWIZ_", "DATABASE_URL", "CACHE_URL", "DJANGO_"))
        }
        env.update(
            DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
            TECHNOWIZ_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
            TECHNOWIZ_RATE_LIMIT="0",
            DEMO_PASSWORD=DEMO_PASSWORD,
            PYTHONUNBUFFERED="1",
        )
        python = sys.executable
        manage = [python, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["seed_demo"]):
            subprocess.run(
                manage + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=180
            )
        log = open(Path(folder) / "stack.log", "w")  # noqa: SIM115
        processes = [
            subprocess.Popen(
                [
                    *manage,
                    "technowiz_sandbox",
                    "--port",
                    str(sandbox_port),
                    "--latency-ms",
                    str(sandbox_latency_ms),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "gunicorn",
                    "dashboard.wsgi",
                    "--config",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    str(web_workers),
                    "--access-logfile",
                    "/dev/null",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
        ]
        try:
            _wait_for(f"http://127.0.0.1:{sandbox_port}/", process=processes[0])
            _wait_for(f"http://127.0.0.1:{web_port}/healthz", process=processes[1])
            yield Stack(f"http://127.0.0.1:{web_port}", env["TECHNOWIZ_SANDBOX_URL"], env)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
