"""The action log's state, all of it from the URL: filters, page size and keyset cursor."""

from typing import Any

from django import forms

from dashboard.forms.common import page_size_field
from dashboard.forms.log_paging import PAGE_SIZES, LogPagingForm
from dashboard.services.actions import ACTION_LABELS, OBJECT_TYPES


class ActionQueryForm(LogPagingForm):
    rows = "actions"
    username = forms.CharField(label="Person", max_length=150, required=False)
    action = forms.ChoiceField(
        label="Action",
        choices=[("", "Any action"), *ACTION_LABELS.items()],
        required=False,
        error_messages={"invalid_choice": "Choose an action from the list."},
    )
    object_type = forms.ChoiceField(
        label="Object",
        choices=[("", "Any object"), *OBJECT_TYPES.items()],
        required=False,
        error_messages={"invalid_choice": "Choose a kind of object from the list."},
    )
    object_id = forms.CharField(label="Object id", max_length=200, required=False)
    size = page_size_field(PAGE_SIZES, label="Per page", default=50)

    def filters(self) -> dict[str, Any]:
        """The filter as keyword arguments for ``actions_matching``."""
        since, until = self.range_utc()
        data = self.cleaned_data
        return {
            "username": data["username"].strip(),
            "action": data["action"],
            "object_type": data["object_type"],
            "object_id": data["object_id"].strip(),
            "since": since,
            "until": until,
        }
