"""Score identity resolution against the generator's ground truth (tests and reports only;
the pipeline never reads the truth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.io import connect

if TYPE_CHECKING:
    from pathlib import Path

# Truth tables of identity records -> the source system prefix of their record key.
_TRUTH_SYSTEMS = {
    "contacts": "crm",
    "shop_customers": "orders",
    "tickets": "support",
    "app_users": "app",
}


@dataclass(frozen=True)
class PairScores:
    """Pairwise scores: a pair of records is positive when both belong to one customer."""

    records: int
    customers: int
    people: int
    precision: float
    recall: float


def _pair_scores(con: object, where: str) -> PairScores:
    sql = con.execute  # type: ignore[attr-defined]

    def pairs(group_by: str) -> int:
        query = (
            f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n"
            f" from scored where {where} group by {group_by})"
        )
        return int(sql(query).fetchall()[0][0])

    both, predicted, actual = (
        pairs("customer_id, person_id"),
        pairs("customer_id"),
        pairs("person_id"),
    )
    counts = sql(
        f"select count(*), count(distinct customer_id), count(distinct person_id)"
        f" from scored where {where}"
    ).fetchall()[0]
    return PairScores(
        records=int(counts[0]),
        customers=int(counts[1]),
        people=int(counts[2]),
        precision=both / predicted if predicted else 1.0,
        recall=both / actual if actual else 1.0,
    )


def identity_scores(warehouse: Path, truth_dir: Path) -> dict[str, PairScores]:
    """Pairwise precision and recall of `int_customers_matched` against `records.csv`.

    `all`: every identity record. `identifiable`: records with a valid email or phone; a
    record with neither (and no shared id) cannot be matched by any deterministic rule.
    """
    cases = " ".join(f"when '{t}' then '{s}'" for t, s in _TRUTH_SYSTEMS.items())
    tables = ", ".join(f"'{t}'" for t in _TRUTH_SYSTEMS)
    with connect(warehouse, read_only=True) as con:
        con.execute(
            "create temp table truth as select distinct"
            f" (case \"table\" {cases} end) || ':' || record_id as record_key, person_id"
            f" from read_csv('{truth_dir / 'records.csv'}', all_varchar = true)"
            f' where "table" in ({tables})'
        )
        con.execute(
            "create temp table scored as select m.record_key, m.customer_id, t.person_id,"
            " m.email is not null or m.phone is not null as is_identifiable"
            " from intermediate.int_customers_matched as m"
            " inner join truth as t on m.record_key = t.record_key"
        )
        return {
            "all": _pair_scores(con, "true"),
            "identifiable": _pair_scores(con, "is_identifiable"),
        }
