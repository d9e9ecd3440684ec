"""Stream a page's table as CSV or JSON, from the same rows the page shows.

CSV: UTF-8, header row, ISO dates, one row per entity or interval; a cell beginning with
`=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe so a spreadsheet shows
it as text instead of running it as a formula (OWASP "CSV injection"). Numbers are written as
numbers (a negative change stays `-3`). Rows are pulled lazily from the selector's iterator,
so memory stays flat however large the table. The filename carries the page (and table) and
the period it counts (`pulse-activity-2025-01-01_2025-12-31.csv`); a page without a period
(ingest) carries the day it was downloaded.
"""

import csv
import datetime as dt
import io
import json
import operator
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


_UTC = dt.UTC


def cell_text(value) -> str | int | float:
    """A value as it goes into a CSV cell (type checks ordered by frequency: this runs once
    per cell of exports with millions of cells)."""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if kind is int or kind is float:
        return value
    if kind is dt.datetime:
        if value.utcoffset() or value.tzinfo is None:
            value = value.astimezone(_UTC)
        return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    if kind is bool:
        return "true" if value else "false"
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, Decimal):
        return value
    return cell_text(str(value))


def json_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


_FORMULA_FIRST = frozenset(prefix[0] for prefix in FORMULA_PREFIXES)
ROWS_PER_CHUNK = 1000


def _text_cell(value):
    if type(value) is not str:
        return cell_text(value)
    return "'" + value if value[:1] in _FORMULA_FIRST else value


def _converter(sample):
    """The cell converter for a column, picked from its first value: a fast path for text
    (the common case) that falls back to `cell_text` for anything else."""
    return _text_cell if type(sample) is str else cell_text


def csv_lines(*, columns: list[tuple[str, str]], rows: Iterable) -> Iterator[str]:
    """The CSV text in chunks of ROWS_PER_CHUNK rows: a header of labels, then each row's
    cells in column order. Rows are pulled one chunk at a time (memory stays flat)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in columns])
    yield buffer.getvalue()
    keys = [key for key, _ in columns]
    pick = operator.itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    converters = None
    batch = []
    for row in rows:
        if type(row) is tuple:  # already in column order (QuerySet.values_list)
            values = row
        else:
            try:
                values = pick(row)
            except KeyError:  # a row without some column: those cells stay empty
                values = tuple(row.get(key) for key in keys)
        if converters is None:
            converters = [_converter(value) for value in values]
        batch.append([convert(value) for convert, value in zip(converters, values, strict=True)])
        if len(batch) == ROWS_PER_CHUNK:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue()
    if batch:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue()


def csv_write(*, columns: list[tuple[str, str]], rows: Iterable, out: IO[str]) -> int:
    """Write the CSV to an open text file; returns the number of data rows."""
    counted = 0

    def counting(source):
        nonlocal counted
        for row in source:
            counted += 1
            yield row

    for chunk in csv_lines(columns=columns, rows=counting(rows)):
        out.write(chunk)
    return counted


def export_filename(*, name: str, extension: str, period: str = "") -> str:
    """`pulse-NAME-PERIOD.EXT`; without a period, the day of the download stands for it."""
    return f"pulse-{name}-{period or timezone.now().date().isoformat()}.{extension}"


def csv_response(
    *, name: str, columns: list[tuple[str, str]], rows: Iterable, period: str = ""
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(columns=columns, rows=rows), content_type="text/csv; charset=utf-8"
    )
    filename = export_filename(name=name, extension="csv", period=period)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json_chunks(*, meta: dict, columns: list[tuple[str, str]], rows: Iterable) -> Iterator[str]:
    head = json.dumps(meta, default=json_value, ensure_ascii=False)
    # Splice the streamed rows into the object: `{...meta, "rows": [ ... ]}`.
    yield head[:-1] + (", " if len(meta) else "") + '"rows": ['
    keys = [key for key, _ in columns]
    for index, row in enumerate(rows):
        if type(row) is tuple:
            row = dict(zip(keys, row, strict=True))
        item = {key: json_value(row.get(key)) for key in keys}
        yield ("," if index else "") + json.dumps(item, ensure_ascii=False)
    yield "]}"


def json_response(
    *, meta: dict, columns: list[tuple[str, str]], rows: Iterable
) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        _json_chunks(meta=meta, columns=columns, rows=rows),
        content_type="application/json; charset=utf-8",
    )
