"""A throwaway PostgreSQL server: for tests (the sql reader now, the server warehouse next)
and for demos on a machine without a database server running.

`running_server()` initdb's a temporary folder, starts `postgres` on a free loopback port
(its unix socket in the same folder, so nothing is shared with a system server), yields a
SQLAlchemy URI for the `postgres` superuser (trust authentication, loopback only), and on
exit stops the server and removes the folder. It needs only the system's PostgreSQL
binaries (`initdb`, `pg_ctl`, `postgres`) on PATH or under /usr/lib/postgresql/<version>/bin.
initdb refuses to run as root, so as root the server runs as the OS user `postgres`
(created by the system package) through `runuser`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVER_SETTINGS = (
    "listen_addresses=127.0.0.1",
    # A throwaway server: durability buys nothing and costs seconds on every commit.
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=40",
)


class PgServerError(RuntimeError):
    """The throwaway server could not be set up or started."""


def find_binaries() -> Path:
    """The folder holding initdb, pg_ctl and postgres (PATH first, then Debian's layout)."""
    found = shutil.which("initdb")
    if found:
        folder = Path(found).resolve().parent
        if all((folder / b).is_file() for b in ("pg_ctl", "postgres")):
            return folder
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    raise PgServerError(
        "PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed: install"
        " the system package (Debian/Ubuntu: apt-get install postgresql)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a PostgreSQL binary as a user it accepts."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgServerError(
            "running as root, and initdb refuses root: the OS user 'postgres' (created by the"
            " PostgreSQL package) is needed to run the server"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], folder: Path, what: str, log: Path | None = None) -> None:
    done = subprocess.run(
        [*_as_server_user(), *command],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.is_file() else ""
        raise PgServerError(
            f"{what} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            + (f"\nserver log:\n{tail}" if tail else "")
        )


def _own_folder(folder: Path) -> None:
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)


@contextlib.contextmanager
def running_server(parent: Path | None = None, attempts: int = 3) -> Iterator[str]:
    """Yield the URI of a fresh PostgreSQL server; stop and delete it afterwards.

    `parent` is where the temporary folder goes (default: the system's temp folder; it must
    be reachable by the `postgres` user when running as root, and short, as a unix socket
    path is limited to about 100 bytes)."""
    binaries = find_binaries()
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-pg-", dir=parent))
    data, log = folder / "data", folder / "server.log"
    try:
        _own_folder(folder)
        _run(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            folder, "initdb",
        )  # fmt: skip
        for attempt in range(1, attempts + 1):
            port = free_port()  # another process may take it before postgres binds: retry
            options = " ".join(
                [f"-p {port}", f"-k {folder}", *(f"-c {s}" for s in SERVER_SETTINGS)]
            )
            try:
                _run(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                     "-t", "60", "-o", options, "start"],
                    folder, f"starting postgres on 127.0.0.1:{port}", log,
                )  # fmt: skip
            except PgServerError:
                if attempt == attempts:
                    raise
                continue
            yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
            break
    finally:
        if (data / "postmaster.pid").exists():  # also a start that timed out half-way
            with contextlib.suppress(PgServerError):
                _run(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30",
                     "stop"],
                    folder, "stopping postgres",
                )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_uri: str, name: str) -> str:
    """Create database `name` on the server (dropping an old one) and return its URI."""
    import sqlalchemy as sa

    url = sa.make_url(server_uri)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
