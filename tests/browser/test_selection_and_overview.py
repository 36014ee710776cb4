"""Selecting users across pages, and the overview's chart as a way in, in a real browser."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_selection_survives_paging_and_can_be_all_matching(page, stack):
    sign_in(page, stack, "manager")
    page.goto(stack.url + "/users/?preset=1&size=25")
    bar = page.locator("#selection-bar")
    boxes = page.locator(".users-table tbody input[type=checkbox]")
    boxes.nth(0).check()
    expect(bar).to_contain_text("1 selected")
    boxes.nth(1).check()
    expect(bar).to_contain_text("2 selected")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager-position")).to_contain_text("Page 2 of")
    expect(page.locator("#selection-bar")).to_contain_text("2 selected")
    page.locator(".users-table tbody input[type=checkbox]").nth(0).check()
    expect(page.locator("#selection-bar")).to_contain_text("3 selected")
    page.get_by_role("link", name="Previous").click()
    expect(page.locator(".users-table tbody input[type=checkbox]").nth(0)).to_be_checked()
    expect(page.locator(".users-table tbody input[type=checkbox]").nth(2)).not_to_be_checked()
    page.get_by_role("button", name=re.compile(r"Select all \d+ matching the filter")).click()
    total = page.locator("#results .count strong").first.inner_text()
    expect(page.locator("#selection-bar")).to_contain_text(f"{total} selected")
    for box in page.locator(".users-table tbody input[type=checkbox]").all():
        expect(box).to_be_checked()
    page.get_by_role("button", name="Clear selection").click()
    expect(page.locator("#selection-bar")).to_contain_text("0 selected")
    expect(page.locator(".users-table tbody input[type=checkbox]").nth(0)).not_to_be_checked()
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_a_bar_of_the_rating_chart_opens_that_list(page, stack):
    sign_in(page, stack, "agent")
    two_stars = page.locator(".bars tbody tr").nth(1)
    count = two_stars.locator("td.num").inner_text()
    two_stars.get_by_role("link", name="2 stars").click()
    expect(page).to_have_url(re.compile(r"/users/\?preset=2$"))
    expect(page.locator("#results .count strong").first).to_have_text(count)


def test_a_signed_out_click_goes_to_sign_in_and_back(page, stack):
    from tests.stack import DEMO_PASSWORD

    sign_in(page, stack, "agent")
    page.goto(stack.url + "/users/?preset=1")
    page.context.clear_cookies()  # the session ended (signed out elsewhere, or expired)
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/users/"))
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/users/\?preset=1&page=2$"))
    expect(page.locator(".pager-position")).to_contain_text("Page 2 of")


def test_keyboard_focus_follows_the_results_after_paging(page, stack):
    sign_in(page, stack, "agent")
    page.goto(stack.url + "/users/?preset=1")
    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".pager-position")).to_contain_text("Page 2 of")
    expect(page.locator("#results .count")).to_be_focused()


def test_changing_page_size_or_sort_applies_at_once(page, stack):
    sign_in(page, stack, "agent")
    page.goto(stack.url + "/users/?preset=1")
    page.get_by_label("Per page").select_option("25")
    expect(page).to_have_url(re.compile(r"size=25"))
    expect(page.locator(".users-table tbody tr")).to_have_count(25)
    page.get_by_label("Sort by").select_option("name")
    expect(page).to_have_url(re.compile(r"sort=name"))
