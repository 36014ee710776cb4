"""The shared work queue: rating column and sort, queue state/assignee/notes, filters,
the compare-and-set on concurrent changes, read marks, next/previous user, exports."""

import csv
import io
import re
import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from dashboard.list_state import conversation_path
from dashboard.models import QueueItem, QueueNote, UserOpened
from dashboard.services.queue import OPENED_KEPT, QueueConflict, queue_change, user_opened_mark
from technowiz.sandbox.data import EXAMPLE_USER_ID, SandboxData
from tests.conftest import page_html

URL = reverse("dashboard:users_list")
pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="user_id" value="([^"]+)"', html)


def _ratings(html: str) -> list[int]:
    return [
        int(n) for n in re.findall(r'<span class="visually-hidden">(\d) of 5 stars</span>', html)
    ]


def _update(user_id: str) -> str:
    return conversation_path(user_id, "dashboard:queue_update")


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- Ratings --------------------------------------------------------------------------


def test_the_rating_is_a_column_of_stars_with_words_for_screen_readers(agent_client, sandbox):
    html = page_html(agent_client.get(URL + "?preset=1-2"))
    assert (
        '<th scope="col"><a href="?preset=1-2&amp;size=50&amp;sort=rating&amp;page=1"' in html
        or ">Rating</a></th>" in html
    )
    ratings = _ratings(html)
    assert len(ratings) == 50 and set(ratings) <= {1, 2}
    assert '<span class="stars" aria-hidden="true">★☆☆☆☆</span>' in html


def test_sorting_by_rating_puts_the_lowest_first_then_the_highest(agent_client, sandbox):
    html = page_html(agent_client.get(URL + "?preset=1-2&sort=rating&size=200"))
    counts = SandboxData.build().rating_counts()
    ratings = _ratings(html)
    assert ratings == sorted(ratings) and ratings[0] == 1
    assert (
        'aria-sort="ascending"><a href="?preset=1-2&amp;sort=-rating&amp;size=200&amp;page=1"'
        in html
    )
    last_page = -(-(counts["1"] + counts["2"]) // 200)
    html = page_html(agent_client.get(URL + "?preset=1-2&sort=-rating&size=200"))
    assert _ratings(html)[0] == 2
    assert last_page >= 1


def test_a_rows_rating_comment_loads_on_its_own_from_the_conversation(
    agent_client, sandbox, platform_calls
):
    html = page_html(agent_client.get(URL + "?preset=1"))
    first = _rows(html)[0]
    note_url = conversation_path(first, "dashboard:rating_note") + "?r=1"
    assert f'hx-get="{note_url}" hx-trigger="intersect once"' in html
    before = platform_calls()
    note = page_html(agent_client.get(note_url))
    assert platform_calls() > before  # asked for this one user only
    feedback = next(m for m in sandbox.data.conversation(first) if m["type"] == "FEEDBACK")
    assert f"<q>{feedback['payload']['comment']}</q>" in note
    assert "rated " in note
    asked = platform_calls()
    page_html(agent_client.get(note_url))
    assert platform_calls() == asked  # kept: no second call


def test_a_failed_rating_comment_says_so_in_the_row(agent_client, sandbox):
    sandbox.faults.push("revoked")
    url = conversation_path(EXAMPLE_USER_ID, "dashboard:rating_note") + "?r=1"
    assert "comment not available now" in page_html(agent_client.get(url))


# --- State, assignee, notes -----------------------------------------------------------


def test_an_agent_sets_state_and_assignee_and_the_list_shows_it(agent_client, agent, sandbox):
    response = agent_client.post(
        _update(EXAMPLE_USER_ID),
        {"state": "in_progress", "assignee": agent.pk, "version": 0},
        headers={"HX-Request": "true"},
    )
    html = page_html(response)
    assert "Saved." in html and "In progress" in html
    item = QueueItem.objects.get(user_id=EXAMPLE_USER_ID)
    assert (item.state, item.assignee_id, item.version) == ("in_progress", agent.pk, 1)
    listing = page_html(agent_client.get(URL + "?preset=1&who=mine"))
    assert _rows(listing) == [EXAMPLE_USER_ID]
    assert (
        '<span class="state state-in_progress">In progress</span><br>'
        '<span class="hint">agent1</span>' in listing
    )


def test_changing_the_queue_needs_work_queue(django_user_model, client_for, sandbox):
    viewer = django_user_model.objects.create_user("viewer", password="pw-123456-x")
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_users", "view_conversations"])
    )
    client = client_for(viewer)
    assert client.get(URL + "?preset=1").status_code == 200
    response = client.post(_update(EXAMPLE_USER_ID), {"state": "resolved", "version": 0})
    assert response.status_code == 403
    notes = conversation_path(EXAMPLE_USER_ID, "dashboard:queue_note_create")
    assert client.post(notes, {"text": "hi"}).status_code == 403
    assert not QueueItem.objects.exists() and not QueueNote.objects.exists()
    page = page_html(client.get(conversation_path(EXAMPLE_USER_ID) + "?preset=1"))
    assert "State: <strong" in page and 'name="state"' not in page


def test_anonymous_cannot_change_the_queue(client):
    response = client.post(_update(EXAMPLE_USER_ID), {"state": "resolved", "version": 0})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_bad_state_is_explained_and_nothing_is_written(agent_client, sandbox):
    response = agent_client.post(
        _update(EXAMPLE_USER_ID), {"state": "done", "version": 0}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Choose a state from the list." in response.content.decode()
    assert not QueueItem.objects.exists()


def test_notes_are_appended_with_author_and_time(agent_client, manager_client, sandbox):
    notes = conversation_path(EXAMPLE_USER_ID, "dashboard:queue_note_create")
    agent_client.post(notes, {"text": "Called, no answer"}, headers={"HX-Request": "true"})
    html = page_html(
        manager_client.post(notes, {"text": "<b>Refund</b> sent"}, headers={"HX-Request": "true"})
    )
    assert "Note added." in html
    assert 'Called, no answer</p><p class="hint">agent1, <time' in html
    assert "&lt;b&gt;Refund&lt;/b&gt; sent" in html
    assert [n.author_name for n in QueueNote.objects.all()] == ["agent1", "manager1"]
    empty = manager_client.post(notes, {"text": "  "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Write the note first." in empty.content.decode()
    assert QueueNote.objects.count() == 2
    note = QueueNote.objects.first()
    note.text = "changed"
    with pytest.raises(ValueError, match="append-only"):
        note.save()


def test_the_conversation_page_shows_the_queue(agent_client, agent, sandbox):
    agent_client.post(
        _update(EXAMPLE_USER_ID), {"state": "wont_fix", "assignee": agent.pk, "version": 0}
    )
    html = page_html(agent_client.get(conversation_path(EXAMPLE_USER_ID) + "?preset=1"))
    assert "data-queue-state>Won&#x27;t fix</strong>; assigned to <strong>agent1</strong>" in html
    assert '<input type="hidden" name="version" value="1"' in html


@pytest.mark.parametrize(
    "query,expected",
    [
        ("state=resolved", {"b"}),
        ("state=new", {"c"}),
        ("who=unassigned", {"b", "c"}),
        ("who=mine", {"a"}),
    ],
)
def test_queue_filters(agent_client, agent, manager, sandbox, query, expected):
    one_star = [u["user_id"] for u in sandbox.data.users_matching("feedback", "1")]
    named = dict(zip("abc", one_star[:3], strict=True))
    queue_change(
        person=agent, user_id=named["a"], version=0, state="in_progress", assignee_id=agent.pk
    )
    queue_change(person=agent, user_id=named["b"], version=0, state="resolved", assignee_id=None)
    html = page_html(agent_client.get(URL + f"?preset=1&size=200&{query}"))
    shown = set(_rows(html)) & set(named.values())
    assert shown == {named[k] for k in expected}
    if query == "state=new":
        assert len(_rows(html)) == min(200, len(one_star) - 2)


def test_a_bad_queue_filter_is_explained_before_any_platform_call(
    agent_client, sandbox, platform_calls
):
    html = page_html(agent_client.get(URL + "?preset=1&who=everyone"))
    assert "<li>Assigned: Choose “Unassigned”, “Mine” or nobody in particular.</li>" in html
    html = page_html(agent_client.get(URL + "?preset=1&new_since=2026-13-01"))
    assert "<li>Low rating new since: Enter the date as YYYY-MM-DD.</li>" in html
    assert platform_calls() == 0


# --- Concurrency ----------------------------------------------------------------------


def test_the_second_of_two_changes_from_one_version_sees_the_first(
    agent_client, manager_client, agent, manager, sandbox
):
    first = agent_client.post(
        _update(EXAMPLE_USER_ID),
        {"state": "in_progress", "assignee": agent.pk, "version": 0},
        headers={"HX-Request": "true"},
    )
    assert first.status_code == 200
    second = manager_client.post(
        _update(EXAMPLE_USER_ID),
        {"state": "resolved", "assignee": manager.pk, "version": 0},
        headers={"HX-Request": "true"},
    )
    html = second.content.decode()
    assert second.status_code == 409
    assert "Not saved: agent1 changed this user" in html
    assert "It is now <strong>In progress</strong>, assigned to <strong>agent1</strong>" in html
    item = QueueItem.objects.get()
    assert (item.state, item.assignee_id, item.version) == ("in_progress", agent.pk, 1)
    # The form now holds version 1: saving again is a deliberate overwrite, and works.
    assert '<input type="hidden" name="version" value="1"' in html
    third = manager_client.post(
        _update(EXAMPLE_USER_ID), {"state": "resolved", "assignee": manager.pk, "version": 1}
    )
    assert third.status_code == 302
    assert QueueItem.objects.get().state == "resolved"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_changing_one_user_at_once_one_wins_one_is_told(django_user_model):
    """Two people at the same moment, from the same version, on their own connections."""
    people = [django_user_model.objects.create_user(n) for n in ("one", "two")]
    queue_change(person=people[0], user_id="u-1", version=0, state="new", assignee_id=None)
    barrier, outcomes = threading.Barrier(2), []

    def change(person, state):
        try:
            barrier.wait()
            queue_change(
                person=person, user_id="u-1", version=1, state=state, assignee_id=person.pk
            )
            outcomes.append(("saved", state))
        except QueueConflict as conflict:
            outcomes.append(("conflict", conflict.current.state))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=(p, s))
        for p, s in zip(people, ("resolved", "wont_fix"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [s for kind, s in outcomes if kind == "saved"]
    told = [s for kind, s in outcomes if kind == "conflict"]
    assert len(saved) == 1 and told == saved  # the loser is shown the winner's state
    item = QueueItem.objects.get(user_id="u-1")
    assert item.state == saved[0] and item.version == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_changes_at_once_create_one_row(django_user_model):
    people = [django_user_model.objects.create_user(n) for n in ("one", "two")]
    barrier, outcomes = threading.Barrier(2), []

    def change(person):
        try:
            barrier.wait()
            queue_change(
                person=person, user_id="u-2", version=0, state="resolved", assignee_id=person.pk
            )
            outcomes.append("saved")
        except QueueConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert QueueItem.objects.filter(user_id="u-2").count() == 1


# --- Read marks and walking the list --------------------------------------------------


def test_opened_users_are_marked_read_for_that_person_only(agent_client, manager_client, sandbox):
    second = _rows(page_html(agent_client.get(URL + "?preset=1")))[1]
    agent_client.get(conversation_path(second) + "?preset=1")
    mine = page_html(agent_client.get(URL + "?preset=1"))
    row = re.search(
        rf'<tr class="is-read"><td><input type="checkbox" name="user_id" value="{second}"', mine
    )
    assert row and mine.count('class="is-read"') == 1
    assert '<span class="badge read-mark">opened</span>' in mine
    theirs = page_html(manager_client.get(URL + "?preset=1"))
    assert 'class="is-read"' not in theirs


def test_read_marks_are_bounded_a_person(agent):
    for i in range(OPENED_KEPT + 5):
        user_opened_mark(person=agent, user_id=f"u-{i}")
    assert UserOpened.objects.filter(person=agent).count() <= OPENED_KEPT
    assert UserOpened.objects.filter(person=agent, user_id=f"u-{OPENED_KEPT + 4}").exists()


def test_next_and_previous_user_walk_the_list_it_was_opened_from(agent_client, sandbox):
    query = "preset=1-2&sort=rating&q=a&size=25&page=2"
    listing = page_html(agent_client.get(URL + "?" + query))
    ids = _rows(listing)
    first_html = page_html(
        agent_client.get(
            conversation_path(ids[0])
            + "?"
            + query.replace("size", "lsize").replace("page", "lpage")
        )
    )
    assert f"User {25 + 1} of" in first_html
    nxt = re.search(
        r'<a class="button primary" href="([^"]+)" rel="next">Next user', first_html
    ).group(1)
    assert nxt.startswith(conversation_path(ids[1]) + "?")
    for part in ("preset=1-2", "sort=rating", "q=a", "lsize=25", "lpage=2"):
        assert part in nxt.replace("&amp;", "&")
    second = page_html(agent_client.get(nxt.replace("&amp;", "&")))
    prev = re.search(r'<a class="button" href="([^"]+)" rel="prev">', second).group(1)
    assert prev.startswith(conversation_path(ids[0]) + "?")
    # Back to the list lands on the same page, search and sort.
    assert "Back to the user list" in second


def test_next_user_crosses_to_the_next_page_of_the_list(agent_client, sandbox):
    listing = page_html(agent_client.get(URL + "?preset=1&size=25"))
    last = _rows(listing)[-1]
    html = page_html(agent_client.get(conversation_path(last) + "?preset=1&lsize=25"))
    nxt = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    page_two = _rows(page_html(agent_client.get(URL + "?preset=1&size=25&page=2")))
    assert nxt.startswith(conversation_path(page_two[0]) + "?") and "lpage=2" in nxt


# --- Exports and bulk assignment ------------------------------------------------------


def _tick(client: Client, ids: list[str]) -> None:
    select = reverse("dashboard:users_select") + "?preset=1"
    for uid in ids:
        client.post(select, {"op": "toggle", "toggle": uid, "user_id": uid})


def test_export_takes_the_ticked_users_and_says_so(manager_client, agent, sandbox):
    html = page_html(manager_client.get(URL + "?preset=1"))
    assert 'href="/users/export.csv?preset=1">Export CSV</a>' in html
    ids = _rows(html)[:3]
    _tick(manager_client, ids)
    html = page_html(manager_client.get(URL + "?preset=1"))
    assert ">Export 3 ticked</a>" in html
    rows = _csv(manager_client.get(reverse("dashboard:users_export") + "?preset=1"))
    assert [r["user_id"] for r in rows] == ids
    assert {r["queue_state"] for r in rows} == {"New"}


def test_bulk_assign_assigns_the_ticked_and_the_export_has_the_queue_fields(
    manager_client, manager, agent, sandbox
):
    html = page_html(manager_client.get(URL + "?preset=1"))
    ids = _rows(html)[:3]
    _tick(manager_client, ids)
    assign = reverse("dashboard:users_assign") + "?preset=1"
    response = manager_client.post(assign, {"assignee": agent.pk, "next": URL + "?preset=1"})
    assert response.status_code == 302
    assert set(QueueItem.objects.filter(assignee=agent).values_list("user_id", flat=True)) == set(
        ids
    )
    QueueNote.objects.create(user_id=ids[0], author=manager, author_name="manager1", text="first")
    QueueNote.objects.create(
        user_id=ids[0], author=manager, author_name="manager1", text="=HYPERLINK(1)"
    )
    rows = _csv(manager_client.get(reverse("dashboard:users_export") + "?preset=1"))
    assert {r["assignee"] for r in rows} == {"agent1"}
    assert rows[0]["notes"] == "2" and rows[0]["last_note"] == "'=HYPERLINK(1)"
    bad = manager_client.post(assign, {"assignee": 99999})
    assert (
        bad.status_code == 400 and bad.content.decode() == "Choose someone on the team (or nobody)."
    )


def test_without_ticks_the_export_is_the_list_as_filtered(agent_client, agent, sandbox):
    one_star = [u["user_id"] for u in sandbox.data.users_matching("feedback", "1")]
    queue_change(person=agent, user_id=one_star[5], version=0, state="resolved", assignee_id=None)
    rows = _csv(agent_client.get(reverse("dashboard:users_export") + "?preset=1&state=resolved"))
    assert [(r["user_id"], r["queue_state"]) for r in rows] == [(one_star[5], "Resolved")]


def test_a_signed_out_rating_comment_does_not_navigate(client):
    """A piece the page loads by itself answers "nothing" (204: htmx swaps nothing); the
    person's next click goes to sign in and back to the page they asked for."""
    note = conversation_path(EXAMPLE_USER_ID, "dashboard:rating_note") + "?r=1"
    response = client.get(
        note,
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/users/?preset=1&page=3",
            "X-Page-Part": "rating-note",
        },
    )
    assert response.status_code == 204 and "HX-Redirect" not in response


def test_bulk_assign_of_all_matching_takes_every_matched_user_less_the_unticked(
    manager_client, agent, sandbox
):
    one_star = [u["user_id"] for u in sandbox.data.users_matching("feedback", "1")]
    page_html(manager_client.get(URL + "?preset=1"))
    select = reverse("dashboard:users_select") + "?preset=1"
    manager_client.post(select, {"op": "all"})
    manager_client.post(select, {"op": "toggle", "toggle": one_star[0]})  # unticked
    html = page_html(manager_client.get(URL + "?preset=1"))
    assert f">Export {len(one_star) - 1} selected</a>" in html
    assign = reverse("dashboard:users_assign") + "?preset=1"
    manager_client.post(assign, {"assignee": agent.pk})
    assigned = set(QueueItem.objects.filter(assignee=agent).values_list("user_id", flat=True))
    assert assigned == set(one_star[1:])
