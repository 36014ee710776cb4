"""Issue 12: every wait is visible and can be given up on, a page change lands on the
new content's top, and no page scrolls sideways on a 390 px phone."""

import contextlib
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS
from tests.browser.conftest import sign_in
from tests.stack import Stack

LONG = LONG_CONVERSATION_USER_IDS[0]


@contextlib.contextmanager
def platform_latency(stack: Stack, ms: int) -> Iterator[None]:
    """The sandbox server answers every request after ``ms`` milliseconds meanwhile."""

    def set_faults(spec: str) -> None:
        httpx.post(
            stack.sandbox_url + "/__sandbox__/faults",
            json={"faults": spec},
            headers={"Authorization": f"Basic {stack.env['TECHNOWIZ_API_KEY']}"},
            timeout=10.0,
        ).raise_for_status()

    set_faults(f"latency={ms}")
    try:
        yield
    finally:
        set_faults("")


# Click, and watch (a MutationObserver) for the moment the region being replaced is
# marked busy (dimmed, a moving bar) and the control that asked is marked as loading (a
# spinner; disabled if a button): how many ms after the click, or null if not within 100.
# Watching, not looking once at 100 ms: a quick answer may have cleared both by then on a
# busy machine.
LOADING_AFTER_CLICK = """async (selector) => {
  const control = document.querySelector(selector);
  const start = performance.now();
  let seen = null;
  const look = () => {
    const loading = control.classList.contains("is-loading")
      || control.querySelector(".is-loading") !== null;
    if (seen === null && loading && document.querySelector('[aria-busy="true"]') !== null) {
      seen = performance.now() - start;
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(document.body, {
    attributes: true, subtree: true, attributeFilter: ["aria-busy", "class"],
  });
  control.click();
  look();
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  return seen;
}"""


def _shows_loading(page, selector: str) -> None:
    after = page.evaluate(LOADING_AFTER_CLICK, selector)
    assert after is not None and after <= 100, (selector, after)


def test_every_click_shows_a_loading_state_within_100_ms(page, stack):
    sign_in(page, stack, "manager")
    page.goto(f"{stack.url}/users/?preset=1")
    expect(page.locator("#results .count")).to_be_visible()
    conversation = f"{stack.url}/users/{LONG}/conversation/?size=25"
    with platform_latency(stack, 2500):
        # A filter not fetched yet, the pager, Show, Jump to the rating.
        page.get_by_label("Attribute").fill("city")
        page.get_by_label("Value").fill("Pune")
        _shows_loading(page, 'form[aria-label="Your own filter"] button[type="submit"]')
        expect(page.locator("#results .count")).to_contain_text("city = “Pune”")
        page.goto(conversation)
        _shows_loading(page, '.pager a[rel="next"]')
        expect(page.locator(".pager-position")).to_contain_text("Page 2 of")
        _shows_loading(page, '#conversation-screen button[type="submit"]')
        expect(page.locator("#conversation-screen [aria-busy]")).to_have_count(0)
        _shows_loading(page, "#conversation-screen .actions a.button")
        expect(page.locator(".msg.highlighted")).to_be_visible(timeout=30_000)
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_a_slow_platform_says_so_and_waiting_can_be_stopped(page, stack):
    sign_in(page, stack, "agent")
    page.goto(f"{stack.url}/users/{LONG}/conversation/?size=25")
    expect(page.locator(".pager-position")).to_contain_text("Page 1 of")
    panel = page.locator("#waiting-panel")
    expect(panel).to_be_hidden()
    with platform_latency(stack, 2500):
        page.locator('.pager a[rel="next"]').click()
        expect(panel).to_contain_text("Still waiting for the platform...")
        expect(panel).to_be_visible()
        page.get_by_role("button", name="Stop waiting").click()
        expect(panel).to_be_hidden()
        expect(page.locator("[aria-busy='true']")).to_have_count(0)
        # Nothing changed: still page 1, and its Next works again.
        expect(page.locator(".pager-position")).to_contain_text("Page 1 of")
        page.wait_for_timeout(2600)  # the abandoned answer arrives and is ignored
        expect(page.locator(".pager-position")).to_contain_text("Page 1 of")
    assert page.url.endswith("size=25")


def test_after_next_the_new_pages_top_is_in_view_and_focused(page, stack):
    sign_in(page, stack, "agent")
    page.goto(f"{stack.url}/users/{LONG}/conversation/?size=200")
    page.locator('.pager a[rel="next"]').scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 1000  # the bottom of a long page
    page.locator('.pager a[rel="next"]').click()
    expect(page.locator(".pager-position").first).to_contain_text("Page 2 of")
    top = page.locator("#transcript .count")
    expect(top).to_be_focused()
    box = top.bounding_box()
    assert -1 <= box["y"] < page.viewport_size["height"] / 2, box


def test_jumping_to_the_rating_focuses_the_highlighted_message(page, stack):
    sign_in(page, stack, "agent")
    page.goto(f"{stack.url}/users/{LONG}/conversation/?size=25")
    page.get_by_role("link", name="Jump to the rating").click()
    highlighted = page.locator(".msg.highlighted")
    expect(highlighted).to_be_focused()
    expect(highlighted).to_be_in_viewport()


WIDEST = """() => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 3).map((e) => e.tagName + "." + e.className)"""


def _widest(page) -> list[str]:
    """The first elements that reach past the right edge (for the failure message)."""
    return page.evaluate(WIDEST)


PAGES = [
    "/",
    "/users/",
    "/users/?preset=1",
    f"/users/{LONG}/conversation/?preset=1",
    "/broadcasts/",
    "/broadcasts/new/",
    "/flow-runs/",
    "/catalogue/",
    "/audit/",
    "/team/",
    "/team/new/",
    "/accounts/settings/",
    "/accounts/password/",
]


@pytest.fixture
def phone(browser, stack):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def test_no_page_scrolls_sideways_at_390_px(phone, stack):
    phone.goto(stack.url + "/accounts/login/")
    wide: list = []
    if phone.evaluate("document.documentElement.scrollWidth") > 390:
        wide.append("/accounts/login/")
    sign_in(phone, stack, "admin")
    phone.goto(stack.url + "/users/?preset=1")  # some audit rows, and a list to page
    for path in [*PAGES, "/audit/1/"]:
        phone.goto(stack.url + path)
        phone.wait_for_load_state("networkidle")
        sizes = phone.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if sizes[0] > sizes[1]:
            wide.append((path, sizes, _widest(phone)))
    assert not wide, wide


def test_search_waits_for_a_pause_and_selects_for_the_choice_to_settle(page, stack):
    sign_in(page, stack, "agent")
    page.goto(f"{stack.url}/users/?preset=1")
    expect(page.locator("#results .count")).to_be_visible()
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/users/?" in r.url else None)
    search = page.get_by_label("Search in results")
    search.press_sequentially("Kir", delay=80)  # typing: no request per key
    expect(page.locator("#results .count")).to_contain_text("found for “Kir”")
    assert len(asked) == 1, asked
    expect(search).to_be_focused()  # only the results were replaced
    expect(search).to_have_value("Kir")
    asked.clear()
    sort = page.get_by_label("Sort by")
    sort.focus()
    sort.press("ArrowDown")
    sort.press("ArrowDown")  # two steps through the list: one reload, for the last one
    expect(page).to_have_url(re.compile(r"sort="))
    page.wait_for_timeout(800)
    assert len(asked) == 1, asked
    expect(sort).to_be_focused()


def test_a_card_that_waits_too_long_can_be_given_up_and_tried_again(page, stack):
    sign_in(page, stack, "agent")
    held = []  # the card's request, held back as a stalled platform would
    page.route("**/?card=ratings", lambda route: held.append(route))
    page.goto(stack.url + "/")
    expect(page.get_by_role("heading", name="Platform health")).to_be_visible()  # at once
    card = page.locator("#ratings")
    expect(card).to_contain_text("Asking the platform for the ratings")
    expect(page.locator("#waiting-panel")).to_contain_text("Still waiting for the platform...")
    page.get_by_role("button", name="Stop waiting").click()
    expect(card).to_contain_text("You stopped waiting for the platform.")
    page.unroute("**/?card=ratings")
    for route in held:
        with contextlib.suppress(Exception):  # the page gave up on it
            route.abort()
    card.get_by_role("button", name="Try again").click()
    expect(page.locator("#ratings table.bars")).to_be_visible()
    expect(page.locator("#waiting-panel")).to_be_hidden()


def test_paging_does_not_wait_behind_the_rows_rating_comments(page, stack):
    """Each row's rating comment loads on its own once in view (a conversation read each).
    They load one at a time, so "Next" does not queue behind them for the browser's six
    connections: with the platform at 1.5 s, the next page comes within a read's time,
    not after rounds of the comments' reads."""
    sign_in(page, stack, "manager")
    page.set_viewport_size({"width": 1280, "height": 2400})  # 40 rows in view at once
    notes = []
    page.on("request", lambda request: "/rating-note/" in request.url and notes.append(1))
    with platform_latency(stack, 1500):
        page.goto(f"{stack.url}/users/?preset=2")
        expect(page.locator(".users-table tbody tr").first).to_be_visible()
        page.wait_for_timeout(300)  # the rows in view have asked for their comments
        assert notes  # the comments are loading
        # More rows in view than the browser has connections for one host (six).
        assert page.locator(".users-table .rating-note").count() > 6
        page.locator(".pager a[rel=next]").first.click()
        expect(page.locator(".pager-position")).to_contain_text("Page 2 of", timeout=1400)
