"""The seeded data: deterministic, realistic, with the traps the pages must survive."""

import time
from collections import Counter

from technowiz.sandbox import SANDBOX_FLOWS, SANDBOX_TEMPLATES, SandboxData
from technowiz.sandbox.catalogue import SANDBOX_FLOW_MESSAGES
from technowiz.sandbox.data import REFERENCE_MS

DAY_MS = 86_400_000


def test_two_builds_are_equal():
    first, second = SandboxData(seed=7, user_count=800), SandboxData(seed=7, user_count=800)
    assert first.users == second.users
    for user in first.users[:50]:
        assert first.conversation(user["user_id"]) == second.conversation(user["user_id"])


def test_another_seed_differs_and_build_is_cached():
    assert SandboxData(seed=8, user_count=300).users != SandboxData(seed=7, user_count=300).users
    assert SandboxData.build(7, 300) is SandboxData.build(7, 300)


def test_build_is_fast():
    started = time.perf_counter()
    data = SandboxData(seed=123, user_count=5000)
    assert time.perf_counter() - started < 1.0
    assert len(data.users) == 5000
    assert len({u["user_id"] for u in data.users}) == 5000


def test_user_shapes(data):
    for user in data.users:
        assert set(user) == {
            "user_id",
            "name",
            "channel",
            "phone_no",
            "email",
            "created_at",
            "last_active_at",
            "attributes",
        }
        assert REFERENCE_MS - 90 * DAY_MS <= user["last_active_at"] < REFERENCE_MS
        assert user["created_at"] < user["last_active_at"]
        assert all(isinstance(v, str) for v in user["attributes"].values())
        if user["channel"] == "whatsapp":
            assert user["phone_no"] == "+" + user["user_id"]
            assert user["user_id"].isdigit() and 8 <= len(user["user_id"]) <= 15
        else:
            assert user["channel"] == "web" and user["phone_no"] is None
            assert user["user_id"].startswith("web-")
    channels = Counter(u["channel"] for u in data.users)
    assert channels["whatsapp"] > channels["web"] > 0


def test_names_in_several_scripts_and_some_markup(data):
    names = [u["name"] for u in data.users]
    assert any(n is None for n in names)
    joined = "".join(n for n in names if n)
    assert any("\u0900" <= ch <= "\u097f" for ch in joined)  # Devanagari
    assert any("\u0600" <= ch <= "\u06ff" for ch in joined)  # Arabic
    assert any("\u4e00" <= ch <= "\u9fff" for ch in joined)  # CJK
    assert any("\u0400" <= ch <= "\u04ff" for ch in joined)  # Cyrillic
    assert "<script>alert(1)</script>" in names
    assert any(n and "<b>" in n for n in names)


def test_rating_skew(data):
    counts = data.rating_counts("feedback")
    total = sum(counts.values())
    assert counts["1"] < counts["2"] < counts["3"] < counts["4"] < counts["5"]
    assert 0.05 < counts["1"] / total < 0.11
    assert 0.35 < counts["5"] / total < 0.45
    without = [u for u in data.users if "feedback" not in u["attributes"]]
    assert 0 < len(without) < 0.05 * len(data.users)


def test_fixed_users(data):
    asha = data.user(data.example_user_id)
    assert asha["name"] == "Asha Rao" and asha["phone_no"] == "+919812345678"
    assert asha["attributes"]["feedback"] == "1"
    web = data.user(data.example_web_user_id)
    assert web["channel"] == "web" and web["name"] is None and web["email"] == "k@example.org"
    assert data.user_by_phone("+919812345678") is asha
    assert data.user("nobody") is None and data.conversation("nobody") == ()


def test_long_conversations(data):
    assert len(data.long_conversation_user_ids) >= 3
    for user_id in data.long_conversation_user_ids:
        messages = data.conversation(user_id)
        assert len(messages) >= 2000
        assert {m["type"] for m in messages} == {
            "TEXT",
            "BUTTONS",
            "IMAGE",
            "TEMPLATE",
            "FEEDBACK",
            "EVENT",
        }
        feedback_at = [i for i, m in enumerate(messages) if m["type"] == "FEEDBACK"]
        assert len(feedback_at) == 1
        assert len(messages) * 0.2 < feedback_at[0] < len(messages) * 0.8


def test_conversations_are_ordered_and_consistent(data):
    lengths = []
    for user in data.users[:400]:
        messages = data.conversation(user["user_id"])
        lengths.append(len(messages))
        stamps = [m["timestamp"] for m in messages]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        ids = [m["message_id"] for m in messages]
        assert ids == [f"m-{i:06d}" for i in range(1, len(ids) + 1)]
        assert stamps[-1] <= user["last_active_at"] + 600_000
        feedback = [m for m in messages if m["type"] == "FEEDBACK"]
        rating = user["attributes"].get("feedback")
        if rating is None:
            assert feedback == []
        else:
            assert feedback[-1]["payload"]["rating"] == int(rating)
            assert feedback[-1]["sender"] == "USER"
        for message in messages:
            assert message["sender"] in {"USER", "BOT", "AGENT"}
            if message["type"] == "BUTTONS":
                assert message["payload"]["options"]
            if message["type"] == "TEMPLATE":
                assert message["payload"]["template_name"]
            if message["sender"] == "AGENT":
                assert message["agent_name"]
    assert sum(5 <= n <= 80 for n in lengths) > 0.9 * len(lengths)


def test_agent_handoffs_exist(data):
    messages = data.conversation(data.long_conversation_user_ids[0])
    events = [m["text"] for m in messages if m["type"] == "EVENT"]
    assert any(text.startswith("Conversation handed to agent ") for text in events)
    assert any(m["sender"] == "AGENT" for m in messages)


def test_markup_user_keeps_pages_honest(data):
    messages = data.conversation(data.markup_user_id)
    texts = [m["text"] or "" for m in messages]
    assert '<script>alert("x")</script>' in texts
    assert any("<b>bold</b>" in t for t in texts)
    urls = [m["payload"]["url"] for m in messages if m["type"] == "IMAGE"]
    assert any(url.startswith("javascript:") for url in urls)
    other_urls = [
        m["payload"]["url"]
        for user_id in data.long_conversation_user_ids
        for m in data.conversation(user_id)
        if m["type"] == "IMAGE"
    ]
    assert other_urls and all(url.startswith("https://") for url in other_urls)


def test_catalogue():
    assert set(SANDBOX_TEMPLATES) >= {"feedback_followup", "apology_offer", "service_update"}
    assert SANDBOX_TEMPLATES["feedback_followup"]["parameters"] == ["name", "rating"]
    assert set(SANDBOX_FLOWS) == set(SANDBOX_FLOW_MESSAGES)
    assert all(m["type"] in {"TEXT", "TEMPLATE"} for m in SANDBOX_FLOW_MESSAGES.values())


def test_large_user_count_copes():
    data = SandboxData(seed=1, user_count=50_000)
    assert len(data.users) == 50_000
