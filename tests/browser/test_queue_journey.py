"""A manager works the morning queue in a real browser: the 1-2 star users by rating,
three assigned to an agent, the ticked exported, one opened, "Next user", resolved."""

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_manager_assigns_exports_walks_and_resolves(page, stack, tmp_path):
    sign_in(page, stack, "manager")
    page.locator(".attention").get_by_role("link", name="See the 1-2 star users").click()
    expect(page).to_have_url(re.compile(r"/users/\?preset=1-2$"))
    rows = page.locator(".users-table tbody tr")
    expect(rows).to_have_count(50)

    page.get_by_role("link", name="Rating", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=rating"))
    expect(page.get_by_role("columnheader", name="Rating")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(rows.first.locator("td.rating")).to_contain_text("1 of 5 stars")
    # The first row's rating comment loads on its own once the row is in view.
    expect(rows.first.locator(".rating-note time")).to_contain_text("rated ")

    ids = []
    for index in range(3):
        box = rows.nth(index).locator("input[type=checkbox]")
        box.check()
        expect(page.locator("#selection-bar")).to_contain_text(f"{index + 1} selected")
        ids.append(box.get_attribute("value"))
    page.get_by_label("Assign the selected to").select_option(label="Arjun Agent")
    page.get_by_role("button", name="Assign", exact=True).click()
    for index in range(3):
        expect(rows.nth(index).locator("td.queue")).to_contain_text("Arjun Agent")
    expect(rows.nth(3).locator("td.queue")).to_contain_text("unassigned")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export 3 ticked").click()
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert [r["user_id"] for r in exported] == ids
    assert {r["assignee"] for r in exported} == {"Arjun Agent"}

    rows.first.locator("td").nth(1).get_by_role("link").click()
    expect(page.locator(".list-walk")).to_contain_text("User 1 of")
    page.get_by_role("link", name="Next user").click()
    expect(page).to_have_url(re.compile(re.escape(f"/users/{ids[1]}/conversation/")))
    expect(page.locator(".list-walk")).to_contain_text("User 2 of")
    panel = page.locator("#queue-panel")
    expect(panel).to_contain_text("assigned to Arjun Agent")
    panel.get_by_label("State").select_option(label="Resolved")
    panel.get_by_role("button", name="Save").click()
    expect(page.locator("#queue-panel")).to_contain_text("Saved.")
    expect(page.locator("#queue-panel [data-queue-state]")).to_have_text("Resolved")
    page.screenshot(path=tmp_path / "queue-conversation.png", full_page=True)

    page.get_by_role("link", name=re.compile("Back to the user list")).click()
    expect(page).to_have_url(re.compile(r"sort=rating"))
    second = page.locator(f'.users-table tbody tr:has(input[value="{ids[1]}"])')
    expect(second.locator("td.queue")).to_contain_text("Resolved")
    expect(second).to_have_class("is-read")
    expect(second).to_contain_text("opened")
    page.screenshot(path=tmp_path / "queue-list.png", full_page=True)
    page.get_by_role("button", name="Clear selection").click()
    expect(page.locator("#selection-bar")).to_contain_text("0 selected")
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems
