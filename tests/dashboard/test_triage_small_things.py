"""Issue 12, "Small things a manager tripped on": each one reproduced, then fixed."""

import re

import pytest
from django.urls import reverse

from dashboard.list_state import conversation_path
from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS
from tests.conftest import page_html

pytestmark = pytest.mark.django_db
LONG = LONG_CONVERSATION_USER_IDS[0]


def _conversation(user_id: str, query: str = "") -> str:
    return reverse("dashboard:conversation", args=[user_id]) + (f"?{query}" if query else "")


def test_show_sends_the_carried_list_state_once(agent_client, sandbox):
    # htmx appends a form's fields to its hx-get URL; with hx-get="" that URL was the
    # current one, query included, so each Show added ?preset=1 once more.
    html = page_html(agent_client.get(_conversation(LONG, "preset=1&lpage=2&size=25")))
    form = re.search(r'<form method="get"[^>]*>', html)[0]
    path = reverse("dashboard:conversation", args=[LONG])
    assert f'hx-get="{path}"' in form and f'action="{path}"' in form
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    assert hidden.count(("preset", "1")) == 1 and hidden.count(("lpage", "2")) == 1


def test_show_goes_to_the_users_own_path_whatever_their_id(agent_client, hostile_platform):
    # The id quoted whole (a "?", "#" or "/" in it would otherwise end the path).
    html = page_html(agent_client.get(conversation_path("a?b#c/d") + "?size=25"))
    form = re.search(r'<form method="get"[^>]*>', html)[0]
    assert 'action="/users/a%3Fb%23c%2Fd/conversation/"' in form


def test_an_empty_date_range_shows_no_pages_and_no_next(agent_client, sandbox):
    html = page_html(agent_client.get(_conversation(LONG, "start=2001-01-01&end=2001-01-02")))
    assert "No messages in this date range." in html
    assert "of more" not in html
    assert 'rel="next"' not in html
    assert "Next \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}" not in html


USERS = "/users/"


def test_the_preset_is_one_control_the_quick_filters(agent_client, sandbox):
    html = page_html(agent_client.get(USERS + "?preset=1-2"))
    assert '<select name="preset"' not in html  # no second control doing the same
    assert "{#" not in html and "#}" not in html
    nav = re.search(r'<nav class="presets" aria-label="Quick filters">.*?</nav>', html, re.S)[0]
    for key in ("1", "1-2", "2", "3", "4", "5"):
        assert f'href="?preset={key}"' in nav
    # Searching, sorting and paging keep the quick filter in effect.
    within = re.search(r'<form [^>]*aria-label="Within the results">.*?</form>', html, re.S)[0]
    assert '<input type="hidden" name="preset" value="1-2">' in within


def test_a_custom_filter_replaces_the_quick_filter(agent_client, sandbox):
    html = page_html(agent_client.get(USERS + "?preset=1"))
    custom = re.search(r'<form [^>]*aria-label="Your own filter">.*?</form>', html, re.S)[0]
    assert 'name="preset"' not in custom  # typing an attribute never clashes with it
    html = page_html(agent_client.get(USERS + "?attribute=city&value=Pune"))
    assert "match city = “Pune”" in html


def test_selects_apply_once_the_choice_settles_and_search_once_typing_pauses(agent_client, sandbox):
    html = page_html(agent_client.get(USERS + "?preset=1"))
    within = re.search(r'<form [^>]*aria-label="Within the results">', html)[0]
    trigger = re.search(r'hx-trigger="([^"]+)"', within)[1]
    assert "change delay:600ms from:#id_sort" in trigger
    assert "change delay:600ms from:#id_size" in trigger
    assert "input changed delay:400ms from:#id_q" in trigger and "keyup" not in trigger
    # Only the results are replaced: the search box keeps focus and what is typed.
    assert 'hx-target="#results" hx-select="#results" hx-swap="outerHTML"' in within


def test_select_all_while_searching_says_which_users(agent_client, sandbox):
    html = page_html(agent_client.get(USERS + "?preset=1&q=a"))
    total = int(re.search(r"<strong>(\d+)</strong> users? match", html)[1])
    found = int(re.search(r"<strong>(\d+)</strong> found for “a”", html)[1])
    assert found < total
    assert (f"Select all {total} matching the filter (not only the {found} found for “a”)") in html


def test_the_users_table_scrolls_inside_its_card(agent_client, sandbox):
    html = page_html(agent_client.get(USERS + "?preset=1"))
    assert re.search(
        r'<div class="table-scroll" tabindex="0" role="region" aria-label="[^"]+">\s*'
        r'<table class="data-table users-table">',
        html,
    )
