"""The page-figure cache and the finer rollups behind cold pages: shared through Redis with
CACHE_URL and warmed after a rollup rebuild; retention read from the stored last contribution
and active contributors read from whole-bucket counts give the raw facts' answer."""

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from dashboard.definitions.buckets import INTERVALS, bucket_start, bucket_starts
from dashboard.definitions.contributions import scope_key
from dashboard.derived.rebuild import derived_rebuild
from dashboard.derived.roles import promotion_months_rebuild
from dashboard.metrics.activity import activity_by_interval
from dashboard.metrics.newcomers import newcomer_retention_by_month
from dashboard.metrics.promotion import promotion_candidates
from dashboard.models import ActiveCount, BucketTotal, PromotionWork
from dashboard.tasks import rebuild_derived
from ingest.changes import facts_changed_everywhere
from tests.conftest import ROOT
from tests.factories import (
    WORLD_BOTS,
    WORLD_CONTRIBUTIONS,
    WORLD_REPOS,
    at,
    comment,
    commit,
    repository,
    small_world,
)
from tests.test_settings import CLEARED

# The Redis the suite runs against (the broker's when it is Redis), on a key prefix of its own.
_BROKER = os.environ.get("CELERY_BROKER_URL", "")
REDIS_URL = _BROKER if _BROKER.startswith("redis://") else "redis://127.0.0.1:6379/0"


@pytest.fixture
def shared_cache():
    prefix = f"pulse-test-{uuid.uuid4().hex}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    client = redis.Redis.from_url(REDIS_URL)
    with override_settings(CACHE_URL=REDIS_URL, CACHES=caches):
        yield {"prefix": prefix, "client": client}
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_cache_url_selects_redis_and_a_bad_one_stops_start_up(tmp_path):
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default'].get('LOCATION'))"
    )

    def settings_of(**env):
        clean = {k: v for k, v in os.environ.items() if k not in CLEARED and k != "CACHE_URL"}
        clean.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PULSE_VAR_DIR": str(tmp_path),
                "DEBUG": "true",
                **env,
            }
        )
        return subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env=clean,
            capture_output=True,
            text=True,
            timeout=60,
        )

    local = settings_of()
    assert local.returncode == 0, local.stderr
    assert local.stdout.split()[0] == "django.core.cache.backends.locmem.LocMemCache"
    shared = settings_of(CACHE_URL="redis://cache.example:6379/1")
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.example:6379/1",
    ]
    bad = settings_of(CACHE_URL="memcached://user:s3cret@cache.example")
    assert bad.returncode != 0
    assert "CACHE_URL must be a Redis address" in bad.stderr
    assert "s3cret" not in bad.stderr


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_task_queues_a_warm_up_of_the_default_pages_in_the_shared_cache(
    shared_cache, client, django_assert_max_num_queries, celery_eager
):
    small_world()
    derived_rebuild()  # the rebuild itself computes no page
    assert not list(shared_cache["client"].scan_iter(f"{shared_cache['prefix']}:*"))
    facts_changed_everywhere()
    assert rebuild_derived.delay().get() == 2  # runs here, eagerly, as a worker would
    # Another process (a second Redis client) sees the figures the queued warm-up computed.
    assert list(shared_cache["client"].scan_iter(f"{shared_cache['prefix']}:*"))
    with django_assert_max_num_queries(10) as warm:
        assert client.get("/activity/").status_code == 200
    cache.clear()
    with django_assert_max_num_queries(50) as cold:
        assert client.get("/activity/").status_code == 200
    # Cold, the page computes its series (this year's and last year's); warm it only reads.
    assert len(warm.captured_queries) < len(cold.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("narrowed", [False, True])  # new to the community / to each project
def test_retention_of_an_earlier_period_ignores_contributions_after_it(narrowed):
    built = small_world()
    scope = {
        "repository_ids": [r.id for r in built["repos"].values()],
        "narrowed": narrowed,
        "kind": "default",
        "since": dt.date(2024, 1, 1),
    }

    def march(until: dt.date) -> dict:
        cache.clear()
        rows = newcomer_retention_by_month(**scope, until=until)
        return next(r for r in rows if r["month"] == dt.date(2024, 3, 1))

    derived_rebuild()
    before = march(dt.date(2024, 12, 31))
    # carol (first PR 2024-03-10) comes back in 2025: not within a period ending 2024.
    comment(built["repos"]["acme/beta"], built["people"]["carol"], "2025-06-01 09:00", number=9)
    derived_rebuild()
    assert march(dt.date(2024, 12, 31)) == before
    assert march(dt.date(2025, 12, 31))["retained_180d"] > before["retained_180d"]


@pytest.mark.django_db
@pytest.mark.parametrize("interval", INTERVALS)
def test_active_contributors_same_from_whole_bucket_counts_and_from_days(interval):
    built = small_world()
    derived_rebuild()
    # The organisation and every-repository scopes have whole buckets counted at rebuild;
    # a single project does not. A period cut mid-bucket at both ends mixes both sources.
    since, until = dt.date(2023, 11, 15), dt.date(2024, 8, 20)
    buckets = bucket_starts(since=since, until=until, interval=interval)
    for names in (WORLD_REPOS, ["acme/alpha", "acme/beta"], ["acme/beta"]):
        ids = [built["repos"][n].id for n in names]
        got = activity_by_interval.uncached(
            repository_ids=ids, since=since, until=until, interval=interval
        )
        expected = [
            len(
                {
                    p
                    for p, repo, _, when in WORLD_CONTRIBUTIONS
                    if repo in names
                    and p not in WORLD_BOTS
                    and since <= at(when).date() <= until
                    and bucket_start(at(when).date(), interval) == b
                }
            )
            for b in buckets
        ]
        assert got["metrics"]["active_contributors"] == expected, names
    assert ActiveCount.objects.filter(
        scope=scope_key([r.id for r in built["repos"].values()]), interval=interval
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("interval", INTERVALS)
def test_every_activity_metric_same_from_whole_bucket_totals_and_from_days(interval):
    built = small_world()
    derived_rebuild()
    since, until = dt.date(2023, 11, 15), dt.date(2024, 8, 20)  # cut mid-bucket at both ends
    for names in (WORLD_REPOS, ["acme/alpha", "acme/beta"]):
        ids = [built["repos"][n].id for n in names]
        scope = scope_key(ids)
        assert BucketTotal.objects.filter(scope=scope, interval=interval).exists()
        args = {"repository_ids": ids, "since": since, "until": until, "interval": interval}
        from_totals = activity_by_interval.uncached(**args)
        BucketTotal.objects.filter(scope=scope).delete()  # as if never counted: all from days
        assert activity_by_interval.uncached(**args) == from_totals, names
        assert any(v for values in from_totals["metrics"].values() for v in values)


@pytest.mark.django_db
def test_candidate_cut_per_project_keeps_everyone_tied_at_the_cut():
    repos = [repository(name) for name in ("acme/alpha", "acme/beta")]
    # Per project: one clear leader, then three tied on every ranked figure, inserted so that
    # the alphabetically first (who wins the final tie-break, by login) comes last.
    recently = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for repo in repos:
        for login, merged in [("lead", 9), ("zed", 5), ("mia", 5), ("amy", 5), ("low", 1)]:
            items = [("merged", n, 1) for n in range(merged)]
            items += [("review", 1, None), ("review", 2, None), ("answer", 3, None)]
            for kind, number, level in items:
                PromotionWork.objects.create(
                    repository=repo,
                    login=login,
                    kind=kind,
                    at=recently,
                    authored_at=recently,
                    number=number,
                    level=level,
                )
    ids = [r.id for r in repos]
    promotion_months_rebuild(repository_ids=ids)
    everyone = promotion_candidates(repository_ids=ids, as_of=None, limit=None)
    best_two = [(r["project"], r["login"]) for r in everyone if r["rank"] <= 2]
    assert best_two == [
        ("acme/alpha", "lead"),
        ("acme/alpha", "amy"),
        ("acme/beta", "lead"),
        ("acme/beta", "amy"),
    ]
    cut = promotion_candidates(repository_ids=ids, as_of=None, limit=2)
    assert [(r["project"], r["login"]) for r in cut] == best_two


@pytest.mark.django_db
def test_a_page_reads_the_derived_version_once_and_the_next_request_sees_a_rebuild(client):
    built = small_world()
    derived_rebuild()
    cache.clear()
    page = "/risks/?since=2024-01-01&until=2024-12-31"
    with CaptureQueriesContext(connection) as cold:
        first = client.get(page)
    assert first.status_code == 200
    version_reads = [q for q in cold.captured_queries if "dashboard_derivedstate" in q["sql"]]
    # tens of cached selectors on this page; the version they are keyed by is read once
    assert len(version_reads) == 1
    # A rebuild between two requests: the next request reads the new version and shows the
    # new figure, not the first request's cached one.
    before = _authored_total(client, page)
    for day in range(1, 4):
        commit(
            built["repos"]["acme/beta"], f"2024-11-0{day} 09:00", author=built["people"]["alice"]
        )
    derived_rebuild()
    assert _authored_total(client, page) == before + 3


def _authored_total(client, page: str) -> int:
    response = client.get(page + "&format=json")
    data = json.loads(b"".join(response.streaming_content))
    return next(row["total"] for row in data["rows"] if row["work"].startswith("authored"))
