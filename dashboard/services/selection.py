"""The person's selection of users, kept server-side in their session.

A selection belongs to one filter. It is either some ticked user ids, or "all N
matching" (stored as the filter, not as thousands of ids), less any unticked.
It survives paging and feeds the broadcast and trigger screens.
"""

from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase

from dashboard.selectors.users import MatchedSet, UserFilter
from technowiz.types import User

SESSION_KEY = "users_selection"
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


def selection_get(session: SessionBase) -> Selection:
    raw = session.get(SESSION_KEY)
    if not raw:
        return EMPTY
    return Selection(
        filter=UserFilter(raw["attribute"], tuple(raw["values"])),
        all_matching=raw["all"],
        ids=frozenset(raw["ids"]),
    )


def _save(session: SessionBase, selection: Selection) -> Selection:
    if selection.filter is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = {
            "attribute": selection.filter.attribute,
            "values": list(selection.filter.values),
            "all": selection.all_matching,
            "ids": sorted(selection.ids),
        }
    return selection


def selection_update(
    session: SessionBase, *, user_filter: UserFilter, op: str, user_ids: list[str]
) -> Selection:
    """Apply ``op`` (``add``, ``remove``, ``all``, ``clear``) for ``user_filter``.

    A change for another filter than the current selection's starts a new selection.
    """
    current = selection_get(session)
    if not current.belongs_to(user_filter):
        current = Selection(filter=user_filter, all_matching=False, ids=frozenset())
    if op == "clear":
        return _save(session, EMPTY)
    if op == "all":
        return _save(session, Selection(user_filter, True, frozenset()))
    ids = set(current.ids)
    ticking = op == "add"
    # With "all matching", the stored ids are the unticked ones.
    if ticking != current.all_matching:
        ids.update(user_ids)
    else:
        ids.difference_update(user_ids)
    if len(ids) > MAX_TICKED:
        raise ValueError(f"A selection can hold at most {MAX_TICKED:,} ticked users.")
    return _save(session, Selection(user_filter, current.all_matching, frozenset(ids)))
