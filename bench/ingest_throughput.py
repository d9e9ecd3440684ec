"""Issues + pull requests per second into the database, end to end (simulator over HTTP ->
client -> sync services -> bulk upserts), and the ingest process's peak memory.

Runs `manage.py ingest --full` as the measured process against a simulator in another process
and reads that process's peak RSS from the kernel (wait4). Use PostgreSQL for the figure that
counts (DATABASE_URL=postgres://…). Targets: ≥ 2,000 issues+PRs/s; < 300 MB at 1,000,000 items.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/ingest_throughput.py \
        [--scale small|medium|large] [--runs N] [--jobs N] [--world-db FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_common import (  # noqa: E402
    ROOT,
    env_for,
    orgs_of,
    scratch_database,
    simulator,
    stored_counts,
)


def one_run(
    *, scale: str, seed: int, repo: str | None, jobs: int, world_db: str | None = None
) -> tuple[float, dict[str, int], float, float]:
    with simulator(scale=scale, seed=seed, world_db=world_db) as url, scratch_database() as db:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "ingest", "--full", "--jobs", str(jobs)]
            + (["--repo", repo] if repo else []),
            cwd=ROOT,
            env=env_for(db, url, orgs=orgs_of(scale)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        # The command prints its summary when the sync ends, then rebuilds the dashboard's
        # rollups (not ingest's work, and minutes on big worlds): time the sync up to the
        # summary, then stop the process (its peak RSS so far is the sync's).
        output = b""
        elapsed = None
        for line in proc.stdout:
            output += line
            if line.startswith((b"Items written:", b"API requests:", b"Rate-limit", b"Errors:")):
                # A run cut short (rate limit, errors) would not be the figure it claims to be.
                print("    " + line.decode(errors="replace").strip())
            if line.startswith(b"Errors:"):
                elapsed = time.perf_counter() - started
                proc.terminate()
                break
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if elapsed is None:
            raise SystemExit(output.decode(errors="replace"))
        counts = stored_counts(db)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, counts, usage.ru_maxrss / 1024, cpu  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--jobs",
        type=int,
        default=4,
        help="repositories synced at once (the command's default on PostgreSQL)",
    )
    parser.add_argument("--repo", help="only this repository of the world (e.g. its largest)")
    parser.add_argument(
        "--world-db", help="the simulator's world file, kept between runs (for --scale large)"
    )
    args = parser.parse_args()
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    rates, all_rates, peaks = [], [], []
    for n in range(args.runs):
        elapsed, counts, peak, cpu = one_run(
            scale=args.scale,
            seed=args.seed,
            repo=args.repo,
            jobs=args.jobs,
            world_db=args.world_db,
        )
        items = counts["issues"] + counts["pull_requests"]
        objects = sum(v for k, v in counts.items() if k != "repositories")
        rates.append(items / elapsed)
        all_rates.append(objects / elapsed)
        peaks.append(peak)
        print(
            f"run {n + 1}: {items} issues+PRs ({objects} objects) in {elapsed:.1f} s = "
            f"{items / elapsed:,.0f} issues+PRs/s, {objects / elapsed:,.0f} objects/s; "
            f"peak RSS {peak:.0f} MB; ingest process CPU {cpu:.1f} s = "
            f"{items / cpu:,.0f} issues+PRs per CPU-second (the rest of the wall time is spent "
            "waiting for the simulator and PostgreSQL)"
        )
    print(
        f"{engine}, scale {args.scale}: median {statistics.median(rates):,.0f} issues+PRs/s "
        f"(all objects {statistics.median(all_rates):,.0f}/s), peak RSS median "
        f"{statistics.median(peaks):.0f} MB (target >= 2,000/s; < 300 MB at 1,000,000 items)"
    )


if __name__ == "__main__":
    main()
