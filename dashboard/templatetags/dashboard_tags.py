"""Template filters for platform data: it is data, never markup or script."""

from datetime import datetime
from urllib.parse import urlsplit

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from dashboard import list_state
from dashboard.forms.audit import ACTIONS
from dashboard.lists.times import time_tag

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    """The URL if it is http or https, else "" (autoescape does not stop ``javascript:``)."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


@register.filter
def stars(value: object) -> str:
    """A 1-5 rating as filled and empty stars ("★★☆☆☆"); anything else as given."""
    try:
        rating = int(str(value))
    except (TypeError, ValueError):
        return str(value or "")
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


@register.simple_tag
def conversation_path(name: str, user_id: str) -> str:
    """``{% conversation_path 'dashboard:conversation_export' user_id %}``: see
    ``dashboard.list_state.conversation_path``."""
    return list_state.conversation_path(user_id, name)


@register.filter
def when(value: object, precision: str = "") -> str:
    """A moment as every page shows it: ``<time>`` "3 Dec 2026, 14:05" in the viewer's
    time zone (``when:"seconds"`` adds the seconds), the same as the lists' times."""
    if not isinstance(value, datetime):
        return ""
    return mark_safe(  # noqa: S308 - time_tag escapes every value it writes
        time_tag(value, timezone.get_current_timezone(), seconds=precision == "seconds")
    )


_ACTION_LABELS = dict(ACTIONS)


@register.filter
def action_label(action: str) -> str:
    """An audit row's action in the words of the audit filter ("Users search")."""
    return _ACTION_LABELS.get(action, action)


@register.filter
def attempt_number(attempt: int) -> int:
    """Attempts as people count them: the first is 1 (stored from 0: retries made)."""
    return attempt + 1
