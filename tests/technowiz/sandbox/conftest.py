"""Fixtures: a fresh sandbox app (no faults, fixed clock) and an httpx client on it."""

from collections.abc import Iterator

import httpx
import pytest

from technowiz.sandbox import Faults, SandboxApp, SandboxData, SandboxTransport

from ..conftest import BOT, CUSTOMER

KEY = "test-key"
BASE = f"/bot-api/v1.0/customer/{CUSTOMER}/bot/{BOT}"
USERS = f"{BASE}/users"
BROADCAST = f"/whatsapp-api/v1.0/customer/{CUSTOMER}/bot/{BOT}/external/broadcast"
FLOW = f"/bot-api/v2.0/customer/{CUSTOMER}/bot/{BOT}/flow"
#: 2026-11-25T00:00Z: after the seeded data's reference time.
NOW = 1_795_564_800.0
FEEDBACK_1 = {"attribute_name": "feedback", "attribute_value": "1"}


def conversations_path(user_id: str) -> str:
    return f"{BASE}/channel-user/{user_id}/conversations"


@pytest.fixture
def data() -> SandboxData:
    return SandboxData.build(seed=7, user_count=5000)


def sandbox_app(data: SandboxData) -> SandboxApp:
    """A sandbox on ``data`` with no faults and the clock stopped at ``NOW``."""
    return SandboxApp(
        api_key=KEY,
        customer_id=CUSTOMER,
        bot_key=BOT,
        data=data,
        faults=Faults(),
        clock=lambda: NOW,
    )


def sandbox_http(app: SandboxApp) -> httpx.Client:
    """An httpx client speaking to ``app`` in-process, with the key."""
    return httpx.Client(
        base_url="http://sandbox",
        transport=SandboxTransport(app, max_sleep=0.2),
        headers={"Authorization": f"Basic {KEY}"},
        timeout=httpx.Timeout(5.0),
    )


@pytest.fixture
def app(data: SandboxData) -> SandboxApp:
    return sandbox_app(data)


@pytest.fixture
def sandbox_client(app: SandboxApp) -> Iterator[httpx.Client]:
    with sandbox_http(app) as http:
        yield http


def status_code(response: httpx.Response) -> int:
    """The platform's status.code of a JSON answer."""
    return response.json()["status"]["code"]
