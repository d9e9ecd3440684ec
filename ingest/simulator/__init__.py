"""A GitHub look-alike HTTP server (REST + GraphQL) over a mutable world, for tests, benchmarks and the demo.

Only tests, benchmarks and `manage.py demo` import this package; ingest reaches it only through
`GITHUB_API_URL`, and never knows it is not GitHub.

Worlds:

- ``World()`` — empty, built by hand with the API below (SQLite in memory; ``World(path)`` for a file).
- ``World.synthetic(seed=1, scale="small"|"medium"|"large")`` (``synthetic.py``) — a SOFAStack-like
  community, deterministic by seed: orgs ``sofastack`` (sofa-rpc, sofa-jraft, sofa-registry,
  sofa-boot, sofa-ark, sofa-bolt) and ``mosn`` (mosn, layotto); small ≈ 2,000 issues + PRs (and
  reviews, comments, commits, stars: ~10,000 items), medium ≈ 20,000 issues + PRs in 24 repos
  (~70,000 items), large = 300 repos and 1,000,000 issues + PRs in a temporary SQLite file.
  What it contains (promotions, bots, floods, bursts, surprises) is in that module's docstring.
- ``GitHistoryWorld(paths).build()`` (``git_history.py``) — the real SOFAStack commit history
  of ``../shared/data/sofastack-git/*.jsonl``; what is inferred is listed in that module.

Building a world by hand (``world.py``)::

    world = World()
    world.add_org("sofastack")                               # -> User (type "Organization")
    world.add_user("alice", name=…, company=…, email=…, location=…, created_at=…, type="User"|"Bot")
    world.add_repo("sofastack", "sofa-rpc", created_at=…, default_branch="master",
                   archived=False, fork=False, description=None)   # -> Repo (.id, .full_name, …)
    repo = "sofastack/sofa-rpc"                                     # every other call takes the name
    n = world.add_issue(repo, author=, title=, body=, created_at=, closed_at=None, closed_by=None,
                        labels=[], locked=False, lock_reason=None, author_association="NONE")
    n = world.add_pull(repo, author=, title=, body="Fixes #1", created_at=, merged_at=, merged_by=,
                       closed_at=, additions=, deletions=, changed_files=, commits=1, labels=, draft=,
                       author_association=)      # same number space as issues; "Fixes #N" → closes N
    world.add_review(repo, n, author=, state="APPROVED", submitted_at=, author_association=, body="")
    world.add_comment(repo, n, author=, body=, created_at=, author_association=)  # conversation
    world.add_review_comment(repo, n, author=, body=, created_at=, path=)       # diff comment
    world.add_commit(repo, sha=None, author_login=None, author_name=, author_email=, committer_login=,
                     committer_name=, committer_email=, authored_at=, committed_at=, message=,
                     additions=, deletions=, changed_files=, parents=1 (count or list of shas),
                     pr_number=None, paths=(),   # -> sha; e-mail-only authors: author_login=None
                     co_authors=[{"name", "email", "login"}])  # Co-authored-by (login: linked account)
    world.add_star(repo, user=, starred_at=)
    world.set_file(repo, "OWNERS", content=, committed_at=, author=)  # a commit touching only it
    world.update_issue(repo, n, **changes); world.update_pull(repo, n, **changes)  # bump updated_at
    world.delete_issue(repo, n); world.rename_repo(repo, new_name); world.transfer_repo(repo, owner)
    world.update_user(login, company=…); world.delete_user(login, shown_as="ghost"|"null")
    world.update_repo(repo, archived=True, …); world.update_comment(repo, comment_id, body=)
    world.item(repo, n); world.user(login); world.repo(repo); world.repos(owner)  # reading back
  (Timestamps are datetimes or ISO strings, stored as GitHub's ``…Z``;
  add_issue/add_pull take ``number=`` to place an item at a given number. Impossible requests
  (unknown user or repository, taken login or number) raise ``WorldError``.)

Server (``server.py``)::

    with SimulatorServer(world, tokens=None) as sim:  # tokens: None = any token; a set = others get 401
        sim.url                       # http://127.0.0.1:<ephemeral port>
        sim.stats(); sim.reset_stats()   # == GET /_simulator/stats (not counted); POST /_simulator/stats/reset
        sim.faults.fail(status=502, nth=3, endpoint="GET /repos/{owner}/{repo}/issues")
        sim.faults.reset_connection(nth=1) / truncate() / malformed() / slow(seconds=) /
            secondary_limit(status=403|429, retry_after=) / exhaust_rate_limit(reset_in=) / clear()
        sim.exhaust(resource="core"|"graphql", reset_in=seconds)

  Options: ``rate_limit=5000`` (REST per token per hour), ``graphql_limit=5000`` points,
  ``anonymous_limit=60`` (no Authorization header, as on GitHub), ``full_schema=True`` (False:
  serve the committed subset), ``record=False`` (True: keep every answer in ``sim.served`` for
  ``openapi.served_problems`` and ``shapes.served_graphql_problems``; the ``github_sim`` test
  fixture records and checks them).
  GHES-style prefixes (``/api/v3/…``, ``/api/graphql``) are accepted too.

Command line (``__main__.py``): ``python -m ingest.simulator --port PORT [--world synthetic --seed N
--scale S | --world git-history FILE…] [--db FILE] [--token T]… [--fault SPEC]…`` (fault syntax in
``faults.py``; ``--db`` builds the world into FILE once and serves it again on later runs).

REST, with GitHub's semantics (``rest.py``): ``GET /orgs/{org}/repos``, ``/repos/{owner}/{repo}``,
``…/issues`` (state, since, sort, direction, labels, creator; pull requests carry ``pull_request``),
``…/issues/{n}``, ``…/issues/{n}/comments``, ``…/issues/comments``, ``…/issues/events``, ``…/pulls``,
``…/pulls/{n}``, ``…/pulls/{n}/reviews``, ``…/pulls/comments``, ``…/commits`` (sha, path, since, until,
author), ``…/stargazers`` (``application/vnd.github.star+json`` → ``{starred_at, user}``),
``…/contents/{path}`` (ref; base64), ``/users/{username}``, ``/rate_limit``. ``per_page`` ≤ 100, ``page``;
``Link`` next/last/prev/first point at ``/repositories/<id>/…`` (``/organizations/<id>/repos``).
``ETag`` on every 200 GET; ``If-None-Match`` → 304, not charged. ``X-RateLimit-*`` on every
authenticated (or anonymous) answer;
exhausted → 403 with Remaining 0; bad token → 401; unknown → 404 GitHub-style JSON; a renamed or
transferred repository → 301 to ``/repositories/<id>/…`` (GitHub's redirect).

GraphQL (``graphql_api.py``): ``POST /graphql`` executed by graphql-core against GitHub's own
schema, resolving the queries of ``ingest/github/queries.py``; rate limit resource ``graphql``,
cost by GitHub's documented formula, opaque keyset cursors, ``fullDatabaseId`` as a string,
GitHub-style ``{"errors": […]}`` (``"type": "NOT_FOUND"`` for unknown repositories and node ids).
When GitHub's schema file is absent, the committed subset ``schema_subset.graphql`` (made by
``prune_schema.py``) is served instead.
"""

from ingest.simulator.faults import Faults
from ingest.simulator.git_history import GitHistoryWorld
from ingest.simulator.server import SimulatorServer
from ingest.simulator.synthetic import SyntheticWorld
from ingest.simulator.world import Repo, User, World, WorldError

__all__ = [
    "Faults",
    "GitHistoryWorld",
    "Repo",
    "SimulatorServer",
    "SyntheticWorld",
    "User",
    "World",
    "WorldError",
]
