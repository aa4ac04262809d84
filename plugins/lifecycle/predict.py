"""The nightly predictive-CLV step: fit BG/NBD and Gamma-Gamma on the as-of day's order
history and write one row per buying customer for dbt to join.

Runs between the two halves of the dbt build: the warehouse up to `marts.fct_orders` is built
first, this step writes `predictions.customer_value` and `predictions.model_fits`, and the
models downstream of the `predictions` source are built after it. The models live in
`lifecycle.clv`; this module only moves data and records the fit. A data set the models cannot
be fitted on (too few repeat buyers, no convergence) is not a failed night: the predictions
are written empty-valued with the reason in `model_fits`, and the gate reports it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from lifecycle import clv
from lifecycle.warehouse import open_warehouse

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.analytics_config import ClvConfig
    from lifecycle.paths import Home

log = logging.getLogger(__name__)

SCHEMA = "predictions"
# A fully refunded order created no value: it is not a purchase for the models.
ORDERS_SQL = """
    select customer_id, placed_date as order_date, cast(net_usd as double precision) as amount
    from marts.fct_orders
    where is_revenue and net_usd > 0 and customer_id is not null and placed_date <= ?
    order by customer_id, placed_date, order_id
"""

VALUES_DDL = (
    "customer_id varchar, as_of_date date, repeat_orders bigint, recency_units double precision,"
    " age_units double precision, avg_repeat_order_usd double precision,"
    " p_alive double precision, expected_orders double precision,"
    " expected_order_value_usd double precision, predicted_clv_usd double precision"
)
FITS_DDL = (
    "as_of_date date, model varchar, parameter varchar, value double precision,"
    " customers bigint, status varchar, time_unit varchar, horizon_months bigint,"
    " annual_discount_rate double precision, fit_seconds double precision"
)


@dataclass(frozen=True)
class PredictionReport:
    customers: int
    repeat_buyers: int
    status: str
    seconds: float
    bgnbd: clv.BGNBDParams | None
    gamma_gamma: clv.GammaGammaParams | None

    def line(self) -> str:
        if self.bgnbd is None or self.gamma_gamma is None:
            return (
                f"CLV not fitted ({self.status}); {self.customers:,} customers written without it"
            )
        b, g = self.bgnbd, self.gamma_gamma
        return (
            f"CLV fitted on {self.customers:,} buyers ({self.repeat_buyers:,} repeat) in"
            f" {self.seconds:.2f} s: BG/NBD r={b.r:.3f} alpha={b.alpha:.3f} a={b.a:.3f}"
            f" b={b.b:.3f}; Gamma-Gamma p={g.p:.3f} q={g.q:.3f} gamma={g.gamma:.3f}"
        )


def _fit(
    summary: pd.DataFrame, settings: ClvConfig
) -> tuple[pd.DataFrame, clv.BGNBDParams, clv.GammaGammaParams]:
    bgnbd = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = clv.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    predicted = clv.predict_clv(
        summary, bgnbd, gamma_gamma, unit=settings.time_unit,
        horizon_months=settings.horizon_months,
        annual_discount_rate=settings.annual_discount_rate,
    )  # fmt: skip
    return predicted, bgnbd, gamma_gamma


def predict_customer_value(home: Home, as_of: date, settings: ClvConfig) -> PredictionReport:
    """Fit on the warehouse's orders as of `as_of` and replace the predictions tables."""
    with open_warehouse(home, read_only=True) as wh:
        orders = wh.frame(ORDERS_SQL, [as_of])
    summary = clv.rfm_summary(orders, as_of, unit=settings.time_unit)
    started = time.perf_counter()
    bgnbd: clv.BGNBDParams | None = None
    gamma_gamma: clv.GammaGammaParams | None = None
    try:
        predicted, bgnbd, gamma_gamma = _fit(summary, settings)
        status = "fitted"
    except (clv.InsufficientDataError, clv.ConvergenceError) as exc:
        log.warning("predictive CLV not fitted for %s: %s", as_of, exc)
        predicted = pd.DataFrame(
            {c: float("nan") for c in ("p_alive", "expected_purchases", "expected_spend", "clv")},
            index=summary.index,
        )
        status = f"not fitted: {exc}"
    seconds = time.perf_counter() - started

    values = pd.DataFrame(
        {
            "customer_id": summary.index.astype(str),
            "as_of_date": as_of,
            "repeat_orders": summary["frequency"].astype("int64"),
            "recency_units": summary["recency"],
            "age_units": summary["T"],
            "avg_repeat_order_usd": summary["monetary_value"],
            "p_alive": predicted["p_alive"],
            "expected_orders": predicted["expected_purchases"],
            "expected_order_value_usd": predicted["expected_spend"],
            "predicted_clv_usd": predicted["clv"],
        }
    )
    fits = pd.DataFrame(
        [
            (as_of, model, name, value, len(summary), status, settings.time_unit,
             settings.horizon_months, settings.annual_discount_rate, seconds)  # fmt: skip
            for model, params in (("bg_nbd", bgnbd), ("gamma_gamma", gamma_gamma))
            for name, value in (vars(params).items() if params is not None else [(None, None)])
        ],
        columns=[
            "as_of_date", "model", "parameter", "value", "customers", "status", "time_unit",
            "horizon_months", "annual_discount_rate", "fit_seconds",
        ],
    )  # fmt: skip
    with open_warehouse(home) as wh, wh.transaction():
        wh.write_frame(f"{SCHEMA}.customer_value", VALUES_DDL, values)
        wh.write_frame(f"{SCHEMA}.model_fits", FITS_DDL, fits)
    repeat = int((summary["frequency"] > 0).sum())
    return PredictionReport(len(summary), repeat, status, seconds, bgnbd, gamma_gamma)
