"""The audit screen's state, all of it from the URL: filters, page size and keyset cursor."""

from typing import Any

from django import forms

from dashboard.forms.common import page_size_field
from dashboard.forms.log_paging import PAGE_SIZES, LogPagingForm
from technowiz.models import OUTCOMES

ACTIONS = (
    ("users.search", "Users search"),
    ("conversation.page", "Conversation page"),
    ("broadcast.send", "Broadcast send"),
    ("flow.trigger", "Flow trigger"),
)


class AuditQueryForm(LogPagingForm):
    rows = "calls"
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
