"""The site as separate processes, as `make run` serves it: sandbox server, gunicorn
and the background worker (``db_worker``, which sends launched broadcasts and flow runs).

Used by the browser tests, the kill test (``tests/dashboard/test_web_kill.py``) and the
memory benchmark (``bench/memory.py``). It runs on a fresh SQLite file in a temporary
folder (migrated and seeded with the demo team), so it never touches the developer's
database and works the same on every machine.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "browser-demo-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


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
    raise RuntimeError(f"{problem}; the stack's output ends with:\n{_tail(log)}")


@dataclass(frozen=True)
class Stack:
    url: str
    sandbox_url: str
    env: dict[str, str]  # the environment every process of the stack runs with
    database: Path  # its SQLite file
    web: subprocess.Popen  # the gunicorn master
    log: Path  # every process's output

    def manage(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        """Run a management command against the stack's database and settings."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def web_workers(self) -> list[int]:
        """The pids of gunicorn's workers: the master's children."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after it.
            if int(stat.rpartition(")")[2].split()[1]) == self.web.pid:
                children.append(int(entry.name))
        return sorted(children)

    def sandbox_stats(self) -> dict[str, Any]:
        """What the sandbox server received (``/__sandbox__/stats``)."""
        response = httpx.get(
            self.sandbox_url + "/__sandbox__/stats",
            headers={"Authorization": f"Basic {self.env['TECHNOWIZ_API_KEY']}"},
            timeout=10.0,
        )
        response.raise_for_status()
        return response.json()

    def signed_in(self, username: str, **options: Any) -> httpx.Client:
        """An HTTP client signed in as ``username`` (a demo account) through the sign-in
        form, CSRF token included; ``options`` go to ``httpx.Client``."""
        client = httpx.Client(base_url=self.url, **{"timeout": 60.0, **options})
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError(f"no CSRF token on the sign-in page ({page.status_code})")
        answer = client.post(
            "/accounts/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token[1]},
        )
        if answer.status_code != 302:  # not followed: the overview would call the platform
            raise RuntimeError(f"signing in as {username} answered {answer.status_code}")
        return client

    def tail(self) -> str:
        """The end of the stack's output, for a failure message."""
        return _tail(self.log)


@contextmanager
def running_stack(
    *,
    web_workers: int = 1,
    web_threads: int | None = None,
    sandbox_args: Sequence[str] = (),
    background_worker: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Start the sandbox server, gunicorn (gthread) and, unless told not to, the worker;
    stop them all on exit.

    ``sandbox_args`` go to ``manage.py technowiz_sandbox`` (``--latency-ms``,
    ``--users``); ``env`` adds to (or overrides) the stack's environment.
    """
    with tempfile.TemporaryDirectory(prefix="tw-stack-") as folder:
        web_port, sandbox_port = free_port(), free_port()
        stack_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TECHNOWIZ_", "DATABASE_URL", "CACHE_URL", "DJANGO_", "AUDIT_"))
        }
        stack_env.update(
            DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
            TECHNOWIZ_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
            TECHNOWIZ_API_KEY="sandbox-key",
            TECHNOWIZ_RATE_LIMIT="0",
            AUDIT_SEAL_KEY="stack-audit-seal-key-of-at-least-32-characters",
            # Seals made by the stack (the audit page, audit_seal) stay in its folder.
            AUDIT_SEAL_WITNESS=f"{folder}/audit-seal-witness.json",
            DEMO_PASSWORD=DEMO_PASSWORD,
            PYTHONUNBUFFERED="1",
        )
        stack_env.update(env or {})
        python = sys.executable
        manage = [python, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["seed_demo"]):
            subprocess.run(
                manage + command,
                cwd=ROOT,
                env=stack_env,
                check=True,
                capture_output=True,
                timeout=180,
            )
        log_path = Path(folder) / "stack.log"
        log = open(log_path, "w")  # noqa: SIM115
        commands = [
            [*manage, "technowiz_sandbox", "--port", str(sandbox_port), *sandbox_args],
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
                *(["--threads", str(web_threads)] if web_threads else []),
                "--access-logfile",
                "/dev/null",
            ],
        ]
        if background_worker:
            commands.append(
                [
                    *manage,
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    "0.2",
                    "--no-reload",
                    "--no-startup-delay",
                ]
            )
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=stack_env, stdout=log, stderr=subprocess.STDOUT)
            for command in commands
        ]
        try:
            # A control path: the sandbox counts every other request in its stats.
            _wait_for(
                f"http://127.0.0.1:{sandbox_port}/__sandbox__/stats",
                processes[0],
                log_path,
                timeout=120.0,
            )
            _wait_for(f"http://127.0.0.1:{web_port}/healthz", processes[1], log_path)
            if background_worker and processes[2].poll() is not None:
                raise RuntimeError(
                    f"The worker exited; the stack's output ends with:\n{_tail(log_path)}"
                )
            yield Stack(
                url=f"http://127.0.0.1:{web_port}",
                sandbox_url=stack_env["TECHNOWIZ_SANDBOX_URL"],
                env=stack_env,
                database=Path(folder) / "db.sqlite3",
                web=processes[1],
                log=log_path,
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
