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
The person's columns and how they are built come from ``dashboard.auth``.
Everything else (saving, expiry, cycling keys, logging out) is Django's own.
"""

import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from dashboard.auth import person_from_rows, person_query

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
                data, person = self._session_and_person(get_user_model()._meta.pk.to_python(hint))
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
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        sql = _SQL.get(alias)
        if sql is None:
            sql = _SQL[alias] = _session_sql(self.model, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, self._now()])
            row = cursor.fetchone()
        return None if row is None else row[0]

    def _session_and_person(self, user_id: object) -> tuple[str | None, Any]:
        """The session's data and, in the same statement, the person ``user_id`` (``None``
        for what does not exist)."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        query = person_query(alias)
        sql = _WITH_PERSON_SQL.get(alias)
        if sql is None:
            sql = _WITH_PERSON_SQL[alias] = _session_sql(self.model, connection, query)
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, user_id, user_id, self.session_key, self._now()])
            rows = cursor.fetchall()
        if not rows:
            return None, None
        people = [row[1:] for row in rows]
        found = people[0][0] is not None  # the person's id: None when there is no such user
        return rows[0][0], person_from_rows(people, query, alias, connection) if found else None


def _remember(key: str, user_id: str) -> None:
    with _hints_lock:
        _HINTS[key] = user_id
        _HINTS.move_to_end(key)
        while len(_HINTS) > _HINTS_MAX:
            _HINTS.popitem(last=False)


def _session_sql(model: Any, connection: Any, person: Any = None) -> str:
    """``Session.objects.get(session_key=%s, expire_date__gt=%s)``, the data column only;
    with ``person`` (a ``PersonQuery``), also the person whose id is the first value."""
    quote = connection.ops.quote_name
    meta = model._meta
    data, key, expires = (quote(meta.get_field(name).column) for name in _FIELDS)
    where = f" WHERE s.{key} = %s AND s.{expires} > %s"
    # Every identifier comes from the models' metadata, quoted; every value is bound.
    if person is None:
        return f"SELECT s.{data} FROM {quote(meta.db_table)} s{where}"  # noqa: S608
    user_meta = get_user_model()._meta
    return (
        f"SELECT s.{data}, {person.columns_sql} FROM {quote(meta.db_table)} s"  # noqa: S608
        f" LEFT OUTER JOIN {quote(user_meta.db_table)} u ON u.{quote(user_meta.pk.column)} = %s"
        f"{person.joins}{where}"
    )


_FIELDS = ("session_data", "session_key", "expire_date")
_SQL: dict[str, str] = {}
_WITH_PERSON_SQL: dict[str, str] = {}
