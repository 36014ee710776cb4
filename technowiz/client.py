"""The Technowiz platform client: one method per endpoint of TECHNOWIZ_API.md.

Every request leaves through :meth:`TechnowizClient._request`, where the layers sit in
this order, so that every attempt (retries and fast-failed calls included) has its own
audit row::

    retry loop (GETs only)
      -> audit row written (pending)            technowiz.audit
        -> circuit breaker                      technowiz.breaker
          -> rate limit + concurrency ceiling   technowiz.limits
            -> shared httpx.Client (keep-alive pool, explicit timeouts)
      -> audit row completed (in a finally)

The part from the limiter to the whole answer is the *exchange*; a read given a
``meanwhile`` runs it on a small pool of threads while the caller's thread does that
work (:mod:`technowiz.meanwhile`). The audit rows, the breaker and the parse always stay
on the caller's thread (its database connection, its transaction check).

Views and tasks call :func:`get_client` and never build URLs or parse JSON.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar
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
from technowiz.meanwhile import ExchangePool, Meanwhile, sent_tracer
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

__all__ = [
    "ClientConfig",
    "TechnowizClient",
    "get_client",
    "inprocess_sandbox",
    "reset_client",
    "set_inprocess_sandbox",
]

logger = logging.getLogger("technowiz.client")

T = TypeVar("T")

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
        pool: ExchangePool | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter if limiter is not None else build_limiter(config)
        self.breaker = breaker or CircuitBreaker(
            failures=config.breaker_failures, cooldown=config.breaker_cooldown
        )
        self.retry = retry or RetryPolicy(max_retries=config.max_retries)
        # Exchanges of callers that have work to do meanwhile (technowiz.meanwhile).
        self._pool = pool or ExchangePool(config.max_concurrency)
        self._secrets = (config.api_key,) if config.api_key else ()
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

        # Every request URL is this prefix + an already-quoted path + the query: one
        # parse per request instead of httpx's three (path, join with base, params).
        self._url_prefix = str(self._http.base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"<TechnowizClient {self.config.base_url or 'in-process sandbox'}>"

    def close(self) -> None:
        """Close the connection pool (and the threads that use it)."""
        self._pool.close()
        self._http.close()

    # --- endpoints ------------------------------------------------------------------------

    def users_by_attribute(
        self, name: str, value: str, *, meanwhile: Callable[[], object] | None = None
    ) -> list[User]:
        """Every user whose attribute ``name`` equals ``value`` (exact, case-sensitive).

        ``meanwhile``: work for this thread while the request is in flight, run exactly
        once (:mod:`technowiz.meanwhile`); the same on :meth:`conversation`.
        """
        return self._request(
            action="users.search",
            method="GET",
            template=USERS_PATH,
            query={"attribute_name": name, "attribute_value": value},
            summary={},
            parse=parse_users,
            meanwhile=meanwhile,
        )

    def conversation(
        self,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        page: int = 1,
        page_size: int = 500,
        meanwhile: Callable[[], object] | None = None,
    ) -> ConversationPage:
        """One page of a user's conversation, oldest first; ``start``/``end`` must be aware."""
        query: dict[str, Any] = {"page_number": page, "page_size": page_size}
        if start is not None:
            query["start_date"] = _epoch_ms(start, "start")
        if end is not None:
            query["end_date"] = _epoch_ms(end, "end")
        return self._request(
            action="conversation.page",
            method="GET",
            template=CONVERSATION_PATH,
            path_params={"user_id": user_id},
            query=query,
            summary={},
            parse=lambda payload: parse_conversation(
                payload, user_id=user_id, page=page, page_size=page_size
            ),
            meanwhile=meanwhile,
        )

    def broadcast(
        self,
        broadcast_id: str,
        *,
        template_name: str,
        language: str,
        rows: Sequence[tuple[str, Sequence[str]]],
    ) -> BroadcastReceipt:
        """Send one WhatsApp template broadcast file (at most 10,000 rows; never retried).

        ``rows`` are ``(phone in E.164, [parameter values in template order])``.
        Splitting a larger audience into several broadcasts is the caller's job.
        """
        csv_bytes, width = audience_csv(broadcast_id, rows)
        template_payload = json.dumps(
            {
                "template_name": template_name,
                "language": language,
                "body_parameters": [f"user.attribute_{i}" for i in range(width)],
            }
        )
        return self._request(
            action="broadcast.send",
            method="POST",
            template=BROADCAST_PATH,
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
            parse=lambda payload: parse_receipt(payload, broadcast_id=broadcast_id),
        )

    def trigger_flow(
        self,
        flow_key: str,
        *,
        phone: str,
        channel: str = "whatsapp",
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        """Start one run of an automation flow for one user (not idempotent; never retried)."""
        attributes = dict(attributes or {})
        clash = [key for key in attributes if key.startswith("user.")]
        if clash:
            raise InvalidRequest(f"Attribute names may not start with 'user.': {clash}.")
        if not flow_key:
            raise InvalidRequest("A flow key is required.")
        body = {"user.channel": channel, "user.phone_no": phone, **attributes}
        self._request(
            action="flow.trigger",
            method="POST",
            template=FLOW_PATH,
            path_params={"flow_key": flow_key},
            summary={
                "flow_key": flow_key,
                "channel": channel,
                "phone": audit.mask_phone(phone),
                "attributes": sorted(attributes),
            },
            json_body=body,
            parse=parse_trigger,
        )

    # --- the choke point --------------------------------------------------------------------

    def _request(
        self,
        *,
        action: str,
        method: str,
        template: str,
        summary: Mapping[str, Any],
        parse: Callable[[Any], T],
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> T:
        """Send one logical call: audited attempts, retried only when it is a GET.

        ``meanwhile`` runs during the first attempt's exchange (or, with none, before the
        result or error is returned); what it raises is raised once the call is audited.
        """
        audit.ensure_outside_transaction()
        values = {
            "customer_id": self.config.customer_id,
            "bot_key": self.config.bot_key,
            **(path_params or {}),
        }
        path = template.format(**{k: quote(str(v), safe="") for k, v in values.items()})
        call_id = uuid.uuid4()
        once = Meanwhile(meanwhile)
        attempt = 0
        while True:
            try:
                result = self._attempt(
                    call_id=call_id,
                    attempt=attempt,
                    action=action,
                    method=method,
                    template=template,
                    path=path,
                    query=query or {},
                    summary=summary,
                    parse=parse,
                    json_body=json_body,
                    files=files,
                    data=data,
                    meanwhile=once,
                )
            except TechnowizError as error:
                delay = self.retry.delay(error, method=method, retry=attempt + 1)
                if delay is None:
                    once.reraise()  # the caller's own failure comes first
                    raise
                attempt += 1
                time.sleep(delay)
            else:
                once.reraise()
                return result

    def _attempt(
        self,
        *,
        call_id: uuid.UUID,
        attempt: int,
        action: str,
        method: str,
        template: str,
        path: str,
        query: Mapping[str, Any],
        summary: Mapping[str, Any],
        parse: Callable[[Any], T],
        json_body: Any,
        files: Mapping[str, Any] | None,
        data: Mapping[str, str] | None,
        meanwhile: Meanwhile,
    ) -> T:
        """One attempt: its audit row, the breaker, the limiter, the wire, the parse."""
        try:
            record = audit.begin(
                call_id=call_id,
                attempt=attempt,
                action=action,
                method=method,
                path_template=template,
                path=path,
                query=query,
                body_summary=summary,
            )
        except DatabaseError as exc:
            raise AuditUnavailable(detail=type(exc).__name__) from None
        error: TechnowizError | None = None
        try:
            self.breaker.before()
            wire = partial(
                self._exchange, record, method, self._url(path, query), json_body, files, data
            )
            try:
                response, content = self._exchange_during(meanwhile, wire)
            except httpx.HTTPError as exc:
                raise self._failure(action, method, exc=exc) from None
            record.status = response.status_code
            record.response_bytes = len(content)
            record.retry_after = _retry_after(response)
            result = self._interpret(action, method, response.status_code, content, record, parse)
            record.outcome = OK
            return result
        except TechnowizError as exc:
            error = exc
            raise
        finally:
            if error is not None:
                error.audit_id = record.row_id
                error.call_id = str(call_id)
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
                action,
                attempt,
                record.outcome,
                record.status,
            )

    def _exchange(
        self,
        record: audit.AttemptRecord,
        method: str,
        url: httpx.URL,
        json_body: Any,
        files: Mapping[str, Any] | None,
        data: Mapping[str, str] | None,
        sent: threading.Event | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """The wire: a limiter slot, the request, the whole answer. No database, no audit
        (it may run on a pool thread); ``sent`` is set once the request is out."""
        extensions = {}
        if sent is not None:
            extensions["trace"] = sent_tracer(sent)
        try:
            with self.limiter.slot(timeout=self.config.queue_timeout):
                request = self._http.build_request(
                    method, url, json=json_body, files=files, data=data, extensions=extensions
                )
                response = self._http.send(request)
                try:
                    return response, response.read()
                finally:
                    response.close()
        finally:
            record.ended = time.perf_counter()
            if sent is not None:
                sent.set()

    def _exchange_during(
        self, meanwhile: Meanwhile, wire: Callable[..., tuple[httpx.Response, bytes]]
    ) -> tuple[httpx.Response, bytes]:
        """``wire()``, on a pool thread while this thread runs ``meanwhile`` (if any).

        ``meanwhile`` starts once the request is out: while it holds the interpreter, the
        pool thread could not send (it would wait up to a 5 ms switch interval).
        """
        if meanwhile.pending:
            sent = threading.Event()
            future = self._pool.submit(partial(wire, sent=sent))
            if future is not None:
                sent.wait()
                meanwhile.run()
                return future.result()
        return wire()

    def _url(self, path: str, query: Mapping[str, Any]) -> httpx.URL:
        """The absolute URL httpx would build from ``base_url``, ``path`` and ``params``."""
        text = self._url_prefix + path
        if query:
            encoded = str(httpx.QueryParams(query))
            if encoded:
                text += "?" + encoded
        return httpx.URL(text)

    def _interpret(
        self,
        action: str,
        method: str,
        status: int,
        content: bytes,
        record: audit.AttemptRecord,
        parse: Callable[[Any], T],
    ) -> T:
        """Turn a received answer into the typed result, or raise its typed error."""
        try:
            envelope = read_envelope(decode_json(content))
        except UnexpectedResponse as exc:
            if 200 <= status < 300:
                if method != "GET":
                    exc.outcome = UNKNOWN
                raise
            raise self._failure(
                action, method, status=status, detail=exc.detail, retry_after=record.retry_after
            ) from None
        record.platform_code = envelope.code
        if 200 <= status < 300 and envelope.ok:
            try:
                result = parse(envelope.payload)
            except UnexpectedResponse as exc:
                if method != "GET":
                    exc.outcome = UNKNOWN
                raise
            self.breaker.success()
            return result
        raise self._failure(
            action,
            method,
            status=status,
            code=envelope.code if envelope.code != 1000 else None,
            desc=envelope.desc,
            detail=envelope.details,
            retry_after=record.retry_after,
        )

    def _failure(
        self,
        action: str,
        method: str,
        *,
        exc: BaseException | None = None,
        status: int | None = None,
        code: int | None = None,
        desc: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> TechnowizError:
        return error_for(
            action=action,
            method=method,
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
