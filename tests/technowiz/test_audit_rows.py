"""An audit row: completed once and only once, kept when its acting user is deleted,
and read as "unknown" when its process died during the call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from technowiz.context import Actor, acting_as
from technowiz.models import OUTCOMES, OutboundCall, stale_after

from .conftest import ok, rows

pytestmark = pytest.mark.django_db

QUERY = {"attribute_name": 'naïve "q" \' ; --', "nested": {"a": [1, 2.5, None, True]}}


def _values(**extra):
    values = {
        "call_id": uuid.uuid4(),
        "attempt": 1,
        "started_at": datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=UTC),
        "user_id": None,
        "username": "maya",
        "origin": "web:abc",
        "action": "users.search",
        "method": "GET",
        "path_template": "/x/{user_id}",
        "path": "/x/%2F..",
        "query": QUERY,
        "body_summary": {"rows": 3, "phone": "******4567"},
    }
    values.update(extra)
    return values


def _stored(pk):  # the row as the database holds it
    return OutboundCall.objects.filter(pk=pk).values().get()


def test_completion_is_one_compare_and_set():
    pk = OutboundCall.objects.create(**_values()).pk
    finished = datetime(2026, 11, 25, 10, 30, 16, tzinfo=UTC)
    done = OutboundCall.objects.complete_pending(
        pk,
        finished_at=finished,
        duration_ms=12.5,
        status=200,
        platform_code=1000,
        outcome="ok",
        detail="",
        response_bytes=512,
        retry_after=None,
    )
    assert done == 1
    row = _stored(pk)
    assert (row["outcome"], row["status"], row["finished_at"], row["duration_ms"]) == (
        "ok",
        200,
        finished,
        12.5,
    )
    assert OutboundCall.objects.complete_pending(pk, outcome="unknown", detail="late") == 0
    assert _stored(pk)["outcome"] == "ok" and _stored(pk)["detail"] == ""
    with pytest.raises(ValueError):
        OutboundCall.objects.complete_pending(pk, outcome="pending")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_deleted_acting_user_keeps_the_snapshot_without_the_link(platform_client, platform):
    platform.script.append(ok({"count": 0, "users": []}))
    missing = Actor(user_id=987654, username="gone", origin="web:r1")
    with acting_as(missing):
        platform_client.users_by_attribute("feedback", "1")
    [row] = rows()
    assert (row.user_id, row.username, row.origin, row.outcome) == (None, "gone", "web:r1", "ok")


def test_the_outcome_filter_on_columns_matches_the_effective_outcome():
    now = timezone.now()
    for outcome in ("ok", "server_error", "unknown", "pending"):
        OutboundCall.objects.create(**_values(started_at=now))
        OutboundCall.objects.create(**_values(started_at=now, outcome=outcome))
    # A pending row from a process that died long ago reads "unknown".
    stale = OutboundCall.objects.create(
        **_values(started_at=now - stale_after() - timedelta(minutes=1), outcome="pending")
    )
    for name, _ in OUTCOMES:
        annotated = OutboundCall.objects.with_effective_outcome().filter(effective=name)
        assert set(OutboundCall.objects.effectively(name)) == set(annotated), name
    assert stale in OutboundCall.objects.effectively("unknown")
    assert stale not in OutboundCall.objects.effectively("pending")
