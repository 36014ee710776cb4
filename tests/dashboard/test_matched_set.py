"""A matched set's local sorts and searches, and how many users a process keeps decoded."""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from dashboard.selectors.matched_set import MatchedSet, UserFilter
from technowiz.types import User

SORTS = ("last_active", "-last_active", "name", "-name")


def _people(count: int, seed: int) -> tuple[User, ...]:
    rng = random.Random(seed)
    names = [
        "Asha",
        "asha",
        "Ömer",
        "Zoë",
        "",
        None,
        "Kiran Shah",
        "李雷",
        "Ravi",
        "Nu\x00ll",
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return tuple(
        User(
            user_id=f"u{i:05d}",
            name=rng.choice(names),
            channel="whatsapp",
            phone=f"+91 98{i:08d}" if rng.random() < 0.8 else None,
            email=None,
            created_at=None,
            # Ties in time (and missing times) on purpose: the user id breaks them.
            last_active_at=rng.choice([None, start + timedelta(hours=rng.randrange(50))]),
            attributes=MappingProxyType({}),
        )
        for i in rng.sample(range(count * 3), count)
    )


def _expected_order(users: tuple[User, ...], sort: str) -> tuple[User, ...]:
    """Named users by name (then id), the unnamed last in either direction; or by time."""
    if sort.endswith("name"):
        named = sorted((u for u in users if u.name), key=lambda u: (u.name.casefold(), u.user_id))
        if sort == "-name":
            named.reverse()
        return (*named, *(u for u in users if not u.name))
    epoch = datetime.min.replace(tzinfo=UTC)
    newest = sorted(users, key=lambda u: (u.last_active_at or epoch, u.user_id), reverse=True)
    return tuple(newest) if sort == "last_active" else tuple(reversed(newest))


@pytest.mark.parametrize("seed", range(5))
def test_every_sort_and_search_gives_the_users_in_order(seed):
    users = _people(400, seed)
    matched = MatchedSet(UserFilter("feedback", ("1",)), users, fetched_at=0.0)
    for sort in random.Random(seed).sample(SORTS, len(SORTS)):
        expected = _expected_order(users, sort)
        assert matched.ordered(sort) == expected
        # Rare and common needles, ones across fields, and a NUL (a name may hold it).
        needles = (
            "asha",
            "98000",
            "u0001",
            "ö",
            "\n",
            "zz-none",
            "a",
            "u",
            "h\n+",
            "\x00",
            "u\x00l",
        )
        for needle in needles:
            hits = tuple(
                u
                for u in expected
                if needle in f"{u.name or ''}\n{u.phone or ''}\n{u.user_id}".casefold()
            )
            assert matched.search(sort, needle) == hits, (sort, needle)


def test_a_user_whose_text_holds_the_search_several_times_is_found_once():
    users = list(_people(80, 7))
    users[10] = replace(users[10], name="Lulu Lu", phone="+91 lu lu")
    users[50] = replace(users[50], name="lu")
    matched = MatchedSet(UserFilter("city", ("Goa",)), tuple(users), fetched_at=0.0)
    ordered = matched.ordered("last_active")
    expected = tuple(u for u in ordered if u.user_id in (users[10].user_id, users[50].user_id))
    assert matched.search("last_active", "lu") == expected


def test_a_process_keeps_its_sets_within_a_memory_budget(monkeypatch, settings):
    from dashboard.selectors import users as selectors

    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    sets = [
        MatchedSet(UserFilter("city", (name,)), _people(size, seed), fetched_at=0.0)
        for seed, (name, size) in enumerate([("Goa", 200), ("Pune", 250), ("Agra", 300)])
    ]
    budget = sets[1].approx_bytes + sets[2].approx_bytes - 1
    settings.USERS_MEMORY_MB = budget / 1024 / 1024
    selectors._remember(sets[0])
    selectors._remember(sets[1])
    assert list(selectors._local) == [sets[0].filter.cache_key, sets[1].filter.cache_key]
    selectors._remember(sets[2])
    # The three are over the budget, and so are the two newest: only the newest stays.
    assert list(selectors._local) == [sets[2].filter.cache_key]
    big = MatchedSet(UserFilter("city", ("Delhi",)), _people(2000, 9), fetched_at=0.0)
    assert big.approx_bytes > budget
    selectors._remember(big)  # bigger than the whole budget: kept alone, for its next pages
    assert list(selectors._local) == [big.filter.cache_key]


@pytest.mark.django_db
def test_a_set_is_decoded_after_the_kept_ones_made_room_and_a_held_one_is_shared(
    monkeypatch, settings
):
    """With room for one list, the kept list is dropped before a second is decoded; a list
    a request still holds is shared with the next request, not decoded a second time."""
    from dashboard.selectors import users as selectors

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    goa, pune = UserFilter("city", ("Goa",)), UserFilter("city", ("Pune",))
    size = MatchedSet(goa, _people(300, 1), fetched_at=1.0).approx_bytes
    settings.USERS_MEMORY_MB = 1.5 * size / 1024 / 1024  # room for one of the two
    held = selectors.users_keep(user_filter=goa, users=_people(300, 1), fetched_at=1.0)
    selectors.users_keep(user_filter=pune, users=_people(300, 2), fetched_at=1.0)
    assert list(selectors._local) == [pune.cache_key]  # Goa is held by "a request" only

    kept_when_decoding = []
    decode = selectors._decode
    monkeypatch.setattr(
        selectors,
        "_decode",
        lambda chunks: kept_when_decoding.append(list(selectors._local)) or decode(chunks),
    )
    assert selectors.users_cached(user_filter=goa) is held  # shared: nothing decoded
    assert kept_when_decoding == []
    del held
    selectors._local.clear()
    selectors._alive.clear()
    selectors.users_cached(user_filter=goa)
    selectors.users_cached(user_filter=pune)
    assert kept_when_decoding == [[], []]  # Goa was dropped before Pune was decoded
    assert list(selectors._local) == [pune.cache_key]


def _measured(raw: list[dict]) -> tuple[int, int]:
    """(bytes tracemalloc measures for a kept set built from ``raw``, its estimate)."""
    import gc
    import json
    import tracemalloc

    from technowiz.parsing import parse_users

    text = json.dumps(raw)
    tracemalloc.start()
    try:
        users = tuple(parse_users(json.loads(text)))
        matched = MatchedSet(UserFilter("f", ("x",)), users, fetched_at=0.0)
        for sort in SORTS:
            matched.search(sort, "zz")
        gc.collect()
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return used, matched.approx_bytes


@pytest.mark.parametrize("attributes", [0, 5, 15])
def test_the_memory_estimate_holds_what_a_set_really_takes(attributes):
    rng = random.Random(attributes)
    raw = [
        {
            "user_id": f"u{i}",
            "name": "N" * rng.randint(5, 60),
            "channel": "whatsapp",
            "phone_no": f"+9198{i:08d}",
            "email": None,
            "created_at": 1761955200000,
            "last_active_at": 1761955200000 + i,
            "attributes": {f"a{j}": "v" * rng.randint(1, 40) for j in range(attributes)},
        }
        for i in range(5000)
    ]
    used, estimate = _measured(raw)
    assert used <= estimate <= 1.6 * used, (used, estimate)


def test_the_memory_estimate_holds_for_the_sandbox_users():
    from technowiz.sandbox.data import SandboxData

    used, estimate = _measured(list(SandboxData.build().users))
    assert used <= estimate <= 1.6 * used, (used, estimate)


@pytest.mark.django_db
def test_the_database_cache_holds_a_bounded_number_of_entries():
    """Expired lists are deleted once the table passes MAX_ENTRIES: it cannot grow without
    bound (an operator saw a 171 MB SQLite file of cached lists)."""
    from django.core.cache import cache
    from django.db import connection

    for number in range(150):
        cache.set(f"users:set:{number}", "x" * 1000, 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM dashboard_cache")
        assert cursor.fetchone()[0] <= 61


@pytest.mark.django_db
def test_a_process_decodes_one_set_at_a_time_and_once_for_everyone(monkeypatch, settings):
    """Eight requests for two sets kept only in the shared cache: each set is decoded once
    (the requests for it share that copy) and never two decodes at once, because each
    decode holds about 1 KB a user while it runs (BENCHMARKS.md, memory of a web process)."""
    import threading
    import time

    from dashboard.selectors import users as selectors

    # A cache the request threads share without a database connection of their own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(selectors, "_local", type(selectors._local)())
    filters = [UserFilter("city", ("Goa",)), UserFilter("city", ("Pune",))]
    for seed, user_filter in enumerate(filters):
        selectors.users_keep(user_filter=user_filter, users=_people(300, seed), fetched_at=1.0)
    selectors._local.clear()  # as another process would find them: in the shared cache only

    decode = selectors._decode
    running, most, decoded = [0], [0], []
    count_lock = threading.Lock()

    def watched_decode(chunks):
        with count_lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for every other request to arrive meanwhile
        try:
            users = decode(chunks)
            decoded.append(users[0].user_id)
            return users
        finally:
            with count_lock:
                running[0] -= 1

    monkeypatch.setattr(selectors, "_decode", watched_decode)
    results = [None] * 8

    def ask(index):
        results[index] = selectors.users_cached(user_filter=filters[index % 2])

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert len(decoded) == 2
    assert all(results[i] is results[i % 2] for i in range(8))
    assert [len(results[i].users) for i in (0, 1)] == [300, 300]
