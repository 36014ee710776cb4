from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dashboard.forms.account import PersonSettingsForm
from dashboard.services.account import password_changed, person_time_zone_set


@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    """A person's own settings: their time zone."""
    member = getattr(request.user, "member", None)  # loaded with the person (TeamBackend)
    initial = {"time_zone": member.time_zone if member else ""}
    form = PersonSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        zone = form.cleaned_data["time_zone"]
        person_time_zone_set(user=request.user, time_zone=zone)
        messages.success(request, f"Your time zone is now {zone or 'the site default'}.")
        return redirect("account_settings")
    return render(request, "registration/account_settings.html", {"form": form})


class PasswordChange(auth_views.PasswordChangeView):
    """Django's own view; a change is recorded in the action log."""

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        password_changed(user=form.user)
        return response
