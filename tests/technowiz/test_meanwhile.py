"""Work done while a call is in flight: it runs once, while the platform works, and never
leaves the call unaudited, whatever happens to the call or to the work."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from technowiz.client import TechnowizClient
from technowiz.errors import InvalidPageNumber, PlatformUnavailable, ServerError
from technowiz.limits import LocalLimiter
from technowiz.meanwhile import ExchangePool

from .conftest import config, fail, ok, rows

pytestmark = pytest.mark.django_db

EMPTY = {"count": 0, "users": []}


class Work:
    """A ``meanwhile`` that counts its runs and can check something or fail."""

    def __init__(self, check=lambda: None, error: Exception | None = None) -> None:
        self.runs = 0
        self.check = check
        self.error = error

    def __call__(self) -> None:
        self.runs += 1
        self.check()
        if self.error is not None:
            raise self.error


def test_it_runs_while_the_platform_works_on_the_request(client, platform):
    done = threading.Event()

    def answer(request):
        # The platform answers only once the work is done: sequential code would hang here.
        assert done.wait(5), "the work did not run while the request was at the platform"
        return ok(EMPTY)

    platform.script.append(answer)
    work = Work(check=lambda: (done.set(), None)[1])
    assert client.users_by_attribute("feedback", "1", meanwhile=work) == []
    assert work.runs == 1
    [row] = rows()
    assert row.outcome == "ok"


def test_it_starts_only_once_the_request_is_out(client, platform):
    seen = []
    work = Work(check=lambda: seen.append(len(platform.requests)))
    client.users_by_attribute("feedback", "1", meanwhile=work)
    assert seen == [1]  # the platform had the request when the work began


def test_its_time_is_not_the_call_s(client, platform):
    """The audit row's duration is the exchange's, not the exchange plus the work."""
    client.users_by_attribute("feedback", "1", meanwhile=lambda: time.sleep(0.3))
    [row] = rows()
    assert row.duration_ms < 250


def test_two_calls_in_flight_at_once(client, platform):
    """A call made as another's work is sent while the first is still at the platform."""
    both = threading.Event()

    def first(request):
        assert both.wait(5), "the second call was not sent while the first was in flight"
        return ok(EMPTY)

    def second(request):
        both.set()
        return ok(EMPTY)

    platform.script += [first, second]
    client.users_by_attribute(
        "feedback", "1", meanwhile=lambda: client.users_by_attribute("feedback", "2")
    )
    first_row, second_row = rows()
    assert second_row.started_at < first_row.finished_at
    assert {first_row.outcome, second_row.outcome} == {"ok"}


def test_it_runs_once_when_the_call_fails(client, platform):
    platform.script.append(fail(1004, "INVALID_PAGE_NUMBER", "past the end"))
    work = Work()
    with pytest.raises(InvalidPageNumber):
        client.conversation("someone", page=9, meanwhile=work)
    assert work.runs == 1


def test_it_runs_once_across_retries(client, platform):
    platform.script += [httpx.Response(503), httpx.Response(503), ok(EMPTY)]
    work = Work()
    assert client.users_by_attribute("feedback", "1", meanwhile=work) == []
    assert work.runs == 1
    assert [row.status for row in rows()] == [503, 503, 200]


def test_it_runs_when_the_call_is_refused_before_it_is_sent(make_client, platform):
    client = make_client(breaker_failures=1, max_retries=0)
    platform.script.append(httpx.Response(500))
    with pytest.raises(ServerError):
        client.users_by_attribute("feedback", "1")
    work = Work()
    with pytest.raises(PlatformUnavailable):
        client.users_by_attribute("feedback", "1", meanwhile=work)
    assert work.runs == 1
    assert len(platform.requests) == 1  # the breaker held the second call back


def test_its_failure_is_raised_once_the_call_is_audited(client, platform):
    work = Work(error=RuntimeError("the page could not be drawn"))
    with pytest.raises(RuntimeError, match="could not be drawn"):
        client.users_by_attribute("feedback", "1", meanwhile=work)
    [row] = rows()
    assert row.outcome == "ok" and row.status == 200  # the call happened, and says so


def test_its_failure_comes_first_when_the_call_fails_too(client, platform):
    platform.script.append(fail(1004, "INVALID_PAGE_NUMBER", "past the end"))
    work = Work(error=RuntimeError("the page could not be drawn"))
    with pytest.raises(RuntimeError):
        client.conversation("someone", page=9, meanwhile=work)
    [row] = rows()
    assert row.outcome == "client_error" and row.platform_code == 1004


def test_a_busy_pool_means_one_after_the_other_still_once(platform):
    pool = ExchangePool(1)
    cfg = config()
    client = TechnowizClient(
        cfg,
        transport=httpx.MockTransport(platform),
        limiter=LocalLimiter(rate=0, concurrency=4),
        pool=pool,
    )
    gate = threading.Event()
    busy = pool.submit(lambda: gate.wait(5))
    try:
        assert pool.submit(lambda: None) is None  # no free thread: it never queues
        work = Work(check=lambda: threading.current_thread() is threading.main_thread())
        assert client.users_by_attribute("feedback", "1", meanwhile=work) == []
        assert work.runs == 1
    finally:
        gate.set()
        busy.result(5)
        client.close()


def test_steps_in_flight_together_answer_in_order_and_run_the_work_once():
    from technowiz.meanwhile import in_flight_together

    order: list[str] = []

    def step(name):
        def run(*, meanwhile):
            order.append(f"{name} sent")
            if meanwhile is not None:
                meanwhile()
            order.append(f"{name} answered")
            return name

        return run

    work = Work(check=lambda: order.append("work"))
    assert in_flight_together([step("a"), step("b"), step("c")], work) == ["a", "b", "c"]
    assert order == ["a sent", "b sent", "c sent", "work"] + [f"{n} answered" for n in "cba"]
    assert work.runs == 1
    empty = Work()
    assert in_flight_together([], empty) == [] and empty.runs == 1
