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


def _page_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard:home")).status_code == 200
    return [q["sql"] for q in queries]


def test_once_seen_a_session_and_its_person_are_read_in_one_statement(agent_client, sandbox):
    _page_queries(agent_client)  # this process learns whose session it is
    sql = _page_queries(agent_client)
    first = sql[0]
    assert "django_session" in first and "auth_user" in first
    assert not any(q.startswith("SELECT") and "auth_user" in q for q in sql[1:])


def test_the_person_read_beside_the_session_is_the_one_its_data_names(
    agent_client, manager, sandbox
):
    """A wrong guess (another person's id) is never used: the session's own data decides."""
    from dashboard import sessions

    key = agent_client.cookies["sessionid"].value
    sessions._remember(key, str(manager.pk))
    html = agent_client.get(reverse("dashboard:home")).content.decode()
    assert '<span class="person">agent1</span>' in html
    assert sessions._HINTS[key] != str(manager.pk)  # corrected from the data


def test_a_person_deactivated_since_the_last_request_is_signed_out(agent_client, agent):
    _page_queries(agent_client)
    agent.is_active = False
    agent.save()
    response = agent_client.get(reverse("dashboard:users_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_password_changed_elsewhere_signs_the_session_out(agent_client, agent):
    _page_queries(agent_client)
    agent.set_password("another long password 123")
    agent.save()
    response = agent_client.get(reverse("dashboard:users_list"))
    assert response.status_code == 302
