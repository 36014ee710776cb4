"""The catalogue screens: managers keep the templates and flows; nothing is ever deleted."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.models import Flow, WhatsAppTemplate
from dashboard.services.catalogue import catalogue_demo_create
from technowiz.sandbox.catalogue import SANDBOX_FLOWS, SANDBOX_TEMPLATES
from tests.conftest import page_html

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("dashboard:catalogue")


@pytest.fixture
def template():
    return WhatsAppTemplate.objects.create(
        name="feedback_followup",
        language="en",
        body="Hi {{1}}, you rated us {{2}} stars.",
    )


@pytest.fixture
def flow():
    return Flow.objects.create(
        key="callback_request", name="Call-back request", attributes=["city", "plan"]
    )


def _template_data(**changes):
    data = {"name": "apology_offer", "language": "en", "body": "Sorry {{1}}.", "active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _flow_data(**changes):
    data = {
        "key": "create_ticket",
        "name": "Support ticket",
        "description": "Opens a ticket.",
        "attributes": "customer_type",
        "active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _error_next_to(html: str, field: str) -> str:
    """The error text shown next to a field (the id Django's aria-describedby names)."""
    found = re.search(rf'<span class="field-error" id="id_{field}_error"[^>]*>([^<]*)</span>', html)
    assert found, f"no error next to {field}"
    return found.group(1)


# Who may open what


def _urls(template, flow):
    """Each catalogue URL and the methods it answers."""
    return [
        (CATALOGUE, ("get",)),
        (reverse("dashboard:template_create"), ("get", "post")),
        (reverse("dashboard:template_edit", args=[template.pk]), ("get", "post")),
        (reverse("dashboard:template_toggle", args=[template.pk]), ("post",)),
        (reverse("dashboard:flow_create"), ("get", "post")),
        (reverse("dashboard:flow_edit", args=[flow.pk]), ("get", "post")),
        (reverse("dashboard:flow_toggle", args=[flow.pk]), ("post",)),
    ]


def test_agents_get_403_everywhere_and_change_nothing(agent_client, template, flow):
    posted = {**_template_data(name="x_y"), **_flow_data(key="k1"), "active": "0"}
    for url, methods in _urls(template, flow):
        for method in methods:
            response = getattr(agent_client, method)(url, posted)
            assert response.status_code == 403, (method, url)
            assert "Your role does not include this screen" in response.content.decode()
    assert list(WhatsAppTemplate.objects.values_list("name", "active")) == [
        ("feedback_followup", True)
    ]
    assert list(Flow.objects.values_list("key", "active")) == [("callback_request", True)]


def test_strangers_are_sent_to_sign_in(client, template, flow):
    for url, methods in _urls(template, flow):
        for method in methods:
            response = getattr(client, method)(url, _template_data())
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert WhatsAppTemplate.objects.count() == 1


def test_admins_keep_the_catalogue_too(admin_client_):
    assert admin_client_.get(CATALOGUE).status_code == 200


def test_other_methods_are_refused(manager_client, template):
    assert manager_client.post(CATALOGUE).status_code == 405
    toggle = reverse("dashboard:template_toggle", args=[template.pk])
    assert manager_client.get(toggle).status_code == 405


# Templates


def test_manager_creates_a_template(manager_client):
    response = manager_client.post(
        reverse("dashboard:template_create"),
        _template_data(body="Hi {{1}}, here is {{2}} off: {{3}}."),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == CATALOGUE
    html = page_html(response)
    assert "Template apology_offer (en) saved." in html
    saved = WhatsAppTemplate.objects.get(name="apology_offer")
    assert saved.language == "en" and saved.active and saved.parameter_count == 3
    row = re.search(r"<tr>\s*<th scope=\"row\">.*?apology_offer.*?</tr>", html, re.S).group(0)
    assert '<td class="num">3</td>' in row and "Active" in row


def test_manager_edits_a_template_and_sees_its_preview(manager_client, template):
    url = reverse("dashboard:template_edit", args=[template.pk])
    html = page_html(manager_client.get(url))
    assert "Edit template feedback_followup (en)" in html
    assert 'value="feedback_followup"' in html
    assert "2 values per person" in html
    assert "Hi [value 1], you rated us [value 2] stars." in html
    response = manager_client.post(url, _template_data(name="feedback_followup", body="Hi {{1}}."))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == "Hi {{1}}." and template.parameter_count == 1


def test_the_preview_escapes_the_text(manager_client):
    entry = WhatsAppTemplate.objects.create(name="t1", language="en", body="<b>{{1}}</b>")
    html = page_html(manager_client.get(reverse("dashboard:template_edit", args=[entry.pk])))
    assert "&lt;b&gt;[value 1]&lt;/b&gt;" in html and "<b>[value 1]" not in html


def test_manager_deactivates_a_template_with_the_checkbox(manager_client, template):
    url = reverse("dashboard:template_edit", args=[template.pk])
    data = _template_data(name=template.name, body=template.body, active=None)
    response = manager_client.post(url, data, follow=True)
    assert "Template feedback_followup (en) saved. It is deactivated." in page_html(response)
    template.refresh_from_db()
    assert not template.active
    html = page_html(manager_client.get(CATALOGUE))
    row = re.search(r'<tr class="deactivated">.*?</tr>', html, re.S).group(0)
    assert "feedback_followup" in row and "Deactivated" in row and "Reactivate" in row


def test_manager_deactivates_and_reactivates_from_the_list(manager_client, template, flow):
    toggle = reverse("dashboard:template_toggle", args=[template.pk])
    response = manager_client.post(toggle, {"active": "0"}, follow=True)
    assert "Template feedback_followup (en) deactivated." in page_html(response)
    template.refresh_from_db()
    assert not template.active
    manager_client.post(toggle, {"active": "1"})
    template.refresh_from_db()
    assert template.active
    response = manager_client.post(
        reverse("dashboard:flow_toggle", args=[flow.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    flow.refresh_from_db()
    assert not flow.active
    assert WhatsAppTemplate.objects.count() == 1 and Flow.objects.count() == 1


def test_a_toggle_without_a_clear_state_changes_nothing(manager_client, template):
    toggle = reverse("dashboard:template_toggle", args=[template.pk])
    for data in ({}, {"active": "maybe"}):
        assert manager_client.post(toggle, data).status_code == 400
    template.refresh_from_db()
    assert template.active


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "name",
            "Feedback Followup",
            "Use the name as approved on the platform: lower-case letters, digits and _.",
        ),
        ("name", "", "Enter the template&#x27;s name as approved on the platform."),
        ("language", "English", "Use a language code such as en, hi or en_US."),
        ("language", "e", "Use a language code such as en, hi or en_US."),
        (
            "body",
            "Hi {{1}}, code {{3}}.",
            "Number the places for values from {{1}} without gaps: {{2}} is missing.",
        ),
        (
            "body",
            "Hi {{4}}.",
            "Number the places for values from {{1}} without gaps: "
            "{{1}}, {{2}} and {{3}} are missing.",
        ),
        ("body", "{{21}}" + "".join(f"{{{{{n}}}}}" for n in range(1, 21)), "at most 20 values"),
    ],
)
def test_template_errors_are_shown_next_to_the_field(manager_client, field, value, message):
    response = manager_client.post(
        reverse("dashboard:template_create"), _template_data(**{field: value})
    )
    html = page_html(response)
    assert message in _error_next_to(html, field)
    assert "New template" in html
    assert not WhatsAppTemplate.objects.exists()


def test_a_second_template_with_the_same_name_and_language_is_refused(manager_client, template):
    data = _template_data(name="feedback_followup", language="en")
    html = page_html(manager_client.post(reverse("dashboard:template_create"), data))
    assert _error_next_to(html, "name") == "A template with this name and language exists already."
    assert WhatsAppTemplate.objects.count() == 1
    # Another language is another template; saving an entry again is no duplicate.
    hindi = {**data, "language": "hi"}
    assert manager_client.post(reverse("dashboard:template_create"), hindi).status_code == 302
    assert WhatsAppTemplate.objects.count() == 2
    url = reverse("dashboard:template_edit", args=[template.pk])
    assert manager_client.post(url, data).status_code == 302


def test_renaming_onto_another_template_is_refused(manager_client, template):
    other = WhatsAppTemplate.objects.create(name="other", language="en", body="Hello.")
    url = reverse("dashboard:template_edit", args=[other.pk])
    html = page_html(manager_client.post(url, _template_data(name="feedback_followup")))
    assert _error_next_to(html, "name") == "A template with this name and language exists already."
    # The page still says what is being edited and previews the saved text.
    assert "Edit template other (en)" in html and "0 values per person" in html
    other.refresh_from_db()
    assert other.name == "other"


def test_a_template_with_a_broken_saved_text_is_still_listed(manager_client):
    WhatsAppTemplate.objects.create(name="legacy", language="en", body="Hi {{2}}")  # no clean
    html = page_html(manager_client.get(CATALOGUE))
    assert "legacy" in html and "check the text" in html


# Flows


def test_manager_creates_a_flow_with_attributes_one_a_line_or_by_commas(manager_client):
    data = _flow_data(attributes="customer_type\r\n order_id, city,\n\n")
    response = manager_client.post(reverse("dashboard:flow_create"), data, follow=True)
    assert "Flow Support ticket (create_ticket) saved." in page_html(response)
    saved = Flow.objects.get(key="create_ticket")
    assert saved.attributes == ["customer_type", "order_id", "city"]
    assert saved.description == "Opens a ticket." and saved.active
    html = page_html(manager_client.get(CATALOGUE))
    assert '<code class="attr">order_id</code>' in html


def test_a_flow_may_read_no_attributes(manager_client):
    data = _flow_data(attributes="")
    assert manager_client.post(reverse("dashboard:flow_create"), data).status_code == 302
    assert Flow.objects.get().attributes == []
    assert '<span class="hint">none</span>' in page_html(manager_client.get(CATALOGUE))


def test_manager_edits_and_deactivates_a_flow(manager_client, flow):
    url = reverse("dashboard:flow_edit", args=[flow.pk])
    html = page_html(manager_client.get(url))
    assert "Edit flow Call-back request (callback_request)" in html
    assert re.search(r"<textarea[^>]*>\s*city\nplan</textarea>", html)
    data = _flow_data(key="callback_request", name="Call-back", attributes="city", active=None)
    response = manager_client.post(url, data, follow=True)
    assert "Flow Call-back (callback_request) saved. It is deactivated." in page_html(response)
    flow.refresh_from_db()
    assert flow.name == "Call-back" and flow.attributes == ["city"] and not flow.active
    row = re.search(r'<tr class="deactivated">.*?</tr>', page_html(response), re.S).group(0)
    assert "Call-back" in row and "Deactivated" in row


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "key",
            "call back",
            "Use the flow key as the platform shows it: letters, digits, _ and -.",
        ),
        ("key", "", "Enter the flow key as the platform shows it."),
        ("name", "", "Enter a name the team will recognise."),
        (
            "attributes",
            "city\nuser.phone_no",
            "Leave out user.phone_no: the dashboard sends the user&#x27;s own details "
            "(user. attributes) itself.",
        ),
        (
            "attributes",
            "city, 2nd plan",
            "Not an attribute name: 2nd plan. Use letters, digits, _ . and -, "
            "starting with a letter.",
        ),
        ("attributes", "city, plan, city", "List each attribute once: city is repeated."),
        ("attributes", "a," * 1001, "Keep the list of attributes under 2,000 characters."),
    ],
)
def test_flow_errors_are_shown_next_to_the_field(manager_client, field, value, message):
    response = manager_client.post(reverse("dashboard:flow_create"), _flow_data(**{field: value}))
    html = page_html(response)
    assert _error_next_to(html, field) == message
    assert not Flow.objects.exists()


def test_a_second_flow_with_the_same_key_is_refused(manager_client, flow):
    html = page_html(
        manager_client.post(reverse("dashboard:flow_create"), _flow_data(key="callback_request"))
    )
    assert _error_next_to(html, "key") == "A flow with this key exists already."
    assert Flow.objects.count() == 1


def test_a_bad_post_keeps_what_was_typed(manager_client):
    data = _flow_data(key="bad key", attributes="city\nplan")
    html = page_html(manager_client.post(reverse("dashboard:flow_create"), data))
    assert 'value="bad key"' in html
    assert re.search(r"<textarea[^>]*>\s*city\nplan</textarea>", html)


# Nothing is deleted


DELETE_CONTROL = re.compile(r"<(?:button|a)\b[^>]*>[^<]*(?:delete|remove)|delete/", re.I)


def test_there_is_no_way_to_delete(manager_client, template, flow):
    names = [n for n in get_resolver().reverse_dict if isinstance(n, str)]
    assert not [n for n in names if "delete" in n]
    for name in ("template_delete", "flow_delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"dashboard:{name}", args=[1])
    for url in (
        reverse("dashboard:template_edit", args=[template.pk]),
        reverse("dashboard:flow_edit", args=[flow.pk]),
    ):
        assert manager_client.delete(url).status_code == 405
        assert not DELETE_CONTROL.search(page_html(manager_client.get(url)))
    assert not DELETE_CONTROL.search(page_html(manager_client.get(CATALOGUE)))
    assert WhatsAppTemplate.objects.count() == 1 and Flow.objects.count() == 1


def test_unknown_entries_are_404(manager_client):
    for name in ("template_edit", "flow_edit"):
        assert manager_client.get(reverse(f"dashboard:{name}", args=[999])).status_code == 404
    huge = "/catalogue/templates/99999999999999999999999/"
    assert manager_client.get(huge).status_code == 404


# Markup


def test_pages_have_labels_captions_and_no_inline_code(manager_client, template, flow):
    pages = [
        CATALOGUE,
        reverse("dashboard:template_create"),
        reverse("dashboard:template_edit", args=[template.pk]),
        reverse("dashboard:flow_create"),
        reverse("dashboard:flow_edit", args=[flow.pk]),
    ]
    for url in pages:
        html = page_html(manager_client.get(url))
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), url
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
        for input_id in re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', html):
            assert f'<label for="{input_id}">' in html, (url, input_id)
    html = page_html(manager_client.get(CATALOGUE))
    assert html.count("<caption") == 2 and '<th scope="col">Values</th>' in html


def test_the_form_is_a_fragment_for_htmx(manager_client):
    response = manager_client.get(reverse("dashboard:template_create"), HTTP_HX_REQUEST="true")
    html = page_html(response)
    assert html.lstrip().startswith('<section id="catalogue-form"')
    assert "HX-Request" in response["Vary"]


FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.one_of(st.sampled_from(["", "\x00", "{{1}}", "user.x", "a" * 300]), st.text(max_size=40))


@FUZZ
@given(text, text, text, text)
def test_no_input_makes_the_forms_fail(manager_client, a, b, c, d):
    template = manager_client.post(
        reverse("dashboard:template_create"), {"name": a, "language": b, "body": c}
    )
    flow = manager_client.post(
        reverse("dashboard:flow_create"), {"key": a, "name": b, "description": c, "attributes": d}
    )
    assert template.status_code in (200, 302) and flow.status_code in (200, 302)


# The demo's entries


def test_seed_demo_adds_the_sandbox_catalogue_once(settings):
    settings.TECHNOWIZ_SANDBOX = True
    call_command("seed_demo", stdout=io.StringIO())
    templates = {(t.name, t.language): t for t in WhatsAppTemplate.objects.all()}
    assert set(templates) == {(n, s["language"]) for n, s in SANDBOX_TEMPLATES.items()}
    for (name, _), entry in templates.items():
        entry.full_clean()
        assert entry.body == SANDBOX_TEMPLATES[name]["text"] and entry.active
        assert entry.parameter_count == len(SANDBOX_TEMPLATES[name]["parameters"])
    flows = {f.key: f for f in Flow.objects.all()}
    assert {k: f.name for k, f in flows.items()} == SANDBOX_FLOWS
    assert flows["callback_request"].attributes == ["city", "plan"]
    assert flows["create_ticket"].attributes == ["customer_type"]
    assert flows["email_followup"].attributes == []
    for entry in flows.values():
        entry.full_clean()
    call_command("seed_demo", stdout=io.StringIO())
    assert WhatsAppTemplate.objects.count() == len(SANDBOX_TEMPLATES)
    assert Flow.objects.count() == len(SANDBOX_FLOWS)


def test_seed_demo_keeps_edits_unless_reset(settings):
    settings.TECHNOWIZ_SANDBOX = True
    catalogue_demo_create()
    WhatsAppTemplate.objects.filter(name="apology_offer").update(body="Sorry {{1}}!", active=False)
    Flow.objects.filter(key="create_ticket").update(attributes=["order_id"], name="Tickets")
    assert catalogue_demo_create() == 0
    edited = WhatsAppTemplate.objects.get(name="apology_offer")
    assert edited.body == "Sorry {{1}}!" and not edited.active
    assert Flow.objects.get(key="create_ticket").attributes == ["order_id"]
    call_command("seed_demo", "--reset", stdout=io.StringIO())
    restored = WhatsAppTemplate.objects.get(name="apology_offer")
    assert restored.body == SANDBOX_TEMPLATES["apology_offer"]["text"] and restored.active
    ticket = Flow.objects.get(key="create_ticket")
    assert ticket.attributes == ["customer_type"] and ticket.name == "Support ticket"


def test_seed_demo_adds_nothing_with_a_real_platform(settings):
    from django.core.management.base import CommandError

    settings.TECHNOWIZ_SANDBOX = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not WhatsAppTemplate.objects.exists() and not Flow.objects.exists()
