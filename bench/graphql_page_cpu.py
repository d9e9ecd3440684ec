"""Simulator CPU per GraphQL page: `graphql_api.execute()` timed in-process on a synthetic world.

Pages through the repositories' issues (ingest's Issues query, 100 a page), pull requests
(PullRequests) and commit histories (CommitHistory), repository after repository, up to --pages pages a pass, and
asks for 100 profiles by node id (Profiles) --pages times; prints the median process CPU per
page of each query, and each pass's median (the spread says how noisy the machine was). The
JSON encoding and HTTP of the server are not included. Needs no servers.

    .venv/bin/python bench/graphql_page_cpu.py [--scale small|medium] [--passes N] [--pages N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from ingest.github.queries import ALL_QUERIES  # noqa: E402
from ingest.simulator import graphql_api  # noqa: E402
from ingest.simulator.world import World  # noqa: E402


def rate(cost: int) -> dict:
    return {"cost": cost, "remaining": 5000, "resetAt": "2030-01-01T00:00:00Z", "limit": 5000}


def pages(world, schema, name, variables_of, limit):
    """(cpu seconds, variables) of each page of one query over every repository."""
    out = []
    for repo in world.query("SELECT full_name FROM repos"):
        owner, repo_name = repo[0].split("/")
        after = None
        while len(out) < limit:
            variables = dict(variables_of(owner, repo_name), after=after)
            started = time.process_time()
            status, answer, _ = graphql_api.execute(
                world, schema, {"query": ALL_QUERIES[name], "variables": variables}, rate=rate
            )
            out.append(time.process_time() - started)
            assert status == 200 and "errors" not in answer, answer
            data = answer["data"]["repository"]
            if name in ("Issues", "PullRequests"):
                conn = data["issues" if name == "Issues" else "pullRequests"]
            else:
                conn = (data["defaultBranchRef"] or {}).get("target", {}).get("history")
            if not conn or not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium"])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--pages", type=int, default=40, help="pages per query per pass")
    args = parser.parse_args()
    world = World.synthetic(seed=1, scale=args.scale)
    schema, _ = graphql_api.load_schema()
    ids = [r[0] for r in world.query("SELECT id FROM users ORDER BY id LIMIT 100")]
    from ingest.simulator.world import node_id

    profile_ids = [node_id("User", i) for i in ids]
    for name, variables_of in (
        ("Issues", lambda o, n: {"owner": o, "name": n}),
        ("PullRequests", lambda o, n: {"owner": o, "name": n}),
        ("CommitHistory", lambda o, n: {"owner": o, "name": n}),
    ):
        per_pass = []
        for _ in range(args.passes):
            times = pages(world, schema, name, variables_of, args.pages)
            per_pass.append(statistics.median(times))
        print(
            f"{name}: median CPU per page {statistics.median(per_pass) * 1000:.1f} ms "
            f"(pass medians {', '.join(f'{t * 1000:.1f}' for t in per_pass)}; {len(times)} pages a pass)"
        )
    per_pass = []
    for _ in range(args.passes):
        times = []
        for _ in range(args.pages):
            started = time.process_time()
            graphql_api.execute(
                world,
                schema,
                {"query": ALL_QUERIES["Profiles"], "variables": {"ids": profile_ids}},
                rate=rate,
            )
            times.append(time.process_time() - started)
        per_pass.append(statistics.median(times))
    print(
        f"Profiles (100 ids): median CPU per page {statistics.median(per_pass) * 1000:.1f} ms "
        f"(pass medians {', '.join(f'{t * 1000:.1f}' for t in per_pass)})"
    )


if __name__ == "__main__":
    main()
