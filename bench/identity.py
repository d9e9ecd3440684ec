"""Time of joining commit authors' identities (`ingest.identity.commits_recompute_author_keys`).

Loads the commits of a simulator world straight into a scratch database (as ingest stores
them: linked author when the world links one, `author_key` by the plain per-commit rule), then
times the re-key: the first pass (every joined identity changes key) and later passes (nothing
changes; what each sync pays). Worlds: the medium synthetic world and the git-history world.

    [DATABASE_URL=postgres://…] .venv/bin/python bench/identity.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_common import ROOT, scratch_database  # noqa: E402

GIT_HISTORY = ROOT.parent / "shared" / "data" / "sofastack-git"


def load(world) -> int:
    """The world's commits as Commit rows (and their linked authors as Actors)."""
    from datetime import datetime

    from ingest.identity import author_key
    from ingest.models import Actor, Commit, Repository

    Commit.objects.all().delete()
    Repository.objects.all().delete()
    Actor.objects.all().delete()
    users = {uid: login for uid, login in world.db.execute("SELECT id, login FROM users")}
    actors = {
        a.login: a.pk
        for a in Actor.objects.bulk_create(
            [Actor(github_id=uid, login=login) for uid, login in users.items()]
        )
    }
    repos = {}
    for rid, full_name in world.db.execute("SELECT id, full_name FROM repos"):
        owner, name = full_name.split("/")
        repos[rid] = Repository.objects.create(
            github_id=rid, owner_login=owner, name=name, full_name=full_name
        ).pk

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    rows = [
        Commit(
            repository_id=repos[rid],
            sha=sha,
            author_id=actors.get(users.get(aid)),
            author_name=name or "",
            author_email=email or "",
            author_key=author_key(login=users.get(aid), email=email),
            authored_at=when(authored),
            committed_at=when(authored),
        )
        for sha, rid, aid, name, email, authored in world.db.execute(
            "SELECT sha, repo_id, author_id, author_name, author_email, authored_at FROM commits"
        )
    ]
    Commit.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def measure(label: str, world, runs: int) -> None:
    from ingest.identity import commits_recompute_author_keys
    from ingest.models import Commit

    firsts, laters = [], []
    for _ in range(runs):
        commits = load(world)
        started = time.perf_counter()
        changed = commits_recompute_author_keys()
        firsts.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert commits_recompute_author_keys() == 0
        laters.append(time.perf_counter() - started)
    people = Commit.objects.values("author_key").distinct().count()
    print(
        f"{label}: {commits} commits, {changed} re-keyed, {people} author keys; "
        f"first pass median {statistics.median(firsts) * 1000:.0f} ms, "
        f"unchanged pass median {statistics.median(laters) * 1000:.0f} ms ({runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_database() as db:
        os.environ["DATABASE_URL"] = db
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        from ingest.simulator import GitHistoryWorld, World

        print(f"database: {connection.vendor}")
        measure("synthetic medium", World.synthetic(seed=1, scale="medium"), args.runs)
        if GIT_HISTORY.is_dir():
            world = GitHistoryWorld(sorted(GIT_HISTORY.glob("*.jsonl"))).build()
            measure("git history", world, args.runs)
        connection.close()


if __name__ == "__main__":
    main()
