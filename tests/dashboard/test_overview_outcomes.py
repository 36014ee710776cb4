"""The overview's outcome cards: the recovery rate per template, flow and person over 7 and
30 days, and the unhappy users no run has contacted yet, newest first."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.models import Flow, Outcome, Recipient, Run, WhatsAppTemplate
from technowiz.sandbox.data import SandboxData

pytestmark = pytest.mark.django_db


def _run(person, *, days_ago: int, template=None, flow=None, people: list[tuple]) -> Run:
    """A finished run launched ``days_ago`` by ``person``; ``people`` are (state, rating
    before, rating after or None)."""
    launched = timezone.now() - timedelta(days=days_ago)
    run = Run.objects.create(
        kind="broadcast" if template else "trigger",
        name=f"r{days_ago}",
        state="finished",
        template=template,
        flow=flow,
        created_by_name=person.username,
        launched_by=person,
        launched_by_name=person.username,
        launched_at=launched,
        audience="test",
    )
    for position, (state, before, after) in enumerate(people, start=1):
        recipient = Recipient.objects.create(
            run=run, position=position, state=state, phone=f"+4477001{days_ago:02d}{position:03d}"
        )
        Outcome.objects.create(
            recipient=recipient, run=run, rating_before=before, rerated_value=after, rounds=1
        )
    return run


def _cell(html: str, caption: str, label: str) -> list[str]:
    table = html.split(f'<caption class="table-caption">{caption}</caption>')[1].split("</table>")[
        0
    ]
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', table, re.S)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1])
    ]


def test_the_recovery_rate_counts_contacted_1_2_star_users_whose_rating_went_up(
    manager, manager_client, make_member
):
    other = make_member("manager2", "manager")
    apology = WhatsAppTemplate.objects.create(name="apology_offer", body="Hi {{1}}")
    callback = Flow.objects.create(key="callback_request", name="Call-back")
    # 3 days ago: 1 of 2 unhappy users went up; a 3-star one and a failed send do not count.
    _run(
        manager,
        days_ago=3,
        template=apology,
        people=[("sent", 1, 4), ("sent", 2, None), ("sent", 3, 5), ("failed", 1, 5)],
    )
    # 20 days ago: 2 of 2 went up (one re-rated lower does not: 2 -> 1 is not "up").
    _run(
        manager,
        days_ago=20,
        template=apology,
        people=[("sent", 1, 2), ("sent", 2, 5), ("sent", 2, 1)],
    )
    # 40 days ago: outside both windows.
    _run(manager, days_ago=40, template=apology, people=[("sent", 1, 5)])
    _run(other, days_ago=1, flow=callback, people=[("sent", 2, 3), ("sent", 1, None)])

    html = manager_client.get("/").content.decode()
    assert _cell(html, "By template", "apology_offer") == ["50% (1 of 2)", "60% (3 of 5)"]
    assert _cell(html, "By flow", "Call-back") == ["50% (1 of 2)", "50% (1 of 2)"]
    assert _cell(html, "By launched by", "manager1") == ["50% (1 of 2)", "60% (3 of 5)"]
    assert _cell(html, "By launched by", "manager2") == ["50% (1 of 2)", "50% (1 of 2)"]


def test_agents_see_no_recovery_rate(agent_client, sandbox):
    html = agent_client.get("/").content.decode()
    assert "Recovery rate" not in html
    assert "Waiting for a follow-up" in html


def test_the_follow_up_list_is_the_unhappy_users_nobody_contacted_newest_first(
    agent_client, manager, sandbox
):
    data = SandboxData.build()
    unhappy = sorted(
        (u for u in data.users if u["attributes"].get("feedback") in ("1", "2") and u["phone_no"]),
        key=lambda u: -u["last_active_at"],
    )
    run = Run.objects.create(
        kind="trigger", name="r", state="finished", audience="t", created_by_name="m"
    )
    # The newest two were contacted (one sent, one unknown); a failed send was not contact.
    for position, (user, state) in enumerate(
        zip(unhappy[:3], ["sent", "unknown", "failed"], strict=True), start=1
    ):
        Recipient.objects.create(run=run, position=position, state=state, phone=user["phone_no"])

    html = agent_client.get("/").content.decode()
    card = html.split('id="follow-up-heading"')[1].split("</section>")[0]
    total = re.search(r"<strong>(\d+)</strong> users rated 1 or 2 stars", card)
    assert int(total[1]) == len(unhappy) - 2
    shown = re.findall(r'<a href="/users/([^/]+)/conversation/">', card)
    assert shown == [u["user_id"] for u in unhappy[2:12]]
