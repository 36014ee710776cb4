"""Sign-in, sign-out and lockout into the action log: Django's auth signals and
django-axes' lockout signal are the only hook these give (every other action is
recorded explicitly by the service that does it)."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dashboard.services.actions import action_record


def _address(request: Any) -> dict[str, str]:
    """The client's address as django-axes read it (trusted proxies applied), if known."""
    address = getattr(request, "axes_ip_address", None) if request is not None else None
    return {"address": str(address)} if address else {}


@receiver(user_logged_in, dispatch_uid="actions_sign_in")
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    action_record(action="auth.sign_in", person=user, detail=_address(request))


@receiver(user_login_failed, dispatch_uid="actions_sign_in_failed")
def sign_in_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    typed = str(credentials.get("username", ""))
    action_record(action="auth.sign_in_failed", username=typed, detail=_address(request))


@receiver(user_locked_out, dispatch_uid="actions_lockout")
def locked_out(sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any) -> None:
    detail = {"address": str(ip_address)} if ip_address else {}
    action_record(action="auth.lockout", username=str(username or ""), detail=detail)


@receiver(user_logged_out, dispatch_uid="actions_sign_out")
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:  # signing out when not signed in is nothing to record
        action_record(action="auth.sign_out", person=user)
