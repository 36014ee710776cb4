"""A small, strict ``multipart/form-data`` parser (stdlib only).

Enough for the broadcast endpoint: named parts, optional filename and
content type, raw bytes. Anything malformed raises :class:`MultipartError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One form part."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def _header_params(name: str, value: str) -> Message:
    message = Message()
    message[name] = value
    return message


def boundary_of(content_type: str | None) -> str | None:
    """The boundary of a ``multipart/form-data`` content type, else None."""
    if not content_type:
        return None
    message = _header_params("Content-Type", content_type)
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def parse_multipart(body: bytes, boundary: str) -> dict[str, Part]:
    """Parse the parts of a form body; the first part of a given name wins."""
    delimiter = b"--" + boundary.encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 3:
        raise MultipartError("no parts, or no closing delimiter")
    parts: dict[str, Part] = {}
    closed = False
    for section in sections[1:]:
        if section.startswith(b"--"):
            closed = True
            break
        if not section.startswith(b"\r\n"):
            raise MultipartError("delimiter not followed by CRLF")
        head, sep, data = section[2:].partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("part without a header block")
        if not data.endswith(b"\r\n"):
            raise MultipartError("part not terminated by CRLF")
        part = _part(head, data[:-2])
        parts.setdefault(part.name, part)
    if not closed:
        raise MultipartError("no closing delimiter")
    return parts


def _part(head: bytes, data: bytes) -> Part:
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep:
            raise MultipartError(f"bad part header {line!r}")
        headers[key.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition")
    if not disposition:
        raise MultipartError("part without Content-Disposition")
    message = _header_params("Content-Disposition", disposition)
    name = message.get_param("name", header="content-disposition")
    filename = message.get_param("filename", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise MultipartError("part without a name")
    return Part(
        name=name,
        data=data,
        filename=filename if isinstance(filename, str) else None,
        content_type=headers.get("content-type"),
    )
