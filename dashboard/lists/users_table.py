"""The users table's body rows; every value from the platform or the request is escaped."""

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboard.lists.times import time_tag
from dashboard.selectors.matched_set import rating_of
from dashboard.selectors.queue import QueueView
from technowiz.types import User

PAGE_PART = json.dumps({"X-Page-Part": "rating-note"})  # signed out: back to the list
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


def stars_html(rating: int | None) -> str:
    """Filled and empty stars for the eye, "2 of 5 stars" for a screen reader."""
    if rating is None:
        return '<span class="no-rating">no rating</span>'
    return (
        f'<span class="stars" aria-hidden="true">{"★" * rating}{"☆" * (5 - rating)}</span>'
        f'<span class="visually-hidden">{rating} of 5 stars</span>'
    )


def _rating(user: User, note_url: str) -> str:
    """The stars, and where the rating's comment and time load once the row is in view.

    One at a time (a queue on the table): a page's rows would otherwise take all six of
    the browser's connections, and "Next" waited behind them for seconds on a busy
    server. The ticks queue on the tbody, apart.
    """
    rating = rating_of(user)
    note = (
        f'<span class="rating-note" hx-get="{escape(note_url)}?r={rating}"'
        ' hx-trigger="intersect once" hx-swap="outerHTML" hx-sync="closest table:queue all"'
        f' hx-headers="{escape(PAGE_PART)}"></span>'
        # "." and ".." are ids no URL can carry (a browser folds them into another path).
        if note_url and rating is not None and user.user_id not in (".", "..")
        else ""
    )
    return f'<td class="rating">{stars_html(rating)}{note}</td>'


def _queue(queue: QueueView | None) -> str:
    if queue is None:
        return ""
    who = escape(queue.assignee_name) if queue.assignee_name else "unassigned"
    return (
        f'<td class="queue"><span class="state state-{escape(queue.state)}">'
        f'{escape(queue.state_label)}</span><br><span class="hint">{who}</span></td>'
    )


def _row(
    user: User,
    *,
    tz: tzinfo,
    checked: bool,
    select_url: str,
    href: str,
    note_url: str = "",
    queue: QueueView | None = None,
    opened: bool = False,
    with_rating: bool = False,
) -> str:
    # hx-vals is JSON in an attribute: escaped here, the browser unescapes it back.
    toggle = json.dumps({"op": "toggle", "toggle": user.user_id})
    active = time_tag(user.last_active_at, tz) if user.last_active_at else "—"
    read = ' <span class="badge read-mark">opened</span>' if opened else ""
    row_class = ' class="is-read"' if opened else ""
    return (
        f"<tr{row_class}>"
        f'<td><input type="checkbox" name="user_id" value="{escape(user.user_id)}"'
        f' aria-label="Select {escape(user.name or user.user_id)}"{" checked" if checked else ""}'
        f' hx-post="{escape(select_url)}" hx-vals="{escape(toggle)}" hx-target="#selection-bar"'
        ' hx-swap="outerHTML" hx-sync="closest tbody:queue all"></td>'
        f'<td><a href="{escape(href)}">{escape(user.name) if user.name else NO_NAME}</a>{read}</td>'
        f"{_rating(user, note_url) if with_rating else ''}{_queue(queue)}"
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
    note_path: Callable[[str], str] | None = None,
    queue: Mapping[str, QueueView] | None = None,
    opened: set[str] | frozenset[str] = frozenset(),
) -> SafeString:
    """The users table's body rows. ``conversation_path`` gives a user's conversation path
    (``dashboard.list_state.conversation_paths``); ``list_query`` is added to it so the
    conversation can lead back to the same list. With ``queue`` the rows have the rating
    and queue columns; ``note_path`` gives where a row's rating comment loads from."""
    rows = (
        _row(
            user,
            tz=tz,
            checked=user.user_id in selected_ids,
            select_url=select_url,
            href=f"{conversation_path(user.user_id)}?{list_query}",
            note_url=note_path(user.user_id) if note_path else "",
            queue=queue.get(user.user_id) if queue is not None else None,
            opened=user.user_id in opened,
            with_rating=queue is not None,
        )
        for user in users
    )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)
