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
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

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


def _wsum(w: Floats, values: Floats) -> float:
    """Weighted sum of `values`, kept off BLAS.

    `w @ values` goes to OpenBLAS, which splits a long dot product over threads; when the other
    cores are busy (as on a 2-core worker running Airflow) each call can wait milliseconds for
    them: the objectives spent 30-40 ms per evaluation on 58,819 customers instead of about 1.
    einsum's own loop stays on the calling thread.
    """
    return float(np.einsum("i,i->", w, values))


@dataclass(frozen=True)
class _Histories:
    """Flat (x, t_x, T) rows with weights `w`; the distinct x values `xs`, each row's index `at`
    in them and their total weights `wx` (terms of x alone are summed once per distinct x)."""

    x: Floats
    tx: Floats
    age: Floats
    w: Floats
    xs: Floats
    at: NDArray[np.intp]
    wx: Floats

    @classmethod
    def of(cls, x: Floats, tx: Floats, age: Floats, w: Floats | None = None) -> _Histories:
        xs, at = np.unique(x, return_inverse=True)
        at = at.ravel()
        w = np.ones(at.size) if w is None else np.ravel(w)
        wx = np.bincount(at, w, minlength=xs.size).astype(np.float64, copy=False)
        return cls(x.ravel(), tx.ravel(), age.ravel(), w, xs, at, wx)


class _BGNBDParts(NamedTuple):
    a_x: Floats
    alive_t: Floats
    last_t: Floats
    log_t: Floats
    gap: Floats
    tail: Floats
    share: Floats


def _bgnbd_parts(r: float, alpha: float, a: float, b: float, data: _Histories) -> _BGNBDParts:
    """The pieces of ln L (FHL 2005 eq. 6 in log form) shared by the likelihood and its gradient.

    ln L = A(x) - (r+x) ln(alpha+T) + ln(1 + e^d), where
    A(x) = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b) only sees the few distinct
    x values (`a_x`, indexed by `at`), and d = ln(a/(b+x-1)) + (r+x) gap, with
    gap = ln(alpha+T) - ln(alpha+t_x) >= 0, is -inf for x = 0. `tail` is ln(1 + e^d), computed
    as max(d, 0) + ln(1 + e^-|d|) because d passes 709 for heavy buyers long silent (e^d would
    overflow), and `share` = e^d/(1+e^d) is the weight of the 'dropped out after the last
    purchase' branch.
    """
    xs = data.xs
    a_x = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xs)
        - special.betaln(a, b)
    )
    log_odds = np.full(xs.size, -np.inf)
    repeat = xs > 0
    log_odds[repeat] = np.log(a) - np.log(b + xs[repeat] - 1)
    alive_t = alpha + data.age
    last_t = alpha + data.tx
    log_t = np.log(alive_t)
    gap = log_t - np.log(last_t)
    d = log_odds[data.at] + (r + data.x) * gap
    tail = np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))
    share = np.exp(d - tail)
    return _BGNBDParts(a_x, alive_t, last_t, log_t, gap, tail, share)


def _bgnbd_objective(theta: Floats, data: _Histories) -> tuple[float, Floats]:
    """Mean negative log-likelihood over log-parameters and its analytic gradient.

    With s = e^d/(1+e^d) (`share` in `_bgnbd_parts`) the per-customer derivatives are
    d/dr = psi(r+x) - psi(r) + ln alpha - ln(alpha+T) + s gap,
    d/dalpha = r/alpha - (r+x) ((1-s)/(alpha+T) + s/(alpha+t_x)),
    d/da = psi(a+b) - psi(a+b+x) + s/a,
    d/db = psi(a+b) - psi(a+b+x) + psi(b+x) - psi(b) - s/(b+x-1);
    terms of x alone are weighted once per distinct x.
    """
    r, alpha, a, b = np.exp(theta)
    a_x, alive_t, last_t, log_t, gap, tail, share = _bgnbd_parts(r, alpha, a, b, data)
    w, xs, wx = data.w, data.xs, data.wx
    rx = r + data.x
    ll = _wsum(wx, a_x) + _wsum(w, tail - rx * log_t)
    share_x = np.bincount(data.at, w * share, minlength=xs.size).astype(np.float64, copy=False)
    inv_b = np.zeros(xs.size)
    inv_b[xs > 0] = 1 / (b + xs[xs > 0] - 1)
    psi_ab = special.digamma(a + b) - special.digamma(a + b + xs)
    inv_t = 1 / alive_t
    d_r = _wsum(wx, special.digamma(r + xs) - special.digamma(r) + np.log(alpha))
    d_r += _wsum(w, share * gap - log_t)
    d_alpha = r / alpha * wx.sum() - _wsum(w, rx * (inv_t + share * (1 / last_t - inv_t)))
    d_a = _wsum(wx, psi_ab) + share_x.sum() / a
    d_b = _wsum(wx, psi_ab + special.digamma(b + xs) - special.digamma(b)) - _wsum(share_x, inv_b)
    total = wx.sum()
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return -ll / total, -grad / total


def _minimize(
    name: str, objective: Callable[..., tuple[float, Floats]], theta0: Floats, args: tuple[Any, ...]
) -> Any:
    """L-BFGS-B on log-parameters; the tolerances apply to the mean log-likelihood per customer.

    On CDNOW they give the estimates of a much tighter run to 1e-5. A line search that gives up
    ("ABNORMAL") counts as not converged: in simulations it only happened, at any tolerance, on
    data sets whose likelihood keeps rising as a parameter drifts to 0 or infinity.
    On a busy machine L-BFGS-B's small LAPACK calls can wait for OpenBLAS threads (about 3 ms
    per iteration, whatever the data size; OPENBLAS_NUM_THREADS=1 avoids it).
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
    parts = _bgnbd_parts(params.r, params.alpha, params.a, params.b, data)
    ll: Floats = parts.a_x[data.at] - (params.r + data.x) * parts.log_t + parts.tail
    return ll


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
    alpha0 = _wsum(uw, uage) / max(_wsum(uw, ux), 1e-12)
    theta0 = np.log(np.array([1.0, alpha0, 1.0, 1.0]))
    result = _minimize("BG/NBD", _bgnbd_objective, theta0, (_Histories.of(ux, utx, uage, uw),))
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


@dataclass(frozen=True)
class _Spends:
    """Repeat buyers' rows for the Gamma-Gamma objective, with what does not depend on (p, q, gamma)
    computed once: x m_x, w and w x per row, the distinct x values `xs` with their total weights
    `wx`, `log_m` = sum w ln m_x and `log_xm` = sum w x (ln m_x + ln x)."""

    xm: Floats
    w: Floats
    w_x: Floats
    xs: Floats
    wx: Floats
    log_m: float
    log_xm: float

    @classmethod
    def of(cls, x: Floats, m: Floats, w: Floats) -> _Spends:
        xs, at = np.unique(x, return_inverse=True)
        w_x = w * x
        log_m = np.log(m)
        return cls(
            xm=x * m,
            w=w,
            w_x=w_x,
            xs=xs,
            wx=np.bincount(at.ravel(), w, minlength=xs.size).astype(np.float64, copy=False),
            log_m=_wsum(w, log_m),
            log_xm=_wsum(w_x, log_m + np.log(x)),
        )


def _gamma_gamma_objective(theta: Floats, data: _Spends) -> tuple[float, Floats]:
    """Mean negative log-likelihood of the mean spends m_x and its gradient (log-parameters).

    ln f(m_x | x) = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m_x + px ln x
    - (px+q) ln(gamma + x m_x). The gamma functions only see the distinct x values, and the
    ln m_x and ln x terms are constant sums, so each row costs one log and one division.
    """
    p, q, gamma = np.exp(theta)
    xs, wx, w, w_x = data.xs, data.wx, data.w, data.w_x
    total = wx.sum()
    pxq = p * xs + q
    log_g = np.log(gamma + data.xm)
    inv_g = 1 / (gamma + data.xm)
    sum_log_g, sum_x_log_g = _wsum(w, log_g), _wsum(w_x, log_g)
    ll = (
        _wsum(wx, special.gammaln(pxq) - special.gammaln(p * xs))
        + total * (q * np.log(gamma) - special.gammaln(q))
        + p * data.log_xm
        - data.log_m
        - p * sum_x_log_g
        - q * sum_log_g
    )
    psi = special.digamma(pxq)
    d_p = _wsum(wx, xs * (psi - special.digamma(p * xs))) + data.log_xm - sum_x_log_g
    d_q = _wsum(wx, psi) + total * (np.log(gamma) - special.digamma(q)) - sum_log_g
    d_gamma = total * q / gamma - p * _wsum(w_x, inv_g) - q * _wsum(w, inv_g)
    grad = np.array([d_p * p, d_q * q, d_gamma * gamma])
    return -ll / total, -grad / total


def _repeat_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Floats, Floats]:
    x, m = np.broadcast_arrays(_floats(frequency, "frequency"), _floats(monetary, "monetary"))
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative whole number of repeat purchases")
    if np.any((x > 0) & (m <= 0)):
        raise ValueError("monetary must be positive for customers with frequency > 0")
    return x, m


def _correlation(w: Floats, u: Floats, v: Floats) -> float:
    """Weighted Pearson correlation, nan when u or v is constant; off BLAS like `_wsum`."""
    if np.ptp(u) == 0 or np.ptp(v) == 0:
        return float("nan")
    total = w.sum()
    du, dv = u - _wsum(w, u) / total, v - _wsum(w, v) / total
    return _wsum(w, du * dv) / float(np.sqrt(_wsum(w, du * du) * _wsum(w, dv * dv)))


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
    theta0 = np.log(np.array([1.0, 2.0, _wsum(w, m) / n]))
    result = _minimize("Gamma-Gamma", _gamma_gamma_objective, theta0, (_Spends.of(x, m, w),))
    p, q, gamma = (float(v) for v in np.exp(result.x))
    params = GammaGammaParams(p, q, gamma, log_likelihood=-result.fun * n, n_customers=round(n))
    corr = _correlation(w, x, m)
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
