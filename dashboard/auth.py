"""The sign-in backend: Django's ``ModelBackend``, reading what every page needs at once.

Every page needs the person's time zone (their ``member`` row) and their permissions
(the navigation shows what the role may do): ``get_user`` loads the member with the
person, and the permissions come in one query instead of Django's two.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import Q


class TeamBackend(ModelBackend):
    def get_user(self, user_id: object) -> AbstractBaseUser | None:
        people = get_user_model()._default_manager.select_related("member")
        user = people.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(
        self, user_obj: AbstractBaseUser | AnonymousUser, obj: object = None
    ) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:  # every permission: Django's own answer
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            granted = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = granted.values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs}
        return user_obj._perm_cache
