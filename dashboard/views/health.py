from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def database_health() -> JsonResponse:
    """200 when what every page needs answers (the database and the shared cache), 503
    otherwise, naming what failed (for load balancers and monitors)."""
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        checks["database"] = "unreachable"
    try:
        cache.set("healthz", 1, 10)
        if cache.get("healthz") != 1:
            checks["cache"] = "not keeping values"
    except Exception:  # any backend's failure (a missing table, Redis down) is a 503
        checks["cache"] = "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    status = "ok" if healthy else "unavailable"
    response = JsonResponse({"status": status, **checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The same answer through the URLconf (HealthCheckMiddleware usually answers first)."""
    return database_health()
