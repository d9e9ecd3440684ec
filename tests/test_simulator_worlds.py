"""The synthetic and git-history worlds: deterministic, shaped like a real community, served as GitHub."""

import json
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict

import pytest
import requests

from ingest.github.queries import COMMIT_HISTORY
from ingest.simulator import World
from ingest.simulator.git_history import GitHistoryWorld
from tests.conftest import SHARED_DATA


def table(world: World, sql: str, params=()) -> list[tuple]:
    return [tuple(row) for row in world.query(sql, params)]


def test_synthetic_world_is_deterministic_by_seed():
    first, again, other = (World.synthetic(seed=s) for s in (3, 3, 4))
    dump = "SELECT number, title, author_id, created_at, merged_at FROM issues ORDER BY id"
    assert table(first, dump) == table(again, dump)
    assert table(first, dump) != table(other, dump)


def test_synthetic_world_has_the_shape_the_dashboard_looks_for():
    world = World.synthetic(seed=1)
    repos = {r.full_name for r in world.repos()}
    assert {
        "sofastack/sofa-rpc",
        "sofastack/sofa-jraft",
        "sofastack/sofa-registry",
        "sofastack/sofa-boot",
        "sofastack/sofa-ark",
        "sofastack/sofa-bolt",
        "mosn/mosn",
        "mosn/layotto",
    } == repos
    items = world.query_one("SELECT count(*) FROM issues")[0]
    assert 1_500 <= items <= 3_000
    years = dict(table(world, "SELECT substr(created_at, 1, 4), count(*) FROM issues GROUP BY 1"))
    assert min(years) == "2018" and max(years) == "2026"
    # Heavy tail: most authors come once, the busiest few do a large share.
    per_author = [
        n for (n,) in table(world, "SELECT count(*) FROM issues GROUP BY author_id ORDER BY 1 DESC")
    ]
    assert sum(1 for n in per_author if n == 1) > len(per_author) / 2
    assert sum(per_author[:10]) > sum(per_author) / 4
    # Promotions: people who show COLLABORATOR/MEMBER only after a date, and approve from then on.
    promoted = table(
        world,
        "SELECT author_id, min(created_at) FROM issues WHERE author_association="
        "'COLLABORATOR' GROUP BY 1",
    )
    assert promoted
    for author_id, since in promoted:
        earlier = table(
            world,
            "SELECT DISTINCT author_association FROM issues WHERE author_id=? AND created_at < ?",
            (author_id, since),
        )
        assert ("MEMBER",) not in earlier and ("COLLABORATOR",) not in earlier
    owners = table(
        world,
        "SELECT f.content FROM files f JOIN repos r ON r.id=f.repo_id WHERE r.full_name="
        "'sofastack/sofa-rpc' ORDER BY seq",
    )
    assert len(owners) >= 2 and len(owners[-1][0]) > len(
        owners[0][0]
    )  # OWNERS grew with promotions
    # The governance file dates each promotion: a login added on day D approves only from D on,
    # and nobody reviews their own pull request.
    for full_name in ("sofastack/sofa-rpc", "mosn/mosn"):
        versions = table(
            world,
            "SELECT f.committed_at, f.content FROM files f JOIN repos r ON r.id=f.repo_id "
            "WHERE r.full_name=? ORDER BY seq",
            (full_name,),
        )
        listed = set(versions[0][1].decode().split())
        for committed_at, content in versions[1:]:
            added = set(content.decode().split()) - listed
            listed |= added
            for login in added:
                first = world.query_one(
                    "SELECT min(rv.submitted_at) FROM reviews rv JOIN users u ON u.id=rv.author_id JOIN repos r "
                    "ON r.id=rv.repo_id WHERE r.full_name=? AND u.login=? AND rv.state='APPROVED'",
                    (full_name, login.lstrip("@")),
                )[0]
                assert first is None or first >= committed_at, (full_name, login)
    assert (
        world.query_one(
            "SELECT count(*) FROM reviews rv JOIN issues i ON i.repo_id=rv.repo_id AND "
            "i.number=rv.number WHERE rv.author_id=i.author_id"
        )[0]
        == 0
    )
    # In mosn, committers approve but only the core team merges.
    mosn_mergers = {
        login
        for (login,) in table(
            world,
            "SELECT DISTINCT u.login FROM issues i JOIN users u ON u.id=i.merged_by_id JOIN repos r ON "
            "r.id=i.repo_id WHERE r.owner_id=(SELECT id FROM users WHERE login='mosn')",
        )
    }
    mosn_founders = set()
    for (content,) in table(
        world,
        "SELECT f.content FROM files f JOIN repos r ON r.id=f.repo_id WHERE f.seq=1 "
        "AND r.owner_id=(SELECT id FROM users WHERE login='mosn')",
    ):
        mosn_founders |= {w.lstrip("@") for w in content.decode().split()}
    assert mosn_mergers <= mosn_founders
    # Bots, e-mail-only commit authors, companies incl. the home organisation.
    assert world.user("dependabot[bot]").type == "Bot"
    assert world.query_one("SELECT count(*) FROM commits WHERE author_id IS NULL")[0] > 0
    companies = {c for (c,) in table(world, "SELECT DISTINCT company FROM users")}
    assert {"Ant Group", "蚂蚁集团"} & companies and "ByteDance" in companies
    # A typo flood, a star burst from fresh accounts, a one-person project, labels and "Fixes #N".
    typo = table(
        world,
        "SELECT author_id, count(*) FROM issues WHERE is_pull=1 AND additions=1 AND "
        "title LIKE '%typo%' GROUP BY 1 ORDER BY 2 DESC",
    )
    assert typo and typo[0][1] >= 5
    burst = world.query_one(
        "SELECT count(*) FROM stars s JOIN users u ON u.id=s.user_id WHERE "
        "u.login LIKE 'fresh-%' AND julianday(s.starred_at) - julianday(u.created_at) < 5"
    )[0]
    assert burst >= 100
    ark = table(
        world,
        "SELECT author_id, count(*) FROM issues i JOIN repos r ON r.id=i.repo_id WHERE "
        "r.full_name='sofastack/sofa-ark' GROUP BY 1 ORDER BY 2 DESC",
    )
    assert ark[0][1] > 0.6 * sum(n for _, n in ark)
    labels = world.query_one("SELECT count(*) FROM issues WHERE labels LIKE '%\"hard\"%'")[0]
    fixes = world.query_one("SELECT count(*) FROM issues WHERE body LIKE 'Fixes #%' AND is_pull=1")[
        0
    ]
    assert labels > 10 and fixes > 50
    closed_by_fix = world.query_one(
        "SELECT count(*) FROM issues p JOIN json_each(p.closes) c JOIN issues i ON i.repo_id=p.repo_id AND "
        "i.number=c.value WHERE p.merged_at IS NOT NULL AND i.closed_at = p.merged_at"
    )[0]
    assert closed_by_fix > 20
    assert world.query_one("SELECT count(*) FROM users WHERE deleted='ghost'")[0] == 1


def test_git_history_world_serves_the_real_commits(shared_data, github_sim):
    folder = shared_data / "sofastack-git"
    lines = [
        json.loads(line)
        for line in (folder / "sofastack__sofa-bolt.commits.jsonl").read_text().splitlines()
    ]
    world = GitHistoryWorld(sorted(folder.glob("sofastack__sofa-bolt.*"))).build()
    sim = github_sim(world)
    s = requests.Session()
    shas, url = [], f"{sim.url}/repos/sofastack/sofa-bolt/commits?per_page=100"
    while url:
        answer = s.get(url)
        shas += [c["sha"] for c in answer.json()]
        url = answer.links.get("next", {}).get("url")
    assert sorted(shas) == sorted(c["sha"] for c in lines)
    newest = s.get(f"{sim.url}/repos/sofastack/sofa-bolt/commits?per_page=1").json()[0]
    assert (
        newest["sha"] == lines[0]["sha"]
        and newest["commit"]["author"]["email"] == lines[0]["author_email"]
    )
    squash = next(c for c in lines if c["pr_number"] and not c["is_merge"] and c["pr_verified"])
    pull = s.get(f"{sim.url}/repos/sofastack/sofa-bolt/pulls/{squash['pr_number']}").json()
    assert pull["merged_at"] == squash["committed_at"] and pull["merged"] is True
    assert pull["additions"] == squash["additions"]
    web_merge = next(
        c
        for c in lines
        if c["is_merge"] and c["pr_verified"] and c["committer_email"] == "noreply@github.com"
    )
    clicked = s.get(f"{sim.url}/repos/sofastack/sofa-bolt/pulls/{web_merge['pr_number']}").json()
    assert clicked["merged_by"]["login"] and clicked["merged_at"] == web_merge["committed_at"]


@pytest.fixture(scope="module")
def developer_set() -> tuple[World, dict, dict[str, list[dict]]]:
    """The git-history world of the whole developer set (built once), its ground truth, and
    its commits per repository."""
    folder = SHARED_DATA / "sofastack-git"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent on this machine")
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    commits = {
        name: [
            json.loads(line)
            for line in (folder / f"{name.replace('/', '__')}.commits.jsonl").open()
        ]
        for name in truth["repos"]
    }
    return GitHistoryWorld(sorted(folder.glob("*.jsonl"))).build(), truth, commits


def _pull_author(world: World, repo: str, number: int) -> tuple[str, str]:
    row = world.query_one(
        "SELECT u.login, u.type FROM issues i JOIN repos r ON r.id = i.repo_id"
        " JOIN users u ON u.id = i.author_id WHERE r.full_name = ? AND i.number = ?",
        (repo, number),
    )
    return row["login"], row["type"]


def test_git_history_accounts_are_the_ground_truths_people(developer_set):
    world, truth, _ = developer_set
    logins = {login.lower() for (login,) in table(world, "SELECT login FROM users")}
    numbered = [
        login
        for login in logins
        if (found := re.fullmatch(r"(.+)-\d+", login)) and found[1] in logins
    ]
    assert numbered == []  # no `name-2` beside `name`: GitHub has one account per person

    def normal(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).split()).lower()

    by_email, by_name = {}, {}
    for identity, person in truth["identities"].items():
        by_email.update({e.strip().lower(): identity for e in person["emails"]})
        by_name.update({normal(n): identity for n in person["names"]})
    linked = table(
        world,
        "SELECT c.author_name, c.author_email, u.login FROM commits c"
        " JOIN users u ON u.id = c.author_id"
        " UNION SELECT a.name, a.email, u.login FROM co_authors a JOIN users u ON u.id = a.user_id",
    )
    identities_of, logins_of = defaultdict(set), defaultdict(set)
    for name, email, login in linked:
        identity = by_email.get(email.strip().lower()) or by_name[normal(name)]
        identities_of[login].add(identity)
        logins_of[identity].add(login)
    # The commits GitHub links to one account are one person of the ground truth, and no
    # person's commits are split over two accounts.
    assert {login: ids for login, ids in identities_of.items() if len(ids) > 1} == {}
    assert {i: found for i, found in logins_of.items() if len(found) > 1} == {}
    # E-mails verified on accounts (their own pull requests carry them) link most commits.
    total, with_user = world.query_one("SELECT count(*), count(author_id) FROM commits")
    assert with_user > 0.9 * total
    # An e-mail-only pull request head named like an account is that account's; a person
    # known to git by a name that is no login goes by the one they push their branches as.
    for repo, number, login in [
        ("sofastack/sofa-jraft", 470, "zongtanghu"),  # squash-merged, by "Hu Zongtang"
        ("sofastack/sofa-rpc", 297, "Moriadry"),
        ("sofastack/sofa-rpc", 1386, "pandalee99"),
        ("sofastack/sofa-jraft", 631, "hzh0425"),
        ("sofastack/sofa-jraft", 1100, "zxuanhong"),
        ("sofastack/sofa-jraft", 1174, "Asbeiru"),
    ]:
        assert _pull_author(world, repo, number) == (login, "User"), (repo, number)


def test_git_history_pull_requests_are_opened_by_people(developer_set):
    world, _, commits = developer_set
    kinds = table(
        world,
        "SELECT u.type, count(*) FROM issues i LEFT JOIN users u ON u.id = i.author_id"
        " WHERE i.is_pull = 1 GROUP BY u.type ORDER BY u.type",
    )
    assert [kind for kind, _ in kinds] == ["Bot", "User"]  # dependabot, and people
    # Merged from an organisation's branch (`alipay/...`): the person who wrote the commits.
    bolt = commits["sofastack/sofa-bolt"]
    from_org = [c for c in bolt if c["merge_pr_head_owner"] == "alipay" and c["pr_verified"]]
    assert len(from_org) >= 5
    for merge in from_org:
        brought = [c for c in bolt if c.get("merged_via_pr") == merge["pr_number"]]
        names = {c["author_name"] for c in brought}
        assert _pull_author(world, "sofastack/sofa-bolt", merge["pr_number"]) == (
            "tsui",
            "User",
        ), (merge["pr_number"], names)
    # Merged from a person's fork: that person, whose e-mail on those commits is theirs.
    assert _pull_author(world, "sofastack/sofa-bolt", 58) == ("cytnju", "User")
    assert _pull_author(world, "sofastack/sofa-bolt", 51) == ("DBL-X", "User")
    fork_commits = table(
        world,
        "SELECT DISTINCT u.login FROM commits c JOIN users u ON u.id = c.author_id"
        " WHERE c.author_email = 'muyun.cyt@antfin.com'",
    )
    assert fork_commits == [("cytnju",)]


def test_git_history_serves_commit_authors_with_co_authors(developer_set, github_sim):
    world, truth, commits = developer_set
    sim = github_sim(world)
    served: dict[str, dict] = {}
    for name in truth["repos"]:
        owner, repo = name.split("/")
        after = None
        while True:
            answer = requests.post(
                f"{sim.url}/graphql",
                json={
                    "query": COMMIT_HISTORY,
                    "variables": {"owner": owner, "name": repo, "after": after},
                },
                timeout=30,
            ).json()
            history = answer["data"]["repository"]["defaultBranchRef"]["target"]["history"]
            served.update({node["oid"]: node for node in history["nodes"]})
            if not history["pageInfo"]["hasNextPage"]:
                break
            after = history["pageInfo"]["endCursor"]
    users_of = defaultdict(set)  # every e-mail, wherever it appears, is linked alike
    co_authors = 0
    for rows in commits.values():
        for c in rows:
            node = served[c["sha"]]
            authors = node["authors"]["nodes"]
            # GitHub lists the git author first
            assert (authors[0]["name"], authors[0]["email"]) == (
                c["author_name"],
                c["author_email"],
            )
            listed = [c["author_email"].lower()]
            for person in c["co_authors"]:
                if person["email"].lower() not in listed:
                    listed.append(person["email"].lower())
            assert [a["email"].lower() for a in authors] == listed
            co_authors += len(authors) - 1
            for actor in authors + [node["committer"]]:
                users_of[actor["email"].lower()].add((actor["user"] or {}).get("login"))
    assert co_authors > 200
    # `author` is the first of `authors`, linked alike.
    answer = requests.post(
        f"{sim.url}/graphql",
        json={
            "query": '{ repository(owner: "sofastack", name: "sofa-bolt") {'
            " defaultBranchRef { target { ... on Commit { history(first: 100) { nodes {"
            " oid author { name email user { login } } } } } } } } }"
        },
        timeout=30,
    ).json()
    for node in answer["data"]["repository"]["defaultBranchRef"]["target"]["history"]["nodes"]:
        first = served[node["oid"]]["authors"]["nodes"][0]
        assert node["author"]["email"] == first["email"]
        assert (node["author"]["user"] or {}).get("login") == (first["user"] or {}).get("login")
    assert {e: u for e, u in users_of.items() if len(u) > 1} == {}
    assert users_of["muyun.cyt@antfin.com"] == {"cytnju"}  # co-author on sofa-bolt #229 too
    assert users_of["014025hzh"] == {None}  # not an address: GitHub cannot verify it
    trailer = "Co-authored-by: cytnju <muyun.cyt@antfin.com>"
    squash = next(c for c in commits["sofastack/sofa-bolt"] if c["pr_number"] == 229)
    assert (
        trailer in world.query_one("SELECT message FROM commits WHERE sha=?", (squash["sha"],))[0]
    )


def serve_cli(*args: str) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest.simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = [process.stdout.readline()]
    while " at http" not in lines[-1] and lines[-1]:
        lines.append(process.stdout.readline())
    return process, lines


def test_cli_serves_a_world_until_stopped_and_reuses_its_file(tmp_path):
    db = tmp_path / "world.sqlite3"
    process, banner = serve_cli("--seed", "2", "--db", str(db), "--fault", "status:503@1")
    try:
        url = banner[-1].split(" at ")[1].split(" ")[0]
        assert requests.get(f"{url}/orgs/mosn/repos").status_code == 503
        repos = requests.get(f"{url}/orgs/mosn/repos").json()
        assert sorted(r["name"] for r in repos) == ["layotto", "mosn"]
        stats = requests.get(f"{url}/_simulator/stats").json()
        assert stats["by_endpoint"]["GET /orgs/{org}/repos"] == {"503": 1, "200": 1}
        issues = requests.head(f"{url}/repos/mosn/mosn/issues?state=all&per_page=1")
        assert issues.status_code == 200 and 'rel="last"' in issues.headers["Link"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    again, banner = serve_cli("--db", str(db))
    try:
        assert banner[0].startswith("Serving the existing world")
        second = banner[-1].split(" at ")[1].split(" ")[0]
        link = requests.head(f"{second}/repos/mosn/mosn/issues?state=all&per_page=1").headers[
            "Link"
        ]
        assert link == issues.headers["Link"].replace(url, second)  # the same world, not a new one
    finally:
        again.terminate()
        again.wait(timeout=10)
