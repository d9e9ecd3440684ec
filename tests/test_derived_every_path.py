"""The same tables from every path: one synthetic world ingested by `manage.py ingest`, by the
Celery fan-out over two real workers (PostgreSQL + Redis) and by two `manage.py ingest`
processes at once leaves identical dashboard tables (DESIGN: "Rebuilds are deterministic").

Each path gets a fresh PostgreSQL database cloned from one migrated template. Every derived
table is compared by row count and an order-independent fingerprint of its content, with
surrogate ids replaced by what they stand for (repository full names, actor logins): each path
assigns ids in its own order.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from tests.conftest import ROOT

SEED, SCALE = 1, "small"
ORGS = "sofastack,mosn"  # the synthetic world's organisations at small and medium scale
TOKEN = "paths-test-token"  # the simulator's only accepted token; not a secret
REDIS_DB = 13  # a Redis database of this test's own, flushed before and after
WAIT_SECONDS = 150

# Not derived data: a setting (PromotionRule) and bookkeeping (when the rollups were rebuilt);
# dashboard models named like these (…State, …Version, …Rule) are left out too.
DERIVED_EXCLUDED = {"PromotionRule", "RollupState"}
DERIVED_EXCLUDED_SUFFIXES = ("State", "Version", "Rule")
# Raw facts are every ingest model except what Pulse records about its own work or is told.
RAW_EXCLUDED = {
    "SyncState",
    "IngestRun",
    "FactChange",
    "TrackedOrganization",
    "TrackedRepository",
    "BotAccount",
    "AffiliationOverride",
    "IdentityDecision",
}
# Columns holding another row's primary key without being a foreign key.
ID_REFERENCES = {("dashboard.CandidateTotal", "author_id"): "ingest.Actor"}
GITHUB_IDS = {"github_id", "node_id"}  # GitHub's, the same in every database
# What a row of these stands for in any database; other models by their GitHub id.
NATURAL_KEYS = {"ingest.Repository": "full_name", "ingest.Actor": "login", "ingest.Commit": "sha"}
# When Pulse did something, not what GitHub said.
INGEST_TIME_COLUMNS = {"profile_fetched_at"}

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL (DATABASE_URL=postgres://…): the paths run in real processes "
        "with several writers at once, which SQLite serialises",
    ),
]


# -- databases, the simulator and the broker --------------------------------------------------
@contextmanager
def _connect(db_url: str):
    parts = dj_database_url.parse(db_url)
    conn = psycopg2.connect(
        host=parts["HOST"],
        port=parts["PORT"] or 5432,
        user=parts["USER"],
        password=parts["PASSWORD"],
        dbname=parts["NAME"],
    )
    conn.autocommit = True
    with closing(conn):
        yield conn


def _env(db_url: str, sim_url: str, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="tests.settings",
        GITHUB_API_URL=sim_url,
        GITHUB_TOKEN=TOKEN,
        PULSE_ORGS=ORGS,
        PULSE_REPOS="",
        CACHE_URL="",  # page figures warmed after a rebuild stay in each process
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _manage(db_url: str, *args: str, sim_url: str, **extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(db_url, sim_url, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def fresh_database():
    """Factory: a new database cloned from one migrated template; all dropped at teardown."""
    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    prefix = f"pulse_paths_{uuid.uuid4().hex[:8]}"
    server = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}"
    created: list[str] = []

    with _connect(f"{server}/postgres") as admin:

        def create(label: str, template: str | None = None) -> str:
            name = f"{prefix}_{label}"
            clause = f' TEMPLATE "{template}"' if template else ""
            admin.cursor().execute(f'CREATE DATABASE "{name}"{clause}')
            created.append(name)
            return name

        template = create("template")
        _manage(f"{server}/{template}", "migrate", "--noinput", sim_url="http://127.0.0.1:9")
        try:
            yield lambda label: f"{server}/{create(label, template)}"
        finally:
            for name in created:
                admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def simulator(tmp_path):
    """The synthetic world served by `python -m ingest.simulator` in a process of its own."""
    log = tmp_path / "simulator.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest.simulator",
            "--world",
            "synthetic",
            "--seed",
            str(SEED),
            "--scale",
            SCALE,
            "--token",
            TOKEN,
            # Three paths read the world: no rate-limit pauses in between.
            "--rate-limit",
            "1000000",
            "--graphql-rate-limit",
            "1000000",
        ],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while "GitHub simulator at " not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield log.read_text().split("GitHub simulator at ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def broker():
    """A Redis database of this test's own on the suite's Redis (or the local one): its URL."""
    import redis

    configured = os.environ.get("CELERY_BROKER_URL", "")
    parts = urlsplit(configured if configured.startswith("redis://") else "redis://127.0.0.1:6379")
    url = urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis for the Celery path; {url} is unreachable ({exc})")
    yield url
    client.flushdb()


# -- waiting until every sync and the derived data behind it are done --------------------------
def derived_data_settled(db_url: str, broker_url: str | None = None) -> bool:
    """No sync running, none queued or in a worker's hands, and no rebuild of derived data
    pending. Adapt here when pending rebuilds move (today: dashboard/rebuilds.py's SyncState
    rows; ingest's changed-facts rows, FactChange, count too once that table exists)."""
    with _connect(db_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'running') FROM ingest_ingestrun"
        )
        runs, running = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM ingest_syncstate "
            "WHERE scope = '_rollups' AND resource LIKE 'pending:%'"
        )
        pending = cursor.fetchone()[0]
        cursor.execute("SELECT to_regclass('ingest_factchange') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT COUNT(*) FROM ingest_factchange")
            pending += cursor.fetchone()[0]
    if not runs or running or pending:
        return False
    if broker_url is None:
        return True
    import redis

    # A task is in a queue's list until a worker takes it and in `unacked` until it returns
    # (every ingest and rollups task acknowledges late), so both empty: nothing left to run.
    client = redis.Redis.from_url(broker_url)
    queued = sum(client.llen(key) for key in client.scan_iter() if client.type(key) == b"list")
    return queued == 0 and client.hlen("unacked") == 0


def _wait_settled(db_url: str, broker_url: str | None, logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    settled_twice = 0
    while settled_twice < 2:
        settled_twice = settled_twice + 1 if derived_data_settled(db_url, broker_url) else 0
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            raise AssertionError(f"not settled after {WAIT_SECONDS} s\n{tails}")
        time.sleep(0.5)


# -- the three paths ----------------------------------------------------------------------------
def ingest_by_command(db_url: str, sim_url: str, tmp_path: Path) -> None:
    out = _manage(db_url, "ingest", sim_url=sim_url)
    assert "Errors: 0" in out, out
    _wait_settled(db_url, None, [])


def ingest_by_celery_workers(db_url: str, sim_url: str, broker_url: str, tmp_path: Path) -> None:
    on_broker = {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "PULSE_VAR_DIR": str(tmp_path / "var"),
    }
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    queues.add(settings.CELERY_TASK_DEFAULT_QUEUE)
    logs, workers = [], []
    try:
        for n in (1, 2):
            logs.append(tmp_path / f"worker{n}.log")
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "-Q",
                        ",".join(sorted(queues)),
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"paths{n}@%h",
                        "--loglevel",
                        "INFO",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    cwd=ROOT,
                    env=_env(db_url, sim_url, **on_broker),
                    stdout=logs[-1].open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        send = "from ingest.tasks import sync_all; sync_all.delay()"  # what the beat sends
        _manage(db_url, "shell", "-c", send, sim_url=sim_url, **on_broker)
        _wait_settled(db_url, broker_url, logs)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def ingest_by_two_commands_at_once(db_url: str, sim_url: str, tmp_path: Path) -> None:
    logs = [tmp_path / "ingest1.log", tmp_path / "ingest2.log"]
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "ingest"],
            cwd=ROOT,
            env=_env(db_url, sim_url),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    codes = [proc.wait(timeout=300) for proc in procs]
    texts = [log.read_text() for log in logs]
    report = "\n".join(
        f"--- {log.name}\n{text[-3000:]}" for log, text in zip(logs, texts, strict=True)
    )
    # Each repository is synced by one of the two (a per-repository lock); the other says it
    # skipped it and exits 1 (DESIGN.md: a sync that did not happen is not a success), and
    # nothing else may have gone wrong.
    for code, text in zip(codes, texts, strict=True):
        problems = [line for line in text.splitlines() if line.startswith("  - ")]
        assert code in (0, 1), report
        assert all("was already running; this one was skipped" in p for p in problems), report
        assert (code == 1) == bool(problems), report
    _wait_settled(db_url, None, logs)


# -- what a database holds, independent of its surrogate ids ------------------------------------
def derived_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_app_config("dashboard").get_models()
        if m.__name__ not in DERIVED_EXCLUDED and not m.__name__.endswith(DERIVED_EXCLUDED_SUFFIXES)
    ]


def raw_models() -> list[type[models.Model]]:
    return [m for m in apps.get_app_config("ingest").get_models() if m.__name__ not in RAW_EXCLUDED]


class Contents:
    """One database's tables as multisets of rows, ids replaced by natural keys."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._keys: dict[str, dict[int, object]] = {}
        self._scopes: dict[str, str] = {}

    def _natural(self, cursor, model: type[models.Model]) -> dict[int, object]:
        label = model._meta.label
        if label not in self._keys:
            column = NATURAL_KEYS.get(label, "github_id")
            assert any(f.column == column for f in model._meta.concrete_fields), (
                f"rows of {label} are referenced: name their natural key in NATURAL_KEYS"
            )
            cursor.execute(f'SELECT id, "{column}" FROM {model._meta.db_table}')
            self._keys[label] = dict(cursor.fetchall())
        return self._keys[label]

    def _scope_names(self, cursor) -> dict[str, str]:
        """Repository sets named by a hash of their ids (ActiveCount, BucketTotal): each set a
        rebuild names (all tracked repositories, each organisation's) by its full names."""
        if not self._scopes:
            scope_key = _scope_key_function()
            cursor.execute("SELECT id, full_name, owner_login, tracked FROM ingest_repository")
            rows = cursor.fetchall()
            sets = [[r for r in rows if r[3]], rows]
            for owner in {r[2].lower() for r in rows}:
                sets.append([r for r in rows if r[2].lower() == owner])
            for members in sets:
                key = scope_key([r[0] for r in members])
                self._scopes[key] = "repositories:" + ",".join(sorted(r[1] for r in members))
        return self._scopes

    def rows(self, model: type[models.Model]) -> Counter:
        label = model._meta.label
        columns, translate = [], []
        with _connect(self.db_url) as conn, conn.cursor() as cursor:
            scopes = self._scope_names(cursor)
            for field in model._meta.concrete_fields:
                if isinstance(field, models.AutoField | models.BigAutoField):
                    continue  # a surrogate id
                if field.name in INGEST_TIME_COLUMNS or getattr(field, "auto_now", False):
                    continue
                if getattr(field, "auto_now_add", False):
                    continue
                target = ID_REFERENCES.get((label, field.name))
                if field.is_relation:
                    target = field.related_model._meta.label
                assert target or field.name in GITHUB_IDS or not field.column.endswith("_id"), (
                    f"{label}.{field.name} looks like an id: declare what it references in "
                    "ID_REFERENCES, so ids assigned in another order do not count as a difference"
                )
                columns.append(f'"{field.column}"')
                translate.append(self._natural(cursor, apps.get_model(target)) if target else None)
            cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")
            return Counter(
                tuple(
                    _plain(value, keys, scopes) for value, keys in zip(row, translate, strict=True)
                )
                for row in cursor.fetchall()
            )


def _scope_key_function():
    """The dashboard's name of a repository set (a hash of its ids), wherever it lives: the
    refactor of issue 10 moves it."""
    for module, name in (
        ("dashboard.definitions.contributions", "scope_key"),
        ("dashboard.metrics.activity", "people_scope_key"),
    ):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise AssertionError("where is the function naming a repository set by its ids now?")


def _plain(value, keys: dict | None, scopes: dict[str, str]):
    if value is None:
        return None
    if keys is not None:
        return keys.get(value, f"<missing {value}>")
    if isinstance(value, float):
        return float(f"{value:.12g}")  # sums in another row order may differ in the last bit
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return scopes.get(value, value)
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def fingerprint(rows: Counter) -> str:
    digest = hashlib.sha256()
    for line in sorted(repr(row) for row in rows.elements()):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _differences(tables: dict[str, dict[str, Counter]]) -> list[str]:
    """A line per table whose paths disagree: rows and fingerprint per path, and a few rows
    found in one path but not the first."""
    lines = []
    for table, by_path in tables.items():
        prints = {path: (sum(rows.values()), fingerprint(rows)) for path, rows in by_path.items()}
        if len({fp for _, fp in prints.values()}) == 1:
            continue
        lines.append(
            f"{table}: " + ", ".join(f"{path} {n} rows ({fp})" for path, (n, fp) in prints.items())
        )
        base_path, base = next(iter(by_path.items()))
        for path, rows in list(by_path.items())[1:]:
            for holder, extra in ((base_path, base - rows), (path, rows - base)):
                if extra:
                    sample = sorted(extra.elements(), key=repr)[:3]
                    lines.append(
                        f"    {sum(extra.values())} rows only in {holder} ({base_path} vs "
                        f"{path}), e.g. {sample}"
                    )
    return lines


def test_every_path_leaves_the_same_derived_tables(broker, simulator, fresh_database, tmp_path):
    paths = {
        "command": fresh_database("command"),
        "celery": fresh_database("celery"),
        "concurrent": fresh_database("concurrent"),
    }
    started = time.monotonic()
    ingest_by_command(paths["command"], simulator, tmp_path)
    ingest_by_celery_workers(paths["celery"], simulator, broker, tmp_path)
    ingest_by_two_commands_at_once(paths["concurrent"], simulator, tmp_path)
    print(f"three paths ingested in {time.monotonic() - started:.0f} s")

    contents = {path: Contents(url) for path, url in paths.items()}
    derived = {
        m._meta.db_table: {path: c.rows(m) for path, c in contents.items()}
        for m in derived_models()
    }
    raw = {
        m._meta.db_table: {path: c.rows(m) for path, c in contents.items()} for m in raw_models()
    }
    for table, by_path in {**raw, **derived}.items():
        print(table, {path: sum(rows.values()) for path, rows in by_path.items()})
    assert sum(derived["dashboard_contributionevent"]["command"].values()) > 0, "nothing ingested"

    problems, raw_problems = _differences(derived), _differences(raw)
    report = (["derived tables differ between paths:", *problems] if problems else []) + (
        ["raw facts differ between paths:", *raw_problems] if raw_problems else []
    )
    assert not report, "\n".join(report)
