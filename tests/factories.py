"""Factories for ingest's raw facts, so dashboard tests can build small hand-made worlds.

The dashboard only reads the database, so writing ingest rows directly is the same input the
real ingest produces. Each factory takes the fields a test cares about; the rest get unique,
boring defaults. Times are UTC; `at("2024-03-05")` or `at("2024-03-05 10:00")` makes one.
"""

import datetime as dt
import itertools

from ingest import identity
from ingest.models import (
    Actor,
    Comment,
    Commit,
    IngestRun,
    Issue,
    PullRequest,
    Repository,
    Review,
    SyncState,
)

_ids = itertools.count(1000)


def at(text: str) -> dt.datetime:
    """A UTC datetime from `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`."""
    fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


def _when(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return at(value)


def actor(login: str, **fields) -> Actor:
    is_bot = fields.pop("is_bot", login.endswith("[bot]"))
    return Actor.objects.create(
        github_id=next(_ids),
        login=login,
        is_bot=is_bot,
        type=Actor.Type.BOT if is_bot else Actor.Type.USER,
        **fields,
    )


def repository(full_name: str, **fields) -> Repository:
    owner, name = full_name.split("/")
    fields.setdefault("html_url", f"https://github.com/{full_name}")
    return Repository.objects.create(
        github_id=next(_ids), owner_login=owner, name=name, full_name=full_name, **fields
    )


def issue(
    repo: Repository,
    author: Actor | None,
    created: str,
    *,
    number: int | None = None,
    closed: str | None = None,
    first_response: str | None = None,
    title: str = "An issue",
    state: str | None = None,
) -> Issue:
    created_at = _when(created)
    return Issue.objects.create(
        github_id=next(_ids),
        repository=repo,
        number=number or next(_ids),
        title=title,
        state=state or ("closed" if closed else "open"),
        author=author,
        created_at=created_at,
        updated_at=_when(closed) or created_at,
        closed_at=_when(closed),
        first_response_at=_when(first_response),
    )


def pull_request(
    repo: Repository,
    author: Actor | None,
    created: str,
    *,
    number: int | None = None,
    merged: str | None = None,
    closed: str | None = None,
    first_response: str | None = None,
    merged_by: Actor | None = None,
    draft: bool = False,
    title: str = "A change",
    labels: list | None = None,
) -> PullRequest:
    created_at = _when(created)
    closed_at = _when(closed) or _when(merged)
    return PullRequest.objects.create(
        github_id=next(_ids),
        repository=repo,
        number=number or next(_ids),
        title=title,
        state="closed" if closed_at else "open",
        draft=draft,
        author=author,
        created_at=created_at,
        updated_at=closed_at or created_at,
        closed_at=closed_at,
        merged_at=_when(merged),
        merged_by=merged_by,
        first_response_at=_when(first_response),
        labels=labels or [],
    )


def review(pr: PullRequest, author: Actor, submitted: str, *, state: str = "APPROVED") -> Review:
    return Review.objects.create(
        github_id=next(_ids),
        repository=pr.repository,
        pull_request=pr,
        author=author,
        state=state,
        submitted_at=_when(submitted),
    )


def comment(
    repo: Repository, author: Actor, created: str, *, number: int, kind: str = Comment.Kind.ISSUE
) -> Comment:
    """A conversation comment, or with kind="review" a comment on a pull request's diff."""
    created_at = _when(created)
    return Comment.objects.create(
        github_id=next(_ids),
        kind=kind,
        repository=repo,
        issue_number=number,
        author=author,
        created_at=created_at,
        updated_at=created_at,
    )


def commit(
    repo: Repository,
    authored: str,
    *,
    author: Actor | None = None,
    email: str = "",
    author_key: str | None = None,
    is_merge: bool = False,
) -> Commit:
    if author_key is None:
        author_key = identity.author_key(login=author.login if author else None, email=email)
    authored_at = _when(authored)
    return Commit.objects.create(
        repository=repo,
        sha=f"{next(_ids):040x}",
        author=author,
        author_name=author.login if author else email.split("@")[0],
        author_email=email,
        author_key=author_key,
        authored_at=authored_at,
        committed_at=authored_at,
        is_merge=is_merge,
    )


def ingest_run(
    scope: str,
    started: str,
    *,
    status: str = "success",
    errors: list | None = None,
    rate_limit_remaining: int | None = None,
    **fields,
) -> IngestRun:
    started_at = _when(started)
    return IngestRun.objects.create(
        scope=scope,
        status=status,
        started_at=started_at,
        finished_at=started_at + dt.timedelta(minutes=3),
        errors=errors or [],
        error_count=len(errors or []),
        rate_limit_remaining=rate_limit_remaining,
        **fields,
    )


def sync_state(scope: str, resource: str, watermark: str) -> SyncState:
    return SyncState.objects.create(
        scope=scope, resource=resource, watermark=_when(watermark), last_success_at=_when(watermark)
    )


# --- a small hand-made world the dashboard tests share ------------------------------------------

# (person, repository, kind, when): every authored contribution of the world, bots included.
# Tests compute their expectations from this list with plain Python, independently of the SQL.
WORLD_REPOS = ["acme/alpha", "acme/beta", "other/gamma"]
WORLD_BOTS = {"dependabot[bot]"}
WORLD_CONTRIBUTIONS = [
    ("alice", "acme/alpha", "commit", "2023-02-10 09:00"),
    ("alice", "acme/alpha", "pull_request", "2023-06-01 09:00"),
    ("alice", "acme/beta", "commit", "2024-01-03 09:00"),
    ("dependabot[bot]", "acme/alpha", "pull_request", "2024-01-05 08:00"),
    ("bob", "acme/alpha", "issue", "2023-12-20 12:00"),
    ("bob", "acme/alpha", "pull_request", "2024-01-15 10:00"),
    ("alice", "acme/alpha", "review", "2024-01-16 10:00"),
    ("dave@example.org", "other/gamma", "commit", "2024-02-20 11:00"),
    ("carol", "acme/beta", "issue", "2024-02-03 15:00"),
    ("carol", "acme/beta", "pull_request", "2024-03-10 15:00"),
    ("erin", "acme/alpha", "pull_request", "2024-03-01 09:30"),
    ("bob", "acme/beta", "commit", "2024-04-02 09:00"),
    ("bob", "acme/alpha", "comment", "2024-05-20 09:00"),
    ("carol", "acme/beta", "comment", "2024-07-01 09:00"),
]


def small_world() -> dict:
    """Build WORLD_CONTRIBUTIONS as ingest rows; returns repositories and actors by name.

    Extra facts tests rely on: bob's PR (alpha) is merged 2024-01-20 10:00 with a first
    response 2024-01-16 10:00 (24 h); erin's PR is open without a response; dependabot's PR
    was merged 2024-01-06 08:00 with a response after 2 h; carol's issue got a response after
    6 h and was closed 2024-02-10; alice's 2023 PR was merged after 48 h (response 12 h).
    """
    repos = {name: repository(name) for name in WORLD_REPOS}
    people: dict[str, Actor] = {}
    numbers = itertools.count(1)
    made: dict[tuple, object] = {}
    for person, repo_name, kind, when in WORLD_CONTRIBUTIONS:
        repo = repos[repo_name]
        if "@" not in person and person not in people:
            people[person] = actor(person)
        who = people.get(person)
        if kind == "commit":
            made[(person, repo_name, kind, when)] = (
                commit(repo, when, author=who) if who else commit(repo, when, email=person)
            )
        elif kind == "pull_request":
            made[(person, repo_name, kind, when)] = pull_request(
                repo, who, when, number=next(numbers)
            )
        elif kind == "issue":
            made[(person, repo_name, kind, when)] = issue(repo, who, when, number=next(numbers))
        elif kind == "review":
            pr = PullRequest.objects.get(repository=repo, author=people["bob"])
            made[(person, repo_name, kind, when)] = review(pr, who, when)
        elif kind == "comment":
            made[(person, repo_name, kind, when)] = comment(repo, who, when, number=1)
    PullRequest.objects.filter(author=people["bob"], repository=repos["acme/alpha"]).update(
        merged_at=at("2024-01-20 10:00"),
        closed_at=at("2024-01-20 10:00"),
        state="closed",
        first_response_at=at("2024-01-16 10:00"),
    )
    PullRequest.objects.filter(author=people["dependabot[bot]"]).update(
        merged_at=at("2024-01-06 08:00"),
        closed_at=at("2024-01-06 08:00"),
        state="closed",
        first_response_at=at("2024-01-05 10:00"),
    )
    Issue.objects.filter(author=people["carol"]).update(
        first_response_at=at("2024-02-03 21:00"), closed_at=at("2024-02-10 00:00"), state="closed"
    )
    PullRequest.objects.filter(author=people["alice"]).update(
        merged_at=at("2023-06-03 09:00"),
        closed_at=at("2023-06-03 09:00"),
        state="closed",
        first_response_at=at("2023-06-01 21:00"),
    )
    return {"repos": repos, "people": people}


def world_person_key(person: str) -> str:
    """The person key a WORLD_CONTRIBUTIONS person counts for (an e-mail: ingest's key)."""
    return identity.author_key(login=None, email=person) if "@" in person else f"login:{person}"


def generated_world(
    *, seed: int = 7, people: int = 40, until: dt.date | None = None, days: int = 730
) -> dict:
    """A livelier random world (3 projects, two years) for browser tests and screenshots.

    Bulk-created like ingest writes it; deterministic for a seed.
    """
    import random

    rng = random.Random(seed)
    until = until or dt.date.today()
    start = dt.datetime.combine(until - dt.timedelta(days=days), dt.time(9), tzinfo=dt.UTC)
    repos = [
        repository(name, description=f"The {name.split('/')[1]} project")
        for name in ("sofastack/sofa-rpc", "sofastack/sofa-jraft", "mosn/mosn")
    ]
    actors = Actor.objects.bulk_create(
        [
            Actor(github_id=next(_ids), login=f"dev{i:02d}", name=f"Developer {i}")
            for i in range(people)
        ]
        + [Actor(github_id=next(_ids), login="dependabot[bot]", is_bot=True, type="Bot")]
    )
    # People join over time: person i is around from a day that grows with i.
    joined = {a.id: rng.randrange(0, days - 10) if i >= 6 else 0 for i, a in enumerate(actors)}
    prs, issues, commits = [], [], []
    number = itertools.count(1)
    for day in range(days):
        when = start + dt.timedelta(days=day, hours=rng.randrange(0, 9))
        for repo in repos:
            for who in rng.sample(actors, k=rng.randrange(0, 4)):
                if joined[who.id] > day:
                    continue
                roll = rng.random()
                if roll < 0.45:
                    merged = (
                        when + dt.timedelta(hours=rng.randrange(2, 200))
                        if rng.random() < 0.7
                        else None
                    )
                    prs.append(
                        PullRequest(
                            github_id=next(_ids),
                            repository=repo,
                            number=next(number),
                            title=f"Change {day}",
                            state="closed" if merged else "open",
                            author=who,
                            created_at=when,
                            updated_at=merged or when,
                            closed_at=merged,
                            merged_at=merged,
                            first_response_at=when + dt.timedelta(hours=rng.randrange(1, 72))
                            if rng.random() < 0.85
                            else None,
                        )
                    )
                elif roll < 0.7:
                    closed = (
                        when + dt.timedelta(days=rng.randrange(1, 40))
                        if rng.random() < 0.6
                        else None
                    )
                    issues.append(
                        Issue(
                            github_id=next(_ids),
                            repository=repo,
                            number=next(number),
                            title=f"Problem {day}",
                            state="closed" if closed else "open",
                            author=who,
                            created_at=when,
                            updated_at=closed or when,
                            closed_at=closed,
                            first_response_at=when + dt.timedelta(hours=rng.randrange(1, 96))
                            if rng.random() < 0.8
                            else None,
                        )
                    )
                else:
                    commits.append(
                        Commit(
                            repository=repo,
                            sha=f"{next(_ids):040x}",
                            author=who,
                            author_key=f"login:{who.login}",
                            authored_at=when,
                            committed_at=when,
                        )
                    )
    PullRequest.objects.bulk_create(prs, batch_size=2000)
    Issue.objects.bulk_create(issues, batch_size=2000)
    Commit.objects.bulk_create(commits, batch_size=2000)
    saved = list(
        PullRequest.objects.filter(merged_at__isnull=False).values_list(
            "id", "repository_id", "merged_at"
        )
    )
    Review.objects.bulk_create(
        [
            Review(
                github_id=next(_ids),
                repository_id=repo_id,
                pull_request_id=pr_id,
                author=actors[rng.randrange(0, 6)],
                state="APPROVED",
                submitted_at=merged_at - dt.timedelta(hours=1),
            )
            for pr_id, repo_id, merged_at in saved
        ],
        batch_size=2000,
    )
    for repo in repos:
        ingest_run(
            repo.full_name,
            (until - dt.timedelta(days=1)).isoformat(),
            rate_limit_remaining=4500,
            items_written=len(prs) // 3,
            requests=42,
        )
    return {"repos": {r.full_name: r for r in repos}, "actors": actors}
