"""The target setting and the warehouse connection, read from the environment only."""

import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from lifecycle.build import build_warehouse
from lifecycle.checksum import canonical, rows_checksum
from lifecycle.dbt_runner import dbt_env
from lifecycle.paths import Home
from lifecycle.target import PgSettings, TargetError, warehouse_target
from lifecycle.warehouse import open_warehouse


def test_warehouse_target_defaults_to_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIFECYCLE_TARGET", raising=False)
    assert warehouse_target() == "duckdb"


def test_warehouse_target_reads_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", " Postgres ")
    assert warehouse_target() == "postgres"


def test_warehouse_target_reads_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "SPARK")
    assert warehouse_target() == "spark"


def test_the_python_warehouse_steps_refuse_spark_and_say_what_runs_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "spark")
    with (
        pytest.raises(TargetError, match=r"duckdb or postgres only.*lifecycle dbt"),
        open_warehouse(Home(tmp_path)),
    ):
        pass
    with pytest.raises(TargetError, match="the nightly build"):
        build_warehouse(Home(tmp_path), date(2026, 6, 30))
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_dbt_env_for_spark_carries_the_home_and_no_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "spark")
    env = dbt_env(Home.from_env())
    assert env["LIFECYCLE_TARGET"] == "spark" and env["LIFECYCLE_HOME"]
    assert not [k for k in env if k.startswith("LIFECYCLE_PG_")]


def test_spark_runs_the_dbt_of_its_own_venv_when_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import lifecycle.dbt_runner as runner

    monkeypatch.setattr(runner, "SPARK_VENV", tmp_path)
    beside = Path(sys.executable).with_name("dbt")
    assert runner.dbt_executable("spark") == beside  # not installed: the project's dbt
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "dbt").touch()
    assert runner.dbt_executable("spark") == tmp_path / "bin" / "dbt"
    assert runner.dbt_executable("duckdb") == runner.dbt_executable("postgres") == beside


def test_warehouse_target_rejects_an_unknown_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "oracle")
    with pytest.raises(TargetError, match="duckdb, postgres"):
        warehouse_target()


def test_pg_settings_parse_an_airflow_connection_uri() -> None:
    settings = PgSettings.from_uri("postgresql://etl%40corp:p%2Fw@db.internal:6543/warehouse")
    assert settings == PgSettings("db.internal", 6543, "etl@corp", "p/w", "warehouse")


def test_pg_settings_parse_airflow_json_and_default_the_port() -> None:
    settings = PgSettings.from_uri(
        '{"conn_type": "postgres", "host": "db", "login": "etl", "password": "x",'
        ' "schema": "warehouse"}'
    )
    assert settings == PgSettings("db", 5432, "etl", "x", "warehouse")


def test_pg_settings_reject_another_scheme() -> None:
    with pytest.raises(TargetError, match="not PostgreSQL"):
        PgSettings.from_uri("mysql://etl:x@db/warehouse")


def test_postgres_target_without_a_connection_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "postgres")
    monkeypatch.delenv("AIRFLOW_CONN_LIFECYCLE_WAREHOUSE", raising=False)
    with pytest.raises(TargetError, match="AIRFLOW_CONN_LIFECYCLE_WAREHOUSE"):
        dbt_env(Home.from_env())


def test_dbt_env_hands_the_connection_to_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "postgres")
    monkeypatch.setenv("AIRFLOW_CONN_LIFECYCLE_WAREHOUSE", "postgres://etl:x@db:5433/wh")
    env = dbt_env(Home.from_env())
    assert env["LIFECYCLE_TARGET"] == "postgres"
    assert (env["LIFECYCLE_PG_HOST"], env["LIFECYCLE_PG_PORT"]) == ("db", "5433")
    assert (env["LIFECYCLE_PG_USER"], env["LIFECYCLE_PG_PASSWORD"]) == ("etl", "x")
    assert env["LIFECYCLE_PG_DBNAME"] == "wh"


def test_dbt_env_for_duckdb_carries_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIFECYCLE_TARGET", raising=False)
    env = dbt_env(Home.from_env())
    assert env["LIFECYCLE_TARGET"] == "duckdb"
    assert not [k for k in env if k.startswith("LIFECYCLE_PG_")]


def test_canonical_renders_every_number_type_alike() -> None:
    assert canonical(3) == canonical(3.0) == canonical(Decimal("3.000")) == "3.000000"
    assert canonical(41 / 9) == canonical(Decimal("4.5555556")) == "4.555556"
    assert canonical(-0.0000001) == "0.000000"
    assert canonical(float("nan")) == canonical(None) == "\\N"


def test_canonical_renders_timestamps_in_utc() -> None:
    aware = datetime(2026, 6, 30, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert (
        canonical(aware)
        == canonical(datetime(2026, 6, 30, 12, 0))
        == ("2026-06-30T12:00:00.000000")
    )
    assert canonical(datetime(2026, 6, 30, 12, 0, tzinfo=UTC)) == "2026-06-30T12:00:00.000000"
    assert canonical(date(2026, 6, 30)) == "2026-06-30"


def test_rows_checksum_ignores_row_and_column_order() -> None:
    one = rows_checksum(["a", "b"], [(1, "x"), (2, None)])
    other = rows_checksum(["b", "a"], [(None, 2.0), ("x", Decimal(1))])
    assert one == other and one.rows == 2
    assert rows_checksum(["a", "b"], [(1, "x"), (2, "")]) != one
