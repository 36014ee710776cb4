"""Fixtures shared by the whole suite: the team, signed-in clients."""

import pytest
from django.test import Client

from dashboard.services.team import member_create

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
