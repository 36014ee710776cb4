"""The shared work queue: change a user's state and assignee, add a note, assign the
ticked users, and a rating's comment loaded for one row of the list."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseLocation

from dashboard.forms.queue import QueueAssignForm, QueueChangeForm, QueueNoteForm
from dashboard.forms.users import UsersQueryForm
from dashboard.permissions import requires
from dashboard.selectors.list_walk import list_walk
from dashboard.selectors.queue import QueueView, queue_item, queue_notes
from dashboard.selectors.rating_notes import rating_note
from dashboard.selectors.users import UserFilter, users_matching
from dashboard.services.queue import (
    QueueConflict,
    queue_assign_many,
    queue_change,
    queue_note_add,
    user_opened_mark,
)
from dashboard.services.selection import Selection, selection_get
from dashboard.views.users import _back_url
from technowiz.client import holdable_user_id
from technowiz.errors import TechnowizError

PANEL = "dashboard/queue_panel.html"


def _held(user_id: str) -> str:
    if not holdable_user_id(user_id):
        raise Http404("No such user.")
    return user_id


def queue_panel_context(
    user_id: str, *, queue: QueueView | None = None, **extra: object
) -> dict[str, object]:
    """What the queue panel shows: state, assignee, notes, and the forms to change them."""
    queue = queue or queue_item(user_id=user_id)
    initial = {"state": queue.state, "assignee": queue.assignee_id, "version": queue.version}
    return {
        "user_id": user_id,
        "queue": queue,
        "queue_form": QueueChangeForm(initial=initial),
        "note_form": QueueNoteForm(),
        "notes": list(queue_notes(user_id=user_id)),
        **extra,
    }


def conversation_queue(request: HttpRequest, user_id: str) -> dict[str, object]:
    """The conversation page's queue panel and its walk through the list it came from;
    opening the page marks the user read for this person."""
    if not (holdable_user_id(user_id) and request.user.has_perm("dashboard.view_users")):
        return {}
    user_opened_mark(person=request.user, user_id=user_id)
    walk = list_walk(person=request.user, conversation_query=request.GET, user_id=user_id)
    return {"walk": walk, "show_queue": True, **queue_panel_context(user_id)}


def _panel(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    if not request.htmx:
        return redirect(_back_url(request))
    return render(request, PANEL, {**context, "next_url": _back_url(request)}, status=status)


@require_POST
@requires("work_queue")
def queue_update(request: HttpRequest, user_id: str) -> HttpResponse:
    """Set state and assignee, from the version the person saw; a newer one is shown."""
    user_id, form = _held(user_id), QueueChangeForm(request.POST)
    if not form.is_valid():
        context = queue_panel_context(user_id)
        return _panel(request, {**context, "queue_form": form}, status=422)
    data = form.cleaned_data
    try:
        queue = queue_change(
            person=request.user,
            user_id=user_id,
            version=data["version"],
            state=data["state"],
            assignee_id=data["assignee"],
        )
    except QueueConflict as conflict:
        context = queue_panel_context(user_id, queue=conflict.current, conflict=conflict.current)
        return _panel(request, context, status=409)
    return _panel(request, queue_panel_context(user_id, queue=queue, saved=True))


@require_POST
@requires("work_queue")
def queue_note_create(request: HttpRequest, user_id: str) -> HttpResponse:
    """Append a private note."""
    user_id, form = _held(user_id), QueueNoteForm(request.POST)
    if not form.is_valid():
        return _panel(request, {**queue_panel_context(user_id), "note_form": form}, status=422)
    queue_note_add(person=request.user, user_id=user_id, text=form.cleaned_data["text"])
    return _panel(request, queue_panel_context(user_id, note_added=True))


@require_POST
@requires("work_queue")
def users_assign(request: HttpRequest) -> HttpResponse:
    """Assign the selected users of the list (ticked, or all matching) to one person."""
    form, assign = UsersQueryForm(request.GET), QueueAssignForm(request.POST)
    back = _back_url(request)
    if not (form.is_valid() and form.has_filter() and assign.is_valid()):
        problems = " ".join(e for errors in assign.errors.values() for e in errors)
        return HttpResponse(problems or "Unknown list.", status=400, content_type="text/plain")
    selection = selection_get(request.user)
    if selection.belongs_to(form.user_filter()):
        try:
            ids = _selected_ids(selection, form.user_filter())
        except TechnowizError as error:
            return HttpResponse(str(error), status=502, content_type="text/plain")
        assignee = assign.cleaned_data["assignee"]
        queue_assign_many(person=request.user, user_ids=ids, assignee_id=assignee)
    if request.htmx:
        return HttpResponseLocation(back, target="#users-screen", swap="outerHTML")
    return redirect(back)


def _selected_ids(selection: Selection, user_filter: UserFilter) -> list[str]:
    """The ticked ids; for "all matching", the set's users less the unticked (the set is
    fetched again if it has left the cache)."""
    if not selection.all_matching:
        return sorted(selection.ids)
    return [u.user_id for u in selection.users(users_matching(user_filter=user_filter))]


@require_GET
@requires("view_conversations")
def rating_note_view(request: HttpRequest, user_id: str) -> HttpResponse:
    """One row's rating comment and time (the list asks once the row is in view)."""
    user_id = _held(user_id)
    context: dict[str, object] = {}
    try:
        note = rating_note(user_id=user_id, rating=request.GET.get("r", "")[:10])
    except TechnowizError:
        context["failed"] = True
    else:
        context["note"] = note
    return render(request, "dashboard/rating_note.html", context)
