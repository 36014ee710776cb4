"""Writes a person makes about themselves."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from dashboard.models import TeamMember
from dashboard.services.actions import action_record, changes


def person_time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> TeamMember:
    with transaction.atomic():
        member, _ = TeamMember.objects.get_or_create(user=user)
        before = member.time_zone
        member.time_zone = time_zone
        member.full_clean()
        member.save(update_fields=["time_zone"])
        if before != time_zone:
            action_record(
                action="account.time_zone",
                object_type="account",
                object_id=user.pk,
                object_label=user.get_username(),
                detail=changes({"time_zone": before}, {"time_zone": time_zone}),
            )
    return member


def password_changed(*, user: AbstractBaseUser) -> None:
    """Record that a person changed their own password (never anything about it)."""
    action_record(
        action="auth.password_change",
        object_type="account",
        object_id=user.pk,
        object_label=user.get_username(),
    )
