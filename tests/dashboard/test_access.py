"""Who may open what: private by default, each role exactly its screens."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {"/accounts/login/", "/healthz"}

ROLE_NAV = {
    "agent": ["Overview", "Users"],
    "manager": ["Overview", "Users", "Broadcasts", "Flow runs", "Catalogue"],
    "admin": ["Overview", "Users", "Broadcasts", "Flow runs", "Catalogue", "Audit", "Team"],
}

SCREENS = {
    "dashboard:users_list": "view_users",
    "dashboard:broadcasts_list": "send_broadcast",
    "dashboard:broadcast_new": "send_broadcast",
    "dashboard:triggers_list": "trigger_flow",
    "dashboard:trigger_new": "trigger_flow",
    "dashboard:catalogue": "manage_catalogue",
    "dashboard:audit_list": "view_audit",
    "dashboard:team_list": "manage_team",
}
ROLE_PERMS = {
    "agent": {"view_users"},
    "manager": {"view_users", "send_broadcast", "trigger_flow", "manage_catalogue"},
    "admin": {
        "view_users",
        "send_broadcast",
        "trigger_flow",
        "manage_catalogue",
        "view_audit",
        "manage_team",
    },
}


def _all_paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every routed path, with a sample value for each parameter."""
    paths = []
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        pattern = re.sub(r"<(?:\w+:)?(\w+)>", "1", pattern).lstrip("^").rstrip("$")
        pattern = re.sub(r"\(\?P<\w+>[^)]*\)", "1", pattern).replace("\\", "")
        if isinstance(entry, URLResolver):
            paths.extend(_all_paths(entry, prefix + pattern))
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + pattern)
    return paths


@pytest.mark.django_db
def test_every_page_is_private_except_login_and_healthz(client):
    paths = _all_paths(get_resolver())
    assert "/users/" in paths and "/team/admin/" in paths
    for path in paths:
        response = client.get(path)
        if path in PUBLIC:
            assert response.status_code in (200, 503), path
            continue
        assert response.status_code in (302, 404), (path, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], (path, response["Location"])


def _nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_each_role_sees_exactly_its_navigation(role, make_member, client_for):
    client = client_for(make_member(f"{role}-x", role))
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _nav_labels(html) == ROLE_NAV[role]
    assert f'<span class="role-badge">{role}</span>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
@pytest.mark.parametrize("url_name", sorted(SCREENS))
def test_screens_answer_403_without_the_permission(role, url_name, make_member, client_for):
    client = client_for(make_member(f"{role}-y", role))
    response = client.get(reverse(url_name))
    if SCREENS[url_name] in ROLE_PERMS[role]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "Your role does not include this screen" in response.content.decode()


@pytest.mark.django_db
def test_superuser_counts_as_admin(django_user_model, client_for):
    boss = django_user_model.objects.create_superuser("boss", "b@example.org", "pw-123456-x")
    client = client_for(boss)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert _nav_labels(html) == ROLE_NAV["admin"]
    assert client.get(reverse("dashboard:audit_list")).status_code == 200


@pytest.mark.django_db
def test_a_person_without_a_role_sees_only_the_overview(django_user_model, client_for):
    nobody = django_user_model.objects.create_user("nobody", password="pw-123456-x")
    client = client_for(nobody)
    assert _nav_labels(client.get("/").content.decode()) == ["Overview"]
    assert client.get(reverse("dashboard:users_list")).status_code == 403


@pytest.mark.django_db
def test_team_admin_only_for_admins(admin_client_, manager_client):
    assert admin_client_.get("/team/admin/").status_code == 200
    assert admin_client_.get("/team/admin/auth/user/").status_code == 200
    response = manager_client.get("/team/admin/", follow=True)
    assert response.status_code == 403
    assert "Your role does not include this screen" in response.content.decode()


@pytest.mark.django_db
def test_team_admin_sends_strangers_to_the_one_login_page(client):
    response = client.get("/team/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_team_page_lists_members_and_roles(admin_client_, agent, manager):
    html = admin_client_.get(reverse("dashboard:team_list")).content.decode()
    assert "agent1" in html and "manager1" in html
    assert re.search(r">manager1</a></th>\s*<td>[^<]*</td>\s*<td>manager</td>", html)


@pytest.mark.django_db
def test_signed_in_pages_are_never_cached(agent_client):
    response = agent_client.get("/")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_admin_can_change_a_persons_role_and_time_zone(admin_client_, agent):
    from django.contrib.auth.models import Group

    from dashboard.models import TeamMember

    url = f"/team/admin/auth/user/{agent.pk}/change/"
    page = admin_client_.get(url).content.decode()
    assert "Time zone" in page and 'name="is_superuser"' not in page
    member = TeamMember.objects.get(user=agent)
    response = admin_client_.post(
        url,
        {
            "username": "agent1",
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "groups": [Group.objects.get(name="manager").pk],
            "member-TOTAL_FORMS": "1",
            "member-INITIAL_FORMS": "1",
            "member-MIN_NUM_FORMS": "0",
            "member-MAX_NUM_FORMS": "1",
            "member-0-id": member.pk,
            "member-0-user": agent.pk,
            "member-0-time_zone": "Asia/Kolkata",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agent.refresh_from_db()
    member.refresh_from_db()
    assert list(agent.groups.values_list("name", flat=True)) == ["manager"]
    assert member.time_zone == "Asia/Kolkata"


@pytest.mark.django_db
def test_a_person_sets_their_own_time_zone(agent_client, agent):
    from dashboard.models import TeamMember

    page = agent_client.get("/accounts/settings/").content.decode()
    assert '<label for="id_time_zone">Your time zone</label>' in page
    response = agent_client.post("/accounts/settings/", {"time_zone": "Mars/Olympus"})
    assert "Choose a time zone from the list." in response.content.decode()
    assert TeamMember.objects.get(user=agent).time_zone == ""
    response = agent_client.post("/accounts/settings/", {"time_zone": "Asia/Kolkata"}, follow=True)
    assert "Your time zone is now Asia/Kolkata." in response.content.decode()
    assert TeamMember.objects.get(user=agent).time_zone == "Asia/Kolkata"
    assert "+0530" in agent_client.get("/accounts/settings/").content.decode()


@pytest.mark.django_db
def test_signed_out_htmx_requests_navigate_to_the_sign_in_page(client):
    # The page asked for (page 2), not the page it was asked from.
    response = client.get(
        "/users/?preset=1&page=2",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/users/?preset=1",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/users/%3Fpreset%3D1%26page%3D2"
    # A POST comes back to the page it was sent from.
    response = client.post(
        "/users/selection/?preset=1",
        {"op": "all"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/users/?preset=1&page=3",
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/users/%3Fpreset%3D1%26page%3D3"
    # A plain request still gets the usual redirect.
    assert client.get("/users/").status_code == 302


@pytest.mark.django_db
def test_an_expired_form_says_what_to_do(agent):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    response = strict.post("/accounts/logout/")
    assert response.status_code == 403
    assert "This form had expired" in response.content.decode()
    assert strict.get("/").status_code == 200  # still signed in: nothing was done


def _change_form(user, *, groups, active=True):
    from dashboard.models import TeamMember

    member, _ = TeamMember.objects.get_or_create(user=user)
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "groups": groups,
        "member-TOTAL_FORMS": "1",
        "member-INITIAL_FORMS": "1",
        "member-MIN_NUM_FORMS": "0",
        "member-MAX_NUM_FORMS": "1",
        "member-0-id": member.pk,
        "member-0-user": user.pk,
        "member-0-time_zone": "",
    }
    if active:
        data["is_active"] = "on"
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_the_last_admin_cannot_be_removed(admin_client_, admin_member, change):
    from django.contrib.auth.models import Group

    url = f"/team/admin/auth/user/{admin_member.pk}/change/"
    agent_group = [Group.objects.get(name="agent").pk]
    admin_group = [Group.objects.get(name="admin").pk]
    data = (
        _change_form(admin_member, groups=agent_group)
        if change == "demote"
        else _change_form(admin_member, groups=admin_group, active=False)
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "This is the last active admin" in response.content.decode()
    admin_member.refresh_from_db()
    assert admin_member.is_active
    assert list(admin_member.groups.values_list("name", flat=True)) == ["admin"]


@pytest.mark.django_db
def test_an_admin_can_step_down_when_another_remains(admin_client_, admin_member, make_member):
    from django.contrib.auth.models import Group

    make_member("admin2", "admin")
    url = f"/team/admin/auth/user/{admin_member.pk}/change/"
    data = _change_form(admin_member, groups=[Group.objects.get(name="manager").pk])
    assert admin_client_.post(url, data).status_code == 302
    assert list(admin_member.groups.values_list("name", flat=True)) == ["manager"]


@pytest.mark.django_db
def test_team_page_shows_the_role_of_deactivated_accounts(admin_client_, agent):
    agent.is_active = False
    agent.save()
    html = admin_client_.get(reverse("dashboard:team_list")).content.decode()
    assert re.search(
        r">agent1</a></th>\s*<td>[^<]*</td>\s*<td>agent</td>\s*"
        r'<td><span class="badge warn">deactivated</span></td>',
        html,
    )


@pytest.mark.django_db
def test_settings_offer_real_places_only(agent_client):
    page = agent_client.get("/accounts/settings/").content.decode()
    assert '<option value="Asia/Kolkata">' in page and '<option value="UTC">' in page
    assert '"Factory"' not in page and '"localtime"' not in page
    assert 'aria-describedby="id_time_zone_helptext"' in page
    assert 'id="id_time_zone_helptext"' in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admins_demoting_each_other_at_once_leave_an_admin(make_member, client_for):
    """Check-then-act: without a lock both counted the other and both were demoted
    (PostgreSQL, 3 of 3 tries); now the second waits for the first and is refused."""
    import threading

    from django.contrib.auth.models import Group
    from django.db import connection

    first, second = make_member("admin-a", "admin"), make_member("admin-b", "admin")
    agent_group = [Group.objects.get(name="agent").pk]
    forms = {
        first: _change_form(second, groups=agent_group),
        second: _change_form(first, groups=agent_group),
    }
    clients = {person: client_for(person) for person in forms}
    together, answers = threading.Barrier(2), []

    def demote(person, other):
        try:
            together.wait()
            answers.append(
                clients[person].post(f"/team/admin/auth/user/{other.pk}/change/", forms[person])
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admins = Group.objects.get(name="admin").user_set.filter(is_active=True)
    assert admins.count() == 1
    # One change went through; the other was refused: counted after the first (the last
    # admin), or, if it started after the first committed, its author no longer an admin.
    saved = [a for a in answers if a.status_code == 302 and "/login/" not in a["Location"]]
    refused = [a for a in answers if a not in saved]
    assert len(saved) == 1 and len(refused) == 1
    other = refused[0]
    assert (
        other.status_code == 200 and "This is the last active admin" in other.content.decode()
    ) or (
        other.status_code in (302, 403)
        and "/team/admin/auth/user/" not in other.get("Location", "")
    )
