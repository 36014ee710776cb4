"""Background work of the technowiz app (Django's Tasks framework, ``manage.py db_worker``)."""

from django.core.cache import cache
from django.tasks import task

from technowiz.sealing import audit_seal

_SEALING_KEY = "technowiz:audit:sealing-queued"
_SEALING_TTL = 15 * 60  # if a worker dies mid-run, a later visit queues the work again


@task
def seal_audit_log() -> int:
    """Seal every final audit row not sealed yet; returns how many were sealed."""
    try:
        return audit_seal()
    finally:
        cache.delete(_SEALING_KEY)


def seal_in_background() -> bool:
    """Queue :func:`seal_audit_log` unless it is queued or running already.

    Sealing is safe to run twice at once (see ``technowiz.sealing``); this only saves
    the work. Returns True when sealing is (now) queued or running.
    """
    if cache.add(_SEALING_KEY, 1, timeout=_SEALING_TTL):
        seal_audit_log.enqueue()
    return True
