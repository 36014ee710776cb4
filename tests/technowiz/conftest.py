"""Fixtures for the client tests: a fake platform at the transport, never patched methods."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from technowiz.client import ClientConfig, TechnowizClient, reset_client
from technowiz.limits import LocalLimiter
from technowiz.models import OutboundCall

API_KEY = "tw-SECRET-KEY-4f9a2c77e1b3"
CUSTOMER = "61179"
BOT = "bb67e0773bed4c7e"


def ok(payload: Any) -> httpx.Response:
    """A success envelope."""
    return httpx.Response(
        200, json={"status": {"code": 1000, "desc": "SUCCESS"}, "responseObject": payload}
    )


def fail(code: int, desc: str, details: str = "", *, status: int = 400) -> httpx.Response:
    """A documented failure envelope."""
    return httpx.Response(
        status, json={"status": {"code": code, "desc": desc}, "errorDetails": details}
    )


def config(**overrides: Any) -> ClientConfig:
    """A test configuration: fast backoff, no shared limiter, a distinctive key."""
    values: dict[str, Any] = {
        "base_url": "https://api.technowiz.test",
        "api_key": API_KEY,
        "customer_id": CUSTOMER,
        "bot_key": BOT,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "rate_limit": 0,
        "max_concurrency": 16,
        "breaker_failures": 5,
        "breaker_cooldown": 30.0,
        "limiter": "local",
    }
    values.update(overrides)
    return ClientConfig(**values)


class FakePlatform:
    """Answers from a script (a list of responses/exceptions), else from ``default``."""

    def __init__(self, default: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[httpx.Response | Exception | Callable[[httpx.Request], Any]] = []
        self.default = default or (lambda request: ok({"count": 0, "users": []}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        item = self.script.pop(0) if self.script else self.default
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    def json_body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def make_client(platform: FakePlatform) -> Iterator[Callable[..., TechnowizClient]]:
    clients: list[TechnowizClient] = []

    def build(**overrides: Any) -> TechnowizClient:
        cfg = config(**overrides)
        client = TechnowizClient(
            cfg,
            transport=httpx.MockTransport(platform),
            limiter=LocalLimiter(rate=cfg.rate_limit, concurrency=cfg.max_concurrency),
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def platform_client(make_client: Callable[..., TechnowizClient]) -> TechnowizClient:
    return make_client()


@pytest.fixture(autouse=True)
def _fresh_process_client() -> Iterator[None]:
    reset_client()
    yield
    reset_client()


def rows() -> list[OutboundCall]:
    """Every audit row, oldest first."""
    return list(OutboundCall.objects.order_by("id"))


def assert_no_key(row: OutboundCall) -> None:
    """The key appears in no field of the row."""
    for field in row._meta.concrete_fields:
        assert API_KEY not in json.dumps(getattr(row, field.attname), default=str), field.name
