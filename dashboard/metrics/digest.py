"""The weekly digest's selectors (docs/metrics.md, "Weekly digest"): for one ISO week and a set
of projects, who is new and their first merged work, the pull requests merged by project, role
changes, the pull requests waiting longest for a review, and the week's flags.

Each section is one question, keyword-only; `weekly_digest` gathers them. People are shown by
login (or git name for a person without one), never by e-mail address.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from ingest.models import Commit, PullRequest, Repository, Review, Role

from ..definitions.contributions import bot_logins, human
from ..definitions.weeks import iso_week_label, week_bounds
from ..models import FirstContribution
from .flags import flags_raised_on
from .roles import RANK, RoleWorld, github_web_url, holding_on

WAITING_SHOWN = 10
COMMIT_KINDS = ("commit", "co_authored")


@dataclass
class WeeklyDigest:
    week: str  # YYYY-Www
    monday: dt.date
    sunday: dt.date
    projects: list[str]  # the projects it covers (full names)
    narrowed: bool  # a repo/org filter chose them (newcomers are new to each project)
    new_contributors: list[dict] = field(default_factory=list)
    merged: list[dict] = field(default_factory=list)  # [{"project", "pull_requests": [...]}]
    merged_by_bots: int = 0
    role_changes: list[dict] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)
    waiting_total: int = 0
    flags: list[dict] = field(default_factory=list)


def _pages(repository_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Repository id → (full name, web address): GitHub's html_url when ingest stored it."""
    web = github_web_url()
    return {
        pk: (full_name, (html_url or f"{web}/{full_name}").rstrip("/"))
        for pk, full_name, html_url in Repository.objects.filter(
            pk__in=list(repository_ids)
        ).values_list("pk", "full_name", "html_url")
    }


def new_contributors_of_week(
    *, repository_ids: Sequence[int], narrowed: bool, monday: dt.date
) -> list[dict]:
    """People whose first pull request or commit (the newcomers page's default kind) falls in
    the week, community-wide or per chosen project, oldest first, each with their first merged
    work: that commit when the first contribution is a commit, else their first pull request
    merged (in the same scope) before the week ended, if any."""
    start, end = week_bounds(monday)
    pages = _pages(repository_ids)
    firsts = list(
        FirstContribution.objects.filter(
            community=not narrowed,
            kind_group="default",
            repository_id__in=list(repository_ids),
            first_at__gte=start,
            first_at__lt=end,
        )
        .order_by("first_at", "person_key", "repository_id")
        .values(
            "person_key", "login", "name", "repository_id", "first_at", "first_kind", "first_ref"
        )
    )
    if not firsts:
        return []
    logins = {f["login"] for f in firsts if f["login"] and f["first_kind"] not in COMMIT_KINDS}
    merged: dict[tuple[int | None, str], dict] = {}
    if logins:
        prs = (
            PullRequest.objects.filter(
                repository_id__in=list(repository_ids),
                author__login__in=logins,
                merged_at__isnull=False,
                merged_at__lt=end,
            )
            .order_by("merged_at", "repository_id", "number")
            .values_list("repository_id", "author__login", "number", "title", "merged_at")
        )
        for rid, login, number, title, merged_at in prs:
            # Per project when narrowed, else anywhere in the community: the first one kept.
            key = (rid if narrowed else None, login)
            merged.setdefault(key, {"rid": rid, "number": number, "title": title, "at": merged_at})
    first_commits = [
        Q(repository_id=f["repository_id"], sha=f["first_ref"])
        for f in firsts
        if f["first_kind"] in COMMIT_KINDS
    ]
    commits = (
        {
            (rid, sha): headline
            for rid, sha, headline in Commit.objects.filter(
                Q(*first_commits, _connector=Q.OR)
            ).values_list("repository_id", "sha", "message_headline")
        }
        if first_commits
        else {}
    )
    rows = []
    for f in firsts:
        rid = f["repository_id"]
        project, page = pages[rid]
        first_path = "commit" if f["first_kind"] in COMMIT_KINDS else "pull"
        row = {
            "person": f["login"] or f["name"],
            "login": f["login"],
            "project": project,
            "first_at": f["first_at"],
            "first_kind": f["first_kind"],
            "first_url": f"{page}/{first_path}/{f['first_ref']}",
            "merged_project": "",
            "merged_title": "",
            "merged_url": "",
            "merged_at": None,
        }
        if f["first_kind"] in COMMIT_KINDS:
            row.update(
                merged_project=project,
                merged_title=commits.get((rid, f["first_ref"]), "")
                or f"commit {f['first_ref'][:7]}",
                merged_url=row["first_url"],
                merged_at=f["first_at"],
            )
        else:
            found = merged.get((rid if narrowed else None, f["login"]))
            if found is not None:
                merged_project, merged_page = pages[found["rid"]]
                row.update(
                    merged_project=merged_project,
                    merged_title=f"#{found['number']} {found['title']}",
                    merged_url=f"{merged_page}/pull/{found['number']}",
                    merged_at=found["at"],
                )
        rows.append(row)
    return rows


def merged_pull_requests_of_week(
    *, repository_ids: Sequence[int], monday: dt.date
) -> tuple[list[dict], int]:
    """Pull requests by people merged in the week, by project (projects by name, pull requests
    by merge time), and how many bots' pull requests were merged besides."""
    start, end = week_bounds(monday)
    pages = _pages(repository_ids)
    week = PullRequest.objects.filter(
        repository_id__in=list(repository_ids), merged_at__gte=start, merged_at__lt=end
    )
    people = human("author", bot_logins())
    rows = (
        week.filter(people | Q(author__isnull=True))
        .order_by("merged_at", "number")
        .values_list("repository_id", "number", "title", "author__login", "merged_at")
    )
    by_project: dict[int, list[dict]] = defaultdict(list)
    for rid, number, title, login, merged_at in rows:
        by_project[rid].append(
            {
                "project": pages[rid][0],
                "number": number,
                "title": title,
                "author": login or "",
                "merged_at": merged_at,
                "url": f"{pages[rid][1]}/pull/{number}",
            }
        )
    projects = [
        {"project": pages[rid][0], "pull_requests": prs}
        for rid, prs in sorted(by_project.items(), key=lambda item: pages[item[0]][0].lower())
    ]
    by_bots = week.filter(author__isnull=False).exclude(people).count()
    return projects, by_bots


def role_changes_of_week(*, repository_ids: Sequence[int], monday: dt.date) -> list[dict]:
    """People whose role on a project (Member and above, as on the committers page) at the end
    of the week differs from the role they held at the end of the day before it: promotions,
    founders of a project that started that week, and people stepping down."""
    sunday = monday + dt.timedelta(days=6)
    world = RoleWorld(repository_ids=list(repository_ids), as_of=sunday + dt.timedelta(days=1))
    before = monday - dt.timedelta(days=1)
    member = RANK[Role.MEMBER]
    rows = []
    for rid, login, evidence in world.people():
        now = holding_on(evidence, sunday)
        then = holding_on(evidence, before)
        role_now = now[0] if now and RANK[now[0]] >= member else None
        role_then = then[0] if then and RANK[then[0]] >= member else None
        if role_now == role_then:
            continue
        rising = role_now is not None and (role_then is None or RANK[role_now] > RANK[role_then])
        proving = now[2] if rising else []
        founder = rising and all(e.signal == "founder" for e in proving)
        rows.append(
            {
                "project": world.repositories[rid],
                "login": login,
                "from_role": Role(role_then).label if role_then else "",
                "to_role": Role(role_now).label if role_now else "",
                "change": "founder" if founder else "promoted" if rising else "stepped down",
                "since": now[1] if rising else None,
                "evidence": "; ".join(e.description for e in proving),
                "evidence_url": proving[0].url if proving else "",
            }
        )
    rows.sort(key=lambda r: (r["project"].lower(), r["change"], r["login"].lower()))
    return rows


def pull_requests_waiting_for_review(
    *, repository_ids: Sequence[int], monday: dt.date, limit: int = WAITING_SHOWN
) -> tuple[list[dict], int]:
    """At the end of the week: people's pull requests opened before then, neither merged nor
    closed by then, not drafts, with no review submitted by then by anyone but their author;
    the `limit` waiting longest (oldest first), and how many wait in all."""
    _, end = week_bounds(monday)
    pages = _pages(repository_ids)
    reviewed = Review.objects.filter(pull_request_id=OuterRef("pk"), submitted_at__lt=end).exclude(
        author_id=OuterRef("author_id")
    )
    waiting = (
        PullRequest.objects.filter(
            repository_id__in=list(repository_ids),
            created_at__lt=end,
            draft=False,
            author__isnull=False,
        )
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .filter(Q(merged_at__isnull=True) | Q(merged_at__gte=end))
        .filter(human("author", bot_logins()))
        .filter(~Exists(reviewed))
    )
    total = waiting.count()
    rows = []
    for rid, number, title, login, opened in waiting.order_by(
        "created_at", "repository_id", "number"
    ).values_list("repository_id", "number", "title", "author__login", "created_at")[:limit]:
        rows.append(
            {
                "project": pages[rid][0],
                "number": number,
                "title": title,
                "author": login,
                "opened_at": opened,
                "waiting_days": (end - opened).days,
                "url": f"{pages[rid][1]}/pull/{number}",
            }
        )
    return rows, total


def weekly_digest(
    *, repository_ids: Sequence[int], narrowed: bool, monday: dt.date
) -> WeeklyDigest:
    """Every section of the digest for the week starting on `monday`."""
    ids = list(repository_ids)
    sunday = monday + dt.timedelta(days=6)
    digest = WeeklyDigest(
        week=iso_week_label(monday),
        monday=monday,
        sunday=sunday,
        projects=sorted(
            Repository.objects.filter(pk__in=ids).values_list("full_name", flat=True),
            key=str.lower,
        ),
        narrowed=narrowed,
    )
    if not ids:
        return digest
    digest.new_contributors = new_contributors_of_week(
        repository_ids=ids, narrowed=narrowed, monday=monday
    )
    digest.merged, digest.merged_by_bots = merged_pull_requests_of_week(
        repository_ids=ids, monday=monday
    )
    digest.role_changes = role_changes_of_week(repository_ids=ids, monday=monday)
    digest.waiting, digest.waiting_total = pull_requests_waiting_for_review(
        repository_ids=ids, monday=monday
    )
    digest.flags = flags_raised_on(repository_ids=ids, since=monday, until=sunday)
    return digest


def merged_rows(digest: WeeklyDigest) -> list[dict]:
    """The merged pull requests as flat rows (the CSV and JSON table)."""
    return [pr for project in digest.merged for pr in project["pull_requests"]]
