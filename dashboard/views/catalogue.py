"""The catalogue (managers): the WhatsApp templates and flows the dashboard may send.

Entries are created, edited and deactivated here; nothing deletes them (runs keep a
link to what they sent).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.forms.catalogue import ActiveForm, FlowForm, TemplateForm
from dashboard.models import Flow, WhatsAppTemplate
from dashboard.permissions import requires
from dashboard.rendering import render_screen
from dashboard.selectors.catalogue import (
    TemplatePreview,
    catalogue_flows,
    catalogue_templates,
    template_preview,
)
from dashboard.services.catalogue import catalogue_active_set, catalogue_entry_save

LIST_TEMPLATE = "dashboard/catalogue_list.html"
FORM_TEMPLATE = "dashboard/catalogue_form.html"

Entry = WhatsAppTemplate | Flow


@require_GET
@requires("manage_catalogue")
def catalogue(request: HttpRequest) -> HttpResponse:
    context = {"templates": catalogue_templates(), "flows": catalogue_flows()}
    return render_screen(request, LIST_TEMPLATE, "screen", context)


@require_http_methods(["GET", "POST"])
@requires("manage_catalogue")
def template_create(request: HttpRequest) -> HttpResponse:
    return _entry_form(request, TemplateForm, WhatsAppTemplate(), kind="template")


@require_http_methods(["GET", "POST"])
@requires("manage_catalogue")
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(WhatsAppTemplate, pk=pk)
    preview = template_preview(body=template.body)  # of the saved text, before a POST
    return _entry_form(request, TemplateForm, template, kind="template", preview=preview)


@require_POST
@requires("manage_catalogue")
def template_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    return _active_set(request, get_object_or_404(WhatsAppTemplate, pk=pk), kind="template")


@require_http_methods(["GET", "POST"])
@requires("manage_catalogue")
def flow_create(request: HttpRequest) -> HttpResponse:
    return _entry_form(request, FlowForm, Flow(), kind="flow")


@require_http_methods(["GET", "POST"])
@requires("manage_catalogue")
def flow_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form(request, FlowForm, get_object_or_404(Flow, pk=pk), kind="flow")


@require_POST
@requires("manage_catalogue")
def flow_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    return _active_set(request, get_object_or_404(Flow, pk=pk), kind="flow")


def _entry_form(
    request: HttpRequest,
    form_class: type[TemplateForm] | type[FlowForm],
    entry: Entry,
    *,
    kind: str,
    preview: TemplatePreview | None = None,
) -> HttpResponse:
    """GET: the form. POST: saved and back to the catalogue, or the form with its errors."""
    title = f"Edit {kind} {entry}" if entry.pk else f"New {kind}"  # before a POST changes it
    form = form_class(request.POST if request.method == "POST" else None, instance=entry)
    if form.is_bound and form.is_valid():
        saved = catalogue_entry_save(form=form)
        note = "" if saved.active else " It is deactivated."
        messages.success(request, f"{kind.capitalize()} {saved} saved.{note}")
        return redirect("dashboard:catalogue")
    context = {"form": form, "title": title, "kind": kind, "preview": preview}
    return render_screen(request, FORM_TEMPLATE, "form", context)


def _active_set(request: HttpRequest, entry: Entry, *, kind: str) -> HttpResponse:
    """The list's Deactivate / Reactivate button: set, then back to the catalogue."""
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown catalogue change.", status=400, content_type="text/plain")
    catalogue_active_set(entry=entry, active=form.cleaned_data["active"])
    done = "reactivated" if entry.active else "deactivated"
    messages.success(request, f"{kind.capitalize()} {entry} {done}.")
    return redirect("dashboard:catalogue")
