"""Sending a launched run: each unit once, its outcome recorded, files of at most 10,000
rows, one launch per confirm, and nothing re-sent after a worker died mid-call."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from dashboard.models import BroadcastPart, Flow, Recipient, Run, RunLease, WhatsAppTemplate
from dashboard.services import run_worker
from dashboard.services.audience import Member
from dashboard.services.mapping import Source
from dashboard.services.runs import (
    LaunchRefused,
    draft_choose,
    draft_configure,
    draft_create,
    run_launch,
    run_resend,
)
from technowiz.models import OutboundCall

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _phone(n: int) -> str:
    return f"+4477009{n:05d}"


def _people(count: int) -> list[Member]:
    return [
        Member(user_id=f"u{n}", name=f"Person {n}", phone=_phone(n), attributes={"city": f"C{n}"})
        for n in range(count)
    ]


@pytest.fixture
def followup():
    return WhatsAppTemplate.objects.create(
        name="feedback_followup",
        language="en",
        body="Hi {{1}}, you rated us {{2}} stars. We are sorry, and we want to make it right.",
    )


@pytest.fixture
def callback():
    return Flow.objects.create(key="callback_request", name="Call-back", attributes=["city"])


def _launched(person, members, *, template=None, flow=None, sources=None) -> Run:
    kind = "broadcast" if template else "trigger"
    run = draft_create(kind=kind, person=person, members=members, audience="test")
    draft_choose(run, template=template, flow=flow)
    draft_configure(run, name="nov-apology", sources=sources or {}, include_recent=False)
    run, launched = run_launch(run, key=str(run.key), person=person)
    assert launched
    return run


def test_a_trigger_run_calls_the_flow_once_for_each_recipient(manager, sandbox, callback):
    run = _launched(
        manager, _people(30), flow=callback, sources={"city": Source("attribute", "city")}
    )
    run_worker.work(run.pk)
    run.refresh_from_db()
    assert run.state == "finished" and run.finished_at
    triggers = sandbox.stats.triggers
    assert sorted(t["phone_no"] for t in triggers) == sorted(_phone(n) for n in range(30))
    assert {t["body"]["city"] for t in triggers} == {f"C{n}" for n in range(30)}
    assert set(Recipient.objects.filter(run=run).values_list("state", flat=True)) == {"sent"}
    # Each recipient's call is the audit row it names, made for the person who launched.
    calls = {c.call_id: c for c in OutboundCall.objects.filter(action="flow.trigger")}
    for recipient in Recipient.objects.filter(run=run):
        call = calls[recipient.call_id]
        assert call.outcome == "ok" and call.username == manager.get_username()
        assert call.origin == f"job:run-{run.pk}"
    assert not RunLease.objects.exists()


@pytest.fixture
def sandbox_server(settings):
    """The sandbox as its own HTTP server (real sockets, multipart on the wire), behind the
    process's client: what it received is what went out."""
    from technowiz.client import reset_client
    from technowiz.sandbox import Faults, SandboxApp, SandboxServer

    app = SandboxApp(
        api_key="sandbox-key",
        customer_id=settings.TECHNOWIZ_CUSTOMER_ID,
        bot_key=settings.TECHNOWIZ_BOT_KEY,
        faults=Faults(),
    )
    with SandboxServer(app) as server:
        settings.TECHNOWIZ_BASE_URL, settings.TECHNOWIZ_SANDBOX_URL = "", server.url
        settings.TECHNOWIZ_API_KEY, settings.TECHNOWIZ_RATE_LIMIT = "sandbox-key", 0
        reset_client()
        yield app
    reset_client()


def test_a_broadcast_of_12345_is_sent_as_two_files_with_each_persons_values(
    manager, sandbox_server, followup
):
    sandbox = sandbox_server
    sources = {"1": Source("name"), "2": Source("attribute", "city")}
    run = _launched(manager, _people(12_345), template=followup, sources=sources)
    run_worker.work(run.pk)
    files = sandbox.stats.broadcasts
    assert [f["broadcast_id"] for f in files] == ["nov-apology-part-1", "nov-apology-part-2"]
    assert [f["accepted_count"] for f in files] == [10_000, 2_345]
    phones = files[0]["phone_numbers"] + files[1]["phone_numbers"]
    assert phones == [_phone(n) for n in range(12_345)]
    values = files[0]["parameters"] + files[1]["parameters"]
    assert values[0] == ["Person 0", "C0"] and values[-1] == ["Person 12344", "C12344"]
    parts = list(BroadcastPart.objects.filter(run=run).values_list("state", "rows"))
    assert parts == [("sent", 10_000), ("sent", 2_345)]
    assert Recipient.objects.filter(run=run, state="sent").count() == 12_345


def test_a_double_confirm_launches_one_run(manager, sandbox, callback):
    run = draft_create(kind="trigger", person=manager, members=_people(3), audience="test")
    draft_choose(run, flow=callback)
    draft_configure(
        run,
        name="x",
        sources={"city": Source("text", "Goa")},
        include_recent=False,
    )
    first = run_launch(run, key=str(run.key), person=manager)
    again = run_launch(run, key=str(run.key), person=manager)
    assert (first[1], again[1]) == (True, False)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 1  # one task queued
    with pytest.raises(LaunchRefused, match="out of date"):
        run_launch(run, key="00000000-0000-0000-0000-000000000000", person=manager)


def test_an_empty_value_without_a_fallback_blocks_the_launch(manager, sandbox, callback):
    people = _people(3)
    people[1].attributes = {}
    run = draft_create(kind="trigger", person=manager, members=people, audience="test")
    draft_choose(run, flow=callback)
    draft_configure(
        run,
        name="x",
        sources={"city": Source("attribute", "city")},
        include_recent=False,
    )
    with pytest.raises(LaunchRefused, match="1 recipient would get an empty value"):
        run_launch(run, key=str(run.key), person=manager)
    run.refresh_from_db()
    assert run.state == "draft" and not sandbox.stats.triggers
    draft_choose(run, flow=callback)
    draft_configure(
        run,
        name="x",
        sources={"city": Source("attribute", "city", "Pune")},
        include_recent=False,
    )
    assert run_launch(run, key=str(run.key), person=manager)[1]


def test_units_a_dead_worker_left_sending_become_unknown_and_are_not_sent(
    manager, sandbox, callback
):
    run = _launched(manager, _people(5), flow=callback, sources={"city": Source("text", "Goa")})
    # A worker claimed the first two, then died: its lease ran out.
    RunLease.objects.create(run=run, owner="dead", expires_at=timezone.now() - timedelta(1))
    in_flight = list(Recipient.objects.filter(run=run).order_by("position")[:2])
    for recipient in in_flight:
        recipient.state, recipient.claimed_by = "sending", "dead"
        recipient.save()
    run_worker.work(run.pk)
    states = dict(Recipient.objects.filter(run=run).values_list("phone", "state"))
    assert [states[r.phone] for r in in_flight] == ["unknown", "unknown"]
    assert sorted(t["phone_no"] for t in sandbox.stats.triggers) == [_phone(n) for n in (2, 3, 4)]
    assert (
        "may or may not have reached the platform"
        in Recipient.objects.get(pk=in_flight[0].pk).reason
    )
    run.refresh_from_db()
    assert run.state == "finished"


def test_each_outcome_is_recorded_with_the_platforms_reason(manager, sandbox, callback):
    run = _launched(manager, _people(3), flow=callback, sources={"city": Source("text", "Goa")})
    sandbox.faults.push("status=502", "status=503")  # a gateway lost it; then a refusal
    with override_settings(RUN_CONCURRENCY=1):
        run_worker.work(run.pk)
    recipients = list(Recipient.objects.filter(run=run).order_by("position"))
    assert [r.state for r in recipients] == ["unknown", "failed", "sent"]
    assert "may or may not have acted" in recipients[0].reason
    assert recipients[1].reason.startswith("The platform had an internal problem.")
    assert len(sandbox.stats.triggers) == 1  # only the last one was accepted


def test_a_resend_is_a_new_draft_of_the_failed_and_unknown_that_sends_only_them(
    manager, sandbox, callback
):
    run = _launched(manager, _people(3), flow=callback, sources={"city": Source("text", "Goa")})
    sandbox.faults.push("status=502", "status=503")  # unknown, failed, sent
    with override_settings(RUN_CONCURRENCY=1):
        run_worker.work(run.pk)
    draft = run_resend(run, person=manager)
    assert (draft.state, draft.resend_of, draft.flow) == ("draft", run, callback)
    assert draft.name == "nov-apology-resend" and draft.mapping == run.mapping
    # Contacted by this very run a moment ago, they are included all the same.
    assert list(Recipient.objects.filter(run=draft).values_list("phone", "state")) == [
        (_phone(0), "pending"),
        (_phone(1), "pending"),
    ]
    assert run_launch(draft, key=str(draft.key), person=manager)[1]
    run_worker.work(draft.pk)
    assert sorted(t["phone_no"] for t in sandbox.stats.triggers) == [_phone(n) for n in range(3)]
