"""New contributors per year on SOFAStack's real git history, against its ground truth.

The commits of ../shared/data/sofastack-git are loaded as ingest stores commits GitHub could
not link to an account (`author_key` from `ingest.identity.author_key`: noreply login, else
the e-mail). Pulse's identity rule (docs/metrics.md, "Contributor") keeps a person who used two
e-mails as two contributors, whereas ground_truth.json also joins identities by name. So:
1. the dashboard's yearly counts equal a plain count by Pulse's rule, and
2. merging the dashboard's newcomers by the ground truth's identity table gives exactly the
   ground truth's yearly new contributors (author-only variant: Pulse does not read
   Co-authored-by trailers), per project and for the three projects together.
"""

import datetime as dt
import json
from collections import Counter

import pytest

from dashboard.metrics.newcomers import new_contributors_by_year, newcomers_list
from dashboard.rollups import rollups_rebuild
from ingest.identity import author_key
from ingest.models import Commit
from tests.factories import repository

pytestmark = pytest.mark.django_db

UNTIL = dt.date(2026, 12, 31)


@pytest.fixture
def history(shared_data):
    folder = shared_data / "sofastack-git"
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    commits: dict[str, list[dict]] = {}
    for name in truth["repos"]:
        path = folder / f"{name.replace('/', '__')}.commits.jsonl"
        commits[name] = [json.loads(line) for line in path.read_text(encoding="utf-8")
                         .splitlines() if line.strip()]
        repo = repository(name)
        Commit.objects.bulk_create([
            Commit(repository=repo, sha=c["sha"], author_name=c["author_name"] or "",
                   author_email=c["author_email"] or "",
                   author_key=author_key(login=None, email=c["author_email"]),
                   authored_at=dt.datetime.fromisoformat(c["authored_at"].replace("Z", "+00:00")),
                   committed_at=dt.datetime.fromisoformat(
                       c["committed_at"].replace("Z", "+00:00")),
                   is_merge=c["is_merge"])
            for c in commits[name]
        ])
    rollups_rebuild()
    return {"truth": truth, "commits": commits}


def _pulse_rule_counts(commits: list[dict]) -> dict[int, int]:
    first: dict[str, str] = {}
    for c in commits:
        key = author_key(login=None, email=c["author_email"])
        if "[bot]" in key:
            continue
        if key not in first or c["authored_at"] < first[key]:
            first[key] = c["authored_at"]
    return dict(Counter(int(when[:4]) for when in first.values()))


def _by_truth_identity(rows, truth) -> dict[str, int]:
    identity_of = {
        f"email:{email.strip().lower()}": identity
        for identity, person in truth["identities"].items() for email in person["emails"]
    }
    identity_of.update({
        f"login:{login.lower()}": identity
        for identity, person in truth["identities"].items() for login in person["logins"]
    })
    bots = {identity for identity, person in truth["identities"].items() if person["bot"]}
    first: dict[str, dt.datetime] = {}
    for row in rows:
        kind, _, value = row["person"].partition(":")
        identity = identity_of.get(f"{kind}:{value.lower()}")
        assert identity is not None, f"{row['person']} is not in the ground truth's identities"
        if identity in bots:
            continue
        if identity not in first or row["first_at"] < first[identity]:
            first[identity] = row["first_at"]
    return dict(sorted(Counter(str(when.year) for when in first.values()).items()))


def test_yearly_new_contributors_per_project_match_the_ground_truth(history):
    truth = history["truth"]
    for name, repo_truth in truth["repos"].items():
        repo_id = Commit.objects.filter(repository__full_name=name).values_list(
            "repository_id", flat=True).first()
        rows = new_contributors_by_year(repository_ids=[repo_id], narrowed=True, kind="commit",
                                        until=UNTIL)
        counted = {r["year"]: r["new_contributors"] for r in rows if r["new_contributors"]}
        assert counted == _pulse_rule_counts(history["commits"][name]), name
        newcomers = newcomers_list(repository_ids=[repo_id], narrowed=True, kind="commit",
                                   since=dt.date(2000, 1, 1), until=UNTIL)
        assert _by_truth_identity(newcomers, truth) == \
            repo_truth["a_new_contributors_by_year_author_only"], name


def test_yearly_new_contributors_community_wide_match_the_ground_truth(history):
    truth = history["truth"]
    ids = list(Commit.objects.values_list("repository_id", flat=True).distinct())
    newcomers = newcomers_list(repository_ids=ids, narrowed=False, kind="commit",
                               since=dt.date(2000, 1, 1), until=UNTIL)
    assert _by_truth_identity(newcomers, truth) == \
        truth["all"]["a_new_contributors_by_year_author_only"]
