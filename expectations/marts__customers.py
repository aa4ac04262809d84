"""dim_customers, one row per customer: the columns and types BI and the role tables rely
on, one row per key, a known lifecycle stage for everyone, and no date after the as-of day.

Types are the pandas types DuckDB's frame gives (GX's pandas path): decimals arrive as
float64, dates and timestamps both as datetime64, so those two pairs are not told apart.
The frame adds `as_of_end`, the end of the as-of day (exclusive), to compare dates with.
A customer the stage spans left out has no current stage (lifecycle_stage null).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

TARGET = (
    "warehouse:select *, cast(date '{as_of}' + interval '1 day' as timestamp) as as_of_end"
    " from marts.dim_customers"
)
SEVERITY = "error"
STAGES = ["prospect", "new", "active", "reactivated", "at_risk", "churned"]
# Column -> pandas type of the frame (nullable integers report as their numpy type).
COLUMNS = {
    "customer_id": "str",
    "email": "str",
    "phone": "str",
    "country_code": "str",
    "source_system_count": "int64",
    "contact_id": "str",
    "account_id": "str",
    "owner_id": "str",
    "first_name": "str",
    "last_name": "str",
    "has_email_consent": "bool",
    "acquisition_channel": "str",
    "first_seen_at": "datetime64",
    "first_order_at": "datetime64",
    "last_order_at": "datetime64",
    "order_count": "int32",
    "gross_revenue_usd": "float64",
    "refunds_usd": "float64",
    "net_revenue_usd": "float64",
    "signed_up_at": "datetime64",
    "first_login_at": "datetime64",
    "last_login_at": "datetime64",
    "ticket_count": "int32",
    "open_ticket_count": "int32",
    "avg_csat": "float64",
    "first_activity_date": "datetime64",
    "last_activity_date": "datetime64",
    "days_since_first_activity": "int32",
    "days_since_last_activity": "int32",
    "lifecycle_stage": "str",
    "stage_since": "datetime64",
}
DATES = [name for name, kind in COLUMNS.items() if kind == "datetime64"]


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="marts__customers",
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(column_set=[*COLUMNS, "as_of_end"], exact_match=True),
            *(
                gxe.ExpectColumnValuesToBeOfType(column=name, type_=kind)
                for name, kind in COLUMNS.items()
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
            gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="lifecycle_stage"),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=STAGES),
            *(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="as_of_end",
                    column_B=name,
                    or_equal=False,
                    ignore_row_if="either_value_is_missing",
                )
                for name in DATES
            ),
        ],
    )
