"""Django's database sessions, read with one prepared statement, with their person.

Every signed-in request reads its session, then the person it names, before anything
else can happen, so these reads sit in front of every page. Django's store builds a
queryset each time (``Session.objects.get(...)``: ~0.35 ms here, ~0.7 ms on a cold
page); the same ``SELECT`` written once from the model's metadata, with the same values
bound, costs ~0.03 ms. And once this process has seen a session, it reads the session
and the person it named last time in one statement: on PostgreSQL a round trip after
a pause costs ~0.5 ms. Whose session it is, only its own (signed) data says: the person
read beside it is used only if the data names them (``TeamBackend.get_user`` takes it
from :meth:`SessionStore.take_person`); otherwise they are read on their own, as before.
Everything else (saving, expiry, cycling keys, logging out) is Django's own.
"""

import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from dashboard.auth import session_and_user

_SQL: dict[str, str] = {}
# Session key -> the user id its data named when this process last read it.
_HINTS: OrderedDict[str, str] = OrderedDict()
_HINTS_MAX = 10_000
_hints_lock = threading.Lock()


class SessionStore(DatabaseSessionStore):
    _person: Any = None

    def load(self) -> dict[str, Any]:
        """The session's data, or ``{}`` (and no key) when it is missing or expired."""
        key = self.session_key
        data, person = None, None
        if key:
            with _hints_lock:
                hint = _HINTS.get(key)
            if hint is None:
                data = self._session_data()
            else:
                data, person = session_and_user(
                    self.model, key, self._now(), get_user_model()._meta.pk.to_python(hint)
                )
        if data is None:
            self._session_key = None
            return {}
        decoded = self.decode(data)
        named = decoded.get(SESSION_KEY)
        if isinstance(named, str):
            _remember(key, named)
            if person is not None and person._meta.pk.value_to_string(person) == named:
                self._person = person
        return decoded

    def take_person(self, user_id: object) -> Any:
        """The person read beside the session, if the session names ``user_id`` (once)."""
        person, self._person = self._person, None
        return person if person is not None and person.pk == user_id else None

    def _now(self) -> Any:
        connection = connections[router.db_for_read(self.model)]
        return connection.ops.adapt_datetimefield_value(timezone.now())

    def _session_data(self) -> str | None:
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        sql = _SQL.get(alias)
        if sql is None:
            sql = _SQL[alias] = _select_sql(model, connection.ops.quote_name)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, self._now()])
            row = cursor.fetchone()
        return None if row is None else row[0]


def _remember(key: str, user_id: str) -> None:
    with _hints_lock:
        _HINTS[key] = user_id
        _HINTS.move_to_end(key)
        while len(_HINTS) > _HINTS_MAX:
            _HINTS.popitem(last=False)


def _select_sql(model: Any, quote: Any) -> str:
    """``Session.objects.get(session_key=%s, expire_date__gt=%s)``, data column only."""
    meta = model._meta
    data, key, expires = (meta.get_field(name).column for name in _FIELDS)
    # Every identifier comes from the model's metadata, quoted; the values are bound.
    return (
        f"SELECT {quote(data)} FROM {quote(meta.db_table)}"  # noqa: S608
        f" WHERE {quote(key)} = %s AND {quote(expires)} > %s"
    )


_FIELDS = ("session_data", "session_key", "expire_date")
