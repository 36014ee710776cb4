"""Writes about the team: accounts and their roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from dashboard.models import TeamMember

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
