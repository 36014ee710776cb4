"""Team management for admins (``manage_team``), on an admin site of its own.

Django's default admin site is not routed: this one lets in only people holding
``manage_team`` (superusers included) and shows only the team's accounts and roles.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse

from dashboard.models import TeamMember
from dashboard.roles import active_admins_excluding, perm
from dashboard.services.team import (
    member_change_record,
    member_password_set_record,
    member_snapshot,
)

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


class TeamMemberChangeForm(UserChangeForm):
    """Refuses a change that would leave nobody able to manage the team."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user = self.instance
        if not user.pk:
            return data
        stays_admin = data.get("is_active", user.is_active) and (
            user.is_superuser or any(g.name == "admin" for g in data.get("groups", []))
        )
        was_admin = user.is_active and (
            user.is_superuser or user.groups.filter(name="admin").exists()
        )
        if was_admin and not stays_admin and active_admins_excluding(user.pk) == 0:
            raise ValidationError(
                "This is the last active admin: make someone else an admin first, "
                "or nobody could manage the team or the audit log."
            )
        return data


class TeamUserAdmin(ManageTeamOnly, UserAdmin):
    form = TeamMemberChangeForm
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

    # The action log gets each account change with its before and after: the state is
    # read before the user is saved and recorded once the roles and time zone are too.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request._account_before = member_snapshot(user_id=obj.pk if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        member_change_record(user=form.instance, before=getattr(request, "_account_before", {}))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's own page; a password set (it redirects once saved) is recorded."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            member_password_set_record(user_id=int(id))
        return response


class RoleAdmin(ManageTeamOnly, GroupAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # roles are defined by a migration; view only


team_admin = TeamAdminSite(name="team_admin")
team_admin.register(get_user_model(), TeamUserAdmin)
team_admin.register(Group, RoleAdmin)
