"""Template filters for platform data: it is data, never markup or script."""

from urllib.parse import urlsplit

from django import template

from dashboard import list_state

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
