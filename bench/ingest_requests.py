"""API requests per 100 GitHub objects stored on a full sync of a synthetic world, and the
cost of an incremental sync of the unchanged world (target: ≤ 2 per 100; 1 request per
repository and resource, answered 304, but stars: GraphQL has no conditional requests, so one
request from the kept cursor that returns nothing).

    .venv/bin/python bench/ingest_requests.py [--scale small|medium] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_common import manage, reset_stats, scratch_database, simulator, stats, stored_counts  # noqa: E402

RESOURCES = 6  # issues, pull requests (+reviews), comments, review comments, commits, stars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with simulator(scale=args.scale, seed=args.seed) as url, scratch_database() as db:
        manage(db, "ingest", "--full", sim_url=url)
        full = stats(url)
        counts = stored_counts(db)
        objects = sum(v for k, v in counts.items() if k != "repositories")
        reset_stats(url)
        manage(db, "ingest", sim_url=url)
        incremental = stats(url)
    repos = counts["repositories"]
    print(f"world: synthetic seed {args.seed} scale {args.scale}; {repos} repositories")
    print("stored: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(
        f"full sync: {full['requests']} requests for {objects} objects = "
        f"{100 * full['requests'] / objects:.2f} requests per 100 objects (target <= 2)"
    )
    for endpoint, by_status in sorted(full["by_endpoint"].items()):
        print(f"    {endpoint}: {by_status}")
    print(
        f"incremental, unchanged: {incremental['requests']} requests, "
        f"{incremental['not_modified']} answered 304; "
        f"{incremental['requests'] / (repos * RESOURCES):.2f} per repository and resource "
        f"(target: 1, all 304 but stars, one GraphQL request from the kept cursor; "
        "+1 per organisation list page)"
    )


if __name__ == "__main__":
    main()
