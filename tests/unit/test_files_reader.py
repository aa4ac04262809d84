"""The JSON-lines reader hands the extract each record as flatten() would have it."""

from datetime import date
from pathlib import Path

import pytest

from lifecycle.config import ColumnSpec, TableConfig
from lifecycle.parsing import Rejection, flatten
from lifecycle.paths import Home
from lifecycle.readers.files import open_delivery

DAY = date(2026, 6, 30)
TABLE = TableConfig(
    source="s", name="t", primary_key="id", cursor="at", kind="files",
    path="t/t_{date}.jsonl", format="jsonl",
    columns=tuple(ColumnSpec(name, "string") for name in
                  ("id", "at", "a.b", "a.c", "a", "d", "d.e.f", "g")),
)  # fmt: skip
LINES = [
    '{"id": "1", "at": "x", "a": {"b": "nested", "c": 1}}',
    '{"id": "2", "at": "x", "a": {"b": "nested", "c": 1}, "a.b": "literal wins"}',
    '{"id": "3", "at": "x", "a.b": "literal first", "a": {"b": "nested wins"}}',
    '{"id": "4", "at": "x", "a": {}, "d": {"e": {"f": "deep"}}}',
    '{"id": "5", "at": "x", "a": "scalar", "d": {"e": {}}, "g": [1, {"h": 2}]}',
    '{"id": "6", "at": "x", "a": {"b": {"x": 1}}, "extra": {"y": 2}}',
    '{"id": "7", "at": "x", "a": {"b": "nested", "c": 1}}',
    '{"id": "8", "at": "x", "a": {"c": 2, "b": "other order"}, "zz": null}',
    "[1, 2]",
    '{"id": "9", "at": "x", "a": {"b": "cut',
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("LIFECYCLE_SOURCES", raising=False)
    path = tmp_path / "sources" / "t" / f"t_{DAY.isoformat()}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(LINES) + "\n")
    return Home(tmp_path)


def test_jsonl_records_read_each_declared_field_as_flatten_does(home: Home) -> None:
    import json

    delivery = open_delivery(home, TABLE, DAY)
    records = list(delivery.records)
    fields = [c.source_field for c in TABLE.columns]
    parsed = [r for r in records if not isinstance(r.record, Rejection)]
    assert [r.line for r in parsed] == [1, 2, 3, 4, 5, 6, 7, 8]
    as_read = [
        dict(zip(fields, r.record, strict=True)) if isinstance(r.record, tuple) else r.record
        for r in parsed
    ]
    assert any(isinstance(r.record, tuple) for r in parsed), "a shape seen twice is planned"
    for item, record in zip(parsed, as_read, strict=True):
        flat = flatten(json.loads(item.raw))
        assert {f: record.get(f) for f in fields} == {f: flat.get(f) for f in fields}
    assert as_read[1]["a.b"] == "literal wins"
    assert as_read[2]["a.b"] == "nested wins"
    assert [r.record.rule for r in records if isinstance(r.record, Rejection)] == [
        "not_a_json_object", "malformed_json",
    ]  # fmt: skip
    assert delivery.undeclared == {"a.b.x", "extra.y", "zz", "d.e"}
