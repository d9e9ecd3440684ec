"""Promotion candidates: people without write access, active lately, ranked by what they did
in a window against the project's promotion rule (DESIGN.md "Promotion candidate";
docs/metrics.md "Promotion candidates").

- Who: contributors with something the rule counts in the window (a merged pull request, a
  review of someone else's pull request, a comment on someone else's issue), active on the
  project within the rule's `recent_months` before the day, below the rule's target role, and
  without any evidence of write access as of the day (whatever role the rule maps it to, ended
  or not: a founder, a former committer or someone who ever merged is nobody's candidate).
- The window: `since` to the as-of day (the day before `until`; today without it); without
  `since`, the 365 days ending on that day (`candidate_window`).
- Figures, all within the window: merged pull requests by difficulty and the progress they
  make against the rule (dashboard.definitions.promotion), reviews given, issues answered
  (distinct issues), months active; and the last activity (whenever it was).
- Ranking: progress, reviews given, issues answered, months active, last activity.

The window's merged work and reviews are one aggregate over the PromotionMonth rollup (its
whole months) and PromotionWork (the months it cuts); issues answered, months active, last
activity and the evidence are read for each project's shortlist only.
"""

import heapq
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_
from urllib.parse import quote_plus

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from ingest.models import Role

from ..definitions.difficulty import LEVEL_NAME
from ..definitions.promotion import meets_rule, progress, progress_text
from ..models import PromotionMonth, PromotionWork
from .roles import (
    RANK,
    RoleWorld,
    activity_by_person,
    holding_on,
    months_later,
    write_access_before,
)

WINDOW_DAYS = 365
WINDOW_COLUMNS = ("merged", "hard", "medium", "easy", "reviews", "recent")


def candidate_window(*, as_of: date | None, since: date | None) -> tuple[date, date]:
    """The first and the last day the candidates' figures count: `since` (default: the 365
    days ending on the last) to the as-of day (the day before `as_of`; today without it)."""
    last = as_of - timedelta(days=1) if as_of is not None else datetime.now(UTC).date()
    first = since if since is not None else last - timedelta(days=WINDOW_DAYS - 1)
    return first, last


def promotion_candidates(
    *,
    repository_ids: list[int],
    as_of: date | None,
    since: date | None = None,
    world: RoleWorld | None = None,
    limit: int | None = 25,
) -> list[dict]:
    """The best `limit` candidates per project (all with `limit=None`), best first."""
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    if not world.repositories:
        return []
    first, _ = candidate_window(as_of=world.as_of, since=since)
    people = _shortlist(world=world, first=first, limit=limit)
    return _candidate_rows(world=world, first=first, people=people, limit=limit)


def best_promotion_candidates(
    *,
    repository_ids: list[int],
    as_of: date | None,
    since: date | None = None,
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
    first, _ = candidate_window(as_of=world.as_of, since=since)
    people = _shortlist(world=world, first=first, limit=limit)
    per_project: dict[int, int] = defaultdict(int)
    for rid, _ in people:
        per_project[rid] += 1
    total = sum(min(n, limit) for n in per_project.values())
    if total > best:
        # The figures the rows of the full list have: each project's first `limit` on these
        # keys (tie-breaks below them decide who, not which figures).
        by_project: dict[int, list[tuple]] = defaultdict(list)
        for (rid, _), p in people.items():
            by_project[rid].append(_first_keys(p))
        kept = sorted(
            (keys for found in by_project.values() for keys in sorted(found, reverse=True)[:limit]),
            reverse=True,
        )
        edge = kept[best - 1]
        people = {key: p for key, p in people.items() if _first_keys(p) >= edge}
    rows = _candidate_rows(world=world, first=first, people=people, limit=limit, best=best)
    return rows, total


def _first_keys(p: dict) -> tuple:
    return (p["progress"], p["reviews"], p["answers"])


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _excluded(world: RoleWorld) -> set[tuple[int, str]]:
    """(project, lower-cased login) of everyone who is no candidate on the day: any evidence
    of write access so far (founders included), or a role at or above the rule's target."""
    day = world.day()
    out = set()
    for rid, login, evidence in world.people():
        held = holding_on(evidence, day)
        target = RANK[world.rules[rid].target_role]
        if write_access_before(evidence, day) or (held and RANK[held[0]] >= target):
            out.add((rid, login.lower()))
    return out


def _shortlist(*, world: RoleWorld, first: date, limit: int | None) -> dict[tuple[int, str], dict]:
    """(project, login) → the window's figures of every candidate among the best `limit` of
    their project on the first keys (progress, reviews, answers), everyone tied included.

    A large community has tens of thousands of people with something in a window: one
    grouped read of the window gives their merged work and reviews, and they stay plain
    tuples while each project's best on progress and reviews (ties kept: a superset of the
    best on all three keys) are found. Only those are asked whether they were active lately
    beyond what the window shows, and how many issues they answered."""
    day = world.day()
    if first > day:
        return {}
    excluded = _excluded(world)
    rules = world.rules
    progress_of: dict[tuple, float] = {}
    # project → [((progress, reviews), login, (merged, hard, medium, easy), recent)]
    by_project: dict[int, list[tuple]] = defaultdict(list)
    for rid, login, n_merged, hard, medium, easy, reviews, recent in _window_figures(world, first):
        if (rid, login.lower()) in excluded:
            continue
        key = (id(rules[rid]), n_merged, hard, medium)
        if key not in progress_of:
            progress_of[key] = progress(merged=n_merged, hard=hard, medium=medium, rule=rules[rid])
        by_project[rid].append(
            ((progress_of[key], reviews), login, (n_merged, hard, medium, easy), recent)
        )
    since_day = {rid: months_later(day, -rule.recent_months) for rid, rule in rules.items()}
    chosen: dict[int, list[tuple]] = {}
    pending = set(by_project)  # projects whose cut is to be (re)made
    while pending:
        for rid in pending:
            entries = by_project[rid]
            cut = _edge([entry[0] for entry in entries], limit) if entries else None
            chosen[rid] = [entry for entry in entries if entry[0] >= cut] if entries else []
        # Of those, who shows nothing they authored lately in the window: active lately by
        # anything else (a commit, an issue, …)?
        unsure = {(rid, entry[1]) for rid in pending for entry in chosen[rid] if not entry[3]}
        pending = set()
        if not unsure:
            break
        last = activity_by_person(
            repository_ids=sorted({rid for rid, _ in unsure}),
            logins={login for _, login in unsure},
            before=world.before,
            count_months=False,
            pairs=unsure,
        )
        stale = set()
        for rid, login in unsure:
            seen = last.get((rid, login), (0, None))[1]
            if seen is None or seen.date() < since_day[rid]:
                stale.add((rid, login))
        for rid in {rid for rid, _ in unsure}:
            # The checked are recent from now on; the stale leave, and the cut is made again.
            by_project[rid] = [
                (entry if entry[3] or (rid, entry[1]) not in unsure else (*entry[:3], 1))
                for entry in by_project[rid]
                if (rid, entry[1]) not in stale
            ]
            if any(key[0] == rid for key in stale):
                pending.add(rid)
            else:
                chosen[rid] = [
                    (*entry[:3], 1) if (rid, entry[1]) in unsure else entry for entry in chosen[rid]
                ]
    people = {}
    for rid, entries in chosen.items():
        for (share, reviews), login, (n_merged, hard, medium, easy), _ in entries:
            people[(rid, login)] = {
                "progress": share,
                "reviews": reviews,
                "merged": n_merged,
                "hard": hard,
                "medium": medium,
                "easy": easy,
            }
    if not people:
        return {}
    for (rid, login), n in _answers(world=world, first=first, pairs=set(people)).items():
        people[(rid, login)]["answers"] = n
    for (rid, _), p in people.items():
        p.setdefault("answers", 0)
        p["meets"] = meets_rule(
            merged=p["merged"], hard=p["hard"], medium=p["medium"], rule=world.rules[rid]
        )
    keys: dict[int, list[tuple]] = defaultdict(list)
    for (rid, _), p in people.items():
        keys[rid].append(_first_keys(p))
    edges = {rid: _edge(ranked, limit) for rid, ranked in keys.items()}
    return {key: p for key, p in people.items() if _first_keys(p) >= edges[key[0]]}


def _edge(keys: list[tuple], limit: int | None) -> tuple:
    """The keys of the `limit`-th best (the lowest that makes the cut; without a limit, or
    with fewer, the lowest of all)."""
    if limit is None or len(keys) <= limit:
        return min(keys)
    return heapq.nlargest(limit, keys)[-1]


def _answers(
    *, world: RoleWorld, first: date, pairs: set[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """(project, login) → distinct issues answered in the window, of these pairs only."""
    if connection.vendor == "postgresql":
        # Each pair's answers in the (repository, login, kind, level, at) index (an answer's
        # level is NULL), read from the index alone.
        ordered = sorted(pairs)
        sql = f"""
            SELECT p.rid, p.login, x.n
            FROM unnest(%s::bigint[], %s::text[]) AS p(rid, login) CROSS JOIN LATERAL (
                SELECT COUNT(DISTINCT w.number) AS n FROM {PromotionWork._meta.db_table} w
                WHERE w.repository_id = p.rid AND w.login = p.login AND w.kind = %s
                  AND w.level IS NULL AND w.at >= %s {"AND w.at < %s" if world.before else ""}
            ) x WHERE x.n > 0"""
        params = [[rid for rid, _ in ordered], [login for _, login in ordered]]
        params += [PromotionWork.ANSWER, _start(first)]
        params += [world.before] if world.before else []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {(rid, login): n for rid, login, n in cursor.fetchall()}
    found = (
        _window(world, first)
        .filter(kind=PromotionWork.ANSWER, login__in={login for _, login in pairs})
        .values("repository_id", "login")
        .annotate(n=Count("number", distinct=True))
        .order_by()
        .values_list("repository_id", "login", "n")
    )
    return {(rid, login): n for rid, login, n in found if (rid, login) in pairs}


def _window(world: RoleWorld, first: date):
    """PromotionWork of the chosen projects from `first` to the as-of day."""
    work = PromotionWork.objects.filter(
        repository_id__in=list(world.repositories), at__gte=_start(first)
    )
    return work if world.before is None else work.filter(at__lt=world.before)


def _since_days(world: RoleWorld, day: date) -> dict[date, list[int]]:
    """The first day counting as recent → the projects whose rule says so."""
    by_since: dict[date, list[int]] = defaultdict(list)
    for rid, rule in world.rules.items():
        by_since[months_later(day, -rule.recent_months)].append(rid)
    return by_since


def _window_figures(world: RoleWorld, first: date) -> list[tuple]:
    """(project, login, merged, Hard, Medium, Easy, reviews given, recent) of everyone with
    something in the window, as plain rows; recent: 1 when they authored an item of it within
    the project rule's recent months before the day (the usual case: the window and those
    months mostly overlap), else 0.

    The window's whole months are read from PromotionMonth, the months it cuts (at `first`
    and at the as-of day) from PromotionWork: the same figures, summed in one query."""
    ids = list(world.repositories)
    start = _start(first)
    whole_from = start if start == _month(start) else _next_month(start)
    whole_to = _month(world.before) if world.before is not None else None
    recent = Case(
        *(
            When(repository_id__in=rids, authored_at__gte=_start(since), then=Value(1))
            for since, rids in _since_days(world, world.day()).items()
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    merged = Q(kind=PromotionWork.MERGED)

    def items(since: datetime, until: datetime | None) -> QuerySet:
        work = PromotionWork.objects.filter(repository_id__in=ids, at__gte=since)
        if until is not None:
            work = work.filter(at__lt=until)
        return work.annotate(
            w_merged=Case(When(merged, then=Value(1)), default=Value(0)),
            w_hard=Case(When(merged & Q(level=3), then=Value(1)), default=Value(0)),
            w_medium=Case(When(merged & Q(level=2), then=Value(1)), default=Value(0)),
            w_easy=Case(When(merged & Q(level=1), then=Value(1)), default=Value(0)),
            w_reviews=Case(When(kind=PromotionWork.REVIEW, then=Value(1)), default=Value(0)),
            w_recent=recent,
        )

    branches = []
    if whole_to is not None and whole_from > whole_to:  # the window within one month
        branches.append(items(start, world.before))
    else:
        months = PromotionMonth.objects.filter(repository_id__in=ids, month__gte=whole_from)
        if whole_to is not None:
            months = months.filter(month__lt=whole_to)
        branches.append(
            months.annotate(
                w_merged=F("merged"),
                w_hard=F("hard"),
                w_medium=F("medium"),
                w_easy=F("easy"),
                w_reviews=F("reviews"),
                w_recent=recent,
            )
        )
        if start < whole_from:
            branches.append(items(start, whole_from))
        if whole_to is not None:
            branches.append(items(whole_to, world.before))
    columns = ("repository_id", "login", *(f"w_{c}" for c in WINDOW_COLUMNS))
    selects, params = [], []
    for branch in branches:
        sql, branch_params = branch.order_by().values_list(*columns).query.sql_with_params()
        selects.append(sql)
        params.extend(branch_params)
    sums = ", ".join(f"SUM(u.w_{c})" for c in WINDOW_COLUMNS[:-1])
    # The first branch's column names name the union's columns.
    sql = (
        f"SELECT u.repository_id, u.login, {sums}, MAX(u.w_recent) "
        f"FROM ({' UNION ALL '.join(selects)}) u GROUP BY u.repository_id, u.login"
    )
    with connection.cursor() as cursor:  # plain rows: no per-value conversions
        cursor.execute(sql, params)
        return cursor.fetchall()


def _month(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(at: datetime) -> datetime:
    start = _month(at)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _candidate_rows(
    *,
    world: RoleWorld,
    first: date,
    people: dict[tuple[int, str], dict],
    limit: int | None,
    best: int | None = None,
) -> list[dict]:
    """The shortlist with the tie-break figures and evidence, ranked and cut per project
    (then to the `best` over all projects, when given)."""
    day = world.day()
    activity = activity_by_person(
        repository_ids=sorted({rid for rid, _ in people}),
        logins={login for _, login in people},
        before=world.before,
        since=_start(first),
        pairs=set(people),
    )
    rows = []
    for (rid, login), p in people.items():
        months, last_at = activity.get((rid, login), (0, None))
        rule = world.rules[rid]
        rows.append(
            {
                "repository_id": rid,
                "project": world.repositories[rid],
                "login": login,
                "progress": progress_text(
                    merged=p["merged"], hard=p["hard"], medium=p["medium"], rule=rule
                ),
                "progress_percent": p["progress"],
                "meets_rule": p["meets"],
                "merged": p["merged"],
                "hard": p["hard"],
                "medium": p["medium"],
                "easy": p["easy"],
                "reviews_given": p["reviews"],
                "issues_answered": p["answers"],
                "months_active": months,
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
    hardest = _hardest_merged(world=world, first=first, rows=ranked)
    evidence = {(rid, login.lower()): ev for rid, login, ev in world.people()}
    window = f"{first.isoformat()}..{day.isoformat()}"
    for row in ranked:
        rid, login = row["repository_id"], row["login"]
        held = holding_on(evidence.get((rid, login.lower()), []), day)
        row.update(
            {
                "role": held[0] if held else Role.CONTRIBUTOR.value,
                "affiliation": world.affiliation(login=login, on=day),
                "merged_url": _search(
                    world, rid, f"is:pr is:merged merged:{window} author:", login
                ),
                "reviews_url": _search(
                    world, rid, f"is:pr -author:{{0}} updated:>={first} reviewed-by:", login
                ),
                "issues_url": _search(
                    world,
                    rid,
                    f"is:issue -author:{{0}} updated:>={first} commenter:",
                    login,
                    kind="issues",
                ),
                "evidence": [
                    {
                        "label": f"#{number} {level} ({source})",
                        "url": world.link(rid, "pull", number),
                    }
                    for number, level, source in hardest.get((rid, login), [])
                ],
            }
        )
    return ranked


def _hardest_merged(
    *, world: RoleWorld, first: date, rows: list[dict], per_person: int = 5
) -> dict[tuple[int, str], list[tuple[int, str, str]]]:
    """The window's Hard and Medium merged pull requests of the rows' people (the evidence
    for the rule): (project, login) → [(number, level, source)], hardest first, at most
    `per_person` each."""
    pairs = {(r["repository_id"], r["login"]) for r in rows if r["hard"] or r["medium"]}
    if not pairs:
        return {}
    found: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
    if connection.vendor == "postgresql":
        # Each pair's first `per_person` in the (repository, login, kind, level, at) index,
        # read from the index alone.
        ordered = sorted(pairs)
        sql = f"""
            SELECT p.rid, p.login, x.number, x.level, x.source
            FROM unnest(%s::bigint[], %s::text[]) AS p(rid, login) CROSS JOIN LATERAL (
                SELECT w.number, w.level, w.source FROM {PromotionWork._meta.db_table} w
                WHERE w.repository_id = p.rid AND w.login = p.login AND w.kind = %s
                  AND w.level >= 2 AND w.at >= %s {"AND w.at < %s" if world.before else ""}
                ORDER BY w.level DESC, w.number LIMIT %s) x"""
        params = [[rid for rid, _ in ordered], [login for _, login in ordered]]
        params += [PromotionWork.MERGED, _start(first)]
        params += [world.before] if world.before else []
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, per_person])
            rows = sorted(cursor.fetchall(), key=lambda r: (r[0], r[1], -r[3], r[2]))
    else:
        # Exactly these pairs (the busiest people are active on many projects).
        work = PromotionWork.objects.filter(
            reduce(or_, (Q(repository_id=rid, login=login) for rid, login in sorted(pairs))),
            kind=PromotionWork.MERGED,
            level__gte=2,
            at__gte=_start(first),
        )
        if world.before is not None:
            work = work.filter(at__lt=world.before)
        rows = work.order_by("repository_id", "login", "-level", "number").values_list(
            "repository_id", "login", "number", "level", "source"
        )
    for rid, login, number, level, source in rows:
        if len(found[(rid, login)]) < per_person:
            found[(rid, login)].append((number, LEVEL_NAME[level], source))
    return found


def _negated_day(iso: str) -> int:
    """Sort key putting the most recent activity first (no activity last)."""
    return -date.fromisoformat(iso).toordinal() if iso else 0


def _search(world: RoleWorld, rid: int, query: str, login: str, *, kind: str = "pulls") -> str:
    """A GitHub search of the project for `query` + login (`{0}` in the query is the login)."""
    return f"{world.pages[rid]}/{kind}?q={quote_plus(query.format(login) + login)}"
