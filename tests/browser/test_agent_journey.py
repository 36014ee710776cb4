"""An agent's morning, in a real browser: find the unhappy users and read what went wrong."""

import re

from playwright.sync_api import expect

from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS, MARKUP_USER_ID
from tests.browser.conftest import sign_in


def _results_rows(page):
    return page.locator(".users-table tbody tr")


def test_agent_finds_unhappy_users_and_reads_a_conversation(page, stack):
    sign_in(page, stack, "agent")
    page.goto(stack.url + "/users/")

    page.get_by_role("link", name="1 star", exact=True).click()
    expect(page).to_have_url(re.compile(r"/users/\?preset=1$"))
    expect(_results_rows(page)).to_have_count(50)
    expect(page.locator("#results .count")).to_contain_text("match feedback = “1”")

    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager-position")).to_contain_text("Page 2 of")
    # The view moves to the new page's top once it has settled; a click in between
    # would land where the link was (no person clicks within those 20 ms).
    expect(page.locator("#results .count")).to_be_focused()
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager-position")).to_contain_text("Page 3 of")
    expect(page).to_have_url(re.compile(r"preset=1&page=3"))

    # Search within results: the name of the first user on page 3.
    first_name = _results_rows(page).first.locator("td").nth(1).inner_text()
    page.get_by_label("Search in results").fill(first_name)
    page.get_by_role("button", name="Show users").click()
    expect(page).to_have_url(re.compile(r"q="))
    expect(page.locator("#results .count")).to_contain_text("found for")
    for row in _results_rows(page).all():
        expect(row.locator("td").nth(1)).to_contain_text(first_name)
    list_url = page.url
    list_rows = _results_rows(page).count()

    _results_rows(page).first.locator("td").nth(1).get_by_role("link").click()
    expect(page.locator("#person-heading")).to_have_text(first_name)
    expect(page.locator(".chat .msg").first).to_be_visible()

    # A long conversation to page through.
    long_url = f"{stack.url}/users/{LONG_CONVERSATION_USER_IDS[0]}/conversation/?size=100"
    page.goto(long_url)
    expect(page.locator(".pager-position")).to_contain_text("Page 1 of 22")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager-position")).to_contain_text("Page 2 of 22")
    expect(page).to_have_url(re.compile(r"page=2"))

    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"start=2026-01-01&end=2026-12-31"))

    page.get_by_role("link", name="Jump to the rating").click()
    highlighted = page.locator(".msg.highlighted")
    expect(highlighted).to_be_visible()
    expect(highlighted).to_contain_text("/5")
    expect(page).to_have_url(re.compile(r"highlight=m-"))
    expect(highlighted).to_be_in_viewport()

    # Back, through the conversation's own history, to the same list page.
    for _ in range(20):
        if page.url == list_url:
            break
        page.go_back()
        page.wait_for_load_state()
        page.wait_for_timeout(300)  # let htmx restore and settle the page
    assert page.url == list_url
    expect(_results_rows(page)).to_have_count(list_rows)
    expect(page.get_by_label("Search in results")).to_have_value(first_name)
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_markup_from_the_platform_never_runs(page, stack):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, stack, "agent")
    page.goto(f"{stack.url}/users/?preset=1-2&q={MARKUP_USER_ID}")
    expect(_results_rows(page)).to_have_count(1)
    expect(_results_rows(page).first).to_contain_text("<script>alert(1)</script>")
    _results_rows(page).first.locator("td").nth(1).get_by_role("link").click()
    expect(page.locator(".chat")).to_contain_text('<script>alert("x")</script>')
    expect(page.locator(".chat")).to_contain_text("this is <b>bold</b>")
    assert page.evaluate("document.querySelectorAll('.chat script, .chat b').length") == 0
    assert page.locator(".chat a[href^='javascript:']").count() == 0
    assert dialogs == []
