"""The built-in Technowiz sandbox: a deterministic simulator of the whole API.

Self-contained (it speaks HTTP only; nothing here imports the client). Two ways
in: :class:`SandboxTransport` (in-process httpx transport) and
:class:`SandboxServer` (a real HTTP server, ``manage.py technowiz_sandbox``).
See ``README.md`` beside this file.
"""

from technowiz.sandbox.aftermath import Aftermath, Fate
from technowiz.sandbox.app import SandboxApp, SandboxStats
from technowiz.sandbox.catalogue import (
    SANDBOX_BOT_WITHOUT_BROADCAST,
    SANDBOX_BOT_WITHOUT_WHATSAPP,
    SANDBOX_FLOW_MESSAGES,
    SANDBOX_FLOWS,
    SANDBOX_TEMPLATES,
)
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.faults import Faults, FaultSpec
from technowiz.sandbox.protocol import SandboxRequest, SandboxResponse
from technowiz.sandbox.server import SandboxServer
from technowiz.sandbox.transport import SandboxTransport

__all__ = [
    "SANDBOX_BOT_WITHOUT_BROADCAST",
    "SANDBOX_BOT_WITHOUT_WHATSAPP",
    "SANDBOX_FLOWS",
    "SANDBOX_FLOW_MESSAGES",
    "SANDBOX_TEMPLATES",
    "Aftermath",
    "Fate",
    "FaultSpec",
    "Faults",
    "SandboxApp",
    "SandboxData",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "SandboxStats",
    "SandboxTransport",
]
