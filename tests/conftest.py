"""Shared fixtures. Feature-specific fixtures live in tests/fixtures/ and are plugins here."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a skip that says why when this checkout has no ../shared."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"{SHARED_DATA} is absent: the shared GitHub descriptions and git history "
            "are not available on this machine"
        )
    return SHARED_DATA


# -- GitHub simulator (ingest/simulator) ----------------------------------------------------
@pytest.fixture(autouse=True)
def _simulator_answers_match_github():
    """Every answer a GitHub simulator serves during a test is checked against GitHub's contracts.

    REST answers against GitHub's OpenAPI description, GraphQL answers against the shape their
    query asked for (when the descriptions are present): a test that passes against an
    unfaithful answer would prove nothing. Applies to every SimulatorServer a test starts.
    """
    from ingest.simulator.server import SimulatorServer

    SimulatorServer.watched = servers = []
    yield
    SimulatorServer.watched = None
    if not servers:
        return
    from ingest.simulator.graphql_api import contracts_dir

    if (contracts_dir() / "api.github.com.json.gz").is_file():
        from ingest.simulator.openapi import served_problems
        from ingest.simulator.shapes import served_graphql_problems

        problems = [
            p for sim in servers if sim.served is not None for p in served_problems(sim.served)
        ]
        problems += [
            p
            for sim in servers
            if sim.served is not None
            for p in served_graphql_problems(sim.schema, sim.served)
        ]
        assert not problems, "simulator answers unlike GitHub's:\n" + "\n".join(problems[:10])


@pytest.fixture
def github_sim():
    """Factory: `github_sim(world, **kwargs)` starts a SimulatorServer on loopback; stopped at teardown."""
    from ingest.simulator import SimulatorServer

    started = []

    def start(world, **kwargs):
        sim = SimulatorServer(world, **kwargs).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def celery_eager():
    """Tasks sent during the test run at once in this process (as a worker would run them)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = before
