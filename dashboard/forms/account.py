"""A person's own settings."""

import zoneinfo

from django import forms

_ZONES = sorted(zoneinfo.available_timezones())


class PersonSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=[("", "The site's time zone")] + [(z, z.replace("_", " ")) for z in _ZONES],
        required=False,
        help_text="Every time is shown, and every date you type is read, in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )
