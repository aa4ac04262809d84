"""fct_customer_stage_spans: one stage per customer per day, held as spans
(`valid_from` inclusive, `valid_to` exclusive; the current span ends the day after the
as-of date).

One frame row per span, never per customer-day: SQL computes, per span, how far it
overlaps or leaves a gap after the customer's earlier spans (by `valid_from`), and how
many of the customer's spans hold the as-of date; GX judges those numbers. Every span
starts where the earlier ones end, no span ends after the as-of day, and exactly one
span holds the as-of date: so each customer has exactly one stage on every day from
first sight to the as-of date. (A customer with no span at all has no current stage in
dim_customers, which marts__customers checks.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

TARGET = """warehouse:
with

spans as (
    select customer_id, stage, valid_from, valid_to
    from marts.fct_customer_stage_spans
),

ordered as (
    select
        *,
        max(valid_to) over (
            partition by customer_id
            order by valid_from, valid_to
            rows between unbounded preceding and 1 preceding
        ) as earlier_end,
        count(
            case
                when valid_from <= date '{as_of}' and valid_to > date '{as_of}' then 1
            end
        ) over (partition by customer_id) as spans_on_as_of
    from spans
)

select
    customer_id,
    stage,
    valid_from,
    valid_to,
    cast(date '{as_of}' + interval '1 day' as timestamp) as as_of_end,
    case
        when earlier_end is not null
            then greatest(earlier_end - valid_from, 0)
    end as overlap_days,
    case
        when earlier_end is not null
            then greatest(valid_from - earlier_end, 0)
    end as gap_days,
    spans_on_as_of
from ordered
"""
SEVERITY = "error"
STAGES = ["prospect", "new", "active", "reactivated", "at_risk", "churned"]


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="marts__stage_spans",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="stage"),
            gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=STAGES),
            # valid_from < valid_to: no empty or inverted span.
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="valid_to", column_B="valid_from", or_equal=False
            ),
            # Each span starts where the customer's earlier spans end: no overlap, no gap.
            gxe.ExpectColumnValuesToBeBetween(column="overlap_days", max_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="gap_days", max_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="spans_on_as_of", min_value=1, max_value=1),
            # No span reaches past the as-of day (the current one ends the day after it).
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="as_of_end", column_B="valid_to", or_equal=True
            ),
        ],
    )
