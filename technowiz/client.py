"""The Technowiz platform client: one method per endpoint of TECHNOWIZ_API.md.

Every request leaves through :meth:`TechnowizClient.send` (or :meth:`gather`, several
reads at once), where the layers sit in this order, so that every attempt (retries and
fast-failed calls included) has its own audit row::

    retry loop (GETs only)
      -> audit row written (pending)            technowiz.audit
        -> circuit breaker                      technowiz.breaker
          -> rate limit + concurrency ceiling   technowiz.limits
            -> shared httpx.Client (keep-alive pool, explicit timeouts)
      -> audit row completed (in a finally)

Audit rows are written and completed on the caller's thread, with its database
connection; only :meth:`gather` hands the exchanges themselves (breaker, limiter, wire:
no database) to a small pool of threads, so that several reads cost one latency.

Views and tasks call :func:`get_client` and never build URLs or parse JSON.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx
from django.db import DatabaseError

from technowiz import audit
from technowiz.audience import audience_csv
from technowiz.breaker import CircuitBreaker
from technowiz.config import ClientConfig
from technowiz.errors import (
    CLIENT_ERROR,
    OK,
    UNKNOWN,
    AuditUnavailable,
    InvalidRequest,
    NetworkError,
    PlatformBusy,
    PlatformUnavailable,
    ServerError,
    TechnowizError,
    UnexpectedResponse,
    error_for,
)
from technowiz.limits import Limiter, build_limiter
from technowiz.parsing import (
    decode_json,
    parse_conversation,
    parse_receipt,
    parse_trigger,
    parse_users,
    read_envelope,
)
from technowiz.retry import RetryPolicy
from technowiz.types import BroadcastReceipt, ConversationPage, User
from technowiz.users_body import body_size, decode_users_body

__all__ = [
    "Call",
    "ClientConfig",
    "TechnowizClient",
    "get_client",
    "inprocess_sandbox",
    "reset_client",
    "set_inprocess_sandbox",
]

logger = logging.getLogger("technowiz.client")

BOT = "/bot-api/v1.0/customer/{customer_id}/bot/{bot_key}"
USERS_PATH = BOT + "/users"
CONVERSATION_PATH = BOT + "/channel-user/{user_id}/conversations"
BROADCAST_PATH = "/whatsapp-api/v1.0/customer/{customer_id}/bot/{bot_key}/external/broadcast"
FLOW_PATH = "/bot-api/v2.0/customer/{customer_id}/bot/{bot_key}/flow/{flow_key}"

SANDBOX_BASE_URL = "http://sandbox.technowiz.invalid"


def _epoch_ms(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequest(f"{name} must be a time-zone-aware datetime.")
    return int(moment.timestamp() * 1000)


def _spooled(response: httpx.Response) -> BinaryIO:
    """The body of ``response`` (opened as a stream) in a temporary file, read from the
    start: a process reading a long list of users holds the users, not also the answer
    (55 MB for 200,000 users), as a proxy spools a big response to disk."""
    body = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _attempt, or here on failure
    try:
        for chunk in response.iter_bytes():
            body.write(chunk)
        body.seek(0)
    except BaseException:
        body.close()
        raise
    return body


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


MAX_USER_ID = 200


def holdable_user_id(user_id: str) -> bool:
    """1 to ``MAX_USER_ID`` characters, none of them a control character: what the
    platform and our own columns can hold (the dashboard's forms check ids with it)."""
    return 0 < len(user_id) <= MAX_USER_ID and not any(
        ord(c) < 32 or ord(c) == 127 for c in user_id
    )


def check_user_id(user_id: str) -> None:
    """Refuse, before anything is sent, an id the platform cannot hold, or ``.`` and ``..``
    (which a URL would turn into a step up the platform's path)."""
    if not holdable_user_id(user_id) or user_id in (".", ".."):
        raise InvalidRequest(
            "This is not a user id the platform can have (empty, “.” or “..”, over "
            f"{MAX_USER_ID} characters, or with control characters). Nothing was asked "
            "of the platform.",
            detail="user id refused before sending",
        )


@dataclass(frozen=True, slots=True)
class Call[T]:
    """One platform request, described: what goes out, and how its answer is read."""

    action: str  # the audit's name for it: "users.search", "flow.trigger", ...
    method: str
    template: str  # the path with its {placeholders}, for the audit
    path: str  # the path as sent, every value quoted
    parse: Callable[[Any], T]
    query: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)  # for the audit, redacted
    subject: str = ""  # the platform user the call concerns (its own audit column)
    json_body: Any = None
    decode: Callable[[Any], Any] = decode_json  # the body (bytes, or a file if spooled) to JSON
    spool: bool = False  # the body goes to a temporary file, not memory (see _spooled)
    files: Mapping[str, Any] | None = None
    data: Mapping[str, str] | None = None


type Body = bytes | BinaryIO  # an answer's body: bytes, or a temporary file (Call.spool)
type Exchange = Callable[[], tuple[httpx.Response, Body]]


class TechnowizClient:
    """A contract-faithful, audited client of the Technowiz platform (thread-safe).

    Build it with :func:`get_client` in application code; tests may build their own
    with an ``httpx.MockTransport`` or the sandbox's transport.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: Limiter | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter if limiter is not None else build_limiter(config)
        self.breaker = breaker or CircuitBreaker(
            failures=config.breaker_failures, cooldown=config.breaker_cooldown
        )
        self.retry = retry or RetryPolicy(max_retries=config.max_retries)
        self._secrets = (config.api_key,) if config.api_key else ()
        self._pool: ThreadPoolExecutor | None = None  # gather's exchanges, made on first use
        self._pool_lock = threading.Lock()
        if transport is None:
            transport = httpx.HTTPTransport(
                retries=1,  # repeats only connections that never opened: safe for POSTs
                limits=httpx.Limits(
                    max_connections=config.max_concurrency,
                    max_keepalive_connections=config.max_concurrency,
                ),
            )
        self._http = httpx.Client(
            base_url=config.base_url or SANDBOX_BASE_URL,
            transport=transport,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.connect_timeout,
            ),
            headers={
                "Authorization": f"Basic {config.api_key}",
                "Accept": "application/json",
                "User-Agent": "technowiz-dashboard/1",
            },
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"<TechnowizClient {self.config.base_url or 'in-process sandbox'}>"

    def close(self) -> None:
        """Close the connection pool (and the threads that use it)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        self._http.close()

    # --- endpoints ------------------------------------------------------------------------

    def users_by_attribute(self, name: str, value: str) -> list[User]:
        """Every user whose attribute ``name`` equals ``value`` (exact, case-sensitive)."""
        return self.send(self.users_call(name, value))

    def users_call(self, name: str, value: str) -> Call[list[User]]:
        """The request of :meth:`users_by_attribute`, for :meth:`gather`."""
        return Call(
            action="users.search",
            method="GET",
            template=USERS_PATH,
            path=self._path(USERS_PATH),
            query={"attribute_name": name, "attribute_value": value},
            parse=parse_users,
            decode=decode_users_body,
            spool=True,
        )

    def conversation(
        self,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        page: int = 1,
        page_size: int = 500,
    ) -> ConversationPage:
        """One page of a user's conversation, oldest first; ``start``/``end`` must be aware."""
        return self.send(
            self.conversation_call(user_id, start=start, end=end, page=page, page_size=page_size)
        )

    def conversation_call(
        self,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        page: int = 1,
        page_size: int = 500,
    ) -> Call[ConversationPage]:
        """The request of :meth:`conversation`, for :meth:`gather`."""
        check_user_id(user_id)
        query: dict[str, Any] = {"page_number": page, "page_size": page_size}
        if start is not None:
            query["start_date"] = _epoch_ms(start, "start")
        if end is not None:
            query["end_date"] = _epoch_ms(end, "end")
        return Call(
            action="conversation.page",
            method="GET",
            template=CONVERSATION_PATH,
            path=self._path(CONVERSATION_PATH, user_id=user_id),
            query=query,
            subject=user_id,
            parse=partial(parse_conversation, user_id=user_id, page=page, page_size=page_size),
        )

    def broadcast(
        self,
        broadcast_id: str,
        *,
        template_name: str,
        language: str,
        rows: Sequence[tuple[str, Sequence[str]]],
        call_id: uuid.UUID | None = None,
    ) -> BroadcastReceipt:
        """Send one WhatsApp template broadcast file (at most 10,000 rows; never retried).

        ``rows`` are ``(phone in E.164, [parameter values in template order])``.
        Splitting a larger audience into several broadcasts is the caller's job.
        ``call_id`` names the call in the audit (the caller may record it first).
        """
        csv_bytes, width = audience_csv(broadcast_id, rows)
        template_payload = json.dumps(
            {
                "template_name": template_name,
                "language": language,
                "body_parameters": [f"user.attribute_{i}" for i in range(width)],
            }
        )
        return self.send(
            Call(
                action="broadcast.send",
                method="POST",
                template=BROADCAST_PATH,
                path=self._path(BROADCAST_PATH),
                query={"broadcast_id": broadcast_id},
                summary={
                    "broadcast_id": broadcast_id,
                    "template_name": template_name,
                    "language": language,
                    "rows": len(rows),
                    "parameters": width,
                    "file_bytes": len(csv_bytes),
                },
                files={"target_audience": ("audience.csv", csv_bytes, "text/csv")},
                data={"template_payload": template_payload},
                parse=partial(parse_receipt, broadcast_id=broadcast_id),
            ),
            call_id=call_id,
        )

    def trigger_flow(
        self,
        flow_key: str,
        *,
        phone: str,
        channel: str = "whatsapp",
        attributes: Mapping[str, str] | None = None,
        call_id: uuid.UUID | None = None,
    ) -> None:
        """Start one run of an automation flow for one user (not idempotent; never retried).

        ``call_id`` names the call in the audit (the caller may record it first).
        """
        attributes = dict(attributes or {})
        clash = [key for key in attributes if key.startswith("user.")]
        if clash:
            raise InvalidRequest(f"Attribute names may not start with 'user.': {clash}.")
        if not flow_key:
            raise InvalidRequest("A flow key is required.")
        self.send(
            Call(
                action="flow.trigger",
                method="POST",
                template=FLOW_PATH,
                path=self._path(FLOW_PATH, flow_key=flow_key),
                summary={
                    "flow_key": flow_key,
                    "channel": channel,
                    "phone": audit.mask_phone(phone),
                    "attributes": sorted(attributes),
                },
                json_body={"user.channel": channel, "user.phone_no": phone, **attributes},
                subject=phone,
                parse=parse_trigger,
            ),
            call_id=call_id,
        )

    # --- sending ----------------------------------------------------------------------------

    def send[T](self, call: Call[T], *, call_id: uuid.UUID | None = None) -> T:
        """Send one call: audited attempts, repeated only when it is a GET."""
        audit.ensure_outside_transaction()
        return self._attempts(call, call_id or uuid.uuid4())

    def gather(self, calls: Sequence[Call[Any]]) -> list[Any]:
        """Send several reads at once: one latency instead of one each.

        Returns each call's result, or the ``TechnowizError`` it ended with, in the order
        of ``calls``. Each call's pending audit row is written here, then its exchange goes
        to the client's pool; each attempt is completed here as :meth:`send` would, and a
        read worth repeating is repeated here, on its own.
        """
        if any(call.method != "GET" for call in calls):
            raise ValueError("Only reads may be sent together: a POST goes alone, via send().")
        audit.ensure_outside_transaction()
        ids = [uuid.uuid4() for _ in calls]
        started: list[tuple[audit.AttemptRecord, Exchange] | TechnowizError] = []
        for call, call_id in zip(calls, ids, strict=True):
            request = self._build(call)
            try:
                record = self._begin(call, call_id, 0, request)
            except TechnowizError as error:
                started.append(error)
                continue
            future = self._exchanges().submit(self._exchange, record, request, call.spool)
            started.append((record, future.result))
        results: list[Any] = []
        for call, call_id, first in zip(calls, ids, started, strict=True):
            try:
                if isinstance(first, TechnowizError):
                    raise first
                results.append(self._attempts(call, call_id, first=first))
            except TechnowizError as error:
                results.append(error)
        return results

    def _exchanges(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=max(self.config.max_concurrency, 1),
                    thread_name_prefix="technowiz-exchange",
                )
            return self._pool

    def _path(self, template: str, **values: str) -> str:
        values = {"customer_id": self.config.customer_id, "bot_key": self.config.bot_key, **values}
        return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})

    def _attempts[T](
        self,
        call: Call[T],
        call_id: uuid.UUID,
        *,
        first: tuple[audit.AttemptRecord, Exchange] | None = None,
    ) -> T:
        """Attempt ``call`` until it succeeds or may not be repeated; ``first`` is an
        attempt already under way (its audit row and its exchange)."""
        attempt = 0
        while True:
            if first is not None:
                record, exchange = first
                first = None
            else:
                request = self._build(call)
                record = self._begin(call, call_id, attempt, request)
                exchange = partial(self._exchange, record, request, call.spool)
            try:
                return self._attempt(call, record, exchange)
            except TechnowizError as error:
                delay = self.retry.delay(error, method=call.method, retry=attempt + 1)
                if delay is None:
                    raise
            attempt += 1
            time.sleep(delay)

    def _build(self, call: Call[Any]) -> httpx.Request:
        return self._http.build_request(
            call.method,
            call.path,
            params=call.query,
            json=call.json_body,
            files=call.files,
            data=call.data,
        )

    def _begin(
        self, call: Call[Any], call_id: uuid.UUID, attempt: int, request: httpx.Request
    ) -> audit.AttemptRecord:
        """The attempt's ``pending`` audit row, committed before anything is sent; its path
        is the one the request object carries, as it goes on the wire."""
        try:
            return audit.begin(
                call_id=call_id,
                attempt=attempt,
                action=call.action,
                method=call.method,
                path_template=call.template,
                path=request.url.raw_path.partition(b"?")[0].decode("ascii"),
                query=call.query,
                body_summary=call.summary,
                subject=call.subject,
            )
        except DatabaseError as exc:
            raise AuditUnavailable(detail=type(exc).__name__) from None

    def _attempt[T](self, call: Call[T], record: audit.AttemptRecord, exchange: Exchange) -> T:
        """One attempt: the exchange, the answer read, and its audit row completed."""
        error: TechnowizError | None = None
        try:
            try:
                response, content = exchange()
            except httpx.HTTPError as exc:
                raise self._failure(call, exc=exc) from None
            try:
                record.status = response.status_code
                record.response_bytes = body_size(content)
                record.retry_after = _retry_after(response)
                result = self._interpret(call, response.status_code, content, record)
            finally:
                if not isinstance(content, bytes):
                    content.close()  # a spooled body's temporary file
            record.outcome = OK
            return result
        except TechnowizError as exc:
            error = exc
            raise
        finally:
            if error is not None:
                error.audit_id = record.row_id
                error.call_id = str(record.call_id)
                record.outcome = error.outcome
                record.platform_code = record.platform_code or error.code
                record.detail = audit.redact(
                    f"{type(error).__name__}: {error.detail or error.message}", self._secrets
                )
                self._health(error)
            elif record.outcome != OK:  # an unexpected exception: we cannot say what happened
                record.outcome = UNKNOWN
                record.detail = "the dashboard failed while the call was in flight"
                self.breaker.abandon()
            audit.finish(record)
            logger.debug(
                "technowiz %s attempt=%d outcome=%s status=%s",
                call.action,
                record.attempt,
                record.outcome,
                record.status,
            )

    def _exchange(
        self, record: audit.AttemptRecord, request: httpx.Request, spool: bool = False
    ) -> tuple[httpx.Response, Body]:
        """The breaker, a limiter slot, the request and the whole answer (in a temporary
        file when ``spool``). No database and no audit here: under :meth:`gather` it runs
        on a pool thread."""
        try:
            self.breaker.before()
            with self.limiter.slot(timeout=self.config.queue_timeout):
                response = self._http.send(request, stream=spool)
                try:
                    return response, _spooled(response) if spool else response.read()
                finally:
                    response.close()
        finally:
            record.ended = time.perf_counter()

    def _interpret[T](
        self, call: Call[T], status: int, content: Body, record: audit.AttemptRecord
    ) -> T:
        """Turn a received answer into the typed result, or raise its typed error."""
        try:
            envelope = read_envelope(call.decode(content))
        except UnexpectedResponse as exc:
            if 200 <= status < 300:
                if call.method != "GET":
                    exc.outcome = UNKNOWN
                raise
            raise self._failure(
                call, status=status, detail=exc.detail, retry_after=record.retry_after
            ) from None
        record.platform_code = envelope.code
        if 200 <= status < 300 and envelope.ok:
            try:
                result = call.parse(envelope.payload)
            except UnexpectedResponse as exc:
                if call.method != "GET":
                    exc.outcome = UNKNOWN
                raise
            self.breaker.success()
            return result
        raise self._failure(
            call,
            status=status,
            code=envelope.code if envelope.code != 1000 else None,
            desc=envelope.desc,
            detail=envelope.details,
            retry_after=record.retry_after,
        )

    def _failure(
        self,
        call: Call[Any],
        *,
        exc: BaseException | None = None,
        status: int | None = None,
        code: int | None = None,
        desc: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> TechnowizError:
        return error_for(
            action=call.action,
            method=call.method,
            exc=exc,
            status=status,
            code=code,
            desc=audit.redact(desc, self._secrets) or None,
            details=audit.redact(detail, self._secrets) or None,
            retry_after=retry_after,
        )

    def _health(self, error: TechnowizError) -> None:
        """Tell the breaker what an error says about the platform's health."""
        if isinstance(error, PlatformBusy):  # never sent: a probe it held may go again
            self.breaker.abandon()
            return
        if isinstance(error, PlatformUnavailable):
            return
        if isinstance(error, ServerError | NetworkError) or (
            error.status is None and error.outcome != CLIENT_ERROR
        ):
            self.breaker.failure()
        else:
            self.breaker.neutral()


# --- the process's client ---------------------------------------------------------------------

_factory_lock = threading.RLock()
_client: TechnowizClient | None = None
_sandbox_app: Any = None


def inprocess_sandbox() -> Any:
    """The process-wide in-process sandbox app (built on first use from settings)."""
    global _sandbox_app
    with _factory_lock:
        if _sandbox_app is None:
            from technowiz.sandbox.app import SandboxApp

            config = ClientConfig.from_settings()
            _sandbox_app = SandboxApp(
                api_key=config.api_key, customer_id=config.customer_id, bot_key=config.bot_key
            )
        return _sandbox_app


def build_client(config: ClientConfig | None = None) -> TechnowizClient:
    """Build a client for ``config``: the real platform, the sandbox server, or in-process."""
    config = config or ClientConfig.from_settings()
    if config.base_url:
        return TechnowizClient(config)
    from technowiz.sandbox.transport import SandboxTransport

    return TechnowizClient(config, transport=SandboxTransport(inprocess_sandbox()))


def get_client() -> TechnowizClient:
    """The process's client, built once from settings (thread-safe)."""
    global _client
    client = _client
    if client is not None:
        return client
    with _factory_lock:
        if _client is None:
            _client = build_client()
        return _client


def set_inprocess_sandbox(app: Any) -> None:
    """Use ``app`` as the in-process sandbox (tests and benchmarks: e.g. a bigger data set)."""
    global _client, _sandbox_app
    with _factory_lock:
        if _client is not None:
            _client.close()
        _client = None
        _sandbox_app = app


def reset_client(*, sandbox: bool = True) -> None:
    """Forget the process's client (tests, settings changes); also the in-process sandbox."""
    global _client, _sandbox_app
    with _factory_lock:
        if _client is not None:
            _client.close()
        _client = None
        if sandbox:
            _sandbox_app = None
