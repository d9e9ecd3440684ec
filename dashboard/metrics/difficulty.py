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

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ingest.models import Issue, PullRequest

EASY, MEDIUM, HARD = "Easy", "Medium", "Hard"
_RANK = {EASY: 1, MEDIUM: 2, HARD: 3}
_LABEL_WORDS = {"easy": EASY, "medium": MEDIUM, "hard": HARD}
_DOCS_TITLE = re.compile(r"^\s*(\[?docs?\b|\[?documentation\b)|\btypos?\b", re.IGNORECASE)


def difficulty_from_labels(labels: Iterable[str]) -> str | None:
    """The hardest difficulty named by any of these label names, or None."""
    found = None
    for label in labels:
        for word in re.split(r"[^a-z]+", str(label).lower()):
            level = _LABEL_WORDS.get(word)
            if level and (found is None or _RANK[level] > _RANK[found]):
                found = level
    return found


def difficulty_from_size(
    *, title: str, additions: int, deletions: int, changed_files: int, rule
) -> str:
    """The documented size heuristic for a pull request without a difficulty label."""
    if _DOCS_TITLE.search(title or ""):
        return EASY
    lines = (additions or 0) + (deletions or 0)
    if lines >= rule.hard_min_lines or (changed_files or 0) >= rule.hard_min_files:
        return HARD
    if lines >= rule.medium_min_lines or (changed_files or 0) >= rule.medium_min_files:
        return MEDIUM
    return EASY


@dataclass
class MergedWork:
    """One author's merged pull requests on one project, by difficulty."""

    merged: int = 0
    by_difficulty: Counter = field(default_factory=Counter)
    # (number, difficulty, source) of the hardest pull requests first, for evidence links.
    pull_requests: list[tuple[int, str, str]] = field(default_factory=list)


def merged_pull_requests_by_author(
    *, repository_id: int, until: datetime | None, author_ids: Iterable[int], rule
) -> dict[int, MergedWork]:
    """Merged pull requests (merged before `until`) of the given authors, with difficulty.

    The classification reads labels (JSON lists) so it runs in Python, but only over the
    merged pull requests of the candidates being ranked, two queries in all.
    """
    prs = PullRequest.objects.filter(
        repository_id=repository_id, author_id__in=list(author_ids), merged_at__isnull=False
    )
    if until is not None:
        prs = prs.filter(merged_at__lt=until)
    rows = list(
        prs.order_by("merged_at").values_list(
            "author_id", "number", "title", "labels", "closes_issues",
            "additions", "deletions", "changed_files",
        )
    )
    closed_numbers = {n for row in rows for n in (row[4] or []) if isinstance(n, int)}
    issue_labels = dict(
        Issue.objects.filter(repository_id=repository_id, number__in=closed_numbers)
        .values_list("number", "labels")
    ) if closed_numbers else {}
    work: dict[int, MergedWork] = {}
    for author_id, number, title, labels, closes, additions, deletions, files in rows:
        level = difficulty_from_labels(labels or [])
        source = "label"
        if level is None:
            level = difficulty_from_labels(
                label for n in (closes or []) for label in (issue_labels.get(n) or [])
            )
            source = "issue label"
        if level is None:
            level = difficulty_from_size(
                title=title, additions=additions, deletions=deletions, changed_files=files,
                rule=rule,
            )
            source = "size"
        item = work.setdefault(author_id, MergedWork())
        item.merged += 1
        item.by_difficulty[level] += 1
        item.pull_requests.append((number, level, source))
    for item in work.values():
        item.pull_requests.sort(key=lambda pr: (-_RANK[pr[1]], pr[0]))
    return work
