"""Hot rows rendered in Python: the users table and the chat transcript.

Django's template engine costs ~0.2 ms a table row here, and even ``format_html``
~25 us a call; a page of 200 users or 500 messages spent most of its time
rendering (bench/pages.py: 42 ms and 60 ms). These functions build the same
markup with f-strings in which EVERY value from the platform or the request goes
through ``_e`` (``html.escape`` with quotes, what Django's ``escape`` does), then
return it as a ``SafeString``. Tests pin the markup and the escaping
(tests/dashboard/test_html_fast.py and the page tests).
"""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from html import escape as _html_escape
from urllib.parse import quote

from django.utils.safestring import SafeString

from dashboard.templatetags.dashboard_tags import http_url, stars
from technowiz.types import Message, User

_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _e(value: object) -> str:
    """Escape for HTML text and quoted attributes."""
    return _html_escape("" if value is None else str(value), quote=True)


def short_time(moment: datetime, tz: tzinfo, *, seconds: bool = False) -> tuple[str, str]:
    """(ISO 8601, "j M Y, H:i[:s]") of ``moment`` in ``tz``."""
    local = moment.astimezone(tz)
    clock = f"{local.hour:02d}:{local.minute:02d}"  # f-strings: half strftime's cost
    if seconds:
        clock = f"{clock}:{local.second:02d}"
    return local.isoformat(), f"{local.day} {_MONTHS[local.month]} {local.year}, {clock}"


def _attributes(attributes: Mapping[str, str]) -> str:
    return " ".join(
        f'<span class="attr"><span class="attr-name">{_e(k)}</span> {_e(v)}</span>'
        for k, v in attributes.items()
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
    """The users table's body rows. ``conversation_url`` holds ``__id__`` for the user id."""
    before, _, after = conversation_url.partition("__id__")
    select, query = _e(select_url), _e(list_query)
    rows = []
    for u in users:
        checked = " checked" if u.user_id in selected_ids else ""
        vals = _e(json.dumps({"op": "toggle", "toggle": u.user_id}))
        name = _e(u.name) if u.name else '<span class="no-name">(no name)</span>'
        if u.phone:
            contact = _e(u.phone)
        else:
            contact = (
                '<span class="badge warn" title="No phone number: cannot receive WhatsApp'
                f' templates or flows">no WhatsApp</span> {_e(u.channel)}'
            )
        active = "—"
        if u.last_active_at:
            iso, shown = short_time(u.last_active_at, tz)
            active = f'<time datetime="{iso}">{shown}</time>'
        href = _e(f"{before}{quote(u.user_id, safe='')}{after}")
        rows.append(
            f'<tr><td><input type="checkbox" name="user_id" value="{_e(u.user_id)}"'
            f' aria-label="Select {_e(u.name or u.user_id)}"{checked} hx-post="{select}"'
            f' hx-vals="{vals}" hx-target="#selection-bar" hx-swap="outerHTML"'
            ' hx-sync="closest tbody:queue all"></td>'
            f'<td><a href="{href}?{query}">{name}</a></td><td>{contact}</td><td>{active}</td>'
            f'<td class="attributes">{_attributes(u.attributes)}</td></tr>'
        )
    return SafeString("\n".join(rows))


def _sender(m: Message) -> str:
    if m.sender == "AGENT":
        return "Agent" + (f" {_e(m.agent_name)}" if m.agent_name else "")
    return "Bot" if m.sender == "BOT" else "User"


def _paragraph(text: str | None) -> str:
    return f"<p>{_e(text).replace(chr(10), '<br>')}</p>" if text else ""


def _link_or_note(url: str, label: str, note: str) -> str:
    safe = http_url(url)
    if safe:
        return (
            f'<p><a href="{_e(safe)}" rel="noopener noreferrer nofollow" target="_blank">'
            f"{_e(label)}</a></p>"
        )
    return f'<p class="hint">{_e(note)}</p>'


def _body(m: Message) -> str:
    payload = m.payload or {}
    kind = m.type
    if kind == "FEEDBACK":
        rating = payload.get("rating", "")
        comment = payload.get("comment")
        body = (
            f'<p class="rating" aria-label="Rated {_e(rating)} out of 5">'
            f'<span class="stars">{_e(stars(rating))}</span> {_e(rating)}/5</p>'
        )
        return body + (f'<p class="comment">“{_e(comment)}”</p>' if comment else "")
    if kind in ("BUTTONS", "OPTIONS"):
        options = payload.get("options") or ()
        chips = "".join(f'<li class="chip">{_e(o)}</li>' for o in options)
        return _paragraph(m.text) + (f'<ul class="chips">{chips}</ul>' if options else "")
    if kind == "IMAGE":
        url = str(payload.get("url") or m.file_url or "")
        shown = url if len(url) <= 80 else url[:79] + "…"
        note = f"Image (its link is not a web address, so it is not shown as a link): {shown}"
        return _link_or_note(url, f"Image: {shown}", note) + _paragraph(m.text)
    if kind == "TEMPLATE":
        broadcast = payload.get("broadcast_id")
        extra = f' <span class="hint">(broadcast {_e(broadcast)})</span>' if broadcast else ""
        name = _e(payload.get("template_name", ""))
        return f'<p><span class="badge">Template</span> {name}{extra}</p>' + _paragraph(m.text)
    if kind in ("EVENT", "AGENT_PARTICIPATION_STATUS"):
        return f'<p class="event-note">{_e(m.text or kind)}</p>'
    if m.file_url:
        label = kind.title() + (f" ({m.file_mime})" if m.file_mime else "")
        note = f"{kind.title()} (link not shown: not a web address)"
        return _link_or_note(m.file_url, label, note) + _paragraph(m.text)
    if m.text:
        return _paragraph(m.text)
    return f'<p><span class="hint">({_e(kind.lower())} message)</span></p>'


def chat_messages(messages: Iterable[Message], *, tz: tzinfo, highlight: str = "") -> SafeString:
    """The transcript's ``<li>`` items: user, bot and agent messages, each type readable."""
    items = []
    for m in messages:
        iso, shown = short_time(m.timestamp, tz, seconds=True)
        lit = m.message_id == highlight
        items.append(
            f'<li class="msg msg-{_e(m.sender.lower())} msg-type-{_e(m.type.lower())}'
            f'{" highlighted" if lit else ""}" id="{_e(m.message_id)}"'
            f'{' aria-current="true"' if lit else ""}><div class="msg-meta">'
            f'<span class="msg-sender">{_sender(m)}</span> <time datetime="{iso}">{shown}</time>'
            f'</div><div class="msg-body">{_body(m)}</div></li>'
        )
    return SafeString("\n".join(items))
