"""The action log tab of the audit screen (admins): what people did, filtered and
keyset-paged, one action with the calls it caused, CSV."""

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.csv_export import csv_rows
from dashboard.forms.actions import ActionQueryForm
from dashboard.permissions import requires
from dashboard.rendering import export_failed, render_screen
from dashboard.selectors.actions import (
    ACTIONS_HEADER,
    action_calls,
    action_changes,
    action_facts,
    action_get,
    actions_export_rows,
    actions_matching,
)
from dashboard.selectors.audit import audit_page, rows_estimate
from dashboard.services.actions import export_recorded, query_filter


@require_GET
@requires("view_audit")
def actions_list(request: HttpRequest) -> HttpResponse:
    """The filtered action log, newest first, keyset-paged."""
    form = ActionQueryForm(request.GET)
    context: dict = {"form": form}
    if form.is_valid():
        data, actions = form.cleaned_data, actions_matching(**form.filters())
        context["page"] = audit_page(
            calls=actions, size=data["size"], before=data["before"], after=data["after"]
        )
        context["estimate"] = rows_estimate(rows=actions)
    return render_screen(request, "dashboard/actions_list.html", "screen", context)


@require_GET
@requires("view_audit")
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = action_get(pk=pk)
    if action is None:
        raise Http404("No such action in the log.")
    context = {
        "action": action,
        "changes": action_changes(action=action),
        "facts": action_facts(action=action),
        "calls": action_calls(action=action),
        "back_query": request.GET.urlencode(),
    }
    return render_screen(request, "dashboard/action_detail.html", "detail", context)


@require_GET
@requires("view_audit")
def actions_export(request: HttpRequest) -> HttpResponse:
    """Every action matching the filter (not only the page on screen), as CSV, streamed."""
    form = ActionQueryForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(e for errors in form.errors.values() for e in errors)
        back = reverse("dashboard:actions_list")
        return export_failed(
            request, back_url=back, problem=f"Correct the filter first: {problems}", status=400
        )
    rows = actions_export_rows(
        actions=actions_matching(**form.filters()), tz=timezone.get_current_timezone()
    )
    rows = export_recorded(rows, action="export.actions", filters=query_filter(request.GET))
    response = StreamingHttpResponse(
        csv_rows(ACTIONS_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="actions.csv"'
    return response
