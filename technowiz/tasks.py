"""Background work of the technowiz app (Django's Tasks framework, ``manage.py db_worker``).

Both tasks are safe to run twice at once (see ``technowiz.sealing``); a cache key only
saves queuing the same work again while it waits or runs. If a worker dies mid-run, the
key expires and a later visit queues the work again.
"""

from datetime import datetime

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from technowiz.sealing import audit_seal, audit_verify

_SEALING_KEY = "technowiz:audit:sealing-queued"
_VERIFYING_KEY = "technowiz:audit:verify-queued"
_SEALING_TTL = 15 * 60
_VERIFYING_TTL = 60 * 60


@task
def seal_audit_log() -> int:
    """Seal every final audit row not sealed yet; returns how many were sealed."""
    try:
        return audit_seal()
    finally:
        cache.delete(_SEALING_KEY)


@task
def verify_audit_log() -> bool:
    """Recompute every seal (the report is kept for the audit screen); True when intact."""
    try:
        return audit_verify().ok
    finally:
        cache.delete(_VERIFYING_KEY)


def seal_in_background() -> None:
    """Queue :func:`seal_audit_log` unless it is queued or running already."""
    if cache.add(_SEALING_KEY, 1, timeout=_SEALING_TTL):
        seal_audit_log.enqueue()


def verify_in_background() -> datetime:
    """Queue :func:`verify_audit_log` unless it is queued or running; when it was queued."""
    now = timezone.now()
    if cache.add(_VERIFYING_KEY, now, timeout=_VERIFYING_TTL):
        verify_audit_log.enqueue()
        return now
    return verification_queued_at() or now


def verification_queued_at() -> datetime | None:
    """When the verification now waiting or running was queued, if one is."""
    queued = cache.get(_VERIFYING_KEY)
    return queued if isinstance(queued, datetime) else None
