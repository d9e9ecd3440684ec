"""ISO weeks as the weekly digest names them: `YYYY-Www` (Monday to Sunday, UTC).

`iso_week_parse("2024-W05")` gives the week's Monday or raises `WeekError` with a sentence
saying what is wrong; `last_complete_week(today)` is the default digest week.
"""

import datetime as dt
import re

WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
EARLIEST_YEAR = 1970


class WeekError(ValueError):
    """A week that cannot be read, with the reason in plain words."""


def iso_week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_parse(text: str, *, today: dt.date) -> dt.date:
    """The Monday of ISO week `text` (`YYYY-Www`); a week that has not started yet is refused."""
    match = WEEK.fullmatch(text.strip())
    if not match:
        raise WeekError(f"week {text!r} is not an ISO week written as YYYY-Www (e.g. 2024-W05).")
    year, week = int(match.group(1)), int(match.group(2))
    if year < EARLIEST_YEAR:
        raise WeekError(f"week {text!r} is before {EARLIEST_YEAR}: Pulse holds nothing that old.")
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
        raise WeekError(f"week {text!r} does not exist: {year} has weeks 01 to {weeks}.") from None
    if monday > today:
        raise WeekError(
            f"week {text!r} has not started yet (today is {today.isoformat()}, "
            f"in {iso_week_label(today)})."
        )
    return monday


def last_complete_week(today: dt.date) -> dt.date:
    """The Monday of the last week that has ended before `today`."""
    return today - dt.timedelta(days=today.weekday() + 7)


def week_bounds(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The week's first instant and the instant after its last (UTC)."""
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=7)
