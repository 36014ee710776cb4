"""The platform key appears on no page, whatever happens."""

import pytest

from technowiz.models import OutboundCall
from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS

KEY = "tw-PAGE-KEY-7d1e4b90c2aa"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fault", ["", "revoked", "status=503", "malformed", "html500"])
def test_no_page_shows_the_key(admin_client_, settings, sandbox, fault):
    from technowiz.client import reset_client

    settings.TECHNOWIZ_API_KEY = KEY
    reset_client()
    pages = [
        "/",
        "/users/?preset=1",
        f"/users/{LONG_CONVERSATION_USER_IDS[0]}/conversation/",
        f"/users/{LONG_CONVERSATION_USER_IDS[0]}/conversation/rating/",
        "/team/",
        "/team/admin/",
    ]
    for url in pages:
        if fault:
            from technowiz.client import inprocess_sandbox

            inprocess_sandbox().faults.push(fault)
        response = admin_client_.get(url, follow=True)
        assert response.status_code == 200, url
        assert KEY not in response.content.decode(), url
    assert OutboundCall.objects.exists()
    for row in OutboundCall.objects.all():
        assert KEY not in repr(row.__dict__)
