"""Typed results of the Technowiz client: dataclasses, no JSON past this line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

Sender = Literal["USER", "BOT", "AGENT"]

#: Message types the contract documents, plus the ones seen on the live platform.
KNOWN_MESSAGE_TYPES = frozenset(
    {
        "TEXT",
        "BUTTONS",
        "IMAGE",
        "TEMPLATE",
        "FEEDBACK",
        "EVENT",
        "OPTIONS",
        "FILE_RECEIVED",
        "AGENT_PARTICIPATION_STATUS",
        "VIDEO",
        "AUDIO",
        "DOCUMENT",
    }
)

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(slots=True)
class User:
    """A bot user as the platform knows them."""

    user_id: str
    name: str | None
    channel: str
    phone: str | None
    email: str | None
    created_at: datetime | None
    last_active_at: datetime | None
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def can_receive_whatsapp(self) -> bool:
        """Only users with a phone number can get a WhatsApp template or a flow trigger."""
        return bool(self.phone)


@dataclass(slots=True)
class Message:
    """One message of a conversation; ``text`` is data typed by a person, never HTML."""

    message_id: str
    timestamp: datetime  # aware, UTC
    sender: Sender
    type: str  # upper-case; unknown types are kept as given and shown as plain text
    text: str | None
    agent_name: str | None = None
    payload: Mapping[str, object] = _EMPTY
    file_url: str | None = None
    file_mime: str | None = None

    @property
    def is_known_type(self) -> bool:
        """False for a type the dashboard has no special rendering for (show it as text)."""
        return self.type in KNOWN_MESSAGE_TYPES


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """One page of a user's conversation, oldest message first."""

    user_id: str
    page: int
    page_size: int
    total_records: int | None
    total_pages: int | None
    messages: tuple[Message, ...]

    @property
    def has_next(self) -> bool:
        """Whether a further page exists: from the totals, else "a short page is the last"."""
        if self.total_pages is not None:
            return self.page < self.total_pages
        if self.total_records is not None:
            return self.page * self.page_size < self.total_records
        return len(self.messages) >= self.page_size > 0


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A CSV row of a broadcast the platform refused (``row`` is 1-based, header excluded)."""

    row: int
    phone_number: str
    reason: str


@dataclass(frozen=True, slots=True)
class BroadcastReceipt:
    """What the platform said about a broadcast file: accepted, not delivered."""

    broadcast_id: str
    accepted_count: int
    rejected: tuple[RejectedRow, ...] = ()
