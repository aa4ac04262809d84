"""A HubSpot-like CRM API on loopback that serves the demo CRM exports (for the rest reader's
tests; not a test module).

Shape (HubSpot v3-like): `GET /crm/v3/objects/contacts`, `/crm/v3/objects/companies`,
`/crm/v3/owners` with `limit` (default 10, at most 100), `after` (an opaque page token),
`updatedAfter` (inclusive) and `updatedBefore` (exclusive) ISO instants; the answer is
`{"results": [...], "paging": {"next": {"after": TOKEN}}}` (no `paging` on the last page),
each record `{"id", "properties": {...}, "createdAt", "updatedAt", "archived"}` (owners flat).

The server has a clock: it holds, for every object, its latest version changed before
`clock` (None: every version), as an API holds current state, not history. A record of the
demo's day-D file is one version, changed at its LastModifiedDate. Malformed CSV rows (wrong
field count) are not served: an API cannot hold them.

Faults: `fail_at` maps a request number (from 1) to a status to answer once (429 comes with
`Retry-After: retry_after`); `always` answers every request with that status.
"""

from __future__ import annotations

import base64
import csv
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Obj = dict[str, Any]
Shape = Callable[[dict[str, str]], Obj]


def api_time(text: str) -> str:
    """A demo timestamp as HubSpot writes one (`2026-06-30T05:01:45.000Z`); text that is
    not a timestamp stays as it is."""
    try:
        instant = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return text
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _s(text: str) -> str | None:
    return text if text != "" else None


def _b(text: str) -> bool | str | None:
    return {"true": True, "false": False, "": None}.get(text, text)


def contact(row: dict[str, str]) -> Obj:
    return {
        "id": row["Id"],
        "properties": {
            "firstname": _s(row["FirstName"]),
            "lastname": _s(row["LastName"]),
            "email": _s(row["Email"]),
            "phone": _s(row["Phone"]),
            "country": _s(row["MailingCountry"]),
            "associatedcompanyid": _s(row["AccountId"]),
            "hubspot_owner_id": _s(row["OwnerId"]),
            "leadsource": _s(row["LeadSource"]),
            "hs_email_optout": _b(row["HasOptedOutOfEmail"]),
        },
        "createdAt": api_time(row["CreatedDate"]),
        "updatedAt": api_time(row["LastModifiedDate"]),
        "archived": False,
    }


def company(row: dict[str, str]) -> Obj:
    return {
        "id": row["Id"],
        "properties": {
            "name": _s(row["Name"]),
            "industry": _s(row["Industry"]),
            "country": _s(row["BillingCountry"]),
            "hubspot_owner_id": _s(row["OwnerId"]),
            "type": _s(row["Type"]),
        },
        "createdAt": api_time(row["CreatedDate"]),
        "updatedAt": api_time(row["LastModifiedDate"]),
        "archived": False,
    }


def owner(row: dict[str, str]) -> Obj:
    return {
        "id": row["Id"],
        "name": _s(row["Name"]),
        "email": _s(row["Email"]),
        "team": _s(row["Team"]),
        "active": _b(row["IsActive"]),
        "updatedAt": api_time(row["LastModifiedDate"]),
        "archived": False,
    }


# endpoint path -> (the demo's export path, {date} = day, and the record shape)
ENDPOINTS: dict[str, tuple[str, Shape]] = {
    "crm/v3/objects/contacts": ("crm/contacts/contacts_{date}.csv", contact),
    "crm/v3/objects/companies": ("crm/accounts/accounts_{date}.csv", company),
    "crm/v3/owners": ("crm/owners/owners_{date}.csv", owner),
}


@dataclass(frozen=True)
class Version:
    changed: datetime  # when the API changed the object (its updatedAt as an instant)
    obj: Obj


def instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


def load_demo(sources: Path) -> dict[str, list[Version]]:
    """Every version of every object of the demo's CRM exports, per endpoint."""
    store: dict[str, list[Version]] = {}
    for path, (pattern, shape) in ENDPOINTS.items():
        versions = store.setdefault(path, [])
        for file in sorted(sources.glob(pattern.replace("{date}", "*"))):
            day = date.fromisoformat(file.stem.rsplit("_", 1)[1])
            with file.open(newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                for fields in reader:
                    if len(fields) != len(header):
                        continue  # a malformed line: no API would hold it
                    obj = shape(dict(zip(header, fields, strict=True)))
                    noon = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
                    versions.append(Version(instant(obj["updatedAt"]) or noon, obj))
    return store


@dataclass
class Served:
    number: int
    received: float  # time.monotonic() when the request arrived
    answered: float  # ... and when the answer was sent
    path: str
    query: dict[str, str]
    status: int
    authorization: str | None
    headers: dict[str, str] = field(default_factory=dict)


class FakeCrmApi:
    def __init__(self, store: dict[str, list[Version]]) -> None:
        self.store = store
        self.clock: datetime | None = None
        self.fail_at: dict[int, int] = {}
        self.always: int | None = None
        self.retry_after = 1
        self.ignore_filter = False
        self.transform: Callable[[str, Obj], Obj] | None = None  # drift: edit served records
        self.served: list[Served] = []
        self._lock = threading.Lock()
        self._count = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    def __enter__(self) -> FakeCrmApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def state(self, path: str) -> list[Obj]:
        """The objects as the API holds them at its clock: each one's latest version."""
        latest: dict[str, Version] = {}
        for version in self.store.get(path, []):
            if self.clock is not None and version.changed >= self.clock:
                continue
            known = latest.get(version.obj["id"])
            if known is None or version.changed >= known.changed:
                latest[version.obj["id"]] = version
        return [latest[k].obj for k in sorted(latest)]

    def window(self, path: str, start: datetime, end: datetime) -> list[Obj]:
        """What a pull of [start, end) must get: the current objects changed in it."""
        return [o for o in self.state(path) if start <= (instant(o["updatedAt"]) or end) < end]

    def _number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _answer(
        self, number: int, path: str, query: dict[str, str]
    ) -> tuple[int, Obj, dict[str, str]]:
        status = self.always or self.fail_at.get(number)
        if status == 429:
            return (
                429,
                {"status": "error", "category": "RATE_LIMITS"},
                {"Retry-After": str(self.retry_after)},
            )
        if status is not None:
            return status, {"status": "error", "message": "internal error"}, {}
        if path not in self.store:
            return 404, {"status": "error", "message": f"no endpoint {path}"}, {}
        rows = self.state(path)
        if not self.ignore_filter:
            low = instant(query["updatedAfter"]) if "updatedAfter" in query else None
            high = instant(query["updatedBefore"]) if "updatedBefore" in query else None
            rows = [
                r for r in rows
                if (at := instant(r["updatedAt"])) is not None
                and (low is None or at >= low) and (high is None or at < high)
            ]  # fmt: skip
        if self.transform is not None:
            rows = [self.transform(path, json.loads(json.dumps(r))) for r in rows]
        limit = min(int(query.get("limit", 10)), 100)
        offset = int(base64.urlsafe_b64decode(query["after"]).decode()) if "after" in query else 0
        body: Obj = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            token = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
            body["paging"] = {"next": {"after": token, "link": f"/{path}?after={token}"}}
        return 200, body, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                received = time.monotonic()
                number = api._number()
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                path = parts.path.lstrip("/")
                status, body, headers = api._answer(number, path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                served = Served(number, received, time.monotonic(), path, query, status,
                                self.headers.get("Authorization"), headers)  # fmt: skip
                with api._lock:
                    api.served.append(served)
                    api.served.sort(key=lambda s: s.number)

        return Handler
