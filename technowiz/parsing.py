"""Tolerant parsing of platform JSON into typed results.

The live platform is looser than its docs (TECHNOWIZ_API.md, "Variations"): status
``message`` for ``desc``; ``conversations`` for ``messages``; missing totals;
``message_type``/``response``; lower-case senders; ISO timestamp strings. Unknown
extra keys are ignored; a missing required key or an unreadable value is an
:class:`UnexpectedResponse`, never a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from technowiz.errors import UnexpectedResponse
from technowiz.types import BroadcastReceipt, ConversationPage, Message, RejectedRow, User

SUCCESS_CODE = 1000
_SENDERS = {"USER", "BOT", "AGENT"}
_ISO_TZ = re.compile(r"([+-]\d{2})(\d{2})$")


class Envelope:
    """The common ``{"status": {...}, "responseObject": ...}`` wrapper, read loosely."""

    __slots__ = ("code", "desc", "details", "payload")

    def __init__(
        self, code: int | None, desc: str | None, details: str | None, payload: Any
    ) -> None:
        self.code = code
        self.desc = desc
        self.details = details
        self.payload = payload

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS_CODE


# JSON can carry text that no page, file or database column can hold: NUL (PostgreSQL
# refuses it, and a page has no use for it) and half a surrogate pair (UTF-8 cannot encode
# it, so the page or file would fail). Both arrive only as escapes; a body with one (or
# with a literal backslash-u that looks like one) has every string cleaned, each such
# character becoming U+FFFD, the replacement character.
UNHOLDABLE_ESCAPE = re.compile(
    rb"\\u0000"
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_UNHOLDABLE = re.compile("[\x00\ud800-\udfff]")


def _holdable(value: Any) -> Any:
    """``value`` with NUL and lone surrogates replaced in every string, keys included."""
    if isinstance(value, str):
        return _UNHOLDABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_holdable(item) for item in value]
    if isinstance(value, dict):
        return {_holdable(key): _holdable(item) for key, item in value.items()}
    return value


def decode_json(content: bytes) -> Any:
    """Decode a body as JSON, or raise UnexpectedResponse (HTML pages, truncated bodies).

    Text a page, a file or the database could not hold is replaced (see ``_holdable``).
    """
    if not content.strip():
        raise UnexpectedResponse(detail="empty body")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        head = content[:1].decode("latin-1")
        kind = "an HTML page" if head == "<" else "not JSON"
        raise UnexpectedResponse(detail=f"body is {kind}") from exc
    return _holdable(data) if UNHOLDABLE_ESCAPE.search(content) else data


def read_envelope(data: Any) -> Envelope:
    """Read the status object and payload; ``message`` is accepted for ``desc``."""
    if not isinstance(data, Mapping):
        raise UnexpectedResponse(detail="body is not a JSON object")
    status = data.get("status")
    code: int | None = None
    desc: str | None = None
    if isinstance(status, Mapping):
        code = _as_int(status.get("code"))
        desc = _as_str(status.get("desc", status.get("message")))
    elif "responseObject" in data and status is None:
        code = SUCCESS_CODE
    details = data.get("errorDetails", data.get("error_details"))
    if details is not None and not isinstance(details, str):
        details = json.dumps(details, default=str)[:500]
    return Envelope(code, desc, details, data.get("responseObject"))


# --- scalars ------------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value.strip())
    return None


def _as_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


# A day inside datetime's limits at both ends, so that every time accepted can be shown
# in any time zone (offsets are under a day) without overflowing.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)


def _in_range(moment: datetime) -> datetime:
    if not _EARLIEST <= moment <= _LATEST:
        raise UnexpectedResponse(detail="timestamp out of range")
    return moment


def _from_epoch_ms(value: float) -> datetime:
    # A huge number or NaN from the platform is a typed error, not a 500 page.
    try:
        return _in_range(datetime.fromtimestamp(value / 1000, tz=UTC))
    except (OverflowError, OSError, ValueError):
        raise UnexpectedResponse(detail="timestamp out of range") from None


def parse_time(value: Any) -> datetime | None:
    """Epoch milliseconds (int or digit string) or an ISO-8601 string, as aware UTC."""
    if value is None or value == "":
        return None
    number = _as_int(value)
    if number is not None:
        return _from_epoch_ms(number)
    if isinstance(value, float):
        return _from_epoch_ms(value)
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        text = _ISO_TZ.sub(r"\1:\2", text)  # +0530 -> +05:30 (fromisoformat accepts both)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UnexpectedResponse(detail=f"unreadable timestamp {value[:40]!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return _in_range(moment.astimezone(UTC))
        except OverflowError:  # e.g. year 1 at +05:00 is before year 1 in UTC
            raise UnexpectedResponse(detail="timestamp out of range") from None
    raise UnexpectedResponse(detail="unreadable timestamp")


_NO_PAYLOAD: Mapping[str, Any] = MappingProxyType({})


def _frozen(mapping: Any) -> Mapping[str, Any]:
    if mapping and isinstance(mapping, dict):
        return MappingProxyType(dict(mapping))
    return _NO_PAYLOAD


def _require(obj: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in obj and obj[key] is not None:
            return obj[key]
    raise UnexpectedResponse(detail=f"missing key {keys[0]!r}")


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UnexpectedResponse(detail=f"{what} is not an object")
    return value


# --- endpoints ----------------------------------------------------------------------------


def parse_user(raw: Any, *, shared: dict[str, str] | None = None) -> User:
    """One user of ``/users``, whatever spelling the platform used.

    Attribute values that are not strings become their JSON text, so ``attributes``
    maps text to text whatever the platform sent. With ``shared``, short texts equal to
    one seen before (channels, attribute names and values) are that same string object.
    """
    obj = _object(raw, "user")
    attributes = obj.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        attributes = {}

    def same(text: str) -> str:
        return (
            text if shared is None or len(text) > _SHARED_LENGTH else shared.setdefault(text, text)
        )

    return User(
        user_id=str(_require(obj, "user_id", "userId", "id")),
        name=_as_str(obj.get("name")),
        channel=same(_as_str(obj.get("channel")) or ""),
        phone=_as_str(obj.get("phone_no", obj.get("phone_number", obj.get("phone")))) or None,
        email=_as_str(obj.get("email")) or None,
        created_at=parse_time(obj.get("created_at")),
        last_active_at=parse_time(obj.get("last_active_at")),
        attributes=MappingProxyType(
            {
                same(str(k)): same(v if isinstance(v, str) else json.dumps(v))
                for k, v in attributes.items()
            }
        ),
    )


_SHARED_LENGTH = 64  # longer texts (comments) are rarely the same twice


def parse_users(payload: Any) -> list[User]:
    """The ``responseObject`` of ``/users``: ``{"count", "users"}`` or a bare list.

    The list is consumed (emptied) as it is parsed; users ``decode_users_body`` already
    parsed are taken as they are.
    """
    if isinstance(payload, Mapping):
        payload = payload.get("users", [])
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise UnexpectedResponse(detail="users is not a list")
    # Each user's JSON is dropped as soon as it is parsed, so that a long list is never
    # held twice; and the users share equal short texts, as a city or a plan repeats
    # from user to user (a sandbox user took 886 bytes, 653 with them shared).
    payload.reverse()
    users = []
    shared: dict[str, str] = {}
    while payload:
        raw = payload.pop()
        users.append(raw if isinstance(raw, User) else parse_user(raw, shared=shared))
    return users


def parse_message(raw: Any, index: int = 0) -> Message:
    """One conversation message, whatever spelling the platform used.

    A message without an id gets one from its time and its place on the page
    (``index``), so the dashboard can still tell messages apart.
    """
    obj = _object(raw, "message")
    timestamp = parse_time(_require(obj, "timestamp", "created_at", "time"))
    if timestamp is None:  # an empty string: no time at all
        raise UnexpectedResponse(detail="message without a timestamp")
    sender = str(_require(obj, "sender", "sender_type")).strip().upper()
    if sender not in _SENDERS:
        raise UnexpectedResponse(detail=f"unknown sender {sender[:20]!r}")
    kind = (_as_str(obj.get("type", obj.get("message_type"))) or "TEXT").strip().upper()
    payload: Any = obj.get("payload")
    text_value = obj.get("text", obj.get("response"))
    text = _as_str(text_value)
    if text is None and isinstance(text_value, dict):
        text = _as_str(text_value.get("text"))
        if payload is None:
            payload = text_value
    file_obj = obj.get("file")
    file_url = file_mime = None
    if isinstance(file_obj, dict):
        file_url = _as_str(file_obj.get("url"))
        file_mime = _as_str(file_obj.get("mimeType", file_obj.get("mime_type")))
    elif isinstance(payload, dict) and isinstance(payload.get("url"), str):
        file_url = payload["url"]
    message_id = _as_str(obj.get("message_id", obj.get("id")))
    return Message(
        message_id=message_id or f"{int(timestamp.timestamp() * 1000)}-{index}",
        timestamp=timestamp,
        sender=sender,  # type: ignore[arg-type]
        type=kind,
        text=text,
        agent_name=_as_str(obj.get("agent_name")),
        payload=_frozen(payload),
        file_url=file_url,
        file_mime=file_mime,
    )


def parse_conversation(
    payload: Any, *, user_id: str, page: int, page_size: int
) -> ConversationPage:
    """A page of ``/conversations``; totals may be missing."""
    obj = _object(payload, "conversation")
    raw_messages = obj.get("messages")
    if raw_messages is None:
        raw_messages = obj.get("conversations")
    if raw_messages is None:
        raw_messages = []
    if not isinstance(raw_messages, list):
        raise UnexpectedResponse(detail="messages is not a list")
    page_user_id = _as_str(obj.get("user_id")) or user_id
    page_number = _as_int(obj.get("page_number", obj.get("page"))) or page
    size = _as_int(obj.get("page_size")) or page_size
    total_records = _as_int(obj.get("total_records"))
    total_pages = _as_int(obj.get("total_pages"))
    messages = tuple(parse_message(item, index) for index, item in enumerate(raw_messages))
    return ConversationPage(
        user_id=page_user_id,
        page=page_number,
        page_size=size,
        total_records=total_records,
        total_pages=total_pages,
        messages=messages,
    )


def parse_receipt(payload: Any, *, broadcast_id: str) -> BroadcastReceipt:
    """The broadcast answer: accepted count and rejected rows."""
    obj = _object(payload, "broadcast receipt")
    accepted = _as_int(_require(obj, "accepted_count", "acceptedCount"))
    if accepted is None:
        raise UnexpectedResponse(detail="accepted_count is not a number")
    rejected = []
    for item in obj.get("rejected") or []:
        row = _object(item, "rejected row")
        rejected.append(
            RejectedRow(
                row=_as_int(row.get("row")) or 0,
                phone_number=_as_str(row.get("phone_number")) or "",
                reason=_as_str(row.get("reason")) or "",
            )
        )
    return BroadcastReceipt(
        broadcast_id=_as_str(obj.get("broadcast_id")) or broadcast_id,
        accepted_count=accepted,
        rejected=tuple(rejected),
    )


def parse_trigger(payload: Any) -> None:
    """The flow trigger answers ``true``; anything else is not a confirmation."""
    if payload is True or (isinstance(payload, Mapping) and payload):
        return
    raise UnexpectedResponse(detail="flow trigger not confirmed")
