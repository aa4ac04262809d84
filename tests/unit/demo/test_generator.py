"""The demo generator: determinism, the sources.yml contract, planted defects and the truth."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from lifecycle.config import ColumnSpec, TableConfig, load_sources
from lifecycle.demo import generate

CUSTOMERS, DAYS, SEED, END = 400, 90, 7, date(2026, 3, 31)
EMAIL_RE = re.compile(r"^[a-z0-9._%-]+@[a-z0-9.-]+\.[a-z]{2,}$")
IDENTITY_TABLES = {
    ("crm", "contacts"),
    ("orders", "orders"),
    ("support", "tickets"),
    ("app", "events"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, customers=CUSTOMERS, days=DAYS, seed=SEED, end_date=END)


@pytest.fixture(scope="module")
def tables() -> list[TableConfig]:
    return list(load_sources().tables)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _days() -> list[date]:
    return [date.fromordinal(END.toordinal() - DAYS + 1 + k) for k in range(DAYS)]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- a checker written from sources.yml alone ----------------------------------------------


def _parses(col: ColumnSpec, value: Any, fmt: str) -> bool:
    if col.type == "timestamp":
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    if col.type == "integer":
        if fmt == "jsonl":
            return isinstance(value, int) and not isinstance(value, bool)
        return re.fullmatch(r"-?\d+", value) is not None
    if col.type == "decimal":
        if fmt == "jsonl":
            return isinstance(value, int | float) and not isinstance(value, bool)
        try:
            Decimal(value)
        except InvalidOperation:
            return False
        return True
    if col.type == "boolean":
        return value in ((True, False) if fmt == "jsonl" else ("true", "false"))
    return isinstance(value, str)


def _breaks_rule(col: ColumnSpec, value: Any) -> bool:
    if value in (None, ""):
        return col.required
    if col.values is not None and value not in col.values:
        return True
    if col.type in ("integer", "decimal"):
        number = Decimal(str(value))
        return (col.min is not None and number < Decimal(str(col.min))) or (
            col.max is not None and number > Decimal(str(col.max))
        )
    if col.type == "timestamp" and col.min_year is not None:
        return datetime.fromisoformat(value).year < col.min_year
    return False


def _classify(cfg: TableConfig, line: str, header_len: int) -> tuple[str, dict[str, Any] | None]:
    """("malformed" | "impossible" | "valid", the record by source field)."""
    record: dict[str, Any] = {}
    if cfg.format == "jsonl":
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            return "malformed", None
        if not isinstance(obj, dict):
            return "malformed", None
        for col in cfg.columns:
            node: Any = obj
            for part in col.source_field.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            record[col.source_field] = node
    else:
        fields = next(csv.reader(io.StringIO(line)))
        if len(fields) != header_len:
            return "malformed", None
        record = {c.source_field: v for c, v in zip(cfg.columns, fields, strict=True)}
    for col in cfg.columns:
        value = record[col.source_field]
        if value not in (None, "") and not _parses(col, value, cfg.format):
            return "malformed", None
    if any(_breaks_rule(col, record[col.source_field]) for col in cfg.columns):
        return "impossible", record
    return "valid", record


def _scan(out: Path, cfg: TableConfig) -> dict[str, Any]:
    """Every line of every day file classified, duplicates counted, cursors checked."""
    counts: Counter[str] = Counter()
    valid: list[tuple[date, dict[str, Any]]] = []
    for day in _days():
        text = cfg.file_for(out, day).read_text(encoding="utf-8")
        lines = text.split("\n")
        assert lines[-1] == "", "files end with a newline"
        lines = lines[:-1]
        assert all(line.strip() for line in lines), "no blank lines"
        if cfg.format == "csv":
            lines = lines[1:]
        seen: set[str] = set()
        for line in lines:
            kind, record = _classify(cfg, line, len(cfg.columns))
            counts[kind] += 1
            if record is not None:
                cursor = datetime.fromisoformat(record[cfg.cursor]).astimezone(UTC).date()
                assert cursor == day, f"{cfg.key}: cursor {cursor} in the file of {day}"
            if kind == "valid" and record is not None:
                if line in seen:
                    counts["exact_duplicates"] += 1
                else:
                    valid.append((day, record))
                seen.add(line)
    return {"counts": counts, "valid": valid}


@pytest.fixture(scope="module")
def scans(demo: tuple[Path, dict[str, Any]], tables: list[TableConfig]) -> dict[str, Any]:
    return {cfg.key: _scan(demo[0], cfg) for cfg in tables}


# --- tests -------------------------------------------------------------------------------


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(
    demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    again = generate(tmp_path / "again", customers=CUSTOMERS, days=DAYS, seed=SEED, end_date=END)
    first = _digests(demo[0])
    assert _digests(tmp_path / "again") == first
    assert again == demo[1]
    generate(tmp_path / "other", customers=CUSTOMERS, days=DAYS, seed=SEED + 1, end_date=END)
    other = _digests(tmp_path / "other")
    assert other.keys() == first.keys()
    assert sum(other[k] != first[k] for k in first) > len(first) // 2


def test_every_table_has_a_file_per_day_with_the_configured_header(
    demo: tuple[Path, dict[str, Any]], tables: list[TableConfig]
) -> None:
    out = demo[0]
    assert len(tables) == 9
    for cfg in tables:
        for day in _days():
            path = cfg.file_for(out, day)
            assert path.is_file(), path
            if cfg.format == "csv":
                header = path.read_text(encoding="utf-8").split("\n", 1)[0]
                assert next(csv.reader([header])) == [c.source_field for c in cfg.columns]
        folder = cfg.file_for(out, END).parent
        assert len(list(folder.iterdir())) == DAYS, "nothing outside the span"
    owners = next(cfg for cfg in tables if cfg.key == "crm.owners")
    header_only = "Id,Name,Email,Team,IsActive,LastModifiedDate\n"
    assert owners.file_for(out, _days()[1]).read_text(encoding="utf-8") == header_only
    refunds = next(cfg for cfg in tables if cfg.key == "orders.refunds")
    assert refunds.file_for(out, _days()[0]).read_bytes() == b"", "an empty day is an empty file"


def test_manifest_invariants_and_every_planted_kind_present(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    manifest = demo[1]
    assert (manifest["seed"], manifest["customers"], manifest["days"]) == (SEED, CUSTOMERS, DAYS)
    assert (
        manifest["end_date"] == END.isoformat() and manifest["start_date"] == _days()[0].isoformat()
    )
    on_disk = json.loads((demo[0] / "_truth" / "manifest.json").read_text())
    assert on_disk == manifest
    for key, t in manifest["tables"].items():
        assert t["records_written"] == t["valid"] + t["malformed"] + t["impossible"], key
        assert t["valid"] >= t["exact_duplicates"]
        assert len(t["by_day"]) == DAYS
        for field in ("records", "malformed", "impossible", "exact_duplicates"):
            total = t["records_written"] if field == "records" else t[field]
            assert sum(d[field] for d in t["by_day"].values()) == total, (key, field)
    tables = manifest["tables"]
    for key in (
        "orders.orders",
        "orders.line_items",
        "app.events",
        "support.tickets",
        "crm.contacts",
    ):
        assert tables[key]["malformed"] > 0 and tables[key]["impossible"] > 0, key
    assert tables["support.satisfaction_ratings"]["impossible"] > 0
    for key in ("orders.orders", "app.events", "support.tickets"):
        assert tables[key]["exact_duplicates"] > 0, key
    for key in ("orders.orders", "crm.contacts", "support.tickets"):
        assert tables[key]["updated_versions"] > 0, key
    assert tables["app.events"]["late"] > 0
    assert all(t["late"] == 0 for k, t in tables.items() if k != "app.events")
    assert tables["crm.owners"]["records_written"] == 12
    assert tables["crm.owners"]["by_day"][_days()[0].isoformat()]["records"] == 12


def test_lines_parse_or_fail_exactly_as_the_manifest_counts(
    demo: tuple[Path, dict[str, Any]], scans: dict[str, Any]
) -> None:
    for key, t in demo[1]["tables"].items():
        counts = scans[key]["counts"]
        assert counts["malformed"] == t["malformed"], key
        assert counts["impossible"] == t["impossible"], key
        assert counts["valid"] == t["valid"], key
        assert counts["exact_duplicates"] == t["exact_duplicates"], key


def test_updated_versions_are_later_versions_of_a_key(
    demo: tuple[Path, dict[str, Any]], tables: list[TableConfig], scans: dict[str, Any]
) -> None:
    for cfg in tables:
        versions: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for day, record in scans[cfg.key]["valid"]:
            versions[record[cfg.primary_key]].append((day, record[cfg.cursor]))
        later = sum(len(v) - 1 for v in versions.values())
        assert later == demo[1]["tables"][cfg.key]["updated_versions"], cfg.key
        for key, seen in versions.items():
            days = [d for d, _ in seen]
            assert days == sorted(days) and len(set(days)) == len(days), (cfg.key, key)
    statuses = defaultdict(list)
    for _, record in scans["orders.orders"]["valid"]:
        statuses[record["order_id"]].append(record["status"])
    assert any(s[-2:] == ["delivered", "refunded"] for s in statuses.values())
    assert any(s[:1] == ["paid"] and "shipped" in s for s in statuses.values())


def test_order_totals_equal_their_line_items(scans: dict[str, Any]) -> None:
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for _, item in scans["orders.line_items"]["valid"]:
        lines[item["order_id"]] += item["quantity"] * Decimal(str(item["unit_price"]))
    orders = {r["order_id"]: r for _, r in scans["orders.orders"]["valid"]}
    assert orders.keys() == lines.keys()
    for order_id, order in orders.items():
        assert Decimal(str(order["total_amount"])) == lines[order_id], order_id
        if order["currency"] == "JPY":
            assert isinstance(order["total_amount"], int)


def test_people_appear_in_systems_as_the_truth_says(demo: tuple[Path, dict[str, Any]]) -> None:
    truth = demo[0] / "_truth"
    people = _read_csv(truth / "people.csv")
    assert len(people) == CUSTOMERS
    records = _read_csv(truth / "records.csv")
    systems: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if (r["source"], r["table"]) in IDENTITY_TABLES:
            systems[r["person_id"]].add(r["source"])
    assert {p["person_id"] for p in people} == set(systems), "everyone is in some system"
    spread = Counter(len(s) for s in systems.values())
    assert spread[1] > 0 and spread[3] + spread[4] > 0
    never_buy = [p for p, s in systems.items() if "orders" not in s]
    assert 0.2 * CUSTOMERS < len(never_buy) < 0.6 * CUSTOMERS
    mapped = {
        (r["table"], r["record_id"])
        for r in records
        if r["table"] in ("app_users", "shop_customers")
    }
    assert any(t == "app_users" for t, _ in mapped) and any(
        t == "shop_customers" for t, _ in mapped
    )


def test_records_truth_follows_the_normalisation_rule(
    demo: tuple[Path, dict[str, Any]], scans: dict[str, Any]
) -> None:
    truth = demo[0] / "_truth"
    people = {p["person_id"]: p for p in _read_csv(truth / "people.csv")}
    records = [
        r for r in _read_csv(truth / "records.csv") if (r["source"], r["table"]) in IDENTITY_TABLES
    ]
    assert len(records) == (
        sum(c["counts"]["valid"] - c["counts"]["exact_duplicates"]
            for k, c in scans.items() if k in ("crm.contacts", "orders.orders", "support.tickets"))
        + sum(1 for _, e in scans["app.events"]["valid"] if e["event"] == "sign_up")
    )  # fmt: skip
    variants: dict[str, set[str]] = defaultdict(set)
    other_email = 0
    for r in records:
        raw = r["raw_email"].strip().lower()
        local, at, domain = raw.partition("@")
        norm = (local.split("+", 1)[0] + "@" + domain) if at else raw
        assert r["expected_email"] == (norm if EMAIL_RE.match(norm) else ""), r
        person = people[r["person_id"]]
        assert r["expected_phone"] == (person["phone_e164"] if r["raw_phone"] else ""), r
        if r["raw_phone"]:
            digits = re.sub(r"\D", "", r["raw_phone"])
            assert person["phone_e164"].endswith(digits.lstrip("0")[-7:]), r
        if r["table"] == "tickets" and r["raw_phone"]:
            assert r["raw_phone"].startswith(("+", "00")), "no national form without a country"
        if r["expected_email"] == person["email"]:
            variants[r["person_id"]].add(r["raw_email"])
        elif r["expected_email"]:
            other_email += 1
            assert r["raw_phone"], "a different address comes with the same phone"
    assert other_email > 0
    assert max(len(v) for v in variants.values()) >= 3, "one person, several spellings"
    spelled = {v for vs in variants.values() for v in vs}
    assert any(v != v.strip() for v in spelled) and any("+" in v for v in spelled)
    assert any(v != v.lower() for v in spelled)
    raw_phones = [r["raw_phone"] for r in records if r["raw_phone"]]
    assert any(p.startswith("00") for p in raw_phones)
    assert any(p.startswith(("(", "0")) and not p.startswith("00") for p in raw_phones)


def test_nothing_is_delivered_after_the_end_and_events_can_be_late(scans: dict[str, Any]) -> None:
    late = 0
    for _, event in scans["app.events"]["valid"]:
        stamp = datetime.fromisoformat(event["timestamp"]).astimezone(UTC)
        received = datetime.fromisoformat(event["received_at"])
        assert received >= stamp
        assert received.date() <= END
        late += (received - stamp).days >= 1
    assert late > 0


def test_fast_event_lines_match_the_generic_renderer(demo: tuple[Path, dict[str, Any]]) -> None:
    from lifecycle.demo.app import EVENT_COLUMNS, EventTable
    from lifecycle.demo.clock import Span
    from lifecycle.demo.people import build_population
    from lifecycle.demo.render import JsonLayout

    span = Span(date(2026, 1, 1), date(2026, 1, 20))
    table = EventTable(build_population(60, span, 3), 3)
    layout = JsonLayout.of(EVENT_COLUMNS)
    checked = 0
    for day in range(span.days):
        batch = table.batch(day)
        for j, line in enumerate(batch.lines):
            assert layout.render(batch.values(j)) == line
            checked += 1
    assert checked > 100


def test_first_seen_date_is_the_day_of_a_persons_first_record(
    demo: tuple[Path, dict[str, Any]], tables: list[TableConfig], scans: dict[str, Any]
) -> None:
    truth = demo[0] / "_truth"
    owner = {(r["table"], r["record_id"]): r["person_id"] for r in _read_csv(truth / "records.csv")}
    first: dict[str, date] = {}
    for cfg in tables:
        if (cfg.source, cfg.name) not in IDENTITY_TABLES:
            continue
        for day, record in scans[cfg.key]["valid"]:
            pid = owner.get((cfg.name, record[cfg.primary_key]))
            if pid:
                first[pid] = min(first.get(pid, day), day)
    for person in _read_csv(truth / "people.csv"):
        assert first[person["person_id"]].isoformat() == person["first_seen_date"], person


def test_orders_link_to_crm_and_app_ids_of_the_same_person(
    demo: tuple[Path, dict[str, Any]], scans: dict[str, Any]
) -> None:
    truth = demo[0] / "_truth"
    owner = {(r["table"], r["record_id"]): r["person_id"] for r in _read_csv(truth / "records.csv")}
    linked_crm = linked_app = 0
    for _, order in scans["orders.orders"]["valid"]:
        person = owner[("orders", order["order_id"])]
        assert owner[("shop_customers", order["customer.customer_id"])] == person
        contact = order["customer.crm_contact_id"]
        assert (contact is not None) == (order["channel"] == "sales")
        if contact:
            linked_crm += 1
            assert owner[("contacts", contact)] == person
        if order["customer.app_user_id"]:
            linked_app += 1
            assert owner[("app_users", order["customer.app_user_id"])] == person
    assert linked_crm > 0 and linked_app > 0
