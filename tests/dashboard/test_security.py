"""Headers and switches that protect the people using the site and their customers."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from technowiz.models import OutboundCall

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_csp_is_strict_and_the_htmx_script_carries_its_nonce(agent_client):
    response = agent_client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in policy
    for name in ("object-src", "base-uri", "frame-ancestors"):
        assert directives[name] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    html = response.content.decode()
    assert re.search(rf'<script [^>]*nonce="{re.escape(nonce)}"[^>]*htmx', html) or re.search(
        rf'<script [^>]*htmx[^>]*nonce="{re.escape(nonce)}"', html
    )
    # No inline scripts or handlers in the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.django_db
def test_htmx_is_configured_for_the_csp(agent_client):
    html = agent_client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    for part in (
        '"includeIndicatorStyles": false',
        '"allowEval": false',
        '"allowScriptTags": false',
        '"historyCacheSize": 0',
    ):
        assert part in config
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


@pytest.mark.django_db
def test_sandbox_banner_only_in_sandbox_mode(agent_client, settings):
    banner = "Sandbox: no real customer is contacted."
    settings.TECHNOWIZ_SANDBOX = True
    assert banner in agent_client.get("/").content.decode()
    settings.TECHNOWIZ_SANDBOX = False
    assert banner not in agent_client.get("/").content.decode()


@pytest.mark.django_db
def test_seed_demo_refuses_with_a_real_platform(settings, django_user_model):
    settings.TECHNOWIZ_SANDBOX = False
    with pytest.raises(CommandError, match="a real platform is configured"):
        call_command("seed_demo")
    assert not django_user_model.objects.filter(username="manager").exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_three_roles(settings, django_user_model, client):
    settings.TECHNOWIZ_SANDBOX = True
    settings.DEMO_PASSWORD = "demo-pass-123"
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for name in ("admin", "manager", "agent"):
        user = django_user_model.objects.get(username=name)
        assert list(user.groups.values_list("name", flat=True)) == [name]
    response = client.post("/accounts/login/", {"username": "manager", "password": "demo-pass-123"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_seed_demo_keeps_what_people_changed_unless_reset(settings, django_user_model):
    settings.TECHNOWIZ_SANDBOX = True
    settings.DEMO_PASSWORD = "demo-pass-123"
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("seed_demo", stdout=quiet)
    agent = django_user_model.objects.get(username="agent")
    agent.set_password("my-own-pass-456")
    agent.save()
    call_command("seed_demo", stdout=quiet)  # e.g. make run again
    agent.refresh_from_db()
    assert agent.check_password("my-own-pass-456")
    call_command("seed_demo", "--reset", stdout=quiet)
    agent.refresh_from_db()
    assert agent.check_password("demo-pass-123")


@pytest.mark.django_db
def test_healthz_answers_probes_by_address_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # as in production
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response["Cache-Control"] == "no-store"
    # Everything else still gets the host check and the redirect.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_says_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


PRODUCTION_SETTINGS = ("DJANGO", "SECRET", "DEBUG", "TECHNOWIZ", "ALLOWED_HOSTS", "AUDIT_SEAL")


def _start_in_production(**env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO", "SECRET", "DEBUG", "TECHNOWIZ", "ALLOWED_HOSTS", "AUDIT_SEAL")
        )
    }
    base.update({"DJANGO_ENV": "production", "DJANGO_SETTINGS_MODULE": "dashboard.settings"})
    base.pop("ALLOWED_HOSTS", None)
    base.update(env)
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


GOOD = {
    "SECRET_KEY": "q8Zr!vN2#pLx7@Wm4&Tj9$Hc5^Ya1*Bd6(Ke3)Gu0_Fs8+Ro2=Ei7-Lw4",
    "ALLOWED_HOSTS": "dash.example.com",
    "DEBUG": "false",
    "AUDIT_SEAL_KEY": "k3y-for-the-audit-seals-0f9e8d7c6b5a4938271605f4e3d2c1b0",
}


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-but-random-9f8a7b"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY is too weak"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"AUDIT_SEAL_KEY": ""}, "AUDIT_SEAL_KEY is not set"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"TECHNOWIZ_BASE_URL": "https://api.technowiz.example"}, "TECHNOWIZ_API_KEY"),
    ],
)
def test_production_refuses_unsafe_settings(change, setting):
    result = _start_in_production(**{**GOOD, **change})
    assert result.returncode != 0
    assert "Refusing to start with DJANGO_ENV=production" in result.stderr
    assert setting in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("name", ["Production", "prod", "staging"])
def test_an_unknown_environment_name_refuses_to_start(name):
    result = _start_in_production(**GOOD, DJANGO_ENV=name)
    assert result.returncode != 0
    assert "DJANGO_ENV must be one of development, production" in result.stderr


def test_production_starts_with_safe_settings():
    result = _start_in_production(**GOOD)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_check_deploy_is_clean_in_production():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO", "SECRET", "DEBUG", "TECHNOWIZ", "ALLOWED_HOSTS", "AUDIT_SEAL")
        )
    }
    env.update(GOOD, DJANGO_ENV="production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_copied_env_example_starts_as_the_laptop_defaults(tmp_path):
    """Every variable of .env.example set to its (often empty) example value still starts."""
    own = ("DJANGO", "TECHNOWIZ", "DATABASE_URL", "CACHE_URL")  # e.g. CI's PostgreSQL run
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", STATIC_ROOT=str(tmp_path))
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TECHNOWIZ_API_KEY, s.TECHNOWIZ_SANDBOX, s.TIME_ZONE, "
        "s.DATABASES['default']['ENGINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["sandbox-key", "True", "UTC", "django.db.backends.sqlite3"]


def test_empty_database_and_cache_urls_mean_the_defaults():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update(DATABASE_URL="", CACHE_URL="", DJANGO_SETTINGS_MODULE="dashboard.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.db.DatabaseCache",
    ]


def test_production_serves_pages_with_hashed_compressed_static_files(tmp_path):
    """The manifest storage needs collectstatic (the Procfile's web runs it): pages work."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO", "SECRET", "DEBUG", "TECHNOWIZ", "ALLOWED_HOSTS", "AUDIT_SEAL")
        )
    }
    env.update(GOOD, DJANGO_ENV="production", STATIC_ROOT=str(tmp_path / "static"))
    env["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    code = (
        "import django; django.setup(); from django.template.loader import render_to_string;"
        "print(render_to_string('registration/locked_out.html'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    css = re.search(r'href="/static/(css/site\.[0-9a-f]{12}\.css)"', result.stdout)
    assert css, result.stdout[:500]
    assert (tmp_path / "static" / (css.group(1) + ".gz")).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", ["%2E%2E", "%2E", ".%2E"])
def test_a_dot_segment_user_id_is_refused_before_any_call(agent_client, sandbox, user_id):
    """Django decodes %2E%2E to "..", and httpx would drop it from the platform's path."""
    for suffix in ("", "rating/"):
        response = agent_client.get(f"/users/{user_id}/conversation/{suffix}")
        assert response.status_code == 200
        assert "This is not a user id the platform can have" in response.content.decode()
    assert not OutboundCall.objects.exists() and sandbox.stats.requests == 0


@pytest.mark.django_db
def test_a_user_id_with_a_slash_is_asked_for_as_it_is(agent_client, sandbox):
    response = agent_client.get("/users/web%2Fodd/conversation/")
    assert response.status_code == 200
    assert "This user is unknown to the platform." in response.content.decode()
    [call] = OutboundCall.objects.filter(action="conversation.page")
    assert call.path.endswith("/channel-user/web%2Fodd/conversations")


@pytest.mark.django_db
def test_the_audit_records_the_path_that_went_on_the_wire(agent_client, sandbox):
    agent_client.get("/users/a.b/conversation/")
    [call] = OutboundCall.objects.filter(action="conversation.page")
    assert call.path.endswith("/channel-user/a.b/conversations")


@pytest.mark.django_db
def test_healthz_says_503_when_the_cache_table_is_missing(client):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE dashboard_cache")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unreachable"}


def test_migrate_alone_creates_the_cache_table(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "cache.set('x', 1); print(cache.get('x'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "1", result.stderr
