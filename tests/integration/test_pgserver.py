"""The throwaway PostgreSQL server (lifecycle.pgserver): it serves on loopback, and once the
context ends it is stopped and its folder is gone."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lifecycle.pgserver import PgServerError, create_database, find_binaries, running_server


@pytest.mark.slow
def test_running_server_serves_on_loopback_and_leaves_nothing_behind() -> None:
    try:
        find_binaries()
    except PgServerError as exc:
        pytest.skip(str(exc))
    with running_server() as uri:
        engine = sa.create_engine(create_database(uri, "scratch"))
        with engine.connect() as conn:
            folder = Path(conn.exec_driver_sql("show unix_socket_directories").scalar_one())
            listen = conn.exec_driver_sql("show listen_addresses").scalar_one()
            assert conn.exec_driver_sql("select current_database()").scalar_one() == "scratch"
        engine.dispose()
        assert listen == "127.0.0.1" and folder.name.startswith("lifecycle-pg-")
        assert (folder / "data" / "PG_VERSION").is_file()
    assert not folder.exists()
    engine = sa.create_engine(uri, connect_args={"connect_timeout": 2})
    with pytest.raises(sa.exc.OperationalError):
        engine.connect()
    engine.dispose()
