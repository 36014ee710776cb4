"""Tolerant parsing of platform JSON into typed results.

The live platform is looser than its docs (TECHNOWIZ_API.md, "Variations"): status
``message`` for ``desc``; ``conversations`` for ``messages``; missing totals;
``message_type``/``response``; lower-case senders; ISO timestamp strings. Unknown
extra keys are ignored; a missing required key is an :class:`UnexpectedResponse`.

Users and messages in the documented shape take a fast path (``_documented_*``,
hot: hundreds per page); anything else goes through the general code (``_any_*``),
which gives the same results. tests/technowiz/test_parsing_speed_equivalence.py
checks the fast paths against the general code (the fast paths switched off).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import fields
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


def decode_json(content: bytes) -> Any:
    """Decode a body as JSON, or raise UnexpectedResponse (HTML pages, truncated bodies)."""
    if not content.strip():
        raise UnexpectedResponse(detail="empty body")
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        head = content[:1].decode("latin-1")
        kind = "an HTML page" if head == "<" else "not JSON"
        raise UnexpectedResponse(detail=f"body is {kind}") from exc


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
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


# Bound once: called for every message and user. Hot paths pass ``tz`` positionally,
# which the C implementation parses faster than the keyword (same function, same result).
_fromtimestamp = datetime.fromtimestamp
# The fast paths build their frozen dataclasses by setting the slots directly: the
# generated ``__init__`` of a frozen dataclass goes through ``object.__setattr__`` once
# a field, twice the cost (1.2 against 0.5 us a message). The setters are taken from
# ``fields()`` in order, so a field added, removed or moved changes them too; a test
# compares what they build with what the constructor builds.
_new = object.__new__
(
    _msg_id,
    _msg_at,
    _msg_sender,
    _msg_type,
    _msg_text,
    _msg_agent,
    _msg_payload,
    _msg_url,
    _msg_mime,
) = (getattr(Message, f.name).__set__ for f in fields(Message))
(
    _user_id,
    _user_name,
    _user_channel,
    _user_phone,
    _user_email,
    _user_created,
    _user_active,
    _user_attrs,
) = (getattr(User, f.name).__set__ for f in fields(User))


def _message(
    message_id: str,
    timestamp: datetime,
    sender: str,
    kind: str,
    text: str | None,
    agent_name: str | None,
    payload: Mapping[str, object],
    file_url: str | None,
    file_mime: str | None,
) -> Message:
    """``Message(...)`` with every field given positionally, for the fast path."""
    message = _new(Message)
    _msg_id(message, message_id)
    _msg_at(message, timestamp)
    _msg_sender(message, sender)
    _msg_type(message, kind)
    _msg_text(message, text)
    _msg_agent(message, agent_name)
    _msg_payload(message, payload)
    _msg_url(message, file_url)
    _msg_mime(message, file_mime)
    return message


def _user(
    user_id: str,
    name: str | None,
    channel: str,
    phone: str | None,
    email: str | None,
    created_at: datetime | None,
    last_active_at: datetime | None,
    attributes: Mapping[str, str],
) -> User:
    """``User(...)`` with every field given positionally, for the fast path."""
    user = _new(User)
    _user_id(user, user_id)
    _user_name(user, name)
    _user_channel(user, channel)
    _user_phone(user, phone)
    _user_email(user, email)
    _user_created(user, created_at)
    _user_active(user, last_active_at)
    _user_attrs(user, attributes)
    return user


# The fast paths take epoch ms in [0, this] (1970 to the end of year 9999) as they are;
# anything else goes through parse_time, which turns what datetime refuses into a typed
# error (a huge number or NaN from the platform must not become a 500 page).
# A day inside datetime's limits at both ends, so that every time accepted can be shown
# in any time zone (offsets are under a day) without overflowing.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
_MAX_MS = 253_402_214_399_999  # _LATEST in epoch ms


def _in_range(moment: datetime) -> datetime:
    if not _EARLIEST <= moment <= _LATEST:
        raise UnexpectedResponse(detail="timestamp out of range")
    return moment


def _from_epoch_ms(value: float) -> datetime:
    try:
        return _in_range(datetime.fromtimestamp(value / 1000, tz=UTC))
    except (OverflowError, OSError, ValueError):
        raise UnexpectedResponse(detail="timestamp out of range") from None


def parse_time(value: Any) -> datetime | None:
    """Epoch milliseconds (int or digit string) or an ISO-8601 string, as aware UTC."""
    if type(value) is int:  # the documented shape: fast path
        return _from_epoch_ms(value)
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
    if type(value) is not dict and not isinstance(value, Mapping):
        raise UnexpectedResponse(detail=f"{what} is not an object")
    return value


# --- endpoints ----------------------------------------------------------------------------


def parse_user(raw: Any) -> User:
    """One user of ``/users``; attribute values become strings."""
    if type(raw) is dict:
        user = _documented_user(raw)
        if user is not None:
            return user
    return _any_user(raw)


def _documented_user(obj: dict[str, Any]) -> User | None:
    """The documented shape of a user, built without the general helpers, or None.

    Fast path for the hot ``/users`` answer (hundreds of users): every documented
    key present, with exact JSON types (str or null strings, int epoch ms, a dict
    of attributes), which the general code would pass through unchanged. Anything
    else (``userId``, ``phone``, numbers, ISO times, a missing key) is None and
    :func:`_any_user` decides, errors included.
    """
    try:  # every documented key present, else the general path
        user_id = obj["user_id"]
        name = obj["name"]
        channel = obj["channel"]
        phone = obj["phone_no"]
        email = obj["email"]
        created_at = obj["created_at"]
        last_active_at = obj["last_active_at"]
        attributes = obj["attributes"]
    except KeyError:
        return None
    if (
        type(user_id) is not str
        or (type(name) is not str and name is not None)
        or (type(channel) is not str and channel is not None)
        or (type(phone) is not str and phone is not None)
        or (email is not None and type(email) is not str)
        or type(created_at) is not int
        or type(last_active_at) is not int
        or not 0 <= created_at <= _MAX_MS
        or not 0 <= last_active_at <= _MAX_MS
        or type(attributes) is not dict
    ):
        return None
    return _user(
        user_id,
        name,
        channel or "",
        phone or None,
        email or None,
        _fromtimestamp(created_at / 1000, UTC),
        _fromtimestamp(last_active_at / 1000, UTC),
        MappingProxyType(  # the same conversion as _any_user
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in attributes.items()}
        ),
    )


def _any_user(raw: Any) -> User:
    """Any accepted spelling of a user (the general, slower path)."""
    obj = _object(raw, "user")
    attributes = obj.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        attributes = {}
    return User(
        user_id=str(_require(obj, "user_id", "userId", "id")),
        name=_as_str(obj.get("name")),
        channel=_as_str(obj.get("channel")) or "",
        phone=_as_str(obj.get("phone_no", obj.get("phone_number", obj.get("phone")))) or None,
        email=_as_str(obj.get("email")) or None,
        created_at=parse_time(obj.get("created_at")),
        last_active_at=parse_time(obj.get("last_active_at")),
        attributes=MappingProxyType(
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in attributes.items()}
        ),
    )


def parse_users(payload: Any) -> list[User]:
    """The ``responseObject`` of ``/users``: ``{"count", "users"}`` or a bare list."""
    if isinstance(payload, Mapping):
        payload = payload.get("users", [])
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise UnexpectedResponse(detail="users is not a list")
    users = []
    for item in payload:
        user = _documented_user(item) if type(item) is dict else None
        users.append(user if user is not None else _any_user(item))
    return users


def parse_message(raw: Any, index: int = 0) -> Message:
    """One conversation message, whatever spelling the platform used."""
    if type(raw) is dict:
        message = _documented_message(raw)
        if message is not None:
            return message
    return _any_message(raw, index)


def _documented_message(obj: dict[str, Any]) -> Message | None:
    """The documented shape of a message, built without the general helpers, or None.

    Fast path for the hot conversation page (500 messages): every documented key
    present, int epoch ms, an upper-case sender, non-empty str ``type`` and
    ``message_id``, str-or-null ``text``/``agent_name``, dict-or-null ``payload``,
    no ``file``; for these the general code gives exactly this. Anything else
    (``message_type``, ``response``, lower-case senders, ISO times, files, missing
    ids or keys) is None and :func:`_any_message` decides, errors included.
    """
    try:  # every documented key present, else the general path
        stamp = obj["timestamp"]
        sender = obj["sender"]
        kind = obj["type"]
        message_id = obj["message_id"]
        text = obj["text"]
        agent_name = obj["agent_name"]
        payload = obj["payload"]
    except KeyError:
        return None
    if (
        type(stamp) is not int
        or not 0 <= stamp <= _MAX_MS
        or type(sender) is not str
        or sender not in _SENDERS
        or type(kind) is not str
        or not kind
        or type(message_id) is not str
        or not message_id
        or (type(text) is not str and text is not None)
        or (agent_name is not None and type(agent_name) is not str)
        or (payload is not None and type(payload) is not dict)
        or "file" in obj
    ):
        return None
    file_url = None
    if payload:
        url = payload.get("url")
        if isinstance(url, str):
            file_url = url
        frozen = MappingProxyType(dict(payload))
    else:
        frozen = _NO_PAYLOAD
    return _message(
        message_id,
        _fromtimestamp(stamp / 1000, UTC),  # timestamp
        sender,  # type: ignore[arg-type]
        kind.strip().upper(),  # type
        text,
        agent_name,
        frozen,  # payload
        file_url,
        None,  # file_mime
    )


def _any_message(raw: Any, index: int) -> Message:
    """Any accepted spelling of a message (the general, slower path)."""
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
    # Same order as before: the page fields, then the messages (first error wins).
    page_user_id = _as_str(obj.get("user_id")) or user_id
    page_number = _as_int(obj.get("page_number", obj.get("page"))) or page
    size = _as_int(obj.get("page_size")) or page_size
    total_records = _as_int(obj.get("total_records"))
    total_pages = _as_int(obj.get("total_pages"))
    messages = []
    for index, item in enumerate(raw_messages):
        message = _documented_message(item) if type(item) is dict else None
        messages.append(message if message is not None else _any_message(item, index))
    return ConversationPage(
        user_id=page_user_id,
        page=page_number,
        page_size=size,
        total_records=total_records,
        total_pages=total_pages,
        messages=tuple(messages),
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
