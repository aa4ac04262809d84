"""The benchmark's own plumbing: its home, its environment, its output filter."""

import io
import os
from datetime import date
from pathlib import Path

import pytest

from lifecycle.bench import BenchPlan, _Quiet, bench_environment, bench_home, reset_home
from lifecycle.paths import Home


def test_bench_home_is_apart_from_the_operators_home(tmp_path: Path) -> None:
    home = bench_home(Home(tmp_path), 2000)

    assert home.root == tmp_path / "bench" / "home-2000"
    assert home.serving != Home(tmp_path).serving


def test_bench_plan_runs_the_full_night_the_day_before_the_new_day() -> None:
    plan = BenchPlan(scale=10, days=30, end=date(2026, 6, 30))

    assert plan.full_as_of == date(2026, 6, 29)


def test_reset_home_removes_what_runs_wrote_and_keeps_the_sources(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    for path in (home.sources / "app" / "x.jsonl", home.raw / "app" / "p.parquet",
                 home.serving / "current" / "m.duckdb", home.warehouse):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")

    reset_home(home)

    assert [p.name for p in home.root.iterdir()] == ["sources"]
    assert (home.sources / "app" / "x.jsonl").read_text() == "x"


def test_bench_environment_pins_its_sources_and_target_then_restores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_SOURCES", "/elsewhere")
    monkeypatch.setenv("LIFECYCLE_TARGET", "postgres")
    monkeypatch.setenv("LIFECYCLE_HOME", "/operator")
    home = Home(tmp_path)

    with bench_environment(home):
        inside = {k: os.environ.get(k) for k in ("LIFECYCLE_SOURCES", "LIFECYCLE_TARGET",
                                                 "LIFECYCLE_HOME")}  # fmt: skip

    assert inside == {"LIFECYCLE_SOURCES": None, "LIFECYCLE_TARGET": "duckdb",
                      "LIFECYCLE_HOME": str(tmp_path)}  # fmt: skip
    assert os.environ["LIFECYCLE_SOURCES"] == "/elsewhere"
    assert os.environ["LIFECYCLE_TARGET"] == "postgres"
    assert os.environ["LIFECYCLE_HOME"] == "/operator"


def test_quiet_drops_dbts_line_per_node_across_split_writes() -> None:
    out = io.StringIO()
    quiet = _Quiet(out)

    chunks = [
        "  extract app.events ok", "\n", "  dbt        1/9 stg_x OK", "\n",
        "  gate     passed\n  dbt        2/9 y OK\n  dbt build (a table row)\n  publish  done",
        "\n",
    ]  # fmt: skip
    for chunk in chunks:
        quiet.write(chunk)

    assert out.getvalue() == (
        "  extract app.events ok\n  gate     passed\n  dbt build (a table row)\n  publish  done\n"
    )
