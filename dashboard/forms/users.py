"""What a person may ask of the users page, checked before any platform call."""

from typing import Any

from django import forms
from django.conf import settings

from dashboard.forms.common import page_field, page_size_field
from dashboard.selectors.users import SORTS, UserFilter
from technowiz.client import MAX_USER_ID, holdable_user_id

# The quick filters: the overview's star bars open these too (one filter, one URL).
PRESETS = {
    "1": ("1 star", ("1",)),
    "1-2": ("1-2 stars", ("1", "2")),
    "2": ("2 stars", ("2",)),
    "3": ("3 stars", ("3",)),
    "4": ("4 stars", ("4",)),
    "5": ("5 stars", ("5",)),
}
PAGE_SIZES = (25, 50, 100, 200)


class UsersQueryForm(forms.Form):
    """The users page's state, all of it from the URL."""

    preset = forms.ChoiceField(
        choices=[("", "Custom filter")] + [(k, label) for k, (label, _) in PRESETS.items()],
        required=False,
        error_messages={"invalid_choice": "Choose one of the presets."},
    )
    attribute = forms.CharField(label="Attribute", max_length=100, required=False, strip=True)
    value = forms.CharField(label="Value", max_length=200, required=False, strip=False)
    q = forms.CharField(label="Search in results", max_length=100, required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        choices=list(SORTS.items()),
        required=False,
        error_messages={"invalid_choice": "Choose a sort order from the list."},
    )
    size = page_size_field(PAGE_SIZES, label="Per page", default=50)
    page = page_field()

    def has_filter(self) -> bool:
        """Whether the person asked for any users yet (a bare visit shows the presets)."""
        return any(self.data.get(name) for name in ("preset", "attribute", "value"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        preset = data.get("preset")
        if preset:
            if self.data.get("attribute") or self.data.get("value"):
                self.add_error(
                    "preset",
                    "Use either a quick filter or an attribute and a value, not both.",
                )
            data["attribute"] = settings.TECHNOWIZ_RATING_ATTRIBUTE
            data["values"] = PRESETS[preset][1]
        elif self.has_filter() and "preset" not in self.errors:
            if not data.get("attribute") and "attribute" not in self.errors:
                self.add_error("attribute", "Enter the attribute name, for example feedback.")
            value = data.get("value")
            if not value and "value" not in self.errors:
                self.add_error("value", "Enter the value to match, for example 1.")
            elif value and value != value.strip():
                self.add_error("value", "The value has spaces at its start or end; remove them.")
            data["values"] = (data.get("value") or "",)
        data["sort"] = data.get("sort") or "last_active"
        data["page"] = data.get("page") or 1
        data["q"] = data.get("q") or ""
        return data

    def user_filter(self) -> UserFilter:
        return UserFilter(self.cleaned_data["attribute"], tuple(self.cleaned_data["values"]))


def validate_user_id(value: str) -> None:
    """An id the platform could have: what a database column of ours can hold too."""
    if not holdable_user_id(value):
        raise forms.ValidationError(
            f"A user id is 1-{MAX_USER_ID} characters without control characters."
        )


class SelectionChangeForm(forms.Form):
    """A change of the selection: tick or untick (a checkbox sends ``toggle``), add or
    remove the ticked, select all matching, or clear; every id checked first."""

    op = forms.ChoiceField(choices=[(o, o) for o in ("toggle", "add", "remove", "all", "clear")])
    toggle = forms.CharField(required=False, strip=False)
    user_id = forms.MultipleChoiceField(required=False)  # choices: any valid id

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_id"].valid_value = lambda value: True

    def clean_toggle(self) -> str:
        toggled = self.cleaned_data["toggle"]
        if self.data.get("op") == "toggle":
            validate_user_id(toggled)
        return toggled

    def clean_user_id(self) -> list[str]:
        ids = self.cleaned_data["user_id"]
        for value in ids:
            validate_user_id(value)
        if len(ids) > 1000:
            raise forms.ValidationError("Tick at most 1,000 users at once.")
        return ids

    def change(self) -> tuple[str, list[str]]:
        """``(op, user ids)``: a toggle becomes an add or a remove of one id."""
        data = self.cleaned_data
        if data["op"] == "toggle":
            return ("add" if data["toggle"] in data["user_id"] else "remove"), [data["toggle"]]
        return data["op"], data["user_id"]
