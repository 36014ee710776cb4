"""Fields and a date-range form shared by the screens' query forms (same words everywhere)."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

EARLIEST, LATEST = date(2000, 1, 1), date(9000, 12, 31)
PAGE_ERROR = "The page must be a whole number, 1 or more."


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the active (viewer's) time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def page_field() -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, required=False, error_messages={"invalid": PAGE_ERROR, "min_value": PAGE_ERROR}
    )


def page_size_field(sizes: tuple[int, ...], *, label: str, default: int) -> forms.TypedChoiceField:
    listed = ", ".join(str(n) for n in sizes[:-1]) + f" or {sizes[-1]}"
    return forms.TypedChoiceField(
        label=label,
        choices=[(str(n), str(n)) for n in sizes],
        coerce=int,
        required=False,
        empty_value=default,
        error_messages={"invalid_choice": f"Page size must be {listed}."},
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )


class DateRangeForm(forms.Form):
    """ "From" and "To" dates in the viewer's time zone; "To" is inclusive."""

    start = _date_field("From")
    end = _date_field("To")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 9000.")
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "“To” must be on or after “From”.")
        return data

    def range_utc(self) -> tuple[datetime | None, datetime | None]:
        """From the start of "From" to the end of "To", as aware datetimes."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return (
            local_midnight(start) if start else None,
            local_midnight(end + timedelta(days=1)) if end else None,
        )
