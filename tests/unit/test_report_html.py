import json
import re
from html.parser import HTMLParser
from typing import Any

from lifecycle.report_html import CHARTS, render_html

SVG_NS = "http://www.w3.org/2000/svg"


def _data(run_id: str = "scheduled__2026-06-30") -> dict[str, Any]:
    return {
        "as_of": "2026-06-30",
        "run_id": run_id,
        "gate": "passed",
        "charts": {
            "stages": {
                "available": True,
                "dates": ["2026-06-23", "2026-06-30"],
                "stages": ["new", "active"],
                "series": {"new": [2, 1], "active": [0, 3]},
            },
            "retention": {"available": False, "reason": "marts.fct_cohort_retention is missing"},
            "funnel": {
                "available": True,
                "cohort": "all",
                "steps": [
                    {
                        "step": "sign_up",
                        "customers": 4,
                        "lost": 0,
                        "share_of_first": 1.0,
                        "share_lost": 0.0,
                    },
                    {
                        "step": "first_login",
                        "customers": 3,
                        "lost": 1,
                        "share_of_first": 0.75,
                        "share_lost": 0.25,
                    },
                ],
            },  # fmt: skip
            "clv": {
                "available": True,
                "label": "Total CLV",
                "edges": [0, 50, 100],
                "counts": [3, 1],
                "open_ended": True,
                "n": 4,
                "median": 20.0,
            },
            "quality": {
                "available": True,
                "gate": "passed",
                "checks": [
                    {"kind": "passed", "count": 9},
                    {"kind": "failed", "count": 0},
                    {"kind": "warned", "count": 1},
                ],
                "failed": [],
                "warned": ["gx: expect_column_values_to_not_be_null(email)"],
                "quarantine": [{"table": "orders.orders", "as_of_day": 1, "to_date": 4}],
            },
        },
    }


class _Figures(HTMLParser):
    """Each figure's attributes, and the text of <title>, <desc> and table cells in it."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        if tag == "figure":
            self.current = {"attrs": dict(attrs), "text": []}
            self.figures[str(dict(attrs)["data-chart"])] = self.current

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.tag in ("title", "desc", "td", "th"):
            self.current["text"].append(data)


def _figures(page: str) -> dict[str, dict[str, Any]]:
    parser = _Figures()
    parser.feed(page)
    return parser.figures


def test_render_html_has_one_pending_figure_per_chart_in_order() -> None:
    page = render_html(_data())

    figures = _figures(page)
    assert list(figures) == [chart for chart, _, _ in CHARTS]
    assert {f["attrs"]["data-status"] for f in figures.values()} == {"pending"}


def test_render_html_gives_each_chart_a_title_summary_and_data_table() -> None:
    figures = _figures(render_html(_data()))

    stages = " | ".join(figures["stages"]["text"])
    assert "Customers by lifecycle stage" in stages
    assert "On 2026-06-30: 1 new, 3 active" in stages
    assert "2026-06-23 | 2 | 0 | 2" in stages  # week, new, active, total
    assert "first_login | 3 | 75.0% | 1 | 25.0%" in " | ".join(figures["funnel"]["text"])
    assert "≥ 50 | 1" in " | ".join(figures["clv"]["text"])
    assert "orders.orders | 1 | 4" in " | ".join(figures["quality"]["text"])


def test_render_html_says_why_a_chart_is_not_available() -> None:
    page = render_html(_data())

    retention = _figures(page)["retention"]
    assert "Not available: marts.fct_cohort_retention is missing" in retention["text"]
    section = page.split('data-chart="retention"')[1].split("</figure>")[0]
    assert "<details>" not in section


def test_render_html_embeds_the_data_as_json_that_cannot_close_the_script() -> None:
    run_id = "manual</script><script>alert(1)</script>"

    page = render_html(_data(run_id))

    assert page.count("</script>") == 2  # the data block and the drawing script
    embedded = page.split('id="report-data">')[1].split("</script>")[0]
    assert json.loads(embedded)["run_id"] == run_id
    assert "manual&lt;/script&gt;" in page.split("<main>")[0]


def test_render_html_refers_to_nothing_outside_the_file() -> None:
    page = render_html(_data())

    assert set(re.findall(r"https?://[^\s\"')]+", page)) == {SVG_NS}
    for pattern in ("<link", " src=", "@import", "url("):
        assert pattern not in page
