"""Signing in: throttling, the same answer for every failure, safe redirects."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _attempt(client, username, password, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, REMOTE_ADDR="10.0.0.7")


@pytest.mark.django_db
def test_login_page_renders_and_says_about_the_pause(client):
    html = client.get(LOGIN).content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert "paused for 15 minutes" in html


@pytest.mark.django_db
def test_right_password_signs_in(client, manager):
    response = _attempt(client, "manager1", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, manager):
    wrong = _attempt(client, "manager1", "nope").content.decode()
    unknown = _attempt(client, "nobody-here", "nope").content.decode()
    message = "Please enter a correct username and password"
    assert message in wrong and message in unknown


@pytest.mark.django_db
def test_five_bad_passwords_lock_the_account_from_that_address(client, manager):
    for _ in range(4):
        assert _attempt(client, "manager1", "wrong").status_code == 200
    locked = _attempt(client, "manager1", "wrong")
    assert locked.status_code == 429
    assert "sign-in is paused for 15 minutes" in locked.content.decode()
    # Even the right password is refused while the pause lasts.
    after = _attempt(client, "manager1", PASSWORD)
    assert after.status_code == 429
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(client, manager, agent):
    for _ in range(5):
        _attempt(client, "manager1", "wrong")
    # Another person from the same address is not locked out.
    assert _attempt(client, "agent1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_success_resets_the_failure_count(client, manager):
    for _ in range(4):
        _attempt(client, "manager1", "wrong")
    assert _attempt(client, "manager1", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert _attempt(client, "manager1", "wrong").status_code == 200


@pytest.mark.django_db
def test_off_site_next_is_refused(client, manager):
    response = _attempt(client, "manager1", PASSWORD, next_url="https://evil.example/steal")
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_local_next_is_followed(client, manager):
    response = _attempt(client, "manager1", PASSWORD, next_url="/users/?preset=1")
    assert response["Location"] == "/users/?preset=1"


@pytest.mark.django_db
def test_logout_needs_post(agent_client):
    assert agent_client.get(reverse("logout")).status_code == 405
    assert agent_client.post(reverse("logout")).status_code == 302
    assert agent_client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_change_page_in_the_site_look(agent_client):
    html = agent_client.get(reverse("password_change")).content.decode()
    assert "Change your password" in html and "Technowiz support" in html


@pytest.mark.django_db
def test_a_refused_password_change_names_its_message_for_screen_readers(agent_client, agent):
    response = agent_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-different-passphrase-42",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    # The field points at its message, and the message carries that id.
    assert 'aria-describedby="id_new_password2_helptext id_new_password2_error"' in html
    assert '<span class="field-error" id="id_new_password2_error" role="alert">' in html
    assert "The two password fields didn\u2019t match." in html
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)  # nothing changed


def _from(client, username, password, *, forwarded):
    data = {"username": username, "password": password}
    return client.post(LOGIN, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_with_no_trusted_proxy_a_forwarded_address_is_ignored(client, manager):
    """Anyone can write X-Forwarded-For: a new value per try must not dodge the pause."""
    for n in range(5):
        _from(client, "manager1", "wrong", forwarded=f"203.0.113.{n}")
    assert _from(client, "manager1", PASSWORD, forwarded="203.0.113.99").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_one_persons_typos_do_not_lock_the_company(
    client, manager, settings
):
    """Everyone comes from the proxy's address; the address it forwards tells them apart."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    for _ in range(5):  # the typing person; a value they wrote themselves comes first
        _from(client, "manager1", "wrong", forwarded="6.6.6.6, 198.51.100.7")
    assert _from(client, "manager1", PASSWORD, forwarded="1.1.1.1, 198.51.100.7").status_code == 429
    assert _from(client, "manager1", PASSWORD, forwarded="198.51.100.8").status_code == 302
