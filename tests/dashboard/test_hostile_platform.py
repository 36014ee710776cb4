"""A hostile platform, through every page and every export: no 500, nothing that could run,
no formula in any cell.

The platform is the sandbox serving only its hostile users (``hostile_platform``,
technowiz/sandbox/hostile.py): formulas, markup, ``javascript:``/``data:`` URLs, dot
segments, NUL and control characters, 10 KB strings, RTL overrides and lone surrogates in
every name, id, attribute and message. Each page is read as a browser would read it
(``ParsedHtml``): the only scripts are the site's own files, no element has an event
handler or a script URL, no element of the attacks' kinds exists, and no NUL is sent
(unless the request itself sent one: a form shows back what was typed, and refuses it).
Each CSV is read as a spreadsheet would read it: no cell starts a formula.

What a person can send back (a search, a filter, a tick) is what the pages show: the
users as the client parses them (``SHOWN``).
"""

import csv
import io
import json
import re
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import pytest
from django.urls import reverse

from dashboard.models import Flow, Recipient, Run, WhatsAppTemplate
from dashboard.selectors.users import SORTS
from technowiz.models import OutboundCall
from technowiz.parsing import decode_json, parse_users
from technowiz.sandbox.data import SandboxData
from technowiz.sandbox.hostile import (
    HOSTILE_ATTRIBUTE,
    HOSTILE_PAYLOADS,
    HOSTILE_USER_COUNT,
    HOSTILE_VALUE,
)
from technowiz.sandbox.protocol import dumps
from tests.dashboard.parsed_html import ParsedHtml

pytestmark = pytest.mark.django_db

HOSTILE = SandboxData.build(user_count=0, hostile=True)
SHOWN = parse_users(decode_json(dumps({"users": list(HOSTILE.users)})))
USERS = reverse("dashboard:users_list")
SELECT = reverse("dashboard:users_select")
EXPORT = reverse("dashboard:users_export")
HTMX = {"HTTP_HX_REQUEST": "true"}
FILTERS = [
    {"preset": "1"},
    {"preset": "1-2"},
    {"attribute": HOSTILE_ATTRIBUTE, "value": HOSTILE_VALUE},
]
#: Every hostile user (the quick filters miss the four whose rating is hostile).
EVERYONE = FILTERS[2]
FOLLOWUP_BODY = "Hi {{1}}, you rated us {{2}} stars. We are sorry, and we want to make it right."

# --- what a page and a file may hold ---------------------------------------------------------

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-push-url"}
_FORBIDDEN_TAGS = {"img", "iframe", "object", "embed", "frame", "base", "textarea"}
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d .]*")


def _scheme(url: str) -> str:
    """The scheme a browser reads: tabs and newlines dropped, controls and spaces trimmed."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(33)))).lower()
    return cleaned.partition(":")[0] if re.match(r"^[a-z][a-z0-9+.-]*:", cleaned) else ""


def _own_note_field(tag: str, attrs: dict) -> bool:
    """The queue panel's own note box (the one textarea of ours)."""
    return tag == "textarea" and attrs.get("id") == "id_text" and attrs.get("name") == "text"


def assert_inert(html: str, where: str = "", *, sent_nul: bool = False) -> None:
    """Nothing the platform sent can run or restructure the page."""
    assert sent_nul or "\x00" not in html, where
    assert "Something went wrong" not in html, where  # the 500 page
    parsed = ParsedHtml(html)
    own_scripts = 0
    titles = 0
    for tag, attrs in parsed.elements:
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), (where, attrs)
            own_scripts += 1
        if tag == "title":
            titles += 1
        elif tag in _FORBIDDEN_TAGS and not _own_note_field(tag, attrs):
            raise AssertionError(f"{where}: a <{tag}> element: {attrs}")
        if tag == "svg":
            assert (attrs.get("class") or "").startswith("bar "), (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith(("on", "hx-on")), (where, tag, name)
            if name in _URL_ATTRIBUTES and value:
                assert _scheme(value) in ("", "http", "https"), (where, tag, name, value[:80])
            if name in ("hx-vals", "hx-headers"):
                assert isinstance(json.loads(value or "{}"), dict), (where, value[:80])
    assert titles <= 1, where
    assert html.lower().count("<script") == own_scripts, where


def _sent_nul(response) -> bool:
    request = response.wsgi_request
    sent = [*request.GET.keys(), *request.POST.keys()]
    sent += [
        value for query in (request.GET, request.POST) for _, v in query.lists() for value in v
    ]
    return any("\x00" in text for text in sent)


def page(response, where: str = "") -> str:
    """A page or fragment that answered 200 and is inert."""
    assert response.status_code == 200, (where, response.status_code)
    html = response.content.decode()
    assert_inert(html, where, sent_nul=_sent_nul(response))
    return html


def shown(response, where: str = "", *, ok=(200, 302, 400, 404, 422)) -> str:
    """An answer of one of the ``ok`` statuses (never a server error); an HTML one inert."""
    assert response.status_code in ok, (where, response.status_code)
    html = response.content.decode()
    if response.get("Content-Type", "").startswith("text/html"):
        assert_inert(html, where, sent_nul=_sent_nul(response))
    return html


def csv_cells(response, where: str = "") -> list[list[str]]:
    """The rows of a CSV export (header first); no cell is a formula."""
    assert response.status_code == 200, (where, response.status_code)
    assert response["Content-Type"].startswith("text/csv"), where
    text = b"".join(response.streaming_content).decode()
    assert "\x00" not in text, where
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    for row in rows:
        for cell in row:
            live = cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            assert not live or _PLAIN_NUMBER.fullmatch(cell), (where, cell[:80])
    return rows


def text_file(response, where: str = "") -> str:
    assert response.status_code == 200, (where, response.status_code)
    text = b"".join(response.streaming_content).decode()
    assert "\x00" not in text, where
    return text


def _query(**params) -> str:
    return urlencode(params)


def _conversation_links(html: str) -> list[str]:
    """The users table's links to conversations, as the page gives them."""
    return [
        attrs["href"]
        for attrs in ParsedHtml(html).all("a")
        if "/conversation/" in (attrs.get("href") or "")
    ]


# --- the users list ----------------------------------------------------------------------------


@pytest.mark.parametrize("user_filter", FILTERS, ids=["1 star", "1-2 stars", "hostile attribute"])
def test_every_page_sort_and_fragment_of_the_users_list(
    agent_client, hostile_platform, user_filter
):
    page(agent_client.get(USERS), "bare")
    for sort in SORTS:
        for htmx in ({}, HTMX):
            first = page(agent_client.get(USERS, {**user_filter, "sort": sort, "size": 25}, **htmx))
            pages = int(re.search(r"Page 1 of (\d+)", first)[1]) if "Page 1 of" in first else 1
            for number in range(2, pages + 1):
                query = {**user_filter, "sort": sort, "size": 25, "page": number}
                page(agent_client.get(USERS, query, **htmx), f"{sort} page {number}")
    page(agent_client.get(USERS, {**user_filter, "refresh": "1"}), "refresh")


def test_everyone_is_listed(agent_client, hostile_platform):
    html = page(agent_client.get(USERS, {**EVERYONE, "size": 50}))
    assert f"<strong>{HOSTILE_USER_COUNT}</strong> users match" in html
    assert len(_conversation_links(html)) == HOSTILE_USER_COUNT


@pytest.mark.parametrize("needle", HOSTILE_PAYLOADS)
def test_a_hostile_search(agent_client, hostile_platform, needle):
    # A lone surrogate goes as the bytes a broken client would send (%ED%A0%BD).
    query = urlencode({**EVERYONE, "q": needle}, encoding="utf-8", errors="surrogatepass")
    for htmx in ({}, HTMX):
        page(agent_client.get(f"{USERS}?{query}", **htmx), repr(needle[:40]))


def _attribute_pairs() -> list[tuple[str, str]]:
    """Every attribute of every user, as the users table shows it."""
    return sorted({pair for user in SHOWN for pair in user.attributes.items()})


def test_a_filter_on_each_hostile_attribute_and_its_export(agent_client, hostile_platform):
    for name, value in _attribute_pairs():
        where = repr((name[:30], value[:30]))
        page(agent_client.get(USERS, {"attribute": name, "value": value}), where)
        answer = agent_client.get(EXPORT, {"attribute": name, "value": value})
        if answer.status_code == 200:
            csv_cells(answer, where)
        else:  # a filter the form refuses (too long, spaces): a page that says so
            shown(answer, where, ok=(400,))


@pytest.mark.parametrize("user_filter", FILTERS, ids=["1 star", "1-2 stars", "hostile attribute"])
def test_the_users_export_in_every_sort(agent_client, hostile_platform, user_filter):
    for sort in SORTS:
        rows = csv_cells(agent_client.get(EXPORT, {**user_filter, "sort": sort}), sort)
        column = rows[0].index(HOSTILE_ATTRIBUTE)
        assert {row[column] for row in rows[1:]} == {"'" + HOSTILE_VALUE}  # text, not a formula


def test_the_selection_takes_and_refuses_hostile_ids(manager_client, hostile_platform):
    url = f"{SELECT}?{_query(**EVERYONE)}"
    html = page(manager_client.get(USERS, {**EVERYONE, "size": 50}))
    boxes = [box["value"] for box in ParsedHtml(html).all("input") if box["name"] == "user_id"]
    assert boxes == [user.user_id for user in SHOWN]  # what a browser sends back
    for user_id in boxes:
        for htmx in ({}, HTMX):
            for data in (
                {"op": "toggle", "toggle": user_id, "user_id": [user_id]},
                {"op": "toggle", "toggle": user_id},
                {"op": "add", "user_id": [user_id], "next": user_id},
            ):
                shown(manager_client.post(url, data, **htmx), repr(user_id[:40]))
    for op in ("add", "remove", "all", "clear"):
        shown(manager_client.post(url, {"op": op, "user_id": boxes}, **HTMX), op)
    page(manager_client.get(USERS, EVERYONE), "after the ticks")


# --- conversations -------------------------------------------------------------------------------


def _every_conversation_link(client) -> list[str]:
    html = page(client.get(USERS, {**EVERYONE, "size": 50}))
    links = _conversation_links(html)
    assert len(links) == HOSTILE_USER_COUNT
    return links


def test_each_hostile_users_conversation_and_rating(agent_client, hostile_platform):
    opened = 0
    for link in _every_conversation_link(agent_client):
        answer = agent_client.get(link)
        if answer.status_code == 404:  # an id no URL can carry (a line break): no page
            continue
        html = page(answer, link[:80])
        if 'class="chat"' not in html:  # an id the platform cannot have: the page says so
            assert 'role="alert"' in html, link[:80]
            continue
        opened += 1
        base, _, query = link.partition("?")
        for extra in ("&size=25&page=2", "&size=25&page=9"):
            page(agent_client.get(link + extra, **HTMX), link[:80] + extra)
        # The rating's message id is hostile too: the jump still lands on its page.
        rating = base + "rating/?" + query
        assert agent_client.get(rating, **HTMX)["HX-Location"], rating[:80]
        jump = agent_client.get(rating)
        assert jump.status_code == 302, (rating[:80], jump.status_code)
        assert 'class="chat"' in page(agent_client.get(jump["Location"]), rating[:80])
    assert opened == HOSTILE_USER_COUNT - 7


def test_each_hostile_users_conversation_exports(agent_client, hostile_platform):
    for link in _every_conversation_link(agent_client):
        base, _, query = link.partition("?")
        for fmt in ("csv", "txt"):
            url = f"{base}export/?{query}&format={fmt}"
            answer = agent_client.get(url)
            if answer.status_code != 200:  # an id no URL or platform can have: a page says
                shown(answer, url[:80], ok=(404, 502))  # so (502: the export's error page)
            elif fmt == "csv":
                csv_cells(answer, url[:80])
            else:
                text_file(answer, url[:80])


def _owner(base: str, url: str) -> str:
    """Whose conversation ``url`` is, as a browser resolves it from ``base`` (dot segments
    and all): the user id, or "" when it is no conversation URL."""
    path = urlsplit(urljoin(f"http://testserver{base}", url)).path
    head, found, _ = path.partition("/conversation/")
    return unquote(head.removeprefix("/users/")) if found and head.startswith("/users/") else ""


def test_every_link_of_a_conversation_stays_with_its_user(agent_client, hostile_platform):
    """An id with a "/" (``../x``) is one path segment in every link, or a browser would
    resolve "/users/../x/conversation/export/" to another address, maybe another user's."""
    for link in _every_conversation_link(agent_client):
        user_id = _owner("/", link)
        answer = agent_client.get(link)
        if answer.status_code != 200 or user_id in (".", ".."):  # no id a URL can carry
            continue
        links = [a for a in ParsedHtml(answer.content.decode()).all("a") if a["href"]]
        hrefs = [a["href"] for a in links if "/conversation/" in a["href"] and not a.get("rel")]
        assert len(hrefs) == 3, link[:80]  # the rating, the CSV, the text
        # "Previous user" and "Next user" lead to a neighbour in the list, whole.
        for walk in (a["href"] for a in links if a.get("rel") in ("prev", "next")):
            assert _owner(link, walk) in {u.user_id for u in SHOWN}, walk[:80]
        for href in hrefs:
            assert _owner(link, href) == user_id, (user_id[:40], href[:80])
        rating = link.replace("/conversation/?", "/conversation/rating/?")
        jump = agent_client.get(rating)
        if jump.status_code == 302:
            assert _owner(rating, jump["Location"]) == user_id, jump["Location"][:80]
            hx = agent_client.get(rating, **HTMX)["HX-Location"]
            assert _owner(rating, json.loads(hx)["path"]) == user_id, hx[:80]


# --- overview, runs, audit ----------------------------------------------------------------------


def test_the_overview(agent_client, manager_client, admin_client_, hostile_platform):
    for client in (agent_client, manager_client, admin_client_):
        page(client.get(reverse("dashboard:home")))
        page(client.get(reverse("dashboard:home"), **HTMX))


@pytest.fixture
def followup(db):
    return WhatsAppTemplate.objects.create(name="feedback_followup", body=FOLLOWUP_BODY)


@pytest.fixture
def callback(db):
    return Flow.objects.create(key="callback_request", name="Call-back", attributes=["feedback"])


def _draft(client, kind: str) -> Run:
    """A draft for every hostile user, through the selection and the new-run page."""
    url = f"{SELECT}?{_query(**EVERYONE)}"
    page(client.get(USERS, EVERYONE))
    assert client.post(url, {"op": "all"}).status_code == 302
    prefix = "broadcast" if kind == "broadcast" else "trigger"
    page(client.get(reverse(f"dashboard:{prefix}_new")), "new")
    answer = client.post(reverse(f"dashboard:{prefix}_create"), {"source": "selection"})
    assert answer.status_code == 302, shown(answer)[:2000]
    return Run.objects.filter(kind=kind).first()


def _walk_draft(client, run: Run, chosen, values: dict) -> None:
    detail = reverse("dashboard:run_detail", args=[run.pk])
    page(client.get(detail), "draft")
    assert client.post(reverse("dashboard:run_choose", args=[run.pk]), {"chosen": chosen.pk})
    page(client.get(detail), "chosen")
    answer = client.post(reverse("dashboard:run_values", args=[run.pk]), values)
    assert answer.status_code == 302, shown(answer)[:2000]
    html = page(client.get(detail), "preview")
    assert "What they will get" in html
    answer = client.post(reverse("dashboard:run_confirm", args=[run.pk]), {"key": str(run.key)})
    assert answer.status_code == 302, shown(answer)[:2000]


def _walk_runs(client, followup, callback) -> list[Run]:
    broadcast = _draft(client, "broadcast")
    _walk_draft(
        client,
        broadcast,
        followup,
        {
            "name": "hostile",
            "source_1": "name",
            "fallback_1": "there",
            "source_2": "attribute",
            "value_2": HOSTILE_ATTRIBUTE,
        },
    )
    trigger = _draft(client, "trigger")
    _walk_draft(
        client,
        trigger,
        callback,
        {"source_feedback": "attribute", "value_feedback": "feedback", "fallback_feedback": "0"},
    )
    return [broadcast, trigger]


def test_runs_from_a_selection_of_hostile_users(
    manager_client, hostile_platform, followup, callback
):
    runs = _walk_runs(manager_client, followup, callback)
    for name in ("dashboard:broadcasts_list", "dashboard:triggers_list"):
        page(manager_client.get(reverse(name)), name)
    for run in runs:
        recipients = set(Recipient.objects.filter(run=run).values_list("user_id", flat=True))
        assert len(recipients) == HOSTILE_USER_COUNT
        detail = reverse("dashboard:run_detail", args=[run.pk])
        html = page(manager_client.get(detail), "launched")
        for href in _conversation_links(html):  # each recipient's link stays theirs
            if unquote(href.split("/")[2]) not in (".", ".."):  # no URL can carry these
                assert _owner(detail, href) in recipients, href[:80]
        for state in ("", "set_aside", "pending"):
            page(manager_client.get(detail, {"state": state}), state)
        rows = csv_cells(manager_client.get(reverse("dashboard:run_export", args=[run.pk])))
        assert len(rows) == HOSTILE_USER_COUNT + 1
        if run.is_broadcast:  # value 2 is the hostile attribute: a formula, made text
            assert {row[-1] for row in rows[1:] if row[4] == "Waiting"} == {"'" + HOSTILE_VALUE}


def test_a_flow_for_the_user_of_each_hostile_conversation(
    manager_client, hostile_platform, callback
):
    for user in SHOWN:
        answer = manager_client.post(
            reverse("dashboard:trigger_create"),
            {"source": "user", "user_id": user.user_id, "list": _query(**EVERYONE)},
        )
        shown(answer, repr(user.user_id[:40]))
    for run in Run.objects.all():
        page(manager_client.get(reverse("dashboard:run_detail", args=[run.pk])), run.audience)


def test_the_audit_of_those_calls(
    agent_client, manager_client, admin_client_, hostile_platform, followup, callback
):
    for link in _every_conversation_link(agent_client):
        agent_client.get(link)
    for name, value in _attribute_pairs():
        agent_client.get(USERS, {"attribute": name, "value": value})
    _walk_runs(manager_client, followup, callback)
    audit = reverse("dashboard:audit_list")
    calls = list(OutboundCall.objects.values_list("pk", flat=True))
    assert len(calls) > HOSTILE_USER_COUNT
    for htmx in ({}, HTMX):
        page(admin_client_.get(audit, **htmx), "audit list")
        for needle in ("%3Cscript", "..", "=1", "\u202e", "javascript"):
            page(admin_client_.get(audit, {"path": needle}, **htmx), needle)
    for pk in calls:
        page(admin_client_.get(reverse("dashboard:audit_detail", args=[pk])), f"call {pk}")
    rows = csv_cells(admin_client_.get(reverse("dashboard:audit_export")), "audit export")
    assert len(rows) == len(calls) + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_runs_sent_to_hostile_users_and_what_they_got(
    manager_client, hostile_platform, followup, callback
):
    from dashboard.services import run_worker

    runs = _walk_runs(manager_client, followup, callback)
    for run in runs:
        run_worker.work(run.pk)
        run.refresh_from_db()
        assert run.state == "finished"
        html = page(manager_client.get(reverse("dashboard:run_detail", args=[run.pk])))
        rows = csv_cells(manager_client.get(reverse("dashboard:run_export", args=[run.pk])))
        states = {row[4] for row in rows[1:]}
        assert states == {"Sent", "Set aside"}, states
        for link in _conversation_links(html):  # 404: an id with a line break
            shown(manager_client.get(link), link[:80], ok=(200, 404))
    stats = hostile_platform.stats
    assert len(stats.broadcasts) == 1 and stats.triggers
    # Each recipient's conversation now ends with what was sent: hostile values in a
    # template, shown as text.
    sent = set(
        Recipient.objects.filter(run=runs[0], state="sent").values_list("user_id", flat=True)
    )
    reached = 0
    for link in _every_conversation_link(manager_client):
        answer = manager_client.get(link + "&size=500")
        html = page(answer, link[:80]) if answer.status_code == 200 else ""
        if 'class="chat"' in html:
            got = "(broadcast hostile-part-1)" in html
            assert got == (unquote(link.split("/")[2]) in sent), link[:80]
            reached += got
    assert reached > HOSTILE_USER_COUNT / 3
