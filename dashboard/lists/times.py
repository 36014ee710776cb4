"""The ``<time>`` element both lists show: the moment in the viewer's time zone."""

from datetime import datetime, tzinfo

from django.utils.html import escape

# Fixed English names: ``%b`` would follow the process's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def time_tag(moment: datetime, tz: tzinfo, *, seconds: bool = False) -> str:
    """``<time datetime="ISO 8601">j M Y, HH:MM[:SS]</time>`` of ``moment`` in ``tz``."""
    local = moment.astimezone(tz)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    shown = f"{local.day} {MONTHS[local.month - 1]} {local.year}, {clock}"
    return f'<time datetime="{escape(local.isoformat())}">{escape(shown)}</time>'
