"""The four platform endpoints, as a mixin of :class:`~technowiz.sandbox.app.SandboxApp`.

Each handler gets the request and the decoded path parameters and returns a
:class:`SandboxResponse`. Broadcasts and flow triggers change state: they
append BOT messages to the recipients' conversations and are recorded.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
from collections.abc import Callable
from typing import Any

from technowiz.sandbox.aftermath import Aftermath
from technowiz.sandbox.broadcast import E164, parse_broadcast
from technowiz.sandbox.catalogue import (
    SANDBOX_BOT_WITHOUT_BROADCAST,
    SANDBOX_BOT_WITHOUT_WHATSAPP,
    SANDBOX_FLOW_MESSAGES,
    template_text,
)
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.protocol import (
    SandboxRequest,
    SandboxResponse,
    dumps,
    error,
    json_response,
    success,
    success_bytes,
    text,
)

MAX_PAGE_SIZE = 500
RATING_ATTRIBUTE = "feedback"  # the attribute a scripted new rating changes
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_SPECIAL_BOTS = (SANDBOX_BOT_WITHOUT_WHATSAPP, SANDBOX_BOT_WITHOUT_BROADCAST)


class EndpointsMixin:
    """Endpoint handlers; the state they use is set up by ``SandboxApp``."""

    customer_id: str
    bot_key: str
    data: SandboxData
    clock: Callable[[], float]
    _lock: threading.RLock
    _appended: dict[str, list[dict[str, Any]]]
    _users_cache: dict[tuple[str, str], bytes]
    _broadcasts: list[dict[str, Any]]
    _triggers: list[dict[str, Any]]
    _fates: list[dict[str, Any]]
    _ratings: dict[str, tuple[str, int]]
    aftermath: Aftermath

    def _known(self, customer_id: str, bot_key: str) -> bool:
        return customer_id == self.customer_id and (
            bot_key == self.bot_key or bot_key in _SPECIAL_BOTS
        )

    # --- 1. users ---------------------------------------------------------

    def _users(self, request: SandboxRequest, customer_id: str, bot_key: str) -> SandboxResponse:
        if not self._known(customer_id, bot_key):
            return error(1002, "unknown customer id or bot key")
        name, value = request.param("attribute_name"), request.param("attribute_value")
        if not name or not value:
            return error(1001, "attribute_name and attribute_value are required")
        key = (name, value)
        with self._lock:
            encoded = self._users_cache.get(key)
            rerated = dict(self._ratings) if name == RATING_ATTRIBUTE else {}
        if rerated:
            users = self._users_rerated(name, value, rerated)
            return success_bytes(dumps({"count": len(users), "users": users}))
        if encoded is None:
            users = self.data.users_matching(name, value)
            encoded = dumps({"count": len(users), "users": users})
            with self._lock:
                if len(self._users_cache) > 256:
                    self._users_cache.clear()
                self._users_cache[key] = encoded
        return success_bytes(encoded)

    def _users_rerated(
        self, name: str, value: str, rerated: dict[str, tuple[str, int]]
    ) -> list[dict[str, Any]]:
        """The users matching, with the scripted new ratings that show by now."""
        now = int(self.clock() * 1000)
        changed = {uid: (new, at) for uid, (new, at) in rerated.items() if at <= now}
        users = [u for u in self.data.users_matching(name, value) if u["user_id"] not in changed]
        for user_id, (new, at) in changed.items():
            user = self.data.user(user_id)
            if new == value and user is not None:
                attributes = {**user["attributes"], name: new}
                last_active = max(user["last_active_at"], at)
                users.append({**user, "attributes": attributes, "last_active_at": last_active})
        users.sort(key=lambda u: (-u["last_active_at"], u["user_id"]))
        return users

    # --- 2. conversations ---------------------------------------------------

    def _conversations(
        self, request: SandboxRequest, customer_id: str, bot_key: str, user_id: str
    ) -> SandboxResponse:
        if not self._known(customer_id, bot_key):
            return error(1002, "unknown customer id or bot key")
        start, end = request.param("start_date"), request.param("end_date")
        if (start is not None and not _DIGITS.fullmatch(start)) or (
            end is not None and not _DIGITS.fullmatch(end)
        ):
            return error(1003, "start_date and end_date must be non-negative integers (UTC ms)")
        if start is not None and end is not None and int(end) <= int(start):
            return error(1003, "end_date must be after start_date")
        page_text, size_text = request.param("page_number"), request.param("page_size")
        if page_text is not None and (not _DIGITS.fullmatch(page_text) or int(page_text) < 1):
            return error(1004, "page_number must be an integer >= 1")
        if size_text is not None and (not _DIGITS.fullmatch(size_text) or int(size_text) < 1):
            return error(1001, "page_size must be an integer >= 1")
        page = int(page_text) if page_text is not None else 1
        size = min(int(size_text), MAX_PAGE_SIZE) if size_text is not None else MAX_PAGE_SIZE
        if self.data.user(user_id) is None:
            return error(1002, "unknown user id")
        messages = self._messages(user_id)
        stamps = [m["timestamp"] for m in messages]
        low = bisect.bisect_left(stamps, int(start)) if start is not None else 0
        high = bisect.bisect_left(stamps, int(end)) if end is not None else len(messages)
        total = max(high - low, 0)
        first = low + (page - 1) * size
        window = messages[first : min(first + size, high)] if first < high else []
        return success(
            {
                "user_id": user_id,
                "page_number": page,
                "page_size": size,
                "total_records": total,
                "total_pages": math.ceil(total / size),
                "messages": window,
            }
        )

    def _messages(self, user_id: str) -> list[dict[str, Any]]:
        """Seeded plus appended messages of a user, oldest first."""
        base = self.data.conversation(user_id)
        with self._lock:
            extra = list(self._appended.get(user_id, ()))
        if extra and self._fates:  # scripted replies and ratings show once their time has come
            now = int(self.clock() * 1000)
            extra = [m for m in extra if m["sender"] == "BOT" or m["timestamp"] <= now]
        return [*base, *extra]

    def _append(self, user_id: str, message: dict[str, Any], *, at: int | None = None) -> int:
        """Append a message to a seeded user's conversation (call with the lock held);
        stamped now (or at epoch ms ``at``), never before the previous one. Returns the stamp."""
        base = self.data.conversation(user_id)
        extra = self._appended.setdefault(user_id, [])
        previous = extra[-1]["timestamp"] if extra else (base[-1]["timestamp"] if base else 0)
        stamp = max(int(self.clock() * 1000) if at is None else at, previous + 1)
        extra.append(
            {
                "message_id": f"m-{len(base) + len(extra) + 1:06d}",
                "timestamp": stamp,
                "sender": "BOT",
                "agent_name": None,
                **message,
            }
        )
        return stamp

    def _delivered(self, user_id: str, send: str, message: dict[str, Any]) -> None:
        """A sent template or flow message reaching ``user_id``, then what the aftermath
        script makes of it: lost on the way, a reply, a new rating (lock held)."""
        if not self.aftermath.scripted:
            self._append(user_id, message)
            return
        fate = self.aftermath.fate(user_id, send)
        self._fates.append(
            {
                "user_id": user_id,
                "send": send,
                "lost": fate.lost,
                "replied": fate.replied,
                "rerated": fate.rerated,
            }
        )
        if fate.lost:
            return
        sent = self._append(user_id, message)
        later = sent + int(self.aftermath.after * 1000)
        if fate.replied:
            reply = {
                "sender": "USER",
                "type": "TEXT",
                "text": "Thanks, that helps.",
                "payload": None,
            }
            later = self._append(user_id, reply, at=later)
        if fate.rerated is not None:
            rating = {
                "sender": "USER",
                "type": "FEEDBACK",
                "text": None,
                "payload": {"rating": fate.rerated, "comment": "better now"},
            }
            rated_at = self._append(user_id, rating, at=later)
            self._ratings[user_id] = (str(fate.rerated), rated_at)

    # --- 3. broadcast -------------------------------------------------------

    def _broadcast(
        self, request: SandboxRequest, customer_id: str, bot_key: str
    ) -> SandboxResponse:
        if customer_id != self.customer_id:
            return error(1002, "unknown customer id")
        if bot_key == SANDBOX_BOT_WITHOUT_WHATSAPP:
            return error(2004, "no WhatsApp provider is configured for this bot")
        if bot_key == SANDBOX_BOT_WITHOUT_BROADCAST:
            return json_response(
                403,
                {
                    "status": {"code": 403, "desc": "FORBIDDEN"},
                    "errorDetails": "broadcasts are not on this plan",
                },
            )
        if bot_key != self.bot_key:
            return error(2003, "no bot with this key")
        plan = parse_broadcast(request)
        if isinstance(plan, SandboxResponse):
            return plan
        recipients = []
        for _row, phone, values in plan.accepted:
            user = self.data.user_by_phone(phone)
            if user is not None:
                self.data.conversation(user["user_id"])  # generate outside the lock
                recipients.append((user["user_id"], values))
        with self._lock:
            self._broadcasts.append(
                {
                    "broadcast_id": plan.broadcast_id,
                    "template_name": plan.template_name,
                    "language": plan.language,
                    "accepted_count": len(plan.accepted),
                    "rejected_count": len(plan.rejected),
                    "phone_numbers": [phone for _row, phone, _values in plan.accepted],
                    "parameters": [list(values) for _row, _phone, values in plan.accepted],
                    "received_at": int(self.clock() * 1000),
                }
            )
            for user_id, values in recipients:
                self._delivered(
                    user_id,
                    plan.broadcast_id,
                    {
                        "type": "TEMPLATE",
                        "text": template_text(plan.template_name, values),
                        "payload": {
                            "template_name": plan.template_name,
                            "broadcast_id": plan.broadcast_id,
                            "language": plan.language,
                            "parameters": values,
                        },
                    },
                )
        return success(
            {
                "broadcast_id": plan.broadcast_id,
                "accepted_count": len(plan.accepted),
                "rejected": plan.rejected,
            }
        )

    # --- 4. flow trigger ------------------------------------------------------

    def _flow(
        self, request: SandboxRequest, customer_id: str, bot_key: str, flow_key: str
    ) -> SandboxResponse:
        if not self._known(customer_id, bot_key):
            return error(1002, "unknown customer id or bot key")
        if flow_key not in SANDBOX_FLOW_MESSAGES:
            return text(404, "Flow not found\n")
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return error(1001, "the body must be a JSON object")
        if not isinstance(body, dict):
            return error(1001, "the body must be a JSON object")
        phone = body.get("user.phone_no")
        if not isinstance(phone, str) or not E164.fullmatch(phone):
            return error(1001, "user.phone_no is required, in E.164 form (+ and 8-15 digits)")
        user = self.data.user_by_phone(phone)
        if user is not None:
            self.data.conversation(user["user_id"])
        with self._lock:
            self._triggers.append(
                {
                    "flow_key": flow_key,
                    "phone_no": phone,
                    "body": body,
                    "received_at": int(self.clock() * 1000),
                }
            )
            if user is not None:
                first = SANDBOX_FLOW_MESSAGES[flow_key]
                self._delivered(
                    user["user_id"],
                    flow_key,
                    {
                        "type": first["type"],
                        "text": first["text"],
                        "payload": dict(first["payload"]),
                    },
                )
        return success(True)
