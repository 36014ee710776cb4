"""Who a run is for: the selection on the users page, one user, or an uploaded CSV; and
who is set aside before anything is sent, and why."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from technowiz.types import User

CSV_MAX_BYTES = 5 * 1024 * 1024
CSV_MAX_ROWS = 100_000
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_PHONE_NOISE = re.compile(r"[\s().-]")

# Why someone is set aside (the codes kept on their row), in words.
NO_PHONE, INVALID_PHONE, DUPLICATE, RECENT = "no_phone", "invalid_phone", "duplicate", "recent"
REASONS = {
    NO_PHONE: "No WhatsApp phone number",
    INVALID_PHONE: "Not a phone number in international format (+ and country code)",
    DUPLICATE: "Already in this audience (same phone number)",
    RECENT: "Contacted by a broadcast or flow in the last {days} days",
}


class AudienceError(ValueError):
    """The uploaded file cannot be read; the message says why, for the person."""


@dataclass
class Member:
    """One person of an audience, before any check."""

    user_id: str = ""
    name: str = ""
    phone: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def members_from_users(users: Iterable[User]) -> list[Member]:
    return [
        Member(
            user_id=u.user_id,
            name=u.name or "",
            phone=u.phone or "",
            attributes=dict(u.attributes),
        )
        for u in users
    ]


def members_from_csv(data: bytes) -> list[Member]:
    """The people of an uploaded CSV: a ``phone`` column, optional ``name`` and
    ``user_id``, and any other column as an attribute. Raises AudienceError."""
    if len(data) > CSV_MAX_BYTES:
        raise AudienceError(too_large(len(data)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AudienceError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise AudienceError("The file holds binary data, not CSV text.")
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    names = [name.casefold() for name in header]
    if "phone" not in names:
        raise AudienceError(
            "The first line must name the columns, one of them “phone” (for example: "
            "phone,name,city)."
        )
    if len(set(names)) != len(names):
        raise AudienceError("Two columns have the same name in the first line.")
    members = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(members) == CSV_MAX_ROWS:
            raise AudienceError(f"The file has more than {CSV_MAX_ROWS:,} people; split it.")
        if len(row) != len(header):
            raise AudienceError(
                f"Line {number} has {len(row)} values, the first line names {len(header)}."
            )
        values = dict(zip(names, (cell.strip() for cell in row), strict=True))
        members.append(
            Member(
                user_id=values.pop("user_id", ""),
                name=values.pop("name", ""),
                phone=values.pop("phone"),
                attributes={
                    original: values[name]
                    for original, name in zip(header, names, strict=True)
                    if name in values
                },
            )
        )
    if not members:
        raise AudienceError("The file names its columns but lists nobody.")
    return members


def too_large(size: int) -> str:
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; upload at most "
        f"{CSV_MAX_BYTES // 1024 // 1024} MB (split the list into several files)."
    )


def normal_phone(phone: str) -> str:
    """``phone`` in E.164 (``+`` and digits), or "" when it cannot be one.

    Spaces, dots, dashes and brackets are dropped and a leading ``00`` becomes ``+``; a
    number without its country code is refused rather than guessed.
    """
    compact = _PHONE_NOISE.sub("", phone or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if E164.match(compact) else ""


@dataclass
class Checked:
    """A member as they will be stored: their phone in E.164 and, if set aside, why."""

    member: Member
    phone: str
    set_aside: str = ""  # a key of REASONS, or "" to send


def members_checked(members: Sequence[Member], *, include_recent: bool = False) -> list[Checked]:
    """Each member with their phone checked; no phone, invalid, duplicate and (unless
    ``include_recent``) recently contacted people set aside, the first of a phone kept."""
    checked, seen = [], set()
    for member in members:
        phone = normal_phone(member.phone)
        reason = ""
        if not member.phone.strip():
            reason = NO_PHONE
        elif not phone:
            reason = INVALID_PHONE
        elif phone in seen:
            reason = DUPLICATE
        seen.add(phone)
        checked.append(Checked(member, phone or member.phone.strip()[:40], reason))
    recent = recently_contacted({c.phone for c in checked if not c.set_aside})
    for item in checked:
        if not item.set_aside and item.phone in recent and not include_recent:
            item.set_aside = RECENT
    return checked


def recently_contacted(phones: set[str]) -> set[str]:
    """Which of ``phones`` a run of this dashboard sent to (or may have) lately."""
    from dashboard.models.runs import SENDING, SENT, UNKNOWN, Recipient

    since = timezone.now() - timedelta(days=settings.RECENT_CONTACT_DAYS)
    found: set[str] = set()
    ordered = sorted(phones)
    for start in range(0, len(ordered), 500):  # SQLite binds at most 32,766 values
        found.update(
            Recipient.objects.filter(
                phone__in=ordered[start : start + 500],
                state__in=(SENT, SENDING, UNKNOWN),
                run__launched_at__gte=since,
            ).values_list("phone", flat=True)
        )
    return found


def reason_text(code: str) -> str:
    return REASONS.get(code, code).format(days=settings.RECENT_CONTACT_DAYS)
