"""A manager opens a finished run, sees what the read-backs found, and follows a re-rated
recipient to the message where the rating changed. Its own stack: the sandbox scripts
what recipients do after a send, and the worker reads back one second after a run ends."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.stack import Stack, running_stack

LAUNCH = """
from dashboard.models import Flow
from dashboard.services.audience import Member
from dashboard.services.runs import draft_choose, draft_configure, draft_create, run_launch
from django.contrib.auth import get_user_model
from technowiz.sandbox.data import SandboxData

manager = get_user_model().objects.get(username="manager")
users = [u for u in SandboxData.build().users
         if u["phone_no"] and u["attributes"].get("feedback") == "1"][:20]
members = [Member(user_id=u["user_id"], name=u["name"] or "", phone=u["phone_no"],
                  attributes=u["attributes"]) for u in users]
run = draft_create(kind="trigger", person=manager, members=members, audience="1 star")
draft_choose(run, flow=Flow.objects.get(key="email_followup"))
run.refresh_from_db()
draft_configure(run, name="email-readback", sources={}, include_recent=True)
run.refresh_from_db()
run, _ = run_launch(run, key=str(run.key), person=manager)
print(run.pk)
"""


@pytest.fixture(scope="module")
def readback_stack() -> Iterator[Stack]:
    with running_stack(
        sandbox_args=["--aftermath", "reply=0.3,rerate=0.4,rating=5,seed=4"],
        env={"RUN_READBACK_AFTER": "1s"},
    ) as running:
        yield running


@pytest.fixture
def manager_page(browser, readback_stack):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _finished_and_read(stack: Stack) -> int:
    launched = stack.manage("shell", "-c", LAUNCH)
    assert launched.returncode == 0, launched.stderr
    run_id = int(launched.stdout.strip().splitlines()[-1])
    client = stack.signed_in("manager")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if "All read-backs are done" in client.get(f"/runs/{run_id}/").text:
            return run_id
        time.sleep(0.5)
    raise AssertionError(f"the read-back never ended; the stack's output:\n{stack.tail()}")


def test_a_manager_follows_a_re_rated_recipient_to_the_new_rating(
    manager_page, readback_stack, tmp_path
):
    page, stack = manager_page, readback_stack
    run_id = _finished_and_read(stack)
    rerated = [f for f in stack.sandbox_stats()["aftermath"] if f["rerated"]]
    assert rerated

    sign_in(page, stack, "manager")
    page.goto(f"{stack.url}/runs/{run_id}/")
    counts = page.get_by_role("table", name="Recipients by what the read-backs found")
    expect(counts.get_by_role("row", name=re.compile(r"^Reached"))).to_contain_text("20")
    expect(counts.get_by_role("row", name=re.compile(r"^Re-rated"))).to_contain_text(
        str(len(rerated))
    )
    counts.get_by_role("row", name=re.compile(r"^Re-rated")).get_by_role(
        "link", name="Show who"
    ).click()
    expect(page).to_have_url(re.compile(r"outcome=rerated"))
    who = page.get_by_role("table", name="Re-rated")
    expect(who.locator("tbody tr")).to_have_count(len(rerated))
    expect(who.locator("tbody tr").first).to_contain_text("1 → 5 stars")
    page.screenshot(path=tmp_path / "readback-results.png", full_page=True)

    who.locator("tbody tr").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/conversation/\?.*highlight="))
    highlighted = page.locator(".msg.highlighted")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_have_class(re.compile("msg-type-feedback"))
    expect(highlighted).to_contain_text("5/5")
    expect(highlighted).to_be_in_viewport()
    page.screenshot(path=tmp_path / "readback-highlight.png")
