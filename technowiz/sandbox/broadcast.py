"""Validating a broadcast request: broadcast id, multipart body, CSV audience, template.

:func:`parse_broadcast` returns either a :class:`BroadcastPlan` (what to send
to whom, plus the rejected rows) or the platform's error response. Rules:

- ``broadcast_id``: 1-64 of ``A-Z a-z 0-9 _ -``, else 400 / 1001.
- body not ``multipart/form-data``, a part missing, ``template_payload`` not a
  JSON object naming an approved template in its language with one
  ``body_parameters`` entry per template parameter: 400 / 1001.
- ``target_audience`` over 5 MB or over 10,000 data rows: 400 / 2006.
- ``target_audience`` not UTF-8 CSV whose header is ``user.phone_number``
  then ``user.attribute_0`` .. ``user.attribute_{N-1}`` (N = the template's
  parameter count), a row of another width, or ``body_parameters`` naming a
  column the file lacks: 400 / 2005.
- A row whose phone is not ``+`` and 8-15 digits is *rejected* (not an error):
  ``{"row": R, "phone_number": ..., "reason": "INVALID_PHONE_NUMBER"}`` where R
  is the 1-based data row (the header is not counted; blank lines are skipped
  and not counted).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from technowiz.sandbox.catalogue import SANDBOX_TEMPLATES
from technowiz.sandbox.multipart import MultipartError, boundary_of, parse_multipart
from technowiz.sandbox.protocol import SandboxRequest, SandboxResponse, error

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
BROADCAST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
E164 = re.compile(r"\+[0-9]{8,15}", re.ASCII)
PHONE_COLUMN = "user.phone_number"


@dataclass
class BroadcastPlan:
    """A valid broadcast: the recipients (row, phone, parameter values) and rejects."""

    broadcast_id: str
    template_name: str
    language: str
    accepted: list[tuple[int, str, list[str]]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def parse_broadcast(request: SandboxRequest) -> BroadcastPlan | SandboxResponse:
    """Validate a broadcast request (bot and customer already checked)."""
    broadcast_id = request.param("broadcast_id")
    if not broadcast_id or not BROADCAST_ID.fullmatch(broadcast_id):
        return error(1001, "broadcast_id must be 1-64 characters of A-Z a-z 0-9 _ -")
    boundary = boundary_of(request.headers.get("content-type"))
    if boundary is None:
        return error(1001, "the body must be multipart/form-data")
    if len(request.body) > MAX_FILE_BYTES + 256 * 1024:
        return error(2006, "file too large: at most 5 MB")
    try:
        parts = parse_multipart(request.body, boundary)
    except MultipartError as exc:
        return error(1001, f"malformed multipart body: {exc}")
    if "target_audience" not in parts:
        return error(1001, "target_audience is required")
    if "template_payload" not in parts:
        return error(1001, "template_payload is required")
    template = _template(parts["template_payload"].data)
    if isinstance(template, SandboxResponse):
        return template
    template_name, language, body_parameters = template
    audience = _audience(parts["target_audience"].data)
    if isinstance(audience, SandboxResponse):
        return audience
    header, rows = audience
    columns = header[1:]
    if len(columns) != len(body_parameters):
        return error(
            2005,
            f"the CSV needs one user.attribute_N column per template parameter "
            f"({len(body_parameters)}), it has {len(columns)}",
        )
    missing = [name for name in body_parameters if name not in columns]
    if missing:
        return error(2005, f"body_parameters name columns the CSV lacks: {', '.join(missing)}")
    positions = [header.index(name) for name in body_parameters]
    plan = BroadcastPlan(broadcast_id, template_name, language)
    for number, row in rows:
        phone = row[0].strip()
        if E164.fullmatch(phone):
            plan.accepted.append((number, phone, [row[i] for i in positions]))
        else:
            plan.rejected.append(
                {"row": number, "phone_number": phone, "reason": "INVALID_PHONE_NUMBER"}
            )
    return plan


def _template(raw: bytes) -> tuple[str, str, list[str]] | SandboxResponse:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(1001, "template_payload is not valid JSON")
    if not isinstance(payload, dict):
        return error(1001, "template_payload must be a JSON object")
    name, language, params = (
        payload.get(key) for key in ("template_name", "language", "body_parameters")
    )
    if not isinstance(name, str) or name not in SANDBOX_TEMPLATES:
        return error(1001, f"template_name {name!r} is not an approved template")
    expected = SANDBOX_TEMPLATES[name]
    if language != expected["language"]:
        return error(1001, f"template {name} is approved in language {expected['language']!r}")
    if params is None:
        params = []
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return error(1001, "body_parameters must be a list of column names")
    if len(params) != len(expected["parameters"]):
        return error(
            1001,
            f"template {name} takes {len(expected['parameters'])} body parameters, "
            f"got {len(params)}",
        )
    return name, language, params


def _audience(raw: bytes) -> tuple[list[str], list[tuple[int, list[str]]]] | SandboxResponse:
    if len(raw) > MAX_FILE_BYTES:
        return error(2006, "file too large: at most 5 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return error(2005, "target_audience is not UTF-8 text")
    try:
        lines = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        return error(2005, f"target_audience is not a CSV file: {exc}")
    if not lines:
        return error(2005, "target_audience is empty")
    header = [name.strip() for name in lines[0]]
    expected = [PHONE_COLUMN] + [f"user.attribute_{i}" for i in range(len(header) - 1)]
    if header != expected:
        return error(
            2005,
            "the CSV header must be user.phone_number, then user.attribute_0, "
            "user.attribute_1, ... in order",
        )
    if len(lines) - 1 > MAX_ROWS:
        return error(2006, f"too many rows: at most {MAX_ROWS} a file, got {len(lines) - 1}")
    rows: list[tuple[int, list[str]]] = []
    for number, row in enumerate(lines[1:], start=1):
        if len(row) != len(header):
            return error(2005, f"row {number} has {len(row)} columns, the header {len(header)}")
        rows.append((number, row))
    return header, rows
