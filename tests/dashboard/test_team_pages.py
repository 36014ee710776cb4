"""Team management in the site's own pages (admins): add a person with one role and a
time zone, change them, deactivate and reactivate, reset a password."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dashboard.models import TeamMember
from tests.conftest import page_html

pytestmark = pytest.mark.django_db

NEW = {
    "username": "priya",
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "",
    "password1": "a sound pass phrase 42",
    "password2": "a sound pass phrase 42",
    "role": "manager",
    "time_zone": "Asia/Kolkata",
}


def _signs_in(username: str, password: str) -> bool:
    """Whether the sign-in form lets the person in."""
    answer = Client().post("/accounts/login/", {"username": username, "password": password})
    return answer.status_code == 302 and answer["Location"] == "/"


def test_team_pages_need_manage_team(client, manager_client, agent):
    for url in ("/team/", "/team/new/", f"/team/{agent.pk}/", f"/team/{agent.pk}/password/"):
        assert client.get(url).status_code == 302, url
        assert manager_client.get(url).status_code == 403, url
    assert manager_client.post(f"/team/{agent.pk}/active/", {"active": "0"}).status_code == 403
    agent.refresh_from_db()
    assert agent.is_active


def test_the_form_offers_one_role_and_a_time_zone_picker(admin_client_):
    html = page_html(admin_client_.get("/team/new/"))
    assert html.count('type="radio" name="role"') == 3
    assert "<legend>Role</legend>" in html
    assert "multiple" not in html  # no groups dual-list
    assert '<select name="time_zone"' in html and '<option value="Europe/London">' in html


def test_an_admin_adds_a_person_who_can_sign_in_with_that_role(admin_client_):
    response = admin_client_.post("/team/new/", NEW)
    assert response.status_code == 302 and response["Location"] == "/team/"
    person = get_user_model().objects.get(username="priya")
    assert [g.name for g in person.groups.all()] == ["manager"]
    assert TeamMember.objects.get(user=person).time_zone == "Asia/Kolkata"
    listed = page_html(admin_client_.get("/team/"))
    assert "priya can now sign in as manager." in listed
    assert _signs_in("priya", NEW["password1"])


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"role": ""}, "role", "Choose a role."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose a time zone from the list."),
        ({"password2": "something else 42"}, "password2", "The two password fields didn"),
        ({"username": "admin1"}, "username", "A user with that username already exists."),
    ],
)
def test_bad_input_is_explained_and_nobody_is_created(admin_client_, change, field, message):
    before = get_user_model().objects.count()
    html = page_html(admin_client_.post("/team/new/", {**NEW, **change}))
    assert f'id="id_{field}_error" role="alert">{message}' in html
    assert get_user_model().objects.count() == before


def test_an_admin_changes_the_role_and_time_zone(admin_client_, agent):
    form = page_html(admin_client_.get(f"/team/{agent.pk}/"))
    assert 'value="agent" class="" id="id_role_0" checked' in form or (
        'value="agent"' in form and "checked" in form
    )
    data = {"first_name": "A", "last_name": "Gent", "email": "", "role": "manager"}
    response = admin_client_.post(f"/team/{agent.pk}/", {**data, "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert [g.name for g in agent.groups.all()] == ["manager"]
    assert agent.member.time_zone == "Europe/Paris"


def test_the_last_admin_keeps_the_role(admin_client_, admin_member):
    data = {"first_name": "", "last_name": "", "email": "", "role": "agent", "time_zone": ""}
    html = page_html(admin_client_.post(f"/team/{admin_member.pk}/", data))
    assert "This is the last active admin" in html
    assert [g.name for g in admin_member.groups.all()] == ["admin"]


def test_deactivate_and_reactivate(admin_client_, agent):
    agent_client = Client()
    agent_client.force_login(agent)
    assert agent_client.get("/users/").status_code == 200
    admin_client_.post(f"/team/{agent.pk}/active/", {"active": "0"})
    agent.refresh_from_db()
    assert not agent.is_active
    assert agent_client.get("/users/").status_code == 302  # signed out at once
    html = page_html(admin_client_.get("/team/"))
    assert "agent1 is deactivated: they can no longer sign in." in html
    assert '<span class="badge warn">deactivated</span>' in html
    admin_client_.post(f"/team/{agent.pk}/active/", {"active": "1"})
    agent.refresh_from_db()
    assert agent.is_active


def test_an_admin_cannot_deactivate_themself(admin_client_, admin_member):
    admin_client_.post(f"/team/{admin_member.pk}/active/", {"active": "0"})
    admin_member.refresh_from_db()
    assert admin_member.is_active
    assert "You cannot deactivate your own account." in page_html(admin_client_.get("/team/"))


def test_reset_a_password(admin_client_, agent):
    new = {"new_password1": "another sound phrase 7", "new_password2": "another sound phrase 7"}
    assert admin_client_.post(f"/team/{agent.pk}/password/", new).status_code == 302
    assert _signs_in("agent1", "another sound phrase 7")
    short = {"new_password1": "abc", "new_password2": "abc"}
    html = page_html(admin_client_.post(f"/team/{agent.pk}/password/", short))
    assert "This password is too short." in html
    assert _signs_in("agent1", "another sound phrase 7")
