"""Generating one user's conversation: sessions of messages with realistic timing.

A conversation is a list of *sessions* (a question and its answers, an image, a
template, an agent hand-off, a feedback request). Sessions are spread over the
user's lifetime and the last one ends exactly at ``last_active_at``; within a
session messages are seconds to minutes apart. Timestamps strictly increase.

For a user with a rating attribute there is exactly one FEEDBACK message whose
rating equals it: in the last session for ordinary users, in the middle of a
long conversation.
"""

from __future__ import annotations

import random
from typing import Any

from technowiz.sandbox import pools
from technowiz.sandbox.catalogue import SANDBOX_TEMPLATES, template_text

Message = dict[str, Any]
Session = list[Message]

CDN = "https://cdn.technowiz.example/media"


def _msg(
    sender: str,
    kind: str,
    text: str | None,
    *,
    agent: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Message:
    return {
        "message_id": "",
        "timestamp": 0,
        "sender": sender,
        "type": kind,
        "text": text,
        "agent_name": agent,
        "payload": payload,
    }


def _user_text(rng: random.Random, markup: bool) -> str:
    if (markup and rng.random() < 0.3) or rng.random() < 0.004:
        return rng.choice(pools.MARKUP_TEXTS)
    return rng.choice(pools.USER_OPENERS)


def _bot_text(rng: random.Random) -> str:
    return rng.choice(pools.BOT_REPLIES).replace("{n}", str(rng.randrange(1000, 9999)))


def _session_question(rng: random.Random, markup: bool) -> Session:
    options = list(rng.choice(pools.BUTTON_SETS))
    return [
        _msg("USER", "TEXT", _user_text(rng, markup)),
        _msg("BOT", "BUTTONS", "Sorry to hear that. What next?", payload={"options": options}),
        _msg("USER", "TEXT", rng.choice(options)),
        _msg("BOT", "TEXT", _bot_text(rng)),
    ]


def _session_image(rng: random.Random, markup: bool) -> Session:
    url = f"{CDN}/{rng.getrandbits(40):010x}.jpg"
    if markup:
        url = "javascript:alert(document.cookie)"
    return [
        _msg("USER", "IMAGE", rng.choice([None, "see this", "damaged box"]), payload={"url": url}),
        _msg("BOT", "TEXT", "Thanks for the picture. Let me check."),
    ]


def _session_template(rng: random.Random, user: dict[str, Any]) -> Session:
    name = rng.choice(["service_update", "apology_offer"])
    values = [user["name"] or "there"] if SANDBOX_TEMPLATES[name]["parameters"] else []
    payload = {"template_name": name, "language": "en", "parameters": values}
    return [_msg("BOT", "TEMPLATE", template_text(name, values), payload=payload)]


def _session_agent(rng: random.Random, markup: bool) -> Session:
    agent = rng.choice(pools.AGENTS)
    session = [
        _msg("USER", "TEXT", "can I talk to a human"),
        _msg("BOT", "BUTTONS", "Shall I connect you?", payload={"options": ["Talk to an agent"]}),
        _msg("USER", "TEXT", "Talk to an agent"),
        _msg("BOT", "EVENT", f"Conversation handed to agent {agent}"),
        _msg("AGENT", "TEXT", f"Hi, I am {agent} from support.", agent=agent),
    ]
    for _ in range(rng.randrange(1, 4)):
        session.append(_msg("USER", "TEXT", _user_text(rng, markup)))
        session.append(_msg("AGENT", "TEXT", "I understand. Let me sort this out.", agent=agent))
    session.append(_msg("BOT", "EVENT", f"Agent {agent} closed the conversation"))
    return session


def _session_feedback(rng: random.Random, rating: int) -> Session:
    payload: dict[str, Any] = {"rating": rating}
    if rng.random() < 0.6:
        payload["comment"] = rng.choice(pools.FEEDBACK_COMMENTS[rating])
    stars = [str(n) for n in range(1, 6)]
    return [
        _msg("BOT", "BUTTONS", "How would you rate our help today?", payload={"options": stars}),
        _msg("USER", "FEEDBACK", None, payload=payload),
        _msg("BOT", "TEXT", "Thank you for your feedback!"),
    ]


def _random_sessions(
    rng: random.Random, user: dict[str, Any], target: int, markup: bool
) -> list[Session]:
    sessions: list[Session] = []
    size = 0
    while size < target:
        roll = rng.random()
        if roll < 0.55:
            session = _session_question(rng, markup)
        elif roll < 0.7:
            session = _session_image(rng, markup and rng.random() < 0.5)
        elif roll < 0.8:
            session = _session_template(rng, user)
        else:
            session = _session_agent(rng, markup)
        sessions.append(session)
        size += len(session)
    return sessions


def generate_conversation(
    rng: random.Random, user: dict[str, Any], *, long: bool = False, markup: bool = False
) -> list[Message]:
    """One user's seeded conversation, oldest first, with ids and timestamps set."""
    rating_text = user["attributes"].get("feedback")
    rating = int(rating_text) if rating_text in pools.RATINGS else None
    if long:
        target = rng.randrange(2050, 2600)
    elif rng.random() < 0.85:
        target = rng.randrange(5, 41)
    else:
        target = rng.randrange(41, 81)
    body = target - (3 if rating else 0)
    sessions = _random_sessions(rng, user, max(body, 1), markup)
    if markup:  # make sure the markup user shows every trap at least once
        sessions.insert(0, _session_image(rng, True))
        sessions.insert(0, [_msg("USER", "TEXT", text) for text in pools.MARKUP_TEXTS])
    if rating is not None:
        feedback = _session_feedback(rng, rating)
        if long:
            sessions.insert(len(sessions) // 2, feedback)
        else:
            sessions.append(feedback)
    return _stamp(rng, user, sessions)


def _stamp(rng: random.Random, user: dict[str, Any], sessions: list[Session]) -> list[Message]:
    """Give every message a strictly increasing timestamp and a ``m-NNNNNN`` id."""
    created, last = user["created_at"], user["last_active_at"]
    gaps = [[rng.randrange(2_000, 90_000) for _ in session] for session in sessions]
    last_duration = sum(gaps[-1][1:])
    final_start = max(created, last - last_duration)
    starts = sorted(rng.randrange(created, max(final_start, created + 1)) for _ in sessions[:-1])
    starts.append(final_start)
    messages: list[Message] = []
    previous = created - 1
    for session, session_gaps, start in zip(sessions, gaps, starts, strict=True):
        ts = start
        for index, (message, gap) in enumerate(zip(session, session_gaps, strict=True)):
            if index:
                ts += gap
            ts = max(ts, previous + 1)
            message["timestamp"] = ts
            message["message_id"] = f"m-{len(messages) + 1:06d}"
            messages.append(message)
            previous = ts
    return messages
