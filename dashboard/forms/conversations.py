"""The conversation page's state: page, page size and a date range in the viewer's zone."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

PAGE_SIZES = (25, 50, 100, 200, 500)


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the active (viewer's) time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class ConversationQueryForm(forms.Form):
    page = forms.IntegerField(
        min_value=1,
        required=False,
        error_messages={
            "invalid": "The page must be a whole number, 1 or more.",
            "min_value": "The page must be a whole number, 1 or more.",
        },
    )
    size = forms.TypedChoiceField(
        label="Messages per page",
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=50,
        error_messages={"invalid_choice": "Page size must be 25, 50, 100, 200 or 500."},
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    highlight = forms.CharField(required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "“To” must be on or after “From”.")
        data["page"] = data.get("page") or 1
        data["size"] = data.get("size") or 50
        return data

    def range_utc(self) -> tuple[datetime | None, datetime | None]:
        """The range as aware datetimes: from the start of "From" to the end of "To" (inclusive)."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return (
            local_midnight(start) if start else None,
            local_midnight(end + timedelta(days=1)) if end else None,
        )
