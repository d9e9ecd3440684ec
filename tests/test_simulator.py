"""The simulator's REST and GraphQL behaviour as a GitHub client sees it (over real HTTP)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import requests

from ingest.github.queries import (
    COMMIT_HISTORY,
    ISSUES,
    PROFILES,
    PULL_REQUEST_REVIEWS,
    PULL_REQUESTS,
)
from ingest.simulator import World, WorldError

REPO = "sofastack/sofa-rpc"
T0 = datetime(2019, 1, 1, tzinfo=UTC)


def small_world(issues: int = 7) -> World:
    world = World()
    world.add_org("sofastack")
    world.add_user(
        "alice",
        name="Alice",
        company="Ant Group",
        email="a@antgroup.com",
        location="Hangzhou",
        created_at=T0 - timedelta(days=900),
    )
    world.add_user("bob", created_at=T0)
    world.add_user("dependabot[bot]", type="Bot")
    world.add_repo("sofastack", "sofa-rpc", created_at=T0)
    for n in range(issues):
        world.add_issue(
            REPO,
            author="bob",
            title=f"issue {n}",
            created_at=T0 + timedelta(days=n),
            labels=["easy"] if n % 2 else [],
        )
    return world


def session(token: str = "t0ken") -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"token {token}"
    return s


def test_issue_pages_follow_link_headers_to_unguessable_urls(github_sim):
    sim = github_sim(small_world(7))
    s = session()
    url, numbers, pages = f"{sim.url}/repos/{REPO}/issues?state=all&per_page=3", [], 0
    while url:
        answer = s.get(url)
        assert answer.status_code == 200
        numbers += [i["number"] for i in answer.json()]
        pages += 1
        if pages == 1:
            assert "/repositories/" in answer.links["next"]["url"]
            assert answer.links["last"]["url"].endswith("page=3")
        url = answer.links.get("next", {}).get("url")
    assert numbers == [7, 6, 5, 4, 3, 2, 1]  # newest first, GitHub's default
    assert pages == 3


def test_per_page_is_capped_at_100(github_sim):
    sim = github_sim(small_world(105))
    answer = session().get(f"{sim.url}/repos/{REPO}/issues", params={"per_page": 500})
    assert len(answer.json()) == 100
    assert 'rel="next"' in answer.headers["Link"]


def test_pull_requests_appear_in_issue_list_with_pull_request_key(github_sim):
    world = small_world(1)
    n = world.add_pull(
        REPO,
        author="bob",
        title="fix",
        body="Fixes #1",
        created_at=T0 + timedelta(days=3),
        merged_at=T0 + timedelta(days=4),
        merged_by="alice",
        additions=5,
        deletions=1,
        changed_files=1,
        author_association="CONTRIBUTOR",
    )
    sim = github_sim(world)
    items = session().get(f"{sim.url}/repos/{REPO}/issues", params={"state": "all"}).json()
    by_number = {i["number"]: i for i in items}
    assert "pull_request" not in by_number[1]
    assert by_number[n]["pull_request"]["merged_at"] == "2019-01-05T00:00:00Z"
    assert by_number[n]["author_association"] == "CONTRIBUTOR"
    pulls = session().get(f"{sim.url}/repos/{REPO}/pulls", params={"state": "closed"}).json()
    assert [p["number"] for p in pulls] == [n]
    assert session().get(f"{sim.url}/repos/{REPO}/pulls").json() == []  # open only by default


def test_since_and_state_filter_on_updated_at(github_sim):
    world = small_world(4)
    world.update_issue(REPO, 2, state="closed", updated_at=T0 + timedelta(days=30))
    sim = github_sim(world)
    s = session()
    since = s.get(
        f"{sim.url}/repos/{REPO}/issues", params={"state": "all", "since": "2019-01-20T00:00:00Z"}
    ).json()
    assert [i["number"] for i in since] == [2]
    assert since[0]["state"] == "closed" and since[0]["closed_at"]
    open_numbers = [i["number"] for i in s.get(f"{sim.url}/repos/{REPO}/issues").json()]
    assert 2 not in open_numbers
    asc = s.get(
        f"{sim.url}/repos/{REPO}/issues",
        params={"state": "all", "sort": "updated", "direction": "asc"},
    )
    assert [i["number"] for i in asc.json()][-1] == 2
    bad = s.get(f"{sim.url}/repos/{REPO}/issues", params={"state": "bogus"})
    assert bad.status_code == 422 and bad.json()["message"] == "Validation Failed"


def test_conditional_request_gets_304_and_is_not_charged(github_sim):
    world = small_world(3)
    sim = github_sim(world)
    s = session()
    first = s.get(f"{sim.url}/repos/{REPO}/issues")
    remaining = int(first.headers["X-RateLimit-Remaining"])
    again = s.get(
        f"{sim.url}/repos/{REPO}/issues", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    world.add_issue(REPO, author="alice", title="new", created_at=T0 + timedelta(days=50))
    changed = s.get(
        f"{sim.url}/repos/{REPO}/issues", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.json()[0]["title"] == "new"
    assert int(changed.headers["X-RateLimit-Remaining"]) == remaining - 1
    stats = sim.stats()
    assert stats["not_modified"] == 1
    assert stats["by_endpoint"]["GET /repos/{owner}/{repo}/issues"] == {"200": 2, "304": 1}


def test_bad_token_401_unknown_repo_404(github_sim):
    sim = github_sim(small_world(1), tokens={"good"})
    bad = session("nope").get(f"{sim.url}/repos/{REPO}")
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert "nope" not in bad.text
    assert session("good").get(f"{sim.url}/repos/{REPO}").status_code == 200
    missing = session("good").get(f"{sim.url}/repos/sofastack/nothing/issues")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found" and "documentation_url" in missing.json()


def test_rate_limit_headers_and_anonymous_budget(github_sim):
    sim = github_sim(small_world(1))
    authed = session().get(f"{sim.url}/repos/{REPO}")
    assert authed.headers["X-RateLimit-Limit"] == "5000"
    assert authed.headers["X-RateLimit-Resource"] == "core"
    assert int(authed.headers["X-RateLimit-Used"]) == 1
    anonymous = requests.get(f"{sim.url}/repos/{REPO}")
    assert anonymous.headers["X-RateLimit-Limit"] == "60"
    overview = session().get(f"{sim.url}/rate_limit").json()
    assert overview["resources"]["core"]["used"] == 1


def test_renamed_repository_answers_301_like_github(github_sim):
    world = small_world(2)
    world.rename_repo(REPO, "sofa-rpc-next")
    sim = github_sim(world)
    moved = session().get(f"{sim.url}/repos/{REPO}/issues?state=all", allow_redirects=False)
    assert moved.status_code == 301
    assert "/repositories/" in moved.headers["Location"]
    followed = session().get(f"{sim.url}/repos/{REPO}/issues?state=all")
    assert [i["number"] for i in followed.json()] == [2, 1]
    assert (
        session().get(f"{sim.url}/repos/sofastack/sofa-rpc-next").json()["name"] == "sofa-rpc-next"
    )


def test_stargazers_with_and_without_star_media_type(github_sim):
    world = small_world(0)
    world.add_star(REPO, user="bob", starred_at=T0 + timedelta(days=2))
    world.add_star(REPO, user="alice", starred_at=T0 + timedelta(days=1))
    sim = github_sim(world)
    plain = session().get(f"{sim.url}/repos/{REPO}/stargazers").json()
    assert [u["login"] for u in plain] == ["alice", "bob"]
    dated = (
        session()
        .get(
            f"{sim.url}/repos/{REPO}/stargazers",
            headers={"Accept": "application/vnd.github.star+json"},
        )
        .json()
    )
    assert dated[0] == {"starred_at": "2019-01-02T00:00:00Z", "user": plain[0]}


def test_contents_history_by_ref_and_commit_path_filter(github_sim):
    world = small_world(0)
    first = world.set_file(
        REPO, "OWNERS", content="approvers:\n- alice\n", committed_at=T0, author="alice"
    )
    world.add_commit(
        REPO,
        author_name="Carol",
        author_email="carol@example.org",
        authored_at=T0 + timedelta(1),
        message="unrelated",
    )
    world.set_file(
        REPO,
        "OWNERS",
        content="approvers:\n- alice\n- bob\n",
        committed_at=T0 + timedelta(days=9),
        author="alice",
    )
    sim = github_sim(world)
    s = session()
    latest = s.get(f"{sim.url}/repos/{REPO}/contents/OWNERS").json()
    assert base64.b64decode(latest["content"]).decode().endswith("- bob\n")
    old = s.get(f"{sim.url}/repos/{REPO}/contents/OWNERS", params={"ref": first}).json()
    assert "bob" not in base64.b64decode(old["content"]).decode()
    history = s.get(f"{sim.url}/repos/{REPO}/commits", params={"path": "OWNERS"}).json()
    assert len(history) == 2 and history[1]["sha"] == first
    everything = s.get(f"{sim.url}/repos/{REPO}/commits").json()
    email_only = next(c for c in everything if c["commit"]["message"] == "unrelated")
    assert (
        email_only["author"] is None
        and email_only["commit"]["author"]["email"] == "carol@example.org"
    )
    assert s.get(f"{sim.url}/repos/{REPO}/contents/MAINTAINERS").status_code == 404


def test_world_rejects_impossible_things():
    world = small_world(1)
    with pytest.raises(WorldError):
        world.add_user("alice")
    with pytest.raises(WorldError):
        world.add_issue("sofastack/none", author="bob", title="x", created_at=T0)
    with pytest.raises(WorldError):
        world.add_review(
            REPO, 1, author="alice", state="APPROVED", submitted_at=T0
        )  # #1 is an issue


# -- GraphQL --------------------------------------------------------------------------------


def graphql(sim, query: str, **variables):
    answer = session().post(f"{sim.url}/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Resource"] == "graphql"
    return answer.json()


def pull_world(pulls: int, reviews_on_first: int = 0) -> World:
    world = small_world(0)
    for n in range(pulls):
        world.add_pull(
            REPO,
            author="bob",
            title=f"pr {n}",
            body="Fixes #1" if n == 0 else "",
            created_at=T0 + timedelta(days=n),
            merged_at=T0 + timedelta(days=n, hours=5),
            merged_by="alice",
            labels=["medium"],
            author_association="CONTRIBUTOR",
        )
    for n in range(reviews_on_first):
        world.add_review(
            REPO,
            1,
            author="alice",
            state="COMMENTED",
            submitted_at=T0 + timedelta(hours=n),
            author_association="MEMBER",
        )
    return world


def test_pull_requests_query_pages_newest_updated_first_with_cursors(github_sim):
    sim = github_sim(pull_world(130))
    seen, after, pages = [], None, 0
    while True:
        data = graphql(sim, PULL_REQUESTS, owner="sofastack", name="sofa-rpc", after=after)
        assert "errors" not in data
        assert (
            data["data"]["rateLimit"]["cost"] == 3
        )  # 1 + 100 × (labels, linked issues, reviews), / 100
        conn = data["data"]["repository"]["pullRequests"]
        seen += [node["number"] for node in conn["nodes"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 2
    assert seen == list(range(130, 0, -1))
    node = conn["nodes"][-1]
    assert node["state"] == "MERGED" and node["mergedBy"]["login"] == "alice"
    assert isinstance(node["fullDatabaseId"], str)
    assert node["labels"]["nodes"] == [{"name": "medium"}]


def test_issues_query_pages_issues_only_oldest_updated_first_from_since(github_sim):
    world = pull_world(3)  # pull requests #1-#3: GitHub's `issues` connection leaves them out
    world.add_user("gone", created_at=T0)
    world.add_issue(REPO, author="gone", title="orphan", created_at=T0, updated_at=T0)
    world.delete_user("gone", shown_as="ghost")
    for n in range(149):
        world.add_issue(
            REPO,
            author="bob",
            title=f"issue {n}",
            created_at=T0 + timedelta(days=n),
            updated_at=T0 + timedelta(days=300 - n),  # the newest issue was updated first
            closed_at=T0 + timedelta(days=300 - n) if n == 0 else None,
            state_reason="duplicate" if n == 0 else None,
            labels=["easy"] if n == 1 else [],
        )
    sim = github_sim(world)
    seen, after = [], None
    while True:
        data = graphql(sim, ISSUES, owner="sofastack", name="sofa-rpc", after=after)
        assert "errors" not in data
        conn = data["data"]["repository"]["issues"]
        seen += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == 150 and all(n["number"] > 3 for n in seen)
    updated = [n["updatedAt"] for n in seen]
    assert updated == sorted(updated)
    assert seen[0]["title"] == "orphan" and seen[0]["author"] is None  # deleted: null, as GitHub
    assert seen[-1]["title"] == "issue 0"
    assert seen[-1]["state"] == "CLOSED" and seen[-1]["stateReason"] == "DUPLICATE"
    assert seen[-2]["labels"]["nodes"] == [{"name": "easy"}]
    assert seen[-2]["author"]["login"] == "bob" and isinstance(seen[-2]["fullDatabaseId"], str)
    since = seen[-3]["updatedAt"]
    recent = graphql(sim, ISSUES, owner="sofastack", name="sofa-rpc", since=since)
    titles = [n["title"] for n in recent["data"]["repository"]["issues"]["nodes"]]
    assert titles == ["issue 2", "issue 1", "issue 0"]  # updated at or after `since`


def test_pull_request_reviews_query_pages_past_the_first_hundred(github_sim):
    sim = github_sim(pull_world(1, reviews_on_first=120))
    first = graphql(sim, PULL_REQUESTS, owner="sofastack", name="sofa-rpc", after=None)
    reviews = first["data"]["repository"]["pullRequests"]["nodes"][0]["reviews"]
    assert (
        reviews["totalCount"] == 120
        and len(reviews["nodes"]) == 50
        and reviews["pageInfo"]["hasNextPage"]
    )
    rest = graphql(
        sim,
        PULL_REQUEST_REVIEWS,
        owner="sofastack",
        name="sofa-rpc",
        number=1,
        after=reviews["pageInfo"]["endCursor"],
    )
    more = rest["data"]["repository"]["pullRequest"]["reviews"]
    assert len(more["nodes"]) == 70 and not more["pageInfo"]["hasNextPage"]
    assert more["nodes"][0]["authorAssociation"] == "MEMBER"


def test_commit_history_query_with_since_and_linked_pull(github_sim):
    world = pull_world(1)
    world.add_commit(REPO, author_login="bob", authored_at=T0, message="old")
    world.add_commit(
        REPO,
        author_name="Zhang San",
        author_email="zs@163.com",
        authored_at=T0 + timedelta(40),
        message="fix: thing (#1)\n\nbody",
        pr_number=1,
        additions=3,
        deletions=2,
        changed_files=1,
    )
    sim = github_sim(world)
    data = graphql(
        sim,
        COMMIT_HISTORY,
        owner="sofastack",
        name="sofa-rpc",
        after=None,
        since="2019-02-01T00:00:00Z",
    )
    nodes = data["data"]["repository"]["defaultBranchRef"]["target"]["history"]["nodes"]
    assert [n["messageHeadline"] for n in nodes] == ["fix: thing (#1)"]
    assert nodes[0]["authors"]["nodes"] == [
        {"name": "Zhang San", "email": "zs@163.com", "user": None}
    ]
    assert nodes[0]["associatedPullRequests"]["nodes"] == [{"number": 1}]
    assert nodes[0]["parents"]["totalCount"] == 1


def test_profiles_query_resolves_users_bots_and_unknown_ids(github_sim):
    world = small_world(0)
    sim = github_sim(world)
    ids = [
        world.user("alice").node_id,
        world.user("dependabot[bot]").node_id,
        world.user("sofastack").node_id,
        "MDQ6VXNlcjk5OTk5OQ==",
    ]
    answer = graphql(sim, PROFILES, ids=ids)
    nodes = answer["data"]["nodes"]
    assert answer["errors"] == [
        {
            "message": f"Could not resolve to a node with the global id of '{ids[3]}'",
            "locations": answer["errors"][0]["locations"],
            "path": ["nodes", 3],
            "type": "NOT_FOUND",
        }
    ]
    assert nodes[0]["company"] == "Ant Group" and nodes[0]["__typename"] == "User"
    assert nodes[1] == {
        "__typename": "Bot",
        "id": ids[1],
        "databaseId": world.user("dependabot[bot]").id,
        "login": "dependabot[bot]",
        "createdAt": "2015-01-01T00:00:00Z",
    }
    assert nodes[2]["__typename"] == "Organization" and "orgEmail" in nodes[2]
    assert nodes[3] is None


def test_graphql_rejects_what_github_rejects(github_sim):
    sim = github_sim(small_world(0))
    wrong_field = graphql(sim, "query { viewer { notAField } }")
    assert "data" not in wrong_field and wrong_field["errors"][0]["message"]
    too_many = graphql(
        sim,
        'query { repository(owner: "sofastack", name: "sofa-rpc") '
        "{ pullRequests(first: 101) { nodes { number } } } }",
    )
    assert "exceeds the `first` limit of 100" in too_many["errors"][0]["message"]
    missing = graphql(sim, PULL_REQUESTS, owner="sofastack", name="nothing", after=None)
    assert missing["data"]["repository"] is None and missing["errors"][0]["type"] == "NOT_FOUND"


def test_updates_move_updated_at_and_deleted_issues_are_gone(github_sim):
    world = small_world(3)
    n = world.add_pull(
        REPO, author="bob", title="wip", created_at=T0 + timedelta(days=5), draft=True
    )
    world.update_pull(
        REPO,
        n,
        merged_at=T0 + timedelta(days=60),
        merged_by="alice",
        draft=False,
        updated_at=T0 + timedelta(days=60),
    )
    comment = world.add_comment(
        REPO,
        1,
        author="alice",
        body="first",
        created_at=T0 + timedelta(days=1),
        author_association="MEMBER",
    )
    world.update_comment(REPO, comment, body="edited", updated_at=T0 + timedelta(days=70))
    world.delete_issue(REPO, 2)
    sim = github_sim(world)
    s = session()
    pull = s.get(f"{sim.url}/repos/{REPO}/pulls/{n}").json()
    assert pull["merged"] and pull["merged_by"]["login"] == "alice" and pull["state"] == "closed"
    assert pull["draft"] is False and pull["updated_at"] == "2019-03-02T00:00:00Z"
    events = {
        e["event"]
        for e in s.get(f"{sim.url}/repos/{REPO}/issues/events").json()
        if e["issue"]["number"] == n
    }
    assert {"merged", "closed"} <= events
    assert s.get(f"{sim.url}/repos/{REPO}/issues/2").status_code == 404
    numbers = [
        i["number"] for i in s.get(f"{sim.url}/repos/{REPO}/issues", params={"state": "all"}).json()
    ]
    assert 2 not in numbers and 1 in numbers
    edited = s.get(
        f"{sim.url}/repos/{REPO}/issues/comments", params={"since": "2019-03-01T00:00:00Z"}
    ).json()
    assert [(c["id"], c["body"], c["author_association"]) for c in edited] == [
        (comment, "edited", "MEMBER")
    ]
    by_comments = s.get(
        f"{sim.url}/repos/{REPO}/issues", params={"sort": "comments", "state": "all"}
    ).json()
    assert by_comments[0]["number"] == 1 and by_comments[0]["comments"] == 1


def test_changes_to_people_show_at_once_on_a_running_server(github_sim):
    world = small_world(2)
    sim = github_sim(world)
    s = session()
    assert s.get(f"{sim.url}/repos/{REPO}/issues").json()[0]["user"]["login"] == "bob"
    world.update_user("alice", company="蚂蚁集团")
    world.delete_user("bob", shown_as="ghost")
    assert {i["user"]["login"] for i in s.get(f"{sim.url}/repos/{REPO}/issues").json()} == {"ghost"}
    assert s.get(f"{sim.url}/users/alice").json()["company"] == "蚂蚁集团"
    world.update_repo(REPO, archived=True)
    assert s.get(f"{sim.url}/repos/{REPO}").json()["archived"] is True
