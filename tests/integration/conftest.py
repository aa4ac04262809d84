"""Shared set-up for integration tests: demo sources generated and extracted into a home."""

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lifecycle.config import load_sources
from lifecycle.extract import extract_source
from lifecycle.paths import Home

LoadedHome = tuple[Home, dict[str, Any]]


@pytest.fixture(scope="session")
def load_home(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., LoadedHome]:
    """A factory: generate demo sources into a new home and extract every source up to
    `end`; returns the home and the generator's manifest. `plant`, if given, edits the
    generated sources (home.sources) before they are extracted."""

    def load(
        name: str,
        *,
        customers: int,
        days: int,
        seed: int,
        end: date,
        plant: Callable[[Path], None] | None = None,
    ) -> LoadedHome:
        from lifecycle.demo import generate

        if os.environ.get("LIFECYCLE_SOURCES"):
            pytest.fail("unset LIFECYCLE_SOURCES: these tests generate their own sources")
        home = Home(tmp_path_factory.mktemp(name))
        manifest = generate(home.sources, customers=customers, days=days, seed=seed, end_date=end)
        if plant is not None:
            plant(home.sources)
        cfg = load_sources()
        for source in cfg.sources:
            extract_source(source.name, end, "test", home, cfg)
        return home, manifest

    return load


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (lifecycle.pgserver): its URI, for the
    `postgres` superuser. Tests make their own databases on it (`create_database`)."""
    from lifecycle.pgserver import PgServerError, find_binaries, running_server

    try:
        find_binaries()
    except PgServerError as exc:  # `make test` installs them; a skip would hide the tests
        pytest.fail(str(exc))
    with running_server() as uri:
        yield uri
