"""Who a user is, for the conversation page's header.

The platform has no "one user" endpoint: the user is looked up in the matched set of
the list the person came from (kept in the cache, so usually no call).
"""

from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict

from dashboard.forms.users import UsersQueryForm
from dashboard.list_state import from_conversation
from dashboard.selectors.users import UserFilter, users_matching, users_with
from technowiz.client import get_client
from technowiz.errors import TechnowizError
from technowiz.types import ConversationPage, User


@dataclass(frozen=True)
class UserDetails:
    user_id: str
    user: User | None  # None when the list it came from is unknown

    @property
    def display_name(self) -> str:
        if self.user and self.user.name:
            return self.user.name
        return ""

    @property
    def phone(self) -> str:
        if self.user:
            return self.user.phone or ""
        # For WhatsApp users the user id is the phone number's digits.
        return f"+{self.user_id}" if self.user_id.isdigit() and len(self.user_id) >= 8 else ""


def list_filter(conversation_query: QueryDict) -> UserFilter | None:
    """The filter of the user list a conversation URL came from, if it names one."""
    form = UsersQueryForm(QueryDict(from_conversation(conversation_query)))
    return form.user_filter() if form.is_valid() and form.has_filter() else None


def user_details(*, user_id: str, conversation_query: QueryDict) -> UserDetails:
    """The user as found in the list named by a conversation URL's query (if any)."""
    user_filter = list_filter(conversation_query)
    if user_filter is None:
        return UserDetails(user_id, None)
    try:
        matched = users_matching(user_filter=user_filter)
    except TechnowizError:
        return UserDetails(user_id, None)
    return UserDetails(user_id, matched.find(user_id))


def conversation_with_details(
    *,
    user_id: str,
    conversation_query: QueryDict,
    start: datetime | None,
    end: datetime | None,
    page: int,
    size: int,
) -> tuple[ConversationPage | TechnowizError, UserDetails]:
    """A page of the conversation and who the user is; when the list they came from has
    left the cache, both are asked for at once (one latency, not two)."""
    try:
        call = get_client().conversation_call(
            user_id, start=start, end=end, page=page, page_size=size
        )
    except TechnowizError as refused:  # an id the platform cannot have: nothing is asked
        return refused, UserDetails(user_id, None)
    answer, matched = users_with(list_filter(conversation_query), call)
    return answer, UserDetails(user_id, matched.find(user_id) if matched else None)
