"""The `rest` kind (lifecycle.readers.rest) against a HubSpot-like CRM API on loopback
(tests/unit/fake_crm_api.py) that serves the demo CRM, configured by the worked example
config/examples/sources.rest.yml: every record exactly once, Retry-After honoured, a server
error retried, a server that keeps failing named, the raw zone equal to the file path's,
and schema drift (a new field reported, a renamed field or a type change stops the source)."""

from __future__ import annotations

import json
import logging
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from fake_crm_api import ENDPOINTS, FakeCrmApi, Obj, Version, contact, instant, load_demo

from lifecycle.config import SourceConfig, SourcesConfig, TableConfig, load_sources
from lifecycle.extract import (
    PartitionReport,
    delivery_context,
    extract_delivery,
    extract_source,
    partition_dir,
    quarantine_dir,
)
from lifecycle.paths import REPO_ROOT, Home
from lifecycle.readers import ExtractError, MissingDelivery
from lifecycle.readers.rest import open_delivery
from lifecycle.readers.rest_options import RestOptionsError, parse_connection

REST_CONFIG = REPO_ROOT / "config" / "examples" / "sources.rest.yml"
FIRST, LAST = date(2026, 6, 11), date(2026, 6, 30)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
TOKEN = "s3cr3t-t0ken-never-shown"
RETRY_AFTER = 1  # seconds, the server's Retry-After on a 429
AT = datetime(2026, 7, 1, 1, tzinfo=UTC)
PATH = {"contacts": "crm/v3/objects/contacts", "accounts": "crm/v3/objects/companies",
        "owners": "crm/v3/owners"}  # fmt: skip


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@pytest.fixture(scope="module")
def rest_cfg() -> SourcesConfig:
    return load_sources(REST_CONFIG)


def _crm(cfg: SourcesConfig, **options: Any) -> SourceConfig:
    crm = cfg.source("crm")
    return replace(crm, start=FIRST, options={**crm.options, **options})


def _table(source: SourceConfig, name: str) -> TableConfig:
    return next(t for t in source.tables if t.name == name)


@contextmanager
def _serving(store: dict[str, list[Version]]) -> Iterator[FakeCrmApi]:
    with FakeCrmApi(store) as api, pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW_CONN_CRM_API", f"http://:{TOKEN}@127.0.0.1:{api.port}/")
        yield api


@pytest.fixture(scope="module")
def files_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo CRM (200 customers, 20 days) as daily CSV exports, extracted the file way."""
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("rest-files"))
    with pytest.MonkeyPatch.context() as env:
        env.delenv("LIFECYCLE_SOURCES", raising=False)
        env.delenv("LIFECYCLE_SOURCES_CONFIG", raising=False)
        generate(home.sources, customers=200, days=20, seed=5, end_date=LAST)
        extract_source("crm", LAST, "files", home, load_sources())
    return home


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Nightly:
    home: Home
    api: FakeCrmApi
    reports: list[PartitionReport]
    log: list[str]


@pytest.fixture(scope="module")
def nightly(
    files_home: Home, rest_cfg: SourcesConfig, tmp_path_factory: pytest.TempPathFactory
) -> Nightly:
    """20 nightly runs against the API (its clock at each day's end, as a nightly run
    sees it), 4 records a page, two 429s with Retry-After and one 500 on the way."""
    home = Home(tmp_path_factory.mktemp("rest-nightly"))
    cfg = replace(rest_cfg, sources=(_crm(rest_cfg, page_size=4, backoff_seconds=0.2),))
    handler, root = _Lines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with _serving(load_demo(files_home.sources)) as api:
            api.retry_after = RETRY_AFTER
            api.fail_at = {3: 429, 9: 500, 17: 429}
            reports = []
            for n, day in enumerate(DAYS):
                api.clock = _midnight(day + timedelta(days=1))
                reports += extract_source("crm", day, f"night{n}", home, cfg)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    return Nightly(home, api, reports, handler.lines)


def _ids(home: Home, table: TableConfig, day: date) -> list[tuple[str, datetime]]:
    """(id, changed-at) of every record a partition read: loaded and quarantined."""
    loaded = duckdb.sql(
        f"select id, last_modified_date from '{partition_dir(home, table, day)}/data.parquet'"
    ).fetchall()
    raws = duckdb.sql(
        f"select raw_record from '{quarantine_dir(home, table, day)}/data.parquet'"
    ).fetchall()
    quarantined = [json.loads(r) for (r,) in raws]
    return [(i, instant(c) or _midnight(day)) for i, c in loaded] + [
        (r["id"], instant(r["updatedAt"]) or _midnight(day)) for r in quarantined
    ]


@pytest.mark.slow
def test_rest_nightly_pull_gets_every_record_exactly_once(nightly: Nightly) -> None:
    api, crm = nightly.api, load_sources(REST_CONFIG).source("crm")
    for table in crm.tables:
        everything: list[tuple[str, datetime]] = []
        for day in DAYS:
            api.clock = _midnight(day + timedelta(days=1))
            window = api.window(PATH[table.name], _midnight(day), api.clock)
            got = _ids(nightly.home, table, day)
            assert sorted(got) == sorted((o["id"], instant(o["updatedAt"])) for o in window)
            assert max(Counter(i for i, _ in got).values(), default=1) == 1, (table.key, day)
            everything += got
        span = (_midnight(FIRST), _midnight(LAST + timedelta(days=1)))
        stored = api.store[PATH[table.name]]
        versions = {(v.obj["id"], v.changed) for v in stored if span[0] <= v.changed < span[1]}
        assert sorted(everything) == sorted(versions)  # each version once, on its day
    contacts = [r for r in nightly.reports if r.table == "crm.contacts"]
    counts = [sum(getattr(r, n) for r in contacts) for n in ("read", "loaded", "quarantined")]
    assert counts == [109, 107, 2]  # the demo's valid contacts (one edit) and 2 planted faults


@pytest.mark.slow
def test_rest_honours_retry_after(nightly: Nightly) -> None:
    served = nightly.api.served
    limited = [s for s in served if s.status == 429]
    assert [s.number for s in limited] == [3, 17]
    for s in limited:
        retry = served[s.number]  # the next request (numbers start at 1)
        assert (retry.path, retry.query, retry.status) == (s.path, s.query, 200)
        assert s.headers["Retry-After"] == str(RETRY_AFTER)
        assert retry.received - s.received >= RETRY_AFTER
        assert retry.received - s.answered >= RETRY_AFTER - 0.01  # measured after the answer


@pytest.mark.slow
def test_rest_retries_a_server_error(nightly: Nightly) -> None:
    served = nightly.api.served
    (failed,) = [s for s in served if s.status == 500]
    retry = served[failed.number]
    assert (retry.path, retry.query, retry.status) == (failed.path, failed.query, 200)


@pytest.mark.slow
def test_rest_sends_the_token_as_bearer_and_never_shows_it(nightly: Nightly) -> None:
    assert {s.authorization for s in nightly.api.served} == {f"Bearer {TOKEN}"}
    shown = {r.file for r in nightly.reports}
    assert f"http://127.0.0.1:{nightly.api.port}/crm/v3/owners [2026-06-11, 2026-06-12)" in shown
    assert not [line for line in nightly.log + sorted(shown) if TOKEN in line]
    assert nightly.log  # the capture did see the extract's log


def _cast(table: TableConfig, row: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for spec, value in zip(table.columns, row, strict=True):
        if value is not None and spec.type == "timestamp":
            value = datetime.fromisoformat(value).astimezone(UTC)
        elif value is not None and spec.type in ("integer", "decimal"):
            value = Decimal(value)
        out.append(value)
    return tuple(out)


def _loaded(home: Home, table: TableConfig, day: date) -> list[tuple[Any, ...]]:
    names = ", ".join(c.name for c in table.columns)
    folder = partition_dir(home, table, day)
    rows = duckdb.sql(f"select {names} from '{folder}/data.parquet'").fetchall()
    return sorted(_cast(table, r) for r in rows)


@pytest.mark.slow
def test_rest_raw_zone_equals_the_file_path(nightly: Nightly, files_home: Home) -> None:
    rest = load_sources(REST_CONFIG).source("crm")
    files = load_sources().source("crm")
    total = 0
    for table in rest.tables:
        same = _table(files, table.name)
        assert [(c.name, c.type) for c in table.columns] == [(c.name, c.type) for c in same.columns]
        for day in DAYS:
            rows = _loaded(nightly.home, table, day)
            assert rows == _loaded(files_home, same, day), (table.key, day)
            total += len(rows)
    assert total == 107 + 8 + 12  # contacts (valid), accounts, owners


def _rules(home: Home) -> list[tuple[str, str, str]]:
    return sorted(duckdb.sql(
        "select _table, coalesce(column_name, ''), rule"
        f" from '{home.quarantine}/crm/*/*/data.parquet'"
    ).fetchall())  # fmt: skip


@pytest.mark.slow
def test_rest_quarantines_what_the_file_path_does_but_unparseable_lines(
    nightly: Nightly, files_home: Home
) -> None:
    assert _rules(nightly.home) == [
        ("contacts", "CreatedDate", "before_company_founded"),
        ("contacts", "CreatedDate", "not_a_timestamp"),
    ]
    assert _rules(files_home) == sorted(
        [*_rules(nightly.home), ("contacts", "", "wrong_field_count")]  # no API can send one
    )


# --- cursor semantics, failures, drift: small stores, fast ---


def _version(cid: str, changed: str, **props: str) -> Version:
    row = {"Id": cid, "FirstName": "Ann", "LastName": "Lee", "Email": f"{cid}@x.com",
           "Phone": "", "MailingCountry": "DE", "AccountId": "", "OwnerId": "OW1",
           "LeadSource": "Web", "CreatedDate": "2026-06-01T08:00:00Z",
           "LastModifiedDate": changed, "HasOptedOutOfEmail": "false", **props}  # fmt: skip
    obj = contact(row)
    return Version(instant(obj["updatedAt"]) or AT, obj)


SMALL = {
    "crm/v3/objects/contacts": [
        _version("C1", "2026-06-29T09:00:00Z"),
        _version("C2", "2026-06-29T23:59:59.999Z"),
        _version("C3", "2026-06-30T00:00:00Z"),  # the next day's first instant
        _version("C1", "2026-06-30T10:00:00Z", Phone="+49301234567"),  # C1 edited next day
    ]
}


def _pull(source: SourceConfig, day: date, name: str = "contacts") -> tuple[list[str], str]:
    delivery = open_delivery(source, _table(source, name), day)
    ids = [r.record["Id"] for r in delivery.records if isinstance(r.record, dict)]
    return ids, delivery.checksum()


def test_rest_pull_of_a_day_gets_the_records_last_changed_that_day(
    rest_cfg: SourcesConfig,
) -> None:
    crm = _crm(rest_cfg)
    with _serving(SMALL) as api:
        api.clock = _midnight(date(2026, 6, 30))  # the nightly run of 06-29
        nightly = _pull(crm, date(2026, 6, 29))
        api.clock = None  # later: C1 has changed again on 06-30
        later = _pull(crm, date(2026, 6, 29))
        assert _pull(crm, date(2026, 6, 29)) == later  # a re-run pulls the same again
        next_day = _pull(crm, date(2026, 6, 30))
    assert nightly[0] == ["C1", "C2"]  # [06-29 00:00, 06-30 00:00): C3 is the next day's
    assert later[0] == ["C2"]  # the API keeps no history: C1 is now a 06-30 record
    assert next_day[0] == ["C1", "C3"]


def test_rest_bounds_are_enforced_on_records_when_the_api_ignores_them(
    rest_cfg: SourcesConfig,
) -> None:
    with _serving(SMALL) as api:
        api.ignore_filter = True
        ids, _ = _pull(_crm(rest_cfg), date(2026, 6, 29))
    assert ids == ["C2"]  # C1 (now 06-30) and C3 (06-30 00:00, the open end) filtered out


def _written_as(cid: str, updated_at: str) -> Version:
    version = _version(cid, updated_at)
    return Version(version.changed, {**version.obj, "updatedAt": updated_at})


def test_rest_bounds_compare_instants_not_texts(rest_cfg: SourcesConfig) -> None:
    store = {
        "crm/v3/objects/contacts": [
            _written_as("C1", "2026-06-29T00:00:00+00:00"),  # as text: before "...00.000Z"
            _written_as("C2", "2026-06-30T01:00:00+02:00"),  # 06-29 23:00 UTC
            _written_as("C3", "2026-06-29T23:30:00-01:00"),  # 06-30 00:30 UTC
        ]
    }
    with _serving(store) as api:
        api.ignore_filter = True
        ids, _ = _pull(_crm(rest_cfg), date(2026, 6, 29))
    assert ids == ["C1", "C2"]


def test_rest_server_that_keeps_failing_names_the_endpoint_and_status(
    rest_cfg: SourcesConfig,
) -> None:
    crm = _crm(rest_cfg, max_attempts=3, backoff_seconds=0.01)
    with _serving(SMALL) as api, pytest.raises(MissingDelivery) as caught:
        api.always = 500
        _pull(crm, date(2026, 6, 29))
    url = f"http://127.0.0.1:{api.port}/crm/v3/objects/contacts"
    assert str(caught.value) == (
        f"crm.contacts: {url} [2026-06-29, 2026-06-30): the server kept failing after 3"
        " attempt(s) (options.max_attempts): last status HTTP 500 Internal Server Error; last"
        f" request GET {url}?limit=100&updatedAfter=2026-06-29T00%3A00%3A00.000Z"
        "&updatedBefore=2026-06-30T00%3A00%3A00.000Z"
    )
    assert not isinstance(caught.value, ExtractError)  # retryable by the Airflow task
    assert len(api.served) == 3
    assert TOKEN not in str(caught.value)


def test_rest_unreachable_server_is_a_missing_delivery_naming_the_endpoint(
    rest_cfg: SourcesConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setenv("AIRFLOW_CONN_CRM_API", f"http://:{TOKEN}@127.0.0.1:{port}/")
    crm = _crm(rest_cfg, max_attempts=2, backoff_seconds=0.01)
    expected = (
        r"^crm\.contacts: http://127\.0\.0\.1:\d+/crm/v3/objects/contacts \[2026-06-29,"
        r" 2026-06-30\): no answer from the server after 2 attempt\(s\)"
        r" \(options\.max_attempts\): ConnectionError: "
    )
    with pytest.raises(MissingDelivery, match=expected):
        _pull(crm, date(2026, 6, 29))


def _drifted(rest_cfg: SourcesConfig, home: Home, edit: Any) -> PartitionReport:
    crm = _crm(rest_cfg)
    table = _table(crm, "contacts")
    day = date(2026, 6, 29)
    with _serving(SMALL) as api:
        api.clock = _midnight(day + timedelta(days=1))
        api.transform = lambda path, obj: edit(obj) or obj
        context = delivery_context(rest_cfg, day, ["EUR"])
        return extract_delivery(home, crm, table, day, "run1", AT, context)


def test_rest_new_field_is_reported_and_the_records_load(
    rest_cfg: SourcesConfig, tmp_path: Path
) -> None:
    def add(obj: Obj) -> None:
        obj["properties"]["hs_lead_status"] = "NEW"

    report = _drifted(rest_cfg, Home(tmp_path), add)
    assert (report.read, report.loaded, report.quarantined) == (2, 2, 0)
    assert report.undeclared_columns == "properties.hs_lead_status"


def test_rest_renamed_field_stops_the_source(rest_cfg: SourcesConfig, tmp_path: Path) -> None:
    def rename(obj: Obj) -> None:
        obj["properties"]["email_address"] = obj["properties"].pop("email")

    with pytest.raises(ExtractError) as caught:
        _drifted(rest_cfg, Home(tmp_path), rename)
    message, found = str(caught.value).split(" (found: ")
    assert message.endswith(
        " [2026-06-29, 2026-06-30): declared field(s) properties.email (column Email) missing"
        " from all 2 record(s): renamed or dropped at the source, a breaking schema change,"
        " the source stops"
    )
    assert "properties.email_address" in found.split(", ")
    assert not (partition_dir(Home(tmp_path), _table(_crm(rest_cfg), "contacts"),
                              date(2026, 6, 29)) / "_extract.json").exists()  # fmt: skip


@pytest.mark.parametrize(
    ("value", "found"), [("false", "string"), (0, "number"), ({"value": False}, "object")]
)
def test_rest_type_change_stops_the_source(
    rest_cfg: SourcesConfig, tmp_path: Path, value: Any, found: str
) -> None:
    def retype(obj: Obj) -> None:
        obj["properties"]["hs_email_optout"] = value

    with pytest.raises(ExtractError) as caught:
        _drifted(rest_cfg, Home(tmp_path), retype)
    hint = " (if this API sends every value as a string, set options.scalars_as_strings)"
    assert str(caught.value).endswith(
        " [2026-06-29, 2026-06-30): type change in field properties.hs_email_optout (column"
        f" HasOptedOutOfEmail): declared boolean, found JSON {found} (record 1, id=C1;"
        f" expected JSON boolean){hint if found == 'string' else ''}: a breaking schema"
        " change, the source stops"
    )


def test_rest_strings_for_booleans_load_when_the_api_sends_every_value_as_text(
    rest_cfg: SourcesConfig,
) -> None:
    def as_text(path: str, obj: Obj) -> Obj:
        obj["properties"]["hs_email_optout"] = "false"
        return obj

    with _serving(SMALL) as api:
        api.transform = as_text
        crm = _crm(rest_cfg, scalars_as_strings=True)
        delivery = open_delivery(crm, _table(crm, "contacts"), date(2026, 6, 30))
        records = [r.record for r in delivery.records]
    assert [r["HasOptedOutOfEmail"] for r in records if isinstance(r, dict)] == ["false"] * 2


def test_rest_answer_without_the_records_stops_the_source(rest_cfg: SourcesConfig) -> None:
    crm = _crm(rest_cfg, data_selector="data")  # as if the API moved its records
    with _serving(SMALL) as api, pytest.raises(ExtractError) as caught:
        _pull(crm, date(2026, 6, 29))
    assert str(caught.value) == (
        f"crm.contacts: http://127.0.0.1:{api.port}/crm/v3/objects/contacts [2026-06-29,"
        " 2026-06-30): the answer has no 'data' (options.data_selector; found: results): the"
        " API's answers changed or the option is wrong, the source stops"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_sise": 10}, "sources.crm.options: unknown key(s) 'page_sise' (known: "),
        ({"page_size": 0}, "sources.crm.options.page_size: expected a whole number >= 1, got 0"),
        ({"cursor_format": "epoch"}, "sources.crm.options.cursor_format: 'epoch' is not one of"),
        ({"paginator": 5}, "sources.crm.options.paginator: expected a dlt paginator"),
        ({"params": {"limit": 5}}, "sources.crm.options.params: limit is set by the reader"),
        ({"max_attempts": "3"}, "sources.crm.options.max_attempts: expected a whole number"),
    ],
)
def test_rest_options_are_checked_with_the_key_named(
    rest_cfg: SourcesConfig, options: dict[str, Any], message: str
) -> None:
    crm = _crm(rest_cfg, **options)
    with pytest.raises(RestOptionsError) as caught:
        open_delivery(crm, _table(crm, "contacts"), date(2026, 6, 29))
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ExtractError)  # the task fails at once, no retries


@pytest.mark.parametrize(
    ("uri", "base", "token"),
    [
        ("https://:tok%2Fen@api.example.com", "https://api.example.com/", "tok/en"),
        ("http://127.0.0.1:8080/api/v1/", "http://127.0.0.1:8080/api/v1/", None),
        ("http://:tok@api.example.com/https", "https://api.example.com/", "tok"),  # Airflow http
        ("http://https://:tok@api.example.com:8443", "https://api.example.com:8443/", "tok"),
    ],
)
def test_parse_connection_gives_base_url_without_credentials(
    uri: str, base: str, token: str | None
) -> None:
    endpoint = parse_connection(uri, "crm_api")
    assert (endpoint.base_url, endpoint.token) == (base, token)
    assert "tok" not in repr(endpoint)


def test_parse_connection_rejects_a_non_http_uri() -> None:
    with pytest.raises(RestOptionsError, match=r"^connection 'crm_api': expected an http\(s\)"):
        parse_connection("postgresql://u:p@db/orders", "crm_api")


def test_example_config_differs_from_sources_yml_only_in_the_crm_source() -> None:
    example = yaml.safe_load(REST_CONFIG.read_text(encoding="utf-8"))
    default = yaml.safe_load((REPO_ROOT / "config" / "sources.yml").read_text(encoding="utf-8"))
    assert {k: v for k, v in example.items() if k != "sources"} == {
        k: v for k, v in default.items() if k != "sources"
    }
    assert {k: v for k, v in example["sources"].items() if k != "crm"} == {
        k: v for k, v in default["sources"].items() if k != "crm"
    }
    endpoints = {t.location for t in load_sources(REST_CONFIG).source("crm").tables}
    assert endpoints == set(ENDPOINTS)
