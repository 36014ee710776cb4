"""The person's selection of users, kept server-side in rows of their own.

A selection belongs to one filter. It is either some ticked user ids, or "all N
matching" (stored as the filter, not as thousands of ids), less any unticked.
It survives paging (and tabs) and feeds the broadcast and trigger screens.
Every change is a few statements in one transaction on the person's selection row,
so ticks sent at the same time from several requests never overwrite each other.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from dashboard.models import SelectedUser, UserSelection
from dashboard.selectors.users import MatchedSet, UserFilter
from technowiz.types import User

MAX_TICKED = 10_000


@dataclass(frozen=True)
class Selection:
    filter: UserFilter | None
    all_matching: bool
    ids: frozenset[str]  # ticked ids, or with all_matching the unticked ones

    def is_selected(self, user_id: str) -> bool:
        return (user_id not in self.ids) if self.all_matching else (user_id in self.ids)

    def count(self, matched: MatchedSet | None) -> int:
        if self.all_matching:
            total = len(matched.users) if matched is not None else 0
            return max(0, total - len(self.ids))
        return len(self.ids)

    def users(self, matched: MatchedSet) -> list[User]:
        """The selected users of ``matched``, in its order."""
        return [u for u in matched.users if self.is_selected(u.user_id)]

    def belongs_to(self, user_filter: UserFilter) -> bool:
        return self.filter == user_filter


EMPTY = Selection(filter=None, all_matching=False, ids=frozenset())


def _as_selection(row: UserSelection | None) -> Selection:
    if row is None:
        return EMPTY
    ids = frozenset(row.marks.values_list("user_id", flat=True))
    return Selection(UserFilter(row.attribute, tuple(row.values)), row.all_matching, ids)


def selection_get(person: AbstractBaseUser) -> Selection:
    return _as_selection(UserSelection.objects.filter(owner=person).first())


def selection_update(
    person: AbstractBaseUser, *, user_filter: UserFilter, op: str, user_ids: list[str]
) -> Selection:
    """Apply ``op`` (``add``, ``remove``, ``all``, ``clear``) for ``user_filter``.

    A change for another filter than the current selection's starts a new selection.
    Raises ValueError when the selection would hold more than ``MAX_TICKED`` ids.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _update(person, user_filter, op, user_ids)
        except IntegrityError:
            if attempt:  # the row was created by a concurrent first tick: once more
                raise
    raise AssertionError("unreachable")


def _update(
    person: AbstractBaseUser, user_filter: UserFilter, op: str, user_ids: list[str]
) -> Selection:
    if op == "clear":
        UserSelection.objects.filter(owner=person).delete()
        return EMPTY
    row = UserSelection.objects.select_for_update().filter(owner=person).first()
    values = list(user_filter.values)
    if row is None:
        row = UserSelection.objects.create(
            owner=person, attribute=user_filter.attribute, values=values
        )
    elif (row.attribute, row.values) != (user_filter.attribute, values):
        row.marks.all().delete()
        row.attribute, row.values, row.all_matching = user_filter.attribute, values, False
        row.save()
    if op == "all":
        row.marks.all().delete()
        row.all_matching = True
        row.save(update_fields=["all_matching", "updated_at"])
        return _as_selection(row)
    # With "all matching", the stored ids are the unticked ones.
    if (op == "add") != row.all_matching:
        SelectedUser.objects.bulk_create(
            [SelectedUser(selection=row, user_id=uid) for uid in user_ids if uid],
            ignore_conflicts=True,
        )
        if row.marks.count() > MAX_TICKED:
            raise ValueError(f"A selection can hold at most {MAX_TICKED:,} ticked users.")
    else:
        row.marks.filter(user_id__in=user_ids).delete()
    return _as_selection(row)
