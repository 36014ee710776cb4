"""Typed errors of the Technowiz client, each with words a support manager understands.

Every failure of a platform call becomes one of these classes, chosen in one place:
:func:`error_for`. httpx exceptions never leave the ``technowiz`` package, and no
message or detail ever holds the API key (details are redacted before they get here).
"""

from __future__ import annotations

import httpx

# Audit outcomes (technowiz.models.OutboundCall.outcome).
OK = "ok"
CLIENT_ERROR = "client_error"
SERVER_ERROR = "server_error"
NETWORK_ERROR = "network_error"
UNKNOWN = "unknown"


class TechnowizError(Exception):
    """A platform call failed. ``message`` is for people; the rest is for admins and code.

    ``outcome`` is the audit outcome of the failed attempt: ``unknown`` means the
    platform may have acted (a POST without an answer): check before sending again.
    """

    default_message = "The platform call failed."
    outcome = CLIENT_ERROR

    def __init__(
        self,
        message: str | None = None,
        *,
        code: int | None = None,
        status: int | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        outcome: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        if outcome is not None:
            self.outcome = outcome
        self.audit_id: int | None = None
        self.call_id: str | None = None
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"outcome={self.outcome!r}, audit_id={self.audit_id!r})"
        )


class InvalidRequest(TechnowizError, ValueError):
    """The dashboard refused to send a request the contract forbids (nothing was sent)."""

    default_message = "The request is not valid for the platform."


# --- documented codes (HTTP 400, status.code) -------------------------------------------


class InvalidInput(TechnowizError):
    default_message = "The platform refused the request: a value is missing or malformed."


class UnknownBotOrCustomer(TechnowizError):
    default_message = (
        "The platform does not recognise the user, or the dashboard's customer id or bot key."
    )


class InvalidDateRange(TechnowizError):
    default_message = "The date range is not valid: the end must come after the start."


class InvalidPageNumber(TechnowizError):
    default_message = "That page number is not valid: pages start at 1."


class BroadcastFailure(TechnowizError):
    default_message = "The platform failed to take the broadcast. It may not have been sent."
    outcome = SERVER_ERROR


class BotNotFound(TechnowizError):
    default_message = "The platform does not know the dashboard's bot. Tell an admin."


class WhatsAppNotConfigured(TechnowizError):
    default_message = "WhatsApp is not set up for this bot on the platform, so nothing was sent."


class InvalidAudienceFile(TechnowizError):
    default_message = "The platform rejected the audience file's format. Nothing was sent."


class AudienceFileTooLarge(TechnowizError):
    default_message = "The audience file is too large (over 10,000 rows or 5 MB)."


class GenericClientError(TechnowizError):
    default_message = "The platform refused the request."


# --- HTTP failure classes ----------------------------------------------------------------


class Unauthorized(TechnowizError):
    default_message = (
        "The platform rejected the dashboard's API key. "
        "Tell an admin: the key may have been revoked."
    )


class Forbidden(TechnowizError):
    default_message = "The dashboard's plan on the platform does not allow this. Tell an admin."


class NotFound(TechnowizError):
    default_message = "The platform does not know this (for example, an unknown flow key)."


class RateLimited(TechnowizError):
    default_message = "The platform is receiving too many requests. Try again in a minute."


class ServerError(TechnowizError):
    default_message = "The platform had an internal problem. Try again in a few minutes."
    outcome = SERVER_ERROR


class PlatformTimeout(TechnowizError):
    default_message = "The platform did not answer in time. Try again in a minute."
    outcome = NETWORK_ERROR


class NetworkError(TechnowizError):
    default_message = "The dashboard could not connect to the platform. Try again in a minute."
    outcome = NETWORK_ERROR


class PlatformUnavailable(TechnowizError):
    default_message = "The platform is failing, so calls are paused for a moment."
    outcome = NETWORK_ERROR


class PlatformBusy(TechnowizError):
    default_message = (
        "The dashboard is already making as many platform calls as allowed. Try again in a minute."
    )
    outcome = NETWORK_ERROR


class UnexpectedResponse(TechnowizError):
    default_message = (
        "The platform answered with something the dashboard does not understand. "
        "Tell an admin if this keeps happening."
    )
    outcome = SERVER_ERROR


class AuditUnavailable(TechnowizError):
    default_message = (
        "The dashboard could not record the platform call, so it did not make it. "
        "Try again in a minute."
    )
    outcome = NETWORK_ERROR


CODE_ERRORS: dict[int, type[TechnowizError]] = {
    1001: InvalidInput,
    1002: UnknownBotOrCustomer,
    1003: InvalidDateRange,
    1004: InvalidPageNumber,
    2000: BroadcastFailure,
    2003: BotNotFound,
    2004: WhatsAppNotConfigured,
    2005: InvalidAudienceFile,
    2006: AudienceFileTooLarge,
}

_UNKNOWN_OUTCOME_POST = (
    " It may or may not have acted: check the user's conversation before sending again."
)


def error_for(
    *,
    action: str,
    method: str,
    status: int | None = None,
    code: int | None = None,
    desc: str | None = None,
    details: str | None = None,
    exc: BaseException | None = None,
    retry_after: float | None = None,
) -> TechnowizError:
    """Map one failed attempt to its typed error: the single place where this is decided.

    Give either ``exc`` (an httpx exception: nothing, or nothing readable, came back)
    or the response's ``status`` with the platform's ``code``/``desc``/``details``.
    """
    post = method.upper() != "GET"
    if exc is not None:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return NetworkError(detail=f"{type(exc).__name__}: could not connect in time")
        if isinstance(exc, httpx.TimeoutException):
            if post:
                return PlatformTimeout(
                    PlatformTimeout.default_message.replace(" Try again in a minute.", ".")
                    + _UNKNOWN_OUTCOME_POST,
                    detail=f"{type(exc).__name__}: no answer in time",
                    outcome=UNKNOWN,
                )
            return PlatformTimeout(detail=f"{type(exc).__name__}: no answer in time")
        sent = isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError)
        if post and sent:
            return NetworkError(
                "The connection to the platform broke during the call." + _UNKNOWN_OUTCOME_POST,
                detail=f"{type(exc).__name__}: connection lost",
                outcome=UNKNOWN,
            )
        return NetworkError(detail=f"{type(exc).__name__}: could not reach the platform")

    text = " - ".join(part for part in (desc, details) if part) or None
    if code is not None and code in CODE_ERRORS:
        cls = CODE_ERRORS[code]
        message = None
        if cls is UnknownBotOrCustomer and action == "conversation.page":
            message = "This user is unknown to the platform."
        elif cls is UnknownBotOrCustomer and action != "conversation.page":
            message = (
                "The platform does not recognise the dashboard's customer id or bot key. "
                "Tell an admin."
            )
        if cls is InvalidInput and action == "flow.trigger":
            message = "The platform refused the trigger: the phone number or a value is invalid."
        # A 4xx is the request's fault whatever the code's usual outcome.
        refused = status is not None and 400 <= status < 500
        return cls(
            message,
            code=code,
            status=status,
            detail=text,
            outcome=CLIENT_ERROR if refused else None,
        )
    if status == 401:
        return Unauthorized(status=status, code=code, detail=text)
    if status == 403:
        return Forbidden(status=status, code=code, detail=text)
    if status == 404:
        message = (
            "The platform does not know this flow key. Check the flow catalogue."
            if action == "flow.trigger"
            else None
        )
        return NotFound(message, status=status, code=code, detail=text)
    if status == 429:
        seconds = int(retry_after + 0.999) if retry_after else 0
        unit = "second" if seconds == 1 else "seconds"
        wait = f" Try again in {seconds} {unit}." if retry_after else ""
        message = "The platform is receiving too many requests." + (
            wait or " Try again in a minute."
        )
        return RateLimited(message, status=status, code=code, detail=text, retry_after=retry_after)
    if status is not None and status >= 500:
        if post and status in (502, 504):
            return ServerError(
                "The platform's gateway failed during the call." + _UNKNOWN_OUTCOME_POST,
                status=status,
                code=code,
                detail=text,
                outcome=UNKNOWN,
            )
        return ServerError(status=status, code=code, detail=text)
    if code is not None or status is not None:
        shown = f"The platform refused the request: {text}." if text else None
        return GenericClientError(shown, status=status, code=code, detail=text)
    return UnexpectedResponse(detail=text)


_UNKNOWN_SENTENCE = (
    "The dashboard stopped while the call was in flight: whether the platform acted is unknown."
)


def failure_sentence(detail: str, outcome: str) -> str:
    """Words for people for a failed attempt recorded in the audit log (its ``detail``
    starts with the error's class name, e.g. ``PlatformTimeout: ReadTimeout: ...``).

    The one place where an error kind becomes a sentence after the fact: the class's own
    message, without its advice ("Try again ..."), which is stale by the time it is read.
    """
    name = detail.split(":", 1)[0].strip()
    kinds = {kind.__name__: kind for kind in _error_classes(TechnowizError)}
    kind = kinds.get(name)
    if kind is None:
        return _UNKNOWN_SENTENCE if outcome == UNKNOWN else TechnowizError.default_message
    return kind.default_message.split(" Try again")[0]


def _error_classes(base: type[TechnowizError]) -> list[type[TechnowizError]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_error_classes(sub)]
    return found
