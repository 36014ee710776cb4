"""One URL per screen: a full page, or for htmx the named fragment of the same template."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """A plain htmx request gets the fragment; boosted and history-restore ones the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_screen(
    request: HttpRequest,
    template: str,
    fragment: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or for a plain htmx request its fragment (``template#fragment``)."""
    name = f"{template}#{fragment}" if wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def export_failed(
    request: HttpRequest,
    *,
    back_url: str,
    error: object = None,
    problem: str = "",
    status: int = 502,
) -> HttpResponse:
    """An export that could not start: a page that says why (export links are plain links,
    so the browser shows it instead of silently cancelling a download)."""
    context = {"error": error, "problem": problem, "back_url": back_url}
    return render(request, "dashboard/export_failed.html", context, status=status)
