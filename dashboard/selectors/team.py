from dataclasses import dataclass

from django.contrib.auth import get_user_model

from dashboard.roles import role_from_groups


@dataclass(frozen=True)
class Member:
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
