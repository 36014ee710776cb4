"""The session store reads a session as Django's database store does, in one statement."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _saved(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_a_session_reads_back_what_django_reads():
    key = _saved(colour="blue", count=3)
    assert SessionStore(key).load() == DjangoStore(key).load() == {"colour": "blue", "count": 3}


def test_an_expired_or_unknown_session_is_empty_and_loses_its_key():
    key = _saved(colour="blue")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    for unknown in (key, "x" * 32):
        store = SessionStore(unknown)
        assert store.load() == {}
        assert store.session_key is None


def test_a_tampered_session_is_empty():
    key = _saved(colour="blue")
    Session.objects.filter(session_key=key).update(session_data="not-signed:at-all")
    assert SessionStore(key).load() == {}


def test_one_statement_reads_the_session(agent_client):
    key = agent_client.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        assert "_auth_user_id" in SessionStore(key).load()
    assert len(queries) == 1


def test_an_expired_session_signs_the_person_out(agent_client):
    key = agent_client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    response = agent_client.get(reverse("dashboard:users_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
