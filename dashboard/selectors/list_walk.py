"""From a conversation, the users before and after it in the list it was opened from.

The list's state travels in the conversation's URL (``dashboard.list_state``): the same
filter, search, sort and queue filters give the same order. The set is taken from the
cache (the conversation page has just read it for the person card): never a platform
call of its own.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.http import QueryDict

from dashboard.forms.queue import QueueFilterForm
from dashboard.forms.users import UsersQueryForm
from dashboard.list_state import conversation_path, from_conversation, to_conversation
from dashboard.selectors.queue import queue_keep
from dashboard.selectors.users import users_cached
from technowiz.client import holdable_user_id


@dataclass(frozen=True)
class ListWalk:
    position: int  # 1-based
    total: int
    previous_url: str
    next_url: str


def list_walk(
    *, person: AbstractBaseUser, conversation_query: QueryDict, user_id: str
) -> ListWalk | None:
    """Where the user stands in their list and the links to their neighbours; None when
    the URL names no list, the list is not cached, or the user is not in it."""
    list_query = QueryDict(from_conversation(conversation_query), mutable=True)
    form, queue_form = UsersQueryForm(list_query), QueueFilterForm(list_query)
    if not (form.is_valid() and form.has_filter() and queue_form.is_valid()):
        return None
    matched = users_cached(user_filter=form.user_filter())
    if matched is None:
        return None
    data, queue = form.cleaned_data, queue_form.cleaned_data
    found = matched.search(data["sort"], data["q"])
    keep = queue_keep(
        person=person, state=queue["state"], who=queue["who"], new_since=queue_form.since()
    )
    ids = [u.user_id for u in found if keep is None or keep(u)]
    try:
        index = ids.index(user_id)
    except ValueError:
        return None
    size = data["size"] or 50

    def url(step: int) -> str:
        """The nearest user that way whose conversation a URL can open (not "." or "..",
        which a browser folds into another path)."""
        at = index + step
        while 0 <= at < len(ids) and not _openable(ids[at]):
            at += step
        if not 0 <= at < len(ids):
            return ""
        list_query["page"] = str(at // size + 1)
        return conversation_path(ids[at]) + "?" + to_conversation(list_query)

    return ListWalk(index + 1, len(ids), url(-1), url(1))


def _openable(user_id: str) -> bool:
    return holdable_user_id(user_id) and user_id not in (".", "..")
