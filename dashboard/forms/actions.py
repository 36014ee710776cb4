"""The action log's state, all of it from the URL: filters, page size and keyset cursor."""

from typing import Any

from django import forms

from dashboard.forms.audit import CURSOR_ERRORS, MAX_ID, PAGE_SIZES
from dashboard.forms.common import DateRangeForm, page_size_field
from dashboard.services.actions import ACTION_LABELS, OBJECT_TYPES


def _cursor(min_value: int) -> forms.IntegerField:
    return forms.IntegerField(
        label="Position",
        min_value=min_value,
        max_value=MAX_ID,
        required=False,
        error_messages=CURSOR_ERRORS,
    )


class ActionQueryForm(DateRangeForm):
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
    before = _cursor(1)
    after = _cursor(0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("before") is not None and data.get("after") is not None:
            self.add_error("after", "Ask for older or for newer actions, not both.")
        return data

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
