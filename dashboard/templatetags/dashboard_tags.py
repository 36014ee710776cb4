"""Template filters for platform data: it is data, never markup or script."""

from urllib.parse import urlsplit

from django import template
from django.forms import BoundField
from django.utils.html import escape
from django.utils.safestring import SafeString

from dashboard.forms.widgets import option_tags

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
def select_field(field: BoundField) -> SafeString:
    """A choice field as ``<select>`` with its errors beside it.

    The same markup as Django's ``Select`` widget, plus ``aria-describedby`` pointing at
    the error shown next to the field, built in Python: Django renders a widget through
    one template per option (0.2 ms a select here, on pages that must stay fast).
    """
    name, current = field.html_name, field.value()
    current = "" if current is None else str(current)
    invalid = ""
    if field.errors:
        invalid = f' aria-invalid="true" aria-describedby="{escape(name)}-error"'
    options = option_tags(field.field.choices, current)
    errors = "".join(
        f'<span class="field-error" id="{escape(name)}-error">{escape(error)}</span>'
        for error in field.errors
    )
    return SafeString(
        f'<select name="{escape(name)}" id="{escape(field.id_for_label)}"{invalid}>'
        f"{options}</select>{errors}"
    )
