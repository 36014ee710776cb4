from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from dashboard.roles import role_from_groups


@dataclass(frozen=True)
class Member:
    pk: int
    username: str
    full_name: str
    role: str
    is_active: bool
    time_zone: str
    last_login: object


def team_members() -> list[Member]:
    users = get_user_model().objects.prefetch_related("groups").select_related("member")
    members = []
    for user in users.order_by("username"):
        member = getattr(user, "member", None)
        members.append(
            Member(
                pk=user.pk,
                username=user.get_username(),
                full_name=user.get_full_name(),
                role=role_from_groups(
                    {g.name for g in user.groups.all()}, is_superuser=user.is_superuser
                ),
                is_active=user.is_active,
                time_zone=(member.time_zone if member else "") or "site default",
                last_login=user.last_login,
            )
        )
    return members


def member_initial(*, user: AbstractBaseUser) -> dict[str, str]:
    """What the change form shows first: the person's name, role and time zone."""
    member = getattr(user, "member", None)
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": role_from_groups(
            {g.name for g in user.groups.all()}, is_superuser=user.is_superuser
        ),
        "time_zone": member.time_zone if member else "",
    }
