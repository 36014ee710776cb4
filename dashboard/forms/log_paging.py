"""What both log screens (calls and actions) take from the URL to page: the page size
choices and a keyset cursor, older than ``before`` or newer than ``after``."""

from typing import Any

from django import forms

from dashboard.forms.common import DateRangeForm

PAGE_SIZES = (50, 100, 200)
MAX_ID = 2**63 - 1  # a bigint
CURSOR_ERRORS = {
    "invalid": "The position in the log must be a call number.",
    "min_value": "The position in the log must be a call number.",
    "max_value": "The position in the log must be a call number.",
}


def _cursor(min_value: int) -> forms.IntegerField:
    return forms.IntegerField(
        label="Position",
        min_value=min_value,
        max_value=MAX_ID,
        required=False,
        error_messages=CURSOR_ERRORS,
    )


class LogPagingForm(DateRangeForm):
    """A log screen's dates and cursor; ``rows`` names what the log lists, for the error."""

    rows = "rows"
    before = _cursor(1)
    after = _cursor(0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("before") is not None and data.get("after") is not None:
            self.add_error("after", f"Ask for older or for newer {self.rows}, not both.")
        return data
