"""Every named URL, for every kind of visitor, as a plain request and as htmx: signed-out
and deactivated people are sent to sign in, each role gets exactly its screens (403
otherwise). A URL added without a line here fails the first test."""

import uuid

import pytest
from django.http import HttpResponseRedirect
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dashboard.models import Flow, Run, WhatsAppTemplate
from dashboard.roles import ROLES
from dashboard.services.actions import action_record
from tests.conftest import make_call

PUBLIC, SIGNED_IN, SIGN_OUT = "public", "signed in", "sign out"

# name -> (method, the permission it needs)
MATRIX = {
    "dashboard:home": ("get", SIGNED_IN),
    "dashboard:users_list": ("get", "view_users"),
    "dashboard:users_select": ("post", "view_users"),
    "dashboard:users_export": ("get", "export_data"),
    "dashboard:conversation": ("get", "view_conversations"),
    "dashboard:conversation_rating": ("get", "view_conversations"),
    "dashboard:conversation_message": ("get", "view_conversations"),
    "dashboard:conversation_export": ("get", "export_data"),
    "dashboard:users_assign": ("post", "work_queue"),
    "dashboard:queue_update": ("post", "work_queue"),
    "dashboard:queue_note_create": ("post", "work_queue"),
    "dashboard:rating_note": ("get", "view_conversations"),
    "dashboard:broadcasts_list": ("get", "send_broadcast"),
    "dashboard:broadcast_new": ("get", "send_broadcast"),
    "dashboard:broadcast_create": ("post", "send_broadcast"),
    "dashboard:triggers_list": ("get", "trigger_flow"),
    "dashboard:trigger_new": ("get", "trigger_flow"),
    "dashboard:trigger_create": ("post", "trigger_flow"),
    "dashboard:run_detail": ("get", "send_broadcast"),  # the sample run is a broadcast
    "dashboard:run_choose": ("post", "send_broadcast"),
    "dashboard:run_values": ("post", "send_broadcast"),
    "dashboard:run_confirm": ("post", "send_broadcast"),
    "dashboard:run_control": ("post", "send_broadcast"),
    "dashboard:run_export": ("get", "send_broadcast"),
    "dashboard:catalogue": ("get", "manage_catalogue"),
    "dashboard:template_create": ("get", "manage_catalogue"),
    "dashboard:template_edit": ("get", "manage_catalogue"),
    "dashboard:template_toggle": ("post", "manage_catalogue"),
    "dashboard:flow_create": ("get", "manage_catalogue"),
    "dashboard:flow_edit": ("get", "manage_catalogue"),
    "dashboard:flow_toggle": ("post", "manage_catalogue"),
    "dashboard:audit_list": ("get", "view_audit"),
    "dashboard:audit_verify": ("post", "view_audit"),
    "dashboard:audit_integrity": ("get", "view_audit"),
    "dashboard:audit_detail": ("get", "view_audit"),
    "dashboard:audit_call": ("get", "view_audit"),
    "dashboard:audit_export": ("get", "view_audit"),
    "dashboard:actions_list": ("get", "view_audit"),
    "dashboard:action_detail": ("get", "view_audit"),
    "dashboard:actions_export": ("get", "view_audit"),
    "dashboard:team_list": ("get", "manage_team"),
    "dashboard:team_create": ("get", "manage_team"),
    "dashboard:team_edit": ("get", "manage_team"),
    "dashboard:team_active": ("post", "manage_team"),
    "dashboard:team_password": ("get", "manage_team"),
    "team_admin:index": ("get", "manage_team"),
    "healthz": ("get", PUBLIC),
    "login": ("get", PUBLIC),
    "logout": ("post", SIGN_OUT),
    "account_settings": ("get", SIGNED_IN),
    "password_change": ("get", SIGNED_IN),
    "password_change_done": ("get", SIGNED_IN),
}


RUN_URLS = ("run_detail", "run_choose", "run_values", "run_confirm", "run_control", "run_export")


def _named(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "team_admin":  # Django's admin: one entry for the site
                names.add("team_admin:index")
                continue
            inner = f"{entry.namespace}:" if entry.namespace else namespace
            names |= _named(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def test_every_named_url_is_in_the_matrix():
    assert _named(get_resolver()) == set(MATRIX)


@pytest.fixture
def samples(db, make_member):
    owner = make_member("owner", "admin")
    template = WhatsAppTemplate.objects.create(name="t", body="Hi {{1}}")
    flow = Flow.objects.create(key="f", name="F")
    run = Run.objects.create(kind="broadcast", name="r", audience="x", created_by=owner)
    call = make_call()
    action = action_record(action="auth.sign_in", person=owner)
    return {
        "dashboard:action_detail": [action.pk],
        "dashboard:conversation": ["919812345678"],
        "dashboard:conversation_rating": ["919812345678"],
        "dashboard:conversation_message": ["919812345678"],
        "dashboard:conversation_export": ["919812345678"],
        "dashboard:queue_update": ["919812345678"],
        "dashboard:queue_note_create": ["919812345678"],
        "dashboard:rating_note": ["919812345678"],
        "dashboard:template_edit": [template.pk],
        "dashboard:template_toggle": [template.pk],
        "dashboard:flow_edit": [flow.pk],
        "dashboard:flow_toggle": [flow.pk],
        "dashboard:audit_detail": [call.pk],
        "dashboard:audit_call": [call.call_id],
        **{f"dashboard:team_{name}": [owner.pk] for name in ("edit", "active", "password")},
        **{f"dashboard:{name}": [run.pk] for name in RUN_URLS},
    }


def _visitor(kind: str, make_member) -> Client:
    client = Client()
    if kind == "anonymous":
        return client
    person = make_member(
        f"v-{kind}-{uuid.uuid4().hex[:6]}", "agent" if kind == "deactivated" else kind
    )
    client.force_login(person)
    if kind == "deactivated":
        person.is_active = False
        person.save()
    return client


@pytest.mark.parametrize("visitor", ["anonymous", "deactivated", "agent", "manager", "admin"])
@pytest.mark.parametrize("htmx", [False, True])
def test_each_visitor_gets_exactly_what_their_role_allows(
    visitor, htmx, samples, make_member, sandbox
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    held = set(ROLES.get(visitor, ()))
    for name, (method, needs) in MATRIX.items():
        client = _visitor(visitor, make_member)  # fresh: logout must not end the others
        url = reverse(name, args=samples.get(name, []))
        # The team admin answers through its own login URL, which sends on: follow it.
        follow = name.startswith("team_admin:")
        response = getattr(client, method)(url, follow=follow, **headers)
        if follow and response.redirect_chain:
            last = response.redirect_chain[-1][0]
            if last.startswith("/accounts/login/"):
                response = HttpResponseRedirect(last)
        to_sign_in = (
            response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        ) or response.get("HX-Redirect", "").startswith("/accounts/login/")
        where = (visitor, htmx, name, response.status_code)
        if needs == SIGN_OUT:
            assert to_sign_in, where  # whoever asks ends signed out, at the sign-in page
        elif needs == PUBLIC:
            assert not to_sign_in and response.status_code in (200, 302), where
        elif visitor in ("anonymous", "deactivated"):
            assert to_sign_in, where
        elif needs == SIGNED_IN or needs in held:
            assert not to_sign_in and response.status_code != 403, where
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where
