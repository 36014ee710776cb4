"""A conversation as a file: CSV rows or plain-text lines, in the viewer's time zone."""

from collections.abc import Iterable, Iterator
from datetime import tzinfo
from itertools import chain

from dashboard.csv_export import csv_rows
from technowiz.errors import TechnowizError
from technowiz.types import Message


def message_summary(message: Message) -> str:
    """The message as one line of text, whatever its type."""
    payload = message.payload or {}
    text = message.text or ""
    if message.type == "FEEDBACK":
        rating = payload.get("rating", "")
        comment = payload.get("comment") or ""
        return f"Rating {rating}/5" + (f": {comment}" if comment else "")
    if message.type in ("BUTTONS", "OPTIONS") and payload.get("options"):
        return f"{text} [{' | '.join(str(o) for o in payload['options'])}]".strip()
    if message.type == "TEMPLATE":
        return f"Template {payload.get('template_name', '')}".strip() + (
            f": {text}" if text else ""
        )
    if message.type == "IMAGE":
        return f"Image {payload.get('url', '') or message.file_url or ''}".strip()
    if message.file_url:
        return f"{message.type.title()} {message.file_url}" + (f": {text}" if text else "")
    return text


def _when(message: Message, tz: tzinfo) -> str:
    return message.timestamp.astimezone(tz).isoformat()


def _messages(first: Message | None, rest: Iterator[Message]) -> Iterable[Message]:
    # With no first message, ``rest`` is spent: read it all the same (an export that
    # counts what it sends then records its 0 rows).
    return chain([first], rest) if first is not None else rest


def transcript_rows(first: Message | None, rest: Iterator[Message], *, tz: tzinfo) -> Iterator[str]:
    """The transcript as CSV lines, times in ``tz`` (the viewer's zone, taken at request time)."""
    header = ["time", "sender", "agent", "type", "text", "message_id"]

    def rows() -> Iterator[list[object]]:
        try:
            for m in _messages(first, rest):
                yield [
                    _when(m, tz),
                    m.sender,
                    m.agent_name or "",
                    m.type,
                    message_summary(m),
                    m.message_id,
                ]
        except TechnowizError as error:
            yield ["", "", "", "EXPORT STOPPED", error.message, ""]

    return csv_rows(header, rows())


def transcript_lines(
    first: Message | None, rest: Iterator[Message], *, tz: tzinfo
) -> Iterator[str]:
    """The transcript as text lines, times in ``tz``."""
    try:
        for m in _messages(first, rest):
            who = m.agent_name or m.sender.title()
            yield f"[{_when(m, tz)}] {who}: {message_summary(m)}\n"
    except TechnowizError as error:
        yield f"--- export stopped: {error.message}\n"
