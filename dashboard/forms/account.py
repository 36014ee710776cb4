"""A person's own settings."""

import zoneinfo

from django import forms

# Real places ("Area/City") and UTC; not aliases such as "localtime" or "Factory".
_ZONES = [
    *sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ),
    "UTC",
]


class PersonSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=[("", "The site's time zone")] + [(z, z.replace("_", " ")) for z in _ZONES],
        required=False,
        help_text="Every time is shown, and every date you type is read, in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )
