"""The background writer, as the audit uses it: a call's outcome is committed off the
caller's path, and is never lost on a normal exit, a failed row or a full queue."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from technowiz.audit import completion_writer, completions
from technowiz.background_writer import BackgroundWriter
from technowiz.errors import InvalidPageNumber

from .conftest import fail, ok, rows

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def background(settings):
    settings.TECHNOWIZ_AUDIT_COMPLETION = "background"
    yield
    assert completions.stop(timeout=10)


def test_the_call_returns_before_its_outcome_is_committed(background, client, platform):
    gate = threading.Event()
    write = completions._write

    def held_back(batch):
        gate.wait(5)
        write(batch)

    completions.stop()
    completions._write = held_back
    try:
        platform.script.append(ok({"count": 0, "users": []}))
        assert client.users_by_attribute("feedback", "1") == []
        # The caller has its answer; the row says a call went out, not yet how it ended.
        [row] = rows()
        assert row.outcome == "pending" and row.finished_at is None
        gate.set()
        assert completions.flush(timeout=5)
    finally:
        gate.set()
        completions.stop()
        completions._write = write
    [row] = rows()
    assert row.outcome == "ok" and row.status == 200 and row.platform_code == 1000
    assert row.finished_at is not None and row.duration_ms > 0


@pytest.mark.parametrize("mode", ["inline", "background"])
def test_both_modes_write_the_same_completion(settings, client, platform, mode):
    settings.TECHNOWIZ_AUDIT_COMPLETION = mode
    platform.script.append(ok({"count": 0, "users": []}))
    platform.script.append(fail(1004, "INVALID_PAGE_NUMBER", "page 9 is past the end"))
    client.users_by_attribute("feedback", "1")
    with pytest.raises(InvalidPageNumber) as raised:
        client.conversation("someone", page=9)
    assert completions.stop(timeout=5)
    first, second = rows()
    assert (first.outcome, first.status, first.platform_code) == ("ok", 200, 1000)
    assert (second.outcome, second.status, second.platform_code) == ("client_error", 400, 1004)
    assert second.pk == raised.value.audit_id
    assert "page 9 is past the end" in second.detail
    assert first.response_bytes and second.response_bytes


def test_a_row_that_fails_is_logged_and_the_rest_of_its_batch_is_written(caplog):
    written: list[int] = []

    def write(batch):
        if any(row_id == 2 for row_id, _ in batch):
            raise RuntimeError("row 2 cannot be written")
        written.extend(row_id for row_id, _ in batch)

    writer = completion_writer(write, linger=0.05)  # the three arrive within one batch
    for row_id in (1, 2, 3):
        writer.submit((row_id, {"outcome": "ok"}))
    assert writer.stop(timeout=5)
    assert written == [1, 3]
    assert "could not complete audit row 2" in caplog.text


def test_a_full_queue_makes_the_caller_write_its_own():
    callers: list[str] = []
    writer = BackgroundWriter(
        lambda batch: callers.append(threading.current_thread().name), max_queued=0
    )
    writer.submit((1, {"outcome": "ok"}))
    assert callers == [threading.current_thread().name]
    assert writer.queued == 0


def test_the_queue_is_written_out_when_the_process_exits(tmp_path):
    """A management command (or a recycled web worker) that exits right after a call
    still leaves the call's outcome, not a pending row."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'exit.sqlite3'}",
        "TECHNOWIZ_AUDIT_COMPLETION": "background",
        "TECHNOWIZ_BASE_URL": "",
        "TECHNOWIZ_SANDBOX_URL": "",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity=0"], env=env, check=True, timeout=120)

    def shell(code: str) -> str:
        done = subprocess.run(
            [*manage, "shell", "--no-imports", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    queued = shell(
        "from technowiz.client import get_client; "
        "from technowiz.audit import completions; "
        "completions._linger = 60; "  # nothing is written before the exit
        "get_client().users_by_attribute('feedback', '1'); "
        "print('queued', completions.queued)"
    )
    assert queued == "queued 1"
    outcomes = shell(
        "from technowiz.models import OutboundCall; "
        "print(list(OutboundCall.objects.values_list('outcome', flat=True)))"
    )
    assert outcomes == "['ok']"


def test_a_failed_completion_never_fails_the_call(background, client, platform, caplog):
    caplog.set_level(logging.ERROR, logger="technowiz.audit")
    write = completions._write

    def broken(batch):
        from django.db import OperationalError

        raise OperationalError("the database went away")

    completions.stop()
    completions._write = broken
    try:
        platform.script.append(ok({"count": 0, "users": []}))
        assert client.users_by_attribute("feedback", "1") == []
        assert completions.flush(timeout=5)
    finally:
        completions.stop()
        completions._write = write
    [row] = rows()
    assert row.outcome == "pending"  # read as "unknown" once stale, as after a crash
    assert f"could not complete audit row {row.pk}" in caplog.text
