"""The synthetic and git-history worlds: deterministic, shaped like a real community, served as GitHub."""

import json
import subprocess
import sys

import requests

from ingest.simulator import World
from ingest.simulator.git_history import GitHistoryWorld


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
