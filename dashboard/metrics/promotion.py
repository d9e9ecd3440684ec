"""Promotion candidates: contributors below the rule's target role, ranked against the rule.

Ranking (DESIGN.md "Promotion candidate"): progress against the project's promotion rule
first, then reviews given, issues answered, months active and recency.

- progress = the mean of the merged part (merged pull requests / `min_merged`, at most 1)
  and the difficulty part (the better of Hard / `min_hard` and Medium / `min_medium`, each at
  most 1), in percent; `meets_rule` when both parts are complete;
- reviews given = reviews submitted on other people's pull requests;
- issues answered = other people's issues the person commented on;
- months active = calendar months with any authored pull request, issue, review, comment or
  commit on the project (from the rollups ActivityMonth and ContributionEvent; stored per
  person and project in CandidateTotal for the page without `until`); recency = the last of
  those or of a merge.
Only facts strictly before the as-of day count, so the ranking is the one of that day.
"""

from collections import defaultdict
from datetime import date
from urllib.parse import quote_plus

from django.db import connection
from django.db.models import (
    F,
    Q,
    Window,
)
from django.db.models.functions import Rank

from ..definitions.contributions import human
from ..definitions.difficulty import hardest_merged, merged_work_by_author
from ..definitions.promotion import (
    issues_answered,
    meets_rule,
    progress_expression,
    progress_text,
    reviews_given,
)
from ..models import CandidateTotal
from .roles import RANK, RoleWorld, activity_by_person, holding_on


def _before(qs, field: str, world: RoleWorld):
    return qs if world.before is None else qs.filter(**{f"{field}__lt": world.before})


def promotion_candidates(
    *,
    repository_ids: list[int],
    as_of: date | None,
    world: RoleWorld | None = None,
    limit: int | None = 25,
) -> list[dict]:
    """The best `limit` candidates per project (all with `limit=None`), best first.

    Without `as_of` the figures (months active and recency too) come from the CandidateTotal
    rollup, ranked and cut in one query. As of a day they are counted from the raw facts: progress in SQL for everyone with
    merged work, cut per project (ties kept), then reviews and answers of the shortlist only.
    Months active and recency (the last tie-breaks) are read for the shortlist only.
    """
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    if not world.repositories:
        return []
    evidence, people = _shortlist(world=world, limit=limit)
    return _candidate_rows(world=world, evidence=evidence, people=people, limit=limit)


def best_promotion_candidates(
    *,
    repository_ids: list[int],
    as_of: date | None,
    world: RoleWorld | None = None,
    limit: int,
    best: int,
) -> tuple[list[dict], int]:
    """The `best` rows of `promotion_candidates(limit=limit)` over all the projects (the
    ranking's keys without the project), in that list's order, and how many rows it has.

    The ranking's first keys (progress, reviews, answers) come with the shortlist. The
    full list's rows carry each project's first `limit` of those figures, so the people at
    or above its `best`-th row on them hold every row that can end in the best, and every
    row ranking above one of them in its project: their project ranks are the full list's.
    Only they get the costlier figures (months active, recency, evidence)."""
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    if not world.repositories:
        return [], 0
    evidence, people = _shortlist(world=world, limit=limit)
    per_project: dict[int, int] = defaultdict(int)
    for rid, _ in people:
        per_project[rid] += 1
    total = sum(min(n, limit) for n in per_project.values())

    def first_keys(item) -> tuple:
        p = item[1]
        return (p["progress"], p.get("reviews", 0), p.get("answers", 0))

    if total > best:
        # The figures the rows of the full list have: each project's first `limit` on these
        # keys (tie-breaks below them decide who, not which figures).
        by_project: dict[int, list[tuple]] = defaultdict(list)
        for item in people.items():
            by_project[item[0][0]].append(first_keys(item))
        kept = sorted(
            (keys for found in by_project.values() for keys in sorted(found, reverse=True)[:limit]),
            reverse=True,
        )
        edge = kept[best - 1]
        people = dict(item for item in people.items() if first_keys(item) >= edge)
    rows = _candidate_rows(world=world, evidence=evidence, people=people, limit=limit, best=best)
    return rows, total


def _shortlist(*, world: RoleWorld, limit: int | None) -> tuple[dict, dict[tuple[int, str], dict]]:
    """The people's role evidence, and the shortlist: (project, login) → rule figures."""
    ids = list(world.repositories)
    day = world.day()
    evidence = {(rid, login.lower()): ev for rid, login, ev in world.people()}
    above = {
        key
        for key, ev in evidence.items()
        if _at_or_above(ev, day, world.rules[key[0]].target_role)
    }
    if world.before is None:
        people = _shortlist_from_rollup(world=world, above=above, limit=limit)
    else:
        by_project: dict[int, list[str]] = defaultdict(list)
        for rid, login in above:
            by_project[rid].append(login)
        holders = Q()
        for rid in ids:
            if by_project[rid]:
                holders |= Q(repository_id=rid, login_lower__in=by_project[rid])
        people = _shortlist_from_facts(
            world=world, holders=holders if above else None, above=above, limit=limit
        )
    return evidence, people


def _candidate_rows(
    *, world: RoleWorld, evidence: dict, people: dict, limit: int | None, best: int | None = None
) -> list[dict]:
    """The shortlist with the tie-break figures and evidence, ranked and cut per project
    (then to the `best` over all projects, when given)."""
    ids = list(world.repositories)
    day = world.day()
    # The rollup's rows carry months active and last activity; an as-of shortlist reads them.
    stored = all("months_active" in p for p in people.values())
    activity = (
        {}
        if stored
        else activity_by_person(
            repository_ids=ids,
            logins={login for _, login in people},
            before=world.before,
            pairs=set(people),
        )
    )

    rows = []
    for (rid, login), p in people.items():
        month_count, last_at = (
            (p["months_active"], p["last_at"]) if stored else activity.get((rid, login), (0, None))
        )
        rows.append(
            {
                "repository_id": rid,
                "author_id": p["author_id"],
                "project": world.repositories[rid],
                "login": login,
                "progress": progress_text(
                    merged=p["merged"], hard=p["hard"], medium=p["medium"], rule=world.rules[rid]
                ),
                "progress_percent": p["progress"],
                "meets_rule": p["meets"],
                "merged": p["merged"],
                "hard": p["hard"],
                "medium": p["medium"],
                "easy": p["easy"],
                "reviews_given": p.get("reviews", 0),
                "issues_answered": p.get("answers", 0),
                "months_active": month_count,
                "last_activity": last_at.date().isoformat() if last_at else "",
            }
        )

    def standing(r: dict) -> tuple:
        return (
            -r["progress_percent"],
            -r["reviews_given"],
            -r["issues_answered"],
            -r["months_active"],
            _negated_day(r["last_activity"]),
            r["login"].lower(),
        )

    rows.sort(key=lambda r: (r["project"], *standing(r)))
    ranked, rank = [], defaultdict(int)
    for row in rows:
        rank[row["project"]] += 1
        if limit is None or rank[row["project"]] <= limit:
            ranked.append({**row, "rank": rank[row["project"]]})
    if best is not None and len(ranked) > best:
        kept = {id(r) for r in sorted(ranked, key=lambda r: (*standing(r), r["project"]))[:best]}
        ranked = [r for r in ranked if id(r) in kept]
    # Affiliations of the rows kept only (a shortlist cut to the best holds many more).
    world.load_affiliations(logins={r["login"].lower() for r in ranked})
    # Evidence exists only for the Hard and Medium counted above: people with none (most of
    # a large shortlist) need no look at their merged pull requests.
    hardest = hardest_merged(
        pairs={(r["repository_id"], r["author_id"]) for r in ranked if r["hard"] or r["medium"]},
        before=world.before,
        rules=world.rules,
        per_author=5,
    )
    for row in ranked:
        rid, login = row["repository_id"], row["login"]
        held = holding_on(evidence.get((rid, login.lower()), []), day)
        row.update(
            {
                "role": held[0] if held else "contributor",
                "affiliation": world.affiliation(login=login, on=day),
                "merged_url": _search(world, rid, "is:pr is:merged author:", login),
                "reviews_url": _search(world, rid, "is:pr -author:{0} reviewed-by:", login),
                "issues_url": _search(
                    world, rid, "is:issue -author:{0} commenter:", login, kind="issues"
                ),
                "evidence": [
                    {
                        "label": f"#{number} {level} ({source})",
                        "url": world.link(rid, "pull", number),
                    }
                    for number, level, source in hardest.get((rid, row["author_id"]), [])
                ],
            }
        )
    return ranked


def _shortlist_from_rollup(
    *, world: RoleWorld, above: set, limit: int | None
) -> dict[tuple[int, str], dict]:
    """All-time figures from CandidateTotal, ranked and cut per project in one query (read in
    ranking order from its index). Role holders are dropped afterwards, so the cut reads as
    many more rows per project as it has holders, not a long exclusion list."""
    rows = CandidateTotal.objects.filter(repository_id__in=list(world.repositories))
    columns = (
        "repository_id",
        "login",
        "author_id",
        "merged",
        "hard",
        "medium",
        "easy",
        "reviews",
        "answers",
        "progress",
        "months_active",
        "last_at",
    )
    if limit is None:
        found = rows.values(*columns)
    else:
        per_project: dict[int, int] = defaultdict(int)
        for rid, _ in above:
            per_project[rid] += 1
        cut = limit + max(per_project.values(), default=0)
        if connection.vendor == "postgresql":
            found = _top_per_project(
                cuts={rid: limit + per_project[rid] for rid in world.repositories},
                columns=columns,
            )
        else:
            found = (
                rows.annotate(
                    place=Window(
                        Rank(),
                        partition_by=[F("repository_id")],
                        order_by=[F("progress").desc(), F("reviews").desc(), F("answers").desc()],
                    )
                )
                .filter(place__lte=cut)
                .values(*columns)
            )
    people = {}
    for row in found:
        if (row["repository_id"], row["login"].lower()) in above:
            continue
        row["meets"] = meets_rule(
            merged=row["merged"],
            hard=row["hard"],
            medium=row["medium"],
            rule=world.rules[row["repository_id"]],
        )
        people[(row["repository_id"], row["login"])] = row
    return people


def _top_per_project(*, cuts: dict[int, int], columns: tuple[str, ...]) -> list[dict]:
    """PostgreSQL: the rows ranked `cuts[project]` or better in each project (ties included),
    as the window rank would give them, reading that many index entries per project instead
    of ranking every contributor of every project (a rank window partitioned by project sorts
    them all). Each project's cut is the list's length plus its own role holders (dropped
    afterwards), not the most any project has.

    Ranked `cut` or better is "(progress, reviews, answers) at least that of the project's
    `cut`-th row" (all three descending); a project with fewer rows takes them all (-1 is below
    any figure)."""
    table = CandidateTotal._meta.db_table
    names = ", ".join(f"c.{name}" for name in columns)
    # OFFSET 0 keeps the second lateral a per-project index range instead of a hash join
    # over the whole table.
    sql = f"""
        SELECT {names} FROM unnest(%s::bigint[], %s::int[]) AS r(id, cut)
        CROSS JOIN LATERAL (
            SELECT COALESCE(MAX(x.progress), -1) AS progress,
                   COALESCE(MAX(x.reviews), -1) AS reviews,
                   COALESCE(MAX(x.answers), -1) AS answers
            FROM (SELECT t.progress, t.reviews, t.answers FROM {table} t
                  WHERE t.repository_id = r.id
                  ORDER BY t.progress DESC, t.reviews DESC, t.answers DESC
                  OFFSET r.cut - 1 LIMIT 1) x
        ) last
        CROSS JOIN LATERAL (
            SELECT * FROM {table} t
            WHERE t.repository_id = r.id AND t.progress >= last.progress
              AND (t.progress, t.reviews, t.answers) >= (last.progress, last.reviews,
                                                         last.answers)
            OFFSET 0
        ) c"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(cuts), list(cuts.values())])
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _shortlist_from_facts(
    *, world: RoleWorld, holders: Q | None, above: set, limit: int | None
) -> dict[tuple[int, str], dict]:
    """As of a day: progress of everyone with merged work in SQL, cut per project; then the
    tie-break figures of the shortlist (and of everyone in a project with fewer than `limit`
    people with merged work)."""
    ids = list(world.repositories)
    people: dict[tuple[int, str], dict] = {}
    per_project: dict[int, int] = defaultdict(int)
    for row in merged_work_by_author(
        repository_ids=ids,
        before=world.before,
        rules=world.rules,
        progress=progress_expression(rules=world.rules),
        bots=human("author", world.bots),
        exclude=holders,
        limit=limit,
    ):
        rid = row["repository_id"]
        per_project[rid] += 1
        # The SQL figure, so the shortlist's ties and the page's numbers are the same ones.
        row["meets"] = meets_rule(
            merged=row["merged"], hard=row["hard"], medium=row["medium"], rule=world.rules[rid]
        )
        people[(rid, row["author__login"])] = row
    open_projects = [rid for rid in ids if limit is None or per_project[rid] < limit]
    chosen = Q(author_id__in={p["author_id"] for p in people.values()}) | Q(
        repository_id__in=open_projects
    )
    for key, counts in (
        (
            "reviews",
            reviews_given(repository_ids=ids, before=world.before, bots=world.bots, chosen=chosen),
        ),
        (
            "answers",
            issues_answered(
                repository_ids=ids, before=world.before, bots=world.bots, chosen=chosen
            ),
        ),
    ):
        for rid, author_id, login, n in counts:
            if (rid, login.lower()) in above:
                continue
            if (rid, login) not in people:
                if rid not in open_projects:
                    continue
                people[(rid, login)] = {
                    "author_id": author_id,
                    "merged": 0,
                    "hard": 0,
                    "medium": 0,
                    "easy": 0,
                    "progress": 0.0,
                    "meets": False,
                }
            people[(rid, login)][key] = n
    return people


def _at_or_above(evidence, day: date, role: str) -> bool:
    held = holding_on(evidence or [], day)
    return held is not None and RANK[held[0]] >= RANK[role]


def _negated_day(iso: str) -> int:
    """Sort key putting the most recent activity first (no activity last)."""
    return -date.fromisoformat(iso).toordinal() if iso else 0


def _search(world: RoleWorld, rid: int, query: str, login: str, *, kind: str = "pulls") -> str:
    """A GitHub search of the project for `query` + login (`{0}` in the query is the login)."""
    return f"{world.pages[rid]}/{kind}?q={quote_plus(query.format(login) + login)}"
