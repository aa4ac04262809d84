"""Which warehouse engine a run builds on: one setting, `LIFECYCLE_TARGET`.

`duckdb` (the default) is the embedded warehouse file under `LIFECYCLE_HOME`; `postgres` is a
PostgreSQL server whose connection comes from the environment only, as an Airflow connection
(`AIRFLOW_CONN_LIFECYCLE_WAREHOUSE`, a URI such as
`postgresql://user:password@host:5432/dbname` or Airflow's JSON form), never from the
repository. dbt gets the same settings as `LIFECYCLE_PG_*` variables (dbt_project/profiles.yml)
and the Python steps through `lifecycle.warehouse`.

`spark` builds the dbt models on Spark (dbt-spark, a local session: profiles.yml's `spark`
output), with `lifecycle dbt`; the Python steps of the nightly run (the CLV fit, the gate's
suites, publishing, status) read and write the warehouse through `lifecycle.warehouse` and
run on the `WAREHOUSE_TARGETS` only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

Target = Literal["duckdb", "postgres", "spark"]
TARGETS: tuple[Target, ...] = ("duckdb", "postgres", "spark")
# The engines the nightly run's Python steps (lifecycle.warehouse) run on.
WAREHOUSE_TARGETS: tuple[Target, ...] = ("duckdb", "postgres")
TARGET_ENV = "LIFECYCLE_TARGET"
CONNECTION_ENV = "AIRFLOW_CONN_LIFECYCLE_WAREHOUSE"
_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg2")


class TargetError(ValueError):
    """The target setting or the warehouse connection is missing or malformed."""


def warehouse_target() -> Target:
    """The engine this process builds on and reads from (`LIFECYCLE_TARGET`)."""
    value = os.environ.get(TARGET_ENV, "duckdb").strip().lower() or "duckdb"
    for target in TARGETS:
        if value == target:
            return target
    raise TargetError(f"{TARGET_ENV}={value!r}: must be one of {', '.join(TARGETS)}")


def require_warehouse_target(target: Target, step: str) -> None:
    """Stop a Python warehouse step on an engine it does not run on, saying what does."""
    if target not in WAREHOUSE_TARGETS:
        raise TargetError(
            f"{TARGET_ENV}={target}: {step} runs on {' or '.join(WAREHOUSE_TARGETS)} only;"
            f" on {target} build the dbt models with `lifecycle dbt --as-of D -- build`"
        )


@dataclass(frozen=True)
class PgSettings:
    """Where the PostgreSQL warehouse is, parsed from the Airflow connection."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_uri(cls, uri: str) -> PgSettings:
        """An Airflow connection: a URI, or Airflow's JSON form (`{"conn_type": ...}`)."""
        text = uri.strip()
        if text.startswith("{"):
            data = json.loads(text)
            return cls(
                host=str(data.get("host") or "localhost"),
                port=int(data.get("port") or 5432),
                user=str(data.get("login") or ""),
                password=str(data.get("password") or ""),
                dbname=str(data.get("schema") or data.get("database") or ""),
            ).checked()
        parts = urlsplit(text)
        if parts.scheme not in _SCHEMES:
            raise TargetError(
                f"{CONNECTION_ENV}: scheme {parts.scheme!r} is not PostgreSQL"
                f" (expected one of {', '.join(_SCHEMES)})"
            )
        return cls(
            host=unquote(parts.hostname or "localhost"),
            port=parts.port or 5432,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=unquote(parts.path.lstrip("/")),
        ).checked()

    @classmethod
    def from_env(cls) -> PgSettings:
        uri = os.environ.get(CONNECTION_ENV)
        if not uri:
            raise TargetError(
                f"{TARGET_ENV}=postgres needs the warehouse connection in {CONNECTION_ENV}"
                " (e.g. postgresql://user:password@host:5432/dbname)"
            )
        return cls.from_uri(uri)

    def checked(self) -> PgSettings:
        if not self.user or not self.dbname:
            raise TargetError(f"{CONNECTION_ENV}: a user and a database name are required")
        return self

    @property
    def location(self) -> str:
        """Where the warehouse is, without the password (for logs and status)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def connect_kwargs(self) -> dict[str, str | int]:
        """Keyword arguments for `psycopg2.connect`."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
        }

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml's `postgres` output reads."""
        return {
            "LIFECYCLE_PG_HOST": self.host,
            "LIFECYCLE_PG_PORT": str(self.port),
            "LIFECYCLE_PG_USER": self.user,
            "LIFECYCLE_PG_PASSWORD": self.password,
            "LIFECYCLE_PG_DBNAME": self.dbname,
        }
