from typing import Any

from django.conf import settings
from django.http import HttpRequest

from dashboard.navigation import navigation_for
from dashboard.roles import role_of


def site(request: HttpRequest) -> dict[str, Any]:
    """What the base template needs on every page."""
    user = getattr(request, "user", None)
    return {
        "sandbox_mode": settings.TECHNOWIZ_SANDBOX,
        "navigation": navigation_for(user) if user is not None else [],
        "role": role_of(user) if user is not None else "",
        "current_path": request.path,
    }
