"""The promotion rule's figures, shared by the rollups that store them and the pages that rank
with them (docs/metrics.md, "Promotion candidates").

- progress = the mean of the merged part (merged pull requests / `min_merged`, at most 1)
  and the difficulty part (the better of Hard / `min_hard` and Medium / `min_medium`, each at
  most 1), in percent, rounded half up to the tenth shown; `meets_rule` when both parts are
  complete;
- what the rule counts, one dated item each (the `PromotionWork` rollup): merged pull requests
  (with their difficulty), reviews submitted on other people's pull requests, comments on other
  people's issues (issues answered: distinct issues);
- a person's first evidence of a signal (merge, approval, association) per project.
"""

import math
from datetime import datetime

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth

from ingest.models import Comment, Issue, PullRequest, Review

from ..models import PromotionRule, PromotionWork
from .contributions import human
from .difficulty import with_difficulty


def promotion_rules(*, repository_ids: list[int]) -> dict[int, PromotionRule]:
    """Each project's rule (its own, else the community default row, else the built-in
    default), in one query."""
    rules = {
        rule.repository_id: rule
        for rule in PromotionRule.objects.filter(
            Q(repository_id__in=repository_ids) | Q(repository=None)
        )
    }
    fallback = rules.get(None) or PromotionRule()
    return {rid: rules.get(rid, fallback) for rid in repository_ids}


def meets_rule(*, merged: int, hard: int, medium: int, rule) -> bool:
    """Enough merged pull requests, and enough Hard or Medium ones (or no such requirement)."""
    alternatives = [(hard, rule.min_hard), (medium, rule.min_medium)]
    return merged >= rule.min_merged and (
        all(need == 0 for _, need in alternatives)
        or any(need and count >= need for count, need in alternatives)
    )


def progress(*, merged: int, hard: int, medium: int, rule) -> float:
    """Progress (module docstring) in percent, rounded half up to the tenth shown (ties are
    judged on what the page shows)."""

    def part(count: int, need: int) -> float:
        return 1.0 if count >= need else count / need

    alternatives = [
        part(count, need)
        for count, need in ((hard, rule.min_hard), (medium, rule.min_medium))
        if need
    ]
    difficulty = max(alternatives, default=1.0)
    # Half up, with room for binary fractions (85.0 computed as 84.99999…).
    return math.floor(500.0 * (part(merged, rule.min_merged) + difficulty) + 0.5 + 1e-9) / 10


def progress_text(*, merged: int, hard: int, medium: int, rule) -> str:
    """ "8/10 merged, 1 Hard" — merged against the rule, then the Hard and Medium counts."""
    text = f"{merged}/{rule.min_merged} merged"
    if hard:
        text += f", {hard} Hard"
    if medium:
        text += f", {medium} Medium"
    return text


def first_by_actor(
    qs: QuerySet, *, actor: str, at: str, number: str, before: datetime | None, bots: set[str]
) -> QuerySet:
    """Per (repository, actor): the first item — `first_at` and its `first_number` — picked by
    a window over one sort of the matching rows (a correlated "first number" subquery per
    person cost seconds per signal on a medium community)."""
    qs = qs.filter(**{f"{actor}__isnull": False, f"{at}__isnull": False}).filter(human(actor, bots))
    if before is not None:
        qs = qs.filter(**{f"{at}__lt": before})
    return (
        qs.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("repository_id"), F(actor)],
                order_by=[F(at).asc(), F("pk").asc()],
            )
        )
        .filter(place=1)
        .values("repository_id", f"{actor}__login", first_at=F(at), first_number=F(number))
        .order_by()
    )


# Column order of the PromotionWork rows the querysets below select (INSERT … SELECT).
WORK_COLUMNS = ("repository_id", "login", "kind", "at", "authored_at", "number", "level", "source")


def _work(qs: QuerySet, **columns) -> QuerySet:
    """`qs` as PromotionWork rows: every column aliased, then selected in WORK_COLUMNS order."""
    aliased = qs.annotate(**{f"w_{name}": value for name, value in columns.items()})
    return aliased.values_list(*(f"w_{name}" for name in WORK_COLUMNS)).order_by()


def merged_work(*, repository_ids: list[int], rules: dict, bots: set[str]) -> QuerySet:
    """Merged pull requests by people, at their merge, with difficulty and its source."""
    merged = PullRequest.objects.filter(
        repository_id__in=repository_ids, merged_at__isnull=False, author__isnull=False
    ).filter(human("author", bots))
    return _work(
        with_difficulty(merged, rules=rules),
        repository_id=F("repository_id"),
        login=F("author__login"),
        kind=Value(PromotionWork.MERGED, output_field=CharField()),
        at=F("merged_at"),
        authored_at=F("created_at"),
        number=F("number"),
        level=F("difficulty"),
        source=F("difficulty_source"),
    )


def review_work(*, repository_ids: list[int], bots: set[str]) -> QuerySet:
    """Reviews people submitted on other people's pull requests, at their submission."""
    reviews = (
        Review.objects.filter(
            repository_id__in=repository_ids, author__isnull=False, submitted_at__isnull=False
        )
        .exclude(pull_request__author_id=F("author_id"))
        .filter(human("author", bots))
    )
    return _work(
        reviews,
        repository_id=F("repository_id"),
        login=F("author__login"),
        kind=Value(PromotionWork.REVIEW, output_field=CharField()),
        at=F("submitted_at"),
        authored_at=F("submitted_at"),
        number=F("pull_request__number"),
        level=Value(None, output_field=IntegerField()),
        source=Value("", output_field=CharField()),
    )


def answer_work(*, repository_ids: list[int], bots: set[str]) -> QuerySet:
    """Conversation comments people wrote on other people's issues (not pull requests)."""
    others_issue = Issue.objects.filter(
        repository_id=OuterRef("repository_id"), number=OuterRef("issue_number")
    ).exclude(author_id=OuterRef("author_id"))
    comments = (
        Comment.objects.filter(
            repository_id__in=repository_ids, kind=Comment.Kind.ISSUE, author__isnull=False
        )
        .filter(Exists(others_issue))
        .filter(human("author", bots))
    )
    return _work(
        comments,
        repository_id=F("repository_id"),
        login=F("author__login"),
        kind=Value(PromotionWork.ANSWER, output_field=CharField()),
        at=F("created_at"),
        authored_at=F("created_at"),
        number=F("issue_number"),
        level=Value(None, output_field=IntegerField()),
        source=Value("", output_field=CharField()),
    )


# Column order of the PromotionMonth rows `work_by_month` selects (INSERT … SELECT).
MONTH_COLUMNS = (
    "repository_id",
    "login",
    "month",
    "merged",
    "hard",
    "medium",
    "easy",
    "reviews",
    "authored_at",
)


def work_figures() -> dict:
    """The promotion rule's sums over PromotionWork rows (aggregates)."""
    merged = Q(kind=PromotionWork.MERGED)
    return {
        "merged": Count("kind", filter=merged),
        "hard": Count("kind", filter=merged & Q(level=3)),
        "medium": Count("kind", filter=merged & Q(level=2)),
        "easy": Count("kind", filter=merged & Q(level=1)),
        "reviews": Count("kind", filter=Q(kind=PromotionWork.REVIEW)),
    }


def work_by_month(work: QuerySet) -> QuerySet:
    """PromotionWork rows summed per project, person and month of `at`, in MONTH_COLUMNS
    order."""
    grouped = (
        work.annotate(w_month=TruncMonth("at"))
        .values("repository_id", "login", "w_month")
        .annotate(**{f"w_{k}": v for k, v in work_figures().items()})
        .annotate(w_authored_at=Max("authored_at"))
        .order_by()
    )
    return grouped.values_list("repository_id", "login", *(f"w_{c}" for c in MONTH_COLUMNS[2:]))
