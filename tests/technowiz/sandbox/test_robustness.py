"""Whatever arrives, the app answers (no exception, no internal error)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from technowiz.sandbox import SandboxRequest

from .conftest import BASE, BROADCAST, FLOW, KEY, USERS

PATHS = st.sampled_from(
    [
        USERS,
        f"{BASE}/channel-user/919812345678/conversations",
        f"{BASE}/channel-user/%ff/conversations",
        BROADCAST,
        f"{FLOW}/callback_request",
        "/",
        "/bot-api/v1.0/customer//bot//users",
    ]
) | st.text(max_size=40).map(lambda t: "/" + t)
PARAMS = st.sampled_from(
    [
        "attribute_name",
        "attribute_value",
        "start_date",
        "end_date",
        "page_number",
        "page_size",
        "broadcast_id",
    ]
)
VALUES = st.text(max_size=12) | st.integers(-5, 10**15).map(str)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=PATHS,
    query=st.lists(st.tuples(PARAMS, VALUES), max_size=5),
    content_type=st.sampled_from(
        [None, "application/json", "multipart/form-data; boundary=xyz", "multipart/form-data"]
    ),
    body=st.binary(max_size=200),
)
def test_any_request_gets_a_sane_answer(app, method, path, query, content_type, body):
    headers = {"Authorization": f"Basic {KEY}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = app.handle(SandboxRequest(method, path, query, headers, body))
    assert response.status in {200, 400, 403, 404, 405}, response.body
    if response.status in (200, 400) and path.startswith(("/bot-api/", "/whatsapp-api/")):
        assert response.json()["status"]["code"] in {1000, 1001, 1002, 1003, 1004, 2003, 2005}
