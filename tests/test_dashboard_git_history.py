"""New contributors per year on SOFAStack's real git history, through the whole pipeline.

The commits of ../shared/data/sofastack-git are served by the GitHub simulator
(`GitHistoryWorld`), ingested by the real sync services for organisation `sofastack`
(identities joined by `ingest.identity.commits_recompute_author_keys` at the end of each
repository's sync), rollups rebuilt, and the dashboard's own selector is compared directly
with ground_truth.json's yearly new contributors, co-authors counted (`kind=commit`) and
authors only (the `<kind>-authored` figures), per project and for the three projects together.
"""

import datetime as dt
import json

import pytest

from dashboard.definitions.contributions import kind_group_key
from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.newcomers import new_contributors_by_year
from ingest.github.client import GitHubClient
from ingest.models import Commit, CommitCoAuthor, Repository
from ingest.simulator import GitHistoryWorld
from ingest.sync.community import community_sync

pytestmark = pytest.mark.django_db

UNTIL = dt.date(2026, 12, 31)
# (co-authors counted, the ground truth's figure): `kind=commit`, and the same authors only.
COUNTED = [
    (True, "a_new_contributors_by_year"),
    (False, "a_new_contributors_by_year_author_only"),
]
# The data set's README ("Caveats") names identities its simple rule keeps apart although they
# are one person; GitHub links them to one account, and so does Pulse: where the ground truth
# lists both as new in the same year, Pulse counts one person there.
ONE_PERSON = [("horizonzy", "赵延", "horizon@apache.org", "1060026287@qq.com")]


def _expected(truth: dict, figure: str) -> dict[str, int]:
    counts = dict(truth[figure])
    if figure == "a_new_contributors_by_year":
        for year, names in truth["a_new_contributor_names_by_year"].items():
            for first, second, _, _ in ONE_PERSON:
                if first in names and second in names:
                    counts[year] -= 1
    return counts


TOKEN = (
    "ghp_" + "testtoken0123456789abcdefghijklmnopqrs"
)  # split: a fake token, kept out of secret scanners


def _yearly(repository_ids: list[int], *, narrowed: bool, co_authors: bool) -> dict[str, int]:
    rows = new_contributors_by_year(
        repository_ids=repository_ids,
        narrowed=narrowed,
        kind=kind_group_key("commit", co_authors=co_authors),
        until=UNTIL,
    )
    return {str(r["year"]): r["new_contributors"] for r in rows}


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {year: n for year, n in counts.items() if n}


def test_ingested_git_history_has_the_ground_truths_yearly_new_contributors(
    shared_data, github_sim, settings
):
    # GitHub's Copilot agent commits as `Copilot` (a Bot account, but a commit's author is
    # only ever a User to the API): a community lists it among its bots, as docs/metrics.md says.
    settings.PULSE_BOT_LOGINS = ["Copilot"]
    folder = shared_data / "sofastack-git"
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    world = GitHistoryWorld(sorted(folder.glob("*.jsonl"))).build()
    sim = github_sim(world, tokens=[TOKEN])
    client = GitHubClient(
        base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    summary = community_sync(client=client, orgs=["sofastack"], repos=[], full=True)
    assert not summary.errors, summary.errors
    derived_rebuild()

    ids = {}
    for name, repo_truth in truth["repos"].items():
        repo = Repository.objects.get(full_name=name)
        ids[name] = repo.pk
        # Every commit of the history arrived (the ground truth's scope is the same).
        assert Commit.objects.filter(repository=repo).count() == repo_truth["commits"]
        for co_authors, figure in COUNTED:
            assert _nonzero(_yearly([repo.pk], narrowed=True, co_authors=co_authors)) == (
                _nonzero(_expected(repo_truth, figure))
            ), (name, figure)
    for co_authors, figure in COUNTED:
        assert _nonzero(_yearly(list(ids.values()), narrowed=False, co_authors=co_authors)) == (
            _nonzero(_expected(truth["all"], figure))
        ), figure
    # The caveat's identities are indeed one person here (else the adjustment would hide a split).
    for _, _, co_author_email, author_email in ONE_PERSON:
        keys = set(
            Commit.objects.filter(author_email=author_email).values_list("author_key", flat=True)
        )
        keys |= set(
            CommitCoAuthor.objects.filter(email=co_author_email).values_list(
                "author_key", flat=True
            )
        )
        assert len(keys) == 1, keys
