"""The body of a ``/users`` answer, decoded with each user parsed as soon as its JSON ends.

Decoding the whole body first held every user as JSON objects before any was parsed:
190 MB for an answer of 200,000 users, on top of its 55 MB of bytes and the 130 MB of
users (BENCHMARKS.md, "Memory of a web process"). Here the body is read as a stream of
JSON events (ijson, its C backend) and only one user's JSON exists at a time; the client
hands the body over in a temporary file (``Call.spool``), so its bytes are not held
either.

The standard library's ``json`` stays the judge of what the body says: a body the stream
cannot read (not JSON, a number too big for a float) or one carrying text no page can
hold (NUL, half a surrogate pair, which the two decoders treat differently) is decoded
whole by :func:`decode_json`, exactly as any other answer.
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from technowiz.parsing import UNHOLDABLE_ESCAPE, decode_json, parse_user

type Path = tuple[str, ...] | None
type Shared = dict[str, str]

# Where the list of users is: responseObject.users, or a bare responseObject list.
_USER_LISTS = frozenset({("responseObject", "users"), ("responseObject",)})


def decode_users_body(content: bytes | BinaryIO) -> Any:
    """The body (bytes, or a file open at its start) as :func:`decode_json` reads it,
    its list of users already ``User``.

    The list is ``responseObject.users`` or a bare ``responseObject`` list; a user that
    cannot be parsed raises :class:`UnexpectedResponse`, as ``parse_users`` does.
    """
    if isinstance(content, bytes):
        unholdable = UNHOLDABLE_ESCAPE.search(content) is not None
        body: BinaryIO = io.BytesIO(content)  # shares the bytes while only read
    else:
        unholdable = _unholdable(content)
        body = content
    if unholdable:
        return decode_json(_whole(body))
    try:
        return _stream(body)
    except (ijson.JSONError, UnicodeDecodeError, ValueError, StopIteration):
        # the standard decoder says what is wrong (an empty body too), or reads it
        return decode_json(_whole(body))


def body_size(content: bytes | BinaryIO) -> int:
    """The bytes of a body, whether held or spooled to a file."""
    return len(content) if isinstance(content, bytes) else os.fstat(content.fileno()).st_size


def _unholdable(body: BinaryIO) -> bool:
    """Whether a file has an escape of text no page can hold (``UNHOLDABLE_ESCAPE``).

    It is looked at through a read-only map: its pages are the system's file cache,
    mapped only while the pattern runs, not a copy in the process.
    """
    if body_size(body) == 0:
        return False  # an empty file cannot be mapped
    with mmap.mmap(body.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return UNHOLDABLE_ESCAPE.search(view) is not None


def _whole(body: BinaryIO) -> bytes:
    body.seek(0)
    return body.read()


def _stream(body: BinaryIO) -> Any:
    body.seek(0)
    events = ijson.basic_parse(body, use_float=True)
    event, value = next(events)
    found = _read(events, event, value, (), {})
    for _ in events:  # the rest must be nothing (the parser raises on trailing text)
        pass
    return found


def _read(
    events: Iterator[tuple[str, Any]], event: str, value: Any, at: Path, shared: Shared
) -> Any:
    """The JSON value that begins with ``event``, its events read from ``events``.

    ``at`` is the value's place while it is within the envelope (the keys from the root),
    None below it; ``shared`` the texts the users share (``parse_user``).
    """
    if event == "start_map":
        found: dict[str, Any] = {}
        key = ""
        for event, value in events:
            if event == "map_key":
                key = value
            elif event == "end_map":
                return found
            elif event == "start_map" or event == "start_array":
                inner = None if at is None or len(at) == 2 else (*at, key)
                found[key] = _read(events, event, value, inner, shared)
            else:
                found[key] = value
    if event == "start_array":
        items: list[Any] = []
        users = at in _USER_LISTS
        for event, value in events:
            if event == "end_array":
                return items
            if event == "start_map" or event == "start_array":
                value = _read(events, event, value, None, shared)
            items.append(parse_user(value, shared=shared) if users else value)
    return value
