"""The weekly digest (/digest/, manage.py digest, the weekly e-mail) on a hand-made world.

The week is 2024-W05: Monday 2024-01-29 to Sunday 2024-02-04 (its end: 2024-02-05 00:00 UTC).

- sofastack/sofa-rpc starts on 2023-01-15 with maint's pull request; maint merges from then on
  (a founder: Committer from the start, no role change in the week).
- newbie1 opens #101 on 2024-01-30, merged 2024-02-01: new, first merged work #101.
- newbie5 opens #102 on 2024-02-01 (closed unmerged), then #103 on 2024-02-02, merged
  2024-02-03: new, first merged work #103.
- newbie4 opens #104 on 2024-01-31, still open: new, nothing merged (and waiting for review).
- early opened #90 on 2024-01-28 (Sunday before): not new this week. late opens #120 on
  2024-02-05 (Monday after): not new either.
- newbie3 authors a commit to sofastack/sofa-boot on 2024-01-31: new, the commit is the work.
- A person without an account (git name "Zhang San", an e-mail of corp-mail.cn) commits to
  sofa-boot on 2024-02-02: new, shown by name, never by address.
- old contributed in 2023; his #105 (opened 2024-01-29) is merged by riser on 2024-02-02.
- riser (pull requests since 2023-03) merges for the first time on 2024-02-02: promoted to
  Committer on sofa-rpc from that day.
- mosn/mosn: maint's #7 merged 2024-01-29 00:00 (in) and #8 merged 2024-02-05 00:00 (out);
  old opens his first mosn pull request #9 on 2024-02-01 (new to mosn/mosn, not to the
  community); newbie2 opens #10 on 2024-02-03 (new, waiting for review).
- dependabot[bot]'s #106 merged 2024-01-30: one pull request by bots besides.
- Waiting for a review at the week's end, oldest first: #50 (2023-09-15, merged only
  2024-02-07), #51 (2023-10-01, reviewed only 2024-02-10), #52 (2023-11-01), mosn #53
  (2023-12-01, reviewed by its own author only), mosn #8 (2024-01-21: merged at the very
  end, 2024-02-05 00:00), #104 (2024-01-31), mosn #9 (2024-02-01), mosn #10 (2024-02-03). Not waiting: #60 (reviewed 2024-01-02), #61 (a draft), #62 (closed
  2024-01-10), #63 (a bot's), #120 (opened after the week).
"""

import io
import re
import socket
import subprocess
import sys
from html import unescape

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.digest import weekly_digest
from dashboard.pages.digest_render import digest_html, digest_markdown
from dashboard.tasks import send_weekly_digest
from ingest.models import Commit
from tests.conftest import ROOT
from tests.factories import actor, at, commit, pull_request, repository, review

pytestmark = pytest.mark.django_db
WEEK = "2024-W05"
RPC = "https://github.com/sofastack/sofa-rpc"
MOSN = "https://github.com/mosn/mosn"


@pytest.fixture
def world():
    rpc = repository("sofastack/sofa-rpc")
    boot = repository("sofastack/sofa-boot")
    mosn = repository("mosn/mosn")
    people = {
        login: actor(login)
        for login in (
            "maint",
            "newbie1",
            "newbie2",
            "newbie3",
            "newbie4",
            "newbie5",
            "early",
            "late",
            "old",
            "riser",
            "dependabot[bot]",
        )
    }
    maint, old, riser, bot = (
        people["maint"],
        people["old"],
        people["riser"],
        people["dependabot[bot]"],
    )

    def merged(repo, author, number, opened, merged_on, by=maint, **kw):
        return pull_request(
            repo, author, opened, number=number, merged=merged_on, merged_by=by, **kw
        )

    merged(rpc, maint, 1, "2023-01-15", "2023-01-15 12:00")
    merged(rpc, old, 2, "2023-02-01", "2023-02-02")
    merged(rpc, riser, 3, "2023-03-01", "2023-03-02")
    merged(rpc, riser, 4, "2023-09-01", "2023-09-02")
    merged(boot, maint, 1, "2023-01-20", "2023-01-21")
    merged(mosn, maint, 1, "2023-01-20", "2023-01-21")
    # The week's work.
    merged(rpc, people["newbie1"], 101, "2024-01-30", "2024-02-01 10:00", title="Add retry")
    pull_request(rpc, people["newbie5"], "2024-02-01", number=102, closed="2024-02-01 18:00")
    merged(rpc, people["newbie5"], 103, "2024-02-02", "2024-02-03 09:00", title="Fix [NPE] *now*")
    pull_request(rpc, people["newbie4"], "2024-01-31", number=104, title="Support IPv6")
    merged(rpc, people["early"], 90, "2024-01-28", "2024-01-28 20:00")
    pull_request(rpc, people["late"], "2024-02-05", number=120)
    merged(rpc, old, 105, "2024-01-29", "2024-02-02 15:00", by=riser, title="Tidy logs")
    merged(rpc, bot, 106, "2024-01-29", "2024-01-30")
    commit(boot, "2024-01-31 08:00", author=people["newbie3"])
    Commit.objects.create(
        repository=boot,
        sha="f" * 40,
        author_name="Zhang San",
        author_email="zhang.san@corp-mail.cn",
        author_key="git:0123456789abcdef",
        authored_at=at("2024-02-02 11:00"),
        committed_at=at("2024-02-02 11:00"),
        message_headline="Fix the starter",
    )
    merged(mosn, maint, 7, "2024-01-20", "2024-01-29 00:00", title="Start of the week")
    merged(mosn, maint, 8, "2024-01-21", "2024-02-05 00:00", title="End of the week")
    pull_request(mosn, old, "2024-02-01", number=9, title="Old hand, new project")
    pull_request(mosn, people["newbie2"], "2024-02-03", number=10, title="First try")
    # Waiting (or not) for a review at the end of the week.
    merged(rpc, old, 50, "2023-09-15", "2024-02-07")
    review(pull_request(rpc, old, "2023-10-01", number=51), maint, "2024-02-10")
    pull_request(rpc, riser, "2023-11-01", number=52)
    review(pull_request(mosn, riser, "2023-12-01", number=53), riser, "2023-12-02")
    review(pull_request(rpc, old, "2023-09-01", number=60), maint, "2024-01-02")
    pull_request(rpc, old, "2023-08-01", number=61, draft=True)
    pull_request(rpc, old, "2023-08-15", number=62, closed="2024-01-10")
    pull_request(rpc, bot, "2023-07-01", number=63)
    derived_rebuild()
    return {"rpc": rpc, "boot": boot, "mosn": mosn}


def _links_markdown(text: str) -> list[tuple[str, str]]:
    return [
        (re.sub(r"\\(.)", r"\1", label), url)
        for label, url in re.findall(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)", text)
    ]


def _links_html(text: str) -> list[tuple[str, str]]:
    return [
        (unescape(label), unescape(url))
        for url, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', text, re.S)
    ]


def _text_markdown(text: str) -> str:
    """What a reader of the rendered Markdown sees, whitespace aside."""
    plain = re.sub(r"\]\([^)\s]+\)", "", text)  # link targets out
    plain = re.sub(r"^(#+ |- |\d+\. )", "", plain, flags=re.M)
    plain = re.sub(r"(?<!\\)\[", "", plain)  # link openings (an escaped one is text)
    return "".join(re.sub(r"\\(.)", r"\1", plain).split())


def _text_html(fragment: str) -> str:
    """What a reader of the HTML sees, whitespace aside (list numbers are the Markdown's)."""
    return "".join(unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_new_contributors_are_those_whose_first_pr_or_commit_is_in_the_week(world):
    digest = weekly_digest(
        repository_ids=[world["rpc"].pk, world["boot"].pk, world["mosn"].pk],
        narrowed=False,
        monday=at("2024-01-29").date(),
    )
    assert [(r["person"], r["project"]) for r in digest.new_contributors] == [
        ("newbie1", "sofastack/sofa-rpc"),
        ("newbie4", "sofastack/sofa-rpc"),
        ("newbie3", "sofastack/sofa-boot"),
        ("newbie5", "sofastack/sofa-rpc"),
        ("Zhang San", "sofastack/sofa-boot"),
        ("newbie2", "mosn/mosn"),
    ]
    first_work = {
        r["person"]: (r["merged_title"], r["merged_url"]) for r in digest.new_contributors
    }
    assert first_work["newbie1"] == ("#101 Add retry", f"{RPC}/pull/101")
    assert first_work["newbie5"] == ("#103 Fix [NPE] *now*", f"{RPC}/pull/103")
    assert first_work["newbie4"] == ("", "")
    assert first_work["newbie2"] == ("", "")
    assert first_work["Zhang San"] == (
        "Fix the starter",
        "https://github.com/sofastack/sofa-boot/commit/" + "f" * 40,
    )
    assert first_work["newbie3"][1].startswith("https://github.com/sofastack/sofa-boot/commit/")


def test_sections_on_the_page_in_order_with_the_weeks_content(client, world):
    response = client.get(f"/digest/?week={WEEK}")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "2024-01-29 to 2024-02-04" in html
    # Merged pull requests by project (people's only), in merge order within each.
    merged = html.split("<h2>Merged pull requests (4)</h2>", 1)[1].split("</section>", 1)[0]
    assert re.findall(r"<h3>(.*?)</h3>", merged) == ["mosn/mosn (1)", "sofastack/sofa-rpc (3)"]
    numbers = re.findall(r'<a href="https://github.com/([^"]+)/pull/(\d+)">', merged)
    assert numbers == [
        ("mosn/mosn", "7"),
        ("sofastack/sofa-rpc", "101"),
        ("sofastack/sofa-rpc", "105"),
        ("sofastack/sofa-rpc", "103"),
    ]
    assert "Besides these, 1 pull request by bots was merged." in merged
    # The role change: riser promoted with the evidence of his first merge.
    roles = html.split("<h2>Role changes (1)</h2>", 1)[1].split("</section>", 1)[0]
    assert "@riser on sofastack/sofa-rpc: no role → Committer (promoted, from 2024-02-02" in roles
    assert f'<a href="{RPC}/pull/105">first merge: #105</a>' in roles
    # The pull requests waiting longest, oldest first.
    waiting = html.split("<h2>Pull requests waiting longest for a review", 1)[1]
    waiting = waiting.split("</section>", 1)[0]
    assert re.findall(r'<a href="https://github.com/([^"]+)/pull/(\d+)">', waiting) == [
        ("sofastack/sofa-rpc", "50"),
        ("sofastack/sofa-rpc", "51"),
        ("sofastack/sofa-rpc", "52"),
        ("mosn/mosn", "53"),
        ("mosn/mosn", "8"),
        ("sofastack/sofa-rpc", "104"),
        ("mosn/mosn", "9"),
        ("mosn/mosn", "10"),
    ]
    assert "opened 2023-09-15, waiting 143 days" in waiting  # 2023-09-15 .. 2024-02-05


def test_merged_section_lists_exactly_the_weeks_pull_requests_by_people(world):
    digest = weekly_digest(
        repository_ids=[world["rpc"].pk, world["boot"].pk, world["mosn"].pk],
        narrowed=False,
        monday=at("2024-01-29").date(),
    )
    assert [
        (group["project"], [pr["number"] for pr in group["pull_requests"]])
        for group in digest.merged
    ] == [("mosn/mosn", [7]), ("sofastack/sofa-rpc", [101, 105, 103])]
    assert digest.merged_by_bots == 1
    assert [(r["login"], r["project"], r["change"]) for r in digest.role_changes] == [
        ("riser", "sofastack/sofa-rpc", "promoted")
    ]
    assert digest.waiting_total == 8


def test_a_repo_filter_makes_newcomers_new_to_that_project(client, world):
    markdown = client.get(f"/digest/?week={WEEK}&repo=mosn/mosn&format=md").content.decode()
    section = markdown.split("## New contributors (2)", 1)[1].split("##", 1)[0]
    assert "@old in mosn/mosn" in section and "@newbie2 in mosn/mosn" in section
    assert "sofa-rpc" not in markdown.split("## Pull requests waiting", 1)[1]
    assert "Projects: mosn/mosn (newcomers are new to each project)." in markdown
    # An org filter: sofastack's projects only.
    org = client.get(f"/digest/?week={WEEK}&org=sofastack&format=md").content.decode()
    assert "mosn/mosn" not in org and "@newbie1 in sofastack/sofa-rpc" in org


def test_html_markdown_and_command_say_the_same(client, world):
    html = client.get(f"/digest/?week={WEEK}").content.decode()
    fragment = html.split('<article class="digest">', 1)[1].split("</article>", 1)[0]
    markdown = client.get(f"/digest/?week={WEEK}&format=md")
    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    markdown = markdown.content.decode()
    assert _links_markdown(markdown) == _links_html(fragment)
    assert len(_links_markdown(markdown)) > 20
    # The page has its own heading; the rest is the same text.
    assert markdown.startswith("# Pulse weekly digest 2024-W05 (2024-01-29 to 2024-02-04)\n")
    assert _text_markdown(markdown.split("\n", 1)[1]) == _text_html(fragment)
    out = io.StringIO()
    call_command("digest", "--week", WEEK, stdout=out)
    # The command's Markdown is the page's without the page's link to the definitions.
    page_text = markdown.split("\nHow each section is chosen", 1)[0].rstrip() + "\n"
    assert out.getvalue() == page_text
    out = io.StringIO()
    call_command("digest", "--week", WEEK, "--format", "html", stdout=out)
    document = out.getvalue()
    assert document.startswith("<!doctype html>")
    assert _links_html(document) == [
        link for link in _links_html(fragment) if not link[1].startswith("/docs/")
    ]


def test_markdown_escapes_titles(world):
    digest = weekly_digest(
        repository_ids=[world["rpc"].pk], narrowed=True, monday=at("2024-01-29").date()
    )
    text = digest_markdown(digest)
    assert rf"[#103 Fix \[NPE\] \*now\*]({RPC}/pull/103)" in text
    assert "<em>" not in digest_html(digest)


def test_no_email_address_anywhere(client, world):
    outputs = [
        client.get(f"/digest/?week={WEEK}").content.decode(),
        client.get(f"/digest/?week={WEEK}&format=md").content.decode(),
    ]
    outputs += [
        b"".join(client.get(f"/digest/?week={WEEK}&format=json").streaming_content).decode(),
        b"".join(
            client.get(f"/digest/?week={WEEK}&format=csv&table=new-contributors").streaming_content
        ).decode(),
    ]
    for text in outputs:
        assert "corp-mail.cn" not in text and "zhang.san" not in text
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), re.search(
            r"[\w.+-]+@[\w-]+\.[\w.]+", text
        )
    assert "Zhang San" in outputs[1]


@pytest.mark.parametrize(
    ("week", "says"),
    [
        ("2024-5", "is not an ISO week written as YYYY-Www"),
        ("２０２４-W05", "is not an ISO week written as YYYY-Www"),
        ("2024-W05x", "is not an ISO week written as YYYY-Www"),
        ("2023-W53", "does not exist: 2023 has weeks 01 to 52"),
        ("2024-W00", "does not exist"),
        ("2999-W01", "has not started yet"),
        ("1969-W10", "before 1970"),
    ],
)
def test_a_bad_week_is_a_400_that_says_what_is_wrong(client, world, week, says):
    response = client.get(f"/digest/?week={week}")
    assert response.status_code == 400
    assert says in unescape(response.content.decode())
    assert client.get(f"/digest/?week={week}&format=md").status_code == 400


@pytest.mark.parametrize("fmt", ["", "&format=md", "&format=csv", "&format=json"])
def test_before_the_first_ingest_the_digest_has_nothing_to_show(client, fmt):
    response = client.get(f"/digest/?week={WEEK}{fmt}")
    assert response.status_code == 200
    if not fmt:
        assert "All 0 tracked projects" in response.content.decode()


def test_a_bad_filter_is_a_400(client, world):
    assert client.get(f"/digest/?week={WEEK}&repo=no/such").status_code == 400
    assert client.get(f"/digest/?week={WEEK}&format=md&org=nobody").status_code == 400


def test_default_week_is_the_last_complete_one(client, world):
    response = client.get("/digest/")
    assert response.status_code == 200
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    year, week, _ = last_monday.isocalendar()
    assert f"Weekly digest {year}-W{week:02d}" in response.content.decode()


def test_the_command_exits_2_on_a_bad_week_without_a_traceback(world, tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "digest", "--week", "2024-W60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "week '2024-W60' does not exist: 2024 has weeks 01 to 52." in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_writes_a_file(world, tmp_path):
    target = tmp_path / "digest.md"
    call_command("digest", "--week", WEEK, "--output", str(target), stderr=io.StringIO())
    assert target.read_text().startswith(
        "# Pulse weekly digest 2024-W05 (2024-01-29 to 2024-02-04)"
    )


def test_flags_raised_in_the_week_are_listed_with_their_evidence(client, world):
    # A new account's five typo pull requests to sofa-rpc in 21 days: a flood (the project has
    # no trivial pull requests before: the floor of 5 applies), raised on the day of the fifth,
    # 2024-01-31, in the week. The same in mosn/mosn ends on 2024-01-26, in the week before.
    speedy, early = actor("speedy"), actor("earlybird")
    for n, day in enumerate(("2024-01-10", "2024-01-15", "2024-01-20", "2024-01-25", "2024-01-31")):
        pull_request(world["rpc"], speedy, day, number=300 + n, title="Fix typo in README.md")
    for n, day in enumerate(("2024-01-06", "2024-01-10", "2024-01-15", "2024-01-20", "2024-01-26")):
        pull_request(world["mosn"], early, day, number=300 + n, title="Fix typo in README.md")
    derived_rebuild()
    markdown = client.get(f"/digest/?week={WEEK}&format=md").content.decode()
    section = markdown.split("## New flags (1)\n", 1)[1]
    assert (
        "Trivial pull request flood (one account) on sofastack/sofa-rpc (@speedy), raised 2024-01-31"
        in section
    )
    assert "earlybird" not in section and "mosn/mosn" not in section
    assert "; evidence: " + ", ".join(f"[#{n}]({RPC}/pull/{n})" for n in range(300, 305)) in section
    assert "the flag detectors are not installed" not in markdown
    html = unescape(client.get(f"/digest/?week={WEEK}").content.decode())
    assert "<h2>New flags (1)</h2>" in html
    rows = b"".join(
        client.get(f"/digest/?week={WEEK}&format=csv&table=flags").streaming_content
    ).decode()
    assert "sofastack/sofa-rpc,Trivial pull request flood (one account),speedy,2024-01-31" in rows
    # The week before has mosn's flood only.
    before = client.get("/digest/?week=2024-W04&format=md").content.decode()
    assert "## New flags (1)" in before and "@earlybird" in before


# -- e-mail -----------------------------------------------------------------------------------


def test_without_recipients_the_task_sends_nothing(world, settings):
    settings.PULSE_DIGEST_TO = []
    assert send_weekly_digest.apply(kwargs={"week": WEEK}).get() == 0
    assert mail.outbox == []


def test_no_beat_entry_without_recipients():
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"}
    code = "import django;django.setup();from django.conf import settings as s;print(sorted(s.CELERY_BEAT_SCHEDULE))"
    without = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "weekly-digest" not in without.stdout, without.stderr
    with_to = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "PULSE_DIGEST_TO": "team@example.org"},
        capture_output=True,
        text=True,
    )
    assert "weekly-digest" in with_to.stdout, with_to.stderr


@pytest.fixture
def smtp_sink():
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it is given."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.envelopes
    finally:
        controller.stop()


def test_the_task_mails_the_digest_through_smtp(world, settings, smtp_sink):
    import email
    from email import policy

    port, received = smtp_sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.PULSE_DIGEST_TO = ["community@example.org", "leads@example.org"]
    settings.DEFAULT_FROM_EMAIL = "pulse@example.org"
    assert send_weekly_digest.apply(kwargs={"week": WEEK, "org": "sofastack"}).get() == 1
    assert len(received) == 1
    envelope = received[0]
    assert sorted(envelope.rcpt_tos) == ["community@example.org", "leads@example.org"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Pulse weekly digest 2024-W05"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("# Pulse weekly digest 2024-W05 (2024-01-29 to 2024-02-04)")
    assert f"[#101 Add retry]({RPC}/pull/101)" in text
    assert "@riser on sofastack/sofa-rpc: no role → Committer" in text
    assert f'<a href="{RPC}/pull/101">#101 Add retry</a>' in html
    assert "mosn/mosn" not in text  # the org filter
    assert "corp-mail.cn" not in text and "corp-mail.cn" not in html


def test_the_command_sends_with_send(world, settings, smtp_sink):
    port, received = smtp_sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.PULSE_DIGEST_TO = ["community@example.org"]
    out, err = io.StringIO(), io.StringIO()
    call_command("digest", "--week", WEEK, "--send", stdout=out, stderr=err)
    assert "digest 2024-W05 e-mailed to 1 recipient(s)" in err.getvalue()
    assert len(received) == 1 and received[0].rcpt_tos == ["community@example.org"]
    settings.PULSE_DIGEST_TO = []
    with pytest.raises(CommandError, match="--send needs PULSE_DIGEST_TO") as raised:
        call_command("digest", "--week", WEEK, "--send", stdout=out, stderr=err)
    assert raised.value.returncode == 2
