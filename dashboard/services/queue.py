"""Changes to the shared work queue: state and assignee (compare-and-set on a version),
notes (appended), bulk assignment, and who opened whom.

A change names the version it was made from. The write happens only if the row still
has that version (one UPDATE ... WHERE version = n; a first change is an INSERT that the
unique user id refuses twice), so of two people changing one user at once, the second
gets a ``QueueConflict`` with what is there now, and nothing of theirs is written.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dashboard.models import QueueItem, QueueNote, UserOpened
from dashboard.selectors.queue import QueueView, person_name, queue_item
from dashboard.services.actions import action_record, changes

OPENED_KEPT = 2000  # read marks kept a person (the oldest go)
ASSIGN_CHUNK = 1000


@dataclass(frozen=True)
class QueueConflict(Exception):
    """Someone changed the user since the version the change was made from."""

    current: QueueView


def queue_change(
    *,
    person: AbstractBaseUser,
    user_id: str,
    version: int,
    state: str,
    assignee_id: int | None,
) -> QueueView:
    """Set the user's state and assignee if they are still at ``version`` (0: no row yet).

    Returns the new view; raises ``QueueConflict`` with the current one otherwise. The
    change is recorded in the action log (state and assignee, before and after).
    """
    before = queue_item(user_id=user_id)
    fields = {
        "state": state,
        "assignee_id": assignee_id,
        "changed_by": person,
        "changed_by_name": person_name(person),
    }
    if version == 0:
        try:
            with transaction.atomic():
                QueueItem.objects.create(user_id=user_id, version=1, **fields)
        except IntegrityError:
            raise QueueConflict(queue_item(user_id=user_id)) from None
    else:
        written = QueueItem.objects.filter(user_id=user_id, version=version).update(
            version=F("version") + 1, changed_at=timezone.now(), **fields
        )
        if not written:
            raise QueueConflict(queue_item(user_id=user_id))
    after = queue_item(user_id=user_id)
    action_record(
        action="queue.change",
        object_type="platform_user",
        object_id=user_id,
        detail=changes(_fields(before), _fields(after)),
    )
    return after


def _fields(view: QueueView) -> dict[str, str]:
    return {"state": view.state_label, "assignee": view.assignee_name or "nobody"}


def queue_assign_many(
    *, person: AbstractBaseUser, user_ids: list[str], assignee_id: int | None
) -> int:
    """Assign every user of ``user_ids`` to ``assignee_id`` (None: unassign), whatever
    their version (a bulk action names no version; each row's version still moves on,
    so a person editing one of them meanwhile is told). Returns how many."""
    name, unique = person_name(person), list(dict.fromkeys(user_ids))
    with transaction.atomic():
        # In chunks: a query may name only so many ids (SQLite: 32,766).
        for start in range(0, len(unique), ASSIGN_CHUNK):
            chunk = unique[start : start + ASSIGN_CHUNK]
            QueueItem.objects.bulk_create(
                [QueueItem(user_id=uid, changed_by=person, changed_by_name=name) for uid in chunk],
                ignore_conflicts=True,  # rows that exist already are updated below
            )
            QueueItem.objects.filter(user_id__in=chunk).update(
                assignee_id=assignee_id,
                version=F("version") + 1,
                changed_at=timezone.now(),
                changed_by=person,
                changed_by_name=name,
            )
    assignee = person_name(get_user_model().objects.get(pk=assignee_id)) if assignee_id else ""
    action_record(
        action="queue.assign_many",
        detail={"users": len(unique), "assignee": assignee or "nobody", "first": unique[:20]},
    )
    return len(unique)


def queue_note_add(*, person: AbstractBaseUser, user_id: str, text: str) -> QueueNote:
    """Append a private note to the user (the action log records that it was added, not
    its text: the note stays where the team reads it)."""
    note = QueueNote.objects.create(
        user_id=user_id, author=person, author_name=person_name(person), text=text
    )
    action_record(
        action="queue.note",
        object_type="platform_user",
        object_id=user_id,
        detail={"note": note.pk, "characters": len(text)},
    )
    return note


def user_opened_mark(*, person: AbstractBaseUser, user_id: str) -> None:
    """Remember that the person opened the user; keep the newest ``OPENED_KEPT`` marks."""
    now = timezone.now()
    UserOpened.objects.update_or_create(person=person, user_id=user_id, defaults={"opened_at": now})
    marks = UserOpened.objects.filter(person=person)
    cutoff = marks.order_by("-opened_at", "-id").values_list("opened_at", flat=True)[
        OPENED_KEPT : OPENED_KEPT + 1
    ]
    if cutoff:
        marks.filter(opened_at__lte=cutoff[0]).delete()
