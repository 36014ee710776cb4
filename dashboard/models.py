"""The site's own data about the team."""

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
