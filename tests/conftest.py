"""Fixtures and helpers shared by the whole suite: the team, signed-in clients, pages,
audit rows."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dashboard.services.team import member_create
from technowiz.models import OutboundCall

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_seal_witness(settings, tmp_path):
    """Each test's own witness of the latest audit seal (the file outlives databases)."""
    settings.AUDIT_SEAL_WITNESS = str(tmp_path / "audit-seal-witness.json")


@pytest.fixture
def make_member(db):
    def make(username: str, role: str):
        return member_create(username=username, password=PASSWORD, role=role)

    return make


@pytest.fixture
def agent(make_member):
    return make_member("agent1", "agent")


@pytest.fixture
def manager(make_member):
    return make_member("manager1", "manager")


@pytest.fixture
def admin_member(make_member):
    return make_member("admin1", "admin")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    return _client_for(agent)


@pytest.fixture
def manager_client(manager) -> Client:
    return _client_for(manager)


@pytest.fixture
def admin_client_(admin_member) -> Client:
    return _client_for(admin_member)


@pytest.fixture
def client_for():
    return _client_for


def _inprocess_platform(settings) -> None:
    """Settings for a platform answered in-process (no rate limit, no retries)."""
    settings.TECHNOWIZ_BASE_URL = ""
    settings.TECHNOWIZ_SANDBOX_URL = ""
    settings.TECHNOWIZ_SANDBOX = True
    settings.TECHNOWIZ_RATE_LIMIT = 0
    settings.TECHNOWIZ_READ_TIMEOUT = 2.0
    settings.TECHNOWIZ_MAX_RETRIES = 0


@pytest.fixture
def sandbox(settings):
    """The in-process sandbox platform, fresh for the test, behind the process's client."""
    from technowiz.client import inprocess_sandbox, reset_client

    _inprocess_platform(settings)
    reset_client()
    yield inprocess_sandbox()
    reset_client()


@pytest.fixture
def hostile_platform(settings):
    """The in-process sandbox serving only the hostile users (technowiz/sandbox/hostile.py),
    fresh for the test, behind the process's client."""
    from technowiz.client import reset_client, set_inprocess_sandbox
    from technowiz.config import ClientConfig
    from technowiz.sandbox import Faults, SandboxApp, SandboxData

    _inprocess_platform(settings)
    reset_client()
    config = ClientConfig.from_settings()
    app = SandboxApp(
        api_key=config.api_key,
        customer_id=config.customer_id,
        bot_key=config.bot_key,
        data=SandboxData.build(user_count=0, hostile=True),
        faults=Faults(),
    )
    set_inprocess_sandbox(app)
    yield app
    reset_client()


@pytest.fixture
def platform_calls(db):
    """How many calls the dashboard made to the platform (from the audit log)."""
    from technowiz.models import OutboundCall

    return lambda: OutboundCall.objects.count()


def tamper(sql: str, params: list) -> None:
    """A change made behind the application's back, by someone who can switch the audit
    log's append-only triggers off (on PostgreSQL a superuser or the tables' owner)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def page_html(response) -> str:
    """The text of a page that must have answered 200."""
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def make_call(
    *, started_at: datetime | None = None, age: timedelta = timedelta(minutes=1), **fields
) -> OutboundCall:
    """One completed audit row (a users search by agent1), ``age`` old unless given."""
    values = {
        "call_id": uuid.uuid4(),
        "started_at": started_at or timezone.now() - age,
        "username": "agent1",
        "origin": "web:abc",
        "action": "users.search",
        "method": "GET",
        "path_template": "/users/",
        "path": "/users/",
        "query": {"attribute": "feedback", "value": "1"},
        "status": 200,
        "platform_code": 1000,
        "outcome": "ok",
        "duration_ms": 8.25,
    }
    values.update(fields)
    return OutboundCall.objects.create(**values)
