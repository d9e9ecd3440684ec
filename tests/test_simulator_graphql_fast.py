"""The simulator's fast GraphQL executor answers exactly what graphql-core's executor answers.

graphql-core stays the reference: every query ingest sends (ALL_QUERIES), paged through a
synthetic world, and queries built to reach the corners (errors returned and raised by
resolvers, nulls propagated through non-null fields up to the whole answer, aliases,
fragments on interfaces, @skip/@include, variables with defaults, enums and input objects)
give byte-identical JSON from both, with the same status and rate-limit cost. What the fast
executor declines (introspection, mutations) is answered by graphql-core, and ingest's own
queries never are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from ingest.github.queries import ALL_QUERIES
from ingest.simulator import World, graphql_fast
from ingest.simulator.graphql_api import execute, load_schema
from ingest.simulator.world import node_id

REPO = "sofastack/fast-check"
T0 = datetime(2020, 3, 1, tzinfo=UTC)


def rate(cost: int) -> dict:
    return {"cost": cost, "remaining": 4000, "resetAt": "2030-01-01T00:00:00Z", "limit": 5000}


@pytest.fixture(scope="module")
def world() -> World:
    """The small synthetic world, plus a repository with the awkward cases: a pull request
    with more reviews than a page, deleted accounts (shown as null) among authors and
    reviewers, a bot, pull requests that close issues (and one that names a pull request),
    commits with co-authors."""
    world = World.synthetic(seed=3, scale="small")
    world.add_repo("sofastack", "fast-check", created_at=T0)
    world.add_user("gone-author", created_at=T0)
    world.add_user("gone-reviewer", created_at=T0)
    world.add_user("rev", created_at=T0)
    world.add_user("pal", created_at=T0)
    world.add_user("helper[bot]", type="Bot", created_at=T0)
    for n in range(3):
        world.add_issue(REPO, author="rev", title=f"bug {n}", created_at=T0 + timedelta(days=n))
    authors = ["gone-author", "rev", "helper[bot]"]
    for n in range(130):
        world.add_pull(
            REPO,
            author=authors[n % 3],
            title=f"change {n}",
            body="Fixes #1, closes #2 and fixes #4" if n % 10 == 0 else "",
            created_at=T0 + timedelta(days=3, hours=n),
            merged_at=T0 + timedelta(days=4, hours=n) if n % 2 else None,
            merged_by="rev" if n % 2 else None,
            labels=["easy", "medium"][: n % 3],
            additions=n * 3,
            author_association="CONTRIBUTOR",
        )
    first_pull = 4  # after the three issues
    for n in range(120):
        world.add_review(
            REPO,
            first_pull,
            author="gone-reviewer" if n % 4 == 0 else "rev",
            state=["COMMENTED", "APPROVED", "CHANGES_REQUESTED"][n % 3],
            submitted_at=T0 + timedelta(days=5, minutes=n),
            author_association="MEMBER",
        )
    for n in range(130):
        world.add_commit(
            REPO,
            author_login="rev" if n % 3 else None,
            author_name="Rev",
            author_email="rev@example.com",
            authored_at=T0 + timedelta(hours=n),
            pr_number=first_pull + n if n % 5 == 0 else None,
            additions=n,
            # Co-authors: linked, deleted, unlinked, a bot (never a GitActor's user), the author.
            co_authors=[
                {"name": "Pal", "email": "pal@example.com", "login": "pal"},
                {"name": "Gone", "email": "gone@example.com", "login": "gone-author"},
                {"name": "Someone", "email": "someone@example.com", "login": None},
                {"name": "Helper", "email": "helper@example.com", "login": "helper[bot]"},
                {"name": "Rev", "email": "rev@example.com", "login": "rev"},
            ][: n % 6],
        )
    # Stargazers: more than a page, with a bot and a deleted account among them (GitHub lists
    # neither: a stargazer is a User that exists).
    for n in range(140):
        world.add_user(f"fan-{n}", created_at=T0 + timedelta(days=n))
        world.add_star(REPO, user=f"fan-{n}", starred_at=T0 + timedelta(days=n, hours=n % 5))
    world.add_star(REPO, user="helper[bot]", starred_at=T0 + timedelta(days=1))
    world.add_star(REPO, user="gone-author", starred_at=T0 + timedelta(days=2))
    world.delete_user("gone-author", shown_as="null")
    world.delete_user("gone-reviewer", shown_as="ghost")
    return world


@pytest.fixture(scope="module", params=["github", "subset"])
def schema(request):
    """GitHub's full schema (when ../shared has it) and the committed subset: both are served."""
    schema, source = load_schema(prefer_full=request.param == "github")
    if source != request.param:
        pytest.skip("GitHub's full schema is absent on this machine (../shared/data/github)")
    return schema


def both(world, schema, query: str, operation: str | None = None, **variables) -> dict:
    """The answer of the fast executor, asserted identical (JSON bytes, status, cost) to
    graphql-core's."""
    payload = {"query": query, "variables": variables, "operationName": operation}
    fast = execute(world, schema, payload, rate=rate)
    reference = execute(world, schema, payload, rate=rate, reference=True)
    assert json.dumps(fast) == json.dumps(reference)
    return fast[1]


def repositories(world) -> list[tuple[str, str]]:
    return [tuple(r.full_name.split("/")) for r in world.repos()]


def test_every_ingest_query_answers_alike_through_every_page(world, schema):
    before = dict(graphql_fast.STATS)
    requests_sent = 0
    for owner, name in repositories(world):
        for query, connection in (
            ("Issues", lambda d: d["repository"]["issues"]),
            ("PullRequests", lambda d: d["repository"]["pullRequests"]),
            ("Stargazers", lambda d: d["repository"]["stargazers"]),
            (
                "CommitHistory",
                lambda d: (
                    (d["repository"]["defaultBranchRef"] or {}).get("target", {}).get("history")
                ),
            ),
        ):
            after, pages = None, 0
            while pages < 4:
                answer = both(
                    world, schema, ALL_QUERIES[query], owner=owner, name=name, after=after
                )
                requests_sent += 1
                assert "errors" not in answer, answer["errors"]
                page = connection(answer["data"])
                pages += 1
                if not page or not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
    # The busy pull request: a first page of 50 reviews in the pull-request page, then the
    # rest through PullRequestReviews, page by page.
    owner, name = REPO.split("/")
    pulls = both(world, schema, ALL_QUERIES["PullRequests"], owner=owner, name=name)
    busy = next(p for p in pulls["data"]["repository"]["pullRequests"]["nodes"] if p["number"] == 4)
    assert busy["reviews"]["totalCount"] == 120 and busy["reviews"]["pageInfo"]["hasNextPage"]
    assert None in [r["author"] for r in busy["reviews"]["nodes"]]  # deleted reviewers
    assert any(p["author"] is None for p in pulls["data"]["repository"]["pullRequests"]["nodes"])
    closing = [
        p["closingIssuesReferences"]["nodes"]
        for p in pulls["data"]["repository"]["pullRequests"]["nodes"]
        if p["closingIssuesReferences"]["nodes"]
    ]
    assert closing and all(c == [{"number": 1}, {"number": 2}] for c in closing)  # #4 is a PR
    after, seen = None, 0
    while True:
        answer = both(
            world,
            schema,
            ALL_QUERIES["PullRequestReviews"],
            owner=owner,
            name=name,
            number=4,
            after=after,
        )
        requests_sent += 1
        reviews = answer["data"]["repository"]["pullRequest"]["reviews"]
        seen += len(reviews["nodes"])
        if not reviews["pageInfo"]["hasNextPage"]:
            break
        after = reviews["pageInfo"]["endCursor"]
    assert seen == 120
    ids = [u.node_id for u in (world.user(login) for login in ("rev", "helper[bot]", "sofastack"))]
    answer = both(world, schema, ALL_QUERIES["Profiles"], ids=ids)
    assert [n["login"] for n in answer["data"]["nodes"]] == ["rev", "helper[bot]", "sofastack"]
    requests_sent += 2  # the page of pull requests above, and the profiles
    # Ingest's queries never leave the fast path (each `both` ran one fast request).
    assert graphql_fast.STATS["fast"] - before["fast"] == requests_sent
    assert graphql_fast.STATS["fallback"] == before["fallback"]


AUTHORS = """
query Authors($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    defaultBranchRef { target { ... on Commit { history(first: 100) { nodes {
      authors(first: 10) { nodes { name email user { login } } }
    } } } } }
  }
}
"""


def test_commit_authors_list_the_author_then_each_co_author_once(world, schema):
    owner, name = REPO.split("/")
    answer = both(world, schema, AUTHORS, owner=owner, name=name)
    nodes = answer["data"]["repository"]["defaultBranchRef"]["target"]["history"]["nodes"]
    assert {len(n["authors"]["nodes"]) for n in nodes} == {1, 2, 3, 4, 5}
    assert {n["authors"]["nodes"][0]["email"] for n in nodes} == {"rev@example.com"}
    assert {(n["authors"]["nodes"][0]["user"] or {}).get("login") for n in nodes} == {"rev", None}
    full = next(n for n in nodes if len(n["authors"]["nodes"]) == 5)["authors"]["nodes"]
    assert [(a["email"], (a["user"] or {}).get("login")) for a in full[1:]] == [
        ("pal@example.com", "pal"),
        ("gone@example.com", None),  # deleted
        ("someone@example.com", None),
        ("helper@example.com", None),  # a Bot is never a GitActor's user
    ]


def test_errors_from_resolvers_answer_alike(world, schema):
    owner, name = REPO.split("/")
    unknown = both(world, schema, ALL_QUERIES["PullRequests"], owner=owner, name="no-such")
    assert unknown["data"]["repository"] is None
    assert unknown["errors"][0]["type"] == "NOT_FOUND"
    assert unknown["errors"][0]["path"] == ["repository"]
    assert unknown["errors"][0]["locations"]

    bad_cursor = both(world, schema, ALL_QUERIES["PullRequests"], owner=owner, name=name, after="x")
    assert "does not appear to be a valid cursor" in bad_cursor["errors"][0]["message"]
    assert bad_cursor["errors"][0]["path"] == ["repository", "pullRequests"]
    both(world, schema, ALL_QUERIES["CommitHistory"], owner=owner, name=name, after="Y3Vyc29y")
    both(world, schema, ALL_QUERIES["CommitHistory"], owner=owner, name=name, since="yesterday")
    bad_since = both(world, schema, ALL_QUERIES["Issues"], owner=owner, name=name, since="soon")
    assert "invalid value (soon)" in bad_since["errors"][0]["message"]

    too_many = both(
        world,
        schema,
        """query($owner: String!, $name: String!, $size: Int) {
             repository(owner: $owner, name: $name) {
               pullRequests(first: $size) { nodes { number reviews(first: 101) { totalCount } } }
             }
           }""",
        owner=owner,
        name=name,
        size=3,
    )
    assert len(too_many["errors"]) == 3  # one per pull request, each reviews null
    assert {e["path"][-1] for e in too_many["errors"]} == {"reviews"}
    assert too_many["data"]["repository"]["pullRequests"]["nodes"][0]["reviews"] is None
    without_size = both(
        world,
        schema,
        'query { repository(owner: "sofastack", name: "fast-check") '
        "{ pullRequests { nodes { number } } } }",
    )
    assert without_size["data"]["repository"] is None  # pullRequests is non-null: propagated

    gone = world.user("gone-author").node_id
    nodes = both(
        world,
        schema,
        ALL_QUERIES["Profiles"],
        ids=[gone, "not-an-id", node_id("User", 987654321), world.user("rev").node_id],
    )
    assert nodes["data"]["nodes"][:3] == [None, None, None]
    assert [e["path"] for e in nodes["errors"]] == [["nodes", 0], ["nodes", 1], ["nodes", 2]]
    assert {e["type"] for e in nodes["errors"]} == {"NOT_FOUND"}
    over = both(world, schema, ALL_QUERIES["Profiles"], ids=["x"] * 101)
    assert "data" not in over and over["errors"]  # `nodes` is non-null: the whole answer
    # Variables graphql-core rejects before execution, and a missing operation name.
    both(world, schema, ALL_QUERIES["Profiles"], ids=None)
    both(world, schema, ALL_QUERIES["Profiles"] + "query Other { rateLimit { cost } }", ids=[])


def test_aliases_fragments_directives_and_variables_answer_alike(world, schema):
    query = """
    query Shapes($owner: String!, $name: String!, $withReviews: Boolean!, $skipLabels: Boolean = true,
                 $dir: OrderDirection!, $states: [PullRequestState!], $size: Int = 4) {
      __typename
      cost: rateLimit(dryRun: false) { cost spent: remaining }
      one: repository(owner: $owner, name: $name) { ...Pulls }
      two: repository(owner: $owner, name: $name, followRenames: true) {
        id
        older: pullRequests(first: 2, orderBy: {field: CREATED_AT, direction: $dir}) {
          pageInfo { hasNextPage endCursor }
          nodes { number state __typename }
        }
        merged: pullRequests(first: $size, states: $states) { nodes { ... on PullRequest { number mergedAt } } }
        byNumber: pullRequest(number: 4) { number reviews(first: 3, states: [APPROVED]) { totalCount nodes { state } } }
        missing: pullRequest(number: 99999) { number }
      }
    }
    fragment Pulls on Repository {
      pullRequests(first: $size, orderBy: {field: UPDATED_AT, direction: DESC}) {
        nodes {
          id number
          n: number
          author { ...Who ... on Bot { id } }
          mergedBy { __typename login ... on User { databaseId } }
          labels(first: 5) @skip(if: $skipLabels) { nodes { name } }
          reviews(first: 2) @include(if: $withReviews) {
            totalCount
            nodes { state author { login ...Who } }
          }
        }
      }
    }
    fragment Who on Actor { __typename login ... on User { createdAt } }
    """
    owner, name = REPO.split("/")
    for variables in (
        {"withReviews": True, "dir": "ASC", "states": ["MERGED"]},
        {"withReviews": False, "skipLabels": False, "dir": "DESC", "states": None, "size": 7},
    ):
        answer = both(world, schema, query, "Shapes", owner=owner, name=name, **variables)
        assert answer["data"]["__typename"] == "Query"
        assert answer["data"]["two"]["missing"] is None
        assert answer["errors"][0]["type"] == "NOT_FOUND"
        assert len(answer["data"]["one"]["pullRequests"]["nodes"]) == variables.get("size", 4)
    # A null in a non-null root field empties the whole answer.
    assert "data" not in both(world, schema, "{ id rateLimit { cost } }")


def test_full_schema_nulls_propagate_and_the_rest_falls_back_to_graphql_core(world, shared_data):
    schema, source = load_schema(prefer_full=True)
    assert source == "github"
    owner, name = REPO.split("/")
    # Non-null fields the simulator does not resolve: each list item is nulled, with an error.
    items = both(
        world,
        schema,
        """query($owner: String!, $name: String!) {
             repository(owner: $owner, name: $name) {
               nameWithOwner isPrivate
             }
             again: repository(owner: $owner, name: $name) {
               pullRequests(first: 3) { totalCount nodes { number baseRefName } }
             }
           }""",
        owner=owner,
        name=name,
    )
    assert items["data"]["repository"] is None
    assert items["data"]["again"]["pullRequests"]["nodes"] == [None, None, None]
    assert [e["path"] for e in items["errors"]][1:] == [
        ["again", "pullRequests", "nodes", n, "baseRefName"] for n in range(3)
    ]
    pull = next(iter(world.query("SELECT pr_id FROM issues WHERE number=4 AND pr_id IS NOT NULL")))
    nodes = both(
        world,
        schema,
        """query($ids: [ID!]!) { nodes(ids: $ids) {
             __typename id
             ... on PullRequest { number closingIssuesReferences(first: 5) { nodes { number } }
                                  reviews(first: 2) { totalCount edges { cursor node { state } } } }
             ... on Repository { nameWithOwner owner { login } }
           } }""",
        ids=[node_id("PullRequest", pull[0]), world.repo(REPO).node_id],
    )
    assert nodes["data"]["nodes"][0]["reviews"]["edges"][0]["cursor"]

    before = dict(graphql_fast.STATS)
    introspection = both(world, schema, '{ __type(name: "PullRequest") { name kind } }')
    assert introspection["data"]["__type"] == {"name": "PullRequest", "kind": "OBJECT"}
    both(world, schema, 'mutation { addStar(input: {starrableId: "x"}) { clientMutationId } }')
    assert graphql_fast.STATS["fallback"] - before["fallback"] == 2


def test_the_server_answers_ingest_queries_on_the_fast_path(world, github_sim):
    sim = github_sim(world)
    before = dict(graphql_fast.STATS)
    owner, name = REPO.split("/")
    answer = requests.post(
        f"{sim.url}/graphql",
        json={"query": ALL_QUERIES["PullRequests"], "variables": {"owner": owner, "name": name}},
        headers={"Authorization": "token " + "t0k" + "en"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert len(answer.json()["data"]["repository"]["pullRequests"]["nodes"]) == 100
    assert graphql_fast.STATS["fast"] == before["fast"] + 1
    assert graphql_fast.STATS["fallback"] == before["fallback"]


def test_reviews_read_for_a_whole_page_match_the_keyset_query_of_one(world, schema):
    """A page's pull requests read their first reviews together; asking with a states filter
    takes the per-pull-request keyset query: both give the same reviews, count and cursor."""
    query = """query($owner: String!, $name: String!) {
      repository(owner: $owner, name: $name) {
        pullRequests(first: 100, orderBy: {field: CREATED_AT, direction: ASC}) { nodes {
          number
          shared: reviews(first: 50) { totalCount pageInfo { hasNextPage endCursor }
                                       nodes { fullDatabaseId state author { login } } }
          own: reviews(first: 50, states: [APPROVED, COMMENTED, CHANGES_REQUESTED, DISMISSED, PENDING]) {
            totalCount pageInfo { hasNextPage endCursor }
            nodes { fullDatabaseId state author { login } }
          }
        } }
      }
    }"""
    owner, name = REPO.split("/")
    pulls = both(world, schema, query, owner=owner, name=name)["data"]["repository"]
    reviewed = [p for p in pulls["pullRequests"]["nodes"] if p["shared"]["totalCount"]]
    assert reviewed and all(p["shared"] == p["own"] for p in pulls["pullRequests"]["nodes"])


def test_stargazers_page_by_page_oldest_first_users_only(world, schema):
    owner, name = REPO.split("/")
    after, edges = None, []
    while True:
        answer = both(world, schema, ALL_QUERIES["Stargazers"], owner=owner, name=name, after=after)
        page = answer["data"]["repository"]["stargazers"]
        edges += page["edges"]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    logins = [e["node"]["login"] for e in edges]
    assert logins == [f"fan-{n}" for n in range(140)]  # no bot, no deleted account
    first = edges[0]
    assert first["starredAt"] == "2020-03-01T00:00:00Z"
    assert first["node"]["createdAt"] == "2020-03-01T00:00:00Z"
    # Nothing after the last star: what a resumed sync of an unchanged repository asks.
    empty = both(world, schema, ALL_QUERIES["Stargazers"], owner=owner, name=name, after=after)
    last = empty["data"]["repository"]["stargazers"]
    assert (last["edges"], last["pageInfo"]) == ([], {"hasNextPage": False, "endCursor": None})
    newest_first = (
        "query($o: String!, $n: String!) { repository(owner: $o, name: $n) { "
        "stargazers(first: 2, orderBy: {field: STARRED_AT, direction: DESC}) { "
        "edges { starredAt node { login } } } } }"
    )
    answer = both(world, schema, newest_first, o=owner, n=name)
    page = answer["data"]["repository"]["stargazers"]
    assert [e["node"]["login"] for e in page["edges"]] == ["fan-139", "fan-138"]
