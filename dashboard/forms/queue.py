"""Forms of the shared work queue: the list's queue filters, a change, a note, a bulk
assignment. Every value is checked before it reaches the database."""

from datetime import datetime
from typing import Any

from django import forms

from dashboard.forms.common import EARLIEST, LATEST, local_midnight
from dashboard.models.queue import QUEUE_STATES
from dashboard.selectors.queue import MINE, UNASSIGNED, team_choices

NOBODY = "Nobody"


class QueueFilterForm(forms.Form):
    """The users list's queue filters (from the URL, beside the attribute filter)."""

    state = forms.ChoiceField(
        label="State",
        choices=[("", "Any state"), *QUEUE_STATES],
        required=False,
        error_messages={"invalid_choice": "Choose a state from the list."},
    )
    who = forms.ChoiceField(
        label="Assigned",
        choices=[("", "Anyone or nobody"), (UNASSIGNED, "Unassigned"), (MINE, "Mine")],
        required=False,
        error_messages={"invalid_choice": "Choose “Unassigned”, “Mine” or nobody in particular."},
    )
    new_since = forms.DateField(
        label="Low rating new since",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )

    def clean_new_since(self) -> Any:
        day = self.cleaned_data["new_since"]
        if day and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError("Enter a date between 2000 and 9000.")
        return day

    def since(self) -> datetime | None:
        """The start of the "new since" day in the viewer's time zone."""
        day = self.cleaned_data.get("new_since")
        return local_midnight(day) if day else None


def _assignee_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Assignee",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose someone on the team (or nobody)."},
    )


class QueueChangeForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        choices=QUEUE_STATES,
        error_messages={"invalid_choice": "Choose a state from the list."},
    )
    assignee = _assignee_field()
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", NOBODY), *team_choices()]


class QueueNoteForm(forms.Form):
    text = forms.CharField(
        label="Add a private note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the note first.",
            "max_length": "A note is at most 4,000 characters.",
        },
    )


class QueueAssignForm(forms.Form):
    """Assign the ticked users (the list's bulk action)."""

    assignee = _assignee_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", NOBODY), *team_choices()]
