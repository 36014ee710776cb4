"""The team's roles: Django groups holding the dashboard's named permissions."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

PERMISSIONS: dict[str, str] = {
    "view_users": "Search users by attribute",
    "view_conversations": "Read conversations",
    "export_data": "Export user lists and transcripts",
    "work_queue": "Change a user's queue state, assignee and notes",
    "send_broadcast": "Launch WhatsApp template broadcasts",
    "trigger_flow": "Trigger automation flows",
    "manage_catalogue": "Keep the template and flow catalogue",
    "view_audit": "Review the audit log of outbound calls",
    "manage_team": "Manage accounts and roles",
}

AGENT = ("view_users", "view_conversations", "export_data", "work_queue")
MANAGER = (*AGENT, "send_broadcast", "trigger_flow", "manage_catalogue")
ADMIN = (*MANAGER, "view_audit", "manage_team")

ROLES: dict[str, tuple[str, ...]] = {"agent": AGENT, "manager": MANAGER, "admin": ADMIN}


def perm(codename: str) -> str:
    """The full permission name Django's ``has_perm`` expects."""
    return f"dashboard.{codename}"


def role_of(user: AbstractBaseUser | AnonymousUser) -> str:
    """The person's highest role: ``admin``, ``manager``, ``agent`` or ``""``.

    Read from the permissions the person holds (cached for the request by Django),
    so it costs no query of its own: a role is exactly its set of permissions.
    """
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "admin"
    held = {name.partition(".")[2] for name in user.get_all_permissions()}
    for role in ("admin", "manager", "agent"):
        if set(ROLES[role]) <= held:
            return role
    return ""


def role_from_groups(group_names: set[str], *, is_superuser: bool = False) -> str:
    """The role an account holds by its groups, active or not (for lists of accounts)."""
    if is_superuser:
        return "admin"
    for role in ("admin", "manager", "agent"):
        if role in group_names:
            return role
    return ""


def active_admins_excluding(user_id: int) -> int:
    """How many other active accounts can manage the team (admins and superusers).

    Call it in the transaction that changes the account: it first locks the admin role's
    row, so two admins demoting each other at once are counted one after the other (on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise them anyway).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.db.models import Q

    with transaction.atomic():
        list(Group.objects.select_for_update().filter(name="admin"))
        others = get_user_model().objects.filter(is_active=True).exclude(pk=user_id)
        return others.filter(Q(is_superuser=True) | Q(groups__name="admin")).distinct().count()
