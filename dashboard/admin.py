"""Team management for admins (``manage_team``), on an admin site of its own.

Django's default admin site is not routed: this one lets in only people holding
``manage_team`` (superusers included) and shows only the team's accounts and roles.
"""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from dashboard.models import TeamMember
from dashboard.roles import perm

MANAGE_TEAM = perm("manage_team")


class TeamAdminSite(admin.AdminSite):
    site_header = "Technowiz dashboard: team"
    site_title = "Team"
    index_title = "Accounts and roles"
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_perm(MANAGE_TEAM)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """One sign-in page for the whole site: the admin has none of its own."""
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME, self.site_url))


class ManageTeamOnly:
    """Model admin permissions follow ``manage_team``, not Django's per-model perms."""

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm(MANAGE_TEAM)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm(MANAGE_TEAM)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm(MANAGE_TEAM)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deactivate instead: audit rows keep a username snapshot, but people
        # answering for them expect the account to stay visible.
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_TEAM)


class TeamMemberInline(ManageTeamOnly, admin.StackedInline):
    model = TeamMember
    can_delete = False
    verbose_name_plural = "Time zone"


class TeamUserAdmin(ManageTeamOnly, UserAdmin):
    inlines = [TeamMemberInline]
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")


class RoleAdmin(ManageTeamOnly, GroupAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # roles are defined by a migration; view only


team_admin = TeamAdminSite(name="team_admin")
team_admin.register(get_user_model(), TeamUserAdmin)
team_admin.register(Group, RoleAdmin)
