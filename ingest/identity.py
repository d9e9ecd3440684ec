"""Who is who: bots, affiliation with the home organisation, and the key a commit counts for.

Plain functions over plain values (the rules of DESIGN.md "Definitions" and docs/metrics.md;
`resolve_identities` joins a person's git identities), plus two that read the database:
`affiliation_on` (overrides first) and `commits_recompute_author_keys` (run after each commit
sync: every commit keyed by the joined identity of its author).
"""

from __future__ import annotations

import re
import unicodedata
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


# Logins that name an automation by convention (`deepsource-bot`, `sofastack-robot`); a
# person whose login ends so is listed on /ingest/ and can be corrected in the admin list.
BOT_LOGIN_SUFFIXES = ("[bot]", "-bot", "-robot")


def is_bot(*, login: str, actor_type: str = "User", extra_bots: Iterable[str] = ()) -> bool:
    """GitHub type Bot, a `[bot]`, `-bot` or `-robot` login, or a configured bot login."""
    lowered = _norm(login)
    return actor_type == "Bot" or lowered.endswith(BOT_LOGIN_SUFFIXES) or lowered in set(extra_bots)


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


# -- Joining a person's git identities (docs/metrics.md, "Contributor") --------------------
# The placeholders people leave in git config: never evidence that two commits share an author.
GENERIC_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "author",
        "default",
        "dev",
        "developer",
        "git",
        "github",
        "local",
        "me",
        "name",
        "none",
        "null",
        "root",
        "test",
        "ubuntu",
        "unknown",
        "user",
        "your name",
        "yourname",
    }
)
BOT_TEXT = re.compile(
    r"\[bot\]|dependabot|github-actions|renovate|greenkeeper|mergify|imgbot|codecov|snyk-bot"
    r"|allcontributors|pre-commit-ci|^copilot$|copilot@|noreply@anthropic\.com"
    r"|noreply@openai\.com|cursoragent|^devin-ai",
    re.IGNORECASE,
)
NOREPLY_ID = re.compile(r"^(?P<id>\d+)\+[^@]+@users\.noreply\.github\.com$", re.IGNORECASE)


def _email_join_key(email: str) -> str | None:
    """The e-mail as a joining key, or None for the placeholders everybody shares."""
    text = _norm(email)
    if (
        "@" not in text
        or text in ("noreply@github.com",)
        or text.split("@")[0] in ("none", "unknown")
    ):
        return None
    if text.endswith(("@localhost", "@example.com")):
        return None
    return text


def _name_join_key(name: str) -> str | None:
    text = " ".join(unicodedata.normalize("NFKC", name or "").split()).lower()
    return None if len(text) < 2 or text in GENERIC_NAMES else text


def identity_keys(*, name: str, email: str, login: str | None) -> tuple[list[str], list[str]]:
    """(strong keys, name keys) one git identity joins others by.

    Strong: the e-mail, a linked account's login, a noreply address's login and numeric user
    id (the id survives a login rename). Name keys: the normalised name and, when it has no
    whitespace, the login it may be."""
    strong = []
    email_key = _email_join_key(email)
    if email_key:
        strong.append(f"email:{email_key}")
    if login:
        strong.append(f"login:{login.lower()}")
    from_noreply = noreply_login(email)
    if from_noreply:
        strong.append(f"login:{from_noreply.lower()}")
        numeric = NOREPLY_ID.match(email.strip())
        if numeric:
            strong.append(f"user-id:{numeric['id']}")
    names = []
    name_key = _name_join_key(name)
    if name_key:
        names.append(f"name:{name_key}")
        if " " not in name_key:
            names.append(f"login:{name_key}")
    return strong, names


def resolve_identities(identities: list[dict]) -> list[str]:
    """The author key of each git identity after joining (same order as `identities`).

    Each identity is a dict: name, email, login (the linked account or None), first_at and
    last_at (its earliest and latest commit), bot. Union-find over `identity_keys`: strong
    keys first, then names, each pass in sorted order so the result does not depend on the
    order rows come back. Two clusters that each hold a different linked account never join
    (one GitHub account is one person; a shared display name is not), and a name that two
    accounts go by joins nobody. Bots join nobody.
    A cluster keys as `login:<its account>`; else `login:<noreply login of its latest
    commit>`; else `email:<e-mail of its earliest commit>` (ties: smallest e-mail)."""
    parent = list(range(len(identities)))
    account = [(i["login"] or "").lower() or None for i in identities]

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(a: int, b: int) -> None:
        a, b = root(a), root(b)
        if a == b or (account[a] and account[b] and account[a] != account[b]):
            return
        parent[b] = a
        account[a] = account[a] or account[b]

    keys = [
        ([], []) if i["bot"] else identity_keys(name=i["name"], email=i["email"], login=i["login"])
        for i in identities
    ]
    order = sorted(
        range(len(identities)),
        key=lambda n: (
            identities[n]["first_at"],
            identities[n]["email"],
            identities[n]["name"],
            identities[n]["login"] or "",
        ),
    )
    owner: dict[str, int] = {}  # shared by both passes: a name may equal a login seen first
    for node in order:
        for key in keys[node][0]:
            if key in owner:
                join(owner[key], node)
            else:
                owner[key] = node
    # A name that several accounts go by says nothing about who an unlinked commit is: it
    # joins nobody (rather than whichever account came first).
    accounts_by_name: dict[str, set[str]] = {}
    for node in order:
        for key in keys[node][1]:
            held = accounts_by_name.setdefault(key, set())
            for member in (node, owner.get(key)):
                if member is not None and account[root(member)]:
                    held.add(account[root(member)])
    for node in order:
        for key in keys[node][1]:
            if len(accounts_by_name[key]) > 1:
                continue
            if key in owner:
                join(owner[key], node)
            else:
                owner[key] = node
    clusters: dict[int, list[int]] = {}
    for node in order:
        clusters.setdefault(root(node), []).append(node)
    result = [""] * len(identities)
    for members in clusters.values():
        linked = next((identities[n]["login"] for n in members if identities[n]["login"]), None)
        noreply = max(
            (
                (identities[n]["last_at"], noreply_login(identities[n]["email"]))
                for n in members
                if noreply_login(identities[n]["email"])
            ),
            default=(None, None),
        )[1]
        email = next(
            (
                _email_join_key(identities[n]["email"])
                for n in members
                if _email_join_key(identities[n]["email"])
            ),
            None,
        )
        for n in members:
            if identities[n]["bot"]:
                key = author_key(login=identities[n]["login"], email=identities[n]["email"])
            elif linked or noreply:
                key = f"login:{linked or noreply}"
            elif email:
                key = f"email:{email}"
            else:
                key = author_key(login=None, email=identities[n]["email"])
            result[n] = key
    return result


def commits_recompute_author_keys(*, repository_ids: list[int] | None = None) -> int:
    """Re-key the community's commits by the identity rule (`resolve_identities`).

    Identities are community-wide (an e-mail first seen in one repository can join people in
    another), so every commit is re-keyed whatever `repository_ids` (the repositories just
    synced) says; the pass is over distinct (name, e-mail, account) combinations aggregated
    in SQL, and only commits whose key changes are written. Returns that number of commits."""
    from django.db.models import Count, Min

    from .models import Actor, Commit

    del repository_ids  # kept for callers that name what they synced; see the docstring
    bots = bot_logins()
    bot_ids = set(Actor.objects.filter(is_bot=True).values_list("pk", flat=True))
    # Streamed as tuples: this pass is community-wide, so a list of dicts here grew the ingest
    # process's memory with the size of the whole community.
    groups = (
        Commit.objects.values_list(
            "author_name", "author_email", "author_id", "author__login", "author_key"
        )
        .annotate(first_at=Min("authored_at"), last_at=Max("authored_at"), n=Count("id"))
        .order_by()
        .iterator(chunk_size=5000)
    )
    # One identity per (name, e-mail, account); its rows may carry several current keys.
    identities: dict[tuple, dict] = {}
    for name, email, author_id, login, current, first_at, last_at, n in groups:
        ident = (name, email, author_id)
        known = identities.get(ident)
        if known is None:
            identities[ident] = {
                "name": name,
                "email": email,
                "login": login,
                "first_at": first_at,
                "last_at": last_at,
                "bot": author_id in bot_ids
                or is_bot(login=login or "", extra_bots=bots)
                or bool(BOT_TEXT.search(name) or BOT_TEXT.search(email)),
                "current": {current: n},
            }
        else:
            known["first_at"] = min(known["first_at"], first_at)
            known["last_at"] = max(known["last_at"], last_at)
            known["current"][current] = n
    listed = list(identities.items())
    keys = resolve_identities([i for _, i in listed])
    changes = []
    changed = 0
    for ((name, email, author_id), ident), key in zip(listed, keys, strict=True):
        key = key[:300]
        stale = sum(n for current, n in ident["current"].items() if current != key)
        if stale:
            changes.append((name, email, author_id or 0, key))
            changed += stale
    _commits_set_keys(changes)
    return changed


def _commits_set_keys(changes: list[tuple[str, str, int, str]]) -> None:
    """Set author_key of the commits of each (name, e-mail, author id or 0, key), and record
    the repositories whose commits changed key (their derived data counts people by it), in
    one transaction."""
    if not changes:
        return
    from django.db import connection, transaction

    from .changes import facts_changed

    touched: set[int] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            touched.update(
                row[0]
                for row in execute_values(
                    cursor.cursor,
                    "UPDATE ingest_commit AS t SET author_key = v.key "
                    "FROM (VALUES %s) AS v(name, email, author_id, key) "
                    "WHERE t.author_email = v.email AND t.author_name = v.name "
                    "AND COALESCE(t.author_id, 0) = v.author_id AND t.author_key <> v.key "
                    "RETURNING t.repository_id",
                    changes,
                    template="(%s::text, %s::text, %s::bigint, %s::text)",
                    page_size=1000,
                    fetch=True,
                )
            )
        else:  # in-process SQLite: one indexed (author_email) statement per changed identity
            for name, email, author_id, key in changes:
                where = (
                    "WHERE author_email = %s AND author_name = %s "
                    "AND COALESCE(author_id, 0) = %s AND author_key <> %s"
                )
                params = [email, name, author_id, key]
                cursor.execute(f"SELECT DISTINCT repository_id FROM ingest_commit {where}", params)
                touched.update(row[0] for row in cursor.fetchall())
                cursor.execute(f"UPDATE ingest_commit SET author_key = %s {where}", [key, *params])
        facts_changed(repository_ids=touched)
