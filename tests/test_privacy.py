"""No contributor's e-mail address on any page, CSV or JSON (docs/metrics.md, "Contributor"):
every page and every table export of two ingested worlds is read and searched for `@`
(exports) or an address (HTML, whose styles hold `@media`)."""

import datetime as dt
import html
import json
import re

import pytest
from django.core.management import call_command

from ingest.github.client import GitHubClient
from ingest.models import Actor, Repository
from ingest.simulator import GitHistoryWorld
from ingest.sync.community import community_sync

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CSV_LINK = re.compile(r'href="([^"]*format=csv[^"]*)"')
TODAY = dt.date.today().isoformat()
TOKEN = "ghp_" + "privacytesttoken0123456789abcdefghij"  # split: a fake token


def _pages(*, since: str, until: str) -> list[str]:
    period = f"since={since}&until={until}"
    project = Repository.objects.order_by("full_name").values_list("full_name", flat=True)[0]
    person = Actor.objects.filter(is_bot=False).order_by("login").values_list("login", flat=True)[0]
    return [
        f"/?{period}",
        f"/activity/?{period}",
        f"/newcomers/?{period}",
        f"/newcomers/?{period}&kind=any",
        f"/committers/?{period}",
        f"/projects/{project}/?{period}",
        f"/people/{person}/?{period}",
        f"/ingest/?{period}",
    ]


def _leaks(client, *, since: str, until: str) -> list[str]:
    found = []
    for path in _pages(since=since, until=until):
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.content.decode()
        found += [f"{path}: {m}" for m in ADDRESS.findall(text)]
        exports = {html.unescape(link) for link in CSV_LINK.findall(text)}
        exports.add(path + "&format=json")
        for url in sorted(exports):
            answer = client.get(url)
            assert answer.status_code == 200, url
            body = b"".join(answer.streaming_content).decode()
            if url.endswith("format=json"):
                json.loads(body)
            found += [f"{url}: …{body[max(0, i - 30) : i + 30]}…" for i in _ats(body)]
    return found


def _ats(text: str) -> list[int]:
    return [m.start() for m in re.finditer("@", text)]


def test_no_email_address_in_any_page_or_export_of_the_demo_world(client):
    call_command("demo", seed=3, scale="small", stdout=open("/dev/null", "w"))
    leaks = _leaks(client, since="2015-01-01", until=TODAY)
    assert leaks == [], "\n".join(leaks[:10])


def test_no_email_address_in_any_page_or_export_of_the_real_git_history(
    client, shared_data, github_sim
):
    folder = shared_data / "sofastack-git"
    world = GitHistoryWorld(sorted(folder.glob("*.jsonl"))).build()
    sim = github_sim(world, tokens=[TOKEN])
    github = GitHubClient(base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05)
    summary = community_sync(client=github, orgs=["sofastack"], repos=[], full=True)
    assert not summary.errors, summary.errors
    call_command("rebuild_derived", stdout=open("/dev/null", "w"))
    leaks = _leaks(client, since="2010-01-01", until=TODAY)
    assert leaks == [], "\n".join(leaks[:10])
