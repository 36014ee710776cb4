"""Deterministic seeded data for the sandbox: users and their conversations.

Everything derives from ``random.Random`` instances seeded from the sandbox seed
(never the global RNG, never the wall clock): two builds with the same seed and
user count are equal, on any machine and in any process. Users are generated
eagerly (5,000 in a few tens of milliseconds); conversations lazily, per user,
from a RNG seeded with ``"{seed}:{user_id}"``, and cached.

Special users (present whenever ``user_count`` leaves room for them; they come
first in generation order):

- ``EXAMPLE_USER_ID`` ("919812345678", Asha Rao, feedback "1", Pune, gold): the
  user of the API contract's example.
- ``EXAMPLE_WEB_USER_ID`` ("web-4f1c"): a web user without a name or phone.
- ``MARKUP_USER_ID``: a user named ``<script>alert(1)</script>`` whose
  conversation carries markup texts and an IMAGE with a ``javascript:`` URL.
- ``LONG_CONVERSATION_USER_IDS``: three users with 2,000+ messages each.

With ``hostile=True`` the hostile users of ``hostile.py`` come first (a few dozen whose
every field is an attack), then the seeded users, exactly as they are without them.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import Any, ClassVar

from technowiz.sandbox import pools
from technowiz.sandbox.conversations import generate_conversation
from technowiz.sandbox.hostile import hostile_conversation, hostile_users

__all__ = [
    "EXAMPLE_USER_ID",
    "EXAMPLE_WEB_USER_ID",
    "LONG_CONVERSATION_USER_IDS",
    "MARKUP_USER_ID",
    "REFERENCE_MS",
    "SandboxData",
]

#: The data's "now": 2026-11-20T00:00Z. Users were last active within 90 days before it.
REFERENCE_MS = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp() * 1000)
DAY_MS = 86_400_000

EXAMPLE_USER_ID = "919812345678"
EXAMPLE_WEB_USER_ID = "web-4f1c"
MARKUP_USER_ID = "919800000042"
LONG_CONVERSATION_USER_IDS: tuple[str, ...] = ("919800000101", "447700900102", "971500000103")

User = dict[str, Any]
Message = dict[str, Any]

# (user_id, name, channel, email, attributes) of the fixed users, in order.
_FIXED_USERS: tuple[tuple[str, str | None, str, str | None, dict[str, str]], ...] = (
    (
        EXAMPLE_USER_ID,
        "Asha Rao",
        "whatsapp",
        None,
        {
            "feedback": "1",
            "city": "Pune",
            "plan": "gold",
            "language": "en",
            "customer_type": "regular",
        },
    ),
    (
        EXAMPLE_WEB_USER_ID,
        None,
        "web",
        "k@example.org",
        {
            "feedback": "1",
            "city": "Mumbai",
            "plan": "free",
            "language": "en",
            "customer_type": "new",
        },
    ),
    (
        MARKUP_USER_ID,
        "<script>alert(1)</script>",
        "whatsapp",
        None,
        {
            "feedback": "2",
            "city": "Goa",
            "plan": "silver",
            "language": "en",
            "customer_type": "regular",
        },
    ),
    (
        LONG_CONVERSATION_USER_IDS[0],
        "Rahul Mehta",
        "whatsapp",
        None,
        {
            "feedback": "5",
            "city": "Pune",
            "plan": "platinum",
            "language": "en",
            "customer_type": "vip",
        },
    ),
    (
        LONG_CONVERSATION_USER_IDS[1],
        "Ольга Смирнова",
        "whatsapp",
        None,
        {
            "feedback": "3",
            "city": "London",
            "plan": "gold",
            "language": "ru",
            "customer_type": "regular",
        },
    ),
    (
        LONG_CONVERSATION_USER_IDS[2],
        "فاطمة الزهراء",
        "whatsapp",
        None,
        {
            "feedback": "1",
            "city": "Dubai",
            "plan": "silver",
            "language": "ar",
            "customer_type": "vip",
        },
    ),
)


class SandboxData:
    """Seeded users plus lazily generated conversations; immutable once built.

    Use :meth:`build` (cached per ``(seed, user_count, hostile)``) rather than the
    constructor. Users are plain dicts shaped exactly like the API's JSON;
    callers must not mutate them. ``hostile=True`` adds the hostile users first.
    """

    _cache: ClassVar[dict[tuple[int, int, bool], SandboxData]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    long_conversation_user_ids: tuple[str, ...] = LONG_CONVERSATION_USER_IDS
    example_user_id: str = EXAMPLE_USER_ID
    example_web_user_id: str = EXAMPLE_WEB_USER_ID
    markup_user_id: str = MARKUP_USER_ID
    reference_ms: int = REFERENCE_MS

    def __init__(self, seed: int = 7, user_count: int = 5000, *, hostile: bool = False) -> None:
        if user_count < 0:
            raise ValueError("user_count must be >= 0")
        self.seed = seed
        self.user_count = user_count
        self.hostile = hostile
        attacks = hostile_users(REFERENCE_MS) if hostile else []
        #: The hostile users' ids -> their number (what their conversation is built from).
        self.hostile_user_ids: dict[str, int] = {u["user_id"]: i for i, u in enumerate(attacks)}
        self.users: tuple[User, ...] = (*attacks, *_generate_users(seed, user_count))
        self._by_id: dict[str, User] = {u["user_id"]: u for u in self.users}
        self._by_phone: dict[str, User] = {u["phone_no"]: u for u in self.users if u["phone_no"]}
        #: Users ordered by ``last_active_at``, newest first (ties: user_id).
        self.users_by_activity: tuple[User, ...] = tuple(
            sorted(self.users, key=lambda u: (-u["last_active_at"], u["user_id"]))
        )
        self._index: dict[str, dict[str, list[User]]] = {}
        self._conversations: dict[str, tuple[Message, ...]] = {}
        self._lock = threading.Lock()

    @classmethod
    def build(cls, seed: int = 7, user_count: int = 5000, *, hostile: bool = False) -> SandboxData:
        """The (cached) data set for ``seed``, ``user_count`` and ``hostile``."""
        key = (seed, user_count, hostile)
        with cls._cache_lock:
            data = cls._cache.get(key)
            if data is None:
                data = cls._cache[key] = cls(seed, user_count, hostile=hostile)
            return data

    def user(self, user_id: str) -> User | None:
        """The user with this exact ``user_id``, or None."""
        return self._by_id.get(user_id)

    def user_by_phone(self, phone_no: str) -> User | None:
        """The user whose E.164 ``phone_no`` (with ``+``) is exactly this, or None."""
        return self._by_phone.get(phone_no)

    def users_matching(self, attribute_name: str, attribute_value: str) -> list[User]:
        """Users whose attribute equals the value exactly, newest activity first."""
        with self._lock:
            index = self._index.get(attribute_name)
            if index is None:
                index = {}
                for user in self.users_by_activity:
                    value = user["attributes"].get(attribute_name)
                    if isinstance(value, str):  # a hostile user's list never equals a string
                        index.setdefault(value, []).append(user)
                self._index[attribute_name] = index
        return index.get(attribute_value, [])

    def conversation(self, user_id: str) -> tuple[Message, ...]:
        """The seeded conversation of a user (oldest first); empty for an unknown user."""
        with self._lock:
            cached = self._conversations.get(user_id)
        if cached is not None:
            return cached
        user = self._by_id.get(user_id)
        if user is None:
            return ()
        if user_id in self.hostile_user_ids:
            messages = tuple(hostile_conversation(user, self.hostile_user_ids[user_id]))
        else:
            rng = random.Random(f"{self.seed}:{user_id}")
            messages = tuple(
                generate_conversation(
                    rng,
                    user,
                    long=user_id in LONG_CONVERSATION_USER_IDS,
                    markup=user_id == MARKUP_USER_ID,
                )
            )
        with self._lock:
            return self._conversations.setdefault(user_id, messages)

    def rating_counts(self, attribute_name: str = "feedback") -> dict[str, int]:
        """How many users hold each value of an attribute (handy for tests and demos)."""
        counts: dict[str, int] = {}
        for user in self.users:
            value = user["attributes"].get(attribute_name)
            if isinstance(value, str):
                counts[value] = counts.get(value, 0) + 1
        return counts


def _generate_users(seed: int, count: int) -> list[User]:
    rng = random.Random(seed)
    users: list[User] = []
    seen: set[str] = set()
    for user_id, name, channel, email, attributes in _FIXED_USERS[:count]:
        users.append(_make_user(rng, user_id, name, channel, email, dict(attributes)))
        seen.add(user_id)
    scripts = list(pools.SCRIPT_WEIGHTS)
    script_weights = list(pools.SCRIPT_WEIGHTS.values())
    while len(users) < count:
        script = rng.choices(scripts, script_weights)[0]
        if rng.random() < 0.75:
            channel, email = "whatsapp", None
            user_id = _phone_digits(rng, script)
        else:
            channel = "web"
            user_id = f"web-{rng.getrandbits(48):012x}"
            email = f"user{len(users)}@example.org" if rng.random() < 0.6 else None
        if user_id in seen:
            continue
        seen.add(user_id)
        users.append(
            _make_user(rng, user_id, _name(rng, script), channel, email, _attributes(rng, script))
        )
    return users


def _make_user(
    rng: random.Random,
    user_id: str,
    name: str | None,
    channel: str,
    email: str | None,
    attributes: dict[str, str],
) -> User:
    last_active = REFERENCE_MS - rng.randrange(60_000, 90 * DAY_MS)
    created = last_active - rng.randrange(5 * DAY_MS, 700 * DAY_MS)
    if user_id in LONG_CONVERSATION_USER_IDS:
        created = last_active - 500 * DAY_MS - rng.randrange(DAY_MS)
    return {
        "user_id": user_id,
        "name": name,
        "channel": channel,
        "phone_no": f"+{user_id}" if channel == "whatsapp" else None,
        "email": email,
        "created_at": created,
        "last_active_at": last_active,
        "attributes": attributes,
    }


def _phone_digits(rng: random.Random, script: str) -> str:
    country, length, leading = rng.choice(pools.PHONE_PLANS[script])
    rest = "".join(rng.choice("0123456789") for _ in range(length - 1))
    return country + rng.choice(leading) + rest


def _name(rng: random.Random, script: str) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.082:
        return rng.choice(pools.MARKUP_NAMES)
    return rng.choice(pools.NAMES[script])


def _attributes(rng: random.Random, script: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if rng.random() >= 0.015:  # about 1.5% of users never left feedback
        attributes["feedback"] = rng.choices(pools.RATINGS, pools.RATING_WEIGHTS)[0]
    attributes["city"] = rng.choice(pools.CITIES[script])
    attributes["plan"] = rng.choices(pools.PLANS, pools.PLAN_WEIGHTS)[0]
    attributes["language"] = rng.choice(pools.LANGUAGES[script])
    attributes["customer_type"] = rng.choices(pools.CUSTOMER_TYPES, pools.CUSTOMER_TYPE_WEIGHTS)[0]
    if rng.random() < 0.5:
        attributes["last_order_id"] = f"A-{rng.randrange(1000, 99999)}"
    return attributes
