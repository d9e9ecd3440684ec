"""Who is who: bots, affiliation with the home organisation, and the key a contribution counts for.

Plain functions over plain values (the rules of DESIGN.md "Definitions" and docs/metrics.md,
"Contributor": `resolve_identities` gives each git identity its account and joins a person's
identities; `git_key` names a person without an account), plus those that read the database:
`affiliation_on` (overrides first), `commits_recompute_author_keys` (run after each sync:
every commit and co-author keyed by the joined identity, with the evidence it reads: admin
decisions, profile e-mails, pull requests) and `identity_decision_recorded` (after an admin
decision).
"""

from __future__ import annotations

import hashlib
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


# -- Person keys ------------------------------------------------------------------------------
# A person known only by git identities is named by an opaque key, never by their address:
# pages, CSV and JSON show person keys. The hash is unsalted so that every process of every
# deployment computes the same key from the same e-mail; it hides the address but is no
# secret (whoever already knows an address can compute its key), which is all a page needs.
GIT_KEY_DIGITS = 16
# Appended to the key of a bot that has no account, so that every reader's bot rule (a key or
# login ending `[bot]`) sees what joining already knew.
BOT_KEY_SUFFIX = "[bot]"


def _name_norm(name: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", name or "").split()).lower()


def git_key(*, email: str | None, name: str | None = "") -> str:
    """`git:<16 hex digits>`: the key of a person without a GitHub account.

    SHA-256 of the trimmed, lower-cased e-mail; for a placeholder e-mail that many people
    share (`you@example.com`, empty), of the e-mail and the normalised name together."""
    email_key = _email_join_key(email or "")
    text = email_key or f"{_norm(email)}\n{_name_norm(name)}"
    return "git:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:GIT_KEY_DIGITS]


def author_key(
    *,
    login: str | None,
    email: str | None,
    linked_emails: dict[str, str] | None = None,
    name: str | None = "",
) -> str:
    """The key a commit's author (or a co-author) counts for until the community-wide pass
    (`commits_recompute_author_keys`) joins identities: `login:<login>` for a linked account, a
    noreply address or an e-mail seen on a linked commit (`linked_emails`: lower-cased e-mail
    -> login); else the opaque `git_key`."""
    if login:
        return f"login:{login}"
    from_noreply = noreply_login(email)
    if from_noreply:
        return f"login:{from_noreply}"
    lowered = _norm(email)
    if linked_emails and lowered in linked_emails:
        return f"login:{linked_emails[lowered]}"
    return git_key(email=email, name=name)


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

# Admin decisions (IdentityDecision.Action values).
JOIN = "join"
SEPARATE = "separate"


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
    text = _name_norm(name)
    return None if len(text) < 2 or text in GENERIC_NAMES else text


def identity_keys(*, name: str, email: str, login: str | None) -> tuple[list[str], list[str]]:
    """(strong keys, name keys) one git identity joins others by.

    Strong: the e-mail, the account's login (linked by GitHub, or joined on strong evidence),
    a noreply address's login and numeric user id (the id survives a login rename). Name
    keys: the normalised name and, when it has no whitespace, the login it may be."""
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


def pull_request_author(votes: dict[str, int]) -> str | None:
    """The login an e-mail belongs to by its pull requests, or None.

    `votes`: login -> the number of pull requests of that login whose first commit carries
    the e-mail. One login must hold at least two thirds of them: a maintainer's e-mail on a
    few of other people's pull requests (a cherry-pick, a taken-over branch) stays with the
    maintainer's own, and an e-mail split between logins joins none."""
    if not votes:
        return None
    login, top = max(votes.items(), key=lambda item: (item[1], item[0]))
    return login if top > 0 and 3 * top >= 2 * sum(votes.values()) else None


def _account_evidence(
    identity: dict,
    *,
    linked_emails: set[str],
    profile_emails: dict[str, str],
    pull_request_votes: dict[str, dict[str, int]],
) -> str | None:
    """The account an identity's e-mail belongs to: GitHub's link, else the strong evidence
    (a profile's public e-mail, then its pull requests), for an e-mail GitHub links nowhere."""
    if identity["login"]:
        return identity["login"]
    email = _email_join_key(identity["email"])
    if email is None or email in linked_emails or noreply_login(email):
        return None
    return profile_emails.get(email) or pull_request_author(pull_request_votes.get(email, {}))


def resolve_identities(
    identities: list[dict],
    *,
    decisions: dict[str, tuple[str, str]] | None = None,
    profile_emails: dict[str, str] | None = None,
    pull_request_votes: dict[str, dict[str, int]] | None = None,
) -> list[str]:
    """The person key of each git identity after joining (same order as `identities`).

    Each identity is a dict: name, email, login (the account GitHub links it to, or None),
    first_at and last_at (its earliest and latest commit), bot. The evidence, each keyed by
    the trimmed, lower-cased e-mail: `decisions` (the admin's latest per e-mail: (`join`,
    login) or (`separate`, "")), `profile_emails` (a profile's public e-mail -> its login)
    and `pull_request_votes` (see `pull_request_author`).

    An identity's account is, in this order: the admin's `join`; GitHub's link; for an e-mail
    GitHub links nowhere, the profile e-mail, then the pull requests. Then union-find over
    `identity_keys`: strong keys first, then names, each pass in sorted order so the result
    does not depend on the order rows come back. Two clusters that each hold a different
    account never join (one GitHub account is one person; a shared display name is not), and
    a name that two accounts go by joins nobody. Bots join nobody; an e-mail the admin keeps
    `separate` joins only itself.
    A cluster keys as `login:<its account>`; else `login:<noreply login of its latest
    commit>`; else `git_key` of the e-mail of its earliest commit (ties: smallest e-mail)."""
    decisions = decisions or {}
    linked_emails = {
        e for i in identities if i["login"] if (e := _email_join_key(i["email"])) is not None
    }
    count = len(identities)
    parent = list(range(count))
    shown: list[str | None] = [None] * count  # the account as GitHub spells its login
    isolated = [False] * count
    keys: list[tuple[list[str], list[str]]] = []
    for n, ident in enumerate(identities):
        action, login = decisions.get(_norm(ident["email"]), ("", ""))
        if action == SEPARATE:
            isolated[n] = True
            email = _email_join_key(ident["email"])
            keys.append(([f"email:{email}"] if email else [], []))
            continue
        if action == JOIN and login:
            shown[n] = login
            email = _email_join_key(ident["email"])
            names = (
                [] if ident["bot"] else identity_keys(name=ident["name"], email="", login=None)[1]
            )
            strong = [f"email:{email}"] if email else []
            keys.append((strong + [f"login:{login.lower()}"], names))
            continue
        if ident["bot"]:
            shown[n] = ident["login"]
            keys.append(([], []))
            continue
        shown[n] = _account_evidence(
            ident,
            linked_emails=linked_emails,
            profile_emails=profile_emails or {},
            pull_request_votes=pull_request_votes or {},
        )
        keys.append(identity_keys(name=ident["name"], email=ident["email"], login=shown[n]))
    account = [(login or "").lower() or None for login in shown]

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

    order = sorted(
        range(count),
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
    result = [""] * count
    for members in clusters.values():
        key = _cluster_key(
            [identities[n] for n in members],
            accounts=[shown[n] for n in members],
            isolated=isolated[members[0]],
        )
        for n in members:
            result[n] = key
    return result


def _cluster_key(members: list[dict], *, accounts: list[str | None], isolated: bool) -> str:
    """The person key of one joined cluster (`members` earliest first); see resolve_identities."""
    lead = members[0]
    suffix = BOT_KEY_SUFFIX if lead["bot"] else ""
    if isolated:
        return git_key(email=lead["email"], name=lead["name"]) + suffix
    account = next((login for login in accounts if login), None)
    if account:
        return f"login:{account}"
    noreply = max(
        ((m["last_at"], noreply_login(m["email"])) for m in members if noreply_login(m["email"])),
        default=(None, None),
    )[1]
    if noreply:
        return f"login:{noreply}"
    email = next((m["email"] for m in members if _email_join_key(m["email"])), lead["email"])
    return git_key(email=email, name=lead["name"]) + suffix


# -- The community-wide pass (reads the database) -------------------------------------------


def decisions_in_effect() -> dict[str, tuple[str, str]]:
    """{trimmed, lower-cased e-mail: (action, login)}: the latest admin decision per e-mail,
    a join's login spelled as the ingested account spells it (person keys are case-sensitive)."""
    from django.db.models.functions import Lower

    from .models import Actor, IdentityDecision

    latest: dict[str, tuple[str, str]] = {}
    for email, action, login in IdentityDecision.objects.order_by("decided_at", "id").values_list(
        "email", "action", "login"
    ):
        latest[_norm(email)] = (action, login.strip() if action == JOIN else "")
    wanted = {login.lower() for _, login in latest.values() if login}
    spelled: dict[str, str] = {}
    for login in (
        Actor.objects.annotate(lower=Lower("login"))
        .filter(lower__in=wanted)
        .order_by("pk")
        .values_list("login", flat=True)
    ):
        spelled.setdefault(login.lower(), login)
    return {
        email: (action, spelled.get(login.lower(), login))
        for email, (action, login) in latest.items()
        if action == SEPARATE or login
    }


def _person_account(*, login: str, actor_type: str, flagged_bot: bool, bots: set[str]) -> bool:
    """Whether an account is a person's (not a bot, an organisation or a mannequin)."""
    return actor_type == "User" and not flagged_bot and not is_bot(login=login, extra_bots=bots)


def profile_emails(*, bots: set[str]) -> dict[str, str]:
    """{e-mail: login} of the public e-mails on people's profiles (GitHub shows only verified
    ones); an e-mail two accounts show is left out."""
    from .models import Actor

    owners: dict[str, set[str]] = {}
    for login, email, actor_type, flagged in (
        Actor.objects.exclude(email="").values_list("login", "email", "type", "is_bot").iterator()
    ):
        key = _email_join_key(email)
        if key and _person_account(
            login=login, actor_type=actor_type, flagged_bot=flagged, bots=bots
        ):
            owners.setdefault(key, set()).add(login)
    return {
        email: next(iter(logins))
        for email, logins in owners.items()
        if len({login.lower() for login in logins}) == 1
    }


def pull_request_votes(*, bots: set[str]) -> dict[str, dict[str, int]]:
    """{e-mail: {login: pull requests}}: for each e-mail GitHub did not link, the pull requests
    whose first commit (earliest authored, merge commits aside) it authored, by their author.

    A pull request's first commit is its author's own work: someone who pushes onto another
    person's pull request does so after it was opened, and a merge commit's author is whoever
    merged. Only people's pull requests count (not bots' or organisations')."""
    from django.db import connection

    from .models import Actor, Commit, PullRequest

    commits, pulls = Commit._meta.db_table, PullRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT DISTINCT LOWER(TRIM(c.author_email)), p.author_id, c.repository_id,
                       c.pull_request_number
                FROM {commits} c
                JOIN (SELECT repository_id, pull_request_number, MIN(authored_at) AS first_at
                      FROM {commits}
                      WHERE pull_request_number IS NOT NULL AND is_merge = %s
                      GROUP BY repository_id, pull_request_number) f
                  ON f.repository_id = c.repository_id
                 AND f.pull_request_number = c.pull_request_number
                 AND f.first_at = c.authored_at
                JOIN {pulls} p
                  ON p.repository_id = c.repository_id AND p.number = c.pull_request_number
                WHERE c.is_merge = %s AND c.author_id IS NULL AND p.author_id IS NOT NULL""",
            [False, False],
        )
        rows = cursor.fetchall()
    authors = {
        pk: login
        for pk, login, actor_type, flagged in Actor.objects.filter(
            pk__in={row[1] for row in rows}
        ).values_list("pk", "login", "type", "is_bot")
        if _person_account(login=login, actor_type=actor_type, flagged_bot=flagged, bots=bots)
    }
    votes: dict[str, dict[str, int]] = {}
    for email, author_id, _repository_id, _number in rows:
        login = authors.get(author_id)
        if login and _email_join_key(email):
            per_login = votes.setdefault(email, {})
            per_login[login] = per_login.get(login, 0) + 1
    return votes


COMMITS = "commits"
CO_AUTHORS = "co_authors"


def commits_recompute_author_keys(*, repository_ids: list[int] | None = None) -> int:
    """Re-key the community's commits and co-authors by the identity rule (`resolve_identities`).

    Identities are community-wide (an e-mail first seen in one repository can join people in
    another), so every commit is re-keyed whatever `repository_ids` (the repositories just
    synced) says; the pass is over distinct (name, e-mail, account) combinations of commit
    authors and co-authors aggregated in SQL, and only rows whose key changes are written.
    Returns the number of commits and co-author rows re-keyed."""
    from django.db.models import Count, Min

    from .models import Actor, Commit, CommitCoAuthor

    del repository_ids  # kept for callers that name what they synced; see the docstring
    bots = bot_logins()
    bot_ids = set(Actor.objects.filter(is_bot=True).values_list("pk", flat=True))
    # Streamed as tuples: this pass is community-wide, so a list of dicts here grew the ingest
    # process's memory with the size of the whole community.
    sources = {
        COMMITS: Commit.objects.values_list(
            "author_name", "author_email", "author_id", "author__login", "author_key"
        ).annotate(first_at=Min("authored_at"), last_at=Max("authored_at"), n=Count("id")),
        CO_AUTHORS: CommitCoAuthor.objects.values_list(
            "name", "email", "author_id", "author__login", "author_key"
        ).annotate(
            first_at=Min("commit__authored_at"), last_at=Max("commit__authored_at"), n=Count("id")
        ),
    }
    # One identity per (name, e-mail, account), whether it authored or co-authored; its rows
    # may carry several current keys.
    identities: dict[tuple, dict] = {}
    for table, rows in sources.items():
        for (
            name,
            email,
            author_id,
            login,
            current,
            first_at,
            last_at,
            n,
        ) in rows.order_by().iterator(chunk_size=5000):
            ident = (name, email, author_id)
            known = identities.get(ident)
            if known is None:
                identities[ident] = known = {
                    "name": name,
                    "email": email,
                    "login": login,
                    "first_at": first_at,
                    "last_at": last_at,
                    "bot": author_id in bot_ids
                    or is_bot(login=login or "", extra_bots=bots)
                    or bool(BOT_TEXT.search(name) or BOT_TEXT.search(email)),
                    COMMITS: {},
                    CO_AUTHORS: {},
                }
            else:
                known["first_at"] = min(known["first_at"], first_at)
                known["last_at"] = max(known["last_at"], last_at)
            known[table][current] = n
    listed = list(identities.items())
    keys = resolve_identities(
        [i for _, i in listed],
        decisions=decisions_in_effect(),
        profile_emails=profile_emails(bots=bots),
        pull_request_votes=pull_request_votes(bots=bots),
    )
    changes: dict[str, list[tuple[str, str, int, str]]] = {COMMITS: [], CO_AUTHORS: []}
    changed = 0
    for ((name, email, author_id), ident), key in zip(listed, keys, strict=True):
        key = key[:300]
        for table, change_list in changes.items():
            stale = sum(n for current, n in ident[table].items() if current != key)
            if stale:
                change_list.append((name, email, author_id or 0, key))
                changed += stale
    _rows_set_keys(commits=changes[COMMITS], co_authors=changes[CO_AUTHORS])
    return changed


def _rows_set_keys(
    *, commits: list[tuple[str, str, int, str]], co_authors: list[tuple[str, str, int, str]]
) -> None:
    """Set the key of the commits and co-author rows of each (name, e-mail, account id or 0,
    key), and record the repositories whose rows changed key (their derived data counts people
    by it), in one transaction."""
    if not commits and not co_authors:
        return
    from django.db import connection, transaction

    from .changes import facts_changed
    from .models import Commit, CommitCoAuthor

    touched: set[int] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        for model, name_column, email_column, changes in (
            (Commit, "author_name", "author_email", commits),
            (CommitCoAuthor, "name", "email", co_authors),
        ):
            if changes:
                touched |= _table_set_keys(
                    cursor,
                    table=model._meta.db_table,
                    name_column=name_column,
                    email_column=email_column,
                    changes=changes,
                )
        facts_changed(repository_ids=touched)


def _table_set_keys(
    cursor, *, table: str, name_column: str, email_column: str, changes: list[tuple]
) -> set[int]:
    """One table's part of `_rows_set_keys`; returns the repositories of the rows it changed."""
    from django.db import connection

    if connection.vendor == "postgresql":
        from psycopg2.extras import execute_values

        return {
            row[0]
            for row in execute_values(
                cursor.cursor,
                f"UPDATE {table} AS t SET author_key = v.key "
                "FROM (VALUES %s) AS v(name, email, author_id, key) "
                f"WHERE t.{email_column} = v.email AND t.{name_column} = v.name "
                "AND COALESCE(t.author_id, 0) = v.author_id AND t.author_key <> v.key "
                "RETURNING t.repository_id",
                changes,
                template="(%s::text, %s::text, %s::bigint, %s::text)",
                page_size=1000,
                fetch=True,
            )
        }
    # In-process SQLite: one indexed (e-mail) statement per changed identity.
    touched: set[int] = set()
    for name, email, author_id, key in changes:
        where = (
            f"WHERE {email_column} = %s AND {name_column} = %s "
            "AND COALESCE(author_id, 0) = %s AND author_key <> %s"
        )
        params = [email, name, author_id, key]
        cursor.execute(f"SELECT DISTINCT repository_id FROM {table} {where}", params)
        touched.update(row[0] for row in cursor.fetchall())
        cursor.execute(f"UPDATE {table} SET author_key = %s {where}", [key, *params])
    return touched


def identity_decision_recorded(*, email: str) -> None:
    """Call inside the transaction that saved an admin decision about `email`: records a change
    of every repository whose commits or co-authors carry the e-mail and, once the transaction
    commits, re-keys community-wide and tells the readers (the dashboard rebuilds)."""
    from django.db import transaction
    from django.db.models.functions import Lower, Trim

    from .changes import facts_changed, facts_recorded
    from .models import Commit, CommitCoAuthor, IdentityDecision

    wanted = _norm(email)
    repository_ids = set(
        Commit.objects.annotate(address=Lower(Trim("author_email")))
        .filter(address=wanted)
        .values_list("repository_id", flat=True)
        .distinct()
    ) | set(
        CommitCoAuthor.objects.annotate(address=Lower(Trim("email")))
        .filter(address=wanted)
        .values_list("repository_id", flat=True)
        .distinct()
    )
    facts_changed(repository_ids=repository_ids)

    def rekey() -> None:
        commits_recompute_author_keys()
        facts_recorded.send(sender=IdentityDecision, inline=False)

    # robust: the decision is saved whatever happens here, and the next sync re-keys anyway.
    transaction.on_commit(rekey, robust=True)
