"""Reads about the platform's users: matched sets, fetched once and kept.

A matched set (every user matching an attribute filter) comes from the platform in one
call per value, with no paging: possibly tens of thousands of users. It is kept in the
shared cache (every process sees it) for ``USERS_CACHE_SECONDS``, written by the request
that fetched it. Each process also keeps the decoded sets it served last, because
unpickling a big set on every page would be slower than a person waits for a page
(BENCHMARKS.md); paging, sorting and searching then cost no platform call.

Memory: a process fetches or decodes one set at a time (``_list_work``), first dropping
its old copy and the kept sets, oldest first, until the new one fits ``USERS_MEMORY_MB``
with the sets still kept (a set never fetched may be as big as the budget); a request for
a set another request holds shares that copy. Eight threads each decoding a 200,000-user
list took a worker past 2 GB (BENCHMARKS.md). The work is CPU-bound under one GIL, so
one at a time costs the process little throughput.
"""

import gc
import pickle
import threading
import time
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any, BinaryIO

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from dashboard.selectors.matched_set import (
    SORTS,
    MatchedSet,
    UserFilter,
    UsersPage,
    sort_users,
    users_page,
)
from technowiz.client import Call, get_client
from technowiz.errors import TechnowizError
from technowiz.types import User
from technowiz.users_body import body_size, decode_users_body

__all__ = [
    "SORTS",
    "MatchedSet",
    "UserFilter",
    "UsersPage",
    "attribute_names_seen",
    "users_cached",
    "users_export_rows",
    "users_keep",
    "users_matching",
    "users_matching_each",
    "users_page",
    "users_with_each",
]

ATTRIBUTE_NAMES_KEY = "users:attribute-names"
_LOCAL_SLOTS = 8
FETCH_WAIT_STEP = 0.1  # seconds between looks while another request fetches the set
_pause = time.sleep  # tests replace it to play "the other request"

_local_lock = threading.Lock()  # guards _local
_local: OrderedDict[str, MatchedSet] = OrderedDict()  # kept for the next pages, oldest first
_alive: weakref.WeakValueDictionary[str, MatchedSet] = weakref.WeakValueDictionary()
_list_work = threading.Lock()  # one fetch or decode of a set at a time in this process
_CHUNK = 5000  # users a pickled chunk of the shared cache's copy holds


def users_cached(*, user_filter: UserFilter) -> MatchedSet | None:
    """The matched set if this process or the shared cache holds it; never asks the platform."""
    key = user_filter.cache_key
    stamp = cache.get(f"{key}:at")
    if stamp is None:
        return None
    fetched_at, size = stamp
    found = _in_process(key, fetched_at)
    if found is not None:
        return found
    with _list_work:
        found = _in_process(key, fetched_at)  # decoded by the request we waited for
        if found is not None:
            return found
        _make_room(size, replacing=[user_filter])
        stored = cache.get(key)
        # A newer set than the stamp said will do: one fetched while this request waited
        # for the lock (taking it for missing sent the request to the platform again).
        if stored is not None and stored[0] >= fetched_at:
            return _remember(MatchedSet(user_filter, _decode(stored[1]), stored[0]))
    return None


def _in_process(key: str, fetched_at: float) -> MatchedSet | None:
    """The set if this process keeps it or a request holds it, as new as ``fetched_at``.

    A set a request holds but the process no longer keeps is shared, not kept again: it
    was dropped to make room for another.
    """
    with _local_lock:
        found = _local.get(key) or _alive.get(key)
        if found is None or found.fetched_at < fetched_at:
            return None
        if key in _local:
            _local.move_to_end(key)
        return found


def _make_room(size: int, *, replacing: Sequence[UserFilter] = ()) -> None:
    """Before a set of about ``size`` bytes is fetched or decoded: drop the kept copies of
    the sets it replaces (``replacing``), then kept sets, oldest first, until it fits
    ``USERS_MEMORY_MB`` with the ones still kept.

    A page's template context is a reference cycle (Django's ``ContextDict`` and its
    ``Context``), so a set a finished page showed stays in memory until the cyclic
    garbage collector runs, which a process holding many objects seldom does: a dropped
    200,000-user set outlived its pages that way (BENCHMARKS.md). When a set no longer
    kept is still in memory, collect.
    """
    budget = settings.USERS_MEMORY_MB * 1024 * 1024
    with _local_lock:
        for user_filter in replacing:
            _local.pop(user_filter.cache_key, None)
        while _local and sum(m.approx_bytes for m in _local.values()) + size > budget:
            _local.popitem(last=False)
        lingering = len(_alive) > len(_local)
    if lingering:
        gc.collect()


def users_matching(*, user_filter: UserFilter, refresh: bool = False) -> MatchedSet:
    """The matched set for ``user_filter``: from this process, the shared cache, or the platform.

    When the set must be fetched, one request fetches it and the others asking for the
    same filter meanwhile (any process) wait for its result instead of asking the
    platform too. Raises ``TechnowizError`` when the fetch fails.
    """
    asked_at = time.time()
    cached = None if refresh else users_cached(user_filter=user_filter)
    if cached is not None:
        return cached
    lock_key = f"{user_filter.cache_key}:fetching"
    budget = settings.TECHNOWIZ_CONNECT_TIMEOUT + settings.TECHNOWIZ_READ_TIMEOUT + 5
    deadline = time.monotonic() + budget
    while not cache.add(lock_key, 1, timeout=int(budget) + 1):
        # Another request is fetching (a refresh too): wait for its result. A refresh
        # takes only a set fetched after it was asked for.
        _pause(FETCH_WAIT_STEP)
        cached = users_cached(user_filter=user_filter)
        if cached is not None and (not refresh or cached.fetched_at >= asked_at):
            return cached
        if time.monotonic() > deadline:
            break  # the fetcher died or failed: ask ourselves
    try:
        return _fetch(user_filter)
    finally:
        cache.delete(lock_key)


def users_matching_each(filters: Sequence[UserFilter]) -> list[MatchedSet]:
    """The set of each filter; the ones not cached are asked for together (one latency).

    Raises the first ``TechnowizError`` once every set that could be fetched is kept.
    """
    sets = [users_cached(user_filter=f) for f in filters]
    missing = [f for f, found in zip(filters, sets, strict=True) if found is None]
    if not missing:
        return sets
    fetched: dict[UserFilter, MatchedSet | TechnowizError] = {}
    with _list_work:
        _make_room(sum(_size_seen(f) for f in missing), replacing=missing)
        answers = iter(get_client().gather([call for f in missing for call in _calls(f)]))
        for user_filter in missing:
            try:
                own = [next(answers) for _ in user_filter.values]
                fetched[user_filter] = _keep_answers(user_filter, own)
            except TechnowizError as error:
                fetched[user_filter] = error
    for user_filter in missing:
        if isinstance(fetched[user_filter], TechnowizError):
            raise fetched[user_filter]
    return [found or fetched[f] for f, found in zip(filters, sets, strict=True)]


def users_with_each[T](
    filters: Sequence[UserFilter], call: Call[T]
) -> tuple[T | TechnowizError, list[MatchedSet | None]]:
    """``call``'s answer (or error) and the set of each filter (None where it could not
    be fetched); the sets not cached are asked for together with the call."""
    sets = [users_cached(user_filter=f) for f in filters]
    missing = [f for f, found in zip(filters, sets, strict=True) if found is None]
    if not missing:
        return get_client().gather([call])[0], list(sets)
    fetched: dict[UserFilter, MatchedSet | None] = {}
    with _list_work:
        _make_room(sum(_size_seen(f) for f in missing), replacing=missing)
        answer, *lists = get_client().gather([call, *(c for f in missing for c in _calls(f))])
        answers = iter(lists)
        for user_filter in missing:
            own = [next(answers) for _ in user_filter.values]
            try:
                fetched[user_filter] = _keep_answers(user_filter, own)
            except TechnowizError:
                fetched[user_filter] = None
    return answer, [found or fetched[f] for f, found in zip(filters, sets, strict=True)]


def _size_seen(user_filter: UserFilter) -> int:
    """The estimated bytes of the set when it was last fetched; when never (or expired),
    all of ``USERS_MEMORY_MB``, as it may be as big as anything kept."""
    stamp = cache.get(f"{user_filter.cache_key}:at")
    return settings.USERS_MEMORY_MB * 1024 * 1024 if stamp is None else stamp[1]


def _calls(user_filter: UserFilter) -> list[Call[list[User]]]:
    client = get_client()
    return [
        replace(client.users_call(user_filter.attribute, value), decode=_decode_with_room)
        for value in user_filter.values
    ]


def _decode_with_room(content: bytes | BinaryIO) -> Any:
    """An answer's body, parsed once the process has made room for its users (about
    three times its bytes): pages that ended while the request was on its way may have
    left their sets to the garbage collector (``_make_room``)."""
    _make_room(3 * body_size(content))
    return decode_users_body(content)


def _fetch(user_filter: UserFilter) -> MatchedSet:
    """One platform call per value, all at once, and the set kept."""
    with _list_work:
        _make_room(_size_seen(user_filter), replacing=[user_filter])
        return _keep_answers(user_filter, get_client().gather(_calls(user_filter)))


def _keep_answers(user_filter: UserFilter, answers: list[Any]) -> MatchedSet:
    """The union of the answers (each user once, newest first), kept; or the first error."""
    seen: dict[str, User] = {}
    for answer in answers:
        if isinstance(answer, TechnowizError):
            raise answer
        for user in answer:
            seen.setdefault(user.user_id, user)
    return users_keep(user_filter=user_filter, users=list(seen.values()), fetched_at=time.time())


def users_keep(*, user_filter: UserFilter, users: Sequence[User], fetched_at: float) -> MatchedSet:
    """Keep a fetched set in this process and in the shared cache (one commit on the
    database cache: the set, its stamp and the attribute names seen)."""
    matched = MatchedSet(user_filter, sort_users(users, "last_active"), fetched_at)
    key = user_filter.cache_key
    timeout = settings.USERS_CACHE_SECONDS
    with transaction.atomic():
        cache.set(key, (fetched_at, _encode(matched.users)), timeout)
        cache.set(f"{key}:at", (fetched_at, matched.approx_bytes), timeout)
        _attribute_names_remember(matched.users)
    return _remember(matched)


def _remember(matched: MatchedSet) -> MatchedSet:
    """Keep ``matched`` for the next pages: the newest set is always kept (even one bigger
    than ``USERS_MEMORY_MB``: its pages need not decode it again), older ones only while
    all kept fit the budget."""
    key = matched.filter.cache_key
    budget = settings.USERS_MEMORY_MB * 1024 * 1024
    with _local_lock:
        _alive[key] = matched
        _local.pop(key, None)
        _local[key] = matched
        while len(_local) > 1 and (
            len(_local) > _LOCAL_SLOTS or sum(m.approx_bytes for m in _local.values()) > budget
        ):
            _local.popitem(last=False)
    return matched


def _encode(users: Sequence[User]) -> list[bytes]:
    """What the shared cache keeps: chunks of plain tuples with epoch-ms times, each
    pickled and compressed.

    A chunk at a time, so that only one chunk's tuples exist at once besides the users
    (the whole list as tuples took 78 MB for 200,000 users). Compressed (zlib's fastest
    level: 19 MB of pickles became 7 MB in 0.2 s for 200,000 users), because the cache
    backend copies the value a few times as it stores it (pickled again, base64 for the
    database cache) while the new set is also in memory.
    """
    return [
        zlib.compress(
            pickle.dumps(
                [
                    (
                        u.user_id,
                        u.name,
                        u.channel,
                        u.phone,
                        u.email,
                        _ms(u.created_at),
                        _ms(u.last_active_at),
                        dict(u.attributes),
                    )
                    for u in users[start : start + _CHUNK]
                ],
                pickle.HIGHEST_PROTOCOL,
            ),
            1,
        )
        for start in range(0, len(users), _CHUNK)
    ]


def _decode(chunks: Sequence[bytes]) -> tuple[User, ...]:
    return tuple(
        User(
            user_id=r[0],
            name=r[1],
            channel=r[2],
            phone=r[3],
            email=r[4],
            created_at=_time(r[5]),
            last_active_at=_time(r[6]),
            attributes=MappingProxyType(r[7]),
        )
        for chunk in chunks
        # written by _encode, read from our own cache
        for r in pickle.loads(zlib.decompress(chunk))  # noqa: S301
    )


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _attribute_names_remember(users: Sequence[User]) -> None:
    names = set(cache.get(ATTRIBUTE_NAMES_KEY) or ())
    before = len(names)
    for user in users[:2000]:
        names.update(user.attributes)
    if len(names) != before:
        cache.set(ATTRIBUTE_NAMES_KEY, sorted(names)[:200], 30 * 24 * 3600)


def attribute_names_seen() -> list[str]:
    """Attribute names seen in earlier results, for the filter's suggestions."""
    names = set(cache.get(ATTRIBUTE_NAMES_KEY) or ())
    names.add(settings.TECHNOWIZ_RATING_ATTRIBUTE)
    return sorted(names)


def users_export_rows(
    matched: MatchedSet, users: Sequence[User], *, tz: tzinfo
) -> tuple[list[str], Iterator[list[object]]]:
    """The CSV header and rows of ``users`` (some of ``matched``): one column per attribute
    any of them has. The rows hold ``matched`` until the last is read, so that the set
    counts as alive in the process while a download streams (``_make_room``)."""
    names = sorted({name for user in users for name in user.attributes})
    header = ["user_id", "name", "channel", "phone", "email", "last_active", *names]

    def rows(holding: MatchedSet = matched) -> Iterator[list[object]]:
        for u in users:
            yield [
                u.user_id,
                u.name,
                u.channel,
                u.phone,
                u.email,
                u.last_active_at.astimezone(tz).isoformat() if u.last_active_at else "",
                *(u.attributes.get(n, "") for n in names),
            ]

    return header, rows()
