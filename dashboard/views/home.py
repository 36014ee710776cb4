from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dashboard.rendering import render_screen
from dashboard.roles import perm
from dashboard.selectors.overview import platform_health, rating_distribution
from dashboard.selectors.runs import recent_runs
from dashboard.views.overview_outcomes import outcomes_context
from technowiz.errors import TechnowizError


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The overview: ratings at a glance, who needs attention, the platform's health."""
    context: dict = {"rating_attribute": settings.TECHNOWIZ_RATING_ATTRIBUTE}
    if request.user.has_perm(perm("view_users")):
        try:
            context["ratings"] = rating_distribution()
        except TechnowizError as error:
            context["platform_error"] = error
    context["health"] = platform_health()  # after the calls above: they count too
    if request.user.has_perm(perm("send_broadcast")) or request.user.has_perm(perm("trigger_flow")):
        context["recent_runs"] = recent_runs()
    context.update(outcomes_context(request, ratings_ok="ratings" in context))
    return render_screen(request, "dashboard/home.html", "ratings", context)
