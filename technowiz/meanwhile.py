"""Work done on the calling thread while a platform call is in flight.

A page spends most of its time waiting for the platform (100 ms and more); the work
that does not need the answer (the page's frame, the person's selection, a second
platform call) can be done during that wait instead of after it. The client takes a
``meanwhile`` callable: it writes the attempt's audit row and passes the breaker on the
calling thread, as always, hands only the wire exchange (limiter slot, send, read; no
database, no audit) to a small pool of threads, runs ``meanwhile`` on the calling
thread, then waits for the answer and interprets and audits it on the calling thread.

``meanwhile`` runs exactly once, whatever happens to the call: during the exchange
when there is one, otherwise (an answer from a cache, a refused call, a full pool)
before the caller gets its result or error. An exception it raises is raised to the
caller once the call has been completed and audited, so it never leaves a row pending.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any


class Meanwhile:
    """A callable run at most once; its exception is kept until :meth:`reraise`."""

    __slots__ = ("_error", "_work")

    def __init__(self, work: Callable[[], object] | None) -> None:
        self._work = work
        self._error: BaseException | None = None

    @property
    def pending(self) -> bool:
        return self._work is not None

    def run(self) -> None:
        work, self._work = self._work, None
        if work is None:
            return
        try:
            work()
        except BaseException as exc:  # kept: raised by reraise(), after the audit
            self._error = exc

    def reraise(self) -> None:
        """Run the work if it has not run yet, then raise what it raised, if anything."""
        self.run()
        error, self._error = self._error, None
        if error is not None:
            raise error


def run_meanwhile(work: Callable[[], object] | None) -> None:
    """Run ``meanwhile`` now: for a caller that turns out to need no platform call."""
    if work is not None:
        work()


def in_flight_together[T](
    steps: Sequence[Callable[..., T]], meanwhile: Callable[[], object] | None = None
) -> list[T]:
    """Run ``steps`` (each takes ``meanwhile=``) each as the previous one's meanwhile, so
    that the platform calls they make are in flight together; their results, in order.

    ``meanwhile`` is the last one's (run exactly once, like any other). A step that
    fails fails the whole, once every call already sent is audited.
    """
    results: list[T] = []

    def run(index: int) -> None:
        then = partial(run, index + 1) if index + 1 < len(steps) else meanwhile
        results.append(steps[index](meanwhile=then))  # the last step's first: reversed below

    if not steps:
        run_meanwhile(meanwhile)
        return []
    run(0)
    return results[::-1]


# What httpcore tells a request's ``trace`` extension once the whole request is sent
# (the in-process sandbox's transport says it too).
SENT_EVENT = "http11.send_request_body.complete"


def sent_tracer(sent: threading.Event) -> Callable[[str, object], None]:
    """A ``trace`` extension for httpx that sets ``sent`` once the request is out."""

    def trace(event: str, info: object) -> None:
        if event == SENT_EVENT:
            sent.set()

    return trace


class ExchangePool:
    """A few threads that do wire exchanges for callers busy with their ``meanwhile``.

    Never queues: :meth:`submit` answers ``None`` when every thread is busy, and the
    caller then does its exchange itself (and its ``meanwhile`` afterwards). A forked
    child builds its own threads.
    """

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._lock = threading.Lock()
        self._pid = -1
        self._executor: ThreadPoolExecutor | None = None
        self._free = threading.BoundedSemaphore(self.size)

    def _ready(self) -> ThreadPoolExecutor:
        if self._pid != os.getpid() or self._executor is None:
            with self._lock:
                if self._pid != os.getpid() or self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self.size, thread_name_prefix="technowiz-exchange"
                    )
                    self._free = threading.BoundedSemaphore(self.size)
                    self._pid = os.getpid()
        return self._executor

    def submit(self, exchange: Callable[[], Any]) -> Future | None:
        executor = self._ready()
        free = self._free
        if not free.acquire(blocking=False):
            return None
        try:
            future = executor.submit(exchange)
        except RuntimeError:  # the interpreter is shutting down
            free.release()
            return None
        future.add_done_callback(lambda _: free.release())
        return future

    def close(self) -> None:
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.shutdown(wait=True)
            self._executor = None
