"""Who is who: bots, affiliation with the home organisation, and the key a commit counts for.

Plain functions over plain values (the rules of DESIGN.md "Definitions" and docs/metrics.md),
plus two that read the database: `affiliation_on` (overrides first) and
`commits_recompute_author_keys` (run after each commit sync).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db.models import Max, Q

NOREPLY = re.compile(
    r"^(?:\d+\+)?(?P<login>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)"
    r"@users\.noreply\.github\.com$",
    re.IGNORECASE,
)

HOME = "home"
EXTERNAL = "external"
UNKNOWN = "unknown"


def _norm(text: str | None) -> str:
    return (text or "").strip().lower()


def bot_logins() -> set[str]:
    """Lower-cased logins configured as bots: settings.PULSE_BOT_LOGINS plus BotAccount rows."""
    from .models import BotAccount

    logins = {_norm(x) for x in settings.PULSE_BOT_LOGINS}
    logins.update(_norm(x) for x in BotAccount.objects.values_list("login", flat=True))
    return logins


def is_bot(*, login: str, actor_type: str = "User", extra_bots: Iterable[str] = ()) -> bool:
    """GitHub type Bot, a `[bot]` login, or a configured bot login."""
    lowered = _norm(login)
    return actor_type == "Bot" or lowered.endswith("[bot]") or lowered in set(extra_bots)


def _company_matches(company: str) -> bool:
    text = _norm(company)
    if not text:
        return False
    # "@antgroup" and "@AntGroup " style company fields name the org handle.
    text_flat = text.lstrip("@")
    for name in settings.PULSE_HOME_COMPANIES:
        needle = _norm(name)
        if needle and (needle in text or needle in text_flat or needle.replace(" ", "") in text):
            return True
    return False


def email_domain(email: str | None) -> str:
    text = _norm(email)
    return text.rsplit("@", 1)[1] if "@" in text else ""


def _domain_matches(domain: str) -> bool:
    for home in settings.PULSE_HOME_DOMAINS:
        home = _norm(home)
        if home and (domain == home or domain.endswith("." + home)):
            return True
    return False


def affiliation_from(*, company: str | None = None, email: str | None = None) -> tuple[str, str]:
    """(affiliation, source) from a profile company and an e-mail: home / external / unknown.

    Home if the company names the home organisation or the e-mail domain is a home domain;
    external if a company or a (non-noreply) e-mail is known and matches neither; else unknown.
    """
    if _company_matches(company or ""):
        return HOME, "company"
    domain = email_domain(email)
    if domain and _domain_matches(domain):
        return HOME, "email"
    if _norm(company):
        return EXTERNAL, "company"
    if domain and domain != "users.noreply.github.com":
        return EXTERNAL, "email"
    return UNKNOWN, "none"


def affiliation_on(*, login: str | None = None, email: str | None = None, on: date) -> str:
    """Affiliation of a person on a date: an AffiliationOverride covering `on` wins; else the
    actor's profile company/e-mail (login), else the e-mail's domain. Returns home/external/unknown.
    """
    from .models import Actor, AffiliationOverride

    keys = Q(pk__in=[])
    if login:
        keys |= Q(login__iexact=login)
    if email:
        keys |= Q(email__iexact=email.strip())
    override = (
        AffiliationOverride.objects.filter(keys)
        .filter(Q(start__isnull=True) | Q(start__lte=on))
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .order_by("-start")
        .first()
    )
    if override is not None:
        return HOME if override.is_home else EXTERNAL
    if login:
        actor = Actor.objects.filter(login__iexact=login).only("company", "email").first()
        if actor is not None:
            affiliation, _ = affiliation_from(company=actor.company, email=actor.email or email)
            if affiliation != UNKNOWN or not email:
                return affiliation
    affiliation, _ = affiliation_from(email=email)
    return affiliation


def noreply_login(email: str | None) -> str | None:
    """The login inside a GitHub noreply address (`123+login@users.noreply.github.com`)."""
    match = NOREPLY.match((email or "").strip())
    return match.group("login") if match else None


def author_key(
    *, login: str | None, email: str | None, linked_emails: dict[str, str] | None = None
) -> str:
    """`login:<login>` for a linked commit, a noreply address or an e-mail seen on a linked
    commit (`linked_emails`: lower-cased e-mail -> login); else `email:<lower-cased e-mail>`."""
    if login:
        return f"login:{login}"
    from_noreply = noreply_login(email)
    if from_noreply:
        return f"login:{from_noreply}"
    lowered = _norm(email)
    if linked_emails and lowered in linked_emails:
        return f"login:{linked_emails[lowered]}"
    return f"email:{lowered}"


def linked_email_logins() -> dict[str, str]:
    """Lower-cased e-mail -> login, from commits GitHub linked to an account (community-wide).

    When one e-mail was linked to several accounts, the account of the latest commit wins.
    """
    from .models import Commit

    rows = (
        Commit.objects.filter(author__isnull=False)
        .exclude(author_email="")
        .values("author_email", "author__login")
        .annotate(last=Max("authored_at"))
    )
    best: dict[str, tuple] = {}
    for row in rows:
        email = _norm(row["author_email"])
        if email not in best or row["last"] > best[email][0]:
            best[email] = (row["last"], row["author__login"])
    return {email: login for email, (_, login) in best.items()}


def commits_recompute_author_keys(*, repository_ids: list[int] | None = None) -> int:
    """Re-key commits that GitHub did not link: an e-mail may since have appeared on a linked
    commit anywhere in the community. Returns the number of commits whose key changed."""
    from .models import Commit

    linked = linked_email_logins()
    unlinked = Commit.objects.filter(author__isnull=True)
    if repository_ids is not None:
        unlinked = unlinked.filter(repository_id__in=repository_ids)
    changed = []
    for commit in unlinked.only("pk", "author_email", "author_key").iterator(chunk_size=2000):
        key = author_key(login=None, email=commit.author_email, linked_emails=linked)
        if key != commit.author_key:
            commit.author_key = key
            changed.append(commit)
    from .sync.upsert import update_columns

    update_columns(
        Commit, [(c.pk, c.author_key) for c in changed], columns=["author_key"], casts=["text"]
    )
    return len(changed)
