import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.paths import ROLES, Home
from lifecycle.publish import PublishError, publish
from lifecycle.quality import RESULTS_DDL


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        for role in ROLES:
            con.execute(f"create schema publish_{role}")
            con.execute(
                f"create table publish_{role}.rpt_{role}__t as select 1 as n union all select 2"
            )
        con.execute("create schema audit")
        con.execute(f"create table audit.quality_results ({RESULTS_DDL})")
    return home


def _digest(home: Home) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in home.serving.glob("*.duckdb")
    }


def test_publish_writes_one_file_per_role_with_only_its_tables(home: Home) -> None:
    done = publish(home, "run1", date(2026, 6, 30), gate="passed")

    assert len(done) == len(ROLES)
    with duckdb.connect(str(home.serving_file("sales")), read_only=True) as con:
        assert con.execute("show tables").fetchall() == [("rpt_sales__t",)]
        assert con.execute("select sum(n) from rpt_sales__t").fetchall() == [(3,)]
    expected = sorted(f"{r}.duckdb" for r in ROLES)
    assert sorted(p.name for p in home.serving.glob("*.duckdb")) == expected
    day = sorted(p.name for p in home.serving_history(date(2026, 6, 30)).iterdir())
    assert day == sorted([*expected, "report.html"])


def test_publish_logs_tables_with_counts_in_the_data_team_snapshot(home: Home) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")

    with duckdb.connect(str(home.serving_file("data_team")), read_only=True) as con:
        rows = con.execute(
            "select role, table_name, row_count, gate from publish_log where run_id = 'run1'"
            " and role = 'marketing'"
        ).fetchall()
    assert rows == [("marketing", "rpt_marketing__t", 2, "passed")]


def test_publish_of_an_older_day_is_kept_under_its_day_and_current_stays(home: Home) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")
    before = _digest(home)

    done = publish(home, "run0", date(2026, 6, 1), gate="passed")

    assert len(done) == len(ROLES)
    assert _digest(home) == before
    assert (home.serving_history(date(2026, 6, 1)) / "sales.duckdb").is_file()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        flags = con.execute(
            "select distinct as_of_date, is_current from audit.publish_log order by 1"
        ).fetchall()
    assert flags == [(date(2026, 6, 1), False), (date(2026, 6, 30), True)]


def test_publish_failure_swaps_nothing_and_leaves_no_temp_files(home: Home) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")
    before = _digest(home)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("insert into publish_marketing.rpt_marketing__t values (3)")
        con.execute("drop table publish_executive.rpt_executive__t")

    with pytest.raises(PublishError, match="role executive: no tables"):
        publish(home, "run2", date(2026, 7, 1), gate="passed")

    assert _digest(home) == before
    assert not list(home.serving.rglob(".*.tmp"))


def test_publish_writes_the_report_for_the_day_and_makes_it_current(home: Home) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")

    page = home.report_file.read_bytes()
    assert page == home.report_history(date(2026, 6, 30)).read_bytes()
    assert b"as of 2026-06-30" in page
    assert b"run1" in page


def test_publish_of_an_older_day_keeps_the_current_report(home: Home) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")
    before = home.report_file.read_bytes()

    publish(home, "run0", date(2026, 6, 1), gate="passed")

    assert home.report_file.read_bytes() == before
    assert b"as of 2026-06-01" in home.report_history(date(2026, 6, 1)).read_bytes()


def test_publish_with_a_failing_report_publishes_nothing(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(home, "run1", date(2026, 6, 30), gate="passed")
    before = _digest(home) | {"report": home.report_file.read_text(encoding="utf-8")}

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("report broke")

    monkeypatch.setattr("lifecycle.publish.render_report", broken)
    with pytest.raises(RuntimeError, match="report broke"):
        publish(home, "run2", date(2026, 7, 1), gate="passed")

    assert _digest(home) | {"report": home.report_file.read_text(encoding="utf-8")} == before
    assert not home.serving_history(date(2026, 7, 1)).exists()
    assert not list(home.serving.rglob(".*.tmp"))
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        runs = con.execute("select distinct run_id from audit.publish_log").fetchall()
    assert runs == [("run1",)]
