"""Reads of the shared work queue: items, notes, who opened whom, the queue filters."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db.models import Q, QuerySet

from dashboard.models import QueueItem, QueueNote, UserOpened
from dashboard.models.queue import NEW, STATE_LABELS
from dashboard.selectors.rating_trend import new_low
from technowiz.types import User

UNASSIGNED, MINE = "unassigned", "mine"


@dataclass(frozen=True)
class QueueView:
    """A user's place in the queue as shown: a row's fields, or the defaults."""

    user_id: str
    state: str = NEW
    assignee_id: int | None = None
    assignee_name: str = ""
    version: int = 0  # 0: no row yet
    changed_by_name: str = ""
    changed_at: datetime | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _view(item: QueueItem) -> QueueView:
    assignee = item.assignee
    return QueueView(
        user_id=item.user_id,
        state=item.state,
        assignee_id=item.assignee_id,
        assignee_name=person_name(assignee) if assignee else "",
        version=item.version,
        changed_by_name=item.changed_by_name,
        changed_at=item.changed_at,
    )


def person_name(person: AbstractBaseUser) -> str:
    return person.get_full_name() or person.get_username()


def queue_items(*, user_ids: Collection[str]) -> dict[str, QueueView]:
    """Each user's place in the queue (users without a row are new and unassigned)."""
    found = QueueItem.objects.filter(user_id__in=list(user_ids)).select_related("assignee")
    views = {item.user_id: _view(item) for item in found}
    return {uid: views.get(uid) or QueueView(uid) for uid in user_ids}


def queue_item(*, user_id: str) -> QueueView:
    return queue_items(user_ids=[user_id])[user_id]


def queue_notes(*, user_id: str) -> QuerySet[QueueNote]:
    return QueueNote.objects.filter(user_id=user_id)


def team_choices() -> list[tuple[int, str]]:
    """Active people who can work the queue, for an assignee menu."""
    holds = {"content_type__app_label": "dashboard", "codename": "work_queue"}
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=Permission.objects.filter(**holds))
            | Q(user_permissions__in=Permission.objects.filter(**holds))
        )
        .distinct()
        .order_by("username")
    )
    return [(p.pk, person_name(p)) for p in people]


def opened_by(*, person: AbstractBaseUser, user_ids: Collection[str]) -> set[str]:
    """Which of ``user_ids`` the person has opened (their conversation)."""
    return set(
        UserOpened.objects.filter(person=person, user_id__in=list(user_ids)).values_list(
            "user_id", flat=True
        )
    )


def queue_keep(
    *, person: AbstractBaseUser, state: str, who: str, new_since: datetime | None
) -> Callable[[User], bool] | None:
    """The users the queue filters keep, as a test on a user (None: no filter).

    Each filter is one indexed query for the ids it names (rows exist only for users
    someone touched), never a query per user of the matched set.
    """
    tests: list[Callable[[User], bool]] = []
    if state == NEW:
        others = set(QueueItem.objects.exclude(state=NEW).values_list("user_id", flat=True))
        tests.append(lambda u: u.user_id not in others)
    elif state:
        ids = set(QueueItem.objects.filter(state=state).values_list("user_id", flat=True))
        tests.append(lambda u: u.user_id in ids)
    if who == UNASSIGNED:
        taken = set(
            QueueItem.objects.filter(assignee__isnull=False).values_list("user_id", flat=True)
        )
        tests.append(lambda u: u.user_id not in taken)
    elif who == MINE:
        mine = set(QueueItem.objects.filter(assignee=person).values_list("user_id", flat=True))
        tests.append(lambda u: u.user_id in mine)
    if new_since is not None:
        fresh = set(new_low(since=new_since).values_list("user_id", flat=True))
        tests.append(lambda u: u.user_id in fresh)
    if not tests:
        return None
    return lambda user: all(test(user) for test in tests)
