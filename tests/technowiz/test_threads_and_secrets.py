"""Across threads: every request the platform received has exactly one audit row;
the API key appears in no row and no log line; the factory's in-process sandbox."""

from __future__ import annotations

import contextvars
import logging
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from technowiz import errors
from technowiz.client import TechnowizClient, get_client, inprocess_sandbox
from technowiz.context import Actor, acting_as
from technowiz.limits import LocalLimiter
from technowiz.models import OutboundCall
from technowiz.sandbox.app import SandboxApp
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.faults import Faults
from technowiz.sandbox.server import SandboxServer

from .conftest import API_KEY, BOT, CUSTOMER, config

pytestmark = pytest.mark.server


def _one_call(platform_client: TechnowizClient, i: int, phones: list[str]) -> str:
    try:
        kind = i % 4
        if kind == 0:
            platform_client.users_by_attribute("feedback", str(1 + i % 5))
        elif kind == 1:
            platform_client.conversation(
                SandboxData.build().example_user_id, page=1 + i % 3, page_size=20
            )
        elif kind == 2:
            platform_client.trigger_flow("callback_request", phone=phones[i % len(phones)])
        else:
            platform_client.conversation("nobody-" + str(i))  # 1002
        return "ok"
    except errors.TechnowizError as exc:
        return type(exc).__name__
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_received_equal_rows_written(caplog):
    caplog.set_level(logging.DEBUG)
    faults = Faults("error_rate=0.1,throttle_rate=0.03,retry_after=0,seed=5")
    app = SandboxApp(api_key=API_KEY, customer_id=CUSTOMER, bot_key=BOT, faults=faults)
    phones = [u["phone_no"] for u in SandboxData.build().users if u["phone_no"]][:20]
    with SandboxServer(app) as server:
        client = TechnowizClient(
            config(base_url=server.url, breaker_failures=10_000),
            limiter=LocalLimiter(rate=0, concurrency=8),
        )
        actor = Actor(user_id=None, username="maya", origin="job:77")
        with acting_as(actor), ThreadPoolExecutor(max_workers=8) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, _one_call, client, i, phones)
                for i in range(240)
            ]
            results = [f.result() for f in futures]
        client.close()
        received = app.stats.requests
    assert results.count("ok") > 100
    assert received == OutboundCall.objects.count() >= 240
    assert not OutboundCall.objects.filter(outcome="pending").exists()
    assert set(OutboundCall.objects.values_list("origin", flat=True)) == {"job:77"}
    # Retries happened (error_rate), and each attempt has its own row.
    assert OutboundCall.objects.filter(attempt__gt=0).exists()
    # The key is nowhere: not in rows, not in any log line.
    for values in OutboundCall.objects.values():
        assert API_KEY not in str(values)
    assert API_KEY not in caplog.text
    assert all(API_KEY not in str(record.args) for record in caplog.records)


@pytest.mark.django_db
def test_key_in_no_log_line_on_failures(caplog, make_client, platform):
    import httpx

    caplog.set_level(logging.DEBUG)
    client = make_client()
    platform.script += [
        httpx.Response(401, text=f"bad key {API_KEY}"),
        httpx.Response(400, json={"status": {"code": 1001, "desc": API_KEY}}),
        httpx.ReadTimeout(API_KEY),
    ]
    for _ in range(3):
        with pytest.raises(errors.TechnowizError) as info:
            client.users_by_attribute("feedback", "1")
        assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
    assert API_KEY not in caplog.text
    for values in OutboundCall.objects.values():
        assert API_KEY not in str(values)


@pytest.mark.django_db
def test_factory_uses_inprocess_sandbox(settings):
    settings.TECHNOWIZ_BASE_URL = ""
    settings.TECHNOWIZ_SANDBOX_URL = ""
    settings.TECHNOWIZ_API_KEY = "sandbox-key"
    client = get_client()
    users = client.users_by_attribute(settings.TECHNOWIZ_RATING_ATTRIBUTE, "1")
    assert users and inprocess_sandbox().stats.requests == 1
    assert OutboundCall.objects.get().outcome == "ok"


@pytest.mark.django_db
def test_factory_uses_sandbox_server(settings):
    app = SandboxApp(api_key="srv-key", customer_id=CUSTOMER, bot_key=BOT, faults=Faults())
    with SandboxServer(app) as server:
        settings.TECHNOWIZ_BASE_URL = ""
        settings.TECHNOWIZ_SANDBOX_URL = server.url
        settings.TECHNOWIZ_API_KEY = "srv-key"
        settings.TECHNOWIZ_CUSTOMER_ID = CUSTOMER
        settings.TECHNOWIZ_BOT_KEY = BOT
        assert get_client().config.base_url == server.url
        get_client().users_by_attribute("feedback", str(random.randint(1, 5)))
        assert app.stats.requests == 1
