"""Writes about the team: accounts and their roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from dashboard.models import TeamMember
from dashboard.roles import active_admins_excluding, role_from_groups
from dashboard.services.actions import action_record, changes

LAST_ADMIN = (
    "This is the last active admin: make someone else an admin first, "
    "or nobody could manage the team or the audit log."
)

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
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    time_zone: str = "",
) -> AbstractUser:
    """Create or update an account with exactly one role. Not recorded here: the demo
    seeding and the tests' fixtures use it too; a person's create is recorded by the
    team page (``member_change_record``), as Django's admin records its own."""
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        member, _ = TeamMember.objects.get_or_create(user=user)
        if time_zone != member.time_zone:
            member.time_zone = time_zone
            member.save(update_fields=["time_zone"])
    return user


def _is_admin(user: AbstractUser) -> bool:
    names = {g.name for g in user.groups.all()}
    return user.is_active and role_from_groups(names, is_superuser=user.is_superuser) == "admin"


def member_update(
    *,
    user: AbstractUser,
    role: str,
    first_name: str,
    last_name: str,
    email: str,
    time_zone: str,
) -> AbstractUser:
    """Change a person's name, role and time zone. Raises ``ValidationError`` when it
    would leave nobody able to manage the team."""
    before = member_snapshot(user_id=user.pk)
    with transaction.atomic():
        demoted = _is_admin(user) and role != "admin" and not user.is_superuser
        if demoted and active_admins_excluding(user.pk) == 0:  # locks the admin role's row
            raise ValidationError(LAST_ADMIN)
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["first_name", "last_name", "email"])
        user.groups.set([Group.objects.get(name=role)])
        member, _ = TeamMember.objects.get_or_create(user=user)
        member.time_zone = time_zone
        member.full_clean()
        member.save(update_fields=["time_zone"])
    member_change_record(user=user, before=before)
    return user


def member_active_set(*, user: AbstractUser, active: bool, by: AbstractUser) -> AbstractUser:
    """Deactivate (the person can no longer sign in; their sessions stop working) or
    reactivate an account. Raises ``ValidationError`` for one's own account or the last
    admin."""
    if user.pk == by.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    before = member_snapshot(user_id=user.pk)
    with transaction.atomic():
        if not active and _is_admin(user) and active_admins_excluding(user.pk) == 0:
            raise ValidationError(LAST_ADMIN)
        user.is_active = active
        user.save(update_fields=["is_active"])
    member_change_record(user=user, before=before)
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
    """Record an account created or changed (team pages, Django's admin): before and after."""
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
