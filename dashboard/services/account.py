"""Writes a person makes about themselves."""

from django.contrib.auth.models import AbstractBaseUser

from dashboard.models import TeamMember


def person_time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> TeamMember:
    member, _ = TeamMember.objects.get_or_create(user=user)
    member.time_zone = time_zone
    member.full_clean()
    member.save(update_fields=["time_zone"])
    return member
