"""The selection as rows: semantics, limits, and ticks at the same time that all count."""

import threading

import pytest
from django.db import connection

from dashboard.selectors.users import UserFilter
from dashboard.services import selection as selection_service
from dashboard.services.selection import selection_get, selection_update

ONE_STAR = UserFilter("feedback", ("1",))


@pytest.mark.django_db
def test_ticks_all_matching_and_a_new_filter(agent):
    selection_update(agent, user_filter=ONE_STAR, op="add", user_ids=["a", "b", "b"])
    current = selection_get(agent)
    assert current.ids == {"a", "b"} and not current.all_matching
    selection_update(agent, user_filter=ONE_STAR, op="all", user_ids=[])
    selection_update(agent, user_filter=ONE_STAR, op="remove", user_ids=["c"])
    current = selection_get(agent)
    assert current.all_matching and current.ids == {"c"}  # "c" is unticked
    assert current.is_selected("a") and not current.is_selected("c")
    other = UserFilter("city", ("Pune",))
    selection_update(agent, user_filter=other, op="add", user_ids=["z"])
    current = selection_get(agent)
    assert current.filter == other and current.ids == {"z"} and not current.all_matching
    selection_update(agent, user_filter=other, op="clear", user_ids=[])
    assert selection_get(agent).filter is None


@pytest.mark.django_db
def test_the_limit_is_refused_and_nothing_is_kept(agent, monkeypatch):
    monkeypatch.setattr(selection_service, "MAX_TICKED", 3)
    selection_update(agent, user_filter=ONE_STAR, op="add", user_ids=["a", "b"])
    with pytest.raises(ValueError, match="at most 3 ticked users"):
        selection_update(agent, user_filter=ONE_STAR, op="add", user_ids=["c", "d"])
    assert selection_get(agent).ids == {"a", "b"}


@pytest.mark.django_db
def test_each_person_has_their_own_selection(agent, manager):
    selection_update(agent, user_filter=ONE_STAR, op="add", user_ids=["a"])
    assert selection_get(manager).filter is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ticks_sent_at_the_same_time_all_count(agent):
    barrier = threading.Barrier(8)
    errors = []

    def tick(number: int) -> None:
        try:
            barrier.wait()
            selection_update(agent, user_filter=ONE_STAR, op="add", user_ids=[f"u{number}"])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert selection_get(agent).ids == {f"u{n}" for n in range(8)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"op": "add", "user_id": ["x" * 300]},
        {"op": "add", "user_id": ["ok", "bad\x00id"]},
        {"op": "toggle", "toggle": "y" * 201, "user_id": ["y" * 201]},
        {"op": "toggle", "toggle": ""},
    ],
)
def test_ids_the_platform_cannot_have_are_refused_in_words(agent, agent_client, data):
    response = agent_client.post("/users/selection/?preset=1", data)
    assert response.status_code == 400
    assert "A user id is 1-200 characters without control characters." in response.content.decode()
    assert selection_get(agent).ids == frozenset()
