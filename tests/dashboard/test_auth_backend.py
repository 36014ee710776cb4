"""Who is signed in, and what they may do: Django's answers, and the sign-outs people expect."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.auth import TeamBackend
from dashboard.roles import ROLES

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The account as a new request would load it (no permission cache yet)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_holds_what_django_would_say(make_member, role):
    person = make_member(f"{role}-1", role)
    ours = TeamBackend().get_all_permissions(_fresh(person))
    assert ours == ModelBackend().get_all_permissions(_fresh(person))
    assert ours == {f"dashboard.{codename}" for codename in ROLES[role]}


def test_own_and_group_permissions_are_both_counted(make_member):
    person = make_member("agent-extra", "agent")
    person.user_permissions.add(Permission.objects.get(codename="view_audit"))
    extra = Group.objects.create(name="auditors-of-flows")
    extra.permissions.add(Permission.objects.get(codename="trigger_flow"))
    person.groups.add(extra)
    ours = TeamBackend().get_all_permissions(_fresh(person))
    assert ours == ModelBackend().get_all_permissions(_fresh(person))
    assert {"dashboard.view_audit", "dashboard.trigger_flow", "dashboard.view_users"} <= ours


def test_one_query_for_the_permissions_of_a_request(make_member):
    person = _fresh(make_member("manager-q", "manager"))
    with CaptureQueriesContext(connection) as queries:
        assert person.has_perm("dashboard.send_broadcast")
        assert person.has_perms(["dashboard.view_users", "dashboard.trigger_flow"])
        assert not person.has_perm("dashboard.manage_team")
    assert len(queries) == 1


def test_inactive_people_hold_nothing_and_superusers_everything(make_member):
    person = make_member("gone", "admin")
    person.is_active = False
    person.save()
    assert TeamBackend().get_all_permissions(_fresh(person)) == set()
    boss = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456789")
    everything = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert TeamBackend().get_all_permissions(_fresh(boss)) == everything


def test_get_user_brings_the_time_zone_along(make_member):
    person = make_member("p-member", "agent")
    person.member.time_zone = "Asia/Kolkata"
    person.member.save()
    with CaptureQueriesContext(connection) as queries:
        loaded = TeamBackend().get_user(person.pk)
        assert loaded.member.time_zone == "Asia/Kolkata"
    assert len(queries) == 1


def test_get_user_of_nobody_or_of_an_inactive_person_is_none(make_member):
    assert TeamBackend().get_user(987654) is None
    person = make_member("inactive", "agent")
    person.is_active = False
    person.save()
    assert TeamBackend().get_user(person.pk) is None


def _signed_out(client) -> bool:
    response = client.get(reverse("dashboard:users_list"))
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_signed_in_person_stays_signed_in(agent_client):
    assert not _signed_out(agent_client)


def test_an_expired_session_signs_the_person_out(agent_client):
    key = agent_client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    assert _signed_out(agent_client)


def test_a_person_deactivated_since_the_last_request_is_signed_out(agent_client, agent):
    assert not _signed_out(agent_client)
    agent.is_active = False
    agent.save()
    assert _signed_out(agent_client)


def test_a_password_changed_elsewhere_signs_the_session_out(agent_client, agent):
    assert not _signed_out(agent_client)
    agent.set_password("another long password 123")
    agent.save()
    assert _signed_out(agent_client)
