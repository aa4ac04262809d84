"""`lifecycle bench` end to end at a tiny scale: both runs through Airflow, every figure."""

import io
import json

import pytest

from lifecycle.bench import BenchPlan, run_bench
from lifecycle.paths import Home

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, dict, str]:
    root = Home(tmp_path_factory.mktemp("bench"))
    shown = io.StringIO()
    figures = run_bench(root, BenchPlan(scale=300, days=30, seed=7), out=shown)
    return root, figures, shown.getvalue()


def test_bench_writes_every_figure_to_latest_json(bench: tuple[Home, dict, str]) -> None:
    root, figures, _ = bench
    written = json.loads((root.root / "bench" / "latest.json").read_text())

    assert written["scale"] == 300 and written["days"] == 30
    for run in ("full", "incremental"):
        got = written[run]
        assert got["wall_s"] > 0 and got["cpu_s"] > 0
        assert set(got["stages"]) == {"extract", "dbt", "predict", "gate", "publish", "airflow"}
        assert all(got["stages"][s] > 0 for s in ("extract", "dbt", "predict", "gate", "publish"))
        assert got["peak_rss_bytes"] > 50 * 1024**2
        assert {"extract", "dbt", "gate", "publish"} <= set(got["stage_peak_rss"])
        assert any(label.startswith("dbt") for label in got["process_peak_rss"])
        assert got["rows"]["extract"] > 0 and got["rows"]["dbt"] > 0 and got["rows"]["publish"] > 0
        assert set(got["rows_per_s"]) == {"extract", "dbt", "publish"}
    assert (
        written["full"]["as_of"] == "2026-06-29" and written["incremental"]["as_of"] == "2026-06-30"
    )
    # The full run loads 30 delivery days, the next day one: far fewer raw rows.
    assert written["incremental"]["rows"]["extract"] < written["full"]["rows"]["extract"] / 5
    assert written["floor"]["rows_read"] > 0 and written["floor"]["seconds"] > 0
    assert set(written["ratios"]) == {"incremental_over_full", "incremental_dbt_over_full_dbt",
                                      "dbt_over_floor", "run_over_floor"}  # fmt: skip
    assert all(v is not None and v > 0 for v in written["ratios"].values())
    assert written["clv"]["customers"] > 0 and "lifetimes" in written["clv"]
    assert set(written["targets"]) == {"full_run_s", "dbt_over_floor", "incremental_over_full",
                                       "peak_rss_bytes", "clv_fit_s"}  # fmt: skip
    assert written == json.loads(json.dumps(figures))


def test_bench_prints_the_table(bench: tuple[Home, dict, str]) -> None:
    _, _, shown = bench

    for row in (
        "nightly run, wall time",
        "next day / full run",
        "peak RSS, process tree",
        "rows/s extract",
        "dbt build / floor",
        "whole run / floor",
        "CLV fit, lifecycle.clv",
    ):
        assert row in shown, row
    assert "figures: " in shown and "latest.json" in shown
    assert "  extract  app.events" in shown  # the run's progress, less dbt's line per node
    assert not [line for line in shown.splitlines() if line.startswith("  dbt      ")]


def test_bench_leaves_the_operators_home_alone(bench: tuple[Home, dict, str]) -> None:
    root, _, _ = bench

    assert sorted(p.name for p in root.root.iterdir()) == ["bench"]
    assert not root.serving.exists() and not root.warehouse.exists()
