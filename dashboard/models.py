"""Dashboard settings (promotion rules) and derived tables (the raw facts live in ingest).

Derived tables are rebuilt from ingest's facts by `dashboard.derived` (which module owns
which table: docs/architecture.md); never edit them by hand and never treat them as a source
of truth (docs/metrics.md).
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from ingest.models import Repository, Role

from .definitions.health import HEALTH_INPUT_CHOICES, INPUTS_BY_KEY


class ContributionKind(models.TextChoices):
    COMMIT = "commit", "commit"
    # A commit the person co-authored (`Co-authored-by:`), on the commit's authored date.
    CO_AUTHORED = "co_authored", "co-authored commit"
    PULL_REQUEST = "pull_request", "pull request"
    ISSUE = "issue", "issue"
    REVIEW = "review", "review"
    COMMENT = "comment", "comment"


# The derived tables' repository foreign keys have no database constraint (db_constraint=False):
# their rows are derived from ingest rows that already reference the repository, and a
# deferred check per inserted row made the COMMIT of a full rebuild slow. Deleting a repository
# still deletes its derived rows (Django's CASCADE is done by the ORM either way).
class ContributionEvent(models.Model):
    """One authored contribution (commit, PR, issue, review, comment) in a repository.

    `person_key` is who it counts for: a commit's `Commit.author_key`, else `login:<login>`.
    """

    person_key = models.CharField(max_length=300)
    # The GitHub login when person_key is `login:…`; empty for e-mail-only commit authors.
    login = models.CharField(max_length=100, blank=True)
    # How a person without a login is shown: their git name (never their e-mail address).
    name = models.CharField(max_length=255, blank=True)
    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=20, choices=ContributionKind.choices)
    occurred_at = models.DateTimeField()
    is_bot = models.BooleanField(default=False)
    # Commit sha, or the issue / pull request number (comments: the conversation's number).
    ref = models.CharField(max_length=40, blank=True)
    # Issues and pull requests only: seconds from opening to first response / to merge.
    response_seconds = models.FloatField(null=True, blank=True)
    merge_seconds = models.FloatField(null=True, blank=True)
    # Issues and pull requests (not drafts) only: still open and nobody has responded.
    waiting = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Covering: the activity and overview aggregates read only the index.
            models.Index(
                fields=["repository", "occurred_at"],
                name="event_repo_time_cover",
                include=["kind", "is_bot", "person_key", "response_seconds"],
            ),
            # Covering: the first-response medians of a period per project and kind (health)
            # read one index range per pair.
            models.Index(
                fields=["repository", "kind", "occurred_at"],
                name="event_response",
                include=["response_seconds"],
                condition=models.Q(response_seconds__isnull=False),
            ),
            models.Index(fields=["occurred_at"], name="event_time"),
            models.Index(fields=["person_key", "occurred_at"], name="event_person_time"),
            # A person's latest contribution in one project (retention, per-project scope).
            models.Index(
                fields=["person_key", "repository", "occurred_at"], name="event_person_repo_time"
            ),
            models.Index(fields=["login", "occurred_at"], name="event_login_time"),
            # The response-time median reads issues and pull requests only (about half the
            # events), from this index alone.
            models.Index(
                fields=["repository", "occurred_at"],
                include=["response_seconds"],
                condition=models.Q(response_seconds__isnull=False),
                name="event_response_time",
            ),
            # Few rows: the issues and pull requests nobody has answered yet.
            models.Index(
                fields=["repository", "kind"],
                condition=models.Q(waiting=True),
                name="event_waiting",
            ),
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
    name = models.CharField(max_length=255, blank=True)  # as ContributionEvent.name
    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    first_at = models.DateTimeField()
    first_kind = models.CharField(max_length=20, choices=ContributionKind.choices)
    first_ref = models.CharField(max_length=40, blank=True)
    # The first contribution is an issue or pull request still open without any response.
    first_waiting = models.BooleanField(default=False)
    # The person's latest contribution (any kind) in the same scope: the project, or anywhere
    # for community rows. Retention reads it instead of looking up each newcomer's events
    # when it is before the period's end; NULL until the rollups are rebuilt.
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["community", "kind_group", "first_at"], name="first_scope_time"),
            # Covering for retention: a period's newcomers with their last contribution are
            # read from the index alone.
            models.Index(
                fields=["community", "kind_group", "repository", "first_at"],
                name="first_scope_repo_time_cover",
                include=["person_key", "last_at"],
            ),
            # A person's first contribution in given projects (person and project pages).
            models.Index(
                fields=["person_key", "community", "kind_group", "repository", "first_at"],
                name="first_person_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = "community" if self.community else f"repository {self.repository_id}"
        return f"{self.person_key} first {self.kind_group} in {scope} {self.first_at:%Y-%m-%d}"


class ClosedItem(models.Model):
    """An issue closed, a pull request merged, or one closed without merge (activity trends).

    `open_seconds` is from opening to closing (for merged pull requests: time to merge).
    """

    class Kind(models.TextChoices):
        ISSUE_CLOSED = "issue_closed", "issue closed"
        PR_MERGED = "pr_merged", "pull request merged"
        PR_CLOSED_UNMERGED = "pr_closed_unmerged", "pull request closed unmerged"

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    closed_at = models.DateTimeField()
    open_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["repository", "closed_at"],
                name="closed_repo_time_cover",
                include=["kind", "open_seconds"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.closed_at:%Y-%m-%d}"


class DailyCount(models.Model):
    """Contributions (by kind) and closures (ClosedItem kinds) per repository and UTC day."""

    # No index of its own: the covering index below starts with it.
    repository = models.ForeignKey(
        "ingest.Repository",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    kind = models.CharField(max_length=20)
    is_bot = models.BooleanField(default=False)
    n = models.IntegerField()

    class Meta:
        indexes = [
            # Covering, repository first: one project's days are one short range of it (a
            # page of many projects reads one range per project).
            models.Index(
                fields=["repository", "day"],
                name="daily_repo_day_cover",
                include=["kind", "is_bot", "n"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.n}"


class MonthlyCount(models.Model):
    """DailyCount summed per calendar month (rebuilt right after it): pages adding up months
    of many projects read these whole months and only their partial edge days from
    DailyCount (`dashboard.metrics.bucketed`)."""

    repository = models.ForeignKey(
        "ingest.Repository",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    month = models.DateField()  # the first day of the month
    kind = models.CharField(max_length=20)
    is_bot = models.BooleanField(default=False)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["repository", "month"],
                name="monthly_repo_month_cover",
                include=["kind", "is_bot", "n"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.n}"


class ActiveDay(models.Model):
    """A person (not a bot) who contributed to a repository on a UTC day: the distinct people
    per bucket are counted from these, a fraction of the events in a long-tailed community."""

    repository = models.ForeignKey(
        "ingest.Repository",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    person_key = models.CharField(max_length=300)

    class Meta:
        indexes = [
            # Covering: active contributors per bucket read only the index, one range per
            # project (as DailyCount's).
            models.Index(
                fields=["repository", "day"], name="active_repo_day_cover", include=["person_key"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_key} active {self.day}"


class ActiveCount(models.Model):
    """Distinct active people (ActiveDay) per whole bucket of an interval, for the scopes a
    page shows without picking repositories: every tracked repository, and each organisation.
    `scope` names the repository set (`dashboard.definitions.contributions.scope_key`); the selector reads whole
    buckets here and counts only the period's partial edge buckets from ActiveDay."""

    scope = models.CharField(max_length=64)
    interval = models.CharField(max_length=10)
    bucket = models.DateField()
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["scope", "interval", "bucket"], name="active_count_scope", include=["n"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.interval} {self.bucket}: {self.n} active"


class BucketTotal(models.Model):
    """The activity figures of one whole bucket of an interval, for the same scopes as
    ActiveCount: counts per DailyCount kind (`what` = the kind, `value` = the sum) and the
    bucket's medians (`what` = `response_median`: first response of issues and pull requests
    opened in it; `merge_median`: time to merge of pull requests merged in it), in seconds.
    The activity selector reads whole buckets here and only the period's partial edge
    buckets from DailyCount and the per-item tables (a year of hundreds of projects is
    hundreds of thousands of daily rows and as many events to take medians of)."""

    scope = models.CharField(max_length=64)
    interval = models.CharField(max_length=10)
    bucket = models.DateField()
    what = models.CharField(max_length=20)
    value = models.FloatField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["scope", "interval", "bucket"],
                name="bucket_total_scope",
                include=["what", "value"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.interval} {self.bucket} {self.what}: {self.value}"


class DerivedState(models.Model):
    """The derived data's version: one row, bumped by every rebuild in its transaction.
    Cached selector results key on it; the ingest page shows when and how long."""

    version = models.BigIntegerField(default=0)
    rebuilt_at = models.DateTimeField()
    rows = models.BigIntegerField(default=0)  # contribution events after the rebuild
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"derived data version {self.version}, rebuilt {self.rebuilt_at:%Y-%m-%d %H:%M}"


# --- committer promotion ----------------------------------------------------------------------


def _signal_role(default: str, help_text: str) -> models.CharField:
    """A "which role does this signal prove" setting; blank means the signal is ignored."""
    return models.CharField(
        max_length=20, choices=Role.choices, default=default, blank=True, help_text=help_text
    )


class PromotionRule(models.Model):
    """How roles are proven and when a contributor is ready for promotion, per project.

    The row without a repository is the community default; a project without its own row
    uses it, and without any row the field defaults below apply (SOFAStack's published rule).
    """

    repository = models.OneToOneField(
        Repository,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="promotion_rule",
        help_text="Empty: the community default for projects without their own rule.",
    )
    # Which GitHub signal proves which role. Write access proves Committer; merging alone
    # cannot tell a Committer from a PMC member (in SOFAStack a small group does most merging
    # while announced committers rarely click merge), so only a project whose PMC alone merges
    # sets merges to PMC.
    merge_proves = _signal_role(
        Role.COMMITTER,
        "Merging pull requests proves this role (it needs write access). PMC only on a "
        "project where the PMC alone merges.",
    )
    approval_proves = _signal_role(
        Role.COMMITTER,
        "An approving review given with write access (association MEMBER, COLLABORATOR or "
        "OWNER) proves this role.",
    )
    association_proves = _signal_role(
        Role.COMMITTER,
        "Author association MEMBER, COLLABORATOR or OWNER on one's own pull request, issue, "
        "review or comment proves this role.",
    )
    org_membership_proves = _signal_role(
        Role.MEMBER,
        "Organisation membership (approximated by author association MEMBER) proves this role.",
    )
    owners_approvers_prove = _signal_role(Role.COMMITTER, "Listed as approver in OWNERS.")
    owners_reviewers_prove = _signal_role(Role.REVIEWER, "Listed as reviewer in OWNERS.")
    # MAINTAINERS lists everyone with write access in SOFAStack's projects (MOSN adds each new
    # committer there), so it proves Committer; a PMC section or file names the PMC.
    maintainers_prove = _signal_role(Role.COMMITTER, "Listed in MAINTAINERS.")
    committers_prove = _signal_role(Role.COMMITTER, "Listed in COMMITTERS.")
    pmc_prove = _signal_role(
        Role.PMC, "Listed in a PMC / steering committee list or section of a governance file."
    )
    founders_months = models.PositiveIntegerField(
        default=6,
        help_text="People with write access within this many months of the project's start "
        "are its founders: role holders from the start, never promotion candidates "
        "(0: nobody is a founder).",
    )
    # The promotion rule itself (SOFAStack's for Committer).
    target_role = models.CharField(max_length=20, choices=Role.choices, default=Role.COMMITTER)
    min_merged = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1)], help_text="Merged pull requests needed."
    )
    min_hard = models.PositiveIntegerField(
        default=1, help_text="…of which at least this many Hard (0: no Hard alternative) …"
    )
    min_medium = models.PositiveIntegerField(
        default=4, help_text="…or at least this many Medium (0: no Medium alternative)."
    )
    recent_months = models.PositiveIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="Promotion candidates are people active on the project within this many "
        "months before the day.",
    )
    # Size heuristic for pull requests without a difficulty label (docs/metrics.md).
    medium_min_lines = models.PositiveIntegerField(
        default=100, help_text="Unlabelled PR with this many added+deleted lines is Medium."
    )
    medium_min_files = models.PositiveIntegerField(
        default=5, help_text="…or touching this many files is Medium."
    )
    hard_min_lines = models.PositiveIntegerField(
        default=500, help_text="Unlabelled PR with this many added+deleted lines is Hard."
    )
    hard_min_files = models.PositiveIntegerField(
        default=15, help_text="…or touching this many files is Hard."
    )
    inactive_months = models.PositiveIntegerField(
        default=6,
        validators=[MinValueValidator(1)],
        help_text="Committers with no activity for this many months are flagged inactive.",
    )

    class Meta:
        constraints = [
            # A nullable one-to-one allows many NULLs; this keeps one community default.
            models.UniqueConstraint(
                Coalesce(F("repository"), Value(0)), name="promotion_rule_one_per_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"rule for {self.repository or 'the community (default)'}"


class RoleSignal(models.Model):
    """Rollup: a person's first evidence of one activity signal on a project (rebuilt after
    each ingest by `dashboard.derived.roles`; never edited by hand).

    Signals: `merge` (merged a pull request), `approval` (approving review given with write
    access), `association` (own activity with association MEMBER/COLLABORATOR/OWNER),
    `org_membership` (own activity with association MEMBER). The first item is what the
    evidence links to; "held as of a day" is `first_at` before that day.
    """

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    login = models.CharField(max_length=100)
    signal = models.CharField(max_length=20)
    first_at = models.DateTimeField()
    first_number = models.IntegerField(null=True)
    link_kind = models.CharField(max_length=10)  # pull / issues (GitHub web path)
    what = models.CharField(max_length=20, blank=True)  # pull request / issue / review on / …

    class Meta:
        indexes = [models.Index(fields=["repository", "first_at"], name="role_signal_repo_time")]

    def __str__(self) -> str:
        return f"{self.login} {self.signal} in {self.repository_id} from {self.first_at:%Y-%m-%d}"


class ActivityMonth(models.Model):
    """Rollup: a person's contributions (from ContributionEvent) or merges on a project in
    one calendar month, rebuilt with the other rollups; months active and last activity."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    login = models.CharField(max_length=100)
    month = models.DateTimeField()  # first instant of the month, UTC
    contributions = models.IntegerField()
    last_at = models.DateTimeField()
    # A row of merges (pull requests the person merged): recency counts them, months active
    # (authored contributions only) does not.
    merges = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["login", "repository", "month"], name="activity_month_login")
        ]

    def __str__(self) -> str:
        return f"{self.login} in {self.repository_id} {self.month:%Y-%m}: {self.contributions}"


class PromotionWork(models.Model):
    """Rollup: one item the promotion rule counts, dated, so that any window is a range read:
    a merged pull request (`merged`, at its merge, with its difficulty under the project's
    rule), a review submitted on someone else's pull request (`review`), or a comment on
    someone else's issue (`answer`, `number` = the issue). `authored_at` is when the person
    did it (a pull request's opening; a review's or comment's own time): recency is read from
    it. Bots' items are left out. Rebuilt with the other rollups, and for a project whenever
    its promotion rule changes (the rule's size thresholds decide difficulty)."""

    MERGED, REVIEW, ANSWER = "merged", "review", "answer"

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    login = models.CharField(max_length=100)
    kind = models.CharField(max_length=10)
    at = models.DateTimeField()
    authored_at = models.DateTimeField()
    number = models.IntegerField()  # the pull request, or the issue answered
    level = models.SmallIntegerField(null=True)  # merged: 1 Easy, 2 Medium, 3 Hard
    source = models.CharField(max_length=12, blank=True)  # label / issue label / size

    class Meta:
        indexes = [
            # Covering: a window's figures are read from the index alone.
            models.Index(
                fields=["repository", "at"],
                name="promotion_work_window",
                include=["login", "kind", "level", "authored_at", "number"],
            ),
            # A person's Hard and Medium merged pull requests (the evidence shown).
            models.Index(
                fields=["repository", "login", "kind", "level", "at"],
                name="promotion_work_person",
                include=["number", "source"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.login} {self.kind} #{self.number} in {self.repository_id}"


class PromotionMonth(models.Model):
    """Rollup: PromotionWork summed per person, project and calendar month of `at` (merged
    pull requests by difficulty, reviews given) with the latest `authored_at` of the month's
    items; a month with only answers has a row of zeros. A window's whole months are read
    here, its cut first and last months from PromotionWork (issues answered, distinct over
    the window, always from PromotionWork)."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    login = models.CharField(max_length=100)
    month = models.DateTimeField()  # first instant of the month, UTC
    merged = models.IntegerField()
    hard = models.IntegerField()
    medium = models.IntegerField()
    easy = models.IntegerField()
    reviews = models.IntegerField()
    authored_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Covering: a window's whole months are read from the index alone.
            models.Index(
                fields=["repository", "month"],
                name="promotion_month_window",
                include=["login", "merged", "hard", "medium", "easy", "reviews", "authored_at"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.login} in {self.repository_id} {self.month:%Y-%m}: {self.merged} merged"


class EmailDomainSpell(models.Model):
    """Rollup: the first and last commit a person (`login`, lower-cased: their commits keyed
    `login:…`) authored with an address at an organisation's e-mail domain (personal and
    GitHub noreply domains are not stored). Community-wide; affiliation "at the time" reads it
    (dashboard.definitions.affiliation)."""

    login = models.CharField(max_length=100)
    domain = models.CharField(max_length=255)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    commits = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["login"], name="email_domain_spell_login")]

    def __str__(self) -> str:
        return f"{self.login} @{self.domain} {self.first_at:%Y-%m} to {self.last_at:%Y-%m}"


# --- health score -----------------------------------------------------------------------------


class HealthWeight(models.Model):
    """An admin's override of one health score input (docs/metrics.md, "Health score").

    Inputs without a row, and fields left blank, use the defaults in
    `dashboard.definitions.health`; the score is computed from the current rows on every
    request (only the measured values are cached), so a change shows on the next page view.
    """

    key = models.CharField(
        "input",
        max_length=40,
        unique=True,
        choices=HEALTH_INPUT_CHOICES,
        help_text="Which measure of the project this row sets the weight and curve of.",
    )
    weight = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="How much this input counts against the others (the defaults add up to "
        "100, so a weight is the most points the input can cost). 0 leaves it out. "
        "Blank: the default.",
    )
    good = models.FloatField(
        null=True,
        blank=True,
        help_text="The measured value (in the input's unit) at and beyond which the input "
        "scores 100. Blank: the default.",
    )
    bad = models.FloatField(
        null=True,
        blank=True,
        help_text="The measured value at and beyond which the input scores 0; between good "
        "and bad the score is a straight line. Blank: the default.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return dict(HEALTH_INPUT_CHOICES).get(self.key, self.key)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        defaults = INPUTS_BY_KEY.get(self.key)
        if defaults is None:
            return
        good = defaults.good if self.good is None else self.good
        bad = defaults.bad if self.bad is None else self.bad
        if good == bad:
            raise ValidationError("Good and bad must differ: the curve runs from one to the other.")


class Flag(models.Model):
    """A KPI-gaming flag (docs/metrics.md, "Flags"): a flood of trivial pull requests from one
    new account (`subject` its login) or from new accounts (`subject` blank), or a burst of stars
    from fresh accounts. `evidence`: pull requests `[{"number", "login", "at"}]`, or star days
    `[{"day", "stars", "fresh"}]` then `{"accounts": [...]}`. Written by derived/flags.py."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=30)
    subject = models.CharField(max_length=100, blank=True)
    window_start = models.DateTimeField()  # the first item of the flood or burst
    window_end = models.DateTimeField()  # the last one
    raised_at = models.DateTimeField()  # when the count first reached the threshold
    count = models.IntegerField()
    baseline = models.FloatField()  # the project's usual count (per window or per day)
    threshold = models.IntegerField()
    evidence = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["repository", "window_end"], name="flag_repo_end"),
            models.Index(fields=["raised_at"], name="flag_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject or '(project)'} in {self.repository_id}"


# --- risks ------------------------------------------------------------------------------------


class RiskMonth(models.Model):
    """Rollup: one kind of work (`work`: "authored" commits and pull requests, "reviews" given
    on other people's pull requests, "merges" clicked) per project, person (`person`: their
    person key; `login:…` for reviews and merges) and calendar month (UTC), bots left out.
    The risk selectors read a period's whole months here and its cut first and last months
    from the facts (docs/metrics.md, "Risks"). Written by derived/risks.py."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    work = models.CharField(max_length=10)
    person = models.CharField(max_length=300)
    month = models.DateField()  # the month's first day
    items = models.IntegerField()

    class Meta:
        indexes = [
            # Covering: a period's whole months are read from the index alone.
            models.Index(
                fields=["work", "repository", "month"],
                name="risk_month_window",
                include=["person", "items"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.work} in {self.repository_id} {self.month:%Y-%m}: {self.items}"


class ReviewWait(models.Model):
    """Rollup: a pull request that can wait for a first review (not a draft, opened by a
    person, not a bot) and until when it waited (`waited_until`: its first review by someone
    other than its author and not a bot, or its closing, whichever came first; empty while it
    still waits). It waits at an instant t when `opened_at` < t and `waited_until` is empty or
    at or after t. Written by derived/risks.py."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    pull_request = models.ForeignKey(
        "ingest.PullRequest", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    opened_at = models.DateTimeField()
    waited_until = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            # The pull requests still waiting (all that wait at a period's end today) ...
            models.Index(
                fields=["repository", "opened_at"],
                name="review_wait_still",
                condition=models.Q(waited_until__isnull=True),
            ),
            # ... the same in opening order across projects (the backlog's median and oldest
            # openings: a walk to the middle, not a sort of every waiting pull request).
            models.Index(
                fields=["opened_at"],
                name="review_wait_still_time",
                include=["repository"],
                condition=models.Q(waited_until__isnull=True),
            ),
            # ... and those whose wait ended after an earlier period's end.
            models.Index(
                fields=["waited_until"],
                name="review_wait_ended",
                include=["repository", "opened_at"],
            ),
        ]

    def __str__(self) -> str:
        return f"pull request {self.pull_request_id} waited until {self.waited_until}"


class PersonOrganisation(models.Model):
    """Rollup: the organisation of a person with any evidence of one (`login` lower-cased):
    their profile's (company or e-mail domain), and whether it can differ between days
    (`dated`: e-mail domain spells or an admin's override; those people are read day by day).
    Community-wide; the elephant factor reads it (docs/metrics.md, "Elephant factor").
    Written by derived/risks.py."""

    login = models.CharField(max_length=100, unique=True)
    organisation = models.CharField(max_length=255)
    dated = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.login}: {self.organisation or '(dated)'}"


class OrganisationMonth(models.Model):
    """Rollup: authored work (RiskMonth's "authored") per project, calendar month and the
    organisation of its authors' profiles as PersonOrganisation holds it (UNKNOWN, empty, for
    people without one). People whose organisation can differ between days (`dated`) are
    left out: the elephant factor reads them day by day. Community-wide like
    PersonOrganisation, so rebuilt whole on every rebuild. The elephant factor reads a
    period's whole months here (docs/metrics.md, "Elephant factor"). Written by
    derived/risks.py."""

    repository = models.ForeignKey(
        "ingest.Repository", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    month = models.DateField()  # the month's first day
    organisation = models.CharField(max_length=255, blank=True)
    items = models.IntegerField()

    class Meta:
        indexes = [
            # Covering: a period's whole months are read from the index alone.
            models.Index(
                fields=["repository", "month"],
                name="organisation_month_window",
                include=["organisation", "items"],
            )
        ]

    def __str__(self) -> str:
        shown = self.organisation or "(unknown)"
        return f"{shown} in {self.repository_id} {self.month:%Y-%m}: {self.items}"
