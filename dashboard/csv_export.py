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


#: Rows sent as one chunk of a streamed response: the response handles each chunk
#: (encoding, a write), per row that was a tenth of a 100,000-row export's time.
CHUNK_ROWS = 100


def csv_rows(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield CSV text (the header line first, then chunks of ``CHUNK_ROWS`` lines), each
    cell made spreadsheet-safe, the header's too (attribute names come from the platform)."""
    writer = csv.writer(_Echo())
    # BOM: Excel reads UTF-8 names correctly
    yield "\ufeff" + writer.writerow([spreadsheet_safe(name) for name in header])
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([spreadsheet_safe(cell) for cell in row]))
        if len(chunk) == CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
