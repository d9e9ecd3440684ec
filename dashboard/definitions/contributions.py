"""Contributions, kind groups, person keys, scopes and bots (docs/metrics.md, "Contributor").

A contribution is an authored commit, pull request, issue, review or comment in a tracked
repository. It counts for a person key: a commit's `Commit.author_key` (ingest joins a
person's git identities), else `login:<login>` of the GitHub account.
"""

import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q

from ingest.models import Actor, BotAccount

from ..models import ContributionKind

__all__ = [
    "KIND_GROUPS",
    "WRITE_ASSOCIATIONS",
    "ContributionKind",
    "bot_logins",
    "human",
    "login_of_person_key",
    "scope_key",
]

# Kind groups a newcomer can be counted by (docs/metrics.md, "New contributor").
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "default": ("pull_request", "commit"),
    "any": ("commit", "pull_request", "issue", "review", "comment"),
    "commit": ("commit",),
    "pull_request": ("pull_request",),
    "issue": ("issue",),
    "review": ("review",),
    "comment": ("comment",),
}

# Author associations that show write access to the repository.
WRITE_ASSOCIATIONS = ("MEMBER", "COLLABORATOR", "OWNER")

LOGIN_PREFIX = "login:"


def login_of_person_key(person_key: str) -> str:
    """The GitHub login a person key names, or "" for an e-mail-only person."""
    return person_key[len(LOGIN_PREFIX) :] if person_key.startswith(LOGIN_PREFIX) else ""


def bot_logins() -> set[str]:
    """Configured bot logins (settings and the admin's list), as written and lower-cased
    (logins are case-insensitive); GitHub type `Bot` and `[bot]` logins are bots too."""
    logins = set(settings.PULSE_BOT_LOGINS) | set(
        BotAccount.objects.values_list("login", flat=True)
    )
    return logins | {login.lower() for login in logins}


def human(prefix: str, bots: set[str]) -> Q:
    """Rows whose `prefix` actor is a person (not a bot by type, `[bot]` login or the list)."""
    return ~(
        Q(**{f"{prefix}__is_bot": True})
        | Q(**{f"{prefix}__type": Actor.Type.BOT})
        | Q(**{f"{prefix}__login__endswith": "[bot]"})
        | Q(**{f"{prefix}__login__in": bots})
    )


def scope_key(repository_ids: Sequence[int]) -> str:
    """The name of a repository set in the per-scope rollups (order does not matter)."""
    ids = ",".join(str(i) for i in sorted({int(i) for i in repository_ids}))
    return hashlib.sha256(ids.encode()).hexdigest()
