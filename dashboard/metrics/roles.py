"""Who holds which role on each project, since when, on what evidence (as of a date).

The ladder is Contributor → Member → Reviewer → Committer → PMC (DESIGN.md, "Roles").
Every signal is kept apart and mapped to a role by the project's `PromotionRule`:
merging pull requests, approving reviews given with write access, author association
MEMBER/COLLABORATOR/OWNER on one's own activity, organisation membership (approximated by
association MEMBER), governance files (their git history dates each change), and admin
entries (`ingest.models.RoleEntry`), which replace everything inferred for that person.
A role is held from the first day of evidence for it; governance listings and admin entries
can also end it. People with write access within the rule's first `founders_months` of a
project are its founders: they hold that role from the project's start. `as_of` is
exclusive: only facts strictly before that day count (a project's founders excepted: they
are known from its first months whatever the day).

For other pages: `committers_by_project(repository_ids=…, as_of=…)` gives one row
per project with `committers` and how many are `home_committers`, `external_committers` and
`unknown_committers`; `role_history_for_person(login=…, as_of=…)` gives a person's roles on
every project, with dates and evidence.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, Max, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from ingest.models import (
    Actor,
    AffiliationOverride,
    GovernanceFileVersion,
    PullRequest,
    Repository,
    Role,
    RoleEntry,
)

from ..definitions import affiliation as affiliations
from ..definitions.contributions import bot_logins
from ..definitions.promotion import promotion_rules
from ..models import ActivityMonth, ContributionEvent, EmailDomainSpell, RoleSignal

LADDER = [Role.CONTRIBUTOR, Role.MEMBER, Role.REVIEWER, Role.COMMITTER, Role.PMC]
RANK = {role.value: rank for rank, role in enumerate(LADDER)}
# Governance file categories (keys of GovernanceFileVersion.people) → PromotionRule field.
GOVERNANCE_SETTINGS = {
    "approvers": "owners_approvers_prove",
    "reviewers": "owners_reviewers_prove",
    "maintainers": "maintainers_prove",
    "committers": "committers_prove",
    "pmc": "pmc_prove",
}
# Listed as a reviewer shows no write access; every other listing does.
GOVERNANCE_WRITE = {"approvers", "maintainers", "committers", "pmc"}
# RoleSignal rollup signals → PromotionRule field saying which role each proves.
SIGNAL_SETTINGS = {
    "merge": "merge_proves",
    "approval": "approval_proves",
    "association": "association_proves",
    "org_membership": "org_membership_proves",
}
GOVERNANCE_WORDS = {
    "approvers": "approver",
    "reviewers": "reviewer",
    "maintainers": "maintainer",
    "committers": "committer",
    "pmc": "PMC member",
}


def github_web_url() -> str:
    """GitHub's web address for the configured API (api.github.com → github.com; GHES
    `https://host/api/v3` → `https://host`); the simulator answers both on one host."""
    parts = urlsplit(settings.GITHUB_API_URL)
    host = parts.netloc
    if host.startswith("api."):
        host = host[len("api.") :]
    path = parts.path.rstrip("/")
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    return f"{parts.scheme}://{host}{path}"


def cutoff(as_of: date | None) -> datetime | None:
    """The exclusive instant for an as-of day: the start of that day, UTC."""
    return None if as_of is None else datetime.combine(as_of, time.min, tzinfo=UTC)


def months_later(day: date, months: int) -> date:
    """The same day of the month `months` later (negative: earlier), at most the 28th."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, 28))


@dataclass(frozen=True)
class Evidence:
    """One signal that proves a role from `since` (to `ended`, exclusive, when it ended).
    `write`: the signal shows write access (whatever role the rule maps it to)."""

    role: str
    signal: str  # merge, approval, association, org_membership, governance, admin, founder
    since: date
    description: str
    url: str = ""
    ended: date | None = None
    write: bool = False

    def active_on(self, day: date) -> bool:
        return self.since <= day and (self.ended is None or day < self.ended)


@dataclass
class Holding:
    """A person's standing on one project as of a date."""

    repository_id: int
    repository: str
    login: str
    role: str
    since: date
    evidence: list[Evidence]
    last_activity: datetime | None = None
    affiliation: str = "unknown"
    inactive: bool = False

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class RoleWorld:
    """What the selectors share for a set of projects: names, rules, evidence by person."""

    def __init__(self, *, repository_ids: list[int], as_of: date | None):
        self.as_of = as_of
        self.before = cutoff(as_of)
        self.web = github_web_url()
        rows = Repository.objects.filter(pk__in=repository_ids).values_list(
            "pk", "full_name", "html_url"
        )
        self.repositories = {pk: full_name for pk, full_name, _ in rows}
        # GitHub's own html_url when ingest stored it, else the web host of GITHUB_API_URL.
        self.pages = {
            pk: (html_url or f"{self.web}/{full_name}").rstrip("/")
            for pk, full_name, html_url in rows
        }
        self.rules = promotion_rules(repository_ids=list(self.repositories))
        self.bots = bot_logins()
        # (repository_id, login) → evidence
        self.evidence: dict[tuple[int, str], list[Evidence]] = defaultdict(list)
        self.admin: dict[tuple[int, str], list[Evidence]] = defaultdict(list)
        # (repository_id, login.lower()) → (login, founder evidence)
        self.founders: dict[tuple[int, str], tuple[str, Evidence]] = {}
        self.starts: dict[int, date] = {}
        self._affiliation: dict[str, tuple] = {}
        self._by_profile: dict[str, str] = {}
        self._people: list | None = None
        self._read_signals: list[tuple] = []
        self._read_listings: list[tuple] = []
        if self.repositories:
            self._collect()

    # --- evidence -------------------------------------------------------------------------

    def link(self, repository_id: int, kind: str, number: int | None) -> str:
        if number is None:
            return ""
        return f"{self.pages[repository_id]}/{kind}/{number}"

    def _add(self, rid: int, login: str, setting: str, **evidence) -> None:
        role = getattr(self.rules[rid], setting)
        if role:
            self.evidence[(rid, login)].append(Evidence(role=role, **evidence))

    def _collect(self) -> None:
        ids = list(self.repositories)
        self._collect_activity(ids)
        self._collect_governance(ids)
        self._collect_admin(ids)
        self._collect_founders(ids)

    def _signal_evidence(self, rid, login, signal, at, number, kind, what, role) -> Evidence:
        if signal == "merge":
            description = f"first merge: #{number}"
        elif signal == "approval":
            description = f"first approving review: #{number}"
        else:
            word = "organisation member" if signal == "org_membership" else "write access"
            description = f"{word} (association) on own {what} #{number}"
        return Evidence(
            role=role,
            signal=signal,
            since=at.date(),
            description=description,
            url=self.link(rid, kind, number),
            write=True,
        )

    def _proves(self) -> dict[tuple[int, str], str]:
        """Which role each RoleSignal signal proves per project (looked up once: there are
        10,000s of signals)."""
        return {
            (rid, signal): getattr(rule, setting)
            for rid, rule in self.rules.items()
            for signal, setting in SIGNAL_SETTINGS.items()
        }

    _COLUMNS = ("repository_id", "login", "signal", "first_at", "first_number", "link_kind", "what")

    def _collect_activity(self, ids: list[int]) -> None:
        """Merges, approvals and association, from the RoleSignal rollup (first evidence of
        each signal per person and project, rebuilt after each ingest)."""
        signals = RoleSignal.objects.filter(repository_id__in=ids)
        if self.before is not None:
            signals = signals.filter(first_at__lt=self.before)
        proves = self._proves()
        self._read_signals = list(signals.values_list(*self._COLUMNS))
        for rid, login, signal, at, number, kind, what in self._read_signals:
            role = proves[(rid, signal)]
            if role:
                self.evidence[(rid, login)].append(
                    self._signal_evidence(rid, login, signal, at, number, kind, what, role)
                )

    def _listings(self, versions) -> list[tuple]:
        """Governance versions → listings (rid, path, category, login, start, sha, ended):
        each runs from the version that adds a login to the one that drops it."""
        # (rid, path) → (category, login.lower()) → (start, login, sha)
        open_: dict[tuple, dict[tuple, tuple]] = defaultdict(dict)
        closed: list[tuple] = []
        for rid, path, sha, at, people in versions.order_by(
            "repository_id", "path", "committed_at", "pk"
        ).values_list("repository_id", "path", "commit_sha", "committed_at", "people"):
            listed = {
                (category, login.lower()): login
                for category in GOVERNANCE_SETTINGS
                for login in (people or {}).get(category, [])
                if isinstance(login, str) and login
            }
            in_file = open_[(rid, path)]
            for key in [k for k in in_file if k not in listed]:
                start, login, first_sha = in_file.pop(key)
                closed.append((rid, path, key[0], login, start, first_sha, at.date()))
            for key, login in listed.items():
                in_file.setdefault(key, (at.date(), login, sha))
        return closed + [
            (rid, path, category, login, start, sha, None)
            for (rid, path), in_file in open_.items()
            for (category, _), (start, login, sha) in in_file.items()
        ]

    def _known_case(self, logins: set[str]) -> dict[str, str]:
        """Governance files are hand-written: the login's case as GitHub's account has it."""
        if not logins:
            return {}
        return {
            login.lower(): login
            for login in Actor.objects.annotate(lower=Lower("login"))
            .filter(lower__in={login.lower() for login in logins})
            .values_list("login", flat=True)
        }

    def _collect_governance(self, ids: list[int]) -> None:
        versions = GovernanceFileVersion.objects.filter(repository_id__in=ids)
        if self.before is not None:
            versions = versions.filter(committed_at__lt=self.before)
        self._read_listings = listings = self._listings(versions)
        known = self._known_case({listing[3] for listing in listings})
        for rid, path, category, login, start, sha, ended in listings:
            self._add(
                rid,
                known.get(login.lower(), login),
                **self._listing(rid, path, category, start, sha, ended),
            )

    def _listing(self, rid, path, category, start, sha, ended) -> dict:
        return {
            "setting": GOVERNANCE_SETTINGS[category],
            "signal": "governance",
            "since": start,
            "ended": ended,
            "description": f"listed as {GOVERNANCE_WORDS[category]} in {path} "
            f"(commit {sha[:7]})" + (f", removed {ended.isoformat()}" if ended else ""),
            "url": f"{self.pages[rid]}/commit/{sha}",
            "write": category in GOVERNANCE_WRITE,
        }

    def _collect_admin(self, ids: list[int]) -> None:
        entries = RoleEntry.objects.filter(repository_id__in=ids)
        if self.as_of is not None:
            entries = entries.filter(since__lt=self.as_of)
        for entry in entries.order_by("since"):
            self.admin[(entry.repository_id, entry.login)].append(
                Evidence(
                    role=entry.role,
                    signal="admin",
                    since=entry.since,
                    ended=entry.until,
                    description="admin entry" + (f": {entry.evidence}" if entry.evidence else ""),
                    url=entry.evidence
                    if entry.evidence.startswith(("http://", "https://"))
                    else "",
                    write=RANK[entry.role] >= RANK[Role.COMMITTER],
                )
            )

    def _collect_founders(self, ids: list[int]) -> None:
        """Founders: write access within the rule's first `founders_months` of the project.

        A project starts with its repository or its first recorded contribution, whichever is
        later (a repository created long before its first work is a placeholder; history
        imported into a new repository predates it). Their evidence is read up to the end of
        that period whatever the as-of day: a founder is never anyone's candidate."""
        first_event = (
            ContributionEvent.objects.filter(repository_id=OuterRef("pk"))
            .order_by("occurred_at")
            .values("occurred_at")[:1]
        )
        ends: dict[int, datetime] = {}
        for rid, created, first in (
            Repository.objects.filter(pk__in=ids)
            .annotate(first=Subquery(first_event))
            .values_list("pk", "created_at", "first")
        ):
            known = [at for at in (created, first) if at is not None]
            if not known:
                continue
            start = max(known)
            self.starts[rid] = start.date()
            months = self.rules[rid].founders_months
            if months:
                ends[rid] = datetime.combine(
                    months_later(start.date(), months), time.min, tzinfo=UTC
                )
        if not ends:
            return
        found: dict[tuple[int, str], list[tuple[datetime, str, Evidence]]] = defaultdict(list)
        proves = self._proves()
        # Usually the as-of day is after every founding period: what was read covers them.
        read = self.before is None or self.before >= max(ends.values())
        signals = (
            self._read_signals
            if read
            else RoleSignal.objects.filter(
                repository_id__in=list(ends), first_at__lt=max(ends.values())
            ).values_list(*self._COLUMNS)
        )
        for rid, login, signal, at, number, kind, what in signals:
            if rid not in ends:
                continue
            role = proves[(rid, signal)]
            if role and at < ends[rid]:
                evidence = self._signal_evidence(rid, login, signal, at, number, kind, what, role)
                found[(rid, login.lower())].append((at, login, evidence))
        listings = (
            self._read_listings
            if read
            else self._listings(
                GovernanceFileVersion.objects.filter(
                    repository_id__in=list(ends), committed_at__lt=max(ends.values())
                )
            )
        )
        listings = [
            listing
            for listing in listings
            if listing[0] in ends
            and listing[2] in GOVERNANCE_WRITE
            and datetime.combine(listing[4], time.min, tzinfo=UTC) < ends[listing[0]]
            and getattr(self.rules[listing[0]], GOVERNANCE_SETTINGS[listing[2]])
        ]
        known = self._known_case({listing[3] for listing in listings})
        for rid, path, category, login, start, sha, _ in listings:
            setting = self._listing(rid, path, category, start, sha, None)
            role = getattr(self.rules[rid], setting.pop("setting"))
            login = known.get(login.lower(), login)
            at = datetime.combine(start, time.min, tzinfo=UTC)
            found[(rid, login.lower())].append((at, login, Evidence(role=role, **setting)))
        for (rid, lower), proofs in found.items():
            proofs.sort(key=lambda p: (p[0], -RANK[p[2].role]))
            _, login, first = proofs[0]
            role = max((p[2].role for p in proofs), key=RANK.__getitem__)
            months = self.rules[rid].founders_months
            self.founders[(rid, lower)] = (
                login,
                Evidence(
                    role=role,
                    signal="founder",
                    since=self.starts[rid],
                    description=f"founder: write access in the project's first {months} "
                    f"months ({first.description}, {first.since.isoformat()})",
                    url=first.url,
                    write=True,
                ),
            )

    # --- reading -------------------------------------------------------------------------

    def affiliation(self, *, login: str, on: date) -> str:
        """home / external / unknown for a login on a day (dashboard.definitions.affiliation:
        an admin override covering the day, else the person's organisation e-mail at the time,
        else the profile), with overrides, e-mail spells and profiles read once per request
        (the share-over-time chart asks for every committer at every quarter end)."""
        lower = login.lower()
        if lower in self._by_profile:
            return self._by_profile[lower]  # nothing dated: the same answer every day
        if lower not in self._affiliation:
            self.load_affiliations(
                logins={lower}
                | {x.lower() for _, x in self.evidence}
                | {x.lower() for _, x in self.admin}
                | {x for _, x in self.founders}
            )
        overrides, spells, profile = self._affiliation[lower]
        return affiliations.affiliation_on(
            day=on, overrides=overrides, spells=spells, profile=profile
        )[0]

    def load_affiliations(self, *, logins: set[str]) -> None:
        """Read the profiles, overrides and e-mail spells of these (lower-cased) logins in
        three queries."""
        logins = logins - set(self._affiliation)
        if not logins:
            return
        profiles = {
            lower: affiliations.profile_affiliation(company=company, email=email)
            for lower, company, email in Actor.objects.annotate(lower=Lower("login"))
            .filter(lower__in=logins)
            .values_list("lower", "company", "email")
        }
        overrides: dict[str, list] = defaultdict(list)
        for lower, start, end, is_home in (
            AffiliationOverride.objects.annotate(lower=Lower("login"))
            .filter(lower__in=logins)
            .values_list("lower", "start", "end", "is_home")
        ):
            overrides[lower].append(affiliations.Override(start=start, end=end, is_home=is_home))
        spells: dict[str, list] = defaultdict(list)
        for lower, domain, first, last in EmailDomainSpell.objects.filter(
            login__in=logins
        ).values_list("login", "domain", "first_at", "last_at"):
            spells[lower].append(
                affiliations.Spell(
                    first=first.date(),
                    last=last.date(),
                    affiliation=affiliations.domain_affiliation(domain),
                )
            )
        for lower in logins:
            profile = profiles.get(lower, affiliations.UNKNOWN)
            self._affiliation[lower] = (overrides.get(lower, []), spells.get(lower, []), profile)
            if lower not in overrides and lower not in spells:
                self._by_profile[lower] = profile

    def people(self) -> list[tuple[int, str, list[Evidence]]]:
        """(repository_id, login, evidence) per person; admin entries replace inferred ones,
        founders hold their role from the project's start. (Read by every selector of a
        page: built once, the evidence being complete then.)"""
        if self._people is None:
            keys = set(self.evidence) | set(self.admin)
            lower_keys = {(rid, login.lower()): (rid, login) for rid, login in keys}
            for (rid, lower), (login, _) in self.founders.items():
                if (rid, lower) not in lower_keys:
                    lower_keys[(rid, lower)] = (rid, login)
                    keys.add((rid, login))
            people = []
            for rid, login in sorted(keys, key=lambda k: (self.repositories[k[0]], k[1].lower())):
                evidence = self.admin.get((rid, login))
                if not evidence:
                    evidence = list(self.evidence.get((rid, login), []))
                    founder = self.founders.get((rid, login.lower()))
                    if founder is not None:
                        ends = [e.ended for e in evidence]
                        # Founders step down like anyone: when all their evidence has ended.
                        ended = max(ends) if ends and None not in ends else None
                        evidence.append(replace(founder[1], ended=ended))
                people.append((rid, login, evidence))
            self._people = people
        return list(self._people)

    def day(self) -> date:
        """The as-of day facts are judged on: the day before `as_of` (the last counted)."""
        if self.as_of is not None:
            return self.as_of - timedelta(days=1)
        return datetime.now(UTC).date()


def write_access_before(evidence: list[Evidence], day: date) -> bool:
    """Any evidence of write access dated on or before `day`, whatever role it proves and
    whether or not it has ended since (a former committer is no candidate either)."""
    return any(e.write and e.since <= day for e in evidence)


def holding_on(evidence: list[Evidence], day: date) -> tuple[str, date, list[Evidence]] | None:
    """The highest role proven on `day`, the first day of its evidence, and that evidence."""
    active = [e for e in evidence if e.active_on(day)]
    if not active:
        return None
    role = max((e.role for e in active), key=RANK.__getitem__)
    proving = [e for e in active if e.role == role]
    return role, min(e.since for e in proving), sorted(proving, key=lambda e: e.since)


def _month_start(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(at: datetime) -> datetime:
    start = _month_start(at)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def activity_by_person(
    *,
    repository_ids: list[int],
    logins: set[str],
    before: datetime | None,
    since: datetime | None = None,
    count_months: bool = True,
    pairs: set[tuple[int, str]] | None = None,
) -> dict[tuple[int, str], tuple[int, datetime | None]]:
    """(repository, login) → (months active, last activity) of some people (of these
    `pairs` only, when given; others may be answered too).

    Months active: calendar months with an authored commit, pull request, issue, review or
    comment from `since` (when given) to `before`; last activity: the latest of those or of a
    merge before `before`, whenever it was. Whole months come from the ActivityMonth rollup;
    the month cut by the as-of day, from the contribution events and merges (a month of them
    at most).
    """
    months = ActivityMonth.objects.filter(repository_id__in=repository_ids, login__in=logins)
    if pairs is not None and connection.vendor == "postgresql":
        # Only the (project, login) pairs asked about: the people of a long list are active
        # on many other projects too, and those months would be read and grouped for nothing.
        months = months.alias(
            asked=RawSQL(
                f"({ActivityMonth._meta.db_table}.repository_id, {ActivityMonth._meta.db_table}.login)"
                " IN (SELECT * FROM unnest(%s::bigint[], %s::text[]))",
                [[rid for rid, _ in pairs], [login for _, login in pairs]],
                output_field=BooleanField(),
            )
        ).filter(asked=True)
    # Whole months counted: [first_whole, last_month) (and the month `since` cuts, by its
    # last contribution); the days from last_month to `before` are read from the events.
    last_month = _month_start(before) if before is not None else None
    first_whole = None
    if since is not None:
        first_whole = since if since == _month_start(since) else _next_month(since)
    authored = ContributionEvent.objects.filter(
        repository_id__in=repository_ids, login__in=logins, is_bot=False
    )
    partial: list = []  # (counts as a month active, repository, login, last)
    if before is not None:
        months = months.filter(month__lt=last_month)
        edge = (
            authored.filter(occurred_at__gte=last_month, occurred_at__lt=before)
            .values("repository_id", "login")
            .annotate(last=Max("occurred_at"))
            .order_by()
        )
        merges = (
            PullRequest.objects.filter(
                repository_id__in=repository_ids,
                merged_by__login__in=logins,
                merged_at__gte=last_month,
                merged_at__lt=before,
            )
            .values("repository_id", "merged_by__login")
            .annotate(last=Max("merged_at"))
            .order_by()
        )
        from_day = last_month if since is None else max(since, last_month)
        partial = [
            (last >= from_day, rid, login, last)
            for rid, login, last in edge.values_list("repository_id", "login", "last")
        ] + [
            (False, *row) for row in merges.values_list("repository_id", "merged_by__login", "last")
        ]
    if not count_months and pairs is not None and connection.vendor == "postgresql":
        found = _last_month_of_pairs(pairs=pairs, before_month=last_month)
    else:
        # Counting distinct months costs a sort; the ladder needs only the last activity (0).
        counted = Q(merges=False)
        if first_whole is not None:
            # The window's first month, when `since` cuts it, counts if its last activity is
            # on or after `since` (a month's row holds its latest contribution).
            counted &= Q(month__gte=first_whole) | Q(month=_month_start(since), last_at__gte=since)
        n_months = Count("month", distinct=True, filter=counted) if count_months else Value(0)
        found = {
            (rid, login): (n, last)
            for rid, login, n, last in months.values("repository_id", "login")
            .annotate(n=n_months, last=Max("last_at"))
            .order_by()
            .values_list("repository_id", "login", "n", "last")
        }
    for counts, rid, login, last in partial:
        n, seen = found.get((rid, login), (0, None))
        if counts:
            n += 1
        if last is not None and (seen is None or last > seen):
            seen = last
        found[(rid, login)] = (n, seen)
    return found


def _last_month_of_pairs(
    *, pairs: set[tuple[int, str]], before_month: datetime | None
) -> dict[tuple[int, str], tuple[int, datetime | None]]:
    """PostgreSQL: (repository, login) → (0, last activity) from each pair's latest
    ActivityMonth rows, read backwards on the (login, repository, month) index (role holders
    are active for years: aggregating all their months read 80 rows a pair)."""
    table = ActivityMonth._meta.db_table
    month = "" if before_month is None else "AND a.month < %s"
    sql = f"""
        SELECT r.id, r.login, x.last FROM unnest(%s::bigint[], %s::text[]) AS r(id, login)
        CROSS JOIN LATERAL (
            SELECT MAX(a.last_at) AS last FROM {table} a
            WHERE a.login = r.login AND a.repository_id = r.id AND a.month = (
                SELECT MAX(b.month) FROM {table} b
                WHERE b.login = r.login AND b.repository_id = r.id {month.replace("a.", "b.")})
        ) x WHERE x.last IS NOT NULL"""
    ordered = sorted(pairs)
    params = [[rid for rid, _ in ordered], [login for _, login in ordered]]
    if before_month is not None:
        params.append(before_month)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(rid, login): (0, last) for rid, login, last in cursor.fetchall()}


def ladder(
    *, repository_ids: list[int], as_of: date | None, world: RoleWorld | None = None
) -> list[Holding]:
    """Everyone above Contributor on the projects, with role, since, evidence, last activity,
    affiliation on the as-of day, and the inactivity flag of the project's rule."""
    return list(_ladder(world or RoleWorld(repository_ids=repository_ids, as_of=as_of)))


def _ladder(world: RoleWorld, *, chunk: int | None = None):
    """The holdings in page order; with `chunk`, lazily, reading last activity for `chunk`
    holdings at a time (a page showing the first rows of 300 projects' ladder reads them
    for those only; the whole ladder's holders have hundreds of thousands of active months)."""
    day = world.day()
    held_by = sorted(
        (
            (rid, login, held)
            for rid, login, evidence in world.people()
            if (held := holding_on(evidence, day)) is not None and held[0] != Role.CONTRIBUTOR
        ),
        key=lambda h: (world.repositories[h[0]], -RANK[h[2][0]], h[2][1], h[1].lower()),
    )
    step = chunk or max(len(held_by), 1)
    for first in range(0, len(held_by), step):
        part = held_by[first : first + step]
        activity = activity_by_person(
            repository_ids=sorted({rid for rid, _, _ in part}),
            logins={login for _, login, _ in part},
            before=world.before,
            count_months=False,
            pairs={(rid, login) for rid, login, _ in part},
        )
        for rid, login, (role, since, proving) in part:
            last_at = activity.get((rid, login), (0, None))[1]
            months = world.rules[rid].inactive_months
            inactive = RANK[role] >= RANK[Role.COMMITTER] and (
                last_at is None or last_at.date() < months_later(day, -months)
            )
            yield Holding(
                repository_id=rid,
                repository=world.repositories[rid],
                login=login,
                role=role,
                since=since,
                evidence=proving,
                last_activity=last_at,
                affiliation=world.affiliation(login=login, on=day),
                inactive=inactive,
            )


def ladder_rows(
    *,
    repository_ids: list[int],
    as_of: date | None,
    world: RoleWorld | None = None,
    chunk: int = 250,
) -> Iterator[dict]:
    """The ladder as table/export rows (one per person and project), lazily: `chunk`
    holdings' last activity at a time, so a page showing the first rows reads only theirs."""
    return (
        {
            "project": h.repository,
            "login": h.login,
            "role": h.role_label,
            "since": h.since.isoformat(),
            "evidence": "; ".join(e.description for e in h.evidence),
            "evidence_url": h.evidence[0].url if h.evidence else "",
            "last_activity": h.last_activity.date().isoformat() if h.last_activity else "",
            "affiliation": h.affiliation,
            "inactive": h.inactive,
        }
        for h in _ladder(
            world or RoleWorld(repository_ids=repository_ids, as_of=as_of), chunk=chunk
        )
    )


def committer_periods(
    world: RoleWorld,
) -> list[tuple[int, str, list[tuple[date, date | None]], bool]]:
    """Per person and project: the periods in which they held Committer or above, and
    whether the first was as a founder (held from the project's start: no promotion)."""
    out = []
    committer = RANK[Role.COMMITTER]  # once: an enum member's lookup costs a few µs
    for rid, login, evidence in world.people():
        held = sorted(
            ((e.since, e.ended, e.signal) for e in evidence if RANK[e.role] >= committer),
            key=lambda p: (p[0], p[2] != "founder"),
        )
        if held:
            out.append((rid, login, [(s, e) for s, e, _ in held], held[0][2] == "founder"))
    return out


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarters(first: date, last: date) -> list[tuple[str, date]]:
    """Every quarter from `first` to `last`: (label, last day of the quarter)."""
    out = []
    year, q = first.year, (first.month - 1) // 3
    while (year, q) <= (last.year, (last.month - 1) // 3):
        end_month = q * 3 + 3
        end = date(year + (end_month // 12), end_month % 12 + 1, 1) - timedelta(days=1)
        out.append((f"{year}-Q{q + 1}", end))
        q += 1
        if q == 4:
            year, q = year + 1, 0
    return out


def promotions_by_quarter(
    *, repository_ids: list[int], as_of: date | None, world: RoleWorld | None = None
) -> dict:
    """People reaching Committer or above per quarter, by affiliation on the promotion day
    (founders are not promotions: they held the role from the project's start).

    Returns `{"labels": [quarter…], "home": […], "external": […], "unknown": […],
    "promotions": [row…]}` with every quarter from the first promotion present.
    """
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    promotions = []
    for rid, login, periods, founder in committer_periods(world):
        if founder:
            continue
        promoted = periods[0][0]
        promotions.append(
            {
                "project": world.repositories[rid],
                "login": login,
                "date": promoted.isoformat(),
                "quarter": _quarter(promoted),
                "affiliation": world.affiliation(login=login, on=promoted),
            }
        )
    promotions.sort(key=lambda p: (p["date"], p["project"], p["login"].lower()))
    series = {"labels": [], "home": [], "external": [], "unknown": [], "promotions": promotions}
    if promotions:
        counts = defaultdict(int)
        for p in promotions:
            counts[(p["quarter"], p["affiliation"])] += 1
        for label, _ in _quarters(date.fromisoformat(promotions[0]["date"]), world.day()):
            series["labels"].append(label)
            for kind in ("home", "external", "unknown"):
                series[kind].append(counts[(label, kind)])
    return series


def external_share(*, home: int, external: int) -> float | None:
    """External people as a percentage of those whose affiliation is known (None: nobody's
    is); the unknown are shown beside it, never counted as home or as external."""
    known = home + external
    return round(100 * external / known, 1) if known else None


def external_committer_share_by_quarter(
    *, repository_ids: list[int], as_of: date | None, world: RoleWorld | None = None
) -> dict:
    """At the end of each quarter: committers (Committer or above, people counted once across
    the chosen projects), how many home, external and of unknown affiliation on that day, and
    the share external among those known (percent; None when none is known)."""
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    periods = committer_periods(world)
    series = {
        "labels": [],
        "committers": [],
        "home": [],
        "external": [],
        "unknown": [],
        "share": [],
    }
    if not periods:
        return series
    last_day = world.day()
    first = min(p[0][0] for _, _, p, _ in periods)
    # One sweep over the periods' starts and ends: a person holds on a day while more of
    # their periods have started than ended by then.
    changes = sorted(
        [(s, 1, login.lower()) for _, login, spans, _ in periods for s, _ in spans]
        + [
            (e, -1, login.lower())
            for _, login, spans, _ in periods
            for _, e in spans
            if e is not None
        ]
    )
    open_periods: dict[str, int] = defaultdict(int)
    holders: set[str] = set()
    at = 0
    for label, end in _quarters(first, last_day):
        day = min(end, last_day)
        while at < len(changes) and changes[at][0] <= day:
            _, step, lower = changes[at]
            open_periods[lower] += step
            (holders.add if open_periods[lower] > 0 else holders.discard)(lower)
            at += 1
        counts = {"home": 0, "external": 0, "unknown": 0}
        for login in holders:
            counts[world.affiliation(login=login, on=day)] += 1
        series["labels"].append(label)
        series["committers"].append(len(holders))
        for kind, n in counts.items():
            series[kind].append(n)
        series["share"].append(external_share(home=counts["home"], external=counts["external"]))
    return series


def committers_by_project(
    *, repository_ids: list[int], as_of: date | None, world: RoleWorld | None = None
) -> list[dict]:
    """One row per project: committers (Committer or above) and how many are home, external
    and of unknown affiliation on the day."""
    world = world or RoleWorld(repository_ids=repository_ids, as_of=as_of)
    day = world.day()
    kinds = ("home", "external", "unknown")
    counts = {
        rid: {"committers": 0, **{f"{k}_committers": 0 for k in kinds}}
        for rid in world.repositories
    }
    for rid, login, evidence in world.people():
        held = holding_on(evidence, day)
        if held and RANK[held[0]] >= RANK[Role.COMMITTER]:
            counts[rid]["committers"] += 1
            counts[rid][f"{world.affiliation(login=login, on=day)}_committers"] += 1
    return [
        {"repository_id": rid, "project": world.repositories[rid], **counts[rid]}
        for rid in sorted(world.repositories, key=world.repositories.get)
    ]


def role_history_for_person(*, login: str, as_of: date | None) -> list[dict]:
    """A person's roles on every project: each role reached, from when, on what evidence, and
    when it ended (governance removal or admin end date), oldest first."""
    # Evidence lives in three places only: the activity rollup, governance files, admin entries.
    repository_ids: set[int] = set(
        RoleSignal.objects.filter(login__iexact=login).values_list("repository_id", flat=True)
    )
    repository_ids.update(
        GovernanceFileVersion.objects.values_list("repository_id", flat=True).distinct()
    )
    repository_ids.update(
        RoleEntry.objects.filter(login__iexact=login).values_list("repository_id", flat=True)
    )
    world = RoleWorld(repository_ids=sorted(repository_ids), as_of=as_of)
    rows = []
    for rid, person, evidence in world.people():
        if person.lower() != login.lower():
            continue
        first_by_role: dict[str, Evidence] = {}
        for e in sorted(evidence, key=lambda e: e.since):
            first_by_role.setdefault(e.role, e)
        for role, e in first_by_role.items():
            ends = [x.ended for x in evidence if x.role == role]
            ended = None if any(x is None for x in ends) else max(ends)
            rows.append(
                {
                    "project": world.repositories[rid],
                    "role": Role(role).label,
                    "since": e.since.isoformat(),
                    "ended": ended.isoformat() if ended else "",
                    "evidence": e.description,
                    "evidence_url": e.url,
                }
            )
    rows.sort(key=lambda r: (r["since"], r["project"]))
    return rows
