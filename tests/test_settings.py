"""Settings come from the environment: embedded defaults, real servers, loud failures."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = (
    "import json; from django.conf import settings as s; import django; django.setup(); "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'broker': s.CELERY_BROKER_URL, "
    "'orgs': s.PULSE_ORGS, 'repos': s.PULSE_REPOS, 'api': s.GITHUB_API_URL, "
    "'tokens': len(s.GITHUB_TOKENS), 'debug': s.DEBUG}))"
)
CLEARED = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECURE_SSL_REDIRECT",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "PULSE_ORGS",
    "PULSE_REPOS",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
)


def run_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "PULSE_VAR_DIR": str(tmp_path)})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_defaults_use_sqlite_and_filesystem_broker_under_var(tmp_path):
    result = run_settings(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].startswith(str(tmp_path))
    assert values["broker"] == "filesystem://"
    assert values["orgs"] == ["sofastack", "mosn"]
    assert values["api"] == "https://api.github.com"


def test_environment_switches_to_postgresql_redis_and_scope(tmp_path):
    result = run_settings(
        tmp_path,
        DEBUG="true",
        DATABASE_URL="postgres://pulse@db.example:5432/pulse",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
        PULSE_ORGS="mosn",
        PULSE_REPOS="apache/dubbo, alipay/sofa-hessian",
        GITHUB_TOKEN="aaa,bbb",
        GITHUB_API_URL="http://127.0.0.1:9999/",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "pulse"
    assert values["broker"] == "redis://cache.example:6379/0"
    assert values["orgs"] == ["mosn"]
    assert values["repos"] == ["apache/dubbo", "alipay/sofa-hessian"]
    assert values["api"] == "http://127.0.0.1:9999"
    assert values["tokens"] == 2


def test_missing_secret_key_with_debug_off_stops_start_up_with_a_clear_message(tmp_path):
    result = run_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_malformed_repo_list_is_rejected(tmp_path):
    result = run_settings(tmp_path, DEBUG="true", PULSE_REPOS="not-a-repo")
    assert result.returncode != 0
    assert "owner/name" in result.stderr


def test_check_deploy_passes_with_production_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PULSE_VAR_DIR": str(tmp_path),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "pulse.example.org",
            "SECRET_KEY": "k" * 20 + "Zq8#vX!mP2@rT5^wY9&uI3*oL6(eK1)jH4_gF7+dS0-aQ",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # HSTS preload is an opt-in commitment (SECURE_HSTS_PRELOAD); nothing else may be reported.
    assert "security.W0" not in output.replace("security.W021", ""), output


def test_malformed_org_list_is_rejected_in_one_sentence(tmp_path):
    result = run_settings(tmp_path, DEBUG="true", PULSE_ORGS="sofastack,bad org")
    assert result.returncode != 0
    assert "PULSE_ORGS entry 'bad org' is not a GitHub organisation name" in result.stderr


PROBE_CELERY = (
    "import json; from django.conf import settings as s; import django; django.setup(); "
    "print(json.dumps({'limit': s.CELERY_TASK_TIME_LIMIT, 'soft': s.CELERY_TASK_SOFT_TIME_LIMIT, "
    "'options': s.CELERY_BROKER_TRANSPORT_OPTIONS}))"
)


def test_redis_visibility_timeout_is_sized_to_the_task_time_limit(tmp_path):
    """A killed worker's task returns within minutes: the visibility timeout is the time
    limit plus two minutes, not an hour."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PULSE_VAR_DIR=str(tmp_path),
        DEBUG="true",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
    )
    for name in ("CELERY_TASK_TIME_LIMIT", "CELERY_TASK_SOFT_TIME_LIMIT"):
        env.pop(name, None)
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE_CELERY], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert (values["limit"], values["soft"]) == (600, 540)
    assert values["options"]["visibility_timeout"] == 720
    assert values["options"]["unacked_restore_throttle"] == 1
    env.update(CELERY_TASK_TIME_LIMIT="900", CELERY_VISIBILITY_TIMEOUT="600")
    refused = subprocess.run(
        [sys.executable, "-c", PROBE_CELERY], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT=600 must exceed CELERY_TASK_TIME_LIMIT=900" in refused.stderr
