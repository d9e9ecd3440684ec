"""Which filters each page shows, and what the filter bar holds (values, choices, quick ranges,
the fields a 400 marks as wrong).

`FILTER_SETS` is keyed by the URL name of the page (`request.resolver_match.url_name`). A page
shows only the filters its numbers depend on:

- overview: no interval (its table counts fixed windows; its chart is per month);
- committers: no interval (promotions and the external share are per quarter); `until` is the
  as-of day of roles and candidates, `since` the start of the candidates' counting window;
- a project page: the period and a project picker (choosing another project goes to its page);
- a person page: the period; the digest: a week and projects; the ingest page: nothing.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from ..definitions.buckets import INTERVALS, bucket_count
from ..definitions.contributions import KIND_GROUPS
from ..forms import MAX_BUCKETS, Filters
from ..metrics.data_range import first_data_month
from .newcomers import KIND_GROUP_TITLES

PERIOD = ("since", "until")
FILTER_SETS: dict[str, tuple[str, ...]] = {
    "overview": ("repo", "org", *PERIOD),
    "activity": ("repo", "org", *PERIOD, "interval"),
    "newcomers": ("repo", "org", *PERIOD, "interval", "kind", "coauthors", "stack"),
    "committers": ("repo", "org", *PERIOD),
    "risks": ("repo", "org", *PERIOD, "interval"),
    "digest": ("week", "repo", "org"),
    "nomination": PERIOD,
    "project": ("project", *PERIOD, "interval"),
    "person": (*PERIOD, "interval"),
    "ingest": (),
}
# Parameters a page needs to stay itself, carried through its form as hidden fields.
KEPT = {"nomination": ("repo", "login")}
LABELS = {"since": "Since", "until": "Until"}
PAGE_LABELS = {
    "committers": {"since": "Candidates counted from", "until": "As of"},
    "nomination": {"since": "Counted from", "until": "As of"},
}
STACK_CHOICES = (("project", "by project"), ("kind", "by kind"))
CO_AUTHOR_CHOICES = (("include", "counted"), ("exclude", "authors only"))
# Parameters that choose a format or a table, not what is counted: quick ranges drop them.
NOT_FILTERS = ("format", "table", "since", "until")


@dataclass(frozen=True)
class QuickRange:
    label: str
    since: dt.date
    until: dt.date
    interval: str = ""  # set when the page's interval would give too many buckets


def filter_set(page: str) -> tuple[str, ...]:
    return FILTER_SETS.get(page, ())


def quick_ranges(*, today: dt.date, first_month: dt.date | None, interval: str) -> list[QuickRange]:
    """Last 90 days, last 12 months (the default period), this quarter, the previous calendar
    year, and all time (from the first month Pulse holds data for, when it holds any)."""
    quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    ranges = [
        QuickRange("Last 90 days", today - dt.timedelta(days=89), today),
        QuickRange("Last 12 months", today - dt.timedelta(days=364), today),
        QuickRange(f"This quarter (Q{(quarter.month + 2) // 3})", quarter, today),
        QuickRange(
            f"Last year ({today.year - 1})",
            dt.date(today.year - 1, 1, 1),
            dt.date(today.year - 1, 12, 31),
        ),
    ]
    if first_month is not None and first_month <= today:
        fitting = next(
            (
                name
                for name in INTERVALS[INTERVALS.index(interval) :]
                if bucket_count(since=first_month, until=today, interval=name) <= MAX_BUCKETS
            ),
            INTERVALS[-1],
        )
        ranges.append(
            QuickRange(
                f"All time (since {first_month:%b %Y})",
                first_month,
                today,
                "" if fitting == interval else fitting,
            )
        )
    return ranges


def _url(path: str, params, **changes) -> str:
    query = [(key, value) for key in params for value in params.getlist(key)]
    query = [(key, value) for key, value in query if key not in NOT_FILTERS and key not in changes]
    query += [(key, value) for key, value in changes.items() if value]
    return path + ("?" + urlencode(query) if query else "")


def filter_bar(
    *,
    page: str,
    path: str,
    params,
    repositories: list[str],
    today: dt.date,
    filters: Filters | None = None,
    errors: dict[str, str] | None = None,
    project: str = "",
    week: str = "",
) -> dict | None:
    """The filter bar's template context, or None for a page without filters.

    With valid `filters` the fields show what the page counted (the default period included);
    on a 400 (`errors` by field name) they show the query as given, so a wrong value stays
    in place to be corrected, and values not among a select's choices stay selectable."""
    shown = filter_set(page)
    if not shown:
        return None
    errors = dict(errors or {})
    if "project" in shown and "repo" in errors:
        errors["project"] = errors.pop("repo")
    if filters is not None:
        values = {
            "repo": list(filters.params["repo"]),
            "org": filters.org,
            "since": filters.since.isoformat(),
            "until": filters.until.isoformat(),
            "interval": filters.interval,
            "kind": filters.kind,
            "coauthors": "include" if filters.co_authors else "exclude",
            "stack": filters.stack,
        }
    else:
        values = {
            key: params.get(key, "").strip()
            for key in ("org", "since", "until", "interval", "kind", "coauthors", "stack")
        }
        values["repo"] = [name.strip() for name in params.getlist("repo") if name.strip()]
        values["interval"] = values["interval"] or "month"
        values["kind"] = values["kind"] or "default"
        values["coauthors"] = values["coauthors"] or "include"
        values["stack"] = values["stack"] or "project"
    values["week"] = week or params.get("week", "")
    given = values["repo"][0] if values["repo"] and errors.get("project") else ""
    values["project"] = given or project
    organisations = sorted({name.split("/", 1)[0] for name in repositories}, key=str.lower)

    def choices(pairs, value: str) -> list[tuple[str, str]]:
        """The choices, plus the given value when it is not one of them (a 400 keeps it)."""
        pairs = list(pairs)
        if value and value not in {key for key, _ in pairs}:
            pairs.append((value, f"{value} (unknown)"))
        return pairs

    known = set(repositories)
    labels = {**LABELS, **PAGE_LABELS.get(page, {})}
    ranges = []
    if "since" in shown:
        current = (values["since"], values["until"])
        interval = values["interval"] if values["interval"] in INTERVALS else "month"
        for item in quick_ranges(today=today, first_month=first_data_month(), interval=interval):
            changes = {"since": item.since.isoformat(), "until": item.until.isoformat()}
            if item.interval:
                changes["interval"] = item.interval
            ranges.append(
                {
                    "label": item.label,
                    "url": _url(path, params, **changes),
                    "active": current == (changes["since"], changes["until"]),
                }
            )
    hidden = [(key, params.get(key, "")) for key in KEPT.get(page, ()) if params.get(key)]
    return {
        "shown": set(shown),
        "values": values,
        "errors": errors,
        "labels": labels,
        "repositories": repositories + [name for name in values["repo"] if name not in known],
        "unknown_repositories": [name for name in values["repo"] if name not in known],
        "organisations": choices(((org, org) for org in organisations), values["org"]),
        "intervals": choices(((i, i) for i in INTERVALS), values["interval"]),
        "kinds": choices(((k, KIND_GROUP_TITLES[k]) for k in KIND_GROUPS), values["kind"]),
        "coauthor_choices": choices(CO_AUTHOR_CHOICES, values["coauthors"]),
        "stacks": choices(STACK_CHOICES, values["stack"]),
        "hidden": hidden,
        "ranges": ranges,
        "reset_url": path + ("?" + urlencode(hidden) if hidden else ""),
    }


def export_period(*, page_key: str, page, filters: Filters) -> str:
    """What a CSV's filename names as its period: the digest's week, else since_until; empty
    (the download day stands for it) for a page whose numbers have no period (ingest)."""
    shown = filter_set(page_key)
    if "week" in shown and page.context.get("week"):
        return str(page.context["week"])
    if "since" in shown:
        return f"{filters.since.isoformat()}_{filters.until.isoformat()}"
    return ""
