"""No input makes a page fail: every query string gets a page or a clear refusal."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS

pytestmark = pytest.mark.django_db

NAMES = [
    "preset",
    "attribute",
    "value",
    "q",
    "sort",
    "size",
    "page",
    "refresh",
    "start",
    "end",
    "highlight",
    "format",
    "lpage",
    "lsize",
    "before",
    "op",
]
values = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "2",
            "1-2",
            "500",
            "2026-13-45",
            "2026-01-01",
            "name",
            "-name",
            "\x00",
            "%",
            "<script>",
            "9" * 40,
            "csv",
            "txt",
            "feedback",
        ]
    ),
    st.text(max_size=20),
)
queries = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=6)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FUZZ_MORE = settings(FUZZ, max_examples=150)


def _query(pairs) -> str:
    return urlencode(pairs)


@FUZZ_MORE
@given(queries)
def test_users_page_never_fails(agent_client, sandbox, pairs):
    for path in ("/users/", "/users/export.csv"):
        response = agent_client.get(f"{path}?{_query(pairs)}")
        assert response.status_code in (200, 400), (path, pairs, response.status_code)


@FUZZ
@given(queries, st.sampled_from([LONG_CONVERSATION_USER_IDS[0], "nobody", "a b", "%2F..%2F"]))
def test_conversation_pages_never_fail(agent_client, sandbox, pairs, user_id):
    for suffix in ("", "rating/", "export/"):
        response = agent_client.get(f"/users/{user_id}/conversation/{suffix}?{_query(pairs)}")
        assert response.status_code in (200, 302, 400, 404, 502), (suffix, pairs)
        if response.status_code == 200 and suffix != "export/":
            # A real screen: the transcript, or words that say why there is none.
            html = response.content.decode()
            assert 'id="conversation-screen"' in html, (suffix, pairs)
            assert any(
                marker in html
                for marker in ('class="chat"', 'role="alert"', 'role="status"', "No messages on")
            ), (suffix, pairs)
