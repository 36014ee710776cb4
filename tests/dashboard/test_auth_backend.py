"""The sign-in backend answers exactly as Django's would, in fewer queries."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def test_one_query_and_then_none_for_the_rest_of_the_request(make_member):
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
