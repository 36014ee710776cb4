"""Writes that need not hold up the caller: one writer thread per process and purpose.

The audit uses it for the outcome of each call (:mod:`technowiz.audit`). The pending row
of an attempt is committed by the caller before the request leaves, so a call can never
go out unrecorded. What the call returned (status, outcome, duration, all measured by
the caller) is then handed to a writer, which commits it with the same compare-and-set
``UPDATE`` on its own connection, usually within a millisecond. The caller does not wait
for that commit: on PostgreSQL a durable commit after the platform's wait costs ~1.3 ms,
a sixteenth of a 20 ms call (``bench/client_overhead.py``). The users page uses another
writer to keep a fetched user list in the shared cache
(:mod:`dashboard.selectors.users`).

What a crash costs is what it cost before: a process that dies with audit completions
still queued leaves those rows ``pending``, read as ``unknown`` once stale, exactly like
a process that dies during the call. A normal exit (gunicorn recycling a worker, the task
worker stopping, a management command ending) writes the queue out first (``atexit``, by
the owner). ``TECHNOWIZ_AUDIT_COMPLETION = "inline"`` writes in the caller instead.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connections

logger = logging.getLogger("technowiz.background_writer")

# Beyond this many queued items the caller writes its own (back-pressure): the queue
# never grows without bound when the database is slow.
MAX_QUEUED = 10_000
# The writer lets go of its database connection after this long without work, so an
# idle process holds none (and a test database can be dropped).
IDLE_CLOSE_SECONDS = 2.0
EXIT_FLUSH_SECONDS = 10.0
# An item waits this long before it is written, so that the caller's next statement
# (the next call's pending row, in a loop of calls) is not queued behind its commit;
# items that arrive meanwhile share one write (one transaction, one WAL flush).
LINGER_SECONDS = 0.005
MAX_BATCH = 200


class BackgroundWriter[T]:
    """A queue of items and the daemon thread that writes them, in order, in batches.

    ``write`` takes a batch; if it raises, each item of the batch is written alone and a
    failure is logged as ``failure % label(item)``.
    """

    def __init__(
        self,
        write: Callable[[list[T]], None],
        *,
        name: str = "background-writer",
        failure: str = "could not write %r",
        label: Callable[[T], object] = repr,
        max_queued: int = MAX_QUEUED,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self._write = write
        self._name = name
        self._failure = failure
        self._label = label
        self._max_queued = max_queued
        self._linger = linger
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # Also the state of a forked child: the parent's thread and queue are not its own.
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._hurry = threading.Event()  # set by flush and stop: no more lingering
        self._queue: queue.SimpleQueue[tuple[float, T] | None] = queue.SimpleQueue()
        self._unwritten = 0
        self._thread: threading.Thread | None = None

    def submit(self, item: T) -> None:
        """Queue ``item`` (or write it here when the queue is full)."""
        with self._lock:
            queued = self._unwritten < self._max_queued
            if queued:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run,
                        args=(self._queue,),
                        name=self._name,
                        daemon=True,
                    )
                    self._thread.start()
                self._unwritten += 1
                self._queue.put((time.monotonic(), item))
        if not queued:
            self._write_batch([item])

    def flush(self, timeout: float = EXIT_FLUSH_SECONDS) -> bool:
        """Wait until every item submitted so far is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._done:
            if self._unwritten:
                self._hurry.set()
            while self._unwritten:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done.wait(remaining)
        return True

    def stop(self, timeout: float = EXIT_FLUSH_SECONDS) -> bool:
        """Write out the queue, then end the thread (a new one starts on the next submit)."""
        written = self.flush(timeout)
        with self._lock:
            thread, old_queue = self._thread, self._queue
            self._thread, self._queue = None, queue.SimpleQueue()
        if thread is not None:
            old_queue.put(None)  # after anything queued meanwhile: FIFO
            thread.join(timeout)
        return written

    @property
    def queued(self) -> int:
        """Items submitted and not yet written."""
        return self._unwritten

    def _run(self, own_queue: queue.SimpleQueue[tuple[float, T] | None]) -> None:
        try:
            while True:
                try:
                    item = own_queue.get(timeout=IDLE_CLOSE_SECONDS)
                except queue.Empty:
                    connections.close_all()  # this thread's connections only
                    continue
                if item is None:
                    return
                submitted, first = item
                wait = submitted + self._linger - time.monotonic()
                if wait > 0:
                    self._hurry.wait(wait)
                batch, stop = [first], False
                while len(batch) < MAX_BATCH:
                    try:
                        more = own_queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batch.append(more[1])
                self._write_batch(batch)
                with self._done:
                    self._unwritten -= len(batch)
                    if not self._unwritten:
                        self._hurry.clear()
                        self._done.notify_all()
                if stop:
                    return
        finally:
            connections.close_all()

    def _write_batch(self, batch: list[T]) -> None:
        """One write for the batch; if it fails, each item alone (one bad item, or a
        connection broken since the last write, loses nothing else)."""
        try:
            self._write(batch)
            return
        except Exception:  # retried item by item below, where each failure is logged
            close_old_connections()  # replaces a connection that broke (a database restart)
        for item in batch:
            try:
                self._write([item])
            except Exception:  # the writer must outlive any one bad item
                logger.exception(self._failure, self._label(item))
