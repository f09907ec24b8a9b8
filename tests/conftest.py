"""Shared pytest options: `--update-golden` rewrites the golden logs and expected outputs."""

import pytest

pytest_plugins = ["tests.etcd_fixtures", "tests.cli_fixture"]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite fixtures/scenarios/*/log.jsonl and expected/ from a fresh run (then read the diff)")


@pytest.fixture(scope="session")
def golden_update(request) -> bool:
    """True when the run should rewrite golden files instead of comparing against them."""
    return bool(request.config.getoption("--update-golden"))
