"""What keeps a chart honest, shared by the page builders.

- A bucket that the period or today cuts short is listed in the spec's `partial` (indices)
  and its label says so; static/js/charts.js draws it dashed (lines) or lighter (bars), so a
  month that has only begun is not read as a drop.
- Titles name their one period (`period_title`).
- Each series carries a colour token (`colour`: a palette custom property of pulse.css, e.g.
  `series-1`, `good`, `bad`) chosen by what it measures, so a measure has one colour on every
  chart and a failure is never green.
- Each point can open the list behind it: the spec's `links` (one URL per label, or per
  dataset in a dataset's own `links`), built here from the page's filters.
- An empty chart says why (`empty_reason`): nothing ingested yet, or nothing in the period.
"""

import datetime as dt
from urllib.parse import urlencode

from django.utils import timezone

from ..definitions.buckets import bucket_next
from ..metrics.newcomers import KIND_LABELS

DAY = dt.timedelta(days=1)

# One colour per measure, whichever chart shows it (tokens are pulse.css custom properties
# `--<token>`, the Okabe-Ito palette). Keys are the series' measure names.
MEASURE_COLOURS = {
    # kinds of contribution (a person's contributions, newcomers by their first kind)
    "pull_request": "series-1",
    "issue": "series-2",
    "review": "series-3",
    "commit": "series-5",
    "co_authored": "series-8",
    "comment": "series-7",
    # activity
    "prs_opened": "series-1",
    "prs_merged": "series-4",
    "prs_closed_unmerged": "series-7",
    "issues_opened": "series-2",
    "issues_closed": "series-7",
    "commits": "series-5",
    "reviews": "series-3",
    "active_contributors": "series-1",
    "new_contributors": "series-2",
    "median_first_response_hours": "series-2",
    "median_time_to_merge_hours": "series-4",
    # risks: work carried by few people, named as above
    "authored": "series-5",
    "merges": "series-4",
    # committers by affiliation
    "home": "series-1",
    "external": "series-2",
    "unknown": "muted",
    # newcomers' retention
    "retained_30d": "series-1",
    "retained_90d": "series-2",
    "retained_180d": "series-4",
    # outcomes: success green, failure red (vermillion), never the other way round
    "succeeded": "good",
    "partial": "series-8",
    "failed": "bad",
    "other": "muted",
}
# Series without a fixed measure (projects, kinds of contribution) take these in order.
SERIES_ORDER = [f"series-{n}" for n in (1, 2, 3, 4, 5, 7, 8, 6)]

NOT_INGESTED = "Not ingested yet: Pulse has no repository in this scope; run an ingest first."
NO_DATA = "No data for this period: nothing was recorded between these dates."

# Clicking a bucket opens its period one step finer, so there is something to see inside it.
FINER = {"year": "month", "quarter": "month", "month": "week", "week": "week"}


def today() -> dt.date:
    return timezone.now().date()


def period_text(since: dt.date, until: dt.date) -> str:
    return f"{since.isoformat()} to {until.isoformat()}"


def period_title(what: str, *, since: dt.date, until: dt.date, interval: str = "") -> str:
    """`what, since to until[, per interval]`: the one period the chart shows."""
    return f"{what}, {period_text(since, until)}" + (f", per {interval}" if interval else "")


def bucket_last(start: dt.date, interval: str) -> dt.date:
    following = bucket_next(start, interval)
    return following - DAY if following is not None else dt.date.max


def partial_buckets(
    buckets: list[dt.date], *, since: dt.date, until: dt.date, interval: str, now=None
) -> list[int]:
    """Indices of the buckets the period does not cover whole: the first when `since` falls
    inside it, the last when `until` does, and any bucket still going on (today is not over,
    so the bucket holding today is partial even on its last day)."""
    now = now or today()
    return [
        index
        for index, start in enumerate(buckets)
        if start < since
        or bucket_last(start, interval) > until
        or bucket_last(start, interval) >= now
    ]


def partial_label(
    label: str, start: dt.date, *, since: dt.date, until: dt.date, interval: str, now=None
) -> str:
    now = now or today()
    if start < since:
        return f"{label} (from {since.isoformat()})"
    if until >= now >= start:
        return f"{label} (so far)"
    if start > now:
        return f"{label} (not yet)"
    return f"{label} (to {until.isoformat()})"


def bucket_period(start: dt.date, *, since: dt.date, until: dt.date, interval: str):
    """The part of the bucket starting `start` that lies in since..until."""
    return max(start, since), min(bucket_last(start, interval), until)


def link(path: str, params: dict, **changes) -> str:
    """`path` with the page's filters (`params`, as given) and `changes` applied."""
    merged = {key: value for key, value in (params or {}).items() if value}
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    query = urlencode(merged, doseq=True)
    return f"{path}?{query}" if query else path


def bucket_links(
    path: str,
    params: dict,
    buckets: list[dt.date],
    *,
    since: dt.date,
    until: dt.date,
    interval: str,
    **changes,
) -> list[str]:
    """Per bucket: `path` filtered to that bucket's days, one interval finer."""
    links = []
    for start in buckets:
        first, last = bucket_period(start, since=since, until=until, interval=interval)
        links.append(
            link(
                path,
                params,
                since=first.isoformat(),
                until=last.isoformat(),
                interval=FINER[interval],
                **changes,
            )
        )
    return links


def colour_series(datasets: list[dict], measures: list[str] | None = None) -> list[dict]:
    """Each dataset with its colour token: by measure when named, else by position."""
    coloured, position = [], 0
    for index, dataset in enumerate(datasets):
        measure = measures[index] if measures else None
        token = MEASURE_COLOURS.get(measure) if measure else None
        if token is None:
            token = SERIES_ORDER[position % len(SERIES_ORDER)]
            position += 1
        coloured.append({**dataset, "colour": token})
    return coloured


def stacked_measures(datasets: list[dict]) -> list[str]:
    """Measures of a newcomers series stacked by kind (each label a kind's) or by project
    (no measure: colours by position), the "other projects" rest grey."""
    kinds = {label: kind for kind, label in KIND_LABELS.items()}
    return [
        kinds.get(d["label"], "other" if d["label"].endswith("other projects") else "")
        for d in datasets
    ]


def ingested(repository_ids) -> bool:
    """Whether the scope names any ingested repository: the filters resolve their ids from the
    repositories Pulse holds, so an empty scope means nothing has been ingested for it."""
    return bool(repository_ids)


def empty_reason(spec: dict, *, has_scope=True) -> str:
    """Why a chart has nothing to draw, or "" when it has something. `has_scope` may be a
    callable, asked only when the chart is empty (it may cost a query)."""
    values = [v for dataset in spec.get("datasets", []) for v in dataset.get("data", [])]
    if spec.get("labels") and any(v for v in values if v is not None):
        return ""
    if not (has_scope() if callable(has_scope) else has_scope):
        return NOT_INGESTED
    return NO_DATA


def mark_partial(spec: dict, partial: list[int], buckets: list[dt.date], **period) -> dict:
    """The spec with `partial` set and those labels saying how they are cut."""
    labels = list(spec.get("labels", []))
    for index in partial:
        if index < len(labels):
            labels[index] = partial_label(labels[index], buckets[index], **period)
    return {**spec, "labels": labels, "partial": partial}


def bucketed_spec(
    spec: dict,
    buckets: list[dt.date],
    *,
    since: dt.date,
    until: dt.date,
    interval: str,
    links: list[str] | None = None,
) -> dict:
    """A per-bucket spec with its partial buckets marked and its links set."""
    period = {"since": since, "until": until, "interval": interval}
    now = today()
    partial = partial_buckets(buckets, now=now, **period)
    spec = mark_partial(spec, partial, buckets, now=now, **period)
    if links is not None:
        spec["links"] = links
    return spec
