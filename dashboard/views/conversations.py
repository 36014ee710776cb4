"""A user's conversation: the transcript as a chat, paged, by date range, and its export."""

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseLocation

from dashboard.forms.conversations import HIGHLIGHT_MAX, PAGE_SIZES, ConversationQueryForm
from dashboard.list_state import carried_by_conversation, conversation_path, from_conversation
from dashboard.lists.transcript import chat_messages
from dashboard.permissions import requires
from dashboard.rendering import export_failed, render_screen, wants_fragment
from dashboard.selectors.conversations import (
    RatingLocation,
    conversation_messages,
    rating_location,
)
from dashboard.selectors.user_details import (
    UserDetails,
    conversation_with_details,
    user_details,
)
from dashboard.services.actions import export_recorded, query_filter
from dashboard.services.transcripts import transcript_lines, transcript_rows
from dashboard.views.queue import conversation_queue
from technowiz.context import in_this_context
from technowiz.errors import TechnowizError

TEMPLATE = "dashboard/conversation_detail.html"


def _context(request: HttpRequest, user_id: str, form: ConversationQueryForm) -> dict:
    return {
        "form": form,
        "user_id": user_id,
        "sizes": PAGE_SIZES,
        "carried": carried_by_conversation(request.GET),
    }


def _person(request: HttpRequest, user_id: str, details: UserDetails | None = None) -> dict:
    """The person card and the back link: outside the fragment, so an htmx request
    (pager, range, size) needs neither, nor the user list the card is read from."""
    if wants_fragment(request):
        return {}
    return {
        "person": details or user_details(user_id=user_id, conversation_query=request.GET),
        "back_url": reverse("dashboard:users_list") + "?" + from_conversation(request.GET),
        **conversation_queue(request, user_id),
    }


@require_GET
@requires("view_conversations")
def conversation(request: HttpRequest, user_id: str) -> HttpResponse:
    form = ConversationQueryForm(request.GET)
    context = _context(request, user_id, form)
    if not form.is_valid():
        context.update(_person(request, user_id))
        return render_screen(request, TEMPLATE, "screen", context)
    start, end = form.range_utc()
    data = form.cleaned_data
    page, details = conversation_with_details(
        user_id=user_id,
        # Who the user is is asked for too, unless a fragment is all that is shown.
        conversation_query=None if wants_fragment(request) else request.GET,
        start=start,
        end=end,
        page=data["page"],
        size=data["size"],
    )
    context.update(_person(request, user_id, details))
    if isinstance(page, TechnowizError):
        context["platform_error"] = page
    else:
        tz = timezone.get_current_timezone()
        highlight = data.get("highlight") or ""
        context.update(
            page=page, chat_html=chat_messages(page.messages, tz=tz, highlight=highlight)
        )
    return render_screen(request, TEMPLATE, "screen", context)


@require_GET
@requires("view_conversations")
def conversation_rating(request: HttpRequest, user_id: str) -> HttpResponse:
    """Open the page holding the user's latest rating, with that message highlighted."""
    form = ConversationQueryForm(request.GET)
    context = {**_context(request, user_id, form), **_person(request, user_id)}
    if form.is_valid():
        start, end = form.range_utc()
        try:
            found = rating_location(
                user_id=user_id, start=start, end=end, size=form.cleaned_data["size"]
            )
        except TechnowizError as error:
            context["platform_error"] = error
        else:
            if found is not None:
                return _open_rating(request, user_id, found)
            context["notice"] = "This user gave no rating in this date range."
    return render_screen(request, TEMPLATE, "screen", context)


def _open_rating(request: HttpRequest, user_id: str, found: RatingLocation) -> HttpResponse:
    """Go to the conversation page holding ``found``: htmx swaps it in and pushes the URL.
    The message is highlighted unless its id is too long for the page to take back."""
    query, message_id = request.GET.copy(), found.message.message_id
    query["page"] = str(found.page)
    query.pop("highlight", None)
    marked = len(message_id) <= HIGHLIGHT_MAX
    if marked:
        query["highlight"] = message_id
    url = conversation_path(user_id) + "?" + query.urlencode()
    if request.htmx:
        return HttpResponseLocation(url, target="#conversation-screen", swap="outerHTML")
    return redirect(url + ("#" + message_id if marked else ""))


@require_GET
@requires("export_data")
def conversation_export(request: HttpRequest, user_id: str) -> HttpResponse:
    """The whole range, all pages, as CSV (``format=csv``) or plain text (``format=txt``)."""
    form = ConversationQueryForm(request.GET)
    fmt = request.GET.get("format", "csv")
    back = conversation_path(user_id)
    if not form.is_valid() or fmt not in ("csv", "txt"):
        problem = "Choose CSV or text, and a valid date range."
        return export_failed(request, back_url=back, problem=problem, status=400)
    start, end = form.range_utc()
    messages = conversation_messages(user_id=user_id, start=start, end=end)
    try:
        first = next(messages, None)
    except TechnowizError as error:
        return export_failed(request, back_url=back, error=error)
    messages = export_recorded(
        messages,
        action="export.transcript",
        filters=query_filter(request.GET),
        object_type="platform_user",
        object_id=user_id,
        object_label=user_id,
        already=1 if first is not None else 0,
    )
    tz = timezone.get_current_timezone()
    if fmt == "csv":
        body, content_type = transcript_rows(first, messages, tz=tz), "text/csv; charset=utf-8"
    else:
        body, content_type = transcript_lines(first, messages, tz=tz), "text/plain; charset=utf-8"
    # Later pages are read while streaming: in this request's context (actor, time zone).
    body = in_this_context(body)
    response = StreamingHttpResponse(body, content_type=content_type)
    safe_id = "".join(c for c in user_id if c.isalnum() or c in "-_")[:40] or "user"
    response["Content-Disposition"] = f'attachment; filename="conversation-{safe_id}.{fmt}"'
    return response
