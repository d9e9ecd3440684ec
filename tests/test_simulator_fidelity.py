"""Fidelity: the simulator's answers against GitHub's published contracts, and PyGithub's view of it."""

import graphql
import pytest
import requests
from github import Auth, Github

from ingest.github.queries import ALL_QUERIES
from ingest.simulator import SimulatorServer, World
from ingest.simulator.graphql_api import SUBSET, build, contracts_dir, load_schema
from ingest.simulator.openapi import problems, served_problems
from ingest.simulator.shapes import shape_problems

REPO = "sofastack/sofa-rpc"

# Every REST operation ingest reads (DESIGN.md / issue 3), with parameters it uses.
OPERATIONS = [
    ("/orgs/{org}/repos", "/orgs/sofastack/repos?per_page=100", {}),
    ("/repos/{owner}/{repo}", f"/repos/{REPO}", {}),
    (
        "/repos/{owner}/{repo}/issues",
        f"/repos/{REPO}/issues?state=all&per_page=100&sort=updated&direction=asc"
        "&since=2018-01-01T00:00:00Z",
        {},
    ),
    (
        "/repos/{owner}/{repo}/issues/comments",
        f"/repos/{REPO}/issues/comments?per_page=100&sort=updated"
        "&direction=asc&since=2018-01-01T00:00:00Z",
        {},
    ),
    ("/repos/{owner}/{repo}/issues/events", f"/repos/{REPO}/issues/events?per_page=100", {}),
    (
        "/repos/{owner}/{repo}/pulls",
        f"/repos/{REPO}/pulls?state=all&per_page=100&sort=updated&direction=desc",
        {},
    ),
    ("/repos/{owner}/{repo}/pulls/comments", f"/repos/{REPO}/pulls/comments?per_page=100", {}),
    ("/repos/{owner}/{repo}/commits", f"/repos/{REPO}/commits?per_page=100", {}),
    ("/repos/{owner}/{repo}/commits", f"/repos/{REPO}/commits?path=OWNERS", {}),
    (
        "/repos/{owner}/{repo}/stargazers",
        f"/repos/{REPO}/stargazers?per_page=100",
        {"Accept": "application/vnd.github.star+json"},
    ),
    ("/repos/{owner}/{repo}/stargazers", f"/repos/{REPO}/stargazers?per_page=100", {}),
    ("/repos/{owner}/{repo}/contents/{path}", f"/repos/{REPO}/contents/OWNERS", {}),
    ("/users/{username}", "/users/sofastack-robot", {}),
    ("/rate_limit", "/rate_limit", {}),
]


@pytest.fixture(scope="module")
def demo_world() -> World:
    return World.synthetic(seed=7, scale="small")


@pytest.fixture
def contracts():
    """GitHub's published descriptions ($PULSE_GITHUB_CONTRACTS or ../shared/data/github), or a skip."""
    folder = contracts_dir()
    if (
        not (folder / "api.github.com.json.gz").is_file()
        or not (folder / "schema.graphql.gz").is_file()
    ):
        pytest.skip(
            f"{folder} lacks GitHub's API descriptions (see ../shared/data/github/README.md)"
        )
    return folder


def test_every_rest_operation_ingest_reads_matches_githubs_openapi(
    contracts, demo_world, github_sim
):
    world = demo_world
    sim = github_sim(world)
    s = requests.Session()
    s.headers["Authorization"] = "token fidelity"
    repo_id = world.repo(REPO).id
    pull = world.query_one(
        "SELECT number FROM issues WHERE repo_id=? AND is_pull=1 AND merged_at IS NOT NULL"
        " ORDER BY number DESC LIMIT 1",
        (repo_id,),
    )[0]
    issue = world.query_one(
        "SELECT number FROM issues WHERE repo_id=? AND is_pull=0 LIMIT 1", (repo_id,)
    )[0]
    world.add_review_comment(
        REPO, pull, author="sofastack-robot", body="nit", created_at="2024-01-01T00:00:00Z"
    )
    operations = OPERATIONS + [
        (
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            f"/repos/{REPO}/pulls/{pull}/reviews",
            {},
        ),
        ("/repos/{owner}/{repo}/pulls/{pull_number}", f"/repos/{REPO}/pulls/{pull}", {}),
        ("/repos/{owner}/{repo}/issues/{issue_number}", f"/repos/{REPO}/issues/{issue}", {}),
    ]
    for template, path, headers in operations:
        answer = s.get(sim.url + path, headers=headers)
        assert answer.status_code == 200, path
        body = answer.json()
        assert body, f"{path} served nothing to check"
        variant = (1 if headers else 0) if template.endswith("stargazers") else -1
        assert problems(template, "GET", 200, body, variant=variant) == [], path
        # Second pages come from Link, through /repositories/<id>/… URLs.
        if "next" in answer.links:
            follow = s.get(answer.links["next"]["url"], headers=headers)
            assert follow.status_code == 200 and f"/repositories/{repo_id}/" in follow.url
    for path, status in (
        (f"/repos/{REPO}/issues?state=nope", 422),
        ("/repos/sofastack/none", 404),
        ("/users/nobody-here", 404),
    ):
        assert s.get(sim.url + path).status_code == status
    served = {a.endpoint for a in sim.served}
    assert {
        f"GET {t}" for t, _, _ in operations
    } <= served  # the fixture checks all of them at teardown
    assert served_problems([a for a in sim.served if a.status != 200]) == []  # the 404s and the 422


def test_the_check_is_not_vacuous(contracts):
    issue_without_fields = [{"id": 1, "title": "x"}]
    assert problems("/repos/{owner}/{repo}/issues", "GET", 200, issue_without_fields)
    assert problems("/repos/{owner}/{repo}", "GET", 200, {"id": "not a number"})
    bad_time = {
        "resources": {
            "core": {"limit": 1, "remaining": 1, "reset": 1, "used": 0},
            "search": {"limit": 1, "remaining": 1, "reset": 1, "used": 0},
        },
        "rate": {"limit": 1, "remaining": 1, "reset": 1, "used": 0},
        "created_at": "2020-01-01 10:00",
    }
    assert problems("/rate_limit", "GET", 200, bad_time) == [
        "/created_at: '2020-01-01 10:00' is not GitHub's timestamp form"
    ]


def test_the_shape_check_is_not_vacuous(contracts):
    schema = load_schema()[0]
    query = ALL_QUERIES["Profiles"]
    good = {
        "rateLimit": {"cost": 1, "remaining": 1, "resetAt": "x"},
        "nodes": [
            {"__typename": "Bot", "id": "b", "databaseId": 1, "login": "x[bot]", "createdAt": "t"},
            None,
        ],
    }
    assert shape_problems(schema, query, good) == []
    extra = {**good, "nodes": [{**good["nodes"][0], "name": "not asked of a Bot"}]}
    assert shape_problems(schema, query, extra) == [
        "data.nodes[0]: missing [], not asked for ['name']"
    ]
    missing = {"rateLimit": {"cost": 1, "remaining": 1}, "nodes": []}
    assert shape_problems(schema, query, missing) == [
        "data.rateLimit: missing ['resetAt'], not asked for []"
    ]


@pytest.mark.parametrize("name", sorted(ALL_QUERIES))
def test_ingest_queries_validate_against_githubs_schema_and_the_subset(contracts, name):
    document = graphql.parse(ALL_QUERIES[name])
    assert graphql.validate(load_schema()[0], document) == []
    assert graphql.validate(build(SUBSET.read_text()), document) == []


def test_committed_subset_is_what_the_generator_makes_today(contracts):
    from ingest.simulator.prune_schema import subset_sdl

    assert subset_sdl(load_schema()[0]) == SUBSET.read_text(), (
        "run python -m ingest.simulator.prune_schema"
    )


def run_queries(sim: SimulatorServer, world: World) -> dict[str, dict]:
    repo = world.repo(REPO)
    pull = world.query_one(
        "SELECT number FROM issues WHERE repo_id=? AND is_pull=1 ORDER BY number LIMIT 1",
        (repo.id,),
    )[0]
    ids = [row[0] for row in world.query("SELECT node_id FROM users ORDER BY id LIMIT 100")]
    variables = {
        "Issues": {"owner": "sofastack", "name": "sofa-rpc", "after": None, "since": None},
        "PullRequests": {"owner": "sofastack", "name": "sofa-rpc", "after": None},
        "PullRequestReviews": {
            "owner": "sofastack",
            "name": "sofa-rpc",
            "number": pull,
            "after": None,
        },
        "CommitHistory": {"owner": "sofastack", "name": "sofa-rpc", "after": None, "since": None},
        "Profiles": {"ids": ids},
        "Stargazers": {"owner": "mosn", "name": "layotto", "after": None},
    }
    answers = {}
    for name, query in ALL_QUERIES.items():
        answer = requests.post(
            f"{sim.url}/graphql",
            json={"query": query, "variables": variables[name]},
            headers={"Authorization": "bearer fidelity"},
        )
        assert answer.status_code == 200 and answer.headers["X-RateLimit-Resource"] == "graphql"
        answers[name] = answer.json()
    return answers


def test_graphql_answers_have_exactly_the_shape_asked_for(contracts, demo_world, github_sim):
    schema = load_schema()[0]
    sim = github_sim(demo_world)
    answers = run_queries(sim, demo_world)
    for name, answer in answers.items():
        assert "errors" not in answer, (name, answer.get("errors"))
        assert shape_problems(schema, ALL_QUERIES[name], answer["data"]) == [], name
    issues = answers["Issues"]["data"]["repository"]["issues"]["nodes"]
    assert len(issues) == 100 and all(isinstance(i["fullDatabaseId"], str) for i in issues)
    pulls = answers["PullRequests"]["data"]["repository"]["pullRequests"]["nodes"]
    assert len(pulls) == 100 and all(isinstance(p["fullDatabaseId"], str) for p in pulls)
    typenames = {n["__typename"] for n in answers["Profiles"]["data"]["nodes"] if n}
    assert {"User", "Bot", "Organization"} <= typenames
    # Stargazers oldest first, each edge with its date and the account's creation date.
    stars = answers["Stargazers"]["data"]["repository"]["stargazers"]
    dates = [e["starredAt"] for e in stars["edges"]]
    assert len(dates) == 100 and dates == sorted(dates) and stars["pageInfo"]["hasNextPage"]
    assert all(e["node"]["createdAt"] and e["node"]["databaseId"] for e in stars["edges"])


def test_subset_schema_serves_the_same_answers(contracts, demo_world, github_sim):
    full = run_queries(github_sim(demo_world), demo_world)
    subset = run_queries(github_sim(demo_world, full_schema=False), demo_world)
    for answers in (full, subset):
        for answer in answers.values():
            answer["data"]["rateLimit"].pop("remaining")
            answer["data"]["rateLimit"].pop("resetAt")
    assert subset == full


def test_pygithub_pages_through_issues_as_on_github(demo_world, github_sim):
    sim = github_sim(demo_world)
    # No client-side throttle: the simulator is local (PyGithub waits 0.25 s per request by default).
    client = Github(
        base_url=sim.url,
        per_page=100,
        auth=Auth.Token("pygithub"),
        retry=None,
        seconds_between_requests=None,
    )
    repo = client.get_repo(REPO)
    assert repo.full_name == REPO and repo.id == demo_world.repo(REPO).id
    issues = repo.get_issues(state="all")
    numbers = [issue.number for issue in issues]
    expected = [
        row[0]
        for row in demo_world.query(
            "SELECT number FROM issues WHERE repo_id=? ORDER BY created_at DESC, number DESC",
            (repo.id,),
        )
    ]
    assert numbers == expected and len(numbers) > 100
    # totalCount probes with per_page=1 and reads the page number of Link's rel="last".
    assert repo.get_issues(state="all").totalCount == len(expected)
    # html_url, not .pull_request or .raw_data: on a plain issue those make PyGithub fetch it again.
    pulls = [i for i in repo.get_issues(state="all") if "/pull/" in i.html_url]
    assert (
        len(pulls)
        == demo_world.query_one(
            "SELECT count(*) FROM issues WHERE repo_id=? AND is_pull=1", (repo.id,)
        )[0]
    )
    first = pulls[-1]
    assert first.as_pull_request().number == first.number
    calls = sim.stats()["by_endpoint"]["GET /repos/{owner}/{repo}/issues"]["200"]
    assert (
        calls == 2 * -(-len(expected) // 100) + 1
    )  # two walks of ceil(n/100) pages, one count probe
