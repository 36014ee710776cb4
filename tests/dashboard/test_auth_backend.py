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


def _fields(instance) -> dict:
    """Each field's value and its type (a boolean read as 1 would equal True)."""
    return {
        f.attname: (type(getattr(instance, f.attname)), getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
    }


@pytest.mark.parametrize("kind", ["member", "inactive", "superuser without a member row"])
def test_get_user_loads_what_the_orm_loads_in_one_query(make_member, kind):
    from django.utils import timezone

    if kind == "superuser without a member row":
        person = get_user_model().objects.create_superuser("root", "r@example.com", "pw-1234567")
    else:
        person = make_member(f"p-{kind}", "agent")
        person.member.time_zone = "Asia/Kolkata"
        person.member.save()
        person.last_login = timezone.now()
        person.is_active = kind != "inactive"
        person.save()
    expected = get_user_model().objects.select_related("member").get(pk=person.pk)
    with CaptureQueriesContext(connection) as queries:
        loaded = TeamBackend().get_user(person.pk)
        member = getattr(loaded, "member", None) if loaded is not None else None
    assert len(queries) == 1
    if kind == "inactive":
        assert loaded is None  # as ModelBackend: an inactive person is not signed in
        return
    assert type(loaded) is type(expected) and _fields(loaded) == _fields(expected)
    assert loaded._state.db == expected._state.db and not loaded._state.adding
    if kind == "member":
        assert _fields(member) == _fields(expected.member)
        assert member.user is loaded
    else:
        assert member is None


def test_get_user_of_nobody_is_none(db):
    assert TeamBackend().get_user(987654) is None


@pytest.mark.parametrize("role", sorted(ROLES))
def test_signing_in_reads_the_person_and_their_permissions_in_one_query(make_member, role):
    person = make_member(f"{role}-2", role)
    person.user_permissions.add(Permission.objects.get(codename="view_audit"))
    with CaptureQueriesContext(connection) as queries:
        loaded = TeamBackend().get_user(person.pk)
        ours = TeamBackend().get_all_permissions(loaded)
        assert loaded.has_perm("dashboard.view_users")
    assert len(queries) == 1
    assert ours == ModelBackend().get_all_permissions(_fresh(person))


def test_a_person_with_no_permission_holds_none(make_member):
    person = make_member("nobody-1", "agent")
    person.groups.clear()
    loaded = TeamBackend().get_user(person.pk)
    assert loaded is not None and loaded.get_all_permissions() == set()
