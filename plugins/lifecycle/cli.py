"""The `lifecycle` command: the operator's contract in DESIGN.md."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

from lifecycle.paths import Home

DEMO_END = date(2026, 6, 30)
DEMO_CUSTOMERS = 5000
DEMO_DAYS = 365


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from lifecycle.demo import generate

    started = time.monotonic()
    manifest = generate(Path(args.out), customers=args.customers, days=args.days, seed=args.seed,
                        end_date=args.end_date)  # fmt: skip
    print(f"generated {args.customers:,} people over {args.days} days into {args.out}"
          f" in {time.monotonic() - started:.1f} s")  # fmt: skip
    for key, table in sorted(manifest["tables"].items()):
        print(f"  {key:<34} {table['records_written']:>10,} records")
    print(f"  ground truth: {Path(args.out) / '_truth'} (never read by the pipeline)")
    return 0


def _print_published(home: Home) -> None:
    from lifecycle.status import published_tables, serving_location
    from lifecycle.target import warehouse_target

    if warehouse_target() == "postgres":
        print(f"\nPublished tables, one schema per role in {serving_location(home)}:")
        for role, name, rows in published_tables(home):
            print(f"  {'publish_' + role:<24} {name:<48} {rows:>9,} rows")
        print(
            "\nBI logins read their role's schema only: a login that is a member of\n"
            "lifecycle_<role> (docs/server.md), e.g. psql -U bi_marketing -c"
            " 'table publish_marketing.rpt_marketing__segments'.\n"
            "Status of the last publication: .venv/bin/lifecycle status [--json]"
        )
        if home.report_file.exists():
            print(f"Report for readers (opens in a browser): {home.report_file.as_uri()}")
        return
    print(f"\nPublished tables, one read-only DuckDB file per role in {home.serving}/:")
    for role, name, rows in published_tables(home):
        print(f"  {role + '.duckdb':<24} {name:<48} {rows:>9,} rows")
    example = home.serving_file("marketing")
    print(
        "\nOpen them read-only; a new publication switches every file at once and open\n"
        "connections keep reading the snapshot they opened:\n"
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{example}',"
        " read_only=True).sql('from rpt_marketing__segments limit 5'))\"\n"
        f"  duckdb -readonly {example}    (DuckDB CLI)\n"
        "  BI tools (Superset, Metabase, DBeaver, ...): a DuckDB connection to the file,"
        " read-only.\n"
        "Status of the last publication: .venv/bin/lifecycle status [--json]"
    )
    if home.report_file.exists():
        print(f"Report for readers (opens in a browser, no server): {home.report_file.as_uri()}")


def _outcome(what: str, ok: bool, took: float, log_path: Path) -> int:
    """One closing line for a run or backfill; the exit code."""
    if ok:
        print(f"  done     {what} published in {took:.0f} s")
        return 0
    print(f"  FAILED   {what} after {took:.0f} s; nothing new published. Full log: {log_path}",
          file=sys.stderr)  # fmt: skip
    return 1


def _run(as_of: date, home: Home, full_refresh: bool = False) -> int:
    from lifecycle.orchestrate import run_day

    started = time.monotonic()
    ok, log_path = run_day(as_of, home, full_refresh=full_refresh)
    return _outcome(f"as-of {as_of}", ok, time.monotonic() - started, log_path)


def cmd_run(args: argparse.Namespace) -> int:
    return _run(args.as_of, Home.from_env(), full_refresh=args.full_refresh)


def cmd_backfill(args: argparse.Namespace) -> int:
    from lifecycle.orchestrate import backfill

    if args.end < args.start:
        print("--end is before --start", file=sys.stderr)
        return 2
    started = time.monotonic()
    ok, log_path = backfill(args.start, args.end, Home.from_env())
    what = f"backfill {args.start} .. {args.end}"
    return _outcome(what, ok, time.monotonic() - started, log_path)


def cmd_dbt(args: argparse.Namespace) -> int:
    """Any dbt command with the as-of date and the lifecycle rules as vars."""
    from lifecycle.build import READS_SOURCES, register_raw_zone
    from lifecycle.dbt_runner import DbtError, run_dbt
    from lifecycle.lock import Mode, WarehouseBusy, hold
    from lifecycle.target import warehouse_target

    dbt_args = [a for a in args.dbt_args if a != "--"]
    if not dbt_args:
        print("give a dbt command after --, e.g. lifecycle dbt --as-of D -- build", file=sys.stderr)
        return 2
    home = Home.from_env()
    try:
        # dbt opens the warehouse read-write whatever the command: one writer at a time.
        with hold(home, Mode.EXCLUSIVE, task=f"lifecycle dbt {dbt_args[0]}",
                  run_id="lifecycle dbt", as_of=args.as_of):  # fmt: skip
            if warehouse_target() == "spark" and dbt_args[0] in READS_SOURCES:
                register_raw_zone(home, args.as_of)
            outcome = run_dbt(dbt_args, args.as_of, home)
    except (WarehouseBusy, DbtError) as exc:
        print(f"  FAILED   {exc}", file=sys.stderr)
        return 1
    for failure in outcome.failures:
        print(f"  FAILED   {failure}", file=sys.stderr)
    print(f"  dbt {dbt_args[0]}: {len(outcome.results)} nodes, {len(outcome.failures)} failed")
    return 0 if outcome.success else 1


def cmd_status(args: argparse.Namespace) -> int:
    from lifecycle.config import load_sources
    from lifecycle.status import status

    info = status(Home.from_env(), load_sources())
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    if info["as_of"] is None:
        print(info["message"])
        return 0
    print(f"as-of {info['as_of']}  run {info['run_id']}  gate {info['gate']}"
          f"  published {info['published_at']}")  # fmt: skip
    for name, rows in info["tables"].items():
        print(f"  {name:<60} {rows:>9,} rows")
    print("quarantined rows: " + ", ".join(f"{k} {v}" for k, v in info["quarantine"].items() if v))
    for warning in info["warnings"]:
        print(f"gate warning: {warning}")
    if info.get("report"):
        print(f"report: {info['report']}")
    if info.get("data_docs"):
        print(f"data docs: {info['data_docs']}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Set up, generate the demo sources (once), run the demo as-of day, show what was published."""
    home = Home.from_env()
    manifest = home.sources / "_truth" / "manifest.json"
    wanted = {"customers": DEMO_CUSTOMERS, "days": DEMO_DAYS, "end_date": DEMO_END.isoformat()}
    have = json.loads(manifest.read_text()) if manifest.exists() else {}
    print(f"lifecycle demo: home {home.root}")
    if any(have.get(k) != v for k, v in wanted.items()):
        gen = argparse.Namespace(out=str(home.sources), customers=DEMO_CUSTOMERS, days=DEMO_DAYS,
                                 seed=42, end_date=DEMO_END)  # fmt: skip
        cmd_generate(gen)
    else:
        print(f"  sources  demo exports already in {home.sources}")
    code = _run(DEMO_END, home)
    if code == 0:
        _print_published(home)
    return code


def cmd_bench(args: argparse.Namespace) -> int:
    """The scale benchmark (issue 9): figures as a table and in $LIFECYCLE_HOME/bench/."""
    from lifecycle.bench import BenchError, BenchPlan, run_bench

    plan = BenchPlan(scale=args.scale, days=args.days, seed=args.seed)
    try:
        run_bench(Home.from_env(), plan, regenerate=args.regenerate)
    except BenchError as exc:
        print(f"  FAILED   {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecycle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write demo sources and their ground-truth manifest")
    gen.add_argument("--out", required=True)
    gen.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    gen.add_argument("--days", type=int, default=DEMO_DAYS)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--end-date", type=_date, default=DEMO_END)
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="one nightly run for a day through Airflow (dags test)")
    run.add_argument("--as-of", type=_date, required=True)
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the incremental event models from every delivery")  # fmt: skip
    run.set_defaults(func=cmd_run)

    back = sub.add_parser("backfill", help="re-run a range of days through Airflow's backfill")
    back.add_argument("--start", type=_date, required=True)
    back.add_argument("--end", type=_date, required=True)
    back.set_defaults(func=cmd_backfill)

    dbt = sub.add_parser("dbt", help="run a dbt command with the as-of date and rules as vars")
    dbt.add_argument("--as-of", type=_date, required=True)
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(func=cmd_dbt)

    stat = sub.add_parser("status", help="the last publication")
    stat.add_argument("--json", action="store_true")
    stat.set_defaults(func=cmd_status)

    bench = sub.add_parser("bench", help="the scale benchmark: full run, next day, floor, CLV fit")
    bench.add_argument("--scale", type=int, default=100_000, help="people (default 100000)")
    bench.add_argument("--days", type=int, default=730, help="days of history (default 730)")
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--regenerate", action="store_true",
                       help="generate the sources again even if they match")  # fmt: skip
    bench.set_defaults(func=cmd_bench)

    demo = sub.add_parser("demo", help="generate demo sources and run the demo day (make demo)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
