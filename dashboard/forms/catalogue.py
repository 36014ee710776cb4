"""The catalogue's forms: a WhatsApp template and a flow, as a manager types them.

The models' validators and ``clean()`` check the values; these forms add the words a
support manager reads next to each field.
"""

import re
from typing import Any

from django import forms

from dashboard.models import Flow, WhatsAppTemplate

DUPLICATE_TEMPLATE = "A template with this name and language exists already."
DUPLICATE_FLOW = "A flow with this key exists already."
MAX_ATTRIBUTES_TEXT = 2000


class AttributeNamesField(forms.CharField):
    """Attribute names typed one a line or separated by commas, cleaned to a list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(name) for name in value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)  # the text's own checks: length, no NUL characters
        return [name.strip() for name in re.split(r"[,\n]", text) if name.strip()]


class TemplateForm(forms.ModelForm):
    class Meta:
        model = WhatsAppTemplate
        fields = ["name", "language", "body", "active"]
        labels = {"name": "Name on the platform", "body": "Text"}
        help_texts = {
            "name": "Exactly as approved on the platform, e.g. feedback_followup.",
            "language": "The language it was approved in: en, hi, en_US ...",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
        error_messages = {
            "name": {
                "required": "Enter the template's name as approved on the platform.",
                "max_length": "Use at most 100 characters for the name.",
            },
            "language": {
                "required": "Enter the template's language, e.g. en.",
                "max_length": "Use a language code such as en, hi or en_US.",
            },
            "body": {"required": "Enter the approved text, with {{1}}, {{2}} ... for the values."},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name, language = data.get("name"), data.get("language")
        same = WhatsAppTemplate.objects.filter(name=name, language=language)
        if name and language and same.exclude(pk=self.instance.pk).exists():
            self.add_error("name", DUPLICATE_TEMPLATE)
        return data


class FlowForm(forms.ModelForm):
    attributes = AttributeNamesField(
        label="Attributes the flow reads",
        required=False,
        max_length=MAX_ATTRIBUTES_TEXT,
        help_text="One name a line, or separated by commas, e.g. city, plan. "
        "Leave empty if the flow reads none.",
        error_messages={"max_length": "Keep the list of attributes under 2,000 characters."},
    )

    class Meta:
        model = Flow
        fields = ["key", "name", "description", "attributes", "active"]
        labels = {"key": "Flow key"}
        help_texts = {
            "key": "As the platform shows it in the flow's API Trigger, e.g. callback_request.",
            "name": "What the team calls it, e.g. Call-back request.",
            "description": "What the flow does for the user (optional).",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "key": {
                "required": "Enter the flow key as the platform shows it.",
                "max_length": "Use at most 100 characters for the flow key.",
                "unique": DUPLICATE_FLOW,
            },
            "name": {
                "required": "Enter a name the team will recognise.",
                "max_length": "Use at most 100 characters for the name.",
            },
        }


class ActiveForm(forms.Form):
    """The catalogue list's Deactivate and Reactivate buttons."""

    active = forms.TypedChoiceField(
        choices=[("1", "Reactivate"), ("0", "Deactivate")], coerce=lambda value: value == "1"
    )
