"""The call log on a long history: the user a call concerns is a column of its own (an
index lookup), and the list says how many calls match without counting them all."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from technowiz.models import OutboundCall
from technowiz.sandbox.data import EXAMPLE_USER_ID
from tests.conftest import make_call, page_html

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:audit_list")


def test_the_client_records_the_user_a_call_concerns(admin_client_, sandbox):
    from technowiz.client import get_client

    get_client().conversation(EXAMPLE_USER_ID, page_size=5)
    get_client().trigger_flow("callback_request", phone="+919800000001")
    get_client().users_by_attribute("feedback", "1")
    subjects = dict(OutboundCall.objects.values_list("action", "subject"))
    assert subjects == {
        "conversation.page": EXAMPLE_USER_ID,
        "flow.trigger": "+919800000001",
        "users.search": "",  # a search concerns nobody in particular
    }


def test_a_phone_finds_its_calls_only(admin_client_):
    mine = [make_call(subject="+919812345678") for _ in range(2)]
    make_call(subject="+919812345679")
    make_call(path="/channel-user/+919812345678/x")  # in the path, not the subject column
    html = page_html(admin_client_.get(URL + "?subject=%2B919812345678"))
    assert [int(pk) for pk in re.findall(r'data-call="(\d+)"', html)] == [
        c.pk for c in reversed(mine)
    ]
    assert "<strong>2</strong> calls match this filter" in html


def test_one_match_reads_in_the_singular(admin_client_):
    make_call(subject="x1")
    assert "<strong>1</strong> call matches this filter" in page_html(
        admin_client_.get(URL + "?subject=x1")
    )


def test_past_the_exact_count_the_list_says_about_or_more_than(admin_client_, monkeypatch):
    from dashboard.selectors import audit

    monkeypatch.setattr(audit, "EXACT_COUNT_UP_TO", 3)
    for _ in range(5):
        make_call()
    html = page_html(admin_client_.get(URL))
    if connection.vendor == "postgresql":
        assert "About <strong>" in html and "calls match this filter" in html
        assert "(the database's estimate)" in html
    else:
        assert "More than <strong>3</strong> calls match this filter" in html


def test_the_export_carries_the_subject(admin_client_):
    make_call(subject="+919812345678")
    response = admin_client_.get(reverse("dashboard:audit_export"))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",subject") and lines[1].endswith(",+919812345678")
