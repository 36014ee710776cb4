"""The body of a ``/users`` answer, decoded with each user parsed as soon as its JSON ends.

Decoding the whole body first held every user as JSON objects before any was parsed:
190 MB for an answer of 200,000 users, on top of its 55 MB of bytes and the 130 MB of
users (BENCHMARKS.md, "Memory of a web process"). Here the body is read as a stream of
JSON events (ijson, its C backend) and only one user's JSON exists at a time.

The standard library's ``json`` stays the judge of what the body says: a body the stream
cannot read (not JSON, a number too big for a float) or one carrying text no page can
hold (NUL, half a surrogate pair, which the two decoders treat differently) is decoded
whole by :func:`decode_json`, exactly as any other answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ijson

from technowiz.parsing import UNHOLDABLE_ESCAPE, decode_json, parse_user

type Path = tuple[str, ...] | None
type Shared = dict[str, str]

# Where the list of users is: responseObject.users, or a bare responseObject list.
_USER_LISTS = frozenset({("responseObject", "users"), ("responseObject",)})


def decode_users_body(content: bytes) -> Any:
    """The body as :func:`decode_json` reads it, its list of users already ``User``.

    The list is ``responseObject.users`` or a bare ``responseObject`` list; a user that
    cannot be parsed raises :class:`UnexpectedResponse`, as ``parse_users`` does.
    """
    if not content.strip() or UNHOLDABLE_ESCAPE.search(content):
        return decode_json(content)
    try:
        return _stream(content)
    except (ijson.JSONError, UnicodeDecodeError, ValueError, StopIteration):
        return decode_json(content)  # the standard decoder says what is wrong, or reads it


def _stream(content: bytes) -> Any:
    events = ijson.basic_parse(content, use_float=True)
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
