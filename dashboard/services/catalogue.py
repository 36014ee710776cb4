"""Writes about the catalogue: deactivating and reactivating entries, and the sandbox's
own entries for the demo. Nothing here deletes: runs keep a link to what they sent."""

from django.db import transaction
from django.forms import ModelForm, model_to_dict

from dashboard.models import Flow, WhatsAppTemplate
from dashboard.services.actions import action_record, changes
from technowiz.sandbox.catalogue import SANDBOX_FLOWS, SANDBOX_TEMPLATES

#: What the sandbox's flows do and the attributes they read (the sandbox accepts any).
DEMO_FLOWS: dict[str, tuple[str, list[str]]] = {
    "callback_request": ("An agent calls the user back within 2 hours.", ["city", "plan"]),
    "create_ticket": (
        "Opens a support ticket and tells the user on WhatsApp.",
        ["customer_type"],
    ),
    "email_followup": ("E-mails the user a summary of their case.", []),
}


_RECORDED = ("created_at", "updated_at", "id")


def _kind(entry: WhatsAppTemplate | Flow) -> str:
    return "template" if isinstance(entry, WhatsAppTemplate) else "flow"


def _fields(entry: WhatsAppTemplate | Flow) -> dict:
    return {k: v for k, v in model_to_dict(entry).items() if k not in _RECORDED}


def catalogue_entry_save(*, form: ModelForm) -> WhatsAppTemplate | Flow:
    """Save a valid template or flow form; the action log gets what changed."""
    entry = form.instance
    model = type(entry)
    with transaction.atomic():
        before = _fields(model.objects.get(pk=entry.pk)) if entry.pk else {}
        saved = form.save()
        action_record(
            action="catalogue.change" if before else "catalogue.create",
            object_type=_kind(saved),
            object_id=saved.pk,
            object_label=str(saved),
            detail=changes(before, _fields(saved)),
        )
    return saved


def catalogue_active_set(
    *, entry: WhatsAppTemplate | Flow, active: bool
) -> WhatsAppTemplate | Flow:
    """Deactivate (or reactivate) a template or a flow."""
    with transaction.atomic():
        before = entry.active
        entry.active = active
        entry.save(update_fields=["active", "updated_at"])
        action_record(
            action="catalogue.reactivate" if active else "catalogue.deactivate",
            object_type=_kind(entry),
            object_id=entry.pk,
            object_label=str(entry),
            detail=changes({"active": before}, {"active": active}),
        )
    return entry


def catalogue_demo_create(*, reset: bool = False) -> int:
    """The templates and flows the sandbox knows: created when missing (by name and
    language, or by key); with ``reset``, their text, attributes and activity restored
    too (a restart must not undo what people changed on purpose). Returns how many
    were created."""
    created = 0
    with transaction.atomic():
        for name, spec in SANDBOX_TEMPLATES.items():
            _, made = _seed(
                WhatsAppTemplate,
                {"name": name, "language": spec["language"]},
                {"body": spec["text"], "active": True},
                reset=reset,
            )
            created += made
        for key, label in SANDBOX_FLOWS.items():
            description, attributes = DEMO_FLOWS.get(key, ("", []))
            values = {
                "name": label,
                "description": description,
                "attributes": attributes,
                "active": True,
            }
            _, made = _seed(Flow, {"key": key}, values, reset=reset)
            created += made
    return created


def _seed(
    model: type[WhatsAppTemplate] | type[Flow], lookup: dict, values: dict, *, reset: bool
) -> tuple[WhatsAppTemplate | Flow, bool]:
    if reset:
        return model.objects.update_or_create(**lookup, defaults=values)
    return model.objects.get_or_create(**lookup, defaults=values)
