"""The conversation page's state: page, page size and a date range in the viewer's zone."""

from typing import Any

from django import forms

from dashboard.forms.common import DateRangeForm, page_field, page_size_field

PAGE_SIZES = (25, 50, 100, 200, 500)
HIGHLIGHT_MAX = 100  # characters of a message id the page takes to highlight


class ConversationQueryForm(DateRangeForm):
    page = page_field()
    size = page_size_field(PAGE_SIZES, label="Messages per page", default=50)
    highlight = forms.CharField(required=False, max_length=HIGHLIGHT_MAX)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["page"] = data.get("page") or 1
        return data


class MessageLinkForm(forms.Form):
    """A link to one message of a conversation: its id and its time (UTC ms)."""

    message = forms.CharField(max_length=HIGHLIGHT_MAX)
    at = forms.IntegerField(min_value=1)
