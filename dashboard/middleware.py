"""Per-request behaviour of the site: the viewer's time zone, no caching of private pages."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect


def person_time_zone(user: object) -> zoneinfo.ZoneInfo:
    """The time zone to show and read times in for this person."""
    member = getattr(user, "member", None) if getattr(user, "is_authenticated", False) else None
    name = (member.time_zone if member else "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class PersonTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(person_time_zone(request.user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NoStoreMiddleware:
    """Pages for a signed-in person hold customer data: never cache them anywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class HtmxLoginRedirectMiddleware:
    """A signed-out htmx request must load the sign-in page, not swap it into a fragment.

    ``LoginRequiredMiddleware`` answers 302 to the login page; for htmx that becomes an
    ``HX-Redirect`` so the browser navigates there (and comes back after signing in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            if "X-Page-Part" in request.headers:
                # A piece a page loads by itself (a row's rating comment) never navigates:
                # nothing is swapped, and the person's next click leads to sign in.
                return HttpResponse(status=204)
            # One URL per screen: a GET's own URL is the page the person asked for
            # (page 2, say); for a POST, come back to the page it was sent from.
            if request.method == "GET":
                wanted = request.get_full_path()
            else:
                wanted = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(wanted).url)
        return response


class HealthCheckMiddleware:
    """``/healthz`` before anything else: no Host check, no HTTPS redirect, no session.

    Load balancers probe instances by address (a Host not in ALLOWED_HOSTS) and often
    over plain HTTP; Django would answer 400 or 301 and log a traceback each time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            from dashboard.views.health import database_health

            return database_health()
        return self.get_response(request)
