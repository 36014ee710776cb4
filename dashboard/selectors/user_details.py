"""Who a user is, for the conversation page's header.

The platform has no "one user" endpoint: the user is looked up in the matched
set of the list the person came from (kept in the cache, so usually no call).
"""

from dataclasses import dataclass

from django.http import QueryDict

from dashboard.forms.users import UsersQueryForm
from dashboard.list_state import from_conversation
from dashboard.selectors.users import user_in_set, users_matching
from technowiz.errors import TechnowizError
from technowiz.types import User


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


def user_details(*, user_id: str, conversation_query: QueryDict) -> UserDetails:
    """The user as found in the list named by a conversation URL's query (if any)."""
    form = UsersQueryForm(QueryDict(from_conversation(conversation_query)))
    if not (form.is_valid() and form.has_filter()):
        return UserDetails(user_id, None)
    try:
        matched = users_matching(user_filter=form.user_filter())
    except TechnowizError:
        return UserDetails(user_id, None)
    return UserDetails(user_id, user_in_set(matched, user_id))
