"""Raw GitHub facts as GitHub gives them, plus tracked scope, sync state and ingest runs."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class AuthorAssociation(models.TextChoices):
    OWNER = "OWNER"
    MEMBER = "MEMBER"
    COLLABORATOR = "COLLABORATOR"
    CONTRIBUTOR = "CONTRIBUTOR"
    FIRST_TIME_CONTRIBUTOR = "FIRST_TIME_CONTRIBUTOR"
    FIRST_TIMER = "FIRST_TIMER"
    MANNEQUIN = "MANNEQUIN"
    NONE = "NONE"


ASSOCIATION_MAX = 24


# --- what to follow (editable in the admin) ---------------------------------------------------


# What the admin says about when a newly tracked scope is read (config/settings.py's beat
# schedule: PULSE_INCREMENTAL_CRON, default "7 * * * *"; PULSE_RECONCILE_CRON nightly).
WHEN_SYNCED = (
    "Synced at the next hourly run (minute 7 of every hour, UTC, unless PULSE_INCREMENTAL_CRON "
    "says otherwise; scheduled runs need GITHUB_TOKEN), or at once with Sync now on the "
    "Ingest page (staff)."
)


class TrackedOrganization(models.Model):
    login = models.CharField(
        max_length=100,
        unique=True,
        help_text="The organisation's GitHub login, e.g. sofastack: every repository of it is "
        "followed. " + WHEN_SYNCED,
    )
    active = models.BooleanField(
        default=True, help_text="Untick to stop syncing it; what was read is kept."
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["login"]

    def __str__(self) -> str:
        return self.login


class TrackedRepository(models.Model):
    """A repository followed on its own (outside a tracked organisation), `owner/name`."""

    full_name = models.CharField(
        max_length=200,
        unique=True,
        help_text="owner/name, e.g. mosn/layotto, for a repository outside the tracked "
        "organisations. " + WHEN_SYNCED,
    )
    active = models.BooleanField(
        default=True, help_text="Untick to stop syncing it; what was read is kept."
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "tracked repositories"

    def __str__(self) -> str:
        return self.full_name


class BotAccount(models.Model):
    """A login to treat as a bot in addition to GitHub's type Bot and `[bot]` logins."""

    login = models.CharField(max_length=100, unique=True)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.login


# --- GitHub facts -----------------------------------------------------------------------------


class Actor(models.Model):
    """A GitHub account (user, bot or organisation). Deleted users are GitHub's `ghost`."""

    class Type(models.TextChoices):
        USER = "User"
        BOT = "Bot"
        ORGANIZATION = "Organization"
        MANNEQUIN = "Mannequin"

    github_id = models.BigIntegerField(unique=True)
    node_id = models.CharField(max_length=100, blank=True, db_index=True)
    login = models.CharField(max_length=100, db_index=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.USER)
    is_bot = models.BooleanField(default=False, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    company = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    profile_fetched_at = models.DateTimeField(null=True, blank=True)
    # From profile company / e-mail domain at ingest (overrides with dates are applied on read).
    affiliation = models.CharField(
        max_length=10,
        choices=[("home", "home organisation"), ("external", "external"), ("unknown", "unknown")],
        default="unknown",
    )
    affiliation_source = models.CharField(max_length=20, blank=True)  # company / email / none

    class Meta:
        ordering = ["login"]
        indexes = [
            # Each repository's sync looks for the people still without a profile (few), and
            # a full one for stale profiles: without these, both walked every actor (a cost
            # growing with the community).
            models.Index(
                fields=["id"],
                condition=models.Q(profile_fetched_at__isnull=True),
                name="actor_profile_missing",
            ),
            models.Index(fields=["profile_fetched_at"], name="actor_profile_fetched"),
            # Logins are case-insensitive: the dashboard matches governance-file names and
            # reads profiles for affiliation by LOWER(login), thousands at a time.
            models.Index(Lower("login"), name="actor_login_lower"),
        ]

    def __str__(self) -> str:
        return self.login


class Repository(models.Model):
    github_id = models.BigIntegerField(unique=True)
    node_id = models.CharField(max_length=100, blank=True)
    owner_login = models.CharField(max_length=100, db_index=True)
    name = models.CharField(max_length=100)
    full_name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True)
    html_url = models.URLField(max_length=300, blank=True)
    default_branch = models.CharField(max_length=255, blank=True)
    archived = models.BooleanField(default=False)
    fork = models.BooleanField(default=False)
    private = models.BooleanField(default=False)
    stargazers_count = models.IntegerField(default=0)
    forks_count = models.IntegerField(default=0)
    open_issues_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    # False once a full reconcile no longer finds it under a tracked owner (kept, not deleted).
    tracked = models.BooleanField(default=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.full_name


class Issue(models.Model):
    """An issue (pull requests live in PullRequest; GitHub lists both as issues)."""

    github_id = models.BigIntegerField(unique=True)
    node_id = models.CharField(max_length=100, blank=True)
    # Indexed by the composite indexes in Meta that start with it (an index of its own
    # would only cost every insert).
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="issues", db_index=False
    )
    number = models.IntegerField()
    title = models.TextField()
    state = models.CharField(max_length=10)
    state_reason = models.CharField(max_length=20, blank=True)
    locked = models.BooleanField(default=False)
    author = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issues",
        db_index=False,
    )
    author_association = models.CharField(max_length=ASSOCIATION_MAX, blank=True)
    labels = models.JSONField(default=list, blank=True)
    comments_count = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["repository", "number"]),
            models.Index(fields=["repository", "created_at"]),
            models.Index(fields=["repository", "closed_at"]),
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}#{self.number}"


class PullRequest(models.Model):
    github_id = models.BigIntegerField(unique=True)
    node_id = models.CharField(max_length=100, blank=True)
    repository = models.ForeignKey(
        Repository,
        on_delete=models.CASCADE,
        related_name="pull_requests",
        db_index=False,
    )
    number = models.IntegerField()
    title = models.TextField()
    state = models.CharField(max_length=10)  # open / closed (merged ones are closed + merged_at)
    draft = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    author = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pull_requests",
        db_index=False,
    )
    author_association = models.CharField(max_length=ASSOCIATION_MAX, blank=True)
    labels = models.JSONField(default=list, blank=True)
    closes_issues = models.JSONField(default=list, blank=True)  # issue numbers it closes
    comments_count = models.IntegerField(default=0)
    review_comments_count = models.IntegerField(default=0)
    commits_count = models.IntegerField(default=0)
    additions = models.IntegerField(default=0)
    deletions = models.IntegerField(default=0)
    changed_files = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_pull_requests",
        db_index=False,
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["repository", "number"]),
            models.Index(fields=["repository", "created_at"]),
            models.Index(fields=["repository", "merged_at"]),
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["merged_by", "merged_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}!{self.number}"


class Review(models.Model):
    github_id = models.BigIntegerField(unique=True)
    # Indexed by the composite indexes in Meta that start with it (an index of its own
    # would only cost every insert).
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews",
        db_index=False,
    )
    state = models.CharField(max_length=20)  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    author_association = models.CharField(max_length=ASSOCIATION_MAX, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["repository", "submitted_at"]),
            models.Index(fields=["author", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"review {self.github_id} ({self.state})"


class Comment(models.Model):
    """A comment on an issue or pull request conversation, or on a pull request's diff."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "issue or pull request conversation"
        REVIEW = "review", "pull request diff"

    github_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ISSUE)
    # Indexed by the composite indexes in Meta that start with it (an index of its own
    # would only cost every insert).
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    issue_number = models.IntegerField()  # issue or pull request number
    author = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        db_index=False,
    )
    author_association = models.CharField(max_length=ASSOCIATION_MAX, blank=True)
    body_length = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Issue comments and review comments have separate id spaces on GitHub.
            models.UniqueConstraint(fields=["kind", "github_id"], name="comment_kind_github_id")
        ]
        indexes = [
            models.Index(fields=["repository", "issue_number"]),
            models.Index(fields=["repository", "created_at"]),
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} comment {self.github_id}"


class Commit(models.Model):
    # Indexed by the composite indexes in Meta that start with it (an index of its own
    # would only cost every insert).
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="commits", db_index=False
    )
    sha = models.CharField(max_length=40)
    # The GitHub account the commit is linked to, when GitHub could link it.
    author = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commits",
        db_index=False,
    )
    author_name = models.CharField(max_length=255, blank=True)
    author_email = models.CharField(max_length=255, blank=True)
    # Who the commit counts for: "login:<login>" (linked by GitHub, a noreply address, or an
    # e-mail joined to the account on strong evidence), else the opaque "git:<hash>" of a person
    # without an account (never the e-mail itself). See docs/metrics.md, "Contributor".
    author_key = models.CharField(max_length=300, blank=True)
    committer = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committer_name = models.CharField(max_length=255, blank=True)
    committer_email = models.CharField(max_length=255, blank=True)
    authored_at = models.DateTimeField()
    committed_at = models.DateTimeField()
    message_headline = models.TextField(blank=True)
    additions = models.IntegerField(default=0)
    deletions = models.IntegerField(default=0)
    changed_files = models.IntegerField(default=0)
    is_merge = models.BooleanField(default=False)
    pull_request_number = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "sha"], name="commit_repository_sha")
        ]
        indexes = [
            models.Index(fields=["repository", "authored_at"]),
            models.Index(fields=["author", "authored_at"]),
            # Plain indexes: identity re-keying matches these exactly, never with LIKE (a
            # db_index CharField also gets a pattern-ops copy on PostgreSQL).
            models.Index(fields=["author_email"], name="commit_author_email"),
            models.Index(fields=["author_key"], name="commit_author_key"),
        ]

    def __str__(self) -> str:
        return self.sha[:10]


class CommitCoAuthor(models.Model):
    """A `Co-authored-by:` person of a commit, as GitHub's `Commit.authors` lists them after
    the author (GitHub credits them as contributors). `author` is the account GitHub links
    the e-mail to, when it can; `author_key` is who they count for (the same rule as
    `Commit.author_key`)."""

    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="co_authors")
    # The commit's repository, so a repository's co-authors are read without the commits.
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField()  # 1 = the first co-author
    author = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    author_key = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commit", "position"], name="commit_co_author_position")
        ]
        indexes = [
            models.Index(fields=["repository"], name="commit_co_author_repo"),
            models.Index(fields=["email"], name="commit_co_author_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.commit_id}"


class IdentityDecision(models.Model):
    """An admin's decision about who a git e-mail is: `join` it to a GitHub login, or keep it
    `separate` from any login the rules would join it to. Decisions are never edited: a new
    one for the same e-mail supersedes the older ones, which stay as the history of who
    decided what and why. A decision wins over every rule (docs/metrics.md, "Contributor")."""

    class Action(models.TextChoices):
        JOIN = "join", "join this e-mail to the login"
        SEPARATE = "separate", "keep this e-mail a person of its own"

    email = models.CharField(max_length=255, help_text="The git e-mail (any case).")
    action = models.CharField(max_length=10, choices=Action.choices)
    login = models.CharField(max_length=100, blank=True, help_text="The GitHub login (for a join).")
    reason = models.TextField(blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(Lower("email"), "decided_at", name="identity_decision_email")]

    def __str__(self) -> str:
        target = f" to {self.login}" if self.action == self.Action.JOIN else ""
        return f"{self.action} {self.email}{target}"


class Star(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="stars")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="stars")
    starred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "actor"], name="star_repository_actor")
        ]
        indexes = [models.Index(fields=["repository", "starred_at"])]

    def __str__(self) -> str:
        return f"star {self.actor_id} on {self.repository_id}"


class GovernanceFileVersion(models.Model):
    """One version of a governance file (OWNERS, MAINTAINERS, …): who it lists, from when."""

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="governance_files"
    )
    path = models.CharField(max_length=300)
    commit_sha = models.CharField(max_length=40)
    committed_at = models.DateTimeField()
    # {"approvers": [...], "reviewers": [...], "maintainers": [...], "committers": [...]}
    people = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "path", "commit_sha"], name="governance_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.path}@{self.commit_sha[:10]}"


# --- identity and affiliation (editable) --------------------------------------------------------


class AffiliationOverride(models.Model):
    """An admin's statement of who someone worked for, which wins over profile and e-mail."""

    login = models.CharField(max_length=100, blank=True, db_index=True)
    email = models.CharField(max_length=255, blank=True, db_index=True)
    organization = models.CharField(max_length=200)
    is_home = models.BooleanField(
        help_text="True when this organisation is the community's home organisation."
    )
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(login="") | ~Q(email=""), name="affiliation_override_has_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.login or self.email}: {self.organization}"


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", "Contributor"
    MEMBER = "member", "Member"
    REVIEWER = "reviewer", "Reviewer"
    COMMITTER = "committer", "Committer"
    PMC = "pmc", "PMC (maintainer)"


class RoleEntry(models.Model):
    """A role on a project entered by an admin; it wins over any inferred evidence."""

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="role_entries"
    )
    login = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=Role.choices)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    evidence = models.CharField(max_length=500, blank=True, help_text="e.g. a link to the vote")

    class Meta:
        verbose_name_plural = "role entries (committers etc.)"
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "login", "role", "since"], name="role_entry_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.login} {self.role} of {self.repository} since {self.since}"


# --- sync bookkeeping ---------------------------------------------------------------------------


class SyncState(models.Model):
    """Checkpoint of one resource of one scope (an org or `owner/name`)."""

    scope = models.CharField(max_length=200)
    resource = models.CharField(max_length=50)
    watermark = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    cursor = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "resource"], name="sync_state_scope_resource")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.resource}"


class FactChange(models.Model):
    """The facts of a repository changed since the derived data last read them.

    Written by ingest in the same transaction as the facts (each sync page, a re-key of commit
    authors, a bot list change), one row per repository whose `seq` grows with each change;
    whoever derives data from the facts (the dashboard) reads the rows, rebuilds, and deletes
    each row only if its `seq` is still the one it read, so a change made during a rebuild
    leads to one more. Ingest knows nothing of its readers.
    """

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seq = models.BigIntegerField(default=1)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"repository {self.repository_id} changed ({self.seq})"


class IngestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCESS = "success"
        PARTIAL = "partial"  # stopped early (rate limit) and rescheduled
        FAILED = "failed"
        SKIPPED = "skipped"  # another sync of the same scope was running

    scope = models.CharField(max_length=200, db_index=True)
    trigger = models.CharField(max_length=20, default="task")  # task / command / demo
    full = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # {"issues": N, "pull_requests": N, …}
    items_written = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)
    not_modified = models.IntegerField(default=0)
    rate_limit_waits = models.IntegerField(default=0)
    error_count = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # plain-language messages
    rate_limit_remaining = models.IntegerField(null=True, blank=True)
    rate_limit_reset = models.DateTimeField(null=True, blank=True)
    # Where a running sync is, written with each page it commits (the ingest page polls it):
    # {"resource", "step", "steps", "done", "total" (GitHub's count of what this resource will
    # read, or null when GitHub does not say), "resource_started_at"}.
    progress = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["scope", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.status} {self.started_at:%Y-%m-%d %H:%M}"
