"""Reads for the action log: filtered actions, one action and the calls it caused."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dashboard.selectors.audit import key_values
from dashboard.services.actions import ACTION_LABELS
from technowiz.models import ActionRecord, OutboundCall


def actions_matching(
    *,
    username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """The actions matching the filter (each filter on an indexed column)."""
    actions = ActionRecord.objects.all()
    if username:
        actions = actions.filter(username=username)
    if action:
        actions = actions.filter(action=action)
    if object_type:
        actions = actions.filter(object_type=object_type)
    if object_id:
        actions = actions.filter(object_id=object_id)
    if since:
        actions = actions.filter(created_at__gte=since)
    if until:
        actions = actions.filter(created_at__lt=until)
    return actions


def action_get(*, pk: int) -> ActionRecord | None:
    return ActionRecord.objects.filter(pk=pk).first()


#: Calls listed on an action's page (a request makes a handful; an export may make more).
CAUSED_SHOWN = 50


def action_calls(*, action: ActionRecord) -> list[OutboundCall]:
    """The outbound calls made in the same web request as ``action``, in order."""
    if not action.origin.startswith("web:"):
        return []
    calls = OutboundCall.objects.with_effective_outcome().filter(origin=action.origin)
    return list(calls.order_by("id")[:CAUSED_SHOWN])


def action_changes(*, action: ActionRecord) -> list[tuple[str, str, str]]:
    """A change's (field, before, after), when the action recorded one."""
    detail = action.detail if isinstance(action.detail, dict) else {}
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    old, new = dict(key_values(before)), dict(key_values(after))
    return [(name, old.get(name, ""), new.get(name, "")) for name in sorted({*old, *new})]


def action_facts(*, action: ActionRecord) -> list[tuple[str, str]]:
    """The rest of an action's detail (filter, row count ...), as readable pairs."""
    detail = action.detail if isinstance(action.detail, dict) else {}
    rest = {k: v for k, v in detail.items() if k not in ("before", "after")}
    return key_values(rest)


def action_label(name: str) -> str:
    return ACTION_LABELS.get(name, name)


ACTIONS_HEADER = [
    "id",
    "created_at",
    "username",
    "origin",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "detail",
]


def actions_export_rows(*, actions: Any, tz: Any) -> Iterator[list[object]]:
    """The filtered actions for CSV, newest first, streamed from the database."""
    for record in actions.order_by("-id").iterator(chunk_size=1000):
        yield [
            record.pk,
            record.created_at.astimezone(tz).isoformat(),
            record.username,
            record.origin,
            record.action,
            record.object_type,
            record.object_id,
            record.object_label,
            json.dumps(record.detail, ensure_ascii=False, sort_keys=True),
        ]
