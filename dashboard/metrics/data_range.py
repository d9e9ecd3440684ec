"""The first day Pulse holds data for, the start of the filters' "All time" range."""

import datetime as dt

from django.db.models import Min

from ..models import MonthlyCount
from .cached import cached_until_rebuild


@cached_until_rebuild
def first_data_month() -> dt.date | None:
    """The first day of the earliest month with any contribution or closure, None when
    nothing has been ingested yet (monthly rows are few, so this scan stays short)."""
    return MonthlyCount.objects.aggregate(first=Min("month"))["first"]
