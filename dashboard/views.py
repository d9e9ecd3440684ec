"""Dashboard views: validate filters with the form, build the page, render or export.

`page_response(request, build=…, **path_kwargs)` is the one path every page takes: the
FilterForm validates the query string (400 page listing what is wrong), the builder returns a
`dashboard.pages.base.Page` (or raises Http404), and the Page is rendered as HTML, streamed as
CSV (`?format=csv[&table=ID]`) or JSON (`?format=json`).
"""

import functools
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import condition, require_POST, require_safe
from kombu.exceptions import KombuError

from ingest import tasks as ingest_tasks
from ingest.models import Repository

from .definitions.buckets import INTERVALS
from .definitions.weeks import WeekError, iso_week_parse, last_complete_week
from .docs import metrics_docs_render
from .exports import csv_response, json_response
from .forms import FULL_NAME, FilterForm, Filters, tracked_repositories
from .metrics.ingest_status import running_syncs, sync_scopes
from .pages import PAGES
from .pages.digest import DOCS_URL as DIGEST_DOCS_URL
from .pages.digest import weekly_digest_for
from .pages.digest_render import digest_markdown
from .pages.filter_sets import export_period, filter_bar, filter_set
from .pages.health import badge_stamp, health_badge
from .pages.nomination import nomination_evidence_for
from .pages.nomination_render import nomination_markdown

# GitHub logins: letters, digits and single hyphens (apps end in "[bot]").
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
DOCS = Path(settings.BASE_DIR) / "docs" / "metrics.md"


def _tracked_repositories() -> list[str]:
    return [name for _, name in tracked_repositories()]


def _filter_bar(request: HttpRequest, **kwargs) -> dict | None:
    """The page's filter bar (dashboard.pages.filter_sets), None for a page without one."""
    match = request.resolver_match
    page = match.url_name if match else ""
    if not filter_set(page):
        return None
    kwargs.setdefault("repositories", _tracked_repositories())
    owner, name = (match.kwargs.get("owner"), match.kwargs.get("name")) if match else (None, None)
    return filter_bar(
        page=page,
        path=request.path,
        params=request.GET,
        today=timezone.now().date(),
        project=f"{owner}/{name}" if owner and name else "",
        **kwargs,
    )


def _bad_request(
    request: HttpRequest, problems: list[str], *, errors: dict[str, str] | None = None
) -> HttpResponse:
    """The 400 page: what is wrong, above the page's filter bar with the wrong fields marked
    and the values as given, so they can be corrected in place."""
    context = {"problems": problems, "bar": _filter_bar(request, errors=errors or {})}
    return render(request, "dashboard/bad_request.html", context, status=400)


def _link(request: HttpRequest, **changes) -> str:
    """This page's URL with some query parameters replaced (None removes one)."""
    params = {key: request.GET.getlist(key) for key in request.GET}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [value]
    return request.path + ("?" + urlencode(params, doseq=True) if params else "")


def _meta(page, filters: Filters) -> dict:
    return {
        "page": page.name,
        "title": page.title,
        "filters": {
            "repositories": list(filters.repositories),
            "org": filters.org,
            "since": filters.since.isoformat(),
            "until": filters.until.isoformat(),
            "interval": filters.interval,
            "kind": filters.kind,
            "co_authors": filters.co_authors,
        },
        "charts": {chart.id: {"title": chart.title, **chart.spec} for chart in page.chart_items()},
    }


def page_response(request: HttpRequest, *, build, **path_kwargs) -> HttpResponse:
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form.problems(), errors=form.field_errors())
    filters = form.filters()
    page = build(filters=filters, **path_kwargs)
    fmt = form.output_format
    table_id = form.cleaned_data.get("table") or None
    table = page.table(table_id)
    if fmt in ("csv", "json") and table is None:
        known = ", ".join(t.id for t in page.tables)
        return _bad_request(request, [f"table {table_id!r} is not one of {known}."])
    if fmt == "csv":
        suffix = f"-{table.id}" if table is not page.tables[0] else ""
        return csv_response(
            name=page.name + suffix,
            columns=table.header(),
            rows=table.export_rows(),
            period=export_period(
                page_key=request.resolver_match.url_name if request.resolver_match else "",
                page=page,
                filters=filters,
            ),
        )
    if fmt == "json":
        meta = _meta(page, filters)
        meta["table"] = table.id
        return json_response(meta=meta, columns=table.header(), rows=table.export_rows())
    tables = []
    for t in page.tables:
        rows, more = t.html_rows()
        tables.append(
            {
                "table": t,
                "rows": rows,
                "more": more,
                "more_note": more if isinstance(more, str) else "",
                "csv_url": _link(request, format="csv", table=t.id),
            }
        )
    context = {
        "page": page,
        "filters": filters,
        "form": form,
        "tables": tables,
        "csv_url": _link(request, format="csv", table=None),
        "json_url": _link(request, format="json", table=None),
        "intervals": INTERVALS,
        "bar": _filter_bar(request, filters=filters, week=page.context.get("week", "")),
        **page.context,
    }
    return render(request, page.template, context)


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return page_response(request, build=PAGES["overview"])


@require_safe
def activity(request: HttpRequest) -> HttpResponse:
    return page_response(request, build=PAGES["activity"])


@require_safe
def newcomers(request: HttpRequest) -> HttpResponse:
    return page_response(request, build=PAGES["newcomers"])


@require_safe
def committers(request: HttpRequest) -> HttpResponse:
    """Roles, promotions and candidates; `until` is an as-of day (dashboard.pages.committers)."""
    return page_response(request, build=PAGES["committers"])


@require_safe
def risks(request: HttpRequest) -> HttpResponse:
    """Absence and elephant factors, review load (dashboard.pages.risks)."""
    return page_response(request, build=PAGES["risks"])


@require_safe
def digest(request: HttpRequest) -> HttpResponse:
    """The weekly digest (dashboard.pages.digest): `week=YYYY-Www`, default the last complete
    week; `format=md` gives its Markdown."""
    today = timezone.now().date()
    raw_week = request.GET.get("week", "").strip()
    try:
        monday = iso_week_parse(raw_week, today=today) if raw_week else last_complete_week(today)
    except WeekError as error:
        return _bad_request(request, [str(error)], errors={"week": str(error)})
    if request.GET.get("format") == "md":
        form = FilterForm(_without(request.GET, "format"))
        if not form.is_valid():
            return _bad_request(request, form.problems(), errors=form.field_errors())
        digest = weekly_digest_for(filters=form.filters(), monday=monday)
        return _markdown_response(digest_markdown(digest, docs_url=DIGEST_DOCS_URL))

    def build(*, filters: Filters):
        page = PAGES["digest"](filters=filters, monday=monday)
        following = monday + timedelta(days=7)
        page.context.update(
            markdown_url=_link(request, format="md", table=None),
            previous_url=_link(request, week=page.context["previous_week"]),
            next_url=_link(request, week=page.context["next_week"]) if following <= today else "",
        )
        return page

    return page_response(request, build=build)


@require_safe
def nomination(request: HttpRequest) -> HttpResponse:
    """A promotion candidate's nomination draft (dashboard.pages.nomination): `repo` and
    `login` name the candidate, `since`/`until` as on the committers page; `format=md` gives
    the Markdown alone."""
    repo, login = request.GET.get("repo", "").strip(), request.GET.get("login", "").strip()
    if not FULL_NAME.match(repo) or not LOGIN.match(login):
        raise Http404("Name a candidate: ?repo=owner/name&login=their-login.")
    repository = Repository.objects.filter(full_name__iexact=repo).values_list("pk", flat=True)
    repository_id = repository.first()
    if repository_id is None:
        raise Http404("Pulse has no data for that repository.")
    if request.GET.get("format") == "md":
        form = FilterForm(_without(request.GET, "format"))
        if not form.is_valid():
            return _bad_request(request, form.problems(), errors=form.field_errors())
        evidence = nomination_evidence_for(
            filters=form.filters(), repository_id=repository_id, login=login
        )
        return _markdown_response(nomination_markdown(evidence))

    def build(*, filters: Filters):
        page = PAGES["nomination"](filters=filters, repository_id=repository_id, login=login)
        page.context.update(
            markdown_url=_link(request, format="md", table=None),
            committers_url=_link(request, login=None, format=None, table=None).replace(
                request.path, "/committers/", 1
            ),
        )
        return page

    return page_response(request, build=build)


def _without(query, key: str):
    """A copy of a query dict without one parameter."""
    copy = query.copy()
    copy.pop(key, None)
    return copy


def _markdown_response(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/markdown; charset=utf-8")


@require_safe
def project(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    if not FULL_NAME.match(f"{owner}/{name}"):
        raise Http404("That is not a repository name (owner/name).")
    chosen = _other_project(request, f"{owner}/{name}")
    if chosen:
        # The project picker: another project chosen here opens that project's page, with
        # the same period (the form checks the name like any repo filter).
        return redirect(_link(request, repo=None).replace(request.path, f"/projects/{chosen}/", 1))
    return page_response(request, build=PAGES["project"], owner=owner, name=name)


def _other_project(request: HttpRequest, current: str) -> str:
    """The tracked project the picker chose, when it is not this page's."""
    for name in request.GET.getlist("repo"):
        name = name.strip().strip("/")
        if FULL_NAME.match(name) and name.lower() != current.lower():
            found = Repository.objects.filter(full_name__iexact=name).values_list(
                "full_name", flat=True
            )
            return found.first() or ""
    return ""


@require_safe
def person(request: HttpRequest, login: str) -> HttpResponse:
    if not LOGIN.match(login):
        raise Http404("That is not a GitHub login.")
    return page_response(request, build=PAGES["person"], login=login)


# Ingest's error messages name repositories, hosts and what GitHub refused: staff only.
STAFF_ONLY_COLUMNS = {"runs": {"problems"}}


@require_safe
def ingest_status(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff:
        return page_response(request, build=PAGES["ingest"])

    def without_error_details(*, filters: Filters):
        page = PAGES["ingest"](filters=filters)
        for table in page.tables:
            hidden = STAFF_ONLY_COLUMNS.get(table.id, set())
            if hidden & {column.key for column in table.columns}:
                table.columns = [c for c in table.columns if c.key not in hidden]
                table.note = " ".join(
                    part
                    for part in (table.note, "What went wrong is shown to staff: log in.")
                    if part
                )
        return page

    return page_response(request, build=without_error_details)


@require_POST
def ingest_sync(request: HttpRequest) -> HttpResponse:
    """Sync now (staff): queue the Celery sync of one tracked scope (`scope=org:login` or
    `owner/name`) or of everything (`scope=all`) once this request's transaction commits,
    then back to the ingest page with a message."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("ingest"))
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can start a sync.")
    scope = request.POST.get("scope", "").strip()
    if scope == "all":
        task, args, what = ingest_tasks.sync_all, [], "every tracked organisation and repository"
    elif scope in sync_scopes():
        if scope.startswith("org:"):
            task, args = ingest_tasks.sync_organization, [scope.removeprefix("org:")]
        else:
            task, args = ingest_tasks.sync_repository, [scope]
        what = scope
    else:
        raise Http404("Pulse does not track that organisation or repository.")
    failed: list[str] = []

    def enqueue() -> None:
        try:
            task.delay(*args)
        except (KombuError, OSError) as exc:  # the broker is down: say so, never a 500
            failed.append(type(exc).__name__)

    transaction.on_commit(enqueue)
    if failed:
        messages.error(
            request, f"The sync of {what} could not be queued: the task queue did not answer."
        )
    else:
        messages.success(
            request,
            f"A sync of {what} was queued; its progress shows here once a worker starts it.",
        )
    return redirect(reverse("ingest") + "#sync")


@require_safe
def ingest_progress(request: HttpRequest) -> JsonResponse:
    """The syncs running now and how far each is (static/js/ingest.js polls it)."""
    now = timezone.now()
    running = running_syncs(now=now)
    for row in running:
        for key in ("started_at", "rate_limit_reset"):
            row[key] = row[key].isoformat() if row[key] else None
    response = JsonResponse({"now": now.isoformat(), "running": running})
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def metrics_docs(request: HttpRequest) -> HttpResponse:
    """docs/metrics.md, the definitions every page links to, rendered with its contents."""
    if not DOCS.is_file():
        raise Http404("docs/metrics.md is missing from this installation.")
    docs = metrics_docs_render(path=DOCS)
    return render(request, "dashboard/docs.html", {"body": docs.html, "toc": docs.toc})


def _badge_repository(request: HttpRequest, owner: str, name: str) -> dict | None:
    """The badge's project (looked up once per request: the ETag and the view both ask)."""
    if not hasattr(request, "_badge_repository"):
        full_name = f"{owner}/{name}"
        request._badge_repository = (
            Repository.objects.filter(full_name__iexact=full_name).values("id", "full_name").first()
            if FULL_NAME.match(full_name)
            else None
        )
    return request._badge_repository


def _badge_etag(request: HttpRequest, owner: str, name: str) -> str | None:
    repository = _badge_repository(request, owner, name)
    return None if repository is None else badge_stamp(full_name=repository["full_name"])


def _cacheable_for_an_hour(view):
    """Cache-Control on the badge and on its 304s too (a cache renews its copy's age from
    the 304's headers; Django's `condition` sends a bare 304)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["Cache-Control"] = "public, max-age=3600"
        return response

    return wrapped


@require_safe
@_cacheable_for_an_hour
@condition(etag_func=_badge_etag)
def badge(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """A project's health badge (SVG, shields.io style), for READMEs: cached an hour by
    browsers and proxies, revalidated by ETag; an unknown project is a plain-text 404."""
    repository = _badge_repository(request, owner, name)
    if repository is None:
        return HttpResponseNotFound(
            "Pulse has no such project.\n", content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(
        health_badge(repository=repository), content_type="image/svg+xml; charset=utf-8"
    )
    # Opened on its own, an SVG is a document: it may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
