"""Peak memory (and time) of generating and serving the large synthetic world; budget < 500 MB RSS.

    .venv/bin/python bench/simulator_memory.py [--scale large] [--seed 1] [--sample-repos 3]

Builds `World.synthetic(scale=…)` (SQLite file in a temp dir), serves it with the real HTTP
server, then pages through a sample like ingest would: every issue page of a few repositories
over REST, their pull requests over GraphQL (PullRequests query), and one deep page of the
biggest repository. Prints item counts, timings and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.github.queries import PULL_REQUESTS  # noqa: E402
from ingest.simulator import SimulatorServer, World  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-repos", type=int, default=3)
    args = parser.parse_args()

    started = time.monotonic()
    world = World.synthetic(seed=args.seed, scale=args.scale)
    built = time.monotonic() - started
    counts = {
        t: world.query_one(f"SELECT count(*) FROM {t}")[0]
        for t in ("repos", "users", "issues", "reviews", "comments", "commits", "stars")
    }
    print(
        f"world: scale={args.scale} seed={args.seed} built in {built:.1f} s; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    print(f"peak RSS after generation: {peak_rss_mb():.0f} MB")

    session = requests.Session()
    session.headers["Authorization"] = "token bench"
    biggest = world.query(
        "SELECT r.full_name, count(*) AS n FROM issues i JOIN repos r ON r.id = i.repo_id "
        "GROUP BY r.id ORDER BY n DESC LIMIT ?",
        (args.sample_repos,),
    )
    with SimulatorServer(world) as sim:
        pages = items = 0
        started = time.monotonic()
        for row in biggest:
            url = f"{sim.url}/repos/{row['full_name']}/issues?state=all&per_page=100"
            while url:
                answer = session.get(url)
                answer.raise_for_status()
                items += len(answer.json())
                pages += 1
                url = answer.links.get("next", {}).get("url")
            owner, name = row["full_name"].split("/")
            after, more = None, True
            while more:
                data = session.post(
                    f"{sim.url}/graphql",
                    json={
                        "query": PULL_REQUESTS,
                        "variables": {"owner": owner, "name": name, "after": after},
                    },
                ).json()["data"]
                connection = data["repository"]["pullRequests"]
                items += len(connection["nodes"])
                pages += 1
                more, after = (
                    connection["pageInfo"]["hasNextPage"],
                    connection["pageInfo"]["endCursor"],
                )
        elapsed = time.monotonic() - started
        deep = time.monotonic()
        session.get(
            f"{sim.url}/repos/{biggest[0]['full_name']}/issues?state=all&per_page=100&page=30"
        )
        deep = time.monotonic() - deep
        stats = sim.stats()
    print(
        f"served {pages} pages / {items:,} items from {len(biggest)} repositories in {elapsed:.1f} s "
        f"({items / elapsed:,.0f} items/s); a deep page (30) took {deep * 1000:.0f} ms; "
        f"{stats['requests']} requests"
    )
    peak = peak_rss_mb()
    print(f"PEAK RSS: {peak:.0f} MB (budget 500 MB) -> {'OK' if peak < 500 else 'OVER BUDGET'}")
    world.close()  # also removes the world's temporary SQLite file
    return 0 if peak < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
