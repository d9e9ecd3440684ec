"""Page definitions: which selectors, tables and charts make up each page.

`PAGES` maps an export name to a builder `build(*, filters, **path_kwargs) -> Page`
(see `dashboard.pages.base`). `dashboard.views.page_response` turns any Page into HTML,
CSV or JSON with the same filters, and `manage.py export NAME` writes the same CSV.
To add a page (e.g. committers): write a builder returning a Page, register it here,
and route a view that calls `page_response(request, build=…)`.
"""

from .activity import activity_page
from .committers import committers_page
from .digest import digest_page
from .ingest import ingest_page
from .newcomers import newcomers_page
from .nomination import nomination_page
from .overview import overview_page
from .person import person_page
from .project import project_page
from .risks import risks_page

PAGES = {
    "overview": overview_page,
    "activity": activity_page,
    "newcomers": newcomers_page,
    "committers": committers_page,
    "digest": digest_page,
    "nomination": nomination_page,
    "project": project_page,
    "person": person_page,
    "ingest": ingest_page,
    "risks": risks_page,
}
