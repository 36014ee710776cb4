from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.permissions import requires
from dashboard.selectors.team import team_members


@require_GET
@requires("manage_team")
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/team_list.html", {"members": team_members()})
