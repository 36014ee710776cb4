"""The overview's outcome cards (recovery rate, follow-up list): their context, kept apart
from the overview's own view so that each card can move on its own."""

from contextlib import suppress
from typing import Any

from django.http import HttpRequest

from dashboard.roles import perm
from dashboard.selectors.recovery import follow_up_list, recovery_rates
from technowiz.errors import TechnowizError


def outcomes_context(request: HttpRequest, *, ratings_ok: bool) -> dict[str, Any]:
    """``recovery`` for people who send; ``follow_up`` for people who see users, read from
    the rating lists only when the ratings card has them (``ratings_ok``): a platform that
    just failed is not asked again."""
    context: dict[str, Any] = {}
    person = request.user
    if person.has_perm(perm("send_broadcast")) or person.has_perm(perm("trigger_flow")):
        context["recovery"] = recovery_rates()
    if person.has_perm(perm("view_users")) and ratings_ok:
        with suppress(TechnowizError):  # the ratings card shows what the platform said
            context["follow_up"] = follow_up_list()
    return context
