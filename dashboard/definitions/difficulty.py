"""Difficulty (Easy / Medium / Hard) of merged pull requests, for the promotion rule.

A pull request's difficulty comes, in this order, from:
1. its own labels: a label whose name contains the word `easy`, `medium` or `hard`
   (`hard`, `difficulty/hard`, `Level: Medium`, …; the hardest one wins);
2. the labels of the issues it closes (`PullRequest.closes_issues` → `Issue.labels`);
3. a size heuristic, thresholds per project on the promotion rule: a docs-only or typo pull
   request (title starting with `doc`/`docs`, or mentioning `typo`) is Easy; otherwise
   added+deleted lines ≥ `hard_min_lines` or changed files ≥ `hard_min_files` is Hard, ≥
   `medium_min_lines` lines or ≥ `medium_min_files` files is Medium, else Easy.
"""

from collections import defaultdict

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from ingest.models import Issue, PullRequest

EASY, MEDIUM, HARD = "Easy", "Medium", "Hard"
_RANK = {EASY: 1, MEDIUM: 2, HARD: 3}
_DOCS_TITLE_SQL = r"^\s*\[?(docs?|documentation)([^a-zA-Z0-9_]|$)"
_TYPO_SQL = r"(^|[^a-zA-Z0-9_])typos?([^a-zA-Z0-9_]|$)"


# In SQL (PostgreSQL `~*`, SQLite `REGEXP` via Django), so ranking every contributor never
# loads pull requests into Python. Word edges are spelt out because `\b` means backspace in
# PostgreSQL's regular expressions.
_LEVEL_NUMBER = {EASY: 1, MEDIUM: 2, HARD: 3}
LEVEL_NAME = {number: name for name, number in _LEVEL_NUMBER.items()}


def _label_word(word: str) -> str:
    return rf"(^|[^a-zA-Z]){word}([^a-zA-Z]|$)"


def _labels_level(field: str) -> Case:
    return Case(
        *(
            When(**{f"{field}__iregex": _label_word(word)}, then=Value(_LEVEL_NUMBER[level]))
            for word, level in (("hard", HARD), ("medium", MEDIUM), ("easy", EASY))
        ),
        default=None,
        output_field=IntegerField(),
    )


def _closed_issue_level() -> RawSQL:
    """The hardest difficulty label among the issues a pull request closes, else NULL.

    A correlated subquery: the pull request's `closes_issues` numbers unnested
    (PostgreSQL `jsonb_array_elements_text`, SQLite `json_each`) and joined to its
    repository's issues on the (repository, number) index, so each pull request costs an
    index probe per closed issue. (Matching the numbers of every labelled issue as one
    regular expression instead cost minutes on a community with thousands of them.)"""
    pull, issue = PullRequest._meta.db_table, Issue._meta.db_table
    if connection.vendor == "postgresql":
        numbers = f'jsonb_array_elements_text("{pull}"."closes_issues") AS c(n)'
        number, match = "c.n::integer", "i.labels::text ~* %s"
    else:
        numbers = f'json_each("{pull}"."closes_issues") AS c'
        number, match = "c.value", "i.labels REGEXP '(?i)' || %s"
    levels = (("hard", HARD), ("medium", MEDIUM), ("easy", EASY))
    case = " ".join(f"WHEN {match} THEN {_LEVEL_NUMBER[level]}" for _, level in levels)
    return RawSQL(
        f"SELECT MAX(CASE {case} END) FROM {numbers} JOIN {issue} i "
        f'ON i.repository_id = "{pull}"."repository_id" AND i.number = {number}',
        [_label_word(word) for word, _ in levels],
        output_field=IntegerField(),
    )


def with_difficulty(queryset: QuerySet, *, rules: dict[int, object]) -> QuerySet:
    """Annotate pull requests with `difficulty` (1 Easy, 2 Medium, 3 Hard) and
    `difficulty_source` (label / issue label / size), by each repository's rule thresholds."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for rid, rule in rules.items():
        groups[
            (rule.hard_min_lines, rule.hard_min_files, rule.medium_min_lines, rule.medium_min_files)
        ].append(rid)
    size = Case(
        # Small pull requests are Easy whatever their title: decided before the (costlier)
        # title expressions, which then run only for the big ones.
        *(
            When(
                Q(
                    repository_id__in=rids,
                    size_lines__lt=min(hard_lines, medium_lines),
                    changed_files__lt=min(hard_files, medium_files),
                ),
                then=Value(1),
            )
            for (hard_lines, hard_files, medium_lines, medium_files), rids in groups.items()
        ),
        When(Q(title__iregex=_DOCS_TITLE_SQL) | Q(title__iregex=_TYPO_SQL), then=Value(1)),
        *(
            When(
                Q(repository_id__in=rids)
                & (Q(size_lines__gte=hard_lines) | Q(changed_files__gte=hard_files)),
                then=Value(3),
            )
            for (hard_lines, hard_files, _, _), rids in groups.items()
        ),
        *(
            When(
                Q(repository_id__in=rids)
                & (Q(size_lines__gte=medium_lines) | Q(changed_files__gte=medium_files)),
                then=Value(2),
            )
            for (_, _, medium_lines, medium_files), rids in groups.items()
        ),
        default=Value(1),
        output_field=IntegerField(),
    )
    issue_level = _closed_issue_level()
    return (
        queryset.annotate(
            labels_text=Cast("labels", TextField()),
            size_lines=F("additions") + F("deletions"),
        )
        .annotate(
            # Most pull requests have no labels: skip the regular expressions for them.
            label_level=Case(
                When(labels__exact=[], then=None),
                default=_labels_level("labels_text"),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            issue_level=Case(
                When(label_level__isnull=True, then=issue_level),
                default=None,
                output_field=IntegerField(),
            ),
        )
        .annotate(
            difficulty=Coalesce("label_level", "issue_level", size),
            difficulty_source=Case(
                When(label_level__isnull=False, then=Value("label")),
                When(issue_level__isnull=False, then=Value("issue label")),
                default=Value("size"),
                output_field=CharField(),
            ),
        )
    )
