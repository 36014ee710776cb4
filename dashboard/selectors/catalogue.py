"""Reads about the catalogue: its entries as the catalogue screen lists them."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from dashboard.models import Flow, WhatsAppTemplate
from dashboard.models.catalogue import template_parameters


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    parameter_count: int
    text: str  # the body with "[value 1]", "[value 2]" ... in its places


@dataclass(frozen=True, slots=True)
class TemplateEntry:
    template: WhatsAppTemplate
    parameter_count: int | None  # None: a body whose numbering is broken


def template_preview(*, body: str) -> TemplatePreview | None:
    """How a body reads with sample values; None if its places are not numbered 1..n."""
    try:
        count = template_parameters(body)
    except ValidationError:
        return None
    sample = WhatsAppTemplate(body=body).render([f"[value {n}]" for n in range(1, count + 1)])
    return TemplatePreview(parameter_count=count, text=sample)


def catalogue_templates() -> list[TemplateEntry]:
    """Every template, deactivated ones included, with its parameter count."""
    entries = []
    for template in WhatsAppTemplate.objects.order_by("name", "language"):
        preview = template_preview(body=template.body)
        entries.append(TemplateEntry(template, preview.parameter_count if preview else None))
    return entries


def catalogue_flows() -> list[Flow]:
    """Every flow, deactivated ones included."""
    return list(Flow.objects.order_by("name", "key"))
