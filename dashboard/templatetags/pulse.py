"""Template helpers for generic tables: a cell's text, its link, and sparklines."""

import datetime as dt
import html
import re
from functools import lru_cache
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def cell(row: dict, column) -> str:
    """A cell as shown on the page (escaped by the template engine)."""
    value = row.get(column.key)
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        # Every time on a page says its zone: UTC, as stored (dates need none).
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if column.kind == "percent":
        return f"{value}%"
    return str(value)


@register.simple_tag
def cell_sort(row: dict, column) -> str:
    """The value charts.js sorts the column by (numbers and ISO dates sort as text)."""
    value = row.get(column.key)
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@lru_cache(maxsize=4)
def _web_hosts(api_url: str) -> frozenset[tuple[str, str]]:
    """(scheme, host) pairs links may point to: GitHub's web host for the configured API
    (api.github.com -> github.com; GHES https://host/api/v3 -> host) and github.com."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if host.startswith("api."):
        host = host[len("api.") :]
    hosts = {("https", "github.com"), ("https", host)}
    if parts.scheme == "http":  # a GitHub Enterprise Server (or the simulator) without TLS
        hosts.add(("http", host))
    return frozenset(hosts)


# Whitespace (any Unicode space, as str.isspace) and control characters; one regex search
# instead of a Python loop per character, since every linked cell of a page passes here.
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def link_target(url) -> str | None:
    """`url` if a table may link to it, else None (the cell is shown as text): one of our own
    pages (a path), or a page on GitHub's web host. Addresses come from GitHub's answers
    (`html_url`), so a `javascript:` or `data:` URL, or a link to any other site, never
    becomes a clickable href."""
    if not url or not isinstance(url, str):
        return None
    if _BLANK_OR_CONTROL.search(url):
        return None  # browsers drop tabs and newlines: "/\t/evil.example" would be "//evil…"
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return url if (parts.scheme.lower(), host) in _web_hosts(settings.GITHUB_API_URL) else None


@register.simple_tag
def cell_href(row: dict, column) -> str | None:
    if column.href is None:
        return None
    if callable(column.href):
        return link_target(column.href(row))
    return link_target(row.get(column.href))


@register.simple_tag
def sparkline(values) -> str:
    """A canvas charts.js draws a sparkline on; the numbers travel in a data attribute."""
    return format_html(
        '<canvas class="spark" width="120" height="28" data-values="{}" '
        'aria-label="monthly activity"></canvas>',
        ",".join(str(int(v or 0)) for v in values),
    )


@register.filter
def get_item(row: dict, key: str):
    return row.get(key)


@lru_cache(maxsize=64)
def _kind_class(kind: str) -> str:
    """A column kind as a class attribute (a handful of kinds, escaped once)."""
    return html.escape(kind)


def _escaped(value) -> str:
    """Django's conditional_escape without its lazy-string wrapper (a few µs a call, a few
    thousand calls a page): safe strings as they are, everything else through html.escape."""
    return str(value) if hasattr(value, "__html__") else html.escape(str(value))


@register.simple_tag
def row_cells(row: dict, columns) -> str:
    """A table row's cells, built here rather than by four template tags per cell (a page of
    a few hundred rows spent most of its rendering time resolving them); the same HTML."""
    cells = []
    for column in columns:
        if column.kind == "spark":
            cells.append(f'<td class="spark">{sparkline(row.get(column.key))}</td>')
            continue
        kind = _kind_class(column.kind)
        if column.href is None and row.get(column.key) in (None, ""):
            cells.append(f'<td class="{kind}" data-sort="">–</td>')  # an empty cell, as cell()
            continue
        href = cell_href(row, column)
        sort = _escaped(cell_sort(row, column))
        text = _escaped(cell(row, column))
        if href:
            cells.append(
                f'<td class="{kind}" data-sort="{sort}"><a href="{_escaped(href)}">{text}</a></td>'
            )
        else:
            cells.append(f'<td class="{kind}" data-sort="{sort}">{text}</td>')
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped
