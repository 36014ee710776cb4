"""The sandbox platform's fixed catalogue: approved templates, flows, special bots.

These constants are part of the sandbox's public surface: the dashboard's demo
seed offers exactly these templates and flows, and tests use the special bot
keys to provoke the broadcast failures that only a misconfigured bot produces.
"""

from typing import Any, Final

#: Approved WhatsApp templates: name -> language, ordered body parameters and the
#: text the phone shows (``{{1}}``, ``{{2}}`` ... are the body parameters).
SANDBOX_TEMPLATES: Final[dict[str, dict[str, Any]]] = {
    "feedback_followup": {
        "language": "en",
        "parameters": ["name", "rating"],
        "text": "Hi {{1}}, you rated us {{2}} stars. We are sorry, and we want to make it right.",
    },
    "apology_offer": {
        "language": "en",
        "parameters": ["name"],
        "text": "Hi {{1}}, sorry for the trouble. Here is 20% off your next order: SORRY20.",
    },
    "service_update": {
        "language": "en",
        "parameters": [],
        "text": "Our service is back to normal. Thank you for your patience.",
    },
}

#: Automation flows that the API Trigger can start: flow key -> label.
SANDBOX_FLOWS: Final[dict[str, str]] = {
    "callback_request": "Call-back request",
    "create_ticket": "Support ticket",
    "email_followup": "E-mail follow-up",
}

#: The first BOT message each flow adds to the user's conversation when triggered.
SANDBOX_FLOW_MESSAGES: Final[dict[str, dict[str, Any]]] = {
    "callback_request": {
        "type": "TEXT",
        "text": "Thanks! One of our agents will call you back within 2 hours.",
        "payload": {"flow_key": "callback_request"},
    },
    "create_ticket": {
        "type": "TEMPLATE",
        "text": "We have opened a support ticket for you. We will update you here.",
        "payload": {"template_name": "ticket_created", "flow_key": "create_ticket"},
    },
    "email_followup": {
        "type": "TEXT",
        "text": "We have e-mailed you a summary of your case.",
        "payload": {"flow_key": "email_followup"},
    },
}

#: A known bot whose WhatsApp provider is not configured: broadcasts answer 400 / 2004.
SANDBOX_BOT_WITHOUT_WHATSAPP: Final = "sandbox-bot-no-whatsapp"
#: A known bot whose plan lacks the broadcast feature: broadcasts answer 403.
SANDBOX_BOT_WITHOUT_BROADCAST: Final = "sandbox-bot-no-broadcast"


def template_text(template_name: str, values: list[str]) -> str:
    """The text a template shows once its ``{{n}}`` placeholders are filled."""
    text = str(SANDBOX_TEMPLATES.get(template_name, {}).get("text", template_name))
    for index, value in enumerate(values, start=1):
        text = text.replace("{{" + str(index) + "}}", value)
    return text
