"""Broadcasts and flow runs: choose the audience, set them up, confirm, watch, decide.

A broadcast needs ``send_broadcast``, a flow run ``trigger_flow``; every URL here
answers 403 to anyone who holds neither, and a run to anyone who may not send its kind.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from dashboard.csv_export import csv_rows
from dashboard.forms.runs import (
    AudienceUploadForm,
    ChooseForm,
    ConfirmForm,
    ValuesForm,
    values_initial,
)
from dashboard.models import Run
from dashboard.models.runs import BROADCAST, DRAFT, RECIPIENT_STATES, TRIGGER
from dashboard.rendering import render_screen, wants_fragment
from dashboard.roles import perm
from dashboard.selectors import outcomes as outcome_selectors
from dashboard.selectors import runs as selectors
from dashboard.services import runs as services
from dashboard.services.actions import export_recorded, query_filter
from dashboard.services.audience import AudienceError, members_from_csv
from dashboard.services.run_audience import selection_members, single_user_member
from technowiz.errors import TechnowizError

KIND_PERMISSION = {BROADCAST: "send_broadcast", TRIGGER: "trigger_flow"}
LIST_URL = {BROADCAST: "dashboard:broadcasts_list", TRIGGER: "dashboard:triggers_list"}


def _may_send(request: HttpRequest, kind: str) -> bool:
    return request.user.has_perm(perm(KIND_PERMISSION[kind]))


def for_kind(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's ``kind`` (from the URL) must be one the person may send."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, kind: str, **kwargs: Any) -> HttpResponse:
        if not _may_send(request, kind):
            raise PermissionDenied
        return view(request, *args, kind=kind, **kwargs)

    return checked


def for_run(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's run (``pk``), which the person must be allowed to send."""

    @wraps(view)
    def checked(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        if not (_may_send(request, BROADCAST) or _may_send(request, TRIGGER)):
            raise PermissionDenied
        run = get_object_or_404(Run.objects.select_related("template", "flow"), pk=pk)
        if not _may_send(request, run.kind):
            raise PermissionDenied
        return view(request, run, **kwargs)

    return checked


@require_GET
@for_kind
def runs_list(request: HttpRequest, *, kind: str) -> HttpResponse:
    context = {"kind": kind, "runs": selectors.runs_of_kind(kind)}
    return render(request, "dashboard/runs_list.html", context)


@require_GET
@for_kind
def run_new(request: HttpRequest, *, kind: str) -> HttpResponse:
    """Where the audience comes from: the selection on the users page, or a CSV file."""
    context = {"kind": kind, "upload": AudienceUploadForm(), **_selection_context(request)}
    return render(request, "dashboard/run_new.html", context)


def _selection_context(request: HttpRequest) -> dict[str, Any]:
    try:
        members, described = selection_members(request.user)
    except TechnowizError as error:
        return {"platform_error": error}
    return {"selection_count": len(members), "selection_described": described}


@require_POST
@for_kind
def run_create(request: HttpRequest, *, kind: str) -> HttpResponse:
    """A draft for the chosen audience (nothing is sent until it is confirmed)."""
    upload = AudienceUploadForm(request.POST, request.FILES)
    try:
        members, described = _audience(request, kind, upload)
    except (AudienceError, TechnowizError) as error:
        upload.add_error(None, error.message if isinstance(error, TechnowizError) else str(error))
        members = []
    if not members:
        context = {"kind": kind, "upload": upload, **_selection_context(request)}
        return render(request, "dashboard/run_new.html", context, status=422)
    run = services.draft_create(kind=kind, person=request.user, members=members, audience=described)
    return redirect("dashboard:run_detail", pk=run.pk)


def _audience(request: HttpRequest, kind: str, upload: AudienceUploadForm) -> tuple[list, str]:
    """The people of the source asked for (``source``), and in words where they came from."""
    source = request.POST.get("source")
    if source == "csv":
        if not upload.is_valid():
            return [], ""
        chosen = upload.cleaned_data["file"]
        return members_from_csv(chosen.read()), f"Uploaded file {chosen.name}"
    if source == "user" and kind == TRIGGER:
        return single_user_member(request.POST)
    members, described = selection_members(request.user)
    if not members:
        raise AudienceError("Nobody to send to: tick users on the users page first.")
    return members, described


@require_GET
@for_run
def run_detail(request: HttpRequest, run: Run) -> HttpResponse:
    if run.state == DRAFT:
        return _draft_page(request, run)
    if wants_fragment(request) and not run.is_active:
        # The progress poll of a run that has just stopped: reload the whole page, so
        # its files and recipients show their outcome too (the fragment is only progress).
        response = HttpResponseClientRefresh()
        patch_vary_headers(response, ("HX-Request",))
        return response
    state = request.GET.get("state", "")
    context = {
        "run": run,
        "progress": selectors.run_progress(run),
        "parts": run.parts.all() if run.is_broadcast else None,
        "recipients": selectors.run_recipients(
            run,
            state=state if state in dict(RECIPIENT_STATES) else "",
            page=request.GET.get("page", 1),
        ),
        "state": state,
        "states": RECIPIENT_STATES,
        "list_url": LIST_URL[run.kind],
        **_outcomes(request, run),
    }
    return render_screen(request, "dashboard/run_detail.html", "progress", context)


def _outcomes(request: HttpRequest, run: Run) -> dict[str, Any]:
    """What the read-backs found, and who is in the list asked for (``outcome``)."""
    which = request.GET.get("outcome", "")
    if which not in outcome_selectors.WHICH:
        return {"outcomes": outcome_selectors.run_outcomes(run), "which": ""}
    people = outcome_selectors.run_outcome_people(
        run, which=which, page=request.GET.get("opage", 1)
    )
    return {
        "outcomes": outcome_selectors.run_outcomes(run),
        "which": which,
        "which_label": outcome_selectors.WHICH[which],
        "people": people,
    }


def _shown(run: Run, values: list[str]) -> object:
    """A recipient's message (a template) or attributes (a flow), as they will get them."""
    if run.is_broadcast:
        return run.template.render(values) if run.template else ""
    return list(zip(run.slots, values, strict=True))


def _draft_page(
    request: HttpRequest,
    run: Run,
    *,
    choose: ChooseForm | None = None,
    values: ValuesForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    counts, people = selectors.set_aside(run)
    preview = services.run_preview(run)
    chosen = run.template if run.is_broadcast else run.flow
    context = {
        "samples": [(r, _shown(run, values)) for r, values in preview.samples],
        "empty": preview.empty,
        "set_aside_total": sum(count for _, count in counts),
        "how_sent": services.how_sent(run, preview.recipients),
        "run": run,
        "choose": choose or ChooseForm(run=run, initial={"chosen": chosen}),
        "values": values
        or ValuesForm(run=run, initial=values_initial(run, services.run_sources(run))),
        "attribute_names": selectors.attribute_names(run),
        "set_aside_counts": counts,
        "set_aside": people,
        "preview": preview,
        "problems": services.launch_problems(run, preview) if chosen else [],
        "problem": problem,
        "confirm": ConfirmForm(initial={"key": run.key}),
        "list_url": LIST_URL[run.kind],
    }
    return render(request, "dashboard/run_draft.html", context, status=status)


@require_POST
@for_run
def run_choose(request: HttpRequest, run: Run) -> HttpResponse:
    form = ChooseForm(request.POST, run=run)
    if not form.is_valid():
        return _draft_page(request, run, choose=form, status=422)
    chosen = form.cleaned_data["chosen"]
    try:
        services.draft_choose(
            run,
            template=chosen if run.is_broadcast else None,
            flow=None if run.is_broadcast else chosen,
        )
    except services.LaunchRefused as refused:
        return _draft_page(request, run, problem=str(refused), status=409)
    return redirect("dashboard:run_detail", pk=run.pk)


@require_POST
@for_run
def run_values(request: HttpRequest, run: Run) -> HttpResponse:
    form = ValuesForm(request.POST, run=run)
    if not form.is_valid():
        return _draft_page(request, run, values=form, status=422)
    try:
        services.draft_configure(
            run,
            name=form.cleaned_data.get("name") or run.name,
            sources=form.sources(),
            include_recent=form.cleaned_data["include_recent"],
        )
    except services.LaunchRefused as refused:
        return _draft_page(request, run, problem=str(refused), status=409)
    return redirect("dashboard:run_detail", pk=run.pk)


@require_POST
@for_run
def run_confirm(request: HttpRequest, run: Run) -> HttpResponse:
    """The one button that sends: once per draft, whatever is clicked or replayed."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _draft_page(
            request, run, problem="This confirmation is incomplete: confirm again.", status=400
        )
    try:
        run, launched = services.run_launch(
            run, key=str(form.cleaned_data["key"]), person=request.user
        )
    except services.LaunchRefused as refused:
        return _draft_page(request, run, problem=str(refused), status=409)
    if not launched:
        messages.info(request, "This run was launched already: here is its progress.")
    return redirect("dashboard:run_detail", pk=run.pk)


CONTROLS: dict[str, Callable[[Run], Any]] = {
    "pause": services.run_pause,
    "resume": services.run_resume,
    "cancel": services.run_cancel,
    "drop": services.run_drop_unknown,
}


@require_POST
@for_run
def run_control(request: HttpRequest, run: Run) -> HttpResponse:
    """Pause, resume or cancel a run; drop its unknown recipients; or re-send (a new draft)."""
    op = request.POST.get("op", "")
    if op == "resend":
        try:
            draft = services.run_resend(run, person=request.user)
        except services.LaunchRefused as refused:
            messages.error(request, str(refused))
            return redirect("dashboard:run_detail", pk=run.pk)
        messages.info(request, "A new draft holds the people to re-send to: review it and confirm.")
        return redirect("dashboard:run_detail", pk=draft.pk)
    if op not in CONTROLS:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    if not CONTROLS[op](run):
        messages.error(request, "That is no longer possible: the run has moved on.")
    elif op == "cancel":
        sent = selectors.run_progress(run).sent
        messages.info(request, f"Cancelled: {sent:,} sent before it stopped; nothing more will be.")
    return redirect("dashboard:run_detail", pk=run.pk)


@require_GET
@for_run
def run_export(request: HttpRequest, run: Run) -> HttpResponse:
    if run.state == DRAFT:
        raise Http404("A draft has no results yet.")
    header, rows = selectors.run_export_rows(run)
    rows = export_recorded(
        rows,
        action="export.run",
        filters=query_filter(request.GET),
        object_type="run",
        object_id=run.pk,
        object_label=f"{run.get_kind_display()} {run.name}",
    )
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.csv"'
    return response
