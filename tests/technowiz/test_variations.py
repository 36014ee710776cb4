"""Every "Variation seen in the real platform" of TECHNOWIZ_API.md, one test each."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from technowiz.errors import UnexpectedResponse

from .conftest import ok

pytestmark = pytest.mark.django_db


def conversation(messages, **extra):
    return ok(
        {
            "user_id": "919812345678",
            "page_number": 1,
            "page_size": 50,
            **extra,
            "messages": messages,
        }
    )


def msg(**fields):
    base = {
        "message_id": "m-1",
        "timestamp": 1763000000000,
        "sender": "USER",
        "type": "TEXT",
        "text": "hi",
    }
    base.update(fields)
    return base


def test_status_message_instead_of_desc(platform_client, platform):
    platform.script.append(
        httpx.Response(
            400, json={"status": {"code": 1001, "message": "INVALID_INPUT"}, "errorDetails": "x"}
        )
    )
    with pytest.raises(Exception) as info:
        platform_client.users_by_attribute("feedback", "1")
    assert info.value.code == 1001
    assert "INVALID_INPUT" in info.value.detail


def test_success_status_message_instead_of_desc(platform_client, platform):
    platform.script.append(
        httpx.Response(
            200,
            json={"status": {"code": 1000, "message": "SUCCESS"}, "responseObject": {"users": []}},
        )
    )
    assert platform_client.users_by_attribute("feedback", "1") == []


def test_conversations_key_instead_of_messages(platform_client, platform):
    platform.script.append(
        ok(
            {
                "user_id": "u1",
                "page_number": 1,
                "page_size": 50,
                "total_records": 1,
                "total_pages": 1,
                "conversations": [msg()],
            }
        )
    )
    page = platform_client.conversation("u1", page_size=50)
    assert [m.message_id for m in page.messages] == ["m-1"]


def test_missing_totals_short_page_is_last(platform_client, platform):
    platform.script.append(conversation([msg(), msg(message_id="m-2")]))
    page = platform_client.conversation("919812345678", page_size=50)
    assert page.total_records is None and page.total_pages is None
    assert page.has_next is False


def test_missing_totals_full_page_has_next(platform_client, platform):
    platform.script.append(ok({"messages": [msg(message_id=f"m-{i}") for i in range(3)]}))
    page = platform_client.conversation("u1", page_size=3)
    assert page.has_next is True
    assert page.user_id == "u1" and page.page == 1 and page.page_size == 3


def test_message_type_and_response_keys(platform_client, platform):
    platform.script.append(
        conversation(
            [
                {
                    "message_id": "m-9",
                    "timestamp": 1763000000000,
                    "sender": "BOT",
                    "message_type": "buttons",
                    "response": "What next?",
                }
            ]
        )
    )
    message = platform_client.conversation("919812345678").messages[0]
    assert message.type == "BUTTONS" and message.text == "What next?"


@pytest.mark.parametrize("raw,expected", [("bot", "BOT"), ("user", "USER"), ("agent", "AGENT")])
def test_lower_case_sender(platform_client, platform, raw, expected):
    platform.script.append(conversation([msg(sender=raw)]))
    assert platform_client.conversation("919812345678").messages[0].sender == expected


def test_iso_timestamp_with_offset(platform_client, platform):
    platform.script.append(conversation([msg(timestamp="2025-08-12 10:11:12.123456+0530")]))
    stamp = platform_client.conversation("919812345678").messages[0].timestamp
    assert stamp == datetime(2025, 8, 12, 4, 41, 12, 123456, tzinfo=UTC)
    assert stamp.tzinfo is UTC


def test_iso_timestamp_with_slashes(platform_client, platform):
    platform.script.append(conversation([msg(timestamp="2025/08/12 10:11:12.123456+0530")]))
    stamp = platform_client.conversation("919812345678").messages[0].timestamp
    assert stamp == datetime(2025, 8, 12, 4, 41, 12, 123456, tzinfo=UTC)


def test_epoch_ms_timestamp_is_aware_utc(platform_client, platform):
    platform.script.append(conversation([msg(timestamp=1763000000000)]))
    stamp = platform_client.conversation("919812345678").messages[0].timestamp
    assert stamp == datetime.fromtimestamp(1763000000, tz=UTC)


@pytest.mark.parametrize(
    "kind", ["OPTIONS", "FILE_RECEIVED", "AGENT_PARTICIPATION_STATUS", "VIDEO", "AUDIO", "DOCUMENT"]
)
def test_other_types_with_file_object(platform_client, platform, kind):
    platform.script.append(
        conversation(
            [
                msg(
                    type=kind,
                    text=None,
                    file={"url": "https://cdn.example/f.pdf", "mimeType": "application/pdf"},
                )
            ]
        )
    )
    message = platform_client.conversation("919812345678").messages[0]
    assert message.type == kind and message.is_known_type
    assert message.file_url == "https://cdn.example/f.pdf"
    assert message.file_mime == "application/pdf"


def test_unknown_type_is_plain_text(platform_client, platform):
    platform.script.append(conversation([msg(type="carousel_v2", text="<b>pick one</b>")]))
    message = platform_client.conversation("919812345678").messages[0]
    assert message.type == "CAROUSEL_V2" and not message.is_known_type
    assert message.text == "<b>pick one</b>"


def test_extra_keys_ignored(platform_client, platform):
    platform.script.append(
        ok(
            {
                "count": 1,
                "users": [
                    {
                        "user_id": "919812345678",
                        "name": "Asha",
                        "channel": "whatsapp",
                        "phone_no": "+919812345678",
                        "email": None,
                        "created_at": 1761955200000,
                        "last_active_at": 1763700000000,
                        "attributes": {"feedback": "1"},
                        "brand_new_field": {"x": 1},
                    }
                ],
                "next_cursor": "zzz",
            },
        )
    )
    [user] = platform_client.users_by_attribute("feedback", "1")
    assert user.user_id == "919812345678" and user.can_receive_whatsapp
    assert user.attributes == {"feedback": "1"}


def test_whatsapp_user_id_is_phone_digits(platform_client, platform):
    platform.script.append(conversation([msg()]))
    platform_client.conversation("919812345678")
    assert platform.requests[0].url.path.endswith("/channel-user/919812345678/conversations")


def test_missing_required_key_is_typed_error(platform_client, platform):
    platform.script.append(conversation([{"message_id": "m-1", "sender": "USER"}]))
    with pytest.raises(UnexpectedResponse):
        platform_client.conversation("919812345678")


def test_empty_timestamp_is_typed_error_not_a_crash(platform_client, platform):
    platform.script.append(conversation([msg(timestamp="")]))
    with pytest.raises(UnexpectedResponse) as caught:
        platform_client.conversation("919812345678")
    assert caught.value.detail == "message without a timestamp"


@pytest.mark.parametrize(
    "stamp",
    [
        10**20,
        -(10**20),
        1e300,
        "99999999999999999999",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T12:00:00Z",  # fine in UTC, but year 10000 in Asia/Kolkata
        253_402_300_000_000,
        "0001-01-01T10:00:00Z",  # year 0 in America/New_York
    ],
)
def test_a_timestamp_out_of_range_is_a_typed_error(platform_client, platform, stamp):
    platform.script.append(conversation([msg(timestamp=stamp)]))
    with pytest.raises(UnexpectedResponse) as caught:
        platform_client.conversation("919812345678")
    assert caught.value.detail == "timestamp out of range"


def test_a_superscript_digit_is_a_typed_error_not_a_crash(platform_client, platform):
    platform.script.append(conversation([msg(timestamp="²")]))
    with pytest.raises(UnexpectedResponse) as caught:
        platform_client.conversation("919812345678")
    assert caught.value.detail == "unreadable timestamp '²'"
