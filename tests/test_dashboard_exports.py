"""CSV/JSON exports: cells a spreadsheet would run are neutralised, dates are ISO, rows stream."""

import csv
import datetime as dt
import io
import json

import pytest

from dashboard.exports import ROWS_PER_CHUNK, csv_lines, csv_response, json_response

COLUMNS = [("name", "Name"), ("when", "When"), ("day", "Day"), ("n", "Count")]


def parse(lines) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


@pytest.mark.parametrize(
    "dangerous", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")']
)
def test_cells_that_start_a_formula_are_prefixed(dangerous):
    rows = parse(csv_lines(columns=COLUMNS, rows=[{"name": dangerous}]))
    assert rows[1][0] == "'" + dangerous


def test_plain_text_numbers_and_dates_are_written_as_they_are():
    when = dt.datetime(2024, 3, 5, 10, 30, 15, 999, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = parse(
        csv_lines(
            columns=COLUMNS,
            rows=[
                {
                    "name": 'Zoë, "the" maintainer',
                    "when": when,
                    "day": dt.date(2024, 3, 5),
                    "n": -3,
                },
                {"name": None, "when": None, "day": None, "n": 1.5},
            ],
        )
    )
    assert rows[0] == ["Name", "When", "Day", "Count"]
    assert rows[1] == ['Zoë, "the" maintainer', "2024-03-05T02:30:15Z", "2024-03-05", "-3"]
    assert rows[2] == ["", "", "", "1.5"]


def test_csv_response_streams_rows_a_chunk_at_a_time():
    pulled = []

    def rows():
        for index in range(2500):
            pulled.append(index)
            yield {"name": f"row {index}"}

    response = csv_response(name="newcomers", columns=COLUMNS, rows=rows())
    assert pulled == []  # nothing is read before the response is iterated
    chunks = iter(response.streaming_content)
    next(chunks)  # header
    assert pulled == []
    first = next(chunks).decode()
    assert len(pulled) == ROWS_PER_CHUNK < 2500  # never the whole table in memory
    assert first.count("\n") == ROWS_PER_CHUNK
    assert sum(chunk.count(b"\n") for chunk in chunks) == 2500 - ROWS_PER_CHUNK
    assert response["Content-Disposition"].startswith('attachment; filename="pulse-newcomers-')
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_json_response_is_valid_json_with_meta_and_rows():
    response = json_response(
        meta={"page": "x", "charts": {}},
        columns=COLUMNS,
        rows=iter([{"name": "a", "day": dt.date(2024, 1, 1), "n": 2}]),
    )
    data = json.loads(b"".join(response.streaming_content))
    assert data == {
        "page": "x",
        "charts": {},
        "rows": [{"name": "a", "when": None, "day": "2024-01-01", "n": 2}],
    }
