"""The users page: find users by attribute, page through them, select and export."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseLocation

from dashboard.csv_export import csv_rows
from dashboard.forms.queue import QueueAssignForm, QueueFilterForm
from dashboard.forms.users import PRESETS, SelectionChangeForm, UsersQueryForm
from dashboard.list_state import conversation_paths, selection_url, to_conversation, with_defaults
from dashboard.lists.users_table import user_rows
from dashboard.permissions import requires
from dashboard.rendering import export_failed, render_screen
from dashboard.selectors.queue import opened_by, queue_items, queue_keep
from dashboard.selectors.queue_export import queue_export_rows
from dashboard.selectors.users import (
    MatchedSet,
    attribute_names_seen,
    users_cached,
    users_export_rows,
    users_matching,
    users_page,
)
from dashboard.services.actions import export_recorded, query_filter
from dashboard.services.selection import Selection, selection_get, selection_update
from technowiz.errors import TechnowizError
from technowiz.types import User

TEMPLATE = "dashboard/users_list.html"


@require_GET
@requires("view_users")
def users_list(request: HttpRequest) -> HttpResponse:
    form = UsersQueryForm(with_defaults(request.GET))
    queue_form = QueueFilterForm(request.GET)
    context = {
        "form": form,
        "queue_form": queue_form,
        "presets": PRESETS,
        "names": attribute_names_seen(),
        "selection": selection_get(request.user),
    }
    if form.is_valid() and form.has_filter() and queue_form.is_valid():
        try:
            matched = users_matching(
                user_filter=form.user_filter(), refresh="refresh" in request.GET
            )
        except TechnowizError as error:
            context["platform_error"] = error
        else:
            data = {**form.cleaned_data, "keep": _keep(request, queue_form)}
            context.update(_results(request, matched, data, context["selection"]))
    return render_screen(request, TEMPLATE, "screen", context)


def _keep(request: HttpRequest, queue_form: QueueFilterForm) -> Callable[[User], bool] | None:
    data = queue_form.cleaned_data
    return queue_keep(
        person=request.user, state=data["state"], who=data["who"], new_since=queue_form.since()
    )


def _results(request: HttpRequest, matched: MatchedSet, data: dict, selection: Selection) -> dict:
    """The results' context: the page of users, its rows, the selection, the sort links."""
    if not selection.belongs_to(matched.filter):
        selection = None
    result = users_page(
        matched=matched,
        search=data["q"],
        sort=data["sort"],
        page=data["page"],
        size=data["size"],
        keep=data["keep"],
    )
    select_url = selection_url(request.GET)
    ids = [u.user_id for u in result.users]
    rows_html = user_rows(
        result.users,
        tz=timezone.get_current_timezone(),
        selected_ids={
            u.user_id for u in result.users if selection and selection.is_selected(u.user_id)
        },
        select_url=select_url,
        conversation_path=conversation_paths(),
        list_query=to_conversation(request.GET),
        note_path=conversation_paths("dashboard:rating_note")
        if request.user.has_perm("dashboard.view_conversations")
        else None,
        queue=queue_items(user_ids=ids),
        opened=opened_by(person=request.user, user_ids=ids),
    )
    return {
        "listed": matched.shown(),
        "result": result,
        "rows_html": rows_html,
        "select_url": select_url,
        "selection": selection,
        "selected_count": selection.count(matched) if selection else 0,
        "export_url": export_url(request.GET),
        "assign_url": _assign_url(select_url),
        "assign_form": QueueAssignForm(),
        **sort_links(data["sort"]),
    }


def _assign_url(select_url: str) -> str:
    """Where "Assign" posts: the list's filter, as for ticking."""
    return reverse("dashboard:users_assign") + "?" + select_url.partition("?")[2]


def export_url(query: QueryDict) -> str:
    """The export of the list as on screen (its filter, search, sort, queue filters)."""
    keep = query.copy()
    for name in ("page", "size", "refresh"):
        keep.pop(name, None)
    return reverse("dashboard:users_export") + "?" + keep.urlencode()


def sort_links(sort: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the sort its header link sets, and its aria-sort state."""
    nxt, state = {}, {}
    for column in ("name", "last_active", "rating"):
        ascending = "descending" if column == "last_active" else "ascending"
        descending = "ascending" if column == "last_active" else "descending"
        nxt[column] = f"-{column}" if sort == column else column
        state[column] = ascending if sort == column else descending if sort == f"-{column}" else ""
    return {"sort_next": nxt, "sort_state": state}


def _back_url(request: HttpRequest) -> str:
    """The page to go back to: a path of this site (not a view name ``redirect`` would try
    to reverse), else the users list."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return reverse("dashboard:users_list")


@require_POST
@requires("view_users")
def users_select(request: HttpRequest) -> HttpResponse:
    """Tick, untick, select all matching, or clear; answers the selection bar."""
    form, change = UsersQueryForm(request.GET), SelectionChangeForm(request.POST)
    if not (form.is_valid() and form.has_filter() and change.is_valid()):
        problems = " ".join(e for errors in change.errors.values() for e in errors)
        message = problems or "Unknown selection change."
        return HttpResponse(message, status=400, content_type="text/plain")
    op, user_ids = change.change()
    back = _back_url(request)
    context: dict = {
        "form": form,
        "next_url": back,
        "select_url": selection_url(request.GET),
        "export_url": export_url(QueryDict(urlsplit(back).query)),
        "assign_url": _assign_url(selection_url(request.GET)),
        "assign_form": QueueAssignForm(),
    }
    # A tick never waits on the platform: the set is whatever the cache holds now.
    matched = users_cached(user_filter=form.user_filter())
    context["listed"] = matched.shown() if matched is not None else None
    try:
        context["selection"] = selection_update(
            request.user, user_filter=form.user_filter(), op=op, user_ids=user_ids
        )
    except ValueError as error:
        context["selection"] = selection_get(request.user)
        context["selection_error"] = str(error)
    if not request.htmx:
        return redirect(context["next_url"])
    if op in ("all", "clear") and "selection_error" not in context:
        # Every tick box on the page changes: fetch the screen again.
        return HttpResponseLocation(context["next_url"], target="#users-screen", swap="outerHTML")
    selection = context["selection"]
    # None: "all matching", while the set itself is not at hand to count.
    known = matched is not None or not selection.all_matching
    context["selected_count"] = selection.count(matched) if known else None
    return render_screen(request, TEMPLATE, "selection_bar", context)


@require_GET
@requires("export_data")
def users_export(request: HttpRequest) -> HttpResponse:
    """The ticked users when some are ticked, else the whole matched set (searched, sorted
    and queue-filtered as on screen), with their queue fields, as CSV, streamed."""
    form, queue_form = UsersQueryForm(request.GET), QueueFilterForm(request.GET)
    back = reverse("dashboard:users_list") + "?" + request.GET.urlencode()
    if not (form.is_valid() and form.has_filter() and queue_form.is_valid()):
        problem = "Choose users to export first (a quick filter, or an attribute and a value)."
        return export_failed(request, back_url=back, problem=problem, status=400)
    try:
        matched = users_matching(user_filter=form.user_filter())
    except TechnowizError as error:
        return export_failed(request, back_url=back, error=error)
    users = _exported(request, matched, form.cleaned_data, queue_form)
    header, rows = queue_export_rows(
        *users_export_rows(matched, users, tz=timezone.get_current_timezone()), users=users
    )
    rows = export_recorded(rows, action="export.users", filters=query_filter(request.GET))
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="users.csv"'
    return response


def _exported(
    request: HttpRequest, matched: MatchedSet, data: dict, queue_form: QueueFilterForm
) -> list[User]:
    """The ticked users of the list (in the sort on screen) if any, else the list."""
    selection = selection_get(request.user)
    if selection.belongs_to(matched.filter) and selection.count(matched):
        return [u for u in matched.ordered(data["sort"]) if selection.is_selected(u.user_id)]
    found = matched.search(data["sort"], data["q"])
    keep = _keep(request, queue_form)
    return [u for u in found if keep(u)] if keep else list(found)
