"""The users table's body rows; every value from the platform or the request is escaped."""

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboard.lists.times import time_tag
from technowiz.types import User

NO_NAME = '<span class="no-name">(no name)</span>'
# Says what is missing and what follows (a bare "no WhatsApp" read as "WhatsApp is off").
NO_WHATSAPP = '<span class="badge warn">No phone: WhatsApp cannot reach them</span>'


def _contact(user: User) -> str:
    """The phone number, or a warning that WhatsApp cannot reach this user, and the channel."""
    return escape(user.phone) if user.phone else f"{NO_WHATSAPP} {escape(user.channel)}"


def _attributes(attributes: Mapping[str, str]) -> str:
    return " ".join(
        f'<span class="attr"><span class="attr-name">{escape(name)}</span> {escape(value)}</span>'
        for name, value in attributes.items()
    )


def _row(user: User, *, tz: tzinfo, checked: bool, select_url: str, href: str) -> str:
    # hx-vals is JSON in an attribute: escaped here, the browser unescapes it back.
    toggle = json.dumps({"op": "toggle", "toggle": user.user_id})
    active = time_tag(user.last_active_at, tz) if user.last_active_at else "—"
    return (
        f'<tr><td><input type="checkbox" name="user_id" value="{escape(user.user_id)}"'
        f' aria-label="Select {escape(user.name or user.user_id)}"{" checked" if checked else ""}'
        f' hx-post="{escape(select_url)}" hx-vals="{escape(toggle)}" hx-target="#selection-bar"'
        ' hx-swap="outerHTML" hx-sync="closest tbody:queue all"></td>'
        f'<td><a href="{escape(href)}">{escape(user.name) if user.name else NO_NAME}</a></td>'
        f"<td>{_contact(user)}</td><td>{active}</td>"
        f'<td class="attributes">{_attributes(user.attributes)}</td></tr>'
    )


def user_rows(
    users: Iterable[User],
    *,
    tz: tzinfo,
    selected_ids: set[str],
    select_url: str,
    conversation_path: Callable[[str], str],
    list_query: str,
) -> SafeString:
    """The users table's body rows. ``conversation_path`` gives a user's conversation path
    (``dashboard.list_state.conversation_paths``); ``list_query`` is added to it so the
    conversation can lead back to the same list."""
    rows = (
        _row(
            user,
            tz=tz,
            checked=user.user_id in selected_ids,
            select_url=select_url,
            href=f"{conversation_path(user.user_id)}?{list_query}",
        )
        for user in users
    )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)
