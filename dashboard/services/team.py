"""Writes about the team: accounts and their roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from dashboard.models import TeamMember
from dashboard.services.actions import action_record, changes

DEMO_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("admin", "admin"),
    ("manager", "manager"),
    ("agent", "agent"),
)
DEMO_NAMES = {
    "admin": ("Ada", "Admin"),
    "manager": ("Mira", "Manager"),
    "agent": ("Arjun", "Agent"),
}


def member_create(
    *, username: str, password: str, role: str, first_name: str = "", last_name: str = ""
) -> AbstractUser:
    """Create or update an account with exactly one role."""
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name, user.last_name = first_name, last_name
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        TeamMember.objects.get_or_create(user=user)
    return user


def demo_team_create(*, password: str, reset: bool = False) -> list[AbstractUser]:
    """The demo accounts: created when missing; with ``reset``, their password, role and
    activity restored too (a restart must not undo what people changed on purpose)."""
    user_model = get_user_model()
    accounts = []
    for username, role in DEMO_ACCOUNTS:
        existing = user_model.objects.filter(username=username).first()
        if existing is not None and not reset:
            accounts.append(existing)
            continue
        accounts.append(
            member_create(
                username=username,
                password=password,
                role=role,
                first_name=DEMO_NAMES[username][0],
                last_name=DEMO_NAMES[username][1],
            )
        )
    return accounts


def member_snapshot(*, user_id: int | None) -> dict:
    """What the action log keeps of an account: names, activity, roles, time zone."""
    if user_id is None:
        return {}
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return {}
    member = TeamMember.objects.filter(user=user).first()
    return {
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "active": user.is_active,
        "superuser": user.is_superuser,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "time_zone": member.time_zone if member else "",
    }


def member_change_record(*, user: AbstractUser, before: dict) -> None:
    """Record an account created or changed (on the team admin): before and after."""
    after = member_snapshot(user_id=user.pk)
    diff = changes(before, after)
    if before and not diff["after"]:
        return  # saved without a change
    action_record(
        action="account.change" if before else "account.create",
        object_type="account",
        object_id=user.pk,
        object_label=user.get_username(),
        detail=diff,
    )


def member_password_set_record(*, user_id: int) -> None:
    """Record that an admin set someone's password (never anything about the password)."""
    user = get_user_model().objects.get(pk=user_id)
    action_record(
        action="account.password_set",
        object_type="account",
        object_id=user.pk,
        object_label=user.get_username(),
    )
