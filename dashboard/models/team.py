"""The team: each person's settings and their selection of platform users."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from dashboard.roles import PERMISSIONS


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London.")


class TeamMember(models.Model):
    """A person's settings beside Django's user: their time zone.

    It also carries the dashboard's named permissions (it owns no default ones).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member"
    )
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])

    class Meta:
        default_permissions = ()
        permissions = list(PERMISSIONS.items())

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone or 'site time zone'})"


class UserSelection(models.Model):
    """A person's selection of platform users for one filter (one selection a person).

    Either the ticked user ids (``SelectedUser`` rows), or with ``all_matching`` every
    user the filter matches less the unticked ones (then the rows are the unticked).
    Rows, not a session blob: concurrent ticks from several requests never overwrite
    each other.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_selection"
    )
    attribute = models.CharField(max_length=100)
    values = models.JSONField(default=list)
    all_matching = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.owner}: {self.attribute} = {self.values}"


class SelectedUser(models.Model):
    selection = models.ForeignKey(UserSelection, on_delete=models.CASCADE, related_name="marks")
    user_id = models.CharField(max_length=200)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["selection", "user_id"], name="one_mark_per_user")
        ]

    def __str__(self) -> str:
        return self.user_id
