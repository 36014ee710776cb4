"""Read-backs: after a run, each recipient's conversation and rating say whether the send
reached them, whether they replied and whether they rated again; an unknown recipient who
was reached is sent, one never reached can be re-sent by a person."""

import pytest
from django.utils import timezone

from dashboard.models import Flow, Outcome, ReadBack, Recipient, Run, WhatsAppTemplate
from dashboard.selectors.outcomes import run_outcomes
from dashboard.services import readback, run_worker
from dashboard.services.audience import Member
from dashboard.services.mapping import Source
from dashboard.services.runs import (
    draft_choose,
    draft_configure,
    draft_create,
    run_launch,
    run_resend,
)
from technowiz.models import OutboundCall
from technowiz.sandbox import Aftermath

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _rounds(settings):
    from django.core.cache import cache

    settings.RUN_READBACK_AFTER = [60.0, 120.0]
    settings.RUN_READBACK_BATCH = 200
    cache.clear()  # no rating list kept from another test's sandbox


def _members(sandbox, count: int, *, skip: int = 0) -> list[Member]:
    users = [u for u in sandbox.data.users if u["phone_no"]][skip : skip + count]
    return [
        Member(
            user_id=u["user_id"],
            name=u["name"] or "",
            phone=u["phone_no"],
            attributes=dict(u["attributes"]),
        )
        for u in users
    ]


def _launched(person, members, *, template=None, flow=None, sources=None) -> Run:
    kind = "broadcast" if template else "trigger"
    run = draft_create(kind=kind, person=person, members=members, audience="test")
    draft_choose(run, template=template, flow=flow)
    draft_configure(run, name="readback-test", sources=sources or {}, include_recent=True)
    run, launched = run_launch(run, key=str(run.key), person=person)
    assert launched
    return run


def _read_round(run: Run, number: int) -> ReadBack:
    """What the worker does for a round: batch after batch until the round is done."""
    for _ in range(100):
        readback.readback_work(run_id=run.pk, number=number)
        round_ = ReadBack.objects.get(run=run, number=number)
        if round_.finished_at:
            return round_
    raise AssertionError("the round never finished")


@pytest.fixture
def apology():
    return WhatsAppTemplate.objects.create(
        name="apology_offer",
        language="en",
        body="Hi {{1}}, sorry for the trouble. Here is 20% off your next order: SORRY20.",
    )


def test_a_500_recipient_broadcast_with_a_scripted_mix_is_counted_exactly(
    manager, sandbox, apology
):
    sandbox.aftermath = Aftermath.parse("lost=0.1,reply=0.3,rerate=0.2,rating=4,seed=5")
    members = _members(sandbox, 500)
    run = _launched(
        manager, members, template=apology, sources={"1": Source("name", fallback="there")}
    )
    run_worker.work(run.pk)
    run.refresh_from_db()
    assert run.state == "finished"
    # The end of the run scheduled its rounds.
    assert [(r.number, r.finished_at) for r in ReadBack.objects.filter(run=run)] == [
        (1, None),
        (2, None),
    ]
    _read_round(run, 1)

    fates = {f["user_id"]: f for f in sandbox.stats.aftermath}
    assert len(fates) == 500
    lost = {uid for uid, f in fates.items() if f["lost"]}
    replied = {uid for uid, f in fates.items() if f["replied"]}
    rerated = {uid for uid, f in fates.items() if f["rerated"]}
    before = {m.user_id: m.attributes.get("feedback") for m in members}
    improved = {uid for uid in rerated if before[uid] in ("1", "2", "3")}
    assert 30 < len(lost) < 70 and replied and rerated and improved  # the mix is a real one

    counts = run_outcomes(run)
    assert (counts.read, counts.reached, counts.not_reached) == (500, 500 - len(lost), len(lost))
    assert (counts.replied, counts.rerated, counts.improved) == (
        len(replied),
        len(rerated),
        len(improved),
    )
    outcomes = {o.recipient.user_id: o for o in Outcome.objects.select_related("recipient")}
    for uid in lost:
        assert outcomes[uid].reached_at is None  # its template never arrived: not reached
    some = next(iter(rerated))
    assert outcomes[some].rerated_value == 4 and outcomes[some].rerated_message
    # The reads were audited as the system acting for the run, at one call per person
    # (the five rating lists besides).
    reads = OutboundCall.objects.filter(origin=f"job:run-{run.pk}:readback-1")
    assert reads.filter(action="conversation.page").count() == 500
    assert set(reads.values_list("username", flat=True)) == {"system"}


@pytest.fixture
def callback():
    return Flow.objects.create(key="callback_request", name="Call-back", attributes=[])


def test_unknown_recipients_are_sent_when_reached_and_resendable_when_never(
    manager, client_for, sandbox, callback
):
    members = _members(sandbox, 12, skip=40)
    run = _launched(manager, members, flow=callback)
    # A worker claimed the first one and died before its call went out ...
    never = Recipient.objects.get(run=run, position=1)
    Recipient.objects.filter(pk=never.pk).update(state="sending", claimed_by="dead-worker")
    # ... and the platform handled two calls whose answers were lost.
    sandbox.faults.push("timeout=5", "timeout=5")
    run_worker.work(run.pk)
    unknown = set(Recipient.objects.filter(run=run, state="unknown").values_list("pk", flat=True))
    assert len(unknown) == 3 and never.pk in unknown

    page = client_for(manager).get(f"/runs/{run.pk}/").content.decode()
    assert "The read-backs look for the 3 unknown in their conversations until" in page
    _read_round(run, 1)
    states = dict(Recipient.objects.filter(pk__in=unknown).values_list("pk", "state"))
    assert states.pop(never.pk) == "unknown"
    assert set(states.values()) == {"sent"}
    for recipient in Recipient.objects.filter(pk__in=states):
        assert recipient.reason == readback.CONFIRMED

    _read_round(run, 2)  # the window ends: still not reached
    never.refresh_from_db()
    assert never.state == "unknown"
    assert never.reason == (
        "Not in their conversation 2 minutes after the run: it did not reach them. Re-send or drop."
    )
    page = client_for(manager).get(f"/runs/{run.pk}/", {"outcome": "not_reached"})
    assert "Re-send to the 1 failed or unknown" in page.content.decode()
    draft = run_resend(run, person=manager)
    assert list(draft.recipients.values_list("phone", "state")) == [(never.phone, "pending")]
    assert draft.state == "draft"  # nothing sent until a person confirms it


def test_a_round_held_by_a_live_worker_is_left_alone(manager, sandbox, callback):
    run = _launched(manager, _members(sandbox, 3), flow=callback)
    run_worker.work(run.pk)
    ReadBack.objects.filter(run=run, number=1).update(
        lease_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    readback.readback_work(run_id=run.pk, number=1)
    assert not Outcome.objects.exists()
    assert not OutboundCall.objects.filter(origin__contains="readback").exists()


def test_the_results_page_shows_the_counts_and_opens_a_re_rating_at_its_message(
    manager, manager_client, agent_client, sandbox, apology
):
    import re
    from html import unescape

    sandbox.aftermath = Aftermath.parse("reply=0.5,rerate=0.5,rating=5,seed=1")
    run = _launched(
        manager,
        _members(sandbox, 8),
        template=apology,
        sources={"1": Source("name", fallback="there")},
    )
    page = manager_client.get(f"/runs/{run.pk}/").content.decode()
    assert "When the run ends, the dashboard reads each recipient" in page
    run_worker.work(run.pk)
    _read_round(run, 1)
    counts = run_outcomes(run)
    assert counts.reached == 8 and 0 < counts.rerated < 8

    page = manager_client.get(f"/runs/{run.pk}/").content.decode()
    assert f'data-outcome="reached">{counts.reached}<' in page
    assert f'data-outcome="replied">{counts.replied}<' in page
    assert f'data-outcome="rerated">{counts.rerated}<' in page
    assert "Next read-back" in page

    page = manager_client.get(f"/runs/{run.pk}/", {"outcome": "rerated"}).content.decode()
    links = [unescape(h) for h in re.findall(r'href="(/users/[^"]+/message/[^"]+)"', page)]
    assert len(links) == counts.rerated
    outcome = Outcome.objects.filter(run=run, rerated_value=5).order_by("rerated_at").first()
    assert f"{outcome.rating_before} → 5 stars" in page

    # An agent may follow it too (reading conversations is theirs); the link lands on the
    # page holding the new rating, highlighted.
    landing = agent_client.get(links[0])
    assert landing.status_code == 302
    conversation = agent_client.get(landing.url).content.decode()
    highlighted = re.search(r'<li class="[^"]*highlighted[^"]*" id="([^"]+)"', conversation)
    assert highlighted and highlighted[1] == outcome.rerated_message
    assert 'msg-type-feedback highlighted" id=' in conversation

    # A broken link opens the conversation as it opens by default; nothing is asked.
    broken = agent_client.get(links[0].split("?")[0] + "?message=m-1&at=soon")
    assert broken.status_code == 302 and "highlight" not in broken.url


def test_read_backs_are_queued_with_the_end_of_the_run_behind_peoples_sends(
    manager, sandbox, callback
):
    from django_tasks_db.models import DBTaskResult

    run = _launched(manager, _members(sandbox, 3), flow=callback)
    run_worker.work(run.pk)
    run.refresh_from_db()
    queued = DBTaskResult.objects.filter(task_path="dashboard.tasks.read_back").order_by(
        "run_after"
    )
    assert [(t.args_kwargs["args"], t.priority) for t in queued] == [
        ([run.pk, 1], -50),
        ([run.pk, 2], -50),
    ]
    assert [(t.run_after - run.finished_at).total_seconds() for t in queued] == [60.0, 120.0]
    sends = DBTaskResult.objects.filter(task_path="dashboard.tasks.work_run")
    assert {t.priority for t in sends} == {0}


def test_a_round_whose_worker_died_is_taken_over_when_its_lease_ends(manager, sandbox, callback):
    run = _launched(manager, _members(sandbox, 3), flow=callback)
    run_worker.work(run.pk)
    ReadBack.objects.filter(run=run, number=1).update(
        started_at=timezone.now() - timezone.timedelta(minutes=10),
        lease_until=timezone.now() - timezone.timedelta(seconds=1),
    )
    _read_round(run, 1)
    assert Outcome.objects.filter(run=run, rounds=1).count() == 3
    assert run_outcomes(run).reached == 3


def test_a_cancelled_run_reads_back_those_sent_before_it_stopped(manager, sandbox, callback):
    from dashboard.services.runs import run_cancel

    run = _launched(manager, _members(sandbox, 5), flow=callback)
    Recipient.objects.filter(run=run, position__lte=2).update(state="sent", sent_at=timezone.now())
    assert run_cancel(run)
    _read_round(run, 1)
    assert run_outcomes(run).read == 2


def test_a_broadcast_file_whose_answer_was_lost_is_sent_once_its_people_are_found(
    manager, sandbox, apology
):
    from dashboard.models import BroadcastPart

    run = _launched(manager, _members(sandbox, 5), template=apology, sources={"1": Source("name")})
    sandbox.faults.push("timeout=5")  # the platform takes the file; its answer is lost
    run_worker.work(run.pk)
    assert list(BroadcastPart.objects.filter(run=run).values_list("state", flat=True)) == [
        "unknown"
    ]
    _read_round(run, 1)
    assert list(BroadcastPart.objects.filter(run=run).values_list("state", "reason")) == [
        ("sent", readback.CONFIRMED)
    ]
    assert set(Recipient.objects.filter(run=run).values_list("state", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1h,24h,72h", [3600, 86400, 259200]), ("90, 2m", [90, 120]), ("1d", [86400])],
)
def test_read_back_times_are_read_from_the_setting(value, seconds):
    from dashboard.config import durations

    assert durations("RUN_READBACK_AFTER", value) == seconds


@pytest.mark.parametrize("value", ["", "1h,soon", "0s", "-5m"])
def test_a_wrong_read_back_time_stops_the_site_naming_the_setting(value):
    from django.core.exceptions import ImproperlyConfigured

    from dashboard.config import durations

    with pytest.raises(ImproperlyConfigured) as refused:
        durations("RUN_READBACK_AFTER", value)
    item = value.split(",")[-1].strip()
    assert str(refused.value) == (
        f"RUN_READBACK_AFTER must be durations such as 1h,24h,72h (s, m, h or d); {item!r} is not."
    )
