"""`python -m ingest.simulator --port PORT [--world synthetic --seed N --scale S | --world git-history FILE…]`.

Serves one world until interrupted. `--token` (repeatable) limits accepted tokens (others get
401); `--fault SPEC` (repeatable) injects faults for the whole run (syntax in `faults.py`).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from pathlib import Path

from ingest.simulator.server import SimulatorServer
from ingest.simulator.world import World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.simulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=0, help="0 picks a free port (printed at start)"
    )
    parser.add_argument("--world", choices=["synthetic", "git-history"], default="synthetic")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument(
        "--db",
        help="SQLite file for the world: built there if absent, served as is if present "
        "(default: memory for small, a temporary file otherwise)",
    )
    parser.add_argument(
        "files", nargs="*", help="git-history: <owner>__<name>.commits.jsonl[.gz] files"
    )
    parser.add_argument("--token", action="append", help="accept only these tokens (default: any)")
    parser.add_argument(
        "--fault", action="append", default=[], help="e.g. status:502@3, reset@5=GET /rate_limit"
    )
    parser.add_argument("--rate-limit", type=int, default=5000)
    parser.add_argument(
        "--graphql-rate-limit", type=int, default=5000, help="GraphQL points per hour"
    )
    return parser.parse_args(argv)


def build_world(args: argparse.Namespace) -> World:
    if args.db and Path(args.db).is_file():
        # A world file made by an earlier run: serve it again without regenerating (the large
        # world takes minutes to build).
        print(f"Serving the existing world in {args.db}", flush=True)
        return World(args.db)
    if args.world == "git-history" and not args.files:
        raise SystemExit(
            "--world git-history needs one or more <owner>__<name>.commits.jsonl files"
        )
    if args.world != "git-history" and args.files:
        raise SystemExit("files are only read with --world git-history")
    # Built under a temporary name and renamed when complete, so an interrupted build is never
    # mistaken for a world by the next run.
    building = f"{args.db}.building" if args.db else None
    if building:
        Path(building).unlink(missing_ok=True)
    if args.world == "git-history":
        from ingest.simulator.git_history import GitHistoryWorld

        world = GitHistoryWorld(args.files, path=building).build()
    else:
        world = World.synthetic(seed=args.seed, scale=args.scale, path=building)
    if building:
        world.close()
        Path(building).rename(args.db)
        world = World(args.db)
    return world


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a normal exit, so a big world's temporary file is removed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    world = build_world(args)
    sim = SimulatorServer(
        world,
        tokens=args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        graphql_limit=args.graphql_rate_limit,
    )
    for spec in args.fault:
        try:
            sim.faults.parse(spec)
        except ValueError as error:
            raise SystemExit(str(error)) from None
    sim.bind()
    repos = world.repos()
    print(
        f"GitHub simulator at {sim.url} ({len(repos)} repositories, GraphQL schema: {sim.schema_source});"
        " stats at /_simulator/stats",
        flush=True,
    )
    # What exists now (GitHub's schema, ~250,000 objects, and the world) lives until exit: out of
    # the cyclic collector's full passes, which otherwise walk it again and again while pages are
    # served (measured: ~25% of the simulator's CPU during a medium-world ingest). The pages it
    # builds are freed by reference counting, so the youngest generation is collected every
    # 100,000 allocations rather than every 700 (as in ingest processes, ingest/gc_tuning.py):
    # the collector's time in a medium-world ingest fell from 1.45 s to 0.61 s (world build
    # included).
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    world.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
