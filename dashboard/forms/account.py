"""A person's own settings, and the team admin's forms for accounts."""

import zoneinfo

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm

from dashboard.roles import ROLES

# Real places ("Area/City") and UTC; not aliases such as "localtime" or "Factory".
_ZONES = [
    *sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ),
    "UTC",
]


ZONE_CHOICES = [("", "The site's time zone")] + [(z, z.replace("_", " ")) for z in _ZONES]


def time_zone_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=ZONE_CHOICES,
        required=False,
        help_text="Every time is shown, and every date typed is read, in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )


class PersonSettingsForm(forms.Form):
    time_zone = time_zone_field("Your time zone")


ROLE_CHOICES = [
    ("agent", "Agent: find users, read conversations, export"),
    ("manager", "Manager: an agent's work, plus broadcasts, flows and the catalogue"),
    ("admin", "Admin: everything, plus the audit log and the team"),
]
assert {key for key, _ in ROLE_CHOICES} == set(ROLES)


def role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role.", "invalid_choice": "Choose a role."},
    )


class MemberCreateForm(BaseUserCreationForm):
    """A new person: Django's own username and password checks, one role, a time zone."""

    role = role_field()
    time_zone = time_zone_field("Time zone")

    class Meta(BaseUserCreationForm.Meta):
        fields = ("username", "first_name", "last_name", "email")


class MemberChangeForm(forms.Form):
    """A person's name, role and time zone (the username stays)."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    role = role_field()
    time_zone = time_zone_field("Time zone")
