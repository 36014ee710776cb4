"""A manager's broadcast, in a real browser and through the real worker: the 1-star users,
a template with a mapped attribute, one confirm, progress to the end, the results. And
an agent, who sees no way to send."""

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

RESOURCE_403 = "the server responded with a status of 403"


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _clear_selection(page, stack) -> None:
    """Leave the person's selection empty, as the other browser tests expect to find it."""
    page.goto(stack.url + "/users/?preset=1")
    page.get_by_role("button", name="Clear selection").click()
    expect(page.locator("#selection-bar")).to_contain_text("0 selected")


def test_a_manager_broadcasts_to_the_one_star_users(page, stack, tmp_path):
    sign_in(page, stack, "manager")
    page.goto(stack.url + "/users/")
    page.get_by_role("link", name="1 star", exact=True).click()
    expect(page).to_have_url(re.compile(r"/users/\?preset=1$"))
    total = _count(page.locator("#results .count strong").first.inner_text())
    page.get_by_role("button", name=f"Select all {total} matching the filter").click()
    expect(page.locator("#selection-bar")).to_contain_text(f"{total} selected")

    page.get_by_role("link", name="Broadcast a template to the selection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New broadcast")
    page.get_by_role("button", name=f"Use these {total} users").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Broadcast draft")

    # Who is set aside: the users without a WhatsApp phone, counted and listed.
    set_aside = page.get_by_role("table", name="People set aside, by reason")
    expect(set_aside).to_contain_text("No WhatsApp phone number")
    aside = _count(set_aside.locator("tbody td.num").first.inner_text())
    assert 0 < aside < total
    page.get_by_text("Who is set aside").click()
    expect(page.locator("details .plain-list li").first).to_contain_text("no phone")

    page.get_by_label("WhatsApp template").select_option(label="feedback_followup (en)")
    page.get_by_role("button", name="Choose").click()
    expect(page.get_by_text("Hi {{1}}, you rated us {{2}} stars")).to_be_visible()
    first = page.get_by_role("group", name="Value {{1}} comes from")
    first.get_by_label("Source").select_option(label="Their name")
    first.get_by_label("If empty, use").fill("friend")
    second = page.get_by_role("group", name="Value {{2}} comes from")
    second.get_by_label("Source").select_option(label="One of their attributes")
    second.get_by_label("Attribute name or text").fill("feedback")
    page.get_by_role("button", name="Save and preview").click()

    # The preview: real messages, each with the person's name and their rating.
    expect(second.get_by_label("Attribute name or text")).to_have_value("feedback")
    recipients = total - aside
    samples = page.get_by_role("table", name=re.compile(r"^The first 5 of \d+ recipients"))
    expect(samples).to_contain_text(f"The first 5 of {recipients} recipients")
    rows = samples.locator("tbody tr")
    expect(rows).to_have_count(5)
    for row in rows.all():
        name, message = row.locator("td").nth(0).inner_text(), row.locator("td").nth(2).inner_text()
        assert re.fullmatch(r"Hi .+, you rated us 1 stars\. We are sorry, .+", message), message
        assert message.startswith(f"Hi {name},") or message.startswith("Hi friend,"), message
    expect(page.get_by_text("would get an empty value")).to_have_count(0)
    confirm = page.get_by_role("button", name=f"Send the broadcast to {recipients} people")
    expect(confirm).to_be_visible()
    page.screenshot(path=tmp_path / "broadcast-draft.png", full_page=True)

    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else None)
    confirm.click()
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    run_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Broadcast broadcast-")
    progress = page.locator("#run-progress")
    expect(progress.get_by_role("progressbar", name=re.compile("Progress"))).to_be_visible()
    watched = progress.get_attribute("hx-trigger") == "every 2s"  # unless already finished
    expect(progress).to_contain_text("Finished", timeout=60_000)
    assert not watched or any(url.startswith(run_url) for url in polls), polls

    # The results: every recipient sent, in one file the platform accepted whole.
    expect(progress).to_contain_text("1 of 1 file done (100%)")
    expect(progress).to_contain_text(f"Sent: {recipients}")
    expect(progress.get_by_role("button", name="Pause")).to_have_count(0)
    files = page.get_by_role("table", name="The broadcast's files, one platform call each")
    expect(files.locator("tbody tr")).to_have_count(1)
    cells = files.locator("tbody tr td")
    expect(cells.nth(0)).to_have_text(re.compile(r"^broadcast-.+-part-1$"))
    expect(cells.nth(1)).to_have_text(str(recipients))
    expect(cells.nth(2)).to_have_text("Sent")
    expect(cells.nth(3)).to_have_text(str(recipients))
    expect(cells.nth(4)).to_have_text("0")
    states = page.get_by_role("table", name=re.compile(r"^Recipients, page 1")).locator(
        "tbody tr td:nth-child(4)"
    )
    expect(states.first).to_have_text("Sent")
    assert set(states.all_inner_texts()) == {"Sent"}
    page.screenshot(path=tmp_path / "broadcast-finished.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert len(exported) == total
    by_state = {state: sum(r["state"] == state for r in exported) for state in ("Sent",)}
    assert by_state["Sent"] == recipients
    sent = [r for r in exported if r["state"] == "Sent"]
    assert {r["value 2"] for r in sent} == {"1"}
    assert all(r["value 1"] == (r["name"].strip() or "friend") for r in sent)
    _clear_selection(page, stack)
    assert page.problems == []

    # An agent: the same users ticked, but no way to send, and no run to open.
    page.context.clear_cookies()
    sign_in(page, stack, "agent")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users")).to_be_visible()
    expect(nav.get_by_role("link", name="Broadcasts")).to_have_count(0)
    expect(nav.get_by_role("link", name="Flow runs")).to_have_count(0)
    page.goto(stack.url + "/users/?preset=1")
    page.get_by_role("button", name=f"Select all {total} matching the filter").click()
    bar = page.locator("#selection-bar")
    expect(bar).to_contain_text(f"{total} selected")
    expect(bar.get_by_role("link")).to_have_text([f"Export {total} selected"])  # no sending
    expect(page.get_by_text("Broadcast a template to the selection")).to_have_count(0)
    expect(page.get_by_text("Start a flow for the selection")).to_have_count(0)
    _clear_selection(page, stack)
    page.locator(".users-table tbody tr").first.locator("td").nth(1).get_by_role("link").click()
    expect(page.locator("#person-heading")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Start a flow"))).to_have_count(0)
    assert page.problems == []

    response = page.goto(run_url)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert [p for p in page.problems if RESOURCE_403 not in p] == [], page.problems
