"""Write every table and view of some schemas of the Spark warehouse to Parquet.

Run by `.venv-spark/bin/python` (pyspark), not by the project's Python:
`spark_dump.py OUT SCHEMA...` writes `OUT/<schema>.<table>/` per relation, for
tests/integration/test_spark_target.py to read with pyarrow. The Spark session is configured
exactly as dbt's: the `spark` output of dbt_project/profiles.yml, rendered with the environment
(`LIFECYCLE_HOME`), so it opens the metastore dbt wrote. Timestamps are written as UTC
microseconds; decimals, dates and booleans keep their types.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml
from pyspark.sql import SparkSession

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def spark_settings() -> dict[str, str]:
    """The `spark` output's session settings, as dbt renders them (env_var only)."""

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        return "" if value is None else value

    text = jinja2.Template(PROFILES.read_text(encoding="utf-8")).render(env_var=env_var)
    profile: dict[str, Any] = yaml.safe_load(text)
    params: dict[str, Any] = profile["lifecycle"]["outputs"]["spark"]["server_side_parameters"]
    return {str(k): str(v) for k, v in params.items()}


def main(out: Path, schemas: list[str]) -> None:
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_settings().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    for schema in schemas:
        for table in spark.catalog.listTables(schema):
            if table.isTemporary:
                continue
            name = f"{schema}.{table.name}"
            spark.table(name).coalesce(1).write.mode("overwrite").parquet(str(out / name))
            print(name, flush=True)
    spark.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
