"""Security: links only to our pages and GitHub's web host, a strict Content-Security-Policy,
no credentials on DEBUG's error page, PULSE_LOGIN_REQUIRED, and where the token may go."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.core.cache import cache

from dashboard.derived.rebuild import derived_rebuild
from dashboard.templatetags.pulse import link_target
from ingest.github.client import RefusedHost, api_url_check
from ingest.models import Repository
from tests.conftest import ROOT
from tests.factories import actor, pull_request, small_world
from tests.test_ingest_processes import migrated_database

PAGES = ["/", "/activity/", "/newcomers/", "/committers/", "/ingest/", "/docs/metrics/"]


@pytest.fixture(scope="module")
def proc_db(tmp_path_factory):
    """A migrated database of this run's engine, for processes (tests/test_ingest_processes.py)."""
    yield from migrated_database(tmp_path_factory)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


# -- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("/people/bob/", True),
        ("/projects/acme/alpha/?since=2024-01-01", True),
        ("https://github.com/acme/alpha/pull/1", True),
        ("https://GitHub.com/acme/alpha", True),
        ("javascript:alert(document.cookie)", False),
        ("JavaScript:alert(1)//https://github.com/", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("http://github.com/acme/alpha", False),  # GitHub is https
        ("https://github.com.evil.example/acme", False),
        ("https://evil.example/https://github.com/", False),
        ("https://user:pass@github.com/acme", False),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("/\t/evil.example", False),
        (" javascript:alert(1)", False),
        ("", False),
        (None, False),
    ],
)
def test_only_our_pages_and_github_are_linked(url, allowed):
    assert link_target(url) == (url if allowed else None)


def test_the_configured_enterprise_host_is_linked(settings):
    settings.GITHUB_API_URL = "https://ghe.example.org/api/v3"
    assert link_target("https://ghe.example.org/acme/alpha") == "https://ghe.example.org/acme/alpha"
    assert link_target("https://other.example.org/acme/alpha") is None


@pytest.mark.django_db
@pytest.mark.parametrize("html_url", ["javascript:alert(document.cookie)//", "data:text/html,x"])
def test_a_javascript_html_url_from_the_api_is_shown_as_text_never_as_a_link(client, html_url):
    world = small_world()
    alpha = world["repos"]["acme/alpha"]
    pull_request(
        alpha,
        world["people"]["erin"],
        "2024-04-01 09:00",
        number=77,
        merged="2024-04-02 09:00",
        merged_by=actor("maintainer"),
    )
    Repository.objects.filter(pk=alpha.pk).update(html_url=html_url)
    derived_rebuild()
    period = "since=2023-01-01&until=2024-12-31"
    scheme = html_url.split(":")[0]
    for path in ("/newcomers/", "/committers/", "/people/maintainer/", "/projects/acme/alpha/"):
        html = client.get(f"{path}?{period}").content.decode()
        hrefs = re.findall(r'<a\s[^>]*href="([^"]*)"', html)
        assert not [h for h in hrefs if h.lower().startswith(scheme)], (path, hrefs)
    newcomers = client.get(f"/newcomers/?{period}").content.decode()
    assert html_url.split(":")[0] + ":" in newcomers  # shown, as text


@pytest.mark.django_db
def test_github_html_urls_are_still_links(client):
    world = small_world()
    alpha = world["repos"]["acme/alpha"]
    Repository.objects.filter(pk=alpha.pk).update(html_url="https://github.com/acme/alpha")
    derived_rebuild()
    html = client.get("/newcomers/?since=2023-01-01&until=2024-12-31").content.decode()
    assert 'href="https://github.com/acme/alpha/' in html


# -- headers -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, "/activity/?since=nope", "/projects/no/such/"])
def test_every_answer_carries_a_strict_content_security_policy(client, path):
    small_world()
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    permissions = response.headers["Permissions-Policy"]
    assert "camera=()" in permissions and "geolocation=()" in permissions


@pytest.mark.django_db
def test_pages_hold_no_inline_script_or_style(client):
    small_world()
    derived_rebuild()
    for path in [*PAGES, "/accounts/login/"]:
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers


# -- where the token may go --------------------------------------------------------------------


def _resolving_to(address: str):
    def resolve(host, port, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


@pytest.mark.parametrize(
    "address, kind",
    [
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("192.168.1.10", "private"),
        ("172.16.0.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd00::1", "private"),
        ("0.0.0.0", "private"),
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused(address, kind):
    resolve = _resolving_to(address)
    with pytest.raises(RefusedHost, match=f"is a {kind} address"):
        api_url_check("https://api.example.org", allow_private=False, resolve=resolve)
    if kind == "link-local":  # metadata services: never
        with pytest.raises(RefusedHost):
            api_url_check("https://api.example.org", allow_private=True, resolve=resolve)
    else:
        api_url_check("https://api.example.org", allow_private=True, resolve=resolve)


def test_a_public_host_is_accepted():
    api_url_check(
        "https://api.github.com", allow_private=False, resolve=_resolving_to("140.82.112.6")
    )
    with pytest.raises(ValueError, match="http\\(s\\) URL"):
        api_url_check("file:///etc/passwd", allow_private=True)


def test_tasks_refuse_a_metadata_address_before_sending_anything(settings):
    """The Celery tasks make their client from the settings, like the command."""
    from ingest.github.client import GitHubClient

    settings.GITHUB_API_URL = "http://169.254.169.254/latest/meta-data"
    settings.PULSE_ALLOW_PRIVATE_API = True
    with pytest.raises(RefusedHost, match="link-local"):
        GitHubClient.from_settings()


# -- processes: DEBUG's error page, login required ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def runserver(db_url: str, tmp_path, **env: str):
    """`manage.py runserver` (what `make run` serves) with this environment; yields its URL."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PULSE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": db_url,
            "DEBUG": "true",
            "SECRET_KEY": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    clean.update(env)
    port = _free_port()
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=clean,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/static/css/pulse.css", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, (tmp_path / "runserver.log").read_text()
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _with_password(db_url: str, password: str) -> str:
    parts = urlsplit(db_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_debug_error_page_never_shows_credentials(proc_db, tmp_path):
    secrets = {
        "CACHE_URL": ("redis://:CacheSecret4d2f9@127.0.0.1:1/1", "CacheSecret4d2f9"),
        "CELERY_BROKER_URL": ("redis://pulse:BrokerSecret8e1c@127.0.0.1:1/0", "BrokerSecret8e1c"),
        "GITHUB_TOKEN": ("ghp_TokenSecret5b7a0c3e9d", "ghp_TokenSecret5b7a0c3e9d"),
    }
    db_url = proc_db
    if proc_db.startswith("postgres"):  # trust authentication: any password is accepted
        db_url = _with_password(proc_db, "DbSecret6f0b1a")
        secrets["DATABASE_URL"] = (db_url, "DbSecret6f0b1a")
    env = {name: value for name, (value, _) in secrets.items()}
    with runserver(db_url, tmp_path, **env) as base:
        # The page's figures are cached in Redis, which does not answer: a 500.
        for accept in ("text/html", "text/plain"):  # the HTML and the plain-text debug page
            page = requests.get(base + "/", headers={"Accept": accept}, timeout=30)
            assert page.status_code == 500
            assert "ConnectionError" in page.text  # it is DEBUG's technical page
            assert "CELERY_BROKER_URL" in page.text  # which lists the settings
            for name, (_, secret) in secrets.items():
                assert secret not in page.text, f"{name}'s secret is on the {accept} page"
    if "DATABASE_URL" not in secrets:
        pytest.skip("DATABASE_URL with a password checked on PostgreSQL runs only")


def test_login_required_puts_every_page_behind_a_login(proc_db, tmp_path):
    create = (
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='viewer').delete(); "
        "User.objects.create_user('viewer', password='a long viewer password')"
    )
    # The server's own settings (and so its password hasher), not the tests'.
    env = dict(
        os.environ,
        DATABASE_URL=proc_db,
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        PULSE_VAR_DIR=str(tmp_path),
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", create], cwd=ROOT, env=env, check=True
    )
    paths = [*PAGES, "/?format=csv", "/newcomers/?format=json", "/people/bob/", "/admin/"]
    with runserver(proc_db, tmp_path, PULSE_LOGIN_REQUIRED="true") as base:
        anonymous = requests.Session()
        for path in paths:
            response = anonymous.get(base + path, allow_redirects=False, timeout=30)
            assert response.status_code == 302, path
            assert "/login/?next=" in response.headers["Location"], path
        assert anonymous.get(base + "/static/css/pulse.css", timeout=30).status_code == 200
        login = anonymous.get(base + "/accounts/login/?next=/activity/", timeout=30)
        assert login.status_code == 200 and "Log in" in login.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        signed_in = anonymous.post(
            base + "/accounts/login/",
            data={
                "username": "viewer",
                "password": "a long viewer password",
                "csrfmiddlewaretoken": token,
                "next": "/activity/",
            },
            headers={"Referer": base + "/accounts/login/"},
            timeout=30,
        )
        assert signed_in.status_code == 200 and signed_in.url == base + "/activity/"
        for path in paths[:-1]:
            signed = anonymous.get(base + path, allow_redirects=False, timeout=30)
            # Nobody called bob has been ingested into this empty database: a 404, not a login.
            assert signed.status_code == (404 if "bob" in path else 200), path
    with runserver(proc_db, tmp_path) as base:  # the default: public pages
        assert requests.get(base + "/activity/", timeout=30).status_code == 200


def test_login_required_setting(tmp_path):
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print('django.contrib.auth.middleware.LoginRequiredMiddleware' in s.MIDDLEWARE)"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PULSE_VAR_DIR=str(tmp_path))
    env.update(DEBUG="true")
    outputs = {}
    for value in ("true", "false", ""):
        env["PULSE_LOGIN_REQUIRED"] = value
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        outputs[value] = done.stdout.strip()
    assert outputs == {"true": "True", "false": "False", "": "False"}
