"""The server layout the PostgreSQL tests share (fixtures in conftest.py): a server laid out
by the compose file's init script, and the nightly runs published into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lifecycle.paths import Home


@dataclass(frozen=True)
class ServerWarehouse:
    """A PostgreSQL server laid out by the compose file's init script: the `lifecycle`
    database owned by the `lifecycle` login (what the pipeline connects as), and one
    `bi_<role>` login per role that must give its password."""

    server_uri: str  # the `postgres` superuser (trusted on loopback), for the tests' checks
    uri: str  # the pipeline's connection: the `lifecycle` login, with its password
    port: int
    passwords: dict[str, str]  # role -> password of its bi_<role> login

    def role_uri(self, role: str, password: str | None = None) -> str:
        secret = self.passwords[role] if password is None else password
        return f"postgresql+psycopg2://bi_{role}:{secret}@127.0.0.1:{self.port}/lifecycle"

    @property
    def superuser_uri(self) -> str:
        """The superuser's connection to the `lifecycle` database."""
        import sqlalchemy as sa

        url = sa.make_url(self.server_uri).set(database="lifecycle")
        return url.render_as_string(hide_password=False)


def require_passwords(server_uri: str) -> None:
    """Password (SCRAM) authentication for every login but the tests' superuser.

    The throwaway server trusts every loopback login; the pipeline's and the BI logins must
    prove their passwords, so the hba file is rewritten (the superuser may write the
    server's files) and reloaded."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            hba = conn.exec_driver_sql("show hba_file").scalar_one()
            lines = [
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
            ]
            values = " union all ".join(f"select {n}, '{line}'" for n, line in enumerate(lines))
            conn.exec_driver_sql(
                f"copy (select line from ({values}) as l(n, line) order by n) to '{hba}'"
            )
            assert conn.exec_driver_sql("select pg_reload_conf()").scalar_one()
    finally:
        engine.dispose()


PG_NIGHTLY_END = date(2026, 6, 30)
PG_NIGHTLY_DAYS = 30


@dataclass(frozen=True)
class PgNightly:
    """Two runs of the nightly DAG through Airflow on the server warehouse: the as-of day
    `end`, then a backfill of the day before it; the orders read from the shop's database."""

    home: Home
    warehouse: ServerWarehouse
    env: dict[str, str]  # what the runs had: target, connection, home
    runs: dict[date, tuple[bool, Path]]  # as-of -> (succeeded, log)
    shop: str  # the order system's database (superuser URI)

    @property
    def end(self) -> date:
        return PG_NIGHTLY_END

    @property
    def backfilled(self) -> date:
        return self.backfilled_day()

    @staticmethod
    def backfilled_day() -> date:
        return PG_NIGHTLY_END - timedelta(days=1)
