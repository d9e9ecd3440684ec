"""A promotion candidate's evidence for a nomination (docs/metrics.md, "Nomination draft"):
their row of the committers page's candidates (same window, same figures, same rule) and the
merged pull requests of the window behind it, each with its difficulty, title and link.

`nomination_evidence` answers None for someone who is not a candidate on that project that day.
"""

from datetime import date

from ingest.models import PullRequest

from ..definitions.difficulty import LEVEL_NAME
from ..models import PromotionWork
from .promotion import candidate_window, promotion_candidates
from .roles import RoleWorld, cutoff

LEVELS = (3, 2, 1)  # Hard, Medium, Easy: the order a nomination cites them in


def nomination_evidence(
    *, repository_id: int, login: str, as_of: date | None, since: date | None = None
) -> dict | None:
    """The candidate's figures (as on /committers/ with the same `until` and `since`), the
    project's rule, the window, and their merged pull requests of the window by difficulty:
    `{"candidate": row, "rule": PromotionRule, "first": date, "last": date,
    "merged_by_level": {"Hard": [{"number", "title", "url", "merged_at", "source"}], …}}`."""
    world = RoleWorld(repository_ids=[repository_id], as_of=as_of)
    if not world.repositories:
        return None
    wanted = login.lower()
    candidate = next(
        (
            row
            for row in promotion_candidates(
                repository_ids=[repository_id], as_of=as_of, since=since, world=world, limit=None
            )
            if row["login"].lower() == wanted
        ),
        None,
    )
    if candidate is None:
        return None
    first, last = candidate_window(as_of=as_of, since=since)
    work = PromotionWork.objects.filter(
        repository_id=repository_id,
        login=candidate["login"],
        kind=PromotionWork.MERGED,
        at__gte=cutoff(first),
    )
    if world.before is not None:
        work = work.filter(at__lt=world.before)
    items = list(
        work.order_by("-level", "at", "number").values_list("number", "level", "source", "at")
    )
    titles = dict(
        PullRequest.objects.filter(
            repository_id=repository_id, number__in=[number for number, *_ in items]
        ).values_list("number", "title")
    )
    merged_by_level: dict[str, list[dict]] = {LEVEL_NAME[level]: [] for level in LEVELS}
    for number, level, source, at in items:
        merged_by_level[LEVEL_NAME[level]].append(
            {
                "number": number,
                "title": titles.get(number, ""),
                "url": world.link(repository_id, "pull", number),
                "merged_at": at,
                "source": source,
            }
        )
    return {
        "candidate": candidate,
        "rule": world.rules[repository_id],
        "project": world.repositories[repository_id],
        "project_url": world.pages[repository_id],
        "first": first,
        "last": last,
        "merged_by_level": merged_by_level,
    }
