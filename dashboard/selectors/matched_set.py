"""A matched set: every user matching a filter, sorted and searched locally."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from hashlib import sha256

from django.conf import settings

from technowiz.types import User

SORTS = {
    "last_active": "Last active, newest first",
    "-last_active": "Last active, oldest first",
    "name": "Name, A to Z",
    "-name": "Name, Z to A",
    "rating": "Rating, lowest first",
    "-rating": "Rating, highest first",
}


@dataclass(frozen=True)
class UserFilter:
    """Which users: ``attribute`` equal to any of ``values`` (a union, each user once)."""

    attribute: str
    values: tuple[str, ...]

    @property
    def cache_key(self) -> str:
        digest = sha256(repr((self.attribute, self.values)).encode()).hexdigest()[:32]
        return f"users:set3:{digest}"  # set3: compressed pickled chunks (users._encode)

    def describe(self) -> str:
        return f"{self.attribute} = " + " or ".join(f"“{v}”" for v in self.values)


@dataclass
class MatchedSet:
    """Every user matching a filter, as fetched at ``fetched_at`` (epoch seconds).

    Each sort order and each user's search text are worked out on first use and kept
    with the set (the set is kept by the process for the next pages).
    """

    filter: UserFilter
    users: tuple[User, ...]
    fetched_at: float
    _orders: dict[str, tuple[User, ...]] = field(default_factory=dict, repr=False)
    _text_of: dict[str, str] = field(default_factory=dict, repr=False)  # user id -> text
    _texts: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @cached_property
    def approx_bytes(self) -> int:
        """What the set takes in memory, sort orders and search texts included: at least
        what tracemalloc measures, at most 1.5 times it (tests/dashboard/test_matched_set)."""
        seen: set[int] = set()
        return sum(_user_bytes(u, seen) for u in self.users)

    @property
    def age_seconds(self) -> int:
        return max(0, int(time.time() - self.fetched_at))

    def shown(self) -> "ListShown":
        """What a page says of the set, for its template context."""
        return ListShown(self.filter.describe(), self.age_seconds, len(self.users))

    def ordered(self, sort: str) -> tuple[User, ...]:
        """The users in ``sort`` order."""
        order = self._orders.get(sort)
        if order is None:
            order = self._orders[sort] = sort_users(self.users, sort)
        return order

    def search(self, sort: str, text: str) -> tuple[User, ...]:
        """Users whose name, phone or user id contains ``text`` (case-insensitive), in
        ``sort`` order."""
        needle = text.casefold().strip()
        ordered = self.ordered(sort)
        if not needle:
            return ordered
        return tuple(
            u for u, text in zip(ordered, self._texts_in(sort), strict=True) if needle in text
        )

    def _texts_in(self, sort: str) -> tuple[str, ...]:
        """Each user's searchable text, in ``sort`` order (one text a user, shared)."""
        texts = self._texts.get(sort)
        if texts is None:
            if not self._text_of:
                self._text_of = {
                    u.user_id: f"{u.name or ''}\n{u.phone or ''}\n{u.user_id}".casefold()
                    for u in self.users
                }
            texts = tuple(self._text_of[u.user_id] for u in self.ordered(sort))
            self._texts[sort] = texts
        return texts

    def find(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.user_id == user_id), None)


@dataclass(frozen=True)
class ListShown:
    """What a page says of a matched set, without the set: a template context is a
    reference cycle that outlives its page until the garbage collector runs, and a set
    in it stayed in memory that long (165 MB for 200,000 users; BENCHMARKS.md)."""

    describe: str
    age_seconds: int
    size: int


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _user_bytes(user: User, seen: set[int]) -> int:
    """A user's share of a kept set: the object, its strings and attributes, and its
    places in the sort orders and search texts (constants measured with tracemalloc).
    A string shared with users before (``seen``: their ids) is counted once."""
    size = 500
    for text in (user.user_id, user.name, user.phone, user.email):
        if text:
            size += 50 + len(text)
    for text in (user.channel, *user.attributes, *user.attributes.values()):
        if id(text) not in seen:
            seen.add(id(text))
            size += 50 + len(text)
    return size + 30 * len(user.attributes)


def rating_of(user: User) -> int | None:
    """The user's star rating (1-5) from the rating attribute, or None."""
    value = user.attributes.get(settings.TECHNOWIZ_RATING_ATTRIBUTE)
    try:
        rating = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None


def sort_users(users: Sequence[User], sort: str) -> tuple[User, ...]:
    """``users`` in ``sort`` order (a key of ``SORTS``); ties broken by user id."""
    if sort.lstrip("-") == "rating":
        # Users without a rating go last in both directions; within a rating, the most
        # recently active first.
        newest = sort_users(users, "last_active")
        rated = [u for u in newest if rating_of(u) is not None]
        rated.sort(key=lambda u: rating_of(u), reverse=sort.startswith("-"))  # stable
        return (*rated, *(u for u in newest if rating_of(u) is None))
    if sort.lstrip("-") == "name":
        # Users without a name go last in both directions.
        named = sorted(
            (u for u in users if u.name),
            key=lambda u: (u.name.casefold(), u.user_id),
            reverse=sort.startswith("-"),
        )
        return (*named, *(u for u in users if not u.name))
    newest_first = not sort.startswith("-")
    return tuple(
        sorted(users, key=lambda u: (u.last_active_at or _EPOCH, u.user_id), reverse=newest_first)
    )


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


def users_page(
    *,
    matched: MatchedSet,
    search: str,
    sort: str,
    page: int,
    size: int,
    keep: Callable[[User], bool] | None = None,
) -> UsersPage:
    """Page ``page`` (clamped to the last page) of the matched set, searched and sorted
    locally; ``keep``, when given, narrows it further (the queue's filters)."""
    found = matched.search(sort, search)
    if keep is not None:
        found = tuple(filter(keep, found))
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
