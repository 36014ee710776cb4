"""Issue 12, "Small things a manager tripped on": each one reproduced, then fixed."""

import re

import pytest
from django.urls import reverse

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


def test_an_empty_date_range_shows_no_pages_and_no_next(agent_client, sandbox):
    html = page_html(agent_client.get(_conversation(LONG, "start=2001-01-01&end=2001-01-02")))
    assert "No messages in this date range." in html
    assert "of more" not in html
    assert 'rel="next"' not in html and "Next ›" not in html
