"""A hostile platform in a real browser: nothing it sends runs, with the CSP or without it.

The stack's sandbox serves only the hostile users (``technowiz_sandbox --hostile --users
0``; technowiz/sandbox/hostile.py): every script they carry would set ``window.__hostile``
or open a dialog. Without the CSP (``bypass_csp``) this proves the escaping alone keeps
them inert; with it, that no injected script even tried (no violation reported).
"""

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from technowiz.sandbox.hostile import HOSTILE_ATTRIBUTE, HOSTILE_USER_COUNT, HOSTILE_VALUE, MARKER
from tests.browser.conftest import sign_in
from tests.stack import Stack, running_stack

#: Rows of the list (newest first, so user number n) whose conversations are opened: ids
#: with markup, a formula, ``../x``; ratings' message ids with markup, ``../x``, a CRLF
#: and an event handler.
OPENED = (0, 2, 5, 12)

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
FOUND = """(marker) => {
  const all = [...document.querySelectorAll("*")];
  const scheme = /^(javascript|data|vbscript):/i;
  const url = (el) =>
    el.getAttribute("href") || el.getAttribute("src") || el.getAttribute("action");
  return {
    marker: window[marker] === undefined ? null : String(window[marker]),
    violations: window.__violations,
    handlers: all.flatMap((el) =>
      [...el.attributes].filter((a) => a.name.startsWith("on")).map((a) => a.name)),
    foreign: all.filter((el) => /^(IMG|IFRAME|OBJECT|EMBED|FRAME|BASE)$/.test(el.tagName))
      .map((el) => el.outerHTML.slice(0, 80)),
    inline: [...document.scripts].filter((s) => !s.src).map((s) => s.outerHTML.slice(0, 80)),
    urls: all.map(url).filter((u) => u && scheme.test(u.replace(/[\\s\\u0000-\\u001f]/g, ""))),
    cookie: document.cookie.includes("hostile"),
  };
}"""
NOTHING = {
    "marker": None,
    "violations": [],
    "handlers": [],
    "foreign": [],
    "inline": [],
    "urls": [],
    "cookie": False,
}


@pytest.fixture(scope="module")
def hostile_stack() -> Iterator[Stack]:
    with running_stack(sandbox_args=["--hostile", "--users", "0"]) as running:
        yield running


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with the CSP", "without the CSP"])
def test_nothing_the_hostile_platform_sends_runs(browser, hostile_stack, bypass_csp):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs, problems = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def inert(where: str) -> None:
        page.wait_for_load_state()
        assert page.evaluate(FOUND, MARKER) == NOTHING, where
        assert (dialogs, problems) == ([], []), where

    try:
        sign_in(page, hostile_stack, "agent")
        rows = page.locator(".users-table tbody tr")
        everyone = {"attribute": HOSTILE_ATTRIBUTE, "value": HOSTILE_VALUE, "size": 50}
        list_url = f"{hostile_stack.url}/users/?{urlencode(everyone)}"
        page.goto(list_url)
        expect(rows).to_have_count(HOSTILE_USER_COUNT)
        expect(page.locator("#results .count")).to_contain_text("onerror=window.__hostile")
        inert("the users list")

        page.get_by_role("link", name="1-2 stars", exact=True).click()  # htmx swaps, scripts or not
        expect(page).to_have_url(re.compile(r"preset=1-2"))
        expect(rows.first).to_be_visible()
        inert("a quick filter")
        page.get_by_role("link", name="Name", exact=True).click()
        expect(page).to_have_url(re.compile(r"sort=name"))
        inert("sorted by name")

        for row in OPENED:
            page.goto(list_url)
            rows.nth(row).locator("td").nth(1).get_by_role("link").click()
            expect(page.locator(".chat .msg").first).to_be_visible()
            expect(page.locator(".chat")).to_contain_text("<script>window.__hostile=1</script>")
            inert(f"conversation {row}")
            page.get_by_role("link", name="Jump to the rating").click()
            expect(page.locator(".msg.highlighted")).to_be_visible()
            inert(f"rating {row}")
            page.get_by_label("Messages per page").select_option("25")
            page.get_by_role("button", name="Show", exact=True).click()
            expect(page.locator(".pager-position")).to_contain_text("Page 1 of 2")
            page.locator(".pager").get_by_role("link", name="Next").click()
            expect(page.locator(".pager-position")).to_contain_text("Page 2 of 2")
            inert(f"page 2 of conversation {row}")
    finally:
        context.close()
