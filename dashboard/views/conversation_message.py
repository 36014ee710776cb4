"""Open a user's conversation at one message (from a run's results: the template that
reached them, their reply, their new rating)."""

from datetime import UTC, datetime
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from dashboard.forms.conversations import MessageLinkForm
from dashboard.list_state import conversation_path
from dashboard.permissions import requires
from dashboard.selectors.conversations import message_page
from technowiz.errors import TechnowizError

PAGE_SIZE = 50  # the conversation page's own default


@require_GET
@requires("view_conversations")
def conversation_message(request: HttpRequest, user_id: str) -> HttpResponse:
    """Redirect to the page holding the message, highlighted; the conversation as it opens
    by default when the link is incomplete, and page 1 when the platform cannot count."""
    form = MessageLinkForm(request.GET)
    if not form.is_valid():
        return redirect(conversation_path(user_id))
    message = form.cleaned_data["message"]
    at = datetime.fromtimestamp(form.cleaned_data["at"] / 1000, tz=UTC)
    try:
        page = message_page(user_id=user_id, at=at, size=PAGE_SIZE)
    except TechnowizError:
        page = 1  # the conversation page says what is wrong with the platform
    query = urlencode({"page": page, "size": PAGE_SIZE, "highlight": message})
    return redirect(f"{conversation_path(user_id)}?{query}#{quote(message, safe='')}")
