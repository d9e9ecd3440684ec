"""Which organisation a person worked for on a day (docs/metrics.md, "Elephant factor").

The same evidence and order as affiliation (`dashboard.definitions.affiliation`), naming the
organisation instead of saying home / external:
1. an admin's `AffiliationOverride` covering the day: its organisation as written;
2. the person's commits at the time at an organisation's e-mail domain: the domain (between
   two spells at the same domain, still that domain);
3. the profile's company (spelling tidied: `@`, case, a trailing Inc./Ltd./Co.), else the
   profile's public e-mail at an organisation's domain;
4. else unknown: not an organisation.

Anything the home organisation's companies or domains name is the home organisation
(`PULSE_HOME_ORG`), so its renamed domains and spellings count as one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from ingest.models import Actor, AffiliationOverride

from ..models import EmailDomainSpell, PersonOrganisation
from . import affiliation
from .contributions import LOGIN_PREFIX

UNKNOWN = ""
# Up to this many people, their profiles are looked up by login; more, all are read.
MATCH_BY_LOGIN = 2000
_LEGAL_SUFFIX = re.compile(
    r"[\s,.]+(inc|ltd|llc|gmbh|co|corp|corporation|limited|company|group|s\.a|ag|plc)\.?$"
)


def company_organisation(company: str) -> str:
    """The organisation a profile's company names, or UNKNOWN."""
    text = " ".join(company.strip().lstrip("@").split())
    if not text or text.strip(".").lower() in affiliation.NO_COMPANY:
        return UNKNOWN
    if affiliation.profile_affiliation(company=text, email="") == affiliation.HOME:
        return settings.PULSE_HOME_ORG
    lowered = text.lower()
    while True:
        shorter = _LEGAL_SUFFIX.sub("", lowered).strip(" ,.")
        if shorter == lowered or not shorter:
            break
        lowered = shorter
    return lowered


def domain_organisation(domain: str) -> str:
    """The organisation an (organisation's) e-mail domain names, or UNKNOWN."""
    if not domain:
        return UNKNOWN
    if affiliation.domain_affiliation(domain) == affiliation.HOME:
        return settings.PULSE_HOME_ORG
    return domain.lower()


@dataclass(frozen=True)
class NamedOverride:
    start: date | None
    end: date | None
    organisation: str


@dataclass(frozen=True)
class DomainSpell:
    first: date
    last: date
    organisation: str


@dataclass(frozen=True)
class Evidence:
    overrides: tuple[NamedOverride, ...]
    spells: tuple[DomainSpell, ...]
    profile: str

    @property
    def dated(self) -> bool:
        """Whether the answer can differ between days."""
        return bool(self.overrides or self.spells)


def organisation_on(*, day: date, evidence: Evidence) -> str:
    """The organisation on a day, or UNKNOWN."""
    covering = [
        o
        for o in evidence.overrides
        if (o.start is None or o.start <= day) and (o.end is None or day <= o.end)
    ]
    if covering:
        return max(covering, key=lambda o: o.start or date.min).organisation
    spells = evidence.spells
    during = [s for s in spells if s.first <= day <= s.last]
    if during:
        return max(during, key=lambda s: (s.first, s.last)).organisation
    before = max((s for s in spells if s.last < day), key=lambda s: s.last, default=None)
    after = min((s for s in spells if s.first > day), key=lambda s: s.first, default=None)
    if before is not None and after is not None and before.organisation == after.organisation:
        return before.organisation
    return evidence.profile


def organisation_evidence(*, logins: Iterable[str]) -> dict[str, Evidence]:
    """Evidence per lower-cased login of those with any (profiles, overrides, e-mail
    spells), in three queries."""
    wanted = sorted({login for login in logins if login})
    lowered = sorted({login.lower() for login in wanted})
    if not lowered:
        return {}
    profiles: dict[str, str] = {}
    spells: dict[str, list[DomainSpell]] = defaultdict(list)
    wanted_lower = set(lowered)
    # Many people (a long tail of a year's authors): one read of every profile that names
    # something and every spell is cheaper than matching tens of thousands of logins.
    few = len(lowered) <= MATCH_BY_LOGIN
    actors = Actor.objects.exclude(company="", email="")
    spell_rows = EmailDomainSpell.objects.all()
    if few:
        actors = actors.filter(login__in=wanted)
        spell_rows = spell_rows.filter(login__in=lowered)
    named: dict[tuple[str, str], str] = {}  # many people share a company's spelling
    for login, company, email in actors.values_list("login", "company", "email").iterator(
        chunk_size=5000
    ):
        lower = login.lower()
        if lower not in wanted_lower:
            continue
        domain = affiliation.organisation_domain(email) if email else ""
        key = (company or "", domain)
        if key not in named:
            named[key] = company_organisation(key[0]) or domain_organisation(domain)
        if named[key]:
            profiles[lower] = named[key]
    for lower, domain, first, last in spell_rows.values_list(
        "login", "domain", "first_at", "last_at"
    ).iterator(chunk_size=5000):
        if lower in wanted_lower:
            spells[lower].append(
                DomainSpell(
                    first=first.date(), last=last.date(), organisation=domain_organisation(domain)
                )
            )
    # Overrides are an admin's few statements: all read, matched without case.
    overrides: dict[str, list[NamedOverride]] = defaultdict(list)
    for login, start, end, organisation, is_home in AffiliationOverride.objects.exclude(
        login=""
    ).values_list("login", "start", "end", "organization", "is_home"):
        if login.lower() in wanted_lower:
            name = settings.PULSE_HOME_ORG if is_home else (organisation.strip() or "unnamed")
            overrides[login.lower()].append(NamedOverride(start=start, end=end, organisation=name))
    # Only people with some evidence: anyone else is of unknown organisation every day.
    # Most have a profile alone: they share one Evidence per organisation named.
    found = {}
    profile_only: dict[str, Evidence] = {}
    for lower, profile in profiles.items():
        if lower not in overrides and lower not in spells:
            if profile not in profile_only:
                profile_only[profile] = Evidence(overrides=(), spells=(), profile=profile)
            found[lower] = profile_only[profile]
    for lower in set(overrides) | set(spells):
        found[lower] = Evidence(
            overrides=tuple(overrides.get(lower, ())),
            spells=tuple(spells.get(lower, ())),
            profile=profiles.get(lower, UNKNOWN),
        )
    return found


def profile_organisation_sums_sql(rows_sql: str, *, by_month: bool) -> str:
    """SQL summing `rows_sql`'s rows (`repository_id`, `person` (a person key), `n`, and
    `month` when `by_month`) per project (and month) and the organisation of each person's
    profile as PersonOrganisation holds it, UNKNOWN for people without one; people whose
    organisation can differ between days (`dated`) are left out (read day by day instead).
    Selects `repository_id`, `month` when `by_month`, `organisation`, `n`."""
    month = "s.month, " if by_month else ""
    cut = len(LOGIN_PREFIX)
    return f"""
        SELECT s.repository_id, {month}COALESCE(po.organisation, '{UNKNOWN}') AS organisation,
               SUM(s.n) AS n
        FROM ({rows_sql}) s
        LEFT JOIN {PersonOrganisation._meta.db_table} po
          ON SUBSTR(s.person, 1, {cut}) = '{LOGIN_PREFIX}'
          AND po.login = LOWER(SUBSTR(s.person, {cut + 1}))
        WHERE po.dated IS NULL OR NOT po.dated
        GROUP BY s.repository_id, {month}COALESCE(po.organisation, '{UNKNOWN}')"""
