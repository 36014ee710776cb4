"""A fetched user list reaches the shared cache from the cache writer, just after the
page is answered; until then this process serves it itself and other requests wait for
it instead of fetching it again."""

import threading

import pytest
from django.core.cache import cache
from django.urls import reverse

import dashboard.selectors.users as selectors
from dashboard.selectors.users import UserFilter, cache_writes, users_cached
from technowiz.models import OutboundCall
from tests.conftest import page_html

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

URL = reverse("dashboard:users_list")
ONE_STAR = UserFilter("feedback", ("1",))


@pytest.fixture
def held_writer(settings):
    """The cache writer in its production mode, holding its writes until ``release()``."""
    settings.USERS_CACHE_WRITE = "background"
    cache.clear()
    gate = threading.Event()
    write = cache_writes._write
    cache_writes.stop()

    def held(batch):
        gate.wait(5)
        write(batch)

    cache_writes._write = held
    yield gate.set
    gate.set()
    cache_writes.stop()
    cache_writes._write = write
    cache.clear()


def test_the_page_does_not_wait_for_the_shared_cache(agent_client, sandbox, held_writer):
    key = ONE_STAR.cache_key
    html = page_html(agent_client.get(URL + "?preset=1"))
    assert 'name="user_id"' in html
    assert cache.get(key) is None  # answered before the list was written
    assert cache.get(f"{key}:fetching") == 1  # others wait for this fetch, not fetch again
    calls = OutboundCall.objects.count()
    page_html(agent_client.get(URL + "?preset=1&page=2"))  # this process: its own, at once
    assert OutboundCall.objects.count() == calls
    held_writer()
    assert cache_writes.flush(timeout=5)
    fetched_at, rows = cache.get(key)
    assert cache.get(f"{key}:at") == fetched_at and len(rows) > 0
    assert cache.get(f"{key}:fetching") is None  # let go once written
    assert OutboundCall.objects.count() == 1
    assert selectors._writing == {}


def test_a_refetch_is_served_here_while_it_is_being_written(agent_client, sandbox, held_writer):
    held_writer()
    page_html(agent_client.get(URL + "?preset=1"))
    assert cache_writes.flush(timeout=5)
    before = cache.get(f"{ONE_STAR.cache_key}:at")
    gate, write = threading.Event(), cache_writes._write
    cache_writes._write = lambda batch: (gate.wait(5), write(batch))
    try:
        page_html(agent_client.get(URL + "?preset=1&refresh=1"))
        assert cache.get(f"{ONE_STAR.cache_key}:at") == before  # the shared stamp is older
        assert users_cached(user_filter=ONE_STAR).fetched_at > before  # this process's
        calls = OutboundCall.objects.count()
        page_html(agent_client.get(URL + "?preset=1&page=2"))
        assert OutboundCall.objects.count() == calls
    finally:
        gate.set()
        assert cache_writes.flush(timeout=5)
        cache_writes._write = write
    assert cache.get(f"{ONE_STAR.cache_key}:at") > before


def test_a_failed_write_is_logged_and_lets_go_of_the_fetch_lock(
    agent_client, sandbox, settings, caplog, monkeypatch
):
    settings.USERS_CACHE_WRITE = "background"
    cache.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("the cache is down")

    monkeypatch.setattr(selectors, "_encode", broken)
    page_html(agent_client.get(URL + "?preset=1"))
    assert cache_writes.flush(timeout=5)
    assert "could not keep a user list in the shared cache" in caplog.text
    assert cache.get(f"{ONE_STAR.cache_key}:fetching") is None
    cache_writes.stop()


def test_a_big_list_is_written_by_its_fetch(held_writer):
    """Pickling thousands of users in the writer thread would stall the next pages."""
    import time

    from technowiz.types import User

    users = [
        User(f"u{i}", f"Name {i}", "web", None, None, None, None)
        for i in range(selectors.PREPARE_AHEAD_FROM)
    ]
    big = UserFilter("feedback", ("big",))
    now = time.time()
    selectors.users_keep(user_filter=big, users=users, fetched_at=now)
    fetched_at, rows = cache.get(big.cache_key)  # there already, the writer still held
    assert fetched_at == now and len(rows) == len(users)
    assert cache_writes.queued == 0
