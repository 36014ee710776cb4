"""The broadcast and flow-run screens: who may use them, the audience and its set-asides,
the values and their preview, one launch per confirm, and a person's decisions after."""

import io
import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from dashboard.models import Flow, Recipient, Run, WhatsAppTemplate
from dashboard.selectors.users import UserFilter
from dashboard.services.selection import selection_update
from technowiz.models import OutboundCall
from technowiz.sandbox.data import EXAMPLE_USER_ID, SandboxData
from tests.conftest import page_html

pytestmark = pytest.mark.django_db

ONE_STAR = UserFilter("feedback", ("1",))
FOLLOWUP_BODY = "Hi {{1}}, you rated us {{2}} stars. We are sorry, and we want to make it right."


@pytest.fixture
def followup(db):
    return WhatsAppTemplate.objects.create(name="feedback_followup", body=FOLLOWUP_BODY)


@pytest.fixture
def callback(db):
    return Flow.objects.create(key="callback_request", name="Call-back", attributes=["city"])


def _run() -> Run:
    return Run.objects.get()


def _draft_from_selection(client, person, kind="broadcast") -> Run:
    selection_update(person, user_filter=ONE_STAR, op="all", user_ids=[])
    url = reverse(
        "dashboard:broadcast_create" if kind == "broadcast" else "dashboard:trigger_create"
    )
    response = client.post(url, {"source": "selection"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return _run()


def _configured(client, run: Run, chosen, values: dict) -> str:
    client.post(reverse("dashboard:run_choose", args=[run.pk]), {"chosen": chosen.pk})
    response = client.post(reverse("dashboard:run_values", args=[run.pk]), values)
    assert response.status_code == 302, response.content.decode()[:3000]
    return page_html(client.get(reverse("dashboard:run_detail", args=[run.pk])))


def _nothing_sent(sandbox) -> bool:
    stats = sandbox.stats
    return (
        not stats.broadcasts
        and not stats.triggers
        and not OutboundCall.objects.filter(action__in=("broadcast.send", "flow.trigger")).exists()
    )


# --- who may --------------------------------------------------------------------------------


def _run_urls(run_id: int) -> list[tuple[str, str]]:
    plain = [
        ("get", reverse("dashboard:broadcasts_list")),
        ("get", reverse("dashboard:broadcast_new")),
        ("post", reverse("dashboard:broadcast_create")),
        ("get", reverse("dashboard:triggers_list")),
        ("get", reverse("dashboard:trigger_new")),
        ("post", reverse("dashboard:trigger_create")),
    ]
    for name, method in [
        ("run_detail", "get"),
        ("run_export", "get"),
        ("run_choose", "post"),
        ("run_values", "post"),
        ("run_confirm", "post"),
        ("run_control", "post"),
    ]:
        plain.append((method, reverse(f"dashboard:{name}", args=[run_id])))
    return plain


def test_an_agent_gets_403_everywhere_and_nothing_changes(
    agent_client, manager, manager_client, sandbox, callback
):
    run = _draft_from_selection(manager_client, manager, kind="trigger")
    for method, url in _run_urls(run.pk):
        data = {"source": "selection", "op": "cancel", "key": str(run.key), "chosen": callback.pk}
        response = getattr(agent_client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert Run.objects.count() == 1 and _run().state == "draft" and _run().flow is None
    assert not DBTaskResult.objects.exists() and _nothing_sent(sandbox)


def test_an_agent_sees_no_send_buttons(agent, agent_client, sandbox):
    selection_update(agent, user_filter=ONE_STAR, op="all", user_ids=[])
    users = page_html(agent_client.get("/users/?preset=1"))
    conversation = page_html(agent_client.get(f"/users/{EXAMPLE_USER_ID}/conversation/?preset=1"))
    for html in (users, conversation):
        assert "Broadcast a template" not in html and "Start a flow" not in html


def test_a_manager_sees_them(manager, manager_client, sandbox):
    selection_update(manager, user_filter=ONE_STAR, op="all", user_ids=[])
    users = page_html(manager_client.get("/users/?preset=1"))
    assert "Broadcast a template to the selection" in users
    assert "Start a flow for the selection" in users
    conversation = page_html(manager_client.get(f"/users/{EXAMPLE_USER_ID}/conversation/"))
    assert "Start a flow for this user" in conversation


# --- from the selection to the launch -------------------------------------------------------


def test_a_broadcast_from_the_selection_sets_aside_who_has_no_whatsapp(
    manager, manager_client, sandbox, followup
):
    run = _draft_from_selection(manager_client, manager)
    users = [u for u in SandboxData.build().users if u["attributes"].get("feedback") == "1"]
    with_phone = [u for u in users if u["phone_no"]]
    html = page_html(manager_client.get(reverse("dashboard:run_detail", args=[run.pk])))
    assert f"<strong>{len(with_phone)}</strong> people will receive it" in html
    no_phone = len(users) - len(with_phone)
    assert f'<tr><td>No WhatsApp phone number</td><td class="num">{no_phone}</td></tr>' in html
    assert "Send the broadcast" not in html  # nothing chosen yet
    assert _nothing_sent(sandbox)


def test_mapped_values_are_previewed_and_the_launch_is_confirmed_once(
    manager, manager_client, sandbox, followup, django_capture_on_commit_callbacks
):
    run = _draft_from_selection(manager_client, manager)
    html = _configured(
        manager_client,
        run,
        followup,
        {
            "name": "nov-apology",
            "source_1": "name",
            "fallback_1": "there",
            "source_2": "attribute",
            "value_2": "feedback",
        },
    )
    first = Recipient.objects.filter(run=run, state="pending").order_by("position").first()
    assert f"Hi {first.name or 'there'}, you rated us 1 stars." in html.replace("&#x27;", "'")
    assert "would get an empty value" not in html
    key = re.search(r'name="key" value="([^"]+)"', html)[1]
    confirm = reverse("dashboard:run_confirm", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first_answer = manager_client.post(confirm, {"key": key})
        again = manager_client.post(confirm, {"key": key}, follow=True)
    assert first_answer.status_code == 302
    assert "This run was launched already" in again.content.decode()
    run.refresh_from_db()
    assert (run.state, run.launched_by, run.name) == ("queued", manager, "nov-apology")
    assert Run.objects.count() == 1 and DBTaskResult.objects.count() == 1
    assert _nothing_sent(sandbox)  # the worker sends, not the request


def test_an_empty_value_without_fallback_blocks_sending(manager, manager_client, sandbox, followup):
    run = _draft_from_selection(manager_client, manager)
    html = _configured(
        manager_client,
        run,
        followup,
        {
            "name": "x",
            "source_1": "attribute",
            "value_1": "no_such_attribute",
            "source_2": "text",
            "value_2": "5",
        },
    )
    count = Recipient.objects.filter(run=run, state="pending").count()
    assert f"<strong>{count}</strong> recipients would get an empty value" in html
    assert "Send the broadcast" not in html
    response = manager_client.post(
        reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)}
    )
    assert response.status_code == 409
    assert f"{count:,} recipients would get an empty value" in response.content.decode()
    assert _run().state == "draft" and not DBTaskResult.objects.exists()


def test_values_that_need_words_say_so(manager, manager_client, sandbox, followup):
    run = _draft_from_selection(manager_client, manager)
    manager_client.post(reverse("dashboard:run_choose", args=[run.pk]), {"chosen": followup.pk})
    response = manager_client.post(
        reverse("dashboard:run_values", args=[run.pk]),
        {
            "name": "has spaces",
            "source_1": "attribute",
            "value_1": "",
            "source_2": "text",
            "value_2": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Use 1-54 letters, digits, _ or - (no spaces)." in html
    assert "Name the attribute the value comes from." in html
    assert "Type the text every recipient gets." in html


# --- a CSV file -----------------------------------------------------------------------------


def _upload(client, content: bytes, name="people.csv"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("dashboard:broadcast_create"), {"source": "csv", "file": file})


def test_a_csv_with_bad_rows_sets_them_aside_with_reasons(manager_client, sandbox):
    csv = (
        b"phone,name,city\n"
        b"+447700900001,Ann,Leeds\n"
        b"07700 900002,Bob,Hull\n"  # no country code
        b"+44 7700 900-001,Ann again,Leeds\n"  # the same number, written otherwise
        b",Nobody,York\n"
        b"0044 7700 900003,Cy,Bath\n"
    )
    response = _upload(manager_client, csv)
    assert response.status_code == 302
    html = page_html(manager_client.get(response["Location"]))
    assert "<strong>2</strong> people will receive it; <strong>3</strong> are set aside" in html
    for reason in (
        "Not a phone number in international format (+ and country code)",
        "Already in this audience (same phone number)",
        "No WhatsApp phone number",
    ):
        assert f'<tr><td>{reason}</td><td class="num">1</td></tr>' in html
    phones = set(Recipient.objects.filter(state="pending").values_list("phone", flat=True))
    assert phones == {"+447700900001", "+447700900003"}
    assert Recipient.objects.get(name="Ann").attributes == {"city": "Leeds"}
    assert _nothing_sent(sandbox)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("phone,name\n+447700900001,Zoë\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"name,city\nAnn,Leeds\n", "The first line must name the columns, one of them"),
        (b"", "The file is empty."),
        (b"phone,name\n", "The file names its columns but lists nobody."),
        (b"phone,name\n+447700900001\n", "Line 2 has 1 values, the first line names 2."),
        (b"phone\n" + b"9" * 10 * 1024 * 1024, "The file is 10.0 MB; upload at most 5 MB"),
    ],
)
def test_an_unreadable_csv_is_refused_in_words(manager_client, sandbox, content, message):
    response = _upload(manager_client, content)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Run.objects.exists() and _nothing_sent(sandbox)


def test_a_csv_of_50000_people_becomes_a_draft(manager_client, sandbox):
    lines = "".join(f"+4477009{n:05d},P{n}\n" for n in range(50_000))
    response = _upload(manager_client, ("phone,name\n" + lines).encode())
    assert response.status_code == 302
    assert Recipient.objects.filter(state="pending").count() == 50_000
    assert _nothing_sent(sandbox)


# --- one user, and after the launch --------------------------------------------------------


def test_start_a_flow_for_the_user_of_a_conversation(manager_client, sandbox, callback):
    response = manager_client.post(
        reverse("dashboard:trigger_create"),
        {"source": "user", "user_id": EXAMPLE_USER_ID, "list": "preset=1"},
    )
    assert response.status_code == 302
    [recipient] = Recipient.objects.all()
    assert (recipient.phone, recipient.name) == (f"+{EXAMPLE_USER_ID}", "Asha Rao")
    assert recipient.attributes["city"] == "Pune"
    html = _configured(
        manager_client, _run(), callback, {"source_city": "attribute", "value_city": "city"}
    )
    assert "Start the flow for 1 person" in html
    assert '<span class="attr-name">city</span> Pune' in html


def test_a_running_run_is_polled_and_a_finished_one_is_not(
    manager, manager_client, sandbox, callback
):
    run = _draft_from_selection(manager_client, manager, kind="trigger")
    _configured(manager_client, run, callback, {"source_city": "text", "value_city": "Goa"})
    manager_client.post(reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)})
    url = reverse("dashboard:run_detail", args=[run.pk])
    fragment = page_html(manager_client.get(url, HTTP_HX_REQUEST="true"))
    assert (
        fragment.strip().startswith('<section id="run-progress"')
        and 'hx-trigger="every 2s"' in fragment
    )
    Run.objects.filter(pk=run.pk).update(state="finished")
    assert 'hx-trigger="every 2s"' not in page_html(manager_client.get(url))


def test_cancel_says_how_many_were_sent(manager, manager_client, sandbox, callback):
    run = _draft_from_selection(manager_client, manager, kind="trigger")
    _configured(manager_client, run, callback, {"source_city": "text", "value_city": "Goa"})
    manager_client.post(reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)})
    sent = list(Recipient.objects.filter(run=run, state="pending")[:3].values_list("pk", flat=True))
    Recipient.objects.filter(pk__in=sent).update(state="sent")
    response = manager_client.post(
        reverse("dashboard:run_control", args=[run.pk]), {"op": "cancel"}, follow=True
    )
    assert "Cancelled: 3 sent before it stopped; nothing more will be." in response.content.decode()
    assert not Recipient.objects.filter(run=run, state="pending").exists()


def test_a_resend_is_a_new_draft_that_waits_for_a_confirm(
    manager, manager_client, sandbox, callback
):
    run = _draft_from_selection(manager_client, manager, kind="trigger")
    _configured(manager_client, run, callback, {"source_city": "text", "value_city": "Goa"})
    manager_client.post(reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)})
    Run.objects.filter(pk=run.pk).update(state="finished")
    Recipient.objects.filter(run=run, state="pending").update(state="sent")
    unknown = Recipient.objects.filter(run=run, state="sent").first()
    Recipient.objects.filter(pk=unknown.pk).update(state="unknown")
    response = manager_client.post(
        reverse("dashboard:run_control", args=[run.pk]), {"op": "resend"}, follow=True
    )
    draft = Run.objects.get(resend_of=run)
    assert draft.state == "draft" and draft.flow == callback
    assert list(Recipient.objects.filter(run=draft).values_list("phone", "state")) == [
        (unknown.phone, "pending")
    ]
    assert "review it and confirm" in response.content.decode()
    assert not Run.objects.filter(resend_of=run).exclude(state="draft").exists()
