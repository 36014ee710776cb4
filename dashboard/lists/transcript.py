"""The chat transcript's messages; every value from the platform is escaped, and only an
http(s) address becomes a link."""

from collections.abc import Iterable
from datetime import tzinfo

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboard.lists.times import time_tag
from dashboard.templatetags.dashboard_tags import http_url, stars
from technowiz.types import Message


def _sender(m: Message) -> str:
    if m.sender == "AGENT":
        return f"Agent {m.agent_name}" if m.agent_name else "Agent"
    return "Bot" if m.sender == "BOT" else "User"


def _shown(value: object) -> str:
    """A payload value as shown, escaped: JSON's null as nothing."""
    return "" if value is None else escape(value)


def _paragraph(text: str | None) -> str:
    """The text with its line breaks, or nothing."""
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<p>" + "<br>".join(escape(line) for line in lines) + "</p>"


def _link_or_note(url: str, label: str, note: str) -> str:
    """A link to ``url`` if it is an http(s) address, else ``note`` (never ``javascript:``)."""
    if safe_url := http_url(url):
        return (
            f'<p><a href="{escape(safe_url)}" rel="noopener noreferrer nofollow"'
            f' target="_blank">{escape(label)}</a></p>'
        )
    return f'<p class="hint">{escape(note)}</p>'


def _body(m: Message) -> str:
    """The message as its type is meant to be read; an unknown type as plain text."""
    payload, kind = m.payload or {}, m.type
    if kind == "FEEDBACK":
        rating, comment = _shown(payload.get("rating")), payload.get("comment")
        said = f'<p class="comment">“{escape(comment)}”</p>' if comment else ""
        return (
            f'<p class="rating" aria-label="Rated {rating} out of 5">'
            f'<span class="stars">{escape(stars(payload.get("rating")))}</span> {rating}/5</p>'
            f"{said}"
        )
    if kind in ("BUTTONS", "OPTIONS"):
        options = payload.get("options") or ()
        chips = "".join(f'<li class="chip">{_shown(o)}</li>' for o in options)
        return _paragraph(m.text) + (f'<ul class="chips">{chips}</ul>' if options else "")
    if kind == "IMAGE":
        url = str(payload.get("url") or m.file_url or "")
        shown = url if len(url) <= 80 else url[:79] + "…"
        note = f"Image (its link is not a web address, so it is not shown as a link): {shown}"
        return _link_or_note(url, f"Image: {shown}", note) + _paragraph(m.text)
    if kind == "TEMPLATE":
        broadcast = payload.get("broadcast_id")
        extra = f' <span class="hint">(broadcast {escape(broadcast)})</span>' if broadcast else ""
        name = _shown(payload.get("template_name"))
        return f'<p><span class="badge">Template</span> {name}{extra}</p>{_paragraph(m.text)}'
    if kind in ("EVENT", "AGENT_PARTICIPATION_STATUS"):
        return f'<p class="event-note">{escape(m.text or kind)}</p>'
    if m.file_url:
        label = kind.title() + (f" ({m.file_mime})" if m.file_mime else "")
        note = f"{kind.title()} (link not shown: not a web address)"
        return _link_or_note(m.file_url, label, note) + _paragraph(m.text)
    if m.text:
        return _paragraph(m.text)
    return f'<p><span class="hint">({escape(kind.lower())} message)</span></p>'


def _item(m: Message, tz: tzinfo, highlight: str) -> str:
    lit = bool(highlight) and m.message_id == highlight
    classes = f"msg msg-{m.sender.lower()} msg-type-{m.type.lower()}" + (" highlighted" * lit)
    current = ' aria-current="true"' if lit else ""
    return (
        f'<li class="{escape(classes)}" id="{escape(m.message_id)}"{current}>'
        f'<div class="msg-meta"><span class="msg-sender">{escape(_sender(m))}</span> '
        f"{time_tag(m.timestamp, tz, seconds=True)}</div>"
        f'<div class="msg-body">{_body(m)}</div></li>'
    )


def chat_messages(messages: Iterable[Message], *, tz: tzinfo, highlight: str = "") -> SafeString:
    """The transcript's ``<li>`` items; the message whose id is ``highlight`` is marked."""
    items = "\n".join(_item(m, tz, highlight) for m in messages)
    return mark_safe(items)  # noqa: S308 (every value above is escaped)
