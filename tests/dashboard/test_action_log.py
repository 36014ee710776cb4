"""The action log: each kind of action a person takes is recorded once, with who, the
request, the object and its detail; the tab admins read it on (and nobody else can);
the link between an action and the platform calls of the same request."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dashboard.csv_export import CHUNK_ROWS
from dashboard.list_state import conversation_path
from dashboard.models import Flow, Recipient, Run, WhatsAppTemplate
from dashboard.selectors.users import UserFilter
from dashboard.services.actions import ACTION_LABELS, action_record
from dashboard.services.selection import selection_update
from technowiz.context import Actor, acting_as
from technowiz.models import ActionRecord, ImmutableAuditRow, OutboundCall
from technowiz.sandbox.data import EXAMPLE_USER_ID
from tests.conftest import PASSWORD, make_call, page_html

pytestmark = pytest.mark.django_db

LIST = reverse("dashboard:actions_list")
EXPORT = reverse("dashboard:actions_export")
ONE_STAR = UserFilter("feedback", ("1",))


def _only(action: str) -> ActionRecord:
    """The one row of ``action``: recorded once, not twice, not never."""
    rows = list(ActionRecord.objects.filter(action=action))
    assert len(rows) == 1, [(r.action, r.username) for r in rows]
    return rows[0]


def _origin(response) -> str:
    return f"web:{response['X-Request-ID']}"


def _streamed(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- Signing in and out -------------------------------------------------------------------


def test_sign_in_is_recorded_with_the_person_and_the_request(agent):
    response = Client().post("/accounts/login/", {"username": "agent1", "password": PASSWORD})
    assert response.status_code == 302
    row = _only("auth.sign_in")
    assert (row.user_id, row.username, row.origin) == (agent.pk, "agent1", _origin(response))
    assert row.detail == {"address": "127.0.0.1"}


def test_a_failed_sign_in_keeps_the_typed_name_and_no_link(agent):
    response = Client().post("/accounts/login/", {"username": "agent1", "password": "nope"})
    assert response.status_code == 200
    row = _only("auth.sign_in_failed")
    assert (row.user_id, row.username, row.origin) == (None, "agent1", _origin(response))
    assert not ActionRecord.objects.filter(action="auth.sign_in").exists()


def test_a_lockout_is_recorded_once_after_five_failures(agent):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "agent1", "password": "nope"})
    assert ActionRecord.objects.filter(action="auth.sign_in_failed").count() == 5
    row = _only("auth.lockout")
    assert (row.user_id, row.username, row.detail) == (None, "agent1", {"address": "127.0.0.1"})


def test_a_name_with_a_nul_is_recorded_without_it():
    # PostgreSQL refuses NUL in text: a snapshot from anywhere must not fail the action.
    row = action_record(action="auth.sign_in_failed", username="ag\x00ent", detail={"x": "\x00"})
    assert (row.username, row.detail) == ("agent", {"x": ""})


def test_sign_out_is_recorded(agent_client, agent):
    response = agent_client.post("/accounts/logout/")
    row = _only("auth.sign_out")
    assert (row.user_id, row.username, row.origin) == (agent.pk, "agent1", _origin(response))


def test_a_password_change_is_recorded_without_the_password(agent_client, agent):
    new = "another horse battery staple"
    response = agent_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    row = _only("auth.password_change")
    assert (row.username, row.object_type, row.object_id, row.detail) == (
        "agent1",
        "account",
        str(agent.pk),
        {},
    )
    assert new not in str(ActionRecord.objects.values_list())


def test_a_refused_password_change_is_not_recorded(agent_client):
    agent_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
    )
    assert not ActionRecord.objects.filter(action="auth.password_change").exists()


# --- Exports --------------------------------------------------------------------------------


def test_a_users_export_is_recorded_with_its_filter_and_rows_and_links_to_its_calls(
    agent_client, sandbox
):
    response = agent_client.get(reverse("dashboard:users_export") + "?preset=1")
    lines = _streamed(response).splitlines()
    row = _only("export.users")
    assert row.username == "agent1" and row.origin == _origin(response)
    assert row.detail == {"filter": {"preset": "1"}, "rows": len(lines) - 1, "complete": True}
    calls = OutboundCall.objects.filter(origin=row.origin)
    assert calls.exists() and set(calls.values_list("action", flat=True)) == {"users.search"}


def test_a_transcript_export_names_the_platform_user(agent_client, sandbox):
    url = reverse("dashboard:conversation_export", args=[EXAMPLE_USER_ID]) + "?format=txt"
    _streamed(agent_client.get(url))
    row = _only("export.transcript")
    assert (row.object_type, row.object_id) == ("platform_user", EXAMPLE_USER_ID)
    assert row.detail["filter"] == {"format": "txt"} and row.detail["complete"] is True
    assert row.detail["rows"] > 0


def test_an_empty_transcript_export_is_recorded_too(agent_client, sandbox):
    url = reverse("dashboard:conversation_export", args=[EXAMPLE_USER_ID])
    _streamed(agent_client.get(url + "?format=csv&start=2001-01-01&end=2001-01-01"))
    assert _only("export.transcript").detail["rows"] == 0


def test_an_export_answered_but_not_read_yet_records_nothing_yet(agent_client, sandbox):
    url = reverse("dashboard:conversation_export", args=[EXAMPLE_USER_ID])
    response = agent_client.get(url + "?format=txt")
    assert not ActionRecord.objects.filter(action="export.transcript").exists()
    _streamed(response)
    assert _only("export.transcript").detail["complete"] is True


def test_audit_and_action_exports_are_recorded(admin_client_):
    make_call()
    _streamed(admin_client_.get(reverse("dashboard:audit_export") + "?action=users.search"))
    audit = _only("export.audit")
    assert audit.detail == {"filter": {"action": "users.search"}, "rows": 1, "complete": True}
    text = _streamed(admin_client_.get(EXPORT + "?action=export.audit"))
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[0][:5] == ["id", "created_at", "username", "origin", "action"]
    assert [r[0] for r in exported[1:]] == [str(audit.pk)]
    assert _only("export.actions").detail["rows"] == 1


def test_a_download_stopped_early_is_recorded_as_incomplete(admin_client_):
    for _ in range(CHUNK_ROWS + 50):
        make_call()
    response = admin_client_.get(reverse("dashboard:audit_export"))
    stream = iter(response.streaming_content)
    next(stream), next(stream)  # the header and the first chunk of rows
    # The download stops: the stream is closed, then the response (the test client's
    # wrapper does both, keeping the test's database connection open).
    response._iterator.close()
    row = _only("export.audit")
    assert (row.detail["rows"], row.detail["complete"]) == (CHUNK_ROWS, False)


# --- Runs -----------------------------------------------------------------------------------


@pytest.fixture
def launched(manager, manager_client, sandbox):
    """A flow run from the 1-star selection, confirmed by the manager."""
    flow = Flow.objects.create(key="callback_request", name="Call-back", attributes=["city"])
    selection_update(manager, user_filter=ONE_STAR, op="all", user_ids=[])
    manager_client.post(reverse("dashboard:trigger_create"), {"source": "selection"})
    run = Run.objects.get()
    manager_client.post(reverse("dashboard:run_choose", args=[run.pk]), {"chosen": flow.pk})
    manager_client.post(
        reverse("dashboard:run_values", args=[run.pk]), {"source_city": "text", "value_city": "Goa"}
    )
    response = manager_client.post(
        reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)}
    )
    run.refresh_from_db()
    return run, response


def test_a_launch_is_recorded_once_with_who_drafted_and_how_many(launched, manager_client):
    run, response = launched
    manager_client.post(reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)})
    row = _only("run.launch")  # the replayed confirm launched nothing, and records nothing
    assert (row.username, row.object_type, row.object_id) == ("manager1", "run", str(run.pk))
    assert row.object_label == f"Flow {run.name}" and row.origin == _origin(response)
    pending = Recipient.objects.filter(run=run, state="pending").count()
    assert row.detail == {"drafted_by": "manager1", "recipients": pending}


def _control(client, run, op):
    return client.post(reverse("dashboard:run_control", args=[run.pk]), {"op": op})


def test_pause_resume_and_cancel_are_recorded(launched, manager_client):
    run, _ = launched
    for op in ("pause", "resume", "cancel"):
        _control(manager_client, run, op)
    assert _only("run.pause").detail == {"before": "queued"}
    assert _only("run.resume").object_id == str(run.pk)
    pending = Recipient.objects.filter(run=run, state="not_sent").count()
    assert _only("run.cancel").detail == {"before": "queued", "not_sent": pending}
    _control(manager_client, run, "pause")  # too late: nothing happens, nothing recorded
    assert ActionRecord.objects.filter(action="run.pause").count() == 1


def test_dropping_unknowns_and_a_resend_are_recorded(launched, manager_client):
    run, _ = launched
    Run.objects.filter(pk=run.pk).update(state="finished")
    first, second = Recipient.objects.filter(run=run, state="pending")[:2]
    Recipient.objects.filter(run=run).exclude(pk__in=[first.pk, second.pk]).update(state="sent")
    Recipient.objects.filter(pk=first.pk).update(state="unknown")
    Recipient.objects.filter(pk=second.pk).update(state="failed")
    _control(manager_client, run, "resend")
    draft = Run.objects.get(resend_of=run)
    assert _only("run.resend").detail == {"draft": draft.pk, "recipients": 2}
    _control(manager_client, run, "drop")
    assert _only("run.drop_unknown").detail == {"dropped": 1}


def test_a_run_export_is_recorded(launched, manager_client):
    run, _ = launched
    text = _streamed(manager_client.get(reverse("dashboard:run_export", args=[run.pk])))
    row = _only("export.run")
    assert (row.object_type, row.object_id) == ("run", str(run.pk))
    assert row.detail["rows"] == len(text.splitlines()) - 1


# --- Catalogue ------------------------------------------------------------------------------


def test_catalogue_changes_are_recorded_with_before_and_after(manager_client):
    body = "Hi {{1}}"
    manager_client.post(
        reverse("dashboard:template_create"),
        {"name": "sorry", "language": "en", "body": body, "active": "on"},
    )
    template = WhatsAppTemplate.objects.get()
    created = _only("catalogue.create")
    assert (created.object_type, created.object_id, created.object_label) == (
        "template",
        str(template.pk),
        "sorry (en)",
    )
    assert created.detail["after"] == {
        "active": True,
        "body": body,
        "language": "en",
        "name": "sorry",
    }
    manager_client.post(
        reverse("dashboard:template_edit", args=[template.pk]),
        {"name": "sorry", "language": "hi", "body": body, "active": "on"},
    )
    assert _only("catalogue.change").detail == {
        "before": {"language": "en"},
        "after": {"language": "hi"},
    }
    toggle = reverse("dashboard:template_toggle", args=[template.pk])
    manager_client.post(toggle, {"active": "0"})
    manager_client.post(toggle, {"active": "1"})
    assert _only("catalogue.deactivate").detail == {
        "before": {"active": True},
        "after": {"active": False},
    }
    assert _only("catalogue.reactivate").object_label == "sorry (hi)"


# --- Accounts -------------------------------------------------------------------------------


def test_a_time_zone_change_is_recorded_with_before_and_after(agent_client, agent):
    agent_client.post(reverse("account_settings"), {"time_zone": "Asia/Kolkata"})
    row = _only("account.time_zone")
    assert (row.username, row.object_id) == ("agent1", str(agent.pk))
    assert row.detail == {"before": {"time_zone": ""}, "after": {"time_zone": "Asia/Kolkata"}}


def _change_form(user, *, groups, active=True, time_zone=""):
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
        "member-0-time_zone": time_zone,
    }
    if active:
        data["is_active"] = "on"
    return data


def test_role_deactivation_and_time_zone_changes_by_an_admin_are_recorded(
    admin_client_, agent, django_user_model
):
    from django.contrib.auth.models import Group

    manager_role = Group.objects.get(name="manager").pk
    url = f"/team/admin/auth/user/{agent.pk}/change/"
    form = _change_form(agent, groups=[manager_role], active=False, time_zone="Europe/London")
    response = admin_client_.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = _only("account.change")
    assert (row.username, row.object_type, row.object_id, row.object_label) == (
        "admin1",
        "account",
        str(agent.pk),
        "agent1",
    )
    assert row.detail == {
        "before": {"active": True, "roles": ["agent"], "time_zone": ""},
        "after": {"active": False, "roles": ["manager"], "time_zone": "Europe/London"},
    }


def test_an_account_created_by_an_admin_is_recorded(admin_client_):
    response = admin_client_.post(
        "/team/admin/auth/user/add/",
        {
            "username": "newbie",
            "password1": "a long enough password 123",
            "password2": "a long enough password 123",
            "usable_password": "true",
            "member-TOTAL_FORMS": "1",
            "member-INITIAL_FORMS": "0",
            "member-MIN_NUM_FORMS": "0",
            "member-MAX_NUM_FORMS": "1",
            "member-0-time_zone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = _only("account.create")
    newbie = get_user_model().objects.get(username="newbie")
    assert (row.username, row.object_id) == ("admin1", str(newbie.pk))
    assert row.detail["before"] == {} or set(row.detail["before"].values()) <= {None}
    assert row.detail["after"]["username"] == "newbie"
    assert "a long enough password" not in str(row.detail)


def test_a_password_set_by_an_admin_is_recorded_without_it(admin_client_, agent):
    new = "a long enough password 456"
    response = admin_client_.post(
        f"/team/admin/auth/user/{agent.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = _only("account.password_set")
    assert (row.username, row.object_id, row.object_label, row.detail) == (
        "admin1",
        str(agent.pk),
        "agent1",
        {},
    )


# --- The rows themselves --------------------------------------------------------------------


def test_action_rows_refuse_edits_and_deletes_through_the_application(admin_member):
    row = action_record(action="auth.sign_in", person=admin_member)
    row.username = "someone else"
    with pytest.raises(ImmutableAuditRow, match=r"Action records cannot be edited\."):
        row.save()
    with pytest.raises(ImmutableAuditRow, match=r"Action records cannot be deleted\."):
        ActionRecord.objects.all().delete()


def test_every_kind_has_a_label():
    assert all(ACTION_LABELS[name] for name in ACTION_LABELS)


# --- The tab --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [LIST, EXPORT, reverse("dashboard:action_detail", args=[1]), LIST + "?action=x"]
)
def test_only_admins_see_the_action_log(agent_client, manager_client, client, url):
    assert agent_client.get(url).status_code == 403
    assert manager_client.get(url).status_code == 403
    assert client.get(url).status_code == 302


def _ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-action="(\d+)">', html)]


def test_the_list_filters_and_pages_newest_first(admin_client_, admin_member, agent):
    mine = [action_record(action="export.users", person=agent) for _ in range(3)]
    other = action_record(action="run.pause", object_type="run", object_id=7, person=agent)
    html = page_html(admin_client_.get(LIST + "?username=agent1&action=export.users&size=50"))
    assert _ids(html) == [r.pk for r in reversed(mine)]
    assert "<strong>3</strong> actions match this filter" in html
    html = page_html(admin_client_.get(LIST + "?object_type=run&object_id=7"))
    assert _ids(html) == [other.pk]
    assert "<strong>1</strong> action matches this filter" in html
    fragment = page_html(admin_client_.get(LIST + "?username=agent1", HTTP_HX_REQUEST="true"))
    assert fragment.strip().startswith('<div id="actions-screen">')
    assert _ids(fragment)[:2] == [other.pk, mine[-1].pk]


def test_keyset_paging_walks_the_whole_log_once(admin_client_, agent):
    made = [action_record(action="export.users", person=agent).pk for _ in range(120)]
    seen, url = [], LIST + "?username=agent1&size=50"
    while url:
        html = page_html(admin_client_.get(url))
        seen += _ids(html)
        found = re.search(r'<a href="([^"]+)" hx-get="[^"]+"[^>]*rel="next">', html)
        url = LIST + found.group(1).replace("&amp;", "&") if found else ""
    assert seen == made[::-1]


def test_bad_filters_are_explained(admin_client_):
    html = page_html(admin_client_.get(LIST + "?action=nope&before=x"))
    assert "Choose an action from the list." in html
    assert "The position in the log must be a call number." in html
    response = admin_client_.get(EXPORT + "?action=nope")
    assert response.status_code == 400
    assert "Correct the filter first: Choose an action from the list." in response.content.decode()


def test_detail_shows_the_change_and_links_the_calls_of_its_request(admin_client_, agent):
    call = make_call(origin="web:req-1")
    action = action_record(
        action="account.change",
        object_type="account",
        object_id=agent.pk,
        object_label="agent1",
        detail={"before": {"roles": ["agent"]}, "after": {"roles": ["manager"]}},
        person=agent,
    )
    with acting_as(Actor(user_id=agent.pk, username="agent1", origin="web:req-1")):
        caused = action_record(action="export.users", detail={"rows": 3})
    html = page_html(admin_client_.get(reverse("dashboard:action_detail", args=[action.pk])))
    assert (
        '<th scope="row">roles</th><td>[&quot;agent&quot;]</td><td>[&quot;manager&quot;]</td>'
        in (html)
    )
    html = page_html(admin_client_.get(reverse("dashboard:action_detail", args=[caused.pk])))
    assert f'<a href="{reverse("dashboard:audit_detail", args=[call.pk])}">#{call.pk}</a>' in html
    back = page_html(admin_client_.get(reverse("dashboard:audit_detail", args=[call.pk])))
    assert f'href="{reverse("dashboard:action_detail", args=[caused.pk])}">Action #' in back
    assert admin_client_.get(reverse("dashboard:action_detail", args=[10**9])).status_code == 404


# --- The work queue and the team pages ------------------------------------------------------


def test_queue_changes_notes_and_bulk_assignment_are_recorded(
    agent_client, agent, manager_client, sandbox
):
    update = conversation_path(EXAMPLE_USER_ID, "dashboard:queue_update")
    response = agent_client.post(
        update, {"state": "in_progress", "assignee": agent.pk, "version": 0}
    )
    row = _only("queue.change")
    assert (row.username, row.origin, row.object_type, row.object_id) == (
        "agent1",
        _origin(response),
        "platform_user",
        EXAMPLE_USER_ID,
    )
    assert row.detail == {
        "before": {"assignee": "nobody", "state": "New"},
        "after": {"assignee": "agent1", "state": "In progress"},
    }
    # A change refused (made from an old version) is not recorded.
    agent_client.post(update, {"state": "resolved", "version": 0})
    assert ActionRecord.objects.filter(action="queue.change").count() == 1

    notes = conversation_path(EXAMPLE_USER_ID, "dashboard:queue_note_create")
    agent_client.post(notes, {"text": "Called, no answer"})
    row = _only("queue.note")
    assert (row.username, row.object_id, row.detail["characters"]) == (
        "agent1",
        EXAMPLE_USER_ID,
        len("Called, no answer"),
    )
    assert "Called" not in str(row.detail)  # the note stays with the team, not in the log

    one_star = [u["user_id"] for u in sandbox.data.users_matching("feedback", "1")]
    manager_client.get(reverse("dashboard:users_list") + "?preset=1")
    select = reverse("dashboard:users_select") + "?preset=1"
    for user_id in one_star[:3]:
        manager_client.post(select, {"op": "toggle", "toggle": user_id, "user_id": user_id})
    manager_client.post(reverse("dashboard:users_assign") + "?preset=1", {"assignee": agent.pk})
    row = _only("queue.assign_many")
    assert (row.username, row.detail["users"], row.detail["assignee"]) == ("manager1", 3, "agent1")
    assert sorted(row.detail["first"]) == sorted(one_star[:3])


def test_the_team_pages_record_create_change_deactivation_and_password(admin_client_, agent):
    created = admin_client_.post(
        "/team/new/",
        {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Bie",
            "email": "",
            "role": "agent",
            "time_zone": "Asia/Kolkata",
            "password1": "another sound phrase 7",
            "password2": "another sound phrase 7",
        },
    )
    assert created.status_code == 302, page_html(created)[:2000]
    row = _only("account.create")
    assert (row.username, row.object_label) == ("admin1", "newbie")
    assert row.detail["after"]["roles"] == ["agent"]
    assert row.detail["after"]["time_zone"] == "Asia/Kolkata"
    assert "another sound phrase" not in str(row.detail)

    admin_client_.post(f"/team/{agent.pk}/active/", {"active": "0"})
    row = _only("account.change")
    assert (row.object_label, row.detail) == (
        "agent1",
        {"before": {"active": True}, "after": {"active": False}},
    )
    new = {"new_password1": "another sound phrase 8", "new_password2": "another sound phrase 8"}
    admin_client_.post(f"/team/{agent.pk}/password/", new)
    row = _only("account.password_set")
    assert (row.object_label, row.detail) == ("agent1", {})
