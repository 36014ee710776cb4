"""The audit screen's state, all of it from the URL: filters, page size and keyset cursor."""

from datetime import date, datetime, timedelta
from typing import Any

from django import forms

from dashboard.forms.conversations import local_midnight
from technowiz.models import OUTCOMES

ACTIONS = (
    ("users.search", "Users search"),
    ("conversation.page", "Conversation page"),
    ("broadcast.send", "Broadcast send"),
    ("flow.trigger", "Flow trigger"),
)
PAGE_SIZES = (50, 100, 200)
EARLIEST, LATEST = date(2000, 1, 1), date(9000, 12, 31)
MAX_ID = 2**63 - 1  # a bigint
_DATE_ERRORS = {"invalid": "Enter the date as YYYY-MM-DD."}
_CURSOR_ERRORS = {
    "invalid": "The position in the log must be a call number.",
    "min_value": "The position in the log must be a call number.",
    "max_value": "The position in the log must be a call number.",
}


class AuditQueryForm(forms.Form):
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
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=_DATE_ERRORS,
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=_DATE_ERRORS,
    )
    path = forms.CharField(label="Path contains", max_length=200, required=False)
    size = forms.TypedChoiceField(
        label="Per page",
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=50,
        error_messages={"invalid_choice": "Page size must be 50, 100 or 200."},
    )
    before = forms.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, error_messages=_CURSOR_ERRORS
    )
    after = forms.IntegerField(
        min_value=0, max_value=MAX_ID, required=False, error_messages=_CURSOR_ERRORS
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 9000.")
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "“To” must be on or after “From”.")
        if data.get("before") is not None and data.get("after") is not None:
            self.add_error("after", "Ask for older or for newer calls, not both.")
        data["size"] = data.get("size") or 50
        return data

    def range(self) -> tuple[datetime | None, datetime | None]:
        """From the start of "From" to the end of "To" (inclusive), in the viewer's zone."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return (
            local_midnight(start) if start else None,
            local_midnight(end + timedelta(days=1)) if end else None,
        )

    def filters(self) -> dict[str, Any]:
        """The filter as keyword arguments for ``audit_calls``."""
        since, until = self.range()
        data = self.cleaned_data
        return {
            "username": data["username"].strip(),
            "action": data["action"],
            "outcome": data["outcome"],
            "since": since,
            "until": until,
            "path": data["path"].strip(),
        }
