"""Reads about the platform's users: matched sets, fetched once and kept.

A matched set (every user matching an attribute filter) comes from the platform
in one call with no paging, possibly tens of thousands of users. It is kept in
the shared cache (every process sees it) for ``USERS_CACHE_SECONDS``; each
process also keeps the decoded set of the few filters it served last, so paging,
sorting and searching cost no platform call and no decoding.
"""

import atexit
import logging
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import partial
from hashlib import sha256
from itertools import accumulate
from types import MappingProxyType

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from technowiz.background_writer import BackgroundWriter
from technowiz.client import get_client
from technowiz.meanwhile import in_flight_together, run_meanwhile
from technowiz.types import User

SORTS = {
    "last_active": "Last active, newest first",
    "-last_active": "Last active, oldest first",
    "name": "Name, A to Z",
    "-name": "Name, Z to A",
}
logger = logging.getLogger("dashboard.users")

ATTRIBUTE_NAMES_KEY = "users:attribute-names"
_LOCAL_SLOTS = 8
# Users kept decoded in one process across its sets (~1.4 KB each with their orders and
# search text: ~140 MB); the newest set is kept whatever its size.
LOCAL_MAX_USERS = 100_000
# Users in a set from which its fetch also builds its orders and search text and writes it
# to the shared cache itself (users_keep), instead of leaving them for later.
PREPARE_AHEAD_FROM = 5_000
FETCH_WAIT_STEP = 0.1  # seconds between looks while another request fetches the set
_pause = time.sleep  # tests replace it to play "the other request"


@dataclass(frozen=True)
class UserFilter:
    """Which users: ``attribute`` equal to any of ``values`` (a union, each user once)."""

    attribute: str
    values: tuple[str, ...]

    @property
    def cache_key(self) -> str:
        digest = sha256(repr((self.attribute, self.values)).encode()).hexdigest()[:32]
        return f"users:set:{digest}"

    def describe(self) -> str:
        return f"{self.attribute} = " + " or ".join(f"“{v}”" for v in self.values)


@dataclass
class MatchedSet:
    """Every user matching a filter, as fetched at ``fetched_at`` (epoch seconds)."""

    filter: UserFilter
    users: tuple[User, ...]
    fetched_at: float
    _orders: dict[str, tuple[User, ...]] = field(default_factory=dict, repr=False)
    _haystacks: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _joined: dict[str, tuple[str, list[int]]] = field(default_factory=dict, repr=False)
    _searches: dict[tuple[str, str], tuple[User, ...]] = field(default_factory=dict, repr=False)
    _named_count: int = field(default=0, repr=False)  # users with a name (first in "name")
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def age_seconds(self) -> int:
        return max(0, int(time.time() - self.fetched_at))

    def ordered(self, sort: str) -> tuple[User, ...]:
        """The users in ``sort`` order, computed once per set and kept."""
        with self._lock:
            if sort not in self._orders:
                if sort == "-name":
                    # The named users of "name", reversed; users without a name stay last.
                    by_name = self._orders.get("name") or _sort_users(self.users, "name")
                    self._orders["name"] = by_name
                    named = len(by_name)  # the named users come first: count back the rest
                    while named and not by_name[named - 1].name:
                        named -= 1
                    self._named_count = named
                    self._orders[sort] = by_name[:named][::-1] + by_name[named:]
                elif sort == "-last_active":
                    # Exactly "last_active" backwards: its keys (time, user id) are unique.
                    newest = self._orders.get("last_active") or _sort_users(
                        self.users, "last_active"
                    )
                    self._orders["last_active"] = newest
                    self._orders[sort] = newest[::-1]
                else:
                    self._orders[sort] = _sort_users(self.users, sort)
            return self._orders[sort]

    def prepare(self) -> None:
        """Compute the usual orders and their search text ahead of the first request."""
        for sort in ("last_active", "name"):
            self._joined_text(sort)

    def _haystack(self, sort: str) -> tuple[str, ...]:
        """The searchable text of each user, aligned with ``ordered(sort)``; each ends
        with ``_END``, so that a search can run over all of them joined at once."""
        ordered = self.ordered(sort)
        with self._lock:
            haystack = self._haystacks.get(sort)
            by_name = self._haystacks.get("name")
            newest = self._haystacks.get("last_active")
            # The reversed orders reuse their base order's texts (see ``ordered``).
            if haystack is None and sort == "-name" and by_name is not None:
                named = self._named_count
                haystack = self._haystacks[sort] = by_name[:named][::-1] + by_name[named:]
            elif haystack is None and sort == "-last_active" and newest is not None:
                haystack = self._haystacks[sort] = newest[::-1]
            if haystack is None:
                haystack = self._haystacks[sort] = tuple(
                    f"{u.name or ''}\n{u.phone or ''}\n{u.user_id}".casefold() + _END
                    for u in ordered
                )
            return haystack

    def _joined_text(self, sort: str) -> tuple[str, list[int]]:
        """The haystack of ``sort`` as one string, and the offset where each user starts."""
        haystack = self._haystack(sort)
        with self._lock:
            joined = self._joined.get(sort)
            if joined is None:
                starts = list(accumulate(map(len, haystack), initial=0))
                joined = self._joined[sort] = ("".join(haystack), starts)
            return joined

    def search(self, sort: str, text: str) -> tuple[User, ...]:
        """Users whose name, phone or user id contains ``text`` (case-insensitive).

        The last few searches are kept, so paging through search results is free.
        """
        needle = text.casefold().strip()
        ordered = self.ordered(sort)
        if not needle:
            return ordered
        with self._lock:
            found = self._searches.get((sort, needle))
        if found is not None:
            return found
        found = self._find(sort, ordered, needle)
        with self._lock:
            if len(self._searches) >= 16:
                self._searches.pop(next(iter(self._searches)))
            self._searches[(sort, needle)] = found
        return found

    def _find(self, sort: str, ordered: tuple[User, ...], needle: str) -> tuple[User, ...]:
        """The users of ``ordered`` whose text contains ``needle``.

        A needle found in few users (a name, a number) is looked for by ``str.find``
        over the joined texts (C speed, then one bisect per user found): 49,084 users in
        0.8-2.6 ms instead of 10-12 ms. One found in many (a single letter or digit,
        judged from the first sixteenth of the text) is tested user by user, which is
        then cheaper.
        """
        haystack = self._haystack(sort)
        if _END in needle:  # only a text that holds it itself can match
            return tuple(u for u, hay in zip(ordered, haystack, strict=True) if needle in hay[:-1])
        text, starts = self._joined_text(sort)
        if text.count(needle, 0, len(text) // 16) * 16 > len(ordered) // 4:
            return tuple(u for u, hay in zip(ordered, haystack, strict=True) if needle in hay)
        found = []
        at = text.find(needle)
        while at != -1:
            index = bisect_right(starts, at) - 1
            found.append(ordered[index])
            at = text.find(needle, starts[index + 1])  # the next user: each user once
        return tuple(found)


# Ends each user's search text: a needle without it cannot match across two users.
_END = "\x00"

_EPOCH = datetime.min.replace(tzinfo=UTC)


def _sort_users(users: Sequence[User], sort: str) -> tuple[User, ...]:
    if sort.lstrip("-") == "name":
        # Users without a name go last in both directions.
        named = [u for u in users if u.name]
        unnamed = [u for u in users if not u.name]
        named.sort(key=lambda u: u.user_id)  # ties in name: by user id (the sort is stable)
        named.sort(key=lambda u: u.name.casefold(), reverse=sort.startswith("-"))
        return (*named, *unnamed)
    newest_first = not sort.startswith("-")
    return tuple(
        sorted(users, key=lambda u: (u.last_active_at or _EPOCH, u.user_id), reverse=newest_first)
    )


_local: OrderedDict[str, MatchedSet] = OrderedDict()
# Cache key -> when the set this process is still writing to the shared cache was fetched.
_writing: dict[str, float] = {}
_local_lock = threading.Lock()


def _encode(users: Sequence[User]) -> list[tuple]:
    # Plain tuples with epoch-ms ints: pickles small and fast (a datetime pickles slowly).
    rows = []
    append = rows.append
    for u in users:
        created, active = u.created_at, u.last_active_at
        append(
            (
                u.user_id,
                u.name,
                u.channel,
                u.phone,
                u.email,
                None if created is None else int(created.timestamp() * 1000),
                None if active is None else int(active.timestamp() * 1000),
                dict(u.attributes),
            )
        )
    return rows


def _decode(rows: Sequence[tuple]) -> tuple[User, ...]:
    def dt(value: int | None) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)

    return tuple(
        User(
            user_id=r[0],
            name=r[1],
            channel=r[2],
            phone=r[3],
            email=r[4],
            created_at=dt(r[5]),
            last_active_at=dt(r[6]),
            attributes=MappingProxyType(r[7]),
        )
        for r in rows
    )


def _fetch(
    user_filter: UserFilter, meanwhile: Callable[[], object] | None = None
) -> tuple[User, ...]:
    """One platform call per value, all in flight at once; the union keeps each user
    once, newest first."""
    client = get_client()
    answers = in_flight_together(
        [
            partial(client.users_by_attribute, user_filter.attribute, value)
            for value in user_filter.values
        ],
        meanwhile,
    )
    seen: dict[str, User] = {}
    for users in answers:
        for user in users:
            seen.setdefault(user.user_id, user)
    return _sort_users(list(seen.values()), "last_active")


def users_cached(*, user_filter: UserFilter) -> MatchedSet | None:
    """The matched set if this process or the shared cache holds it; never asks the platform."""
    key = user_filter.cache_key
    fetched_at = cache.get(f"{key}:at")
    with _local_lock:
        local = _local.get(key)
        if local is not None and (
            (fetched_at is not None and local.fetched_at >= fetched_at)
            or (  # fetched here and still being written (a stuck writer: up to the TTL)
                _writing.get(key) == local.fetched_at
                and time.time() - local.fetched_at < settings.USERS_CACHE_SECONDS
            )
        ):
            _local.move_to_end(key)
            return local
    if fetched_at is None:
        return None
    stored = cache.get(key)
    if stored is not None and stored[0] == fetched_at:
        return _remember(MatchedSet(user_filter, _decode(stored[1]), fetched_at))
    return None


def users_matching(
    *,
    user_filter: UserFilter,
    refresh: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> MatchedSet:
    """The matched set for ``user_filter``: from this process, the shared cache, or the platform.

    When the set must be fetched, one request fetches it and the others asking for the
    same filter meanwhile (any process) wait for its result instead of asking the
    platform too. ``meanwhile`` runs exactly once: while the platform answers, or at once
    when it is not asked. Raises ``technowiz.errors.TechnowizError`` when the fetch fails.
    """
    if refresh:
        return _fetch_and_keep(user_filter, meanwhile)
    cached = users_cached(user_filter=user_filter)
    if cached is not None:
        run_meanwhile(meanwhile)
        return cached
    lock_key = f"{user_filter.cache_key}:fetching"
    budget = settings.TECHNOWIZ_CONNECT_TIMEOUT + settings.TECHNOWIZ_READ_TIMEOUT + 5
    deadline = time.monotonic() + budget
    while not cache.add(lock_key, 1, timeout=int(budget) + 1):
        run_meanwhile(meanwhile)  # another request is fetching: wait for it after this
        meanwhile = None
        _pause(FETCH_WAIT_STEP)
        cached = users_cached(user_filter=user_filter)
        if cached is not None:
            return cached
        if time.monotonic() > deadline:
            break  # the fetcher died or failed: ask ourselves
    # The lock is let go once the set is in the shared cache (or the fetch failed).
    return _fetch_and_keep(user_filter, meanwhile, fetch_lock=lock_key)


def _fetch_and_keep(
    user_filter: UserFilter,
    meanwhile: Callable[[], object] | None = None,
    *,
    fetch_lock: str | None = None,
) -> MatchedSet:
    try:
        users = _fetch(user_filter, meanwhile)
    except BaseException:
        if fetch_lock:
            cache.delete(fetch_lock)
        raise
    return users_keep(
        user_filter=user_filter, users=users, fetched_at=time.time(), fetch_lock=fetch_lock
    )


def users_keep(
    *,
    user_filter: UserFilter,
    users: Sequence[User],
    fetched_at: float,
    fetch_lock: str | None = None,
) -> MatchedSet:
    """Keep a fetched set in this process at once, and in the shared cache just after.

    The shared cache is written by the process's cache writer once the page is answered
    (``USERS_CACHE_WRITE = "background"``; 1-7 ms the page no longer waits for), or here
    (``"inline"``, and any set of ``PREPARE_AHEAD_FROM`` users or more); ``fetch_lock`` is
    let go after that write, so that other processes waiting for this set read it rather
    than fetch it again.
    """
    write = partial(_share, user_filter, users, fetched_at, fetch_lock)
    if settings.USERS_CACHE_WRITE == "inline" or len(users) >= PREPARE_AHEAD_FROM:
        # A big set is written here: pickling it holds the interpreter for tens of ms at a
        # time, which in the writer thread would stall the pages that follow (measured:
        # the next page 60-150 ms instead of 7 ms at 49,084 users). Its fetch waits for
        # its orders and search text anyway (``_remember``).
        write()
    else:
        with _local_lock:
            _writing[user_filter.cache_key] = fetched_at
        cache_writes.submit(write)
    return _remember(MatchedSet(user_filter, tuple(users), fetched_at))


def _share(
    user_filter: UserFilter, users: Sequence[User], fetched_at: float, fetch_lock: str | None
) -> None:
    """Write the set, its stamp and the attribute names seen (one commit on the database
    cache), then let go of the fetch lock."""
    key = user_filter.cache_key
    timeout = settings.USERS_CACHE_SECONDS
    try:
        encoded = _encode(users)
        with transaction.atomic():
            cache.set(key, (fetched_at, encoded), timeout)
            cache.set(f"{key}:at", fetched_at, timeout)
            _attribute_names_remember(users)
    finally:
        with _local_lock:
            if _writing.get(key) == fetched_at:
                del _writing[key]
        if fetch_lock:
            cache.delete(fetch_lock)


def _run_each(writes: list[Callable[[], None]]) -> None:
    for write in writes:  # each alone: a failed one is logged, the others still run
        try:
            write()
        except Exception:  # the writer outlives a failed write; the next fetch writes again
            logger.exception("could not keep a user list in the shared cache")


cache_writes: BackgroundWriter[Callable[[], None]] = BackgroundWriter(
    _run_each, name="dashboard-cache-writer", linger=0.01
)
atexit.register(cache_writes.stop)


def _remember(matched: MatchedSet) -> MatchedSet:
    # A big set: sort by name and build the search text now, once per process and
    # fetch, so that its first sorted or searched page costs what every other page
    # costs (bench/pages.py: 26-34 ms otherwise at 50,000 users). A small set does it
    # on first use, in well under a millisecond, instead of on every fetch.
    if len(matched.users) >= PREPARE_AHEAD_FROM:
        matched.prepare()
    with _local_lock:
        _local[matched.filter.cache_key] = matched
        _local.move_to_end(matched.filter.cache_key)
        while len(_local) > _LOCAL_SLOTS or (
            len(_local) > 1 and sum(len(m.users) for m in _local.values()) > LOCAL_MAX_USERS
        ):
            _local.popitem(last=False)
    return matched


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


def user_in_set(matched: MatchedSet, user_id: str) -> User | None:
    for user in matched.users:
        if user.user_id == user_id:
            return user
    return None


@dataclass(frozen=True)
class UsersPage:
    """One page of a matched set after local search and sort."""

    users: tuple[User, ...]
    total_matched: int
    total_found: int
    page: int
    page_count: int
    size: int

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def first_index(self) -> int:
        return 0 if not self.users else (self.page - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.size + len(self.users)


def users_page(*, matched: MatchedSet, search: str, sort: str, page: int, size: int) -> UsersPage:
    """Page ``page`` (clamped to the last page) of the matched set, searched and sorted locally."""
    found = matched.search(sort, search)
    page_count = max(1, -(-len(found) // size))
    page = min(page, page_count)
    start = (page - 1) * size
    return UsersPage(
        users=found[start : start + size],
        total_matched=len(matched.users),
        total_found=len(found),
        page=page,
        page_count=page_count,
        size=size,
    )


def users_export_rows(
    users: Sequence[User], *, tz: tzinfo
) -> tuple[list[str], Iterator[list[object]]]:
    """The CSV header and rows of ``users``: one column per attribute any of them has."""
    names = sorted({name for user in users for name in user.attributes})
    header = ["user_id", "name", "channel", "phone", "email", "last_active", *names]
    rows = (
        [
            u.user_id,
            u.name,
            u.channel,
            u.phone,
            u.email,
            u.last_active_at.astimezone(tz).isoformat() if u.last_active_at else "",
            *(u.attributes.get(n, "") for n in names),
        ]
        for u in users
    )
    return header, rows
