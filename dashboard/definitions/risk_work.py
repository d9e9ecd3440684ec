"""Which items each kind of work of the risk figures counts (docs/metrics.md, "Risks"), and
who each is counted for: shared by the rollup that sums them per month (derived/risks.py)
and the selectors that read a period's cut first and last months from the facts
(metrics/risks.py), so both count the same items.

authored: commits and pull requests authored (contribution events, bots left out);
reviews: reviews given on someone else's pull request (PromotionWork's, bots left out);
merges: who merged a pull request (the bot accounts left out).
"""

from datetime import datetime

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Concat

from ingest.models import Actor, PullRequest

from ..models import ContributionEvent, PromotionWork
from .contributions import bot_logins

WORKS = ("authored", "reviews", "merges")
AUTHORED_KINDS = ("commit", "pull_request")
TIME_FIELDS = {"authored": "occurred_at", "reviews": "at", "merges": "merged_at"}


def bot_actor_ids() -> list[int]:
    """The accounts that are bots (the rule of `definitions.contributions.human`, which
    ingest applies when it flags `is_bot`, and the configured list): a short list, so that
    the big tables are filtered by id instead of joining every account. Two index reads."""
    flagged = Actor.objects.filter(is_bot=True).values_list("pk", flat=True)
    listed = Actor.objects.filter(login__in=bot_logins()).values_list("pk", flat=True)
    return sorted(set(flagged) | set(listed))


def work_items(
    work: str,
    *,
    repository_ids,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet:
    """The items of one kind of work of these projects (those at or after `start` and
    before `end` when given), each with `person` (its person key)."""
    if work not in TIME_FIELDS:
        raise ValueError(f"unknown work {work!r}; one of {', '.join(WORKS)}")
    ids = list(repository_ids)
    when = {}
    if start is not None:
        when[f"{TIME_FIELDS[work]}__gte"] = start
    if end is not None:
        when[f"{TIME_FIELDS[work]}__lt"] = end
    if work == "authored":
        return ContributionEvent.objects.filter(
            repository_id__in=ids, is_bot=False, kind__in=AUTHORED_KINDS, **when
        ).annotate(person=F("person_key"))
    login_key = Value("login:", output_field=CharField())
    if work == "reviews":
        return PromotionWork.objects.filter(
            repository_id__in=ids, kind=PromotionWork.REVIEW, **when
        ).annotate(person=Concat(login_key, F("login"), output_field=CharField()))
    return (
        PullRequest.objects.filter(
            repository_id__in=ids, merged_at__isnull=False, merged_by__isnull=False, **when
        )
        .exclude(merged_by_id__in=bot_actor_ids())
        .annotate(person=Concat(login_key, F("merged_by__login"), output_field=CharField()))
    )
