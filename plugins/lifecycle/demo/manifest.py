"""The ground truth under `out/_truth/`: manifest.json, people.csv and records.csv."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, Any

from lifecycle.demo.variants import normalise_email

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from types import TracebackType

    from lifecycle.demo.people import Population
    from lifecycle.demo.render import Identity

RECORD_COLUMNS: tuple[str, ...] = (
    "source",
    "table",
    "record_id",
    "person_id",
    "raw_email",
    "raw_phone",
    "expected_email",
    "expected_phone",
)
PEOPLE_COLUMNS: tuple[str, ...] = (
    "person_id",
    "first_name",
    "last_name",
    "email",
    "phone_e164",
    "country",
    "acquisition_channel",
    "first_seen_date",
    "is_b2b",
    "account_key",
)


class RecordsTruth:
    """Streams records.csv: every valid identity-carrying record version, with its person and
    the normalised e-mail / E.164 phone its raw values must resolve to."""

    def __init__(self, path: Path, pop: Population) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(RECORD_COLUMNS)
        self._pop = pop

    def __enter__(self) -> RecordsTruth:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()

    def add(self, source: str, table: str, identities: Sequence[Identity]) -> None:
        pop = self._pop
        self._writer.writerows(
            (
                source,
                table,
                ident.record_id,
                pop.person_id[ident.person],
                ident.email or "",
                ident.phone or "",
                normalise_email(ident.email),
                pop.phone[ident.person].e164 if (ident.phone or "").strip() else "",
            )
            for ident in identities
        )

    def add_ids(self, source: str, table: str, ids: Sequence[tuple[str, int]]) -> None:
        """System ids (app user_id, shop customer_id) -> person, with no identity values."""
        pid = self._pop.person_id
        self._writer.writerows(
            (source, table, key, pid[person], "", "", "", "") for key, person in sorted(ids)
        )


def write_people(path: Path, pop: Population) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(PEOPLE_COLUMNS)
        for i in range(pop.n):
            acc = int(pop.account[i])
            writer.writerow(
                (
                    pop.person_id[i],
                    pop.first_name[i],
                    pop.last_name[i],
                    pop.email[i],
                    pop.phone[i].e164,
                    pop.country[i],
                    pop.channel[i],
                    pop.first_seen_date(i).isoformat(),
                    "true" if pop.is_b2b[i] else "false",
                    pop.accounts[acc].id if acc >= 0 else "",
                )
            )


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Byte-stable JSON: sorted keys, fixed indent, trailing newline."""
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False)
    path.write_bytes((text + "\n").encode("utf-8"))
