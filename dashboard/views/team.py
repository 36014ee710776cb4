"""Team management for admins, in the site's own pages: people, their one role, their
time zone, deactivation and password resets."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.forms.account import MemberChangeForm, MemberCreateForm
from dashboard.permissions import requires
from dashboard.selectors.team import member_initial, team_members
from dashboard.services.team import (
    member_active_set,
    member_change_record,
    member_create,
    member_password_set_record,
    member_update,
)

FORM = "dashboard/team_form.html"


def _person(pk: int) -> AbstractBaseUser:
    return get_object_or_404(get_user_model().objects.select_related("member"), pk=pk)


@require_GET
@requires("manage_team")
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/team_list.html", {"members": team_members()})


@require_http_methods(["GET", "POST"])
@requires("manage_team")
def team_create(request: HttpRequest) -> HttpResponse:
    form = MemberCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = member_create(
            password=data["password1"],
            **{k: data[k] for k in ("username", "role", "first_name", "last_name", "email")},
            time_zone=data["time_zone"],
        )
        member_change_record(user=person, before={})
        messages.success(request, f"{person.get_username()} can now sign in as {data['role']}.")
        return redirect("dashboard:team_list")
    return render(request, FORM, {"form": form, "heading": "Add a person"})


@require_http_methods(["GET", "POST"])
@requires("manage_team")
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    form = MemberChangeForm(request.POST or None, initial=member_initial(user=person))
    if request.method == "POST" and form.is_valid():
        try:
            member_update(user=person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person.get_username()} is saved.")
            return redirect("dashboard:team_list")
    context = {"form": form, "person": person, "heading": f"Change {person.get_username()}"}
    return render(request, FORM, context)


@require_POST
@requires("manage_team")
def team_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) an account."""
    person = _person(pk)
    active = request.POST.get("active") == "1"
    try:
        member_active_set(user=person, active=active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = "can sign in again" if active else "is deactivated: they can no longer sign in"
        messages.success(request, f"{person.get_username()} {done}.")
    return redirect("dashboard:team_list")


@require_http_methods(["GET", "POST"])
@requires("manage_team")
def team_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a new password for someone who lost theirs (Django's own form and checks)."""
    person = _person(pk)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        member_password_set_record(user_id=person.pk)
        messages.success(request, f"{person.get_username()} has a new password: tell them.")
        return redirect("dashboard:team_list")
    context = {"form": form, "person": person, "heading": f"New password for {person}"}
    return render(request, FORM, context)
