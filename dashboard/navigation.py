"""The site's navigation: each person sees only what their role allows."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import reverse

from dashboard.roles import perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None  # None: every signed-in person

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION = (
    NavItem("Overview", "dashboard:home", None),
    NavItem("Users", "dashboard:users_list", "view_users"),
    NavItem("Broadcasts", "dashboard:broadcasts_list", "send_broadcast"),
    NavItem("Flow runs", "dashboard:triggers_list", "trigger_flow"),
    NavItem("Catalogue", "dashboard:catalogue", "manage_catalogue"),
    NavItem("Audit", "dashboard:audit_list", "view_audit"),
    NavItem("Team", "dashboard:team_list", "manage_team"),
)


def navigation_for(user: AbstractBaseUser | AnonymousUser) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    return [
        item
        for item in NAVIGATION
        if item.permission is None or user.has_perm(perm(item.permission))
    ]
