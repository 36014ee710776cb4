"""Sets the audit context for a web request: who is acting, and the request id."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from technowiz.context import Actor, acting_as, new_request_id


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always our own id: a client-chosen one could be used to muddle the audit trail.
        request_id = new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        user = request.user
        actor = (
            Actor(user_id=user.pk, username=user.get_username(), origin=f"web:{request_id}")
            if user.is_authenticated
            else Actor(user_id=None, username="anonymous", origin=f"web:{request_id}")
        )
        with acting_as(actor):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
