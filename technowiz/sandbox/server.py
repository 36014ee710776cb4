"""The sandbox over real HTTP: a small threaded HTTP/1.1 server.

``SandboxServer(app).start()`` serves in a background thread on 127.0.0.1 and a
free port (``port=0``); ``.url`` says where. Keep-alive connections, exact
``Content-Length``, one write per response and ``TCP_NODELAY`` keep it fast
enough for benchmarks. It never logs (so never logs an Authorization header).
A stall fault waits, then drops the connection without an answer; ``stop()``
ends waiting stalls and latencies at once.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from technowiz.sandbox.app import SandboxApp
from technowiz.sandbox.protocol import SandboxRequest, SandboxResponse

MAX_BODY_BYTES = 16 * 1024 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that went away is normal; nothing about the request is printed."""

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection is closed after this
    server: _HTTPServer
    server_version = "technowiz-sandbox"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: nothing is logged, so no header can leak."""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        request = SandboxRequest(self.command, path, query, list(self.headers.items()), body)
        response = self.server.app.handle(request)
        stopping = self.server.stopping
        if response.delay_seconds and stopping.wait(response.delay_seconds):
            self._drop()
            return
        if response.stall_seconds:
            stopping.wait(response.stall_seconds)
            self._drop()
            return
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._write(SandboxResponse(413, {"Content-Type": "text/plain"}, b"Too large\n"))
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self.close_connection = True
                self._write(SandboxResponse(400, {"Content-Type": "text/plain"}, b"Bad chunk\n"))
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                self._write(SandboxResponse(413, {"Content-Type": "text/plain"}, b"Too large\n"))
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: SandboxResponse) -> None:
        status = response.status
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {status} {phrase}", f"Server: {self.server_version}"]
        lines += [f"{key}: {value}" for key, value in response.headers.items()]
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        payload = head if self.command == "HEAD" else head + response.body
        try:
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """Serve a :class:`SandboxApp` over HTTP in a background thread.

    Use as a context manager, or ``start()`` / ``stop()``. Binds 127.0.0.1 by
    default; ``port=0`` picks a free port (see ``.port`` and ``.url``).
    """

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after ``start()``)."""
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self._requested_port), self.app)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"technowiz-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled handlers, close the socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
