"""The benchmark's output: one table of figures and ratios with issue 9's targets beside them,
the same figures as JSON (`latest.json`, the run before kept as `previous.json`), and the
change of the headline figures since the previous run. Pure functions over the figures dict
that `lifecycle.bench` assembles (its layout is documented there).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

GIB = 1024**3
# Issue 9's targets (measured on the 2-core machines; the run time at the default scale).
TARGET_FULL_S = 300.0
TARGET_DBT_OVER_FLOOR = 15.0
TARGET_INCREMENTAL_SHARE = 0.15
TARGET_PEAK_RSS = 2 * GIB

STAGE_LABELS = (
    ("extract", "  extract (4 tasks)"),
    ("dbt", "  dbt build (2 passes)"),
    ("predict", "  CLV step (read, fit, write)"),
    ("gate", "  quality gate"),
    ("publish", "  publish"),
    ("airflow", "  Airflow and start-up (rest)"),
)
# The figures compared with the previous run, by their dotted path in the JSON.
HEADLINE = (
    "full.wall_s", "full.stages.extract", "full.stages.dbt", "full.stages.gate",
    "full.peak_rss_bytes", "incremental.wall_s", "incremental.stages.dbt",
    "incremental.peak_rss_bytes", "floor.seconds", "ratios.incremental_over_full",
    "ratios.dbt_over_floor", "ratios.run_over_floor", "clv.lifecycle.seconds",
    "clv.lifetimes.seconds",
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One row of the table; `met` is None where no target applies."""

    label: str
    full: str = ""
    incremental: str = ""
    target: str = ""
    met: bool | None = None


def number(value: float) -> str:
    """A figure of any size, to the precision that matters."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"


def secs(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


def size(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / GIB:.2f} GiB" if value >= GIB / 2 else f"{value / 1024**2:,.0f} MiB"


def rate(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M/s"
    return f"{value / 1e3:,.1f} k/s" if value >= 1e3 else f"{value:,.0f} /s"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}x"


def _get(figures: dict[str, Any], path: str) -> Any:
    node: Any = figures
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _meets(value: float | None, limit: float, strict: bool = False) -> bool | None:
    if value is None:
        return None
    return value < limit if strict else value <= limit


def target_checks(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 9's targets: each with the measured value and whether it is met (None: unknown)."""
    full, incr, ratios = figures["full"], figures["incremental"], figures["ratios"]
    peak = max(full["peak_rss_bytes"], incr["peak_rss_bytes"])
    clv = figures.get("clv") or {}
    ours, ref = clv.get("lifecycle") or {}, clv.get("lifetimes") or {}
    faster = None
    if ours.get("seconds") is not None and ref.get("seconds") is not None:
        faster = bool(ours.get("converged")) and ours["seconds"] <= ref["seconds"]
    return {
        "full_run_s": {"target": f"<= {TARGET_FULL_S:.0f}", "value": full["wall_s"],
                       "met": _meets(full["wall_s"], TARGET_FULL_S)},
        "dbt_over_floor": {"target": f"<= {TARGET_DBT_OVER_FLOOR:.0f}",
                           "value": ratios.get("dbt_over_floor"),
                           "met": _meets(ratios.get("dbt_over_floor"), TARGET_DBT_OVER_FLOOR)},
        "incremental_over_full": {
            "target": f"<= {TARGET_INCREMENTAL_SHARE}",
            "value": ratios.get("incremental_over_full"),
            "met": _meets(ratios.get("incremental_over_full"), TARGET_INCREMENTAL_SHARE),
        },
        "peak_rss_bytes": {"target": f"< {TARGET_PEAK_RSS}", "value": peak,
                           "met": _meets(peak, TARGET_PEAK_RSS, strict=True)},
        "clv_fit_s": {"target": "<= lifetimes, converged", "value": ours.get("seconds"),
                      "reference": ref.get("seconds"), "met": faster},
    }  # fmt: skip


def bench_lines(figures: dict[str, Any]) -> list[Line]:
    """The table's rows, in reading order."""
    full, incr = figures["full"], figures["incremental"]
    ratios, floor, clv = figures["ratios"], figures["floor"], figures.get("clv") or {}
    met = {name: check["met"] for name, check in target_checks(figures).items()}
    lines = [
        Line("nightly run, wall time", secs(full["wall_s"]), secs(incr["wall_s"]),
             f"full <= {TARGET_FULL_S:.0f} s", met["full_run_s"]),
    ]  # fmt: skip
    for key, label in STAGE_LABELS:
        lines.append(Line(label, secs(full["stages"].get(key)), secs(incr["stages"].get(key))))
    share = ratios.get("incremental_over_full")
    lines += [
        Line("next day / full run", "", "-" if share is None else f"{share:.1%}",
             f"<= {TARGET_INCREMENTAL_SHARE:.0%}", met["incremental_over_full"]),
        Line("CPU time of the run (all processes)", secs(full.get("cpu_s")),
             secs(incr.get("cpu_s"))),
        Line("peak RSS, process tree", size(full["peak_rss_bytes"]),
             size(incr["peak_rss_bytes"]), "< 2 GiB", met["peak_rss_bytes"]),
    ]  # fmt: skip
    peaks_f, peaks_i = full.get("stage_peak_rss", {}), incr.get("stage_peak_rss", {})
    for key, label in STAGE_LABELS[:5]:
        lines.append(Line(label, size(peaks_f.get(key)), size(peaks_i.get(key))))
    lines += [
        Line("rows/s extract (raw rows read)", rate(full["rows_per_s"].get("extract")),
             rate(incr["rows_per_s"].get("extract"))),
        Line("rows/s dbt (rows of built tables)", rate(full["rows_per_s"].get("dbt")),
             rate(incr["rows_per_s"].get("dbt"))),
        Line("rows/s publish (rows published)", rate(full["rows_per_s"].get("publish")),
             rate(incr["rows_per_s"].get("publish"))),
        Line("floor: read all raw once, 1 row/key", secs(floor.get("seconds"))),
        Line("  floor rows/s", rate(floor.get("rows_per_s"))),
        Line("dbt build / floor", ratio(ratios.get("dbt_over_floor")), "",
             f"<= {TARGET_DBT_OVER_FLOOR:.0f}x", met["dbt_over_floor"]),
        Line("whole run / floor", ratio(ratios.get("run_over_floor"))),
    ]  # fmt: skip
    ours, ref = clv.get("lifecycle") or {}, clv.get("lifetimes") or {}
    if ours:
        customers = f" ({clv.get('customers', 0):,} customers)"
        shown = secs(ours.get("seconds")) if ours.get("converged") else "no fit"
        lines.append(Line("CLV fit, lifecycle.clv" + customers, shown, "",
                          "lifecycle <= lifetimes", met["clv_fit_s"]))  # fmt: skip
        if not ref.get("available"):
            theirs = "not installed"
        else:
            theirs = secs(ref.get("seconds")) if ref.get("converged") else "no fit"
        lines.append(Line("CLV fit, lifetimes (reference)", theirs))
    return lines


def format_table(title: str, lines: list[Line]) -> str:
    header = Line("figure", "full run", "next day", "target")
    width = max(len(line.label) for line in [header, *lines])
    rows = []
    for line in [header, *lines]:
        met = {True: "yes", False: "NO", None: ""}[line.met]
        if line is header:
            met = "met"
        rows.append(
            f"{line.label:<{width}}  {line.full:>12}  {line.incremental:>12}"
            f"  {line.target:<22} {met}".rstrip()
        )
    rule = "-" * max(len(r) for r in rows)
    return "\n".join([title, rule, rows[0], rule, *rows[1:], rule])


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number in the figures, by its dotted path."""
    flat: dict[str, float] = {}
    for key, value in figures.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = float(value)
    return flat


def compare(previous: dict[str, Any], latest: dict[str, Any]) -> list[str]:
    """One line per headline figure both runs have: old -> new and the relative change."""
    old, new = flatten(previous), flatten(latest)
    lines = []
    if previous.get("scale") != latest.get("scale"):
        lines.append(f"(the previous run was at scale {previous.get('scale')}, not like for like)")
    for path in HEADLINE:
        if path not in old or path not in new:
            continue
        before, after = old[path], new[path]
        change = f"{(after - before) / before:+.1%}" if before else "n/a"
        lines.append(f"{path:<30} {number(before):>14} -> {number(after):>14}  {change}")
    return lines


def write_figures(bench_dir: Path, figures: dict[str, Any]) -> dict[str, Any] | None:
    """Write `latest.json`, keeping the one it replaces as `previous.json`; the previous
    figures (None on the first run)."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    latest, previous = bench_dir / "latest.json", bench_dir / "previous.json"
    before: dict[str, Any] | None = None
    if latest.is_file():
        before = json.loads(latest.read_text(encoding="utf-8"))
        latest.replace(previous)
    tmp = latest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(latest)
    return before
