"""Dashboard settings and rollups (the raw facts live in ingest).

Rollups are derived tables rebuilt by `dashboard.rollups.rollups_rebuild` after each ingest;
never edit them by hand and never treat them as a source of truth (docs/metrics.md).
"""

from django.db import models


class ContributionKind(models.TextChoices):
    COMMIT = "commit", "commit"
    PULL_REQUEST = "pull_request", "pull request"
    ISSUE = "issue", "issue"
    REVIEW = "review", "review"
    COMMENT = "comment", "comment"


class ContributionEvent(models.Model):
    """One authored contribution (commit, PR, issue, review, comment) in a repository.

    `person_key` is who it counts for: a commit's `Commit.author_key`, else `login:<login>`.
    """

    person_key = models.CharField(max_length=300)
    # The GitHub login when person_key is `login:…`; empty for e-mail-only commit authors.
    login = models.CharField(max_length=100, blank=True)
    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ContributionKind.choices)
    occurred_at = models.DateTimeField()
    is_bot = models.BooleanField(default=False)
    # Commit sha, or the issue / pull request number (comments: the conversation's number).
    ref = models.CharField(max_length=40, blank=True)
    # Issues and pull requests only: seconds from opening to first response / to merge.
    response_seconds = models.FloatField(null=True, blank=True)
    merge_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["repository", "occurred_at"], name="event_repo_time"),
            models.Index(fields=["occurred_at"], name="event_time"),
            models.Index(fields=["person_key", "occurred_at"], name="event_person_time"),
            models.Index(fields=["login", "occurred_at"], name="event_login_time"),
        ]

    def __str__(self) -> str:
        return f"{self.person_key} {self.kind} {self.occurred_at:%Y-%m-%d}"


class FirstContribution(models.Model):
    """A person's first contribution of a kind group, per project or community-wide.

    Per project (`community=False`): `repository` is the project. Community-wide
    (`community=True`): `repository` is where the first contribution happened.
    `kind_group` is `default` (pull request or commit), `any`, or one ContributionKind.
    """

    community = models.BooleanField()
    kind_group = models.CharField(max_length=20)
    person_key = models.CharField(max_length=300)
    login = models.CharField(max_length=100, blank=True)
    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+"
    )
    first_at = models.DateTimeField()
    first_kind = models.CharField(max_length=20, choices=ContributionKind.choices)
    first_ref = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["community", "kind_group", "first_at"], name="first_scope_time"),
            models.Index(
                fields=["community", "kind_group", "repository", "first_at"],
                name="first_scope_repo_time",
            ),
            models.Index(fields=["person_key"], name="first_person"),
        ]

    def __str__(self) -> str:
        scope = "community" if self.community else f"repository {self.repository_id}"
        return f"{self.person_key} first {self.kind_group} in {scope} {self.first_at:%Y-%m-%d}"


class RollupState(models.Model):
    """When the rollups were last rebuilt (shown on the ingest page)."""

    name = models.CharField(max_length=50, unique=True)
    rebuilt_at = models.DateTimeField()
    rows = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.name} rebuilt {self.rebuilt_at:%Y-%m-%d %H:%M}"


# --- committer promotion (engineer dashB) -------------------------------------------------------
