"""Contributions, kind groups, person keys, scopes and bots (docs/metrics.md, "Contributor").

A contribution is an authored commit, pull request, issue, review or comment in a tracked
repository. It counts for a person key: a commit's `Commit.author_key` (ingest joins a
person's git identities), else `login:<login>` of the GitHub account.
"""

import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q

from ingest.identity import BOT_LOGIN_SUFFIXES
from ingest.models import Actor, BotAccount

from ..models import ContributionKind

__all__ = [
    "CO_AUTHORED",
    "KIND_GROUPS",
    "STORED_KIND_GROUPS",
    "WRITE_ASSOCIATIONS",
    "ContributionKind",
    "bot_logins",
    "human",
    "kind_group_key",
    "login_of_person_key",
    "scope_key",
]

CO_AUTHORED = "co_authored"
# Kind groups a newcomer can be counted by (docs/metrics.md, "New contributor"). A co-author
# is a contributor on the commit's date: groups with commits hold co-authored ones too.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "default": ("pull_request", "commit", CO_AUTHORED),
    "any": ("commit", CO_AUTHORED, "pull_request", "issue", "review", "comment"),
    "commit": ("commit", CO_AUTHORED),
    "pull_request": ("pull_request",),
    "issue": ("issue",),
    "review": ("review",),
    "comment": ("comment",),
}
AUTHORED_ONLY = "-authored"
# The groups first contributions are stored for: each of the above, and for the groups with
# co-authored commits the same without them (`<group>-authored`: authors only).
STORED_KIND_GROUPS: dict[str, tuple[str, ...]] = {
    **KIND_GROUPS,
    **{
        f"{name}{AUTHORED_ONLY}": tuple(k for k in kinds if k != CO_AUTHORED)
        for name, kinds in KIND_GROUPS.items()
        if CO_AUTHORED in kinds
    },
}


def kind_group_key(kind: str, *, co_authors: bool) -> str:
    """The stored kind group for a page's `kind`, with or without co-authored commits."""
    if co_authors or CO_AUTHORED not in KIND_GROUPS[kind]:
        return kind
    return f"{kind}{AUTHORED_ONLY}"


# Author associations that show write access to the repository.
WRITE_ASSOCIATIONS = ("MEMBER", "COLLABORATOR", "OWNER")

LOGIN_PREFIX = "login:"


def login_of_person_key(person_key: str) -> str:
    """The GitHub login a person key names, or "" for an e-mail-only person."""
    return person_key[len(LOGIN_PREFIX) :] if person_key.startswith(LOGIN_PREFIX) else ""


def bot_logins() -> set[str]:
    """Configured bot logins (settings and the admin's list), as written and lower-cased
    (logins are case-insensitive); GitHub type `Bot` and logins ending `[bot]`, `-bot` or
    `-robot` are bots too (`ingest.identity.is_bot`)."""
    logins = set(settings.PULSE_BOT_LOGINS) | set(
        BotAccount.objects.values_list("login", flat=True)
    )
    return logins | {login.lower() for login in logins}


def human(prefix: str, bots: set[str]) -> Q:
    """Rows whose `prefix` actor is a person (not a bot by type, bot login or the list)."""
    suffixes = Q()
    for suffix in BOT_LOGIN_SUFFIXES:
        suffixes |= Q(**{f"{prefix}__login__iendswith": suffix})
    return ~(
        Q(**{f"{prefix}__is_bot": True})
        | Q(**{f"{prefix}__type": Actor.Type.BOT})
        | suffixes
        | Q(**{f"{prefix}__login__in": bots})
    )


def bot_login_sql(column: str) -> str:
    """Raw SQL: the login (or person key) in `column` names a bot by its suffix."""
    return "(" + " OR ".join(f"LOWER({column}) LIKE '%%{s}'" for s in BOT_LOGIN_SUFFIXES) + ")"


def scope_key(repository_ids: Sequence[int]) -> str:
    """The name of a repository set in the per-scope rollups (order does not matter)."""
    ids = ",".join(str(i) for i in sorted({int(i) for i in repository_ids}))
    return hashlib.sha256(ids.encode()).hexdigest()
