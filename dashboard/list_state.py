"""The users list's state as it travels in URLs: to its own links, to a conversation and back.

A conversation page has a ``page`` and a ``size`` of its own, so the list's travel as
``lpage`` and ``lsize`` while a conversation is open; the filter (``preset``,
``attribute``, ``value``), the search and the sort travel as they are.
"""

from collections.abc import Callable
from urllib.parse import quote

from django.http import QueryDict
from django.urls import reverse

_CARRIED = ("page", "size")
_CONVERSATION_OWN = ("page", "size", "start", "end", "highlight")


def with_defaults(query: QueryDict) -> QueryDict:
    """The query with the defaults the form shows (so the page-size menu shows 50)."""
    data = query.copy()
    data.setdefault("size", "50")
    data.setdefault("sort", "last_active")
    return data


def selection_url(query: QueryDict) -> str:
    """Where ticking posts to: the selection view, with the filter and nothing else."""
    keep = query.copy()
    for name in ("page", "q", "sort", "size", "refresh"):
        keep.pop(name, None)
    return reverse("dashboard:users_select") + "?" + keep.urlencode()


def to_conversation(query: QueryDict) -> str:
    """The list's state for a conversation link (``page`` -> ``lpage``, ``size`` -> ``lsize``)."""
    keep = query.copy()
    keep.pop("refresh", None)
    for name in _CARRIED:
        if name in keep:
            keep[f"l{name}"] = keep.pop(name)[-1]
    return keep.urlencode()


def from_conversation(query: QueryDict) -> str:
    """Back from a conversation: the list's state as the list reads it."""
    keep = query.copy()
    for name in (*_CONVERSATION_OWN, "refresh"):
        keep.pop(name, None)
    for name in _CARRIED:
        if f"l{name}" in keep:
            keep[name] = keep.pop(f"l{name}")[-1]
    return keep.urlencode()


def carried_by_conversation(query: QueryDict) -> list[tuple[str, str]]:
    """The list's state a conversation's range form sends on (hidden fields)."""
    return [(name, value) for name, value in query.items() if name not in _CONVERSATION_OWN]


def conversation_paths(name: str = "dashboard:conversation") -> Callable[[str], str]:
    """User id -> the path of their conversation page (or, by URL name, of its rating or
    export), with the id quoted whole; the URL is reversed once, for a page of rows.
    ``reverse`` leaves a "/" in an id as it is, and a browser resolves
    "/users/../x/conversation/" to "/x/conversation/": another address, maybe another
    user's."""
    before, _, after = reverse(name, args=["__id__"]).partition("__id__")
    return lambda user_id: before + quote(user_id, safe="") + after


def conversation_path(user_id: str, name: str = "dashboard:conversation") -> str:
    return conversation_paths(name)(user_id)
