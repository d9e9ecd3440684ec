"""Per-request cost of the GitHub client against the simulator (in its own process): wall time
and the client process's own CPU time per GET, for a full page of 100 issues and for a
conditional GET answered 304 (tiny answer: nearly all of its cost is the client's).

    .venv/bin/python bench/client_overhead.py [--requests 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest_common import simulator  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def timed(fn, count: int) -> tuple[float, float]:
    """(wall ms, client CPU µs) per call, over `count` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        fn()
    return (
        (time.perf_counter() - wall) * 1000 / count,
        (time.process_time() - cpu) * 1e6 / count,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from ingest.github.client import GitHubClient

    with simulator(scale="small") as url:
        client = GitHubClient(base_url=url, tokens=["bench-token"])
        page = client.get_json(
            "/repos/sofastack/sofa-rpc/issues", {"state": "all", "per_page": 100}
        )
        assert page.status == 200 and len(page.data) == 100, (page.status, len(page.data or []))

        def full_page():
            client.get_json("/repos/sofastack/sofa-rpc/issues", {"state": "all", "per_page": 100})

        def not_modified():
            assert client.get_json(
                "/repos/sofastack/sofa-rpc/issues",
                {"state": "all", "per_page": 100},
                etag=page.etag,
            ).not_modified

        for name, fn in (("page of 100 issues", full_page), ("304 answer", not_modified)):
            timed(fn, 20)  # warm up: connection, caches
            runs = [timed(fn, args.requests) for _ in range(args.runs)]
            walls = sorted(r[0] for r in runs)
            cpus = sorted(r[1] for r in runs)
            print(
                f"{name}: {args.requests} GETs x {args.runs} runs; wall ms/request median "
                f"{statistics.median(walls):.3f} (range {walls[0]:.3f}-{walls[-1]:.3f}); client CPU "
                f"µs/request median {statistics.median(cpus):.0f} (range {cpus[0]:.0f}-{cpus[-1]:.0f})"
            )


if __name__ == "__main__":
    main()
