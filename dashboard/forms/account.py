"""A person's own settings."""

import zoneinfo
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString

# Real places ("Area/City") and UTC; not aliases such as "localtime" or "Factory".
_ZONES = [
    *sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ),
    "UTC",
]


class QuickSelect(forms.Select):
    """Django's single ``<select>`` markup, built in Python.

    Django renders a select through one template per option: the ~520 time zones took
    ~40 ms a page here. Same attributes (``aria-describedby`` included) and options.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = next(iter(self.format_value(value)), None)
        options = []
        for key, label in self.choices:
            selected = chosen is not None and str(key) == chosen
            if selected:
                chosen = None  # one selected option, as Django's Select
            options.append(
                f'<option value="{escape(key)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>"
            )
        final = flatatt(self.build_attrs(self.attrs, attrs))
        return SafeString(f'<select name="{escape(name)}"{final}>{"".join(options)}</select>')


class PersonSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        widget=QuickSelect,
        label="Your time zone",
        choices=[("", "The site's time zone")] + [(z, z.replace("_", " ")) for z in _ZONES],
        required=False,
        help_text="Every time is shown, and every date you type is read, in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )
