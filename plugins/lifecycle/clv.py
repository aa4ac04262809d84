"""Predictive customer lifetime value: BG/NBD for purchases and P(alive), Gamma-Gamma for spend.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to
  the Pareto/NBD model", Marketing Science 24(2), 275-284.
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis", Journal of Marketing Research 42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma
  model of monetary value".

Both models read the per-customer summary of the literature (`rfm_summary`): frequency x (repeat
purchase days), recency t_x (first to last purchase), T (first purchase to the as-of date) and
monetary m_x (mean spend per repeat purchase day). Times share one unit, days or weeks; BG/NBD's
alpha is a time scale, so parameters only apply to summaries in the unit they were fitted in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from numpy.typing import ArrayLike, NDArray

    Floats = NDArray[np.float64]

log = logging.getLogger(__name__)

TimeUnit = Literal["days", "weeks"]
DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0}
DAYS_PER_MONTH = 365.25 / 12
MIN_CUSTOMERS = 10
_LOG_BOUND = 25.0
"""Fits run on log-parameters inside +-25 (e^25 ~ 7e10): wide enough for any real fit, and it
keeps a degenerate data set from walking the optimiser off to overflow."""
_LOG_DRIFT = 15.0
"""A log-parameter beyond +-15 (e^15 ~ 3e6) means the likelihood kept improving towards 0 or
infinity: the data do not identify that parameter."""


class InsufficientDataError(ValueError):
    """Too few customers, or no repeat buyers, to identify the model."""


class ConvergenceError(RuntimeError):
    """The maximum-likelihood optimiser stopped without converging."""


@dataclass(frozen=True)
class BGNBDParams:
    """Purchase rate ~ Gamma(shape r, rate alpha); dropout probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0


@dataclass(frozen=True)
class GammaGammaParams:
    """Spend per transaction ~ Gamma(p, nu); nu ~ Gamma(shape q, rate gamma) across customers."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    n_customers: int = 0


def rfm_summary(
    orders: pd.DataFrame,
    as_of: date,
    *,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    unit: TimeUnit = "weeks",
) -> pd.DataFrame:
    """One row per customer with an order on or before `as_of`: the models' inputs.

    As in the literature (and the CDNOW summary of Fader, Hardie & Lee): orders are first summed
    per customer and calendar day (UTC for aware timestamps), so same-day orders are one purchase;
    `frequency` counts purchase days after the first; `recency` is first to last purchase day and
    `T` first purchase day to `as_of` (the last observed day, included), both in `unit`;
    `monetary_value` is the mean daily spend over the repeat days, 0 when there are none (the
    first purchase is left out because it tends to differ from repeat ones).
    """
    per_unit = _days_per(unit)
    missing = {customer_col, date_col, amount_col} - set(orders.columns)
    if missing:
        raise KeyError(f"orders lack column(s) {sorted(missing)}")
    if orders[[customer_col, date_col, amount_col]].isna().any().any():
        raise ValueError(f"orders have nulls in {customer_col}, {date_col} or {amount_col}")
    stamps = pd.to_datetime(orders[date_col])
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    days = stamps.dt.normalize()
    cutoff = pd.Timestamp(as_of)
    if cutoff.tz is not None:
        cutoff = cutoff.tz_convert("UTC").tz_localize(None)
    cutoff = cutoff.normalize()
    seen = days <= cutoff
    daily = (
        pd.DataFrame(
            {
                "customer": orders[customer_col][seen],
                "day": days[seen],
                "amount": pd.to_numeric(orders[amount_col][seen]),
            }
        )
        .groupby(["customer", "day"], sort=True)["amount"]
        .sum()
        .reset_index()
    )
    by_customer = daily.groupby("customer", sort=True)
    first_day = by_customer["day"].min()
    purchase_days = by_customer["day"].size()
    repeat_spend = by_customer["amount"].sum() - by_customer["amount"].first()
    frequency = purchase_days - 1
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype("int64"),
            "recency": (by_customer["day"].max() - first_day).dt.days / per_unit,
            "T": (cutoff - first_day).dt.days / per_unit,
            "monetary_value": (repeat_spend / frequency.where(frequency > 0)).fillna(0.0),
        }
    )
    summary.index.name = customer_col
    return summary


def _days_per(unit: str) -> float:
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be one of {sorted(DAYS_PER_UNIT)}, got {unit!r}")
    return DAYS_PER_UNIT[unit]


def _floats(values: ArrayLike, name: str) -> Floats:
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has missing or infinite values")
    return arr


def _rft(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[Floats, Floats, Floats]:
    x, tx, age = np.broadcast_arrays(
        _floats(frequency, "frequency"), _floats(recency, "recency"), _floats(T, "T")
    )
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative whole number of repeat purchases")
    if np.any(tx < 0) or np.any(tx > age):
        raise ValueError("recency must lie between 0 and T")
    return x, tx, age


def _weights(weights: ArrayLike | None, n: int) -> Floats:
    if weights is None:
        return np.ones(n)
    w = np.broadcast_to(_floats(weights, "weights"), (n,))
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w


@dataclass(frozen=True)
class _Histories:
    """Flat (x, t_x, T) arrays plus the distinct x values `xs` and each row's index `at` in them."""

    x: Floats
    tx: Floats
    age: Floats
    xs: Floats
    at: NDArray[np.intp]

    @classmethod
    def of(cls, x: Floats, tx: Floats, age: Floats) -> _Histories:
        xs, at = np.unique(x, return_inverse=True)
        return cls(x.ravel(), tx.ravel(), age.ravel(), xs, at.ravel())


def _bgnbd_terms(
    r: float, alpha: float, a: float, b: float, data: _Histories
) -> tuple[Floats, Floats, Floats, Floats]:
    """Per-customer log-likelihood pieces; `share` is the weight of the 'dropped out' branch.

    ln L = A1 + A2 + logaddexp(A3, A4) (FHL 2005 eq. 6 in log form):
    A1 = ln G(r+x) - ln G(r) + r ln alpha, A2 = ln B(a, b+x) - ln B(a, b),
    A3 = -(r+x) ln(alpha+T), A4 = ln(a/(b+x-1)) - (r+x) ln(alpha+t_x) for x > 0, else -inf.
    The gamma and beta functions only see the few distinct x values, which keeps them cheap.
    """
    x, tx, age, xs, at = data.x, data.tx, data.age, data.xs, data.at
    a1_a2 = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xs)
        - special.betaln(a, b)
    )
    repeat = x > 0
    log_t = np.log(alpha + age)
    log_tx = np.log(alpha + tx)
    a3 = -(r + x) * log_t
    log_odds = np.log(a) - np.log(np.where(xs > 0, b + xs - 1, 1.0))
    a4 = np.where(repeat, log_odds[at] - (r + x) * log_tx, -np.inf)
    tail = np.logaddexp(a3, a4)
    return a1_a2[at] + tail, np.exp(a4 - tail), log_t, log_tx


def _bgnbd_objective(theta: Floats, data: _Histories, w: Floats) -> tuple[float, Floats]:
    """Mean negative log-likelihood over log-parameters and its analytic gradient."""
    r, alpha, a, b = np.exp(theta)
    ll, share, log_t, log_tx = _bgnbd_terms(r, alpha, a, b, data)
    x, tx, age, xs, at = data.x, data.tx, data.age, data.xs, data.at
    d_ab = (special.digamma(a + b) - special.digamma(a + b + xs))[at]
    d_r = (special.digamma(r + xs) - special.digamma(r))[at] + np.log(alpha)
    d_r -= (1 - share) * log_t + share * log_tx
    d_alpha = r / alpha - (r + x) * ((1 - share) / (alpha + age) + share / (alpha + tx))
    d_a = d_ab + share / a
    d_b = d_ab + (special.digamma(b + xs) - special.digamma(b))[at]
    d_b -= share / np.where(x > 0, b + x - 1, 1.0)
    total = w.sum()
    grad = np.array([w @ d_r * r, w @ d_alpha * alpha, w @ d_a * a, w @ d_b * b])
    return float(-(w @ ll) / total), -grad / total


def _minimize(
    name: str, objective: Callable[..., tuple[float, Floats]], theta0: Floats, args: tuple[Any, ...]
) -> Any:
    """L-BFGS-B on log-parameters; the tolerances apply to the mean log-likelihood per customer.

    On CDNOW they give the estimates of a much tighter run to 1e-5. A line search that gives up
    ("ABNORMAL") counts as not converged: in simulations it only happened, at any tolerance, on
    data sets whose likelihood keeps rising as a parameter drifts to 0 or infinity.
    """
    result = optimize.minimize(
        objective,
        theta0,
        args=args,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(theta0),
        options={"maxiter": 1000, "ftol": 1e-10, "gtol": 1e-6},
    )
    drifting = np.abs(result.x) > _LOG_DRIFT
    if not result.success or not np.isfinite(result.fun):
        hint = " (parameters drifting to 0 or infinity: too little data?)" if drifting.any() else ""
        raise ConvergenceError(
            f"{name} fit did not converge after {result.nit} iterations: {result.message};"
            f" last parameters {np.exp(result.x).round(6).tolist()}{hint}"
        )
    if drifting.any():
        log.warning("%s fit: parameters %s drift to 0 or infinity", name, np.exp(result.x))
    return result


def bgnbd_log_likelihood(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """Per-customer BG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T)."""
    data = _Histories.of(*_rft(frequency, recency, T))
    return _bgnbd_terms(params.r, params.alpha, params.a, params.b, data)[0]


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    min_customers: int = MIN_CUSTOMERS,
) -> BGNBDParams:
    """Maximum-likelihood BG/NBD fit; `weights` count customers sharing a row.

    Identical (x, t_x, T) rows are collapsed into one weighted row first. On daily data that is
    the big saving: all customers without a repeat purchase fall into one row per T, and a year of
    a million simulated customers shrinks to about 190,000 rows.
    """
    x, tx, age = _rft(frequency, recency, T)
    w = _weights(weights, x.size)
    n = float(w.sum())
    if n < min_customers:
        raise InsufficientDataError(f"BG/NBD needs at least {min_customers} customers, got {n:g}")
    if not np.any((x > 0) & (w > 0)):
        raise InsufficientDataError(
            f"BG/NBD needs repeat buyers: none of the {n:g} customers has frequency > 0"
        )
    rows = (
        pd.DataFrame({"x": x.ravel(), "tx": tx.ravel(), "T": age.ravel(), "w": w.ravel()})
        .groupby(["x", "tx", "T"], sort=False)["w"]
        .sum()
        .reset_index()
    )
    ux, utx, uage, uw = (rows[c].to_numpy(np.float64) for c in ("x", "tx", "T", "w"))
    alpha0 = float(uw @ uage) / max(float(uw @ ux), 1e-12)
    theta0 = np.log(np.array([1.0, alpha0, 1.0, 1.0]))
    result = _minimize("BG/NBD", _bgnbd_objective, theta0, (_Histories.of(ux, utx, uage), uw))
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    params = BGNBDParams(r, alpha, a, b, log_likelihood=-result.fun * n, n_customers=round(n))
    log.info("BG/NBD fit (%d distinct rows): %s", len(rows), params)
    return params


def bgnbd_p_alive(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """P(still active at T | x, t_x, T) (FHL 2005 eq. 11).

    Exactly 1 for x = 0: in BG/NBD a customer can only drop out right after a repeat purchase,
    so one who never came back is alive by construction (the MBG/NBD variant drops that).
    """
    x, tx, age = _rft(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    log_odds = np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
    log_odds += (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
    return np.where(repeat, special.expit(-log_odds), 1.0)


def bgnbd_expected_purchases(
    params: BGNBDParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """Expected purchases in (T, T + t] given the history x, t_x, T (FHL 2005 eq. 10).

    E[Y(t)] = P(alive) (a+b+x-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)],
    z = t/(alpha+T+t). The paper writes ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z);
    Euler's transformation gives the form above, whose 2F1 stays well behaved for heavy buyers.
    Needs a != 1.
    """
    x, tx, age = _rft(frequency, recency, T)
    horizon = _floats(t, "t")
    if np.any(horizon < 0):
        raise ValueError("horizon t must be non-negative")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = horizon / (alpha + age + horizon)
    hyp = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    body = 1 - np.power(1 - z, a - 1) * hyp
    expected: Floats = (a + b + x - 1) / (a - 1) * body * bgnbd_p_alive(params, x, tx, age)
    return expected


def _gamma_gamma_objective(theta: Floats, x: Floats, m: Floats, w: Floats) -> tuple[float, Floats]:
    """Mean negative log-likelihood of the mean spends m_x and its gradient (log-parameters).

    ln f(m_x | x) = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m_x + px ln x
    - (px+q) ln(gamma + x m_x).
    """
    p, q, gamma = np.exp(theta)
    px = p * x
    log_gm = np.log(gamma + x * m)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_gm
    )
    psi = special.digamma(px + q)
    d_p = x * (psi - special.digamma(px) + np.log(m) + np.log(x) - log_gm)
    d_q = psi - special.digamma(q) + np.log(gamma) - log_gm
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    total = w.sum()
    grad = np.array([w @ d_p * p, w @ d_q * q, w @ d_gamma * gamma])
    return float(-(w @ ll) / total), -grad / total


def _repeat_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Floats, Floats]:
    x, m = np.broadcast_arrays(_floats(frequency, "frequency"), _floats(monetary, "monetary"))
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative whole number of repeat purchases")
    if np.any((x > 0) & (m <= 0)):
        raise ValueError("monetary must be positive for customers with frequency > 0")
    return x, m


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    min_customers: int = MIN_CUSTOMERS,
) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma fit on the repeat buyers (rows with x = 0 are ignored).

    The model assumes spend is independent of frequency; the correlation is logged to check it.
    """
    x, m = _repeat_spend(frequency, monetary)
    w = _weights(weights, x.size)
    repeat = (x > 0) & (w > 0)
    n = float(w[repeat].sum())
    if not np.any(repeat):
        raise InsufficientDataError(
            f"Gamma-Gamma needs repeat buyers: none of the {float(w.sum()):g} customers"
            " has frequency > 0"
        )
    if n < min_customers:
        raise InsufficientDataError(
            f"Gamma-Gamma needs at least {min_customers} repeat buyers, got {n:g}"
        )
    x, m, w = x[repeat], m[repeat], w[repeat]
    theta0 = np.log(np.array([1.0, 2.0, float(w @ m) / n]))
    result = _minimize("Gamma-Gamma", _gamma_gamma_objective, theta0, (x, m, w))
    p, q, gamma = (float(v) for v in np.exp(result.x))
    params = GammaGammaParams(p, q, gamma, log_likelihood=-result.fun * n, n_customers=round(n))
    corr = np.corrcoef(x, m)[0, 1] if np.ptp(x) > 0 and np.ptp(m) > 0 else float("nan")
    log.info("Gamma-Gamma fit: %s; corr(frequency, monetary) = %.3f", params, corr)
    return params


def gamma_gamma_expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> Floats:
    """E[spend per transaction | x, m_x] = p (gamma + x m_x) / (p x + q - 1).

    A credibility-weighted mix of the population mean p gamma / (q - 1) and the customer's m_x;
    with x = 0 it is the population mean (m_x is then ignored). Needs q > 1.
    """
    if params.q <= 1:
        raise ValueError(f"Gamma-Gamma mean spend is undefined for q <= 1 (q={params.q:.4g})")
    x, m = _repeat_spend(frequency, monetary)
    spend: Floats = params.p * (params.gamma + x * np.where(x > 0, m, 0.0))
    return spend / (params.p * x + params.q - 1)


def customer_lifetime_value(
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    unit: TimeUnit,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.1,
) -> Floats:
    """Expected discounted spend over the next `horizon_months`, in the currency of `monetary`.

    CLV_i = E[M_i] * sum_{k=1..H} (E[Y_i(k D)] - E[Y_i((k-1) D)]) / (1 + d)^(k/12), with
    E[M_i] the Gamma-Gamma expected spend, E[Y_i(t)] the BG/NBD expected purchases in the next t,
    D one month (365.25/12 days) in `unit`, d the annual discount rate; each month's purchases
    are discounted from that month's end.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    if annual_discount_rate <= -1:
        raise ValueError("annual_discount_rate must be above -100%")
    x, tx, age = _rft(frequency, recency, T)
    spend = gamma_gamma_expected_spend(gamma_gamma, x, monetary)
    month = DAYS_PER_MONTH / _days_per(unit)
    value = np.zeros_like(x)
    before = np.zeros_like(x)
    for k in range(1, horizon_months + 1):
        upto = bgnbd_expected_purchases(bgnbd, k * month, x, tx, age)
        value += (upto - before) / (1 + annual_discount_rate) ** (k / 12)
        before = upto
    clv: Floats = spend * value
    return clv


def predict_clv(
    summary: pd.DataFrame,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    *,
    unit: TimeUnit,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.1,
) -> pd.DataFrame:
    """Per-customer predictions for an `rfm_summary` frame (same index)."""
    x, tx, age, money = (
        summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value")
    )
    horizon = horizon_months * DAYS_PER_MONTH / _days_per(unit)
    value = customer_lifetime_value(
        bgnbd,
        gamma_gamma,
        x,
        tx,
        age,
        money,
        unit=unit,
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
    )
    return pd.DataFrame(
        {
            "p_alive": bgnbd_p_alive(bgnbd, x, tx, age),
            "expected_purchases": bgnbd_expected_purchases(bgnbd, horizon, x, tx, age),
            "expected_spend": gamma_gamma_expected_spend(gamma_gamma, x, money),
            "clv": value,
        },
        index=summary.index,
    )
