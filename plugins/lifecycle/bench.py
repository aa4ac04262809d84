"""`make bench` / `lifecycle bench --scale N`: the scale benchmark of issue 9.

What it does, in a home of its own (`$LIFECYCLE_HOME/bench/home-<scale>`, or
`home-<scale>-<days>d` for another history length, so the demo's publication is never touched):

1. Sources: the demo generator (`lifecycle generate`, in a child process whose time and peak
   memory are measured) writes `days + 1` days for `scale` people ending BENCH_END. They are
   kept and reused while the scale, days and seed stay the same (generating 100,000 people
   takes minutes); everything else in the bench home is wiped before each bench.
2. The full run: the nightly run for the day before BENCH_END on the empty home, so its
   extract loads the whole history and dbt builds everything.
3. The floor (lifecycle.bench_probe) on the raw zone the full run wrote, and the predictive
   CLV fit (lifecycle.clv) beside the `lifetimes` package on the same customer summary.
4. The next day: the nightly run for BENCH_END, which finds one new delivery day.

Why through Airflow: each run is `lifecycle run` (`airflow dags test`, lifecycle.orchestrate),
exactly what an operator or the scheduler runs, so the wall time includes what Airflow costs
(starting, parsing the DAG, one process per task, the list_sources task) and the memory is the
real process tree (Airflow, its task processes, dbt). Calling the stage functions directly
would hide that cost. The stages are timed from Airflow's own record of its task instances,
and the CLV step inside the transform task from the progress file's timestamps
(lifecycle.bench_record), so no timing code runs inside the pipeline. The memory of each run
is sampled over the whole process tree (lifecycle.bench_probe.TreeRss); the CPU time is that
of every process the run started (`getrusage` of the children).

The day files of BENCH_END exist from the start: the full run, for the day before, does not
read them (a delivery after the as-of day is never read), so the next day's run sees exactly
one new day, as a real night would.

Figures: one table (lifecycle.bench_report) and `$LIFECYCLE_HOME/bench/latest.json` (the
previous one kept as `previous.json`). Timings are single runs on a shared machine: the load
average before and after is recorded with them.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lifecycle.bench_clv import clv_comparison
from lifecycle.bench_probe import TreeRss, floor_specs, run_floor
from lifecycle.bench_record import (
    built_rows,
    latest_run_id,
    model_times,
    nightly_fit,
    predict_window,
    progress_records,
    stage_seconds,
    stage_windows,
    task_returns,
    task_spans,
)
from lifecycle.bench_report import (
    bench_lines,
    compare,
    format_table,
    target_checks,
    write_figures,
)
from lifecycle.paths import Home

if TYPE_CHECKING:
    from collections.abc import Iterator

BENCH_END = date(2026, 6, 30)
DEFAULT_SCALE = 100_000
DEFAULT_DAYS = 730
SLOWEST = 8  # dbt models listed per run
# Environment the bench sets for its runs (and restores after).
_PINNED = {"LIFECYCLE_TARGET": "duckdb", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
_DROPPED = ("LIFECYCLE_SOURCES", "LIFECYCLE_SOURCES_CONFIG")


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and where its log is."""


@dataclass(frozen=True)
class BenchPlan:
    scale: int
    days: int = DEFAULT_DAYS
    seed: int = 42
    end: date = BENCH_END

    @property
    def full_as_of(self) -> date:
        return self.end - timedelta(days=1)


def bench_dir(home: Home) -> Path:
    return home.root / "bench"


def bench_home(home: Home, scale: int, days: int = DEFAULT_DAYS) -> Home:
    """One home per scale, and per history length when it is not the default, so a bench of
    another length does not regenerate the default one's sources."""
    suffix = "" if days == DEFAULT_DAYS else f"-{days}d"
    return Home(bench_dir(home) / f"home-{scale}{suffix}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# How lifecycle.progress.format_line starts dbt's line per finished node.
_DBT_PROGRESS = f"  {'dbt':<8} "


class _Quiet:
    """Passes the run's progress lines through to `out`, less dbt's line per node."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._pending = ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            if not line.startswith(_DBT_PROGRESS):
                self.out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


@contextmanager
def bench_environment(home: Home) -> Iterator[None]:
    """The bench's runs read its own sources and build on DuckDB, whatever is set outside."""
    saved = {k: os.environ.get(k) for k in (*_PINNED, *_DROPPED, "LIFECYCLE_HOME")}
    os.environ.update(_PINNED | {"LIFECYCLE_HOME": str(home.root)})
    for key in _DROPPED:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _manifest(home: Home) -> dict[str, Any]:
    path = home.sources / "_truth" / "manifest.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}


def ensure_sources(home: Home, plan: BenchPlan, regenerate: bool = False) -> dict[str, Any]:
    """Generate the sources unless the ones there were made for this plan; what they hold."""
    wanted = {"customers": plan.scale, "days": plan.days + 1, "seed": plan.seed,
              "end_date": plan.end.isoformat()}  # fmt: skip
    have = _manifest(home)
    info: dict[str, Any] = {"generated": False, "seconds": None, "peak_rss_bytes": None}
    if regenerate or any(have.get(k) != v for k, v in wanted.items()):
        import lifecycle

        package_root = str(Path(lifecycle.__file__).resolve().parents[1])
        env = os.environ | {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [package_root, os.environ.get("PYTHONPATH")])
            )
        }
        cmd = [sys.executable, "-m", "lifecycle.cli", "generate", "--out", str(home.sources),
               "--customers", str(plan.scale), "--days", str(plan.days + 1),
               "--seed", str(plan.seed), "--end-date", plan.end.isoformat()]  # fmt: skip
        home.logs.mkdir(parents=True, exist_ok=True)
        log_path = home.logs / "bench_generate.log"
        with TreeRss() as rss, log_path.open("w", encoding="utf-8") as log:
            started = time.perf_counter()
            code = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
            seconds = time.perf_counter() - started
        if code != 0:
            raise BenchError(f"generating the sources failed (exit {code}); see {log_path}")
        info |= {"generated": True, "seconds": seconds, "peak_rss_bytes": rss.peak}
        have = _manifest(home)
    reporting = have.get("reporting", {})
    app = reporting.get("app", {})
    info |= {
        "people": have.get("customers"),
        "days": have.get("days"),
        "records": {k: t["records_written"] for k, t in sorted(have.get("tables", {}).items())},
        "app_events": sum(app.get("events_by_type", {}).values()),
        "orders": reporting.get("shop", {}).get("orders"),
        "order_versions": reporting.get("shop", {}).get("order_versions"),
    }
    return info


def reset_home(home: Home) -> None:
    """Everything a run wrote goes; the sources stay."""
    if not home.root.is_dir():
        return
    for entry in home.root.iterdir():
        if entry.resolve() == home.sources.resolve():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def measure_run(home: Home, as_of: date, echo: TextIO) -> dict[str, Any]:
    """One nightly run through Airflow, timed per stage, its process tree's memory sampled."""
    from lifecycle.orchestrate import DAG_ID, run_day

    cpu_before = _children_cpu()
    with TreeRss() as rss, redirect_stdout(_Quiet(echo)):  # type: ignore[type-var]
        started = time.perf_counter()
        ok, log_path = run_day(as_of, home)
        wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if not ok:
        raise BenchError(f"the nightly run for {as_of} failed; see {log_path}")
    db = home.airflow / "airflow.db"
    run_id = latest_run_id(db, DAG_ID)
    windows = stage_windows(task_spans(db, DAG_ID, run_id))
    predict = predict_window(progress_records(log_path.with_suffix(".progress")))
    stages = stage_seconds(windows, predict, wall)
    returns = task_returns(db, DAG_ID, run_id)
    extracted = [v for (task, _), v in returns.items() if task == "extract"]
    published = returns.get(("publish", -1)) or {}
    rows = {
        "extract": sum(int(v.get("read", 0)) for v in extracted),
        "dbt": built_rows(home),
        "publish": int(published.get("rows", 0)),
    }
    peaks: dict[str, int | None] = {
        name: rss.peak_between(*windows[task])
        for name, task in (("extract", "extract"), ("gate", "gate"), ("publish", "publish"))
        if task in windows
    }
    models = model_times(home, *windows["transform"]) if "transform" in windows else []
    if "transform" in windows:
        start, end = windows["transform"]
        parts = [(start, end)] if predict is None else [(start, predict[0]), (predict[1], end)]
        found = [p for p in (rss.peak_between(a, b) for a, b in parts) if p is not None]
        peaks["dbt"] = max(found) if found else None
    if predict is not None:
        peaks["predict"] = rss.peak_between(*predict)
    return {
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "log": str(log_path),
        "wall_s": wall,
        "cpu_s": cpu,
        "stages": stages,
        "peak_rss_bytes": rss.peak,
        "stage_peak_rss": {k: v for k, v in peaks.items() if v is not None},
        "process_peak_rss": dict(sorted(rss.by_process.items())),
        "rows": rows,
        "rows_per_s": {k: (n / stages[k] if stages[k] > 0 else None) for k, n in rows.items()},
        "nightly_clv_fit": nightly_fit(home, as_of.isoformat()),
        "dbt_models": {
            "count": len(models),
            "seconds": sum(m["seconds"] for m in models),
            "slowest": models[:SLOWEST],
        },  # fmt: skip
    }


def _machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    import psutil

    versions: dict[str, str | None] = {}
    for package in ("apache-airflow", "dbt-core", "dbt-duckdb", "duckdb"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": int(psutil.virtual_memory().total),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def run_bench(root: Home, plan: BenchPlan, regenerate: bool = False,
              out: TextIO | None = None) -> dict[str, Any]:  # fmt: skip
    """The whole benchmark; prints the table and returns the figures written to JSON."""
    echo = out or sys.stdout
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    home = bench_home(root, plan.scale, plan.days)
    home.root.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        print(text, file=echo, flush=True)

    say(f"lifecycle bench: {plan.scale:,} people, {plan.days} days of history + 1 new day,"
        f" seed {plan.seed}; bench home {home.root}")  # fmt: skip
    with bench_environment(home):
        sources = ensure_sources(home, plan, regenerate)
        made = f"generated in {sources['seconds']:.1f} s" if sources["generated"] else "reused"
        say(f"  sources  {made}: {sources['app_events']:,} app events, {sources['orders']:,}"
            f" orders ({sources['order_versions']:,} versions) in {home.sources}")  # fmt: skip
        reset_home(home)
        from lifecycle.orchestrate import ensure_airflow

        home.logs.mkdir(parents=True, exist_ok=True)
        with (home.logs / "bench_setup.log").open("w", encoding="utf-8") as log:
            ensure_airflow(home, log)
        say(f"  bench    full run, as-of {plan.full_as_of} (the whole history)")
        full = measure_run(home, plan.full_as_of, echo)
        say(f"  bench    full run: {full['wall_s']:.1f} s; the floor query on its raw zone")
        from lifecycle.config import load_sources

        floor = run_floor(floor_specs(home.raw, load_sources()), home.root / "floor.duckdb")
        (home.root / "floor.duckdb").unlink(missing_ok=True)
        say(f"  bench    floor: {floor.seconds:.2f} s; CLV fits, lifecycle.clv and lifetimes")
        clv_fits = clv_comparison(home, plan.full_as_of)
        say(f"  bench    next day, as-of {plan.end} (one new delivery day)")
        incremental = measure_run(home, plan.end, echo)
    floor_s = floor.seconds
    figures: dict[str, Any] = {
        "bench_version": 1,
        "scale": plan.scale,
        "days": plan.days,
        "seed": plan.seed,
        "started_at": started_at.isoformat(timespec="seconds"),
        "bench_home": str(home.root),
        "machine": _machine(load_before),
        "sources": sources,
        "full": full,
        "incremental": incremental,
        "floor": floor.as_dict(),
        "ratios": {
            "incremental_over_full": _ratio(incremental["wall_s"], full["wall_s"]),
            "incremental_dbt_over_full_dbt": _ratio(
                incremental["stages"]["dbt"], full["stages"]["dbt"]
            ),
            "dbt_over_floor": _ratio(full["stages"]["dbt"], floor_s),
            "run_over_floor": _ratio(full["wall_s"], floor_s),
        },
        "clv": clv_fits,
    }
    figures["targets"] = target_checks(figures)
    report(root, figures, echo)
    return figures


def report(root: Home, figures: dict[str, Any], echo: TextIO) -> None:
    """Print the table, write the JSON, print the change since the previous bench."""
    machine = figures["machine"]
    load = ", ".join(f"{x:.2f}" for x in machine["load_average_before"])
    title = (
        f"\nlifecycle bench at {figures['scale']:,} people ({figures['sources']['app_events']:,}"
        f" app events, {figures['sources']['orders']:,} orders), {machine['cpus']} CPUs,"
        f" load average before {load}"
    )
    print(format_table(title, bench_lines(figures)), file=echo)
    for run, name in (("full", "full run"), ("incremental", "next day")):
        models = figures[run].get("dbt_models") or {}
        slowest = ", ".join(f"{m['model']} {m['seconds']:.1f} s" for m in models.get("slowest", []))
        print(f"dbt, {name}: {models.get('count', 0)} models, {models.get('seconds', 0):.1f} s"
              f" of model time; slowest: {slowest or '-'}", file=echo)  # fmt: skip
    previous = write_figures(bench_dir(root), figures)
    print(f"figures: {bench_dir(root) / 'latest.json'}", file=echo)
    if previous is not None:
        print(f"change since the previous bench ({previous.get('started_at')}):", file=echo)
        for line in compare(previous, figures):
            print(f"  {line}", file=echo)
