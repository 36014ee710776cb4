"""``manage.py technowiz_sandbox``: serve the built-in Technowiz sandbox over HTTP.

The sandbox answers with the key, customer id and bot key from settings
(``TECHNOWIZ_API_KEY``, ``TECHNOWIZ_CUSTOMER_ID``, ``TECHNOWIZ_BOT_KEY``), so the
dashboard pointed at it (``TECHNOWIZ_SANDBOX_URL``) just works. It binds
127.0.0.1 unless told otherwise and stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from technowiz.sandbox.aftermath import ENV_VAR as AFTERMATH_ENV_VAR
from technowiz.sandbox.aftermath import Aftermath
from technowiz.sandbox.app import SandboxApp
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.faults import ENV_VAR, Faults, FaultSpec
from technowiz.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = "Serve the built-in Technowiz sandbox (a simulator of the platform API) over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, required=True, help="TCP port (0: any free one)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--latency-ms", type=float, default=None, help="latency per answer")
        parser.add_argument(
            "--faults", default=None, help=f"fault spec (default: ${ENV_VAR}), e.g. error_rate=0.1"
        )
        parser.add_argument(
            "--aftermath",
            default=None,
            help=f"what recipients do after a send (default: ${AFTERMATH_ENV_VAR}), "
            "e.g. lost=0.1,reply=0.3,rerate=0.2,rating=4",
        )
        parser.add_argument("--users", type=int, default=5000, help="number of seeded users")
        parser.add_argument("--seed", type=int, default=7, help="seed of the data")
        parser.add_argument(
            "--hostile",
            action="store_true",
            help="serve the hostile users (technowiz/sandbox/hostile.py) before the seeded ones",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        api_key = getattr(settings, "TECHNOWIZ_API_KEY", "")
        if not api_key:
            raise CommandError("TECHNOWIZ_API_KEY is empty: the sandbox needs a key to expect.")
        try:
            faults = self._faults(options["faults"], options["latency_ms"])
            aftermath = (
                Aftermath.from_env()
                if options["aftermath"] is None
                else Aftermath.parse(options["aftermath"])
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["users"] < 0:
            raise CommandError("--users must be >= 0")
        app = SandboxApp(
            api_key=api_key,
            customer_id=str(settings.TECHNOWIZ_CUSTOMER_ID),
            bot_key=str(settings.TECHNOWIZ_BOT_KEY),
            data=SandboxData.build(
                seed=options["seed"], user_count=options["users"], hostile=options["hostile"]
            ),
            faults=faults,
            aftermath=aftermath,
        )
        server = SandboxServer(app, host=options["host"], port=options["port"])
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        self.stdout.write(
            f"Technowiz sandbox listening on {server.url} (key from TECHNOWIZ_API_KEY)"
            + (f", faults: {faults.spec}" if str(faults.spec) else "")
        )
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stdout.write("Technowiz sandbox stopped.")

    @staticmethod
    def _faults(spec: str | None, latency_ms: float | None) -> Faults:
        faults = Faults.from_env() if spec is None else Faults(spec)
        if latency_ms is None:
            return faults
        if latency_ms < 0:
            raise ValueError("--latency-ms must be >= 0")
        base = str(faults.spec)
        combined = f"{base},latency={latency_ms:g}" if base else f"latency={latency_ms:g}"
        return Faults(FaultSpec.parse(combined))
