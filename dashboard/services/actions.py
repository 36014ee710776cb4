"""The action log: what people did that an admin answers for, one append-only row each.

Recorded explicitly where the action happens (the service that does it), never through
model signals; sign-in, sign-out and lockout come from Django's and django-axes' auth
signals, the only hook they offer (``dashboard/signals.py``). A row carries who (a link
and a name snapshot), when, the request (``origin``: the same ``web:<request id>`` as the
outbound calls the action caused), what and the object, and ``detail`` (a filter and a
row count, or a change's before and after).

Other features record their own kinds by calling :func:`action_record` and adding a
label to ``ACTION_LABELS`` (the filter's list).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from technowiz.audit import write_retrying
from technowiz.context import Actor, current_actor
from technowiz.models import ActionRecord

ACTION_LABELS: dict[str, str] = {
    "auth.sign_in": "Signed in",
    "auth.sign_in_failed": "Sign-in failed",
    "auth.lockout": "Sign-in locked out",
    "auth.sign_out": "Signed out",
    "auth.password_change": "Changed their password",
    "export.users": "Exported users",
    "export.transcript": "Exported a conversation",
    "export.run": "Exported a run's results",
    "export.audit": "Exported the call log",
    "export.actions": "Exported the action log",
    "run.launch": "Launched a run",
    "run.pause": "Paused a run",
    "run.resume": "Resumed a run",
    "run.cancel": "Cancelled a run",
    "run.drop_unknown": "Dropped a run's unknown recipients",
    "run.resend": "Drafted a re-send",
    "catalogue.create": "Added to the catalogue",
    "catalogue.change": "Changed a catalogue entry",
    "catalogue.deactivate": "Deactivated a catalogue entry",
    "catalogue.reactivate": "Reactivated a catalogue entry",
    "account.create": "Created an account",
    "account.change": "Changed an account",
    "account.password_set": "Set an account's password",
    "account.time_zone": "Changed their time zone",
    "queue.change": "Changed a user's state or assignee",
    "queue.assign_many": "Assigned users",
    "queue.note": "Added a note to a user",
}

OBJECT_TYPES: dict[str, str] = {
    "run": "Run",
    "template": "Template",
    "flow": "Flow",
    "account": "Account",
    "platform_user": "Platform user",
}


def _clean(text: object, limit: int) -> str:
    """Text safe for any database: no NUL (PostgreSQL refuses it), at most ``limit``."""
    return str(text).replace("\x00", "")[:limit]


def action_record(
    *,
    action: str,
    object_type: str = "",
    object_id: object = "",
    object_label: str = "",
    detail: Mapping[str, Any] | None = None,
    person: AbstractBaseUser | None = None,
    username: str | None = None,
    actor: Actor | None = None,
) -> ActionRecord:
    """Record one action. Who: ``person`` if given (a sign-in, before the request knows
    them), else the acting person of ``actor`` (default: this request's or job's);
    ``username`` overrides the name snapshot (a failed sign-in's typed name)."""
    actor = actor or current_actor()
    user_id = person.pk if person is not None else actor.user_id
    if username is None:
        username = person.get_username() if person is not None else actor.username
    values = {
        "created_at": timezone.now(),
        "user_id": user_id,
        "username": _clean(username, 150),
        "origin": actor.origin[:80],
        "action": action[:40],
        "object_type": object_type[:40],
        "object_id": _clean(object_id, 200),
        "object_label": _clean(object_label, 200),
        "detail": _json_safe(dict(detail or {})),
    }
    return write_retrying(lambda: ActionRecord.objects.create(**values))


def _json_safe(value: Any) -> Any:
    """``detail`` without NUL characters anywhere (PostgreSQL's jsonb refuses them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {_json_safe(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _json_safe(str(value))


def export_recorded[T](
    rows: Iterable[T],
    *,
    action: str,
    filters: Mapping[str, Any],
    object_type: str = "",
    object_id: object = "",
    object_label: str = "",
    already: int = 0,
) -> Iterator[T]:
    """``rows`` passed through, counted (after ``already`` sent before them); when the
    stream ends (or the download stops), the export is recorded with its filter, the rows
    sent and whether it was complete. Nothing runs until the response is read: a view
    must not step into the returned iterator itself.

    The actor is taken now, in the view: a streamed response runs after the request's
    middleware has reset it.
    """
    actor = current_actor()

    def counted() -> Iterator[T]:
        sent, complete = already, False
        try:
            for row in rows:
                sent += 1  # handed to the download
                yield row
            complete = True
        finally:
            action_record(
                action=action,
                object_type=object_type,
                object_id=object_id,
                object_label=object_label,
                detail={"filter": dict(filters), "rows": sent, "complete": complete},
                actor=actor,
            )

    return counted()


def query_filter(query: Mapping[str, str]) -> dict[str, str]:
    """A request's query string as an export's filter (values cut to 200 characters)."""
    return {str(k)[:40]: str(v)[:200] for k, v in query.items()}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that differ, as ``{"before": {...}, "after": {...}}``."""
    changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
    return {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after.get(k) for k in changed},
    }
