"""The sign-in backend: Django's, loading the person's settings with them in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser


class TeamBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` also fetches the ``member`` row (time zone).

    Every signed-in request needs both; one query instead of two.
    """

    def get_user(self, user_id: object) -> AbstractBaseUser | None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("member").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
