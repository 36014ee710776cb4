from collections.abc import Callable
from contextlib import suppress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dashboard.rendering import render_screen, wants_fragment
from dashboard.roles import perm
from dashboard.selectors.overview import platform_health, rating_distribution
from dashboard.selectors.rating_trend import rating_trend
from dashboard.selectors.recovery import follow_up_list
from dashboard.selectors.runs import recent_runs
from dashboard.views.overview_outcomes import outcomes_context
from technowiz.errors import TechnowizError


def _ratings_card() -> dict:
    """The ratings, who needs attention and who waits for a follow-up: one set of lists."""
    try:
        context: dict = {"ratings": rating_distribution()}
    except TechnowizError as error:
        return {"platform_error": error}
    with suppress(TechnowizError):  # read from the lists just kept: no further call
        context["follow_up"] = follow_up_list()
    return context


# Cards that ask the platform: the page answers at once and each card loads on its own
# (``?card=<name>``: for htmx its partial ``<name>_card``, without JavaScript the whole
# page with that card filled in). name -> (permission, what the card's partial needs).
PLATFORM_CARDS: dict[str, tuple[str, Callable[[], dict]]] = {
    "ratings": ("view_users", _ratings_card),
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The overview: ratings at a glance, who needs attention, the platform's health."""
    context: dict = {"rating_attribute": settings.TECHNOWIZ_RATING_ATTRIBUTE}
    card = request.GET.get("card", "")
    if card in PLATFORM_CARDS and request.user.has_perm(perm(PLATFORM_CARDS[card][0])):
        context.update(PLATFORM_CARDS[card][1](), card_loaded=card)
        if wants_fragment(request):
            return render_screen(request, "dashboard/home.html", f"{card}_card", context)
    if request.user.has_perm(perm("view_users")):  # from the database: no platform call
        context["trend"] = rating_trend(days=30 if request.GET.get("trend") == "30" else 7)
    context["health"] = platform_health()
    if request.user.has_perm(perm("send_broadcast")) or request.user.has_perm(perm("trigger_flow")):
        context["recent_runs"] = recent_runs()
    # The recovery rate (the database); the follow-up list comes with the ratings card.
    context.update(outcomes_context(request, ratings_ok=False))
    return render_screen(request, "dashboard/home.html", "cards", context)
