"""The audit screen's state, all of it from the URL: filters, page size and keyset cursor."""

from typing import Any

from django import forms

from dashboard.forms.common import DateRangeForm, page_size_field
from technowiz.models import OUTCOMES

ACTIONS = (
    ("users.search", "Users search"),
    ("conversation.page", "Conversation page"),
    ("broadcast.send", "Broadcast send"),
    ("flow.trigger", "Flow trigger"),
)
PAGE_SIZES = (50, 100, 200)
MAX_ID = 2**63 - 1  # a bigint
CURSOR_ERRORS = {
    "invalid": "The position in the log must be a call number.",
    "min_value": "The position in the log must be a call number.",
    "max_value": "The position in the log must be a call number.",
}


class AuditQueryForm(DateRangeForm):
    username = forms.CharField(label="Person", max_length=150, required=False)
    action = forms.ChoiceField(
        label="Action",
        choices=[("", "Any action"), *ACTIONS],
        required=False,
        error_messages={"invalid_choice": "Choose an action from the list."},
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Any outcome"), *OUTCOMES],
        required=False,
        error_messages={"invalid_choice": "Choose an outcome from the list."},
    )
    subject = forms.CharField(label="User id or phone", max_length=200, required=False)
    path = forms.CharField(label="Path contains", max_length=200, required=False)
    size = page_size_field(PAGE_SIZES, label="Per page", default=50)
    before = forms.IntegerField(
        label="Position",
        min_value=1,
        max_value=MAX_ID,
        required=False,
        error_messages=CURSOR_ERRORS,
    )
    after = forms.IntegerField(
        label="Position",
        min_value=0,
        max_value=MAX_ID,
        required=False,
        error_messages=CURSOR_ERRORS,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("before") is not None and data.get("after") is not None:
            self.add_error("after", "Ask for older or for newer calls, not both.")
        return data

    def filters(self) -> dict[str, Any]:
        """The filter as keyword arguments for ``audit_calls``."""
        since, until = self.range_utc()
        data = self.cleaned_data
        return {
            "username": data["username"].strip(),
            "action": data["action"],
            "outcome": data["outcome"],
            "since": since,
            "until": until,
            "path": data["path"].strip(),
            "subject": data["subject"].strip(),
        }
