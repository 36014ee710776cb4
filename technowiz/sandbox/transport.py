"""An ``httpx`` transport that answers from a :class:`SandboxApp` in-process.

Use it where a real socket is not needed (tests, a single process)::

    client = httpx.Client(base_url="http://sandbox", transport=SandboxTransport(app))

Latency faults sleep. A latency or stall longer than the request's read timeout
raises ``httpx.ReadTimeout`` after sleeping that timeout (capped by
``max_sleep``, so tests stay fast); a shorter stall raises
``httpx.RemoteProtocolError``, as a dropped connection would.
"""

from __future__ import annotations

import time

import httpx

from technowiz.sandbox.app import SandboxApp
from technowiz.sandbox.protocol import SandboxRequest


class SandboxTransport(httpx.BaseTransport):
    """An ``httpx.BaseTransport`` backed by a sandbox app (thread-safe)."""

    def __init__(self, app: SandboxApp, *, max_sleep: float = 1.0) -> None:
        self.app = app
        self.max_sleep = max_sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Translate, answer, apply latency and stalls."""
        raw_path = request.url.raw_path.decode("ascii")
        path, _, query = raw_path.partition("?")
        sandbox_request = SandboxRequest(
            method=request.method,
            path=path,
            query=query,
            headers=list(request.headers.multi_items()),
            body=request.read(),
        )
        response = self.app.handle(sandbox_request)
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        wait = response.delay_seconds + response.stall_seconds
        if read_timeout is not None and wait > read_timeout:
            time.sleep(min(read_timeout, self.max_sleep))
            raise httpx.ReadTimeout("sandbox: no answer within the read timeout", request=request)
        if response.stall_seconds:
            time.sleep(min(wait, self.max_sleep))
            raise httpx.RemoteProtocolError(
                "sandbox: server disconnected without sending a response", request=request
            )
        if response.delay_seconds:
            time.sleep(response.delay_seconds)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            content=response.body,
            request=request,
        )
