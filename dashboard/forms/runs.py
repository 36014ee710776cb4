"""What a person chooses for a run: its audience, its template or flow and values, and
the confirm that launches it."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from dashboard.models import Flow, Run, WhatsAppTemplate
from dashboard.services.audience import CSV_MAX_BYTES, too_large
from dashboard.services.mapping import SOURCES, Source
from dashboard.services.runs import RUN_NAME


class AudienceUploadForm(forms.Form):
    file = forms.FileField(
        label="A CSV file of people",
        help_text="UTF-8, first line naming the columns: phone (with + and country code), "
        "and any of name, user_id and other columns to use as values.",
        error_messages={"required": "Choose a CSV file to upload.", "empty": "The file is empty."},
    )

    def clean_file(self) -> UploadedFile:
        """The file, unread; one too large is refused before it is read into memory."""
        chosen = self.cleaned_data["file"]
        if chosen.size > CSV_MAX_BYTES:
            raise forms.ValidationError(too_large(chosen.size))
        return chosen


class ChooseForm(forms.Form):
    """The template (a broadcast) or the flow (a trigger run) to send."""

    def __init__(self, *args: Any, run: Run, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if run.is_broadcast:
            self.fields["chosen"] = forms.ModelChoiceField(
                WhatsAppTemplate.objects.filter(active=True),
                label="WhatsApp template",
                empty_label="Choose a template",
                error_messages={"required": "Choose a template.", "invalid_choice": _GONE},
            )
        else:
            self.fields["chosen"] = forms.ModelChoiceField(
                Flow.objects.filter(active=True),
                label="Flow",
                empty_label="Choose a flow",
                error_messages={"required": "Choose a flow.", "invalid_choice": _GONE},
            )


_GONE = "That entry is no longer in the catalogue (or was deactivated): choose another."


class ValuesForm(forms.Form):
    """The run's name, whether to include the recently contacted, and for each slot of
    its template or flow where the value comes from (``source_<slot>``,
    ``value_<slot>``, ``fallback_<slot>``)."""

    name = forms.CharField(
        label="Name on the platform",
        max_length=54,
        help_text="1-54 letters, digits, _ or -. Files are sent as <name>-part-1, -part-2 ...",
    )
    include_recent = forms.BooleanField(
        label="Also send to the people contacted recently (set aside above)", required=False
    )

    def __init__(self, *args: Any, run: Run, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run = run
        if not run.is_broadcast:
            del self.fields["name"]
        for slot in run.slots:
            label = f"Value {{{{{slot}}}}}" if run.is_broadcast else f"Attribute “{slot}”"
            self.fields[f"source_{slot}"] = forms.ChoiceField(
                label=f"{label} comes from", choices=list(SOURCES.items())
            )
            self.fields[f"value_{slot}"] = forms.CharField(
                label="Attribute name or text", required=False, max_length=1000
            )
            self.fields[f"fallback_{slot}"] = forms.CharField(
                label="If empty, use", required=False, max_length=1000
            )

    def slot_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (slot, self[f"source_{slot}"], self[f"value_{slot}"], self[f"fallback_{slot}"])
            for slot in self.run.slots
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not RUN_NAME.match(name):
            raise forms.ValidationError("Use 1-54 letters, digits, _ or - (no spaces).")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for slot in self.run.slots:
            source, value = data.get(f"source_{slot}"), (data.get(f"value_{slot}") or "").strip()
            if source == "attribute" and not value:
                self.add_error(f"value_{slot}", "Name the attribute the value comes from.")
            if source == "text" and not value:
                self.add_error(f"value_{slot}", "Type the text every recipient gets.")
        return data

    def sources(self) -> dict[str, Source]:
        data = self.cleaned_data
        return {
            slot: Source(
                data[f"source_{slot}"],
                (data[f"value_{slot}"] or "").strip(),
                (data[f"fallback_{slot}"] or "").strip(),
            )
            for slot in self.run.slots
        }


def values_initial(run: Run, sources: dict[str, Source]) -> dict[str, Any]:
    """The values form as the run holds it."""
    initial: dict[str, Any] = {"name": run.name, "include_recent": run.include_recent}
    for slot, source in sources.items():
        initial[f"source_{slot}"] = source.source
        initial[f"value_{slot}"] = source.value
        initial[f"fallback_{slot}"] = source.fallback
    return initial


class ConfirmForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
