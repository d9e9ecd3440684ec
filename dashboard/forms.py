"""The filter form every page shares (contract in DESIGN.md), and the Filters it yields.

Query parameters: `repo` (repeatable, `owner/name`), `org`, `since`, `until` (`YYYY-MM-DD`),
`interval` (`week|month|quarter|year`), `format` (`html|csv|json`), `table` (which table a CSV
holds), and page options (`kind`, `coauthors` = include|exclude, `stack`).
`FilterForm(request.GET)`; when it is not valid, `form.problems()` lists what is wrong in
plain words (the view answers 400 with them). When valid, `form.filters()` returns a `Filters` whose `repository_ids` is always explicit (all
tracked repositories when no `repo`/`org` was given). Other pages (e.g. committers) use it as:

    form = FilterForm(request.GET)
    if not form.is_valid(): ...400...
    filters = form.filters()
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models.functions import Lower
from django.utils import timezone

from ingest.models import Repository

from .definitions.buckets import INTERVALS, bucket_count, shift_year
from .definitions.contributions import KIND_GROUPS, kind_group_key
from .metrics.cached import cached_in_scope

FULL_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
ORG_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
MAX_BUCKETS = 1000
# Dates a filter may name: git allows any commit date, but nothing Pulse stores predates the
# Unix epoch, and a year past today is as far as a period can usefully reach. Outside this
# range date arithmetic (a year back for the comparison, the bucket after the last) overflows.
EARLIEST_DATE = dt.date(1970, 1, 1)
YEARS_AHEAD = 1
DEFAULT_DAYS = 365
FORMATS = ("html", "csv", "json")
STACKS = ("project", "kind")
CO_AUTHOR_CHOICES = ("include", "exclude")


@dataclass(frozen=True)
class Filters:
    """Validated filters; `narrowed` is True when the user chose repositories or an org."""

    repository_ids: tuple[int, ...]
    repositories: tuple[str, ...]  # full names, same order as ids
    since: dt.date
    until: dt.date
    interval: str
    narrowed: bool = False
    org: str = ""
    kind: str = "default"
    co_authors: bool = True  # co-authored commits count as contributions
    stack: str = "project"
    params: dict = field(default_factory=dict, compare=False)  # as given, for links

    @property
    def kind_group(self) -> str:
        """The stored kind group the newcomer selectors count by (kind, co-authors or not)."""
        return kind_group_key(self.kind, co_authors=self.co_authors)


def supported_dates() -> tuple[dt.date, dt.date]:
    """The first and last day a `since`/`until` may name (inclusive)."""
    return EARLIEST_DATE, shift_year(timezone.now().date(), YEARS_AHEAD)


class _RepoListField(forms.Field):
    widget = forms.MultipleHiddenInput  # reads every `repo=` of the query string

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        names = []
        for raw in value:
            name = raw.strip().strip("/")
            if not FULL_NAME.match(name):
                raise forms.ValidationError(
                    f"repo {raw!r} is not of the form owner/name (e.g. sofastack/sofa-rpc)."
                )
            names.append(name)
        return names


class FilterForm(forms.Form):
    repo = _RepoListField(required=False)
    org = forms.CharField(required=False, max_length=100)
    since = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "since must be a date as YYYY-MM-DD."},
    )
    until = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "until must be a date as YYYY-MM-DD."},
    )
    interval = forms.CharField(required=False)
    format = forms.CharField(required=False)
    table = forms.CharField(required=False, max_length=50)
    kind = forms.CharField(required=False)
    coauthors = forms.CharField(required=False)
    stack = forms.CharField(required=False)

    def _in_range(self, name: str) -> dt.date | None:
        day = self.cleaned_data[name]
        if day is None:
            return None
        earliest, latest = supported_dates()
        if not earliest <= day <= latest:
            raise forms.ValidationError(
                f"{name} {day.isoformat()} is outside the supported range "
                f"{earliest.isoformat()}..{latest.isoformat()}."
            )
        return day

    def clean_since(self) -> dt.date | None:
        return self._in_range("since")

    def clean_until(self) -> dt.date | None:
        return self._in_range("until")

    def clean_org(self) -> str:
        org = self.cleaned_data["org"].strip()
        if org and not ORG_NAME.match(org):
            raise forms.ValidationError(f"org {org!r} is not a GitHub organisation name.")
        return org

    def clean_interval(self) -> str:
        interval = self.cleaned_data["interval"] or "month"
        if interval not in INTERVALS:
            raise forms.ValidationError(
                f"interval {interval!r} is not one of {', '.join(INTERVALS)}."
            )
        return interval

    def clean_format(self) -> str:
        fmt = self.cleaned_data["format"] or "html"
        if fmt not in FORMATS:
            raise forms.ValidationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}.")
        return fmt

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"] or "default"
        if kind not in KIND_GROUPS:
            raise forms.ValidationError(f"kind {kind!r} is not one of {', '.join(KIND_GROUPS)}.")
        return kind

    def clean_coauthors(self) -> bool:
        value = self.cleaned_data["coauthors"] or "include"
        if value not in CO_AUTHOR_CHOICES:
            raise forms.ValidationError(
                f"coauthors {value!r} is not one of {', '.join(CO_AUTHOR_CHOICES)}."
            )
        return value == "include"

    def clean_stack(self) -> str:
        stack = self.cleaned_data["stack"] or "project"
        if stack not in STACKS:
            raise forms.ValidationError(f"stack {stack!r} is not one of {', '.join(STACKS)}.")
        return stack

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        until = data.get("until") or timezone.now().date()
        since = data.get("since") or max(EARLIEST_DATE, until - dt.timedelta(days=DEFAULT_DAYS - 1))
        if since > until:
            message = f"since ({since.isoformat()}) is after until ({until.isoformat()})."
            # Either may be the wrong one: both are marked on the filter bar.
            self.add_error("since", message)
            self.add_error("until", message)
            return data
        if bucket_count(since=since, until=until, interval=data["interval"]) > MAX_BUCKETS:
            self.add_error(
                "interval",
                f"{since.isoformat()}..{until.isoformat()} has more than {MAX_BUCKETS} "
                f"{data['interval']}s; choose a longer interval or a shorter period.",
            )
            return data
        data["since"], data["until"] = since, until
        try:
            data["resolved"] = self._repositories(data.get("repo") or [], data.get("org") or "")
        except forms.ValidationError as error:
            # The error's code names the field at fault (repo or org).
            self.add_error(error.code, error)
        return data

    def _repositories(self, names: list[str], org: str) -> list[tuple[int, str]]:
        """(id, full_name) of the chosen repositories; all tracked ones when none chosen."""
        queryset = Repository.objects.annotate(lower_name=Lower("full_name"))
        if names:
            wanted = {name.lower(): name for name in names}
            found = list(
                queryset.filter(lower_name__in=wanted).values_list("id", "full_name", "lower_name")
            )
            missing = sorted(set(wanted) - {row[2] for row in found})
            if missing:
                raise forms.ValidationError(
                    "unknown repository: "
                    + ", ".join(wanted[name] for name in missing)
                    + " (Pulse has no data for it; check the spelling or track it first).",
                    code="repo",
                )
            chosen = [(row[0], row[1]) for row in found]
            if org:
                chosen = [(i, n) for i, n in chosen if n.lower().startswith(org.lower() + "/")]
                if not chosen:
                    raise forms.ValidationError(
                        f"none of the chosen repositories belongs to org {org}; "
                        "choose repositories of that org, or leave org out.",
                        code="org",
                    )
            return sorted(chosen, key=lambda pair: pair[1].lower())
        if org:
            chosen = list(
                queryset.filter(owner_login__iexact=org)
                .order_by("full_name")
                .values_list("id", "full_name")
            )
            if not chosen:
                raise forms.ValidationError(
                    f"unknown org: {org} (no repository of it has been ingested).", code="org"
                )
            return chosen
        return list(tracked_repositories())

    def problems(self) -> list[str]:
        """Every validation error as a plain sentence (once, though it may mark two fields)."""
        messages = []
        for errors in self.errors.values():
            messages.extend(str(error) for error in errors if str(error) not in messages)
        return messages

    def field_errors(self) -> dict[str, str]:
        """The fields at fault and what is wrong with each, for marking them on the bar."""
        return {
            name: " ".join(str(error) for error in errors)
            for name, errors in self.errors.items()
            if name != NON_FIELD_ERRORS
        }

    def filters(self) -> Filters:
        data = self.cleaned_data
        resolved = data["resolved"]
        params = {
            "repo": [name for _, name in resolved] if data.get("repo") else [],
            "org": data.get("org") or "",
            "since": self.data.get("since", ""),
            "until": self.data.get("until", ""),
            "interval": self.data.get("interval", ""),
            "kind": self.data.get("kind", ""),
            "coauthors": self.data.get("coauthors", ""),
            "stack": self.data.get("stack", ""),
        }
        return Filters(
            repository_ids=tuple(i for i, _ in resolved),
            repositories=tuple(n for _, n in resolved),
            since=data["since"],
            until=data["until"],
            interval=data["interval"],
            narrowed=bool(data.get("repo") or data.get("org")),
            org=data.get("org") or "",
            kind=data["kind"],
            co_authors=data["coauthors"],
            stack=data["stack"],
            params=params,
        )

    @property
    def output_format(self) -> str:
        return self.cleaned_data.get("format", "html")


@cached_in_scope
def tracked_repositories() -> list[tuple[int, str]]:
    """(id, full name) of every tracked repository, by name; read once per request (the
    filters and the filter bar's project picker both need them)."""
    return list(
        Repository.objects.filter(tracked=True).order_by("full_name").values_list("id", "full_name")
    )
