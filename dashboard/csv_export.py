"""Streaming CSV that spreadsheets cannot mistake for formulas."""

import csv
import re
from collections.abc import Iterable, Iterator

_NUMBER = re.compile(r"^[+-]?\d[\d .]*$")


def spreadsheet_safe(value: object) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ (formula) gets a quote.

    Plain numbers such as "+919812345678" are left as they are.
    """
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield CSV lines (header first), each cell made spreadsheet-safe, the header's too
    (attribute names come from the platform)."""
    writer = csv.writer(_Echo())
    # BOM: Excel reads UTF-8 names correctly
    yield "\ufeff" + writer.writerow([spreadsheet_safe(name) for name in header])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])
