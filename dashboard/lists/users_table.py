"""The users table's body rows.

Built in Python: a template is several times slower for a page of rows (BENCHMARKS.md).
Every value from the platform or the request goes in through ``format_html``.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from urllib.parse import quote

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboard.lists.times import time_tag
from technowiz.types import User

NO_NAME = mark_safe('<span class="no-name">(no name)</span>')


def _contact(user: User) -> SafeString:
    """The phone number, or a warning that WhatsApp cannot reach this user, and the channel."""
    if user.phone:
        return escape(user.phone)
    return format_html(
        '<span class="badge warn" title="No phone number: cannot receive WhatsApp templates'
        ' or flows">no WhatsApp</span> {}',
        user.channel,
    )


def _attributes(attributes: Mapping[str, str]) -> SafeString:
    return format_html_join(
        " ", '<span class="attr"><span class="attr-name">{}</span> {}</span>', attributes.items()
    )


def _row(user: User, *, tz: tzinfo, checked: bool, select_url: str, href: str) -> SafeString:
    return format_html(
        '<tr><td><input type="checkbox" name="user_id" value="{}" aria-label="Select {}"{}'
        ' hx-post="{}" hx-vals="{}" hx-target="#selection-bar" hx-swap="outerHTML"'
        ' hx-sync="closest tbody:queue all"></td>'
        '<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td class="attributes">{}</td></tr>',
        user.user_id,
        user.name or user.user_id,
        mark_safe(" checked") if checked else "",
        select_url,
        # Escaped as an attribute; the browser unescapes it back to this JSON.
        json.dumps({"op": "toggle", "toggle": user.user_id}),
        href,
        user.name or NO_NAME,
        _contact(user),
        time_tag(user.last_active_at, tz) if user.last_active_at else "—",
        _attributes(user.attributes),
    )


def user_rows(
    users: Iterable[User],
    *,
    tz: tzinfo,
    selected_ids: set[str],
    select_url: str,
    conversation_url: str,
    list_query: str,
) -> SafeString:
    """The users table's body rows. ``conversation_url`` holds ``__id__`` for the user id;
    ``list_query`` is added to it so the conversation can lead back to the same list."""
    before, _, after = conversation_url.partition("__id__")
    rows = (
        _row(
            user,
            tz=tz,
            checked=user.user_id in selected_ids,
            select_url=select_url,
            href=f"{before}{quote(user.user_id, safe='')}{after}?{list_query}",
        )
        for user in users
    )
    return format_html_join("\n", "{}", ((row,) for row in rows))
