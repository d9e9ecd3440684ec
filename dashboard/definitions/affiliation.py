"""Affiliation on a day: home / external / unknown (docs/metrics.md, "Affiliation").

In order, the first that says something wins:
1. an admin's `AffiliationOverride` covering the day (the latest-starting one);
2. the person's commits at the time: an organisation's e-mail domain they authored commits
   with, from the first to the last such commit (home when it is a home domain, else
   external; the spell that started last wins where two overlap), and between two such
   spells that say the same;
3. the profile's company (home when it names the home organisation, else external), then
   the profile's public e-mail at an organisation's domain: GitHub shows the profile as it
   is now, so this answers every day the first two leave open;
4. else unknown.

Personal addresses (webmail, GitHub's noreply, foundations' forwarding addresses) say nothing
about an employer: they never make anyone external. E-mail domain alone overstates the external
share otherwise (in SOFAStack's history employees moved from company to personal addresses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from ingest import identity

HOME, EXTERNAL, UNKNOWN = identity.HOME, identity.EXTERNAL, identity.UNKNOWN
AFFILIATIONS = (HOME, EXTERNAL, UNKNOWN)

# Domains anyone can have an address at (and those of open-source foundations, which forward
# mail for their members): not an employer. `PULSE_PERSONAL_EMAIL_DOMAINS` adds more.
PERSONAL_DOMAINS = frozenset(
    {
        "users.noreply.github.com",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "163.com",
        "126.com",
        "yeah.net",
        "vip.163.com",
        "vip.126.com",
        "188.com",
        "qq.com",
        "vip.qq.com",
        "foxmail.com",
        "sina.com",
        "sina.cn",
        "vip.sina.com",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "wo.cn",
        "tom.com",
        "21cn.com",
        "88.com",
        "outlook.kr",
        "naver.com",
        "daum.net",
        "apache.org",
        "eclipse.org",
        "linux.com",
    }
)
# Country variants of the big webmail providers (yahoo.co.jp, hotmail.co.uk, …).
PERSONAL_PREFIXES = ("yahoo.", "hotmail.", "outlook.", "live.", "gmx.", "yandex.")
NOT_AN_ADDRESS = ("localhost", "example.com", "example.org", "local", "none", "unknown")
# Profile companies that name no employer.
NO_COMPANY = frozenset({"none", "n/a", "na", "no", "null", "nil", "-", "--", "nothing", "unknown"})


def organisation_domain(email: str | None) -> str:
    """The e-mail's domain when it can name an employer (lower-cased), else ""."""
    domain = identity.email_domain(email)
    if not domain or "." not in domain or domain.endswith(NOT_AN_ADDRESS):
        return ""
    extra = {d.strip().lower() for d in getattr(settings, "PULSE_PERSONAL_EMAIL_DOMAINS", [])}
    if domain in PERSONAL_DOMAINS or domain in extra or domain.startswith(PERSONAL_PREFIXES):
        return ""
    return domain


def domain_affiliation(domain: str) -> str:
    """home for a home domain (or a subdomain of one), else external."""
    return identity.affiliation_from(email=f"x@{domain}")[0] if domain else UNKNOWN


@dataclass(frozen=True)
class Spell:
    """A person's commits at an organisation's domain, from the first to the last."""

    first: date
    last: date
    affiliation: str


@dataclass(frozen=True)
class Override:
    start: date | None
    end: date | None
    is_home: bool


def profile_affiliation(*, company: str, email: str) -> str:
    """What the profile says (company first, then a public e-mail at an organisation)."""
    if company.strip() and company.strip().strip(".").lower() not in NO_COMPANY:
        return identity.affiliation_from(company=company)[0]
    return domain_affiliation(organisation_domain(email))


def affiliation_on(
    *, day: date, overrides: list[Override], spells: list[Spell], profile: str
) -> tuple[str, str]:
    """(home / external / unknown, what said so: override / e-mail / profile / none)."""
    covering = [
        o
        for o in overrides
        if (o.start is None or o.start <= day) and (o.end is None or day <= o.end)
    ]
    if covering:
        # The most recent statement wins; one without a start date is the oldest.
        latest = max(covering, key=lambda o: o.start or date.min)
        return (HOME if latest.is_home else EXTERNAL), "override"
    during = [s for s in spells if s.first <= day <= s.last]
    if during:
        return max(during, key=lambda s: (s.first, s.last)).affiliation, "e-mail"
    # Between two spells that say the same (an employer's domain renamed, a personal address
    # used for a while), it still holds.
    before = max((s for s in spells if s.last < day), key=lambda s: s.last, default=None)
    after = min((s for s in spells if s.first > day), key=lambda s: s.first, default=None)
    if before is not None and after is not None and before.affiliation == after.affiliation:
        return before.affiliation, "e-mail"
    if profile != UNKNOWN:
        return profile, "profile"
    return UNKNOWN, "none"
