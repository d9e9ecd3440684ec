"""KPI-gaming flags (docs/metrics.md, "Flags"): what a trivial pull request is, what makes a
flood of them or a burst of stars, and the thresholds. Pure code over plain values, read by the
builder (`dashboard.derived.flags`) and the selectors (`dashboard.metrics.flags`).

Every threshold is relative to the project's own history (its baseline) with an absolute floor,
so a busy project is judged against its own usual volume and a quiet one is not flagged for a
handful of items.
"""

import math
import re
from datetime import timedelta

PR_FLOOD_AUTHOR = "pr_flood_author"
PR_FLOOD_PROJECT = "pr_flood_project"
STAR_BURST = "star_burst"

FLAG_KINDS = {
    PR_FLOOD_AUTHOR: "Trivial pull request flood (one account)",
    PR_FLOOD_PROJECT: "Trivial pull request flood (new accounts)",
    STAR_BURST: "Star burst from fresh accounts",
}

# A trivial pull request: few changed lines in few files, and a title that says it is a typo,
# spelling, wording or documentation change, or names only documentation files (GitHub's web
# editor titles an edit "Update README.md"). Pulse does not store a pull request's file list,
# so "documentation only" is read from the title.
TRIVIAL_MAX_LINES = 10  # additions + deletions
TRIVIAL_MAX_FILES = 3
_DOC_FILE = r"[\w./-]+\.(?:md|markdown|rst|txt|adoc)"
TRIVIAL_TITLE = re.compile(
    r"\b(?:typos?|spelling|spelt|misspell\w*|grammar|grammatical|punctuation|wording|"
    r"whitespace|docs?|documentation|readme|javadoc|comments?)\b"
    rf"|^\s*(?:update|fix|edit|create|add)\s+{_DOC_FILE}\s*$",
    re.IGNORECASE,
)

# Floods: counted in a sliding window, against the project's own rate of trivial pull requests
# over the year before the window (at least the first BASELINE_MIN_DAYS of its history counted
# as that many days, so a young project's first weeks do not make a tiny baseline look large).
FLOOD_WINDOW = timedelta(days=30)
BASELINE_SPAN = timedelta(days=365)
BASELINE_MIN_SPAN = timedelta(days=90)
FLOOD_FACTOR = 3  # the count must reach this many times the project's usual count
AUTHOR_MIN_COUNT = 5  # one account's trivial pull requests in a window
PROJECT_MIN_COUNT = 10  # all new accounts' trivial pull requests in a window
# An account is new to the project when its first contribution there (any kind) is no more than
# this long before the pull request (for one account's flood: before the window's first one).
NEW_ACCOUNT = timedelta(days=30)

# Star bursts: stars per UTC day against the repository's mean over the days before.
STAR_BASELINE_DAYS = 90
STAR_FACTOR = 10
STAR_MIN_PER_DAY = 20
# A fresh account: created at most this long before its star, and no contribution anywhere in
# the tracked community (commits, pull requests, issues, reviews, comments).
FRESH_ACCOUNT = timedelta(days=30)
FRESH_MIN_SHARE = 0.5  # "mostly": at least half the burst's stars
ACCOUNTS_SHOWN = 20  # fresh accounts listed as evidence per burst


def is_trivial_pull(*, title: str, additions: int, deletions: int, changed_files: int) -> bool:
    """A tiny documentation or typo pull request (see TRIVIAL_*)."""
    return (
        additions + deletions <= TRIVIAL_MAX_LINES
        and changed_files <= TRIVIAL_MAX_FILES
        and TRIVIAL_TITLE.search(title or "") is not None
    )


def rate_per_window(count: int, span: timedelta) -> float:
    """A count over `span` as a count per FLOOD_WINDOW (span at least BASELINE_MIN_SPAN)."""
    span = max(span, BASELINE_MIN_SPAN)
    return count * (FLOOD_WINDOW / span)


def flood_threshold(baseline: float, *, minimum: int) -> int:
    """How many trivial pull requests in a window make a flood, given the usual count."""
    return max(minimum, math.ceil(FLOOD_FACTOR * baseline - 1e-9))


def star_threshold(baseline_per_day: float) -> int:
    """How many stars in one day make a burst day, given the usual stars per day."""
    return max(STAR_MIN_PER_DAY, math.ceil(STAR_FACTOR * baseline_per_day - 1e-9))
