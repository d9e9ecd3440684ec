"""Promotion candidates: contributors below the rule's target role, ranked against the rule.

Ranking (DESIGN.md "Promotion candidate"): progress against the project's promotion rule
first, then reviews given, issues answered, months active and recency.

- progress = the mean of the merged part (merged pull requests / `min_merged`, at most 1)
  and the difficulty part (the better of Hard / `min_hard` and Medium / `min_medium`, each at
  most 1), in percent; `meets_rule` when both parts are complete;
- reviews given = reviews submitted on other people's pull requests;
- issues answered = other people's issues the person commented on;
- months active = calendar months with any authored pull request, issue, review, comment or
  commit on the project; recency = the last of those.
Only facts strictly before the as-of day count, so the ranking is the one of that day.
"""

from datetime import date
from urllib.parse import quote_plus

from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import TruncMonth

from ingest.models import Comment, Commit, Issue, PullRequest, Review

from .difficulty import EASY, HARD, MEDIUM, merged_pull_requests_by_author
from .roles import RANK, RoleWorld, holding_on, human, last_activity_by_person


def _before(qs, field: str, world: RoleWorld):
    return qs if world.before is None else qs.filter(**{f"{field}__lt": world.before})


def _progress(*, merged: int, hard: int, medium: int, rule) -> tuple[float, bool]:
    merged_part = min(merged, rule.min_merged) / rule.min_merged
    parts = []
    if rule.min_hard:
        parts.append(min(hard, rule.min_hard) / rule.min_hard)
    if rule.min_medium:
        parts.append(min(medium, rule.min_medium) / rule.min_medium)
    difficulty_part = max(parts) if parts else 1.0
    return round(50 * (merged_part + difficulty_part), 1), merged_part == 1 and difficulty_part == 1


def progress_text(*, merged: int, hard: int, medium: int, rule) -> str:
    """"8/10 merged, 1 Hard" — merged against the rule, then the Hard and Medium counts."""
    text = f"{merged}/{rule.min_merged} merged"
    if hard:
        text += f", {hard} Hard"
    if medium:
        text += f", {medium} Medium"
    return text


def promotion_candidates(
    *, repository_ids: list[int], as_of: date | None, world: RoleWorld | None = None
) -> list[dict]:
    """Candidate rows per project, best first (see the module docstring for the ranking)."""
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    if not world.repositories:
        return []
    ids = list(world.repositories)
    day = world.day()
    stats: dict[tuple[int, str], dict] = {}

    def person(rid: int, login: str) -> dict:
        return stats.setdefault((rid, login), {
            "author_id": None, "reviews": 0, "issues_answered": 0, "months": set(),
        })

    merged = _before(
        PullRequest.objects.filter(repository_id__in=ids, merged_at__isnull=False)
        .filter(human("author", world.bots)), "merged_at", world,
    )
    for rid, login, author_id in (
        merged.values_list("repository_id", "author__login", "author_id").distinct()
    ):
        person(rid, login)["author_id"] = author_id

    reviews = _before(
        Review.objects.filter(repository_id__in=ids, author__isnull=False)
        .exclude(pull_request__author_id=F("author_id"))
        .filter(human("author", world.bots)), "submitted_at", world,
    )
    for rid, login, n in (
        reviews.values("repository_id", "author__login").annotate(n=Count("pk")).order_by()
        .values_list("repository_id", "author__login", "n")
    ):
        person(rid, login)["reviews"] = n

    others_issue = Issue.objects.filter(
        repository_id=OuterRef("repository_id"), number=OuterRef("issue_number")
    ).exclude(author_id=OuterRef("author_id"))
    answers = _before(
        Comment.objects.filter(repository_id__in=ids, kind=Comment.Kind.ISSUE, author__isnull=False)
        .filter(Exists(others_issue)).filter(human("author", world.bots)), "created_at", world,
    )
    for rid, login, n in (
        answers.values("repository_id", "author__login")
        .annotate(n=Count("issue_number", distinct=True)).order_by()
        .values_list("repository_id", "author__login", "n")
    ):
        person(rid, login)["issues_answered"] = n

    # Only people already in the table need their months counted.
    for manager, at in (
        (PullRequest.objects, "created_at"), (Issue.objects, "created_at"),
        (Review.objects, "submitted_at"), (Comment.objects, "created_at"),
        (Commit.objects, "authored_at"),
    ):
        rows = _before(manager.filter(repository_id__in=ids, author__isnull=False), at, world)
        for rid, login, month in (
            rows.annotate(month=TruncMonth(at)).values_list("repository_id", "author__login", "month")
            .distinct().order_by()
        ):
            if (rid, login) in stats and month is not None:
                stats[(rid, login)]["months"].add((month.year, month.month))

    last = last_activity_by_person(repository_ids=ids, before=world.before)
    world.load_affiliations(logins={login.lower() for _, login in stats})
    roles = {(rid, login.lower()): evidence for rid, login, evidence in world.people()}
    rows = []
    for rid in ids:
        rule = world.rules[rid]
        people = {
            login: s for (r, login), s in stats.items()
            if r == rid and not _at_or_above(roles.get((rid, login.lower())), day, rule.target_role)
        }
        work = merged_pull_requests_by_author(
            repository_id=rid, until=world.before, rule=rule,
            author_ids=[s["author_id"] for s in people.values() if s["author_id"]],
        )
        repo = world.repositories[rid]
        for login, s in people.items():
            done = work.get(s["author_id"])
            n_merged = done.merged if done else 0
            hard = done.by_difficulty[HARD] if done else 0
            medium = done.by_difficulty[MEDIUM] if done else 0
            progress, meets = _progress(merged=n_merged, hard=hard, medium=medium, rule=rule)
            held = holding_on(roles.get((rid, login.lower()), []), day)
            last_at = last.get((rid, login))
            rows.append({
                "project": repo,
                "login": login,
                "role": held[0] if held else "contributor",
                "progress": progress_text(merged=n_merged, hard=hard, medium=medium, rule=rule),
                "progress_percent": progress,
                "meets_rule": meets,
                "merged": n_merged,
                "hard": hard,
                "medium": medium,
                "easy": done.by_difficulty[EASY] if done else 0,
                "reviews_given": s["reviews"],
                "issues_answered": s["issues_answered"],
                "months_active": len(s["months"]),
                "last_activity": last_at.date().isoformat() if last_at else "",
                "affiliation": world.affiliation(login=login, on=day),
                "merged_url": _search(world, rid, f"is:pr is:merged author:{login}"),
                "reviews_url": _search(world, rid, f"is:pr reviewed-by:{login} -author:{login}"),
                "issues_url": _search(
                    world, rid, f"is:issue commenter:{login} -author:{login}", kind="issues"
                ),
                "evidence": [
                    {"label": f"#{number} {level} ({source})", "url": world.link(rid, "pull", number)}
                    for number, level, source in (done.pull_requests[:5] if done else [])
                ],
            })
    rows.sort(key=lambda r: (
        r["project"], -r["progress_percent"], -r["reviews_given"], -r["issues_answered"],
        -r["months_active"], _negated_day(r["last_activity"]), r["login"].lower(),
    ))
    rank = {}
    for row in rows:
        rank[row["project"]] = rank.get(row["project"], 0) + 1
        row["rank"] = rank[row["project"]]
    return rows


def _at_or_above(evidence, day: date, role: str) -> bool:
    held = holding_on(evidence or [], day)
    return held is not None and RANK[held[0]] >= RANK[role]


def _negated_day(iso: str) -> int:
    """Sort key putting the most recent activity first (no activity last)."""
    return -date.fromisoformat(iso).toordinal() if iso else 0


def _search(world: RoleWorld, rid: int, query: str, *, kind: str = "pulls") -> str:
    return f"{world.pages[rid]}/{kind}?q={quote_plus(query)}"
