"""Reads of a user's conversation, always through the platform client."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from technowiz.client import get_client
from technowiz.types import ConversationPage, Message

PLATFORM_PAGE = 500  # the largest page the platform serves
MAX_SCAN_PAGES = 200  # 100,000 messages: a bound on any whole-range walk


def conversation_page(
    *,
    user_id: str,
    start: datetime | None,
    end: datetime | None,
    page: int,
    size: int,
) -> ConversationPage:
    """One page of the conversation, oldest message first."""
    return get_client().conversation(user_id, start=start, end=end, page=page, page_size=size)


def conversation_messages(
    *,
    user_id: str,
    start: datetime | None,
    end: datetime | None,
    first: ConversationPage | None = None,
) -> Iterator[Message]:
    """Every message of the range, oldest first, fetched page by page as it is read.

    ``first``: page 1 at ``PLATFORM_PAGE`` if the caller has it already.
    """
    for page in range(1, MAX_SCAN_PAGES + 1):
        result = (
            first
            if page == 1 and first is not None
            else conversation_page(
                user_id=user_id, start=start, end=end, page=page, size=PLATFORM_PAGE
            )
        )
        yield from result.messages
        if not result.has_next or not result.messages:
            return


@dataclass(frozen=True)
class RatingLocation:
    page: int  # at the viewer's page size
    message: Message


def rating_location(
    *, user_id: str, start: datetime | None, end: datetime | None, size: int
) -> RatingLocation | None:
    """Where the user's latest feedback message is, at page size ``size``; None if none.

    Reads the range from its last page backwards (the latest rating is usually
    near the end) when the platform gives totals, else from the start.
    """
    first = conversation_page(user_id=user_id, start=start, end=end, page=1, size=PLATFORM_PAGE)
    if first.total_pages:
        pages = range(first.total_pages, 0, -1)
        for number in pages:
            current = (
                first
                if number == 1
                else conversation_page(
                    user_id=user_id, start=start, end=end, page=number, size=PLATFORM_PAGE
                )
            )
            for index in range(len(current.messages) - 1, -1, -1):
                if current.messages[index].type == "FEEDBACK":
                    offset = (number - 1) * PLATFORM_PAGE + index
                    return RatingLocation(offset // size + 1, current.messages[index])
        return None
    latest: tuple[int, Message] | None = None
    messages = conversation_messages(user_id=user_id, start=start, end=end, first=first)
    for offset, message in enumerate(messages):
        if message.type == "FEEDBACK":
            latest = (offset, message)
    return RatingLocation(latest[0] // size + 1, latest[1]) if latest else None


def message_page(*, user_id: str, at: datetime, size: int) -> int:
    """The page (at ``size`` messages a page) holding the message sent at ``at``: one call
    that counts the messages before it. Page 1 when the platform gives no totals."""
    before = get_client().conversation(user_id, end=at, page=1, page_size=1).total_records
    return (before or 0) // size + 1
