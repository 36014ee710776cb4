"""The chat transcript's messages.

Built in Python: a template is several times slower for a page of messages
(BENCHMARKS.md). Every value from the platform goes in through ``format_html``, and only
an http(s) address becomes a link.
"""

from collections.abc import Iterable
from datetime import tzinfo

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboard.lists.times import time_tag
from dashboard.templatetags.dashboard_tags import http_url, stars
from technowiz.types import Message


def _sender(m: Message) -> str:
    if m.sender == "AGENT":
        return f"Agent {m.agent_name}" if m.agent_name else "Agent"
    return "Bot" if m.sender == "BOT" else "User"


def _shown(value: object) -> object:
    """A payload value as shown: JSON's null as nothing."""
    return "" if value is None else value


def _paragraph(text: str | None) -> SafeString:
    """The text with its line breaks, or nothing."""
    return format_html("<p>{}</p>", linebreaksbr(text)) if text else mark_safe("")


def _link_or_note(url: str, label: str, note: str) -> SafeString:
    """A link to ``url`` if it is an http(s) address, else ``note`` (never ``javascript:``)."""
    if safe_url := http_url(url):
        return format_html(
            '<p><a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a></p>',
            safe_url,
            label,
        )
    return format_html('<p class="hint">{}</p>', note)


def _body(m: Message) -> SafeString:
    """The message as its type is meant to be read; an unknown type as plain text."""
    payload, kind = m.payload or {}, m.type
    if kind == "FEEDBACK":
        rating, comment = _shown(payload.get("rating")), payload.get("comment")
        return format_html(
            '<p class="rating" aria-label="Rated {} out of 5"><span class="stars">{}</span>'
            " {}/5</p>{}",
            rating,
            stars(rating),
            rating,
            format_html('<p class="comment">“{}”</p>', comment) if comment else "",
        )
    if kind in ("BUTTONS", "OPTIONS"):
        options = payload.get("options") or ()
        chips = format_html_join("", '<li class="chip">{}</li>', ((_shown(o),) for o in options))
        chips = format_html('<ul class="chips">{}</ul>', chips) if options else ""
        return format_html("{}{}", _paragraph(m.text), chips)
    if kind == "IMAGE":
        url = str(payload.get("url") or m.file_url or "")
        shown = url if len(url) <= 80 else url[:79] + "…"
        note = f"Image (its link is not a web address, so it is not shown as a link): {shown}"
        return format_html("{}{}", _link_or_note(url, f"Image: {shown}", note), _paragraph(m.text))
    if kind == "TEMPLATE":
        broadcast = payload.get("broadcast_id")
        extra = (
            format_html(' <span class="hint">(broadcast {})</span>', broadcast) if broadcast else ""
        )
        return format_html(
            '<p><span class="badge">Template</span> {}{}</p>{}',
            _shown(payload.get("template_name")),
            extra,
            _paragraph(m.text),
        )
    if kind in ("EVENT", "AGENT_PARTICIPATION_STATUS"):
        return format_html('<p class="event-note">{}</p>', m.text or kind)
    if m.file_url:
        label = kind.title() + (f" ({m.file_mime})" if m.file_mime else "")
        note = f"{kind.title()} (link not shown: not a web address)"
        return format_html("{}{}", _link_or_note(m.file_url, label, note), _paragraph(m.text))
    if m.text:
        return _paragraph(m.text)
    return format_html('<p><span class="hint">({} message)</span></p>', kind.lower())


def _item(m: Message, tz: tzinfo, highlight: str) -> SafeString:
    lit = bool(highlight) and m.message_id == highlight
    return format_html(
        '<li class="msg msg-{} msg-type-{}{}" id="{}"{}><div class="msg-meta">'
        '<span class="msg-sender">{}</span> {}</div><div class="msg-body">{}</div></li>',
        m.sender.lower(),
        m.type.lower(),
        mark_safe(" highlighted") if lit else "",
        m.message_id,
        mark_safe(' aria-current="true"') if lit else "",
        _sender(m),
        time_tag(m.timestamp, tz, seconds=True),
        _body(m),
    )


def chat_messages(messages: Iterable[Message], *, tz: tzinfo, highlight: str = "") -> SafeString:
    """The transcript's ``<li>`` items; the message whose id is ``highlight`` is marked."""
    return format_html_join("\n", "{}", ((_item(m, tz, highlight),) for m in messages))
