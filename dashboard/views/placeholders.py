"""Screens whose real versions come with later issues; their permissions hold already."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.permissions import requires


@require_GET
@requires("send_broadcast")
def broadcasts_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/placeholder.html", {"title": "Broadcasts"})
