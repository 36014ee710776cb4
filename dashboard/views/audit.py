"""The audit screen (admins): outbound calls filtered and keyset-paged, one call, CSV, integrity."""

import uuid

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dashboard.csv_export import csv_rows
from dashboard.forms.audit import AuditQueryForm
from dashboard.permissions import requires
from dashboard.rendering import export_failed, render_screen
from dashboard.selectors.audit import (
    EXPORT_HEADER,
    audit_attempts,
    audit_call,
    audit_call_causes,
    audit_calls,
    audit_export_rows,
    audit_integrity,
    audit_page,
    key_values,
    rows_estimate,
)
from dashboard.services.actions import export_recorded, query_filter
from technowiz.models import OutboundCall
from technowiz.sealing import audit_verify, sealed_counts
from technowiz.tasks import verify_in_background

LIST_TEMPLATE = "dashboard/audit_list.html"


@require_GET
@requires("view_audit")
def audit_list(request: HttpRequest) -> HttpResponse:
    """The filtered log, keyset-paged, and the integrity panel (which seals first)."""
    form = AuditQueryForm(request.GET)
    context = {"form": form, "integrity": audit_integrity()}
    if form.is_valid():
        data, calls = form.cleaned_data, audit_calls(**form.filters())
        context["page"] = audit_page(
            calls=calls, size=data["size"], before=data["before"], after=data["after"]
        )
        context["estimate"] = rows_estimate(rows=calls)
    return render_screen(request, LIST_TEMPLATE, "screen", context)


#: Sealed rows up to which "Verify now" checks in the request (~2 s); beyond, a task does.
INLINE_VERIFY_ROWS = 50_000


@require_POST
@requires("view_audit")
def audit_verify_now(request: HttpRequest) -> HttpResponse:
    """Check the whole chain (now, or in the background for a large log); answer the
    integrity panel (or go back to the list)."""
    sealed, _ = sealed_counts()
    if sealed <= INLINE_VERIFY_ROWS:
        audit_verify()
    else:
        verify_in_background()
    if not request.htmx:
        back = reverse("dashboard:audit_list")
        return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)
    context = {"integrity": audit_integrity(seal=False)}
    return render_screen(request, LIST_TEMPLATE, "integrity", context)


@require_GET
@requires("view_audit")
def audit_integrity_panel(request: HttpRequest) -> HttpResponse:
    """The integrity panel alone (polled while a background verification runs)."""
    if not request.htmx:
        return redirect(reverse("dashboard:audit_list"))
    context = {"integrity": audit_integrity(seal=False)}
    return render_screen(request, LIST_TEMPLATE, "integrity", context)


@require_GET
@requires("view_audit")
def audit_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = audit_call(pk=call_id)
    if call is None:
        raise Http404("No such call in the audit log.")
    context = {
        "call": call,
        "attempts": audit_attempts(call=call),
        "causes": audit_call_causes(call=call),
        "query_items": key_values(call.query),
        "body_items": key_values(call.body_summary),
        "back_query": request.GET.urlencode(),
    }
    return render_screen(request, "dashboard/audit_detail.html", "detail", context)


@require_GET
@requires("view_audit")
def audit_by_call_id(request: HttpRequest, call_id: uuid.UUID) -> HttpResponse:
    """A platform call named by its id (as a run records it): its first attempt's row."""
    first = OutboundCall.objects.filter(call_id=call_id).order_by("id").first()
    if first is None:
        raise Http404("No call with this id in the audit log.")
    return redirect("dashboard:audit_detail", call_id=first.pk)


@require_GET
@requires("view_audit")
def audit_export(request: HttpRequest) -> HttpResponse:
    """Every call matching the filter (not only the page on screen), as CSV, streamed."""
    form = AuditQueryForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(e for errors in form.errors.values() for e in errors)
        back = reverse("dashboard:audit_list")
        problem = f"Correct the filter first: {problems}"
        return export_failed(request, back_url=back, problem=problem, status=400)
    rows = audit_export_rows(
        calls=audit_calls(**form.filters()), tz=timezone.get_current_timezone()
    )
    rows = export_recorded(rows, action="export.audit", filters=query_filter(request.GET))
    response = StreamingHttpResponse(
        csv_rows(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
