"""The publication's HTML report, opened in headless Chromium: every chart is drawn from the
data the page carries, on a warehouse built and published as the nightly run does it.

Chromium is Debian's package at /usr/bin/chromium (`make test` installs it when missing).
The page is loaded from disk with networking switched off as far as Chromium allows; the
DOM after its script ran is dumped and each chart's marks are counted against its data.
"""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from lifecycle.paths import Home
from lifecycle.report_html import CHARTS, render_html

if TYPE_CHECKING:
    from collections.abc import Callable

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = date(2026, 6, 30)
RUN_ID = "scheduled__2026-06-30T00:00:00+00:00"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]
# Each chart's marks, from the data the page embeds: one per point of its series.
EXPECTED_MARKS: dict[str, Callable[[dict[str, Any]], int]] = {
    "stages": lambda d: len(d["dates"]) * len(d["stages"]),
    "retention": lambda d: len(d["cells"]),
    "funnel": lambda d: len(d["steps"]),
    "clv": lambda d: len(d["counts"]),
    "quality": lambda d: len(d["checks"]) + len(d["quarantine"]),
}


def _chromium(page: Path, tmp: Path, *args: str) -> str:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (as root)")
    profile = tmp / "chromium-profile"
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


class _Marks(HTMLParser):
    """Per chart figure: its attributes and the data-series marks inside its SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure" and "data-chart" in found:
            self.current = {"attrs": found, "marks": []}
            self.figures[str(found["data-chart"])] = self.current
        elif self.current is not None and "data-series" in found:
            self.current["marks"].append((tag, found))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.current = None


def _drawn(dom: str) -> dict[str, dict[str, Any]]:
    parser = _Marks()
    parser.feed(dom)
    return parser.figures


def _embedded(page: str) -> dict[str, Any]:
    return json.loads(page.split('id="report-data">')[1].split("</script>")[0])


def _png_pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and color in (2, 6), (depth, color, interlace)
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    pixels = [tuple(r[i : i + 3]) for r in rows for i in range(0, stride, bpp)]
    return width, height, pixels


@pytest.fixture(scope="module")
def published(load_home: Callable[..., tuple[Home, dict[str, Any]]]) -> Home:
    """A small warehouse, gated and published as the nightly run does (tasks.gate/publish)."""
    from lifecycle.build import build_warehouse
    from lifecycle.config import load_lifecycle, load_sources
    from lifecycle.publish import publish
    from lifecycle.quality import run_gate

    home, _ = load_home("report", customers=500, days=150, seed=13, end=AS_OF)
    assert build_warehouse(home, AS_OF, with_tests=False).success
    gate = run_gate(home, AS_OF, RUN_ID, load_sources(), load_lifecycle().quality)
    assert gate.passed, gate.summary()
    publish(home, RUN_ID, AS_OF, gate="passed")
    return home


@pytest.mark.slow
def test_publish_writes_the_report_current_and_under_its_day(published: Home) -> None:
    current = published.report_file
    assert current == published.serving / "report" / "index.html"
    assert current.read_bytes() == published.report_history(AS_OF).read_bytes()


@pytest.mark.slow
def test_report_charts_are_drawn_in_chromium_from_the_embedded_data(
    published: Home, tmp_path: Path
) -> None:
    page = published.report_file
    data = _embedded(page.read_text(encoding="utf-8"))

    figures = _drawn(_chromium(page, tmp_path, "--dump-dom"))

    assert list(figures) == [chart for chart, _, _ in CHARTS]
    for chart, figure in figures.items():
        expected = EXPECTED_MARKS[chart](data["charts"][chart])
        assert figure["attrs"]["data-status"] == "drawn", (chart, figure["attrs"])
        assert expected > 0, chart
        assert len(figure["marks"]) == expected, chart
        assert figure["attrs"]["data-marks"] == str(expected), chart
        assert {tag for tag, _ in figure["marks"]} == {"rect"}, chart
    # Marks carry the values they were drawn from.
    stages = data["charts"]["stages"]
    for stage in stages["stages"]:
        drawn = [int(a["data-value"]) for _, a in figures["stages"]["marks"]
                 if a["data-series"] == stage]  # fmt: skip
        assert drawn == stages["series"][stage], stage
    steps = [int(a["data-value"]) for _, a in figures["funnel"]["marks"]]
    assert steps == [s["customers"] for s in data["charts"]["funnel"]["steps"]]


@pytest.mark.slow
def test_report_figures_agree_with_the_warehouse(published: Home) -> None:
    charts = _embedded(published.report_file.read_text(encoding="utf-8"))["charts"]

    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        current = dict(
            con.execute(
                "select stage, count(*) from marts.fct_customer_stage_spans"
                " where is_current group by stage"
            ).fetchall()
        )
        sign_ups = con.execute(
            "select customers from marts.fct_activation_funnel"
            " where cohort = 'all' and step_order = 1"
        ).fetchone()
        predicted = con.execute(
            "select count(predicted_clv_usd) from marts.fct_customer_value"
        ).fetchone()
        checks = con.execute(
            "select count(*) filter (where passed), count(*) filter (where not passed)"
            " from audit.quality_results where run_id = ?",
            [RUN_ID],
        ).fetchone()
        cohorts = con.execute(
            "select count(distinct cohort_month) from marts.fct_cohort_retention"
            " where cohort_type = 'purchase' and breakdown = 'overall'"
        ).fetchone()
    stages = charts["stages"]
    assert stages["dates"][-1] == AS_OF.isoformat()
    assert {s: stages["series"][s][-1] for s in stages["stages"] if stages["series"][s][-1]} == (
        current
    )
    assert sign_ups is not None and charts["funnel"]["steps"][0]["customers"] == sign_ups[0]
    assert predicted is not None and sum(charts["clv"]["counts"]) == predicted[0]
    assert checks is not None
    quality = charts["quality"]
    assert [c["count"] for c in quality["checks"]] == [checks[0], 0, checks[1]]
    assert quality["gate"] == "passed"
    assert cohorts is not None and len(charts["retention"]["cohorts"]) == min(cohorts[0], 12)


@pytest.mark.slow
def test_report_holds_no_personal_data(published: Home) -> None:
    page = published.report_file.read_text(encoding="utf-8")

    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        personal = con.execute(
            "select customer_id, email, phone from marts.dim_customers"
        ).fetchall()
    values = {v for row in personal for v in row if v}
    assert len(values) > 500
    assert [v for v in values if v in page] == []


@pytest.mark.slow
def test_report_screenshot_is_not_blank(published: Home, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"

    _chromium(published.report_file, tmp_path, "--window-size=1000,1400", f"--screenshot={shot}")

    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    colours = Counter(pixels)
    background = colours.most_common(1)[0][1]
    assert background < 0.9 * len(pixels)
    # Bars of the stage chart in their own colours: active (#009e73) and new (#56b4e9).
    assert colours[(0x00, 0x9E, 0x73)] > 500
    assert colours[(0x56, 0xB4, 0xE9)] > 500


def test_a_chart_that_fails_to_draw_reports_its_error_and_the_others_still_draw(
    tmp_path: Path,
) -> None:
    """No warehouse needed: a good page whose embedded stage data is then broken (a stage
    without its series), so only the script meets the fault."""
    data = {
        "as_of": "2026-06-30",
        "run_id": "manual",
        "gate": "passed",
        "charts": {
            "stages": {"available": True, "dates": ["2026-06-30"], "stages": ["new"],
                       "series": {"new": [4]}},
            "retention": {"available": False, "reason": "not built"},
            "funnel": {"available": True, "cohort": "all", "steps": [
                {"step": "sign_up", "customers": 3, "lost": 0, "share_of_first": 1.0,
                 "share_lost": 0.0}]},
            "clv": {"available": True, "label": "CLV", "edges": [0, 10], "counts": [2],
                    "open_ended": True, "n": 2, "median": 5.0},
            "quality": {"available": True, "gate": "passed", "failed": [], "warned": [],
                        "checks": [{"kind": k, "count": 1} for k in ("passed", "failed", "warned")],
                        "quarantine": []},
        },
    }  # fmt: skip
    html = render_html(data)
    good = '"series":{"new":[4]}'
    assert good in html
    page = tmp_path / "report.html"
    page.write_text(html.replace(good, '"series":{}'), encoding="utf-8")

    figures = _drawn(_chromium(page, tmp_path, "--dump-dom"))

    status = {chart: f["attrs"]["data-status"] for chart, f in figures.items()}
    assert status["stages"].startswith("error: ")
    assert status["retention"] == "empty"
    assert (status["funnel"], status["clv"], status["quality"]) == ("drawn", "drawn", "drawn")
    assert len(figures["quality"]["marks"]) == 3
