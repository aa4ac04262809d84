"""The serving side's layout, and the one atomic rename that switches every role at once.

    serving/
      current -> publications/<as-of>.<n>             the one link a publication switches
      <role>.duckdb -> current/<role>.duckdb          what readers open (never changes)
      report/index.html -> ../current/report.html
      history/<as-of> -> ../publications/<as-of>.<n>  each day's latest publication
      publications/<as-of>.<n>/<role>.duckdb, report.html   written once, never changed

A publication is written into a temporary folder (`publications/.<as-of>.<pid>.tmp`), synced,
renamed to its own new folder, linked as its day's entry in `history/`, and, when it is the
newest day, made current by replacing `current` with a fresh link (`os.replace`, atomic on
POSIX). Until that rename a reader resolving `serving/<role>.duckdb` gets the old publication in
every role; after it, the new one in every role. A folder is never written in place once
named, so re-publishing the current day is as atomic as publishing a new one. Only
`.tmp` names are ever unfinished, and they are never read: `tidy` removes them (the leftovers
of a killed run) and prunes publications nothing points to any more, one run later, so a
reader resolving a path at the moment of a switch still finds its file.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle.paths import ROLES

if TYPE_CHECKING:
    from lifecycle.paths import Home

_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(\d+)$")
_TEMP = re.compile(r"^\..*\.tmp(\.wal)?$")  # ours, and a DuckDB WAL beside an old temp file


def _temp_beside(path: Path, tag: str = "") -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{tag}.tmp")


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link(path: Path, target: str) -> None:
    """Point `path` at `target` (relative) with one rename of a fresh link over it.

    A real folder there (a day's history in the layout before links) is first moved aside
    to a temporary name, then removed."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path)
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    if path.is_dir() and not path.is_symlink():
        aside = _temp_beside(path, ".old")
        os.replace(path, aside)
        os.replace(tmp, path)
        shutil.rmtree(aside)
    else:
        os.replace(tmp, path)
    _fsync(path.parent, directory=True)


def _version_of(name: str) -> tuple[date, int] | None:
    match = _VERSION.match(name)
    return (date.fromisoformat(match[1]), int(match[2])) if match else None


def current_publication(home: Home) -> Path | None:
    """The folder `current` points to (None before the first publication in this layout)."""
    try:
        target = os.readlink(home.serving_current)
    except OSError:  # missing, or not a link
        return None
    return home.serving / target


def current_day(home: Home) -> date | None:
    """The as-of date of the publication readers see now, read from the `current` link."""
    folder = current_publication(home)
    version = _version_of(folder.name) if folder else None
    return version[0] if version else None


def new_publication(home: Home, as_of: date) -> Path:
    """An empty temporary folder to write one publication into."""
    home.publications.mkdir(parents=True, exist_ok=True)
    staged = home.publications / f".{as_of.isoformat()}.{os.getpid()}.tmp"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir()
    return staged


def _next_folder(home: Home, as_of: date) -> Path:
    taken = [
        v[1] for p in home.publications.iterdir() if (v := _version_of(p.name)) and v[0] == as_of
    ]
    return home.publications / f"{as_of.isoformat()}.{max(taken, default=0) + 1}"


def _seal(home: Home, staged: Path, as_of: date) -> Path:
    """Sync a written publication and rename it to its own new folder."""
    for path in staged.iterdir():
        _fsync(path)
    _fsync(staged, directory=True)
    final = _next_folder(home, as_of)
    os.replace(staged, final)
    _fsync(home.publications, directory=True)
    return final


def _switch(home: Home, folder: Path) -> None:
    """THE switch: one rename makes `folder` current for every role and the report."""
    _link(home.serving_current, os.path.relpath(folder, home.serving))
    _stable_links(home)


def _stable_links(home: Home) -> None:
    """Readers' paths as links through `current` (replacing the files of the old layout).
    A publication of the PostgreSQL target holds only its report: no role file links then."""
    folder = current_publication(home)
    for role in ROLES:
        path = home.serving_file(role)
        if folder is not None and (folder / f"{role}.duckdb").exists():
            _link(path, f"current/{role}.duckdb")
        elif path.is_symlink():
            path.unlink()
    _link(home.report_file, "../current/report.html")


def commit(home: Home, staged: Path, as_of: date, make_current: bool) -> Path:
    """Keep a written publication as its day's and, if `make_current`, switch readers to it."""
    final = _seal(home, staged, as_of)
    day = home.serving_history(as_of)
    _link(day, os.path.relpath(final, day.parent))
    if make_current:
        _switch(home, final)
    return final


def tidy(home: Home, logged_current: date | None) -> None:
    """Before a publication, under the exclusive lock: remove what killed runs left
    (`.*.tmp`), bring a home of the layout before links into this one, and prune
    publications that neither `current` nor their day's `history` entry points to."""
    if not home.serving.is_dir():
        return
    _remove_temps(home.serving)
    _adopt_current_files(home, logged_current)
    if home.serving_current.is_symlink():
        _stable_links(home)  # in case a run died while making them
    _prune(home)


def _remove_temps(root: Path) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            if not _TEMP.match(name):
                continue
            path = Path(folder, name)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        dirs[:] = [d for d in dirs if not _TEMP.match(d)]


def _adopt_current_files(home: Home, as_of: date | None) -> None:
    """Serving files of the layout before links (regular files, copied in one by one)
    become a publication folder of hard links, made current; their paths then become
    links to the same bytes, so readers see no change."""
    if home.serving_current.is_symlink() or as_of is None:
        return
    files = [(home.serving_file(role), f"{role}.duckdb") for role in ROLES]
    files.append((home.report_file, "report.html"))
    present = [(path, name) for path, name in files if path.is_file() and not path.is_symlink()]
    if not present:
        return
    staged = new_publication(home, as_of)
    for path, name in present:
        os.link(path, staged / name)
    _switch(home, _seal(home, staged, as_of))


def _prune(home: Home) -> None:
    if not home.publications.is_dir():
        return
    current = current_publication(home)
    by_day: dict[date, list[tuple[int, Path]]] = {}
    for path in home.publications.iterdir():
        version = _version_of(path.name)
        if version and path.is_dir() and not path.is_symlink():
            by_day.setdefault(version[0], []).append((version[1], path))
    for day, versions in by_day.items():
        entry = home.serving_history(day)
        if not entry.exists():  # a run died between naming its folder and linking it
            _link(entry, os.path.relpath(max(versions)[1], entry.parent))
        kept = {current.name if current else None}
        if entry.is_symlink():
            kept.add(os.path.basename(os.readlink(entry)))
        for _, path in versions:
            if path.name not in kept:
                shutil.rmtree(path)
