"""The site as separate processes, as `make run` serves it: sandbox server, gunicorn
and the background worker (``db_worker``, which sends launched broadcasts and flow runs).

Used by the browser tests. It runs on a fresh SQLite file in a temporary folder
(migrated and seeded with the demo team), so it never touches the developer's database
and works the same on every machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
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


def _wait_for(url: str, process: subprocess.Popen, log: Path, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            problem = f"{process.args!r} exited with {process.returncode}"
            break
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        problem = f"{url} did not answer within {timeout} s"
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{problem}; the stack's output ends with:\n{tail}")


@dataclass(frozen=True)
class Stack:
    url: str


@contextmanager
def running_stack(sandbox_args: Sequence[str] = ()) -> Iterator[Stack]:
    """Start the sandbox server, gunicorn (gthread) and the worker; stop them all on exit.

    ``sandbox_args`` go to ``manage.py technowiz_sandbox`` (e.g. ``--hostile``)."""
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
        log_path = Path(folder) / "stack.log"
        log = open(log_path, "w")  # noqa: SIM115
        processes = [
            subprocess.Popen(
                [
                    *manage,
                    "technowiz_sandbox",
                    "--port",
                    str(sandbox_port),
                    *sandbox_args,
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
                    "1",
                    "--access-logfile",
                    "/dev/null",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [
                    *manage,
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    "0.2",
                    "--no-reload",
                    "--no-startup-delay",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
        ]
        try:
            _wait_for(f"http://127.0.0.1:{sandbox_port}/", processes[0], log_path)
            _wait_for(f"http://127.0.0.1:{web_port}/healthz", processes[1], log_path)
            if processes[2].poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"The worker exited; the stack's output ends with:\n{tail}")
            yield Stack(f"http://127.0.0.1:{web_port}")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
