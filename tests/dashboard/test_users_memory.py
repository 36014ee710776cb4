"""What a web process still holds of the lists it served when it fetches the next one.

bench/memory.py measures the worker's memory under load (BENCHMARKS.md); these tests pin
the rules that keep it bounded: nothing but room for the new list is kept while a list
is fetched, and a list a finished page showed is really gone by then.
"""

import gc
import json
import weakref
from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context

from dashboard.selectors import users as selectors
from dashboard.selectors.matched_set import UserFilter
from technowiz.types import User

pytestmark = pytest.mark.django_db

ONE_STAR = "/users/?attribute=feedback&value=1"
TWO_STARS = "/users/?attribute=feedback&value=2"


@pytest.fixture
def kept_at_fetch(monkeypatch):
    """Before each platform call for a list: which lists the process kept (their
    values) and which of ``watched`` were still in memory."""
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    seen: list[tuple[list[tuple[str, ...]], list[bool]]] = []
    watched: list[weakref.ref] = []
    calls = selectors._calls

    def watching(user_filter):
        kept = [m.filter.values for m in selectors._local.values()]
        seen.append((kept, [ref() is not None for ref in watched]))
        return calls(user_filter)

    monkeypatch.setattr(selectors, "_calls", watching)
    return seen, watched


@pytest.fixture
def no_automatic_collection():
    """The cyclic garbage collector runs only when asked, as in a process whose many
    long-lived objects make full collections rare."""
    gc.disable()
    yield
    gc.enable()


def test_a_list_a_finished_page_showed_is_gone_before_the_next_list_is_fetched(
    agent_client, sandbox, settings, kept_at_fetch, no_automatic_collection
):
    """A page's template context is a reference cycle: without a collection, the list the
    page showed stayed in memory, dropped or not, while the next list was fetched."""
    seen, watched = kept_at_fetch
    response = agent_client.get(ONE_STAR)
    assert response.status_code == 200
    del response
    watched.append(weakref.ref(selectors._alive[UserFilter("feedback", ("1",)).cache_key]))
    settings.USERS_MEMORY_MB = 0.01  # no room for both lists
    assert agent_client.get(TWO_STARS).status_code == 200
    assert seen[-1] == ([], [False])


def test_a_finished_page_leaves_nothing_holding_its_list(
    agent_client, sandbox, kept_at_fetch, no_automatic_collection
):
    """Its template context (a reference cycle) holds what the page says of the list,
    not the list: once the process drops it, it is gone without a collection."""
    response = agent_client.get(ONE_STAR)
    assert "match feedback = “1”" in response.content.decode()
    del response
    gone = weakref.ref(selectors._alive[UserFilter("feedback", ("1",)).cache_key])
    selectors._local.clear()
    assert gone() is None


def test_a_list_never_fetched_before_gets_all_the_room(
    agent_client, sandbox, settings, kept_at_fetch
):
    """Its size is not known until it arrives: the kept lists go first, as if it filled
    ``USERS_MEMORY_MB``; a list fetched before makes room for its last size only."""
    seen, _ = kept_at_fetch
    settings.USERS_MEMORY_MB = 50  # room for both lists of the small sandbox
    assert agent_client.get(ONE_STAR).status_code == 200
    assert agent_client.get(TWO_STARS).status_code == 200
    assert agent_client.get(ONE_STAR + "&refresh=1").status_code == 200
    assert [kept for kept, _ in seen] == [[], [], [("2",)]]


def test_a_refresh_drops_the_old_copy_of_the_list_before_fetching_it(
    agent_client, sandbox, settings, kept_at_fetch
):
    seen, _ = kept_at_fetch
    settings.USERS_MEMORY_MB = 50
    assert agent_client.get(ONE_STAR).status_code == 200
    assert list(selectors._local) == [UserFilter("feedback", ("1",)).cache_key]
    assert agent_client.get(ONE_STAR + "&refresh=1").status_code == 200
    assert seen[-1][0] == []
    assert list(selectors._local) == [UserFilter("feedback", ("1",)).cache_key]


def test_a_list_a_page_still_shows_is_shared_but_not_kept_again(settings, monkeypatch):
    """Dropped to make room while a page still showed it: the next request for it shares
    that copy, and the process does not keep it again (it would outlive the room made)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    goa, pune = UserFilter("city", ("Goa",)), UserFilter("city", ("Pune",))
    held = selectors.users_keep(user_filter=goa, users=_people(300, "goa"), fetched_at=1.0)
    settings.USERS_MEMORY_MB = held.approx_bytes * 1.5 / 1024 / 1024  # room for one
    selectors.users_keep(user_filter=pune, users=_people(300, "pune"), fetched_at=1.0)
    assert list(selectors._local) == [pune.cache_key]
    assert selectors.users_cached(user_filter=goa) is held
    assert list(selectors._local) == [pune.cache_key]


def test_what_finished_pages_left_is_collected_before_an_answer_is_parsed(
    settings, monkeypatch, no_automatic_collection
):
    """A page that ends while a list's request is on its way leaves its set to the garbage
    collector (its template context is a cycle); the answer is parsed after it is gone."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    goa = UserFilter("city", ("Goa",))
    shown = selectors.users_keep(user_filter=goa, users=_people(300, "goa"), fetched_at=1.0)
    context = Context({"matched": shown})
    context.push(page=1)  # a ContextDict refers to its Context, which lists it: a cycle
    gone = weakref.ref(shown)
    del shown, context
    selectors._local.clear()  # dropped when the request for the next list began
    (call,) = selectors._calls(UserFilter("city", ("Pune",)))
    body = json.dumps({"responseObject": {"users": [{"user_id": "p1", "channel": "web"}]}})
    assert gone() is not None  # still in memory, as the page left it
    decoded = call.decode(body.encode())
    assert gone() is None
    assert [u.user_id for u in decoded["responseObject"]["users"]] == ["p1"]


def _people(count: int, seed: str) -> tuple[User, ...]:
    return tuple(
        User(
            user_id=f"{seed}-{index}",
            name=f"Person {index}",
            channel="whatsapp",
            phone=None,
            email=None,
            created_at=None,
            last_active_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index),
        )
        for index in range(count)
    )


def test_a_request_that_waited_while_a_newer_list_came_takes_the_newer_one(settings, monkeypatch):
    """It read the list's stamp, then waited for the process's one fetch or decode at a
    time; meanwhile a refresh stored a newer list. It takes that one: taking the list for
    missing sent the page to the platform again (6 extra calls in a run of
    bench/memory.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    goa = UserFilter("city", ("Goa",))
    selectors.users_keep(user_filter=goa, users=_people(30, "old"), fetched_at=1.0)
    selectors._local.clear()
    make_room = selectors._make_room

    def refreshed_meanwhile(size, *, replacing=()):
        selectors.users_keep(user_filter=goa, users=_people(40, "new"), fetched_at=2.0)
        selectors._local.clear()
        make_room(size, replacing=replacing)

    monkeypatch.setattr(selectors, "_make_room", refreshed_meanwhile)
    found = selectors.users_cached(user_filter=goa)
    assert found is not None and found.fetched_at == 2.0 and len(found.users) == 40
