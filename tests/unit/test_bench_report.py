"""The benchmark's table, its targets, and the JSON kept beside the previous run's."""

import json
from pathlib import Path
from typing import Any

from lifecycle.bench_report import (
    GIB,
    bench_lines,
    compare,
    flatten,
    format_table,
    target_checks,
    write_figures,
)


def _run(wall: float, dbt: float, rss: int) -> dict[str, Any]:
    return {
        "wall_s": wall,
        "cpu_s": wall * 1.5,
        "stages": {
            "extract": 10.0,
            "dbt": dbt,
            "predict": 1.0,
            "gate": 5.0,
            "publish": 2.0,
            "airflow": wall - dbt - 18.0,
        },  # fmt: skip
        "peak_rss_bytes": rss,
        "stage_peak_rss": {"dbt": rss, "extract": rss // 2},
        "rows_per_s": {"extract": 2_500_000.0, "dbt": 900.0, "publish": None},
    }


def _figures(full_wall: float = 200.0, incr_wall: float = 20.0) -> dict[str, Any]:
    return {
        "scale": 1000,
        "full": _run(full_wall, 100.0, GIB),
        "incremental": _run(incr_wall, 8.0, 3 * GIB),
        "floor": {"seconds": 10.0, "rows_per_s": 1e6},
        "ratios": {
            "incremental_over_full": incr_wall / full_wall,
            "dbt_over_floor": 10.0,
            "run_over_floor": full_wall / 10.0,
        },  # fmt: skip
        "clv": {
            "customers": 5000,
            "lifecycle": {"seconds": 0.2, "converged": True},
            "lifetimes": {"seconds": 0.8, "converged": True, "available": True},
        },
    }


def test_target_checks_judges_each_target_on_the_figures() -> None:
    checks = target_checks(_figures(full_wall=400.0, incr_wall=20.0))

    assert checks["full_run_s"]["met"] is False
    assert checks["incremental_over_full"]["met"] is True  # 20 / 400 = 5%
    assert checks["dbt_over_floor"]["met"] is True
    assert checks["peak_rss_bytes"] == {"target": f"< {2 * GIB}", "value": 3 * GIB, "met": False}
    assert checks["clv_fit_s"]["met"] is True


def test_target_checks_fails_a_clv_fit_that_did_not_converge() -> None:
    figures = _figures()
    figures["clv"]["lifecycle"] = {"seconds": 0.1, "converged": False}

    assert target_checks(figures)["clv_fit_s"]["met"] is False


def test_format_table_puts_figures_targets_and_verdicts_in_columns() -> None:
    table = format_table("title", bench_lines(_figures(full_wall=200.0, incr_wall=40.0)))
    rows = {line.split("  ")[0].strip(): line for line in table.splitlines()}

    assert table.splitlines()[0] == "title"
    assert rows["nightly run, wall time"].split() == [
        "nightly", "run,", "wall", "time", "200.0", "s", "40.0", "s", "full", "<=", "300", "s",
        "yes",
    ]  # fmt: skip
    assert rows["next day / full run"].split()[-4:] == ["20.0%", "<=", "15%", "NO"]
    assert rows["peak RSS, process tree"].split()[-8:] == [
        "1.00", "GiB", "3.00", "GiB", "<", "2", "GiB", "NO",
    ]  # fmt: skip
    assert "2.50 M/s" in rows["rows/s extract (raw rows read)"]
    assert "900 /s" in rows["rows/s dbt (rows of built tables)"]
    assert rows["dbt build / floor"].split()[-3:] == ["<=", "15x", "yes"]
    assert "0.80 s" in rows["CLV fit, lifetimes (reference)"]


def test_format_table_right_aligns_the_figures_under_their_heading() -> None:
    table = format_table("t", bench_lines(_figures()))
    lines = table.splitlines()
    end = lines[2].index("full run") + len("full run")
    wall = next(line for line in lines if line.startswith("nightly run"))
    rss = next(line for line in lines if line.startswith("peak RSS"))

    assert wall[:end].endswith("200.0 s")
    assert rss[:end].endswith("1.00 GiB")


def test_flatten_names_every_number_by_its_path() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": 2.5}}, "e": True, "f": "x", "g": None}) == {
        "a.b": 1.0,
        "a.c.d": 2.5,
    }


def test_compare_reports_the_change_of_headline_figures() -> None:
    before, after = _figures(full_wall=200.0), _figures(full_wall=150.0)

    lines = compare(before, after)

    wall = next(line for line in lines if line.startswith("full.wall_s"))
    assert wall.split()[-4:] == ["200.00", "->", "150.00", "-25.0%"]
    assert not any(line.startswith("(the previous run") for line in lines)


def test_compare_warns_when_the_scales_differ() -> None:
    before, after = _figures(), _figures()
    after["scale"] = 2000

    assert compare(before, after)[0] == "(the previous run was at scale 1000, not like for like)"


def test_write_figures_keeps_the_previous_run(tmp_path: Path) -> None:
    first, second = _figures(full_wall=200.0), _figures(full_wall=100.0)

    assert write_figures(tmp_path, first) is None
    previous = write_figures(tmp_path, second)

    assert previous is not None and previous["full"]["wall_s"] == 200.0
    assert json.loads((tmp_path / "previous.json").read_text())["full"]["wall_s"] == 200.0
    assert json.loads((tmp_path / "latest.json").read_text())["full"]["wall_s"] == 100.0
