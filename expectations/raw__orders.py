"""Raw orders as delivered on the as-of day: the columns the order system promised, with
keys, known currencies and sane amounts. A failure stops publication."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

SEVERITY = "error"
TARGET = "raw:orders.orders"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="raw__orders",
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[
                    "order_id",
                    "customer__customer_id",
                    "customer__email",
                    "customer__phone",
                    "customer__crm_contact_id",
                    "customer__app_user_id",
                    "status",
                    "channel",
                    "currency",
                    "total_amount",
                    "shipping_address__country",
                    "shipping_address__city",
                    "placed_at",
                    "updated_at",
                    "_source",
                    "_file",
                    "_line",
                    "_delivery_date",
                    "_run_id",
                    "_extracted_at",
                ],
                exact_match=True,
            ),  # fmt: skip
            gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="customer__customer_id"),
            gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=list(cfg.currencies)),
        ],
    )
