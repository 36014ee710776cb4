"""The sandbox platform: routing, auth, faults and the stateful endpoints.

:class:`SandboxApp` implements ``/work/shared/TECHNOWIZ_API.md`` over a
transport-neutral request/response pair, so the in-process httpx transport and
the HTTP server share one implementation. Order of checks for every request:

1. ``/__sandbox__/...`` control endpoints (key required, not counted in stats);
2. the request is counted, then the fault decision (script, header, process);
   an early fault (5xx, 429, HTML page, 401 revoked, 403, 2000) answers now;
3. ``Authorization: Basic <key>`` exactly, else 401 (plain text);
4. routing: unknown path 404 (plain text), known path with another method 405;
5. the endpoint's own validation and answer (see ``endpoints.py``);
6. a ``malformed`` fault truncates the answer, a ``timeout`` fault withholds it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from technowiz.sandbox.aftermath import Aftermath
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.endpoints import EndpointsMixin
from technowiz.sandbox.faults import FaultDecision, Faults
from technowiz.sandbox.protocol import (
    JSON_TYPE,
    SandboxRequest,
    SandboxResponse,
    error,
    json_response,
    text,
)

CONTROL_PREFIX = "/__sandbox__/"
UNKNOWN_ROUTE = "(unknown)"

USERS = "/bot-api/v1.0/customer/{customer_id}/bot/{bot_key}/users"
CONVERSATIONS = (
    "/bot-api/v1.0/customer/{customer_id}/bot/{bot_key}/channel-user/{user_id}/conversations"
)
BROADCAST = "/whatsapp-api/v1.0/customer/{customer_id}/bot/{bot_key}/external/broadcast"
FLOW = "/bot-api/v2.0/customer/{customer_id}/bot/{bot_key}/flow/{flow_key}"

#: (path template, method, handler name)
ROUTES: tuple[tuple[str, str, str], ...] = (
    (USERS, "GET", "_users"),
    (CONVERSATIONS, "GET", "_conversations"),
    (BROADCAST, "POST", "_broadcast"),
    (FLOW, "POST", "_flow"),
)


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(pattern)


_COMPILED = tuple(
    (_compile(template), template, method, handler) for template, method, handler in ROUTES
)

_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} {phrase}</title></head>"
    "<body><h1>{status} {phrase}</h1><p>Something went wrong on our side. "
    "Please try again later.</p><hr><address>nginx</address></body></html>\n"
)


@dataclass(frozen=True)
class SandboxStats:
    """A snapshot of what the sandbox received (control requests excluded).

    ``by_route`` is keyed by path template (``(unknown)`` for unknown paths),
    ``by_status`` by the HTTP status answered (``"timeout"`` when none was).
    ``broadcasts`` and ``triggers`` record every *accepted* broadcast and flow
    trigger, in order; ``aftermath`` the scripted fate of each recipient of them
    (``aftermath.py``), in order.
    """

    requests: int
    by_route: dict[str, int]
    by_status: dict[str, int]
    broadcasts: list[dict[str, Any]]
    triggers: list[dict[str, Any]]
    aftermath: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


class SandboxApp(EndpointsMixin):
    """A deterministic, stateful simulator of the Technowiz API. Thread-safe.

    ``faults=None`` reads ``TECHNOWIZ_SANDBOX_FAULTS`` from the environment
    (pass ``Faults()`` for none). ``clock`` returns epoch seconds; messages that
    broadcasts and flows append are stamped with it (never before the end of
    the seeded conversation, so they always sort last). ``aftermath=None`` reads
    ``TECHNOWIZ_SANDBOX_AFTERMATH`` (what recipients do after a send; none by default).
    """

    def __init__(
        self,
        *,
        api_key: str,
        customer_id: str,
        bot_key: str,
        data: SandboxData | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
        aftermath: Aftermath | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs an API key")
        self.api_key = api_key
        self.customer_id = customer_id
        self.bot_key = bot_key
        self.data = data if data is not None else SandboxData.build()
        self.faults = faults if faults is not None else Faults.from_env()
        self.clock = clock
        self._aftermath_given = aftermath if aftermath is not None else Aftermath.from_env()
        self.aftermath = self._aftermath_given
        self._expected_auth = f"Basic {api_key}"
        self._lock = threading.RLock()
        self._users_cache: dict[tuple[str, str], bytes] = {}
        self._init_state()

    def _init_state(self) -> None:
        self._appended: dict[str, list[dict[str, Any]]] = {}
        self._requests = 0
        self._by_route: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._broadcasts: list[dict[str, Any]] = []
        self._triggers: list[dict[str, Any]] = []
        self._fates: list[dict[str, Any]] = []
        # user_id -> (new rating, epoch ms from when it shows): scripted re-ratings.
        self._ratings: dict[str, tuple[str, int]] = {}

    # --- public ----------------------------------------------------------

    @property
    def stats(self) -> SandboxStats:
        """What was received so far (a snapshot)."""
        with self._lock:
            return SandboxStats(
                requests=self._requests,
                by_route=dict(self._by_route),
                by_status=dict(self._by_status),
                broadcasts=[dict(b) for b in self._broadcasts],
                triggers=[dict(t) for t in self._triggers],
                aftermath=[dict(f) for f in self._fates],
            )

    def reset(self) -> None:
        """Back to the seed: no appended messages, zero stats, faults and aftermath as
        constructed."""
        with self._lock:
            self._init_state()
            self.aftermath = self._aftermath_given
        self.faults.reset()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (never raises for any input)."""
        path = request.path.split("?", 1)[0]
        if path.startswith(CONTROL_PREFIX):
            return self._control(request, path)
        match = _route(path)
        with self._lock:
            self._requests += 1
            self._by_route[match[1] if match else UNKNOWN_ROUTE] += 1
        try:
            decision = self.faults.decide(request.headers.get("x-sandbox-fault"))
        except ValueError as exc:
            response = text(400, f"{exc}\n")
        else:
            try:
                response = self._respond(request, match, decision)
            except Exception as exc:  # a sandbox bug must not kill the connection
                response = text(500, f"sandbox internal error: {type(exc).__name__}\n")
        with self._lock:
            self._by_status["timeout" if response.stall_seconds else str(response.status)] += 1
        return response

    # --- internals -------------------------------------------------------

    def _respond(
        self,
        request: SandboxRequest,
        match: tuple[re.Match[str], str, str, str] | None,
        decision: FaultDecision,
    ) -> SandboxResponse:
        response = _early_fault(decision)
        if response is None:
            if request.headers.get("authorization") != self._expected_auth:
                response = text(401, "Unauthorized\n", headers={"WWW-Authenticate": "Basic"})
            elif match is None:
                response = text(
                    404,
                    _HTML_PAGE.format(status=404, phrase="Not Found"),
                    "text/html; charset=utf-8",
                )
            elif request.method != match[2]:
                response = text(405, "Method Not Allowed\n", headers={"Allow": match[2]})
            else:
                params = {key: unquote(value) for key, value in match[0].groupdict().items()}
                response = getattr(self, match[3])(request, **params)
            if decision.kind == "malformed":
                body = response.body or b'{"status":{"code":1000'
                response = SandboxResponse(
                    200, {"Content-Type": JSON_TYPE}, body[: max(1, len(body) // 2)]
                )
            elif decision.kind == "timeout":
                response.stall_seconds = max(decision.stall_seconds, 0.001)
        response.delay_seconds = decision.delay_seconds
        return response

    def _control(self, request: SandboxRequest, path: str) -> SandboxResponse:
        if request.headers.get("authorization") != self._expected_auth:
            return text(401, "Unauthorized\n")
        action = (request.method, path[len(CONTROL_PREFIX) :].strip("/"))
        if action == ("GET", "stats"):
            return json_response(200, self.stats.as_dict())
        if action == ("POST", "reset"):
            self.reset()
            return json_response(200, {"reset": True})
        if action[1] == "aftermath" and action[0] in ("GET", "POST"):
            if action[0] == "POST":
                try:
                    command = json.loads(request.body or b"{}")
                    self.aftermath = Aftermath.parse(str(command.get("aftermath") or ""))
                except (ValueError, TypeError, AttributeError) as exc:
                    return json_response(400, {"error": str(exc)})
            return json_response(200, {"aftermath": str(self.aftermath)})
        if action[1] == "faults" and action[0] in ("GET", "POST"):
            if action[0] == "POST":
                try:
                    self._control_faults(request.body)
                except (ValueError, TypeError) as exc:
                    return json_response(400, {"error": str(exc)})
            return json_response(
                200, {"faults": str(self.faults.spec), "script": self.faults.script}
            )
        return text(404, "unknown sandbox control endpoint\n")

    def _control_faults(self, body: bytes) -> None:
        command = json.loads(body or b"{}")
        if not isinstance(command, dict):
            raise ValueError('expected {"script": [...], "faults": "..."}')
        script = command.get("script")
        if script is not None:
            if not isinstance(script, list) or not all(isinstance(s, str) for s in script):
                raise ValueError("script must be a list of fault specs")
            self.faults.clear_script()
            self.faults.push(*script)
        if "faults" in command:
            self.faults.configure(command["faults"] or "")


def _route(path: str) -> tuple[re.Match[str], str, str, str] | None:
    for pattern, template, method, handler in _COMPILED:
        match = pattern.fullmatch(path)
        if match:
            return match, template, method, handler
    return None


def _early_fault(decision: FaultDecision) -> SandboxResponse | None:
    """The answer of a fault that answers before the request is handled, if any."""
    kind = decision.kind
    if kind == "revoked":
        return text(401, "API key revoked or expired\n")
    if kind == "forbidden":
        return json_response(
            403,
            {
                "status": {"code": 403, "desc": "FORBIDDEN"},
                "errorDetails": "feature not enabled for this plan",
            },
        )
    if kind == "html500":
        return text(
            500,
            _HTML_PAGE.format(status=500, phrase="Internal Server Error"),
            "text/html; charset=utf-8",
        )
    if kind == "broadcast_failure":
        return error(2000, "unhandled error while processing the broadcast", status=500)
    if kind != "status" or decision.status is None:
        return None
    status = decision.status
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    headers = {"Retry-After": decision.retry_after} if decision.retry_after else {}
    if status in (502, 504):
        return text(
            status,
            _HTML_PAGE.format(status=status, phrase=phrase),
            "text/html; charset=utf-8",
            headers,
        )
    if status == 503:
        return SandboxResponse(503, headers, b"")
    return text(status, f"{status} {phrase}\n", headers=headers)
