"""The report page: one self-contained HTML string from the report's data (pure).

The page carries its data as JSON and a small hand-written script (report_assets/report.js)
that draws each chart as SVG; every chart also has its numbers in a table under <details>,
so it reads without JavaScript and with a screen reader. Nothing is fetched: no external
URL, font or stylesheet.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from string import Template
from typing import Any

# (chart id, heading, caption): the order the page shows them in.
CHARTS = (
    ("stages", "Customers by lifecycle stage",
     "Customers in each stage at the end of each week, weeks ending on the as-of date."),
    ("retention", "Purchase cohort retention",
     "Share of each first-purchase month's customers who bought again n months later (month 0"
     " is the first purchase). Dashed cells: the month is not over yet."),
    ("funnel", "Activation funnel",
     "Every app sign-up: customers who reached each step and every step before it, and the"
     " share lost at each step."),
    ("clv", "Customer lifetime value",
     "How many customers fall in each band of customer lifetime value."),
    ("quality", "Data quality",
     "This run's quality gate: checks passed, failed and warned, and rows quarantined at"
     " extraction."),
)  # fmt: skip


def _asset(name: str) -> str:
    return (resources.files("lifecycle") / "report_assets" / name).read_text(encoding="utf-8")


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _table(caption: str, head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            (f'<th scope="row">{escape(str(c))}</th>' if i == 0 else f"<td>{escape(str(c))}</td>")
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _stages(d: dict[str, Any]) -> tuple[str, str]:
    stages, dates = d["stages"], d["dates"]
    last = {s: d["series"][s][-1] for s in stages}
    desc = f"On {dates[-1]}: " + ", ".join(f"{last[s]:,} {s.replace('_', ' ')}" for s in stages)
    rows = [
        [day, *(f"{d['series'][s][i]:,}" for s in stages),
         f"{sum(d['series'][s][i] for s in stages):,}"]
        for i, day in enumerate(dates)
    ]  # fmt: skip
    return desc, _table("Customers per stage, end of week", ["week to", *stages, "total"], rows)


def _retention(d: dict[str, Any]) -> tuple[str, str]:
    cohorts, months = d["cohorts"], d["months"]
    grid: list[list[str]] = [[""] * months for _ in cohorts]
    for cell in d["cells"]:
        grid[cell["c"]][cell["k"]] = _pct(cell["rate"]) + ("*" if cell["partial"] else "")
    rows = [[c["month"], f"{c['size']:,}", *grid[i]] for i, c in enumerate(cohorts)]
    later = [c for c in d["cells"] if c["k"] == 1]
    desc = f"{len(cohorts)} monthly cohorts of first purchases"
    if later:
        avg = sum(c["rate"] for c in later) / len(later)
        desc += f"; on average {avg:.1%} bought again in the month after their first"
    head = ["cohort", "customers", *(f"month {k}" for k in range(months))]
    return desc, _table("Retention rate by cohort (* month not over yet)", head, rows)


def _funnel(d: dict[str, Any]) -> tuple[str, str]:
    steps = d["steps"]
    desc = (
        f"{steps[0]['customers']:,} sign-ups; {steps[-1]['customers']:,}"
        f" ({_pct(steps[-1]['share_of_first'])}) reached {steps[-1]['step'].replace('_', ' ')}"
    )
    rows = [
        [s["step"], f"{s['customers']:,}", _pct(s["share_of_first"]), f"{s['lost']:,}",
         _pct(s["share_lost"])]
        for s in steps
    ]  # fmt: skip
    head = ["step", "customers", "of sign-ups", "lost", "share lost at step"]
    return desc, _table("Activation funnel, all sign-up cohorts", head, rows)


def _clv(d: dict[str, Any]) -> tuple[str, str]:
    edges, counts = d["edges"], d["counts"]
    rows = []
    for i, count in enumerate(counts):
        last = i == len(counts) - 1 and d["open_ended"]
        band = f"≥ {edges[i]:,.0f}" if last else f"{edges[i]:,.0f} to < {edges[i + 1]:,.0f}"
        rows.append([band, f"{count:,}"])
    desc = f"{d['label']} of {d['n']:,} customers; median {d['median']:,.0f} USD"
    return desc, _table(f"{d['label']} (USD): customers per band", ["USD", "customers"], rows)


def _quality(d: dict[str, Any]) -> tuple[str, str]:
    counts = {c["kind"]: c["count"] for c in d["checks"]}
    desc = (
        f"Gate {d['gate']}: {counts['passed']:,} checks passed, {counts['failed']:,} failed,"
        f" {counts['warned']:,} warned; {sum(q['to_date'] for q in d['quarantine']):,} rows"
        " quarantined to date"
    )
    parts = [_table("Checks of this run", ["result", "checks"],
                    [[k, f"{v:,}"] for k, v in counts.items()])]  # fmt: skip
    for kind in ("failed", "warned"):
        if d[kind]:
            parts.append(_table(f"Checks {kind}", ["check"], [[n] for n in d[kind]]))
    rows = [[q["table"], f"{q['as_of_day']:,}", f"{q['to_date']:,}"] for q in d["quarantine"]]
    parts.append(_table("Quarantined rows", ["source table", "as-of day", "to date"], rows))
    return desc, "".join(parts)


SHAPERS = {
    "stages": _stages,
    "retention": _retention,
    "funnel": _funnel,
    "clv": _clv,
    "quality": _quality,
}


def _section(chart: str, heading: str, caption: str, data: dict[str, Any]) -> str:
    if data["available"]:
        desc, table = SHAPERS[chart](data)
        details = f"<details><summary>Data table</summary>{table}</details>"
    else:
        desc, details = f"Not available: {data['reason']}", ""
    return (
        f'<figure data-chart="{chart}" data-status="pending" aria-labelledby="{chart}-h">\n'
        f'<figcaption><h2 id="{chart}-h">{escape(heading)}</h2><p>{escape(caption)}</p>'
        "</figcaption>\n"
        f'<svg class="plot" role="img" aria-labelledby="{chart}-t {chart}-d"'
        f' viewBox="0 0 880 40" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart}-t">{escape(heading)}</title>'
        f'<desc id="{chart}-d">{escape(desc)}</desc></svg>\n{details}\n</figure>'
    )


def _kpis(charts: dict[str, Any]) -> str:
    items: list[tuple[str, str]] = []
    stages = charts["stages"]
    if stages["available"]:
        last = {s: stages["series"][s][-1] for s in stages["stages"]}
        active = sum(last.get(s, 0) for s in ("new", "active", "reactivated"))
        items += [
            ("Customers", f"{sum(last.values()):,}"),
            ("Active (new, active, reactivated)", f"{active:,}"),
            ("At risk", f"{last.get('at_risk', 0):,}"),
            ("Churned", f"{last.get('churned', 0):,}"),
        ]
    if charts["clv"]["available"]:
        items.append(("Median CLV (USD)", f"{charts['clv']['median']:,.0f}"))
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return f'<dl class="kpis">{cells}</dl>' if items else ""


def render_html(data: dict[str, Any]) -> str:
    """The page for one publication. `data`: as_of, run_id, gate and charts (one entry per
    chart id in CHARTS, each with `available` and either its series or a `reason`)."""
    script = _asset("report.js")
    if "</script" in script.lower():
        raise ValueError("report.js must not contain '</script'")
    gate = str(data["gate"])
    return Template(_asset("report.html")).substitute(
        title=escape(f"Customer lifecycle report, as of {data['as_of']} (run {data['run_id']})"),
        heading=escape(f"Customer lifecycle report, as of {data['as_of']}"),
        as_of=escape(str(data["as_of"])),
        run_id=escape(str(data["run_id"])),
        gate=escape(gate),
        gate_class=gate if gate in ("passed", "failed") else "other",
        kpis=_kpis(data["charts"]),
        sections="\n".join(
            _section(chart, heading, caption, data["charts"][chart])
            for chart, heading, caption in CHARTS
        ),
        data=_json_for_script(data),
        script=script,
    )
