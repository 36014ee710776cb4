"""The audiences the site offers a run: the person's selection, or the user whose
conversation is open."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import QueryDict

from dashboard.selectors.user_details import user_details
from dashboard.selectors.users import users_matching
from dashboard.services.audience import AudienceError, Member, members_from_users
from dashboard.services.selection import selection_get
from technowiz.client import holdable_user_id


def selection_members(person: AbstractBaseUser) -> tuple[list[Member], str]:
    """The users ``person`` ticked (or "all matching") on the users page, and in words
    how they were chosen. May ask the platform for the list (TechnowizError)."""
    selection = selection_get(person)
    if selection.filter is None:
        return [], ""
    matched = users_matching(user_filter=selection.filter)
    users = selection.users(matched)
    how = "all users" if selection.all_matching else "users ticked"
    return members_from_users(users), f"Selection: {how} where {selection.filter.describe()}"


def single_user_member(post: QueryDict) -> tuple[list[Member], str]:
    """The user of a conversation page ("Start a flow"), with what is known of them."""
    user_id = post.get("user_id", "")
    if not holdable_user_id(user_id):
        raise AudienceError("That user id cannot be a platform user.")
    details = user_details(
        user_id=user_id, conversation_query=QueryDict(post.get("list", "")), ask_platform=True
    )
    if details.user is not None:
        member = members_from_users([details.user])[0]
    else:
        member = Member(user_id=user_id, phone=details.phone)
    return [member], f"One user: {details.display_name or user_id}"
