"""What a page is made of: tables (one becomes the CSV) and charts, independent of format.

A page builder is `build(*, filters: Filters, **path_kwargs) -> Page`. The same Page is
rendered as HTML, streamed as CSV (`?format=csv`, the table named by `?table=`, else the
first) or as JSON (`?format=json`: filters, charts and the chosen table's rows).

A table's `rows` are dicts keyed by the columns' keys: a list, an iterator, a `.values()`
QuerySet (the page then fetches only the rows it shows, the CSV streams them all as tuples),
or a callable returning one of those, so that work a format does not need is never done.
A page's `charts` may likewise be a callable (a CSV needs no chart).
"""

import itertools
from dataclasses import dataclass, field

from django.db.models import QuerySet


@dataclass
class Column:
    key: str
    label: str
    # Where the cell links to: the key of another field of the row holding a URL, or a
    # callable(row) -> URL; None: plain text.
    href: object = None
    kind: str = "text"  # text | number | date | datetime | percent | hours | spark


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: object
    note: str = ""
    html_limit: int = 200  # the page shows this many rows; the CSV has all
    sortable: bool = True
    # Optional: a callable returning (rows, note) for the HTML instead of the first
    # `html_limit` rows, for a table whose full rows cost much more than the few a page can
    # show; the note (empty when nothing was left out) says what the CSV has beyond them.
    preview: object = None

    def header(self) -> list[tuple[str, str]]:
        return [(c.key, c.label) for c in self.columns if c.kind != "spark"]

    def _source(self):
        return self.rows() if callable(self.rows) else self.rows

    def html_rows(self) -> tuple[list[dict], bool | str]:
        """The rows for the page, and whether there were more (or the preview's note)."""
        if self.preview is not None:
            rows, note = self.preview()
            return list(rows), note
        source = self._source()
        if isinstance(source, QuerySet):
            taken = list(source[: self.html_limit + 1])
        else:
            taken = list(itertools.islice(iter(source), self.html_limit + 1))
        return taken[: self.html_limit], len(taken) > self.html_limit

    def export_rows(self):
        """Every row, lazily: tuples in header order from a QuerySet, else the dicts."""
        source = self._source()
        if isinstance(source, QuerySet):
            return source.values_list(*(key for key, _ in self.header())).iterator(chunk_size=2000)
        return iter(source)


@dataclass
class Chart:
    """A Chart.js chart: `spec` is `{"type", "labels", "datasets": [{"label", "data", …}],
    "stacked": bool, "y_title": str}`, drawn by static/js/charts.js. Optional spec keys (see
    dashboard/pages/charts.py): `partial` (indices of buckets the period or today cuts short),
    `links` (a URL per label, opened on click), a dataset's `colour` (a palette token).

    `empty_reason` says why there is nothing to draw (not ingested yet, or no data for the
    period); the page shows it instead of an empty canvas, and the JSON carries it."""

    id: str
    title: str
    spec: dict
    note: str = ""
    empty_reason: str = ""

    def __post_init__(self) -> None:
        if self.empty_reason:
            self.spec = {**self.spec, "empty_reason": self.empty_reason}


@dataclass
class Page:
    name: str  # export name: URL-less, used for filenames and `manage.py export NAME`
    title: str
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    template: str = "dashboard/page.html"
    context: dict = field(default_factory=dict)
    intro: str = ""
    docs_anchor: str = ""

    def chart_items(self) -> list[Chart]:
        if callable(self.charts):
            self.charts = self.charts()
        return self.charts

    def table(self, table_id: str | None) -> Table | None:
        if not table_id:
            return self.tables[0] if self.tables else None
        return next((t for t in self.tables if t.id == table_id), None)
