"""The typed results: small behaviours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from technowiz.types import ConversationPage, Message, User


def page(
    n_messages: int, *, page: int = 1, size: int = 3, records=None, pages=None
) -> ConversationPage:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    messages = tuple(Message(f"m{i}", stamp, "USER", "TEXT", "x") for i in range(n_messages))
    return ConversationPage("u", page, size, records, pages, messages)


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({"n_messages": 3, "page": 1, "records": 7, "pages": 3}, True),
        ({"n_messages": 1, "page": 3, "records": 7, "pages": 3}, False),
        ({"n_messages": 3, "page": 2, "records": 6}, False),
        ({"n_messages": 3}, True),
        ({"n_messages": 2}, False),
        ({"n_messages": 0}, False),
    ],
)
def test_has_next(kwargs, expected):
    assert page(**kwargs).has_next is expected


def test_can_receive_whatsapp():
    assert User("1", None, "whatsapp", "+91", None, None, None, {}).can_receive_whatsapp
    assert not User("w", None, "web", None, "a@b", None, None, {}).can_receive_whatsapp
