"""Who a user is, for the conversation page's header.

The platform has no "one user" endpoint: the user is looked up in the matched set of
the list the person came from (kept in the cache, so usually no call), else (a shared
link, or a user not in that list) in the lists of each rating, the ones the overview
keeps: a person the page is about has usually rated the bot.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import QueryDict

from dashboard.forms.users import UsersQueryForm
from dashboard.list_state import from_conversation
from dashboard.selectors.matched_set import MatchedSet
from dashboard.selectors.users import (
    UserFilter,
    users_cached,
    users_matching,
    users_with_each,
)
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
    def rating(self) -> str:
        """The user's rating attribute ("1".."5"), "" when they gave none."""
        if self.user is None:
            return ""
        return str(self.user.attributes.get(settings.TECHNOWIZ_RATING_ATTRIBUTE) or "")

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


def rated_filters() -> list[UserFilter]:
    """The list of each rating, as the overview asks for (and keeps) them."""
    attribute = settings.TECHNOWIZ_RATING_ATTRIBUTE
    return [UserFilter(attribute, (stars,)) for stars in ("1", "2", "3", "4", "5")]


def _filters(conversation_query: QueryDict) -> list[UserFilter]:
    """Where to look the user up: the list they came from first, then each rating's."""
    came_from = list_filter(conversation_query)
    return ([came_from] if came_from else []) + rated_filters()


def _found(user_id: str, sets: list[MatchedSet | None]) -> User | None:
    return next((u for s in sets if s is not None and (u := s.find(user_id))), None)


def user_details(
    *, user_id: str, conversation_query: QueryDict, ask_platform: bool = False
) -> UserDetails:
    """The user as found in the list a conversation URL names, else in the rating lists.

    Without ``ask_platform`` only the lists at hand are read: for pages that must not
    call the platform (bad input, a rating search that makes its own calls).
    """
    filters = _filters(conversation_query)
    if not ask_platform:
        return UserDetails(user_id, _found(user_id, [users_cached(user_filter=f) for f in filters]))
    sets: list[MatchedSet | None] = []
    for user_filter in filters:  # the list it came from first: usually no further call
        try:
            sets.append(users_matching(user_filter=user_filter))
        except TechnowizError:
            sets.append(None)
        if (user := _found(user_id, sets)) is not None:
            return UserDetails(user_id, user)
    return UserDetails(user_id, None)


def conversation_with_details(
    *,
    user_id: str,
    conversation_query: QueryDict | None,
    start: datetime | None,
    end: datetime | None,
    page: int,
    size: int,
) -> tuple[ConversationPage | TechnowizError, UserDetails]:
    """A page of the conversation and who the user is (``conversation_query`` None: not
    wanted); the lists not cached are asked for with the page (one latency, not two)."""
    try:
        call = get_client().conversation_call(
            user_id, start=start, end=end, page=page, page_size=size
        )
    except TechnowizError as refused:  # an id the platform cannot have: nothing is asked
        return refused, UserDetails(user_id, None)
    if conversation_query is None:
        return get_client().gather([call])[0], UserDetails(user_id, None)
    # The list it came from, or for a shared link (no list) the rating lists.
    came_from = list_filter(conversation_query)
    answer, sets = users_with_each([came_from] if came_from else rated_filters(), call)
    if came_from and _found(user_id, sets) is None:  # not in that list: any list at hand
        sets = [users_cached(user_filter=f) for f in rated_filters()]
    return answer, UserDetails(user_id, _found(user_id, sets))
