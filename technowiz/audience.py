"""The broadcast audience file: the CSV of TECHNOWIZ_API.md section 3, checked before sending."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from technowiz.errors import InvalidRequest

MAX_BROADCAST_ROWS = 10_000
MAX_BROADCAST_BYTES = 5 * 1024 * 1024
BROADCAST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def audience_csv(broadcast_id: str, rows: Sequence[tuple[str, Sequence[str]]]) -> tuple[bytes, int]:
    """The ``target_audience`` CSV; refuses what the platform would refuse, before sending."""
    if not BROADCAST_ID.match(broadcast_id or ""):
        raise InvalidRequest(
            "The broadcast name must be 1-64 letters, digits, '_' or '-'.",
            detail="invalid broadcast_id",
        )
    if not rows:
        raise InvalidRequest("The broadcast has no recipients.")
    if len(rows) > MAX_BROADCAST_ROWS:
        raise InvalidRequest(
            f"A broadcast file holds at most {MAX_BROADCAST_ROWS:,} recipients; "
            f"this one has {len(rows):,}. Split it into several broadcasts.",
            detail="too many rows",
        )
    width = len(rows[0][1])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["user.phone_number", *(f"user.attribute_{i}" for i in range(width))])
    for number, (phone, params) in enumerate(rows, start=1):
        if len(params) != width:
            raise InvalidRequest(
                f"Recipient {number} has {len(params)} template values; expected {width}.",
                detail="ragged rows",
            )
        writer.writerow([phone, *params])
    encoded = buffer.getvalue().encode("utf-8")
    if len(encoded) > MAX_BROADCAST_BYTES:
        raise InvalidRequest(
            "The broadcast file would be larger than 5 MB. Split it into several broadcasts.",
            detail="file too large",
        )
    return encoded, width
