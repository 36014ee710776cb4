"""The sandbox's transport-neutral request and response, and response builders.

``SandboxApp.handle`` takes a :class:`SandboxRequest` and returns a
:class:`SandboxResponse`; the in-process transport and the HTTP server only
translate to and from these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JSON_TYPE = "application/json; charset=utf-8"

ERROR_DESCS: dict[int, str] = {
    1001: "INVALID_INPUT",
    1002: "INVALID_BOT_OR_CUSTOMER_ID",
    1003: "INVALID_INPUT_DATE_VALUE",
    1004: "INVALID_PAGE_NUMBER",
    2000: "FAILURE",
    2003: "BOT_NOT_FOUND",
    2004: "API_KEY_NOT_FOUND",
    2005: "INVALID_FILE_FORMAT",
    2006: "FILE_UPLOAD_FAILED",
}


class Headers(dict[str, str]):
    """A case-insensitive header mapping (keys are stored lower-cased)."""

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            lower = key.lower()
            self[lower] = f"{self[lower]}, {value}" if lower in self else value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class SandboxRequest:
    """One HTTP request as the sandbox sees it.

    ``path`` is the raw (still percent-encoded) path without the query string;
    ``query`` is a list of ``(key, value)`` pairs, a dict, or a raw query string.
    """

    method: str
    path: str
    query: list[tuple[str, str]] | dict[str, str] | str = field(default_factory=list)
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if isinstance(self.query, str):
            self.query = parse_qsl(self.query, keep_blank_values=True)
        elif isinstance(self.query, dict):
            self.query = list(self.query.items())
        else:
            self.query = list(self.query)
        self.headers = Headers(self.headers)

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, or None when absent."""
        for key, value in self.query:  # type: ignore[misc]
            if key == name:
                return value
        return None


@dataclass
class SandboxResponse:
    """What the sandbox answers.

    ``delay_seconds`` is latency to apply before answering. ``stall_seconds`` > 0
    means "no answer": wait that long, then drop the connection without a
    response (the transport raises ``httpx.ReadTimeout`` if the client's read
    timeout is shorter).
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_seconds: float = 0.0
    stall_seconds: float = 0.0

    def json(self) -> Any:
        """The body decoded as JSON (for tests)."""
        return json.loads(self.body)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is; with a lone surrogate (the hostile data
    has some), all of it as ASCII escapes, which is how JSON can carry one."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode()


def json_response(
    status: int, value: Any, headers: dict[str, str] | None = None
) -> SandboxResponse:
    """A JSON response."""
    return SandboxResponse(status, {"Content-Type": JSON_TYPE, **(headers or {})}, dumps(value))


def success(payload: Any) -> SandboxResponse:
    """HTTP 200 with the platform's success envelope around ``payload``."""
    return json_response(
        200, {"status": {"code": 1000, "desc": "SUCCESS"}, "responseObject": payload}
    )


def success_bytes(encoded_payload: bytes) -> SandboxResponse:
    """Like :func:`success` for a payload already encoded as JSON (cached answers)."""
    body = b'{"status":{"code":1000,"desc":"SUCCESS"},"responseObject":' + encoded_payload + b"}"
    return SandboxResponse(200, {"Content-Type": JSON_TYPE}, body)


def error(code: int, details: str, status: int = 400) -> SandboxResponse:
    """A documented failure: ``{"status": {...}, "errorDetails": ...}``."""
    envelope = {
        "status": {"code": code, "desc": ERROR_DESCS.get(code, "ERROR")},
        "errorDetails": details,
    }
    return json_response(status, envelope)


def text(
    status: int,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> SandboxResponse:
    """A non-JSON response (404 pages, 401s, gateway errors)."""
    return SandboxResponse(status, {"Content-Type": content_type, **(headers or {})}, body.encode())
