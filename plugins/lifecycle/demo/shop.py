"""Shop exports: orders with their status changes, line items and refunds.

Buying follows a BG/NBD-like process: each buyer has a purchase rate (Gamma) and, after every
purchase, a chance to stop for good (Beta), so there are repeat buyers, one-time buyers and
people who lapse. The export is a daily incremental one: a record changed twice on the same
UTC day is delivered once, in its later state.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np

from lifecycle.demo.catalog import CATALOG, PRICES, USD_PRICES
from lifecycle.demo.clock import DAY_MS, HOUR_MS, I64
from lifecycle.demo.geo import CURRENCY, ZERO_DECIMAL_CURRENCIES
from lifecycle.demo.render import Value, money
from lifecycle.demo.variants import draw_email, draw_phone

if TYPE_CHECKING:
    from lifecycle.demo.app import EventTable
    from lifecycle.demo.crm import CrmResult
    from lifecycle.demo.people import Population

ORDER_COLUMNS: tuple[str, ...] = (
    "order_id",
    "customer.customer_id",
    "customer.email",
    "customer.phone",
    "customer.crm_contact_id",
    "customer.app_user_id",
    "status",
    "channel",
    "currency",
    "total_amount",
    "shipping_address.country",
    "shipping_address.city",
    "placed_at",
    "updated_at",
)
REFUND_REASONS: tuple[str, ...] = (
    "damaged",
    "not_as_described",
    "late_delivery",
    "changed_mind",
    "duplicate_charge",
)
RATE_SHAPE, RATE_SCALE = 0.6, 0.2  # purchases per day while active (Gamma)
DROPOUT_A, DROPOUT_B = 1.0, 14.0  # chance to lapse after each purchase (Beta)
SHARE_REFUND = 0.055  # of delivered orders (~5% of all orders)
MAX_TOTAL_UNITS = 999_999  # sources.yml: total_amount max 1,000,000


def _order_id(n: int) -> str:
    return f"SO-{n:07d}"


def _purchases(
    pop: Population, rng: np.random.Generator, r: random.Random
) -> list[tuple[int, int]]:
    """(placed ms, person) of every purchase up to the end of the span.

    Gaps between purchases are exponential in days; each repeat purchase is then placed at a
    local daytime hour of its day (the offset is taken once per buyer: DST only shifts it).
    """
    buyers = np.flatnonzero(pop.buyer)
    from_shop = np.array([pop.entry[i] == "shop" for i in buyers], dtype=bool)
    lag = HOUR_MS + (rng.exponential(20.0, len(buyers)) * DAY_MS).astype(np.int64)
    first = (pop.first_seen_ms[buyers] + np.where(from_shop, 0, lag)) // 1000 * 1000
    offset = (pop.zones.offsets(first, pop.tz[buyers]) * 60_000).tolist()
    rate = np.minimum(rng.gamma(RATE_SHAPE, RATE_SCALE, len(buyers)), 1.0).tolist()
    dropout = rng.beta(DROPOUT_A, DROPOUT_B, len(buyers)).tolist()
    end = pop.span.end_ms
    placed: list[tuple[int, int]] = []
    for k, i in enumerate(buyers.tolist()):
        t, off = int(first[k]), offset[k]
        while t < end:
            placed.append((t, i))
            if r.random() < dropout[k]:
                break
            nxt = t + HOUR_MS + int(r.expovariate(rate[k]) * DAY_MS)
            local_day = (nxt + off) // DAY_MS * DAY_MS
            daytime = local_day - off + int((7 + 16 * r.random()) * 3600) * 1000
            t = max(daytime, t + HOUR_MS)
    placed.sort()
    return placed


_ONE_TO_FIVE = (1, 2, 3, 4, 5)
_LINES_CUM = tuple(accumulate((50, 25, 13, 8, 4)))
_QTY_CUM = tuple(accumulate((75, 18, 4, 2, 1)))
STATUSES: tuple[str, ...] = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
_STATUS = {s: k for k, s in enumerate(STATUSES)}


def _items(
    r: random.Random, spend_usd: float, b2b: bool, currency: str
) -> tuple[tuple[tuple[int, int], ...], int]:
    """(catalogue index, quantity) lines whose prices roughly add up to the spend, and the total."""
    n = r.choices(_ONE_TO_FIVE, cum_weights=_LINES_CUM)[0]
    chosen: dict[int, int] = {}  # the same product twice is one line with a larger quantity
    for _ in range(n):
        if b2b and r.random() < 0.5:
            qty = 2 + int(r.random() * 11)
        else:
            qty = r.choices(_ONE_TO_FIVE, cum_weights=_QTY_CUM)[0]
        idx = bisect_left(USD_PRICES, spend_usd / n / qty) + int(r.random() * 4) - 2
        idx = min(max(idx, 0), len(CATALOG) - 1)
        chosen[idx] = chosen.get(idx, 0) + qty
    lines = list(chosen.items())
    prices = PRICES[currency]
    limit = MAX_TOTAL_UNITS * (1 if currency in ZERO_DECIMAL_CURRENCIES else 100)
    total = sum(prices[k] * q for k, q in lines)
    while total > limit:
        lines = lines[:-1] if len(lines) > 1 else [(lines[0][0], 1)]
        total = sum(prices[k] * q for k, q in lines)
    return tuple(lines), total


def _statuses(r: random.Random, placed: int) -> tuple[list[tuple[int, int]], int | None]:
    """Status history [(status index, ms)] of one order and the refund time, if refunded."""

    def later(t: int, lo_h: float, hi_h: float) -> int:
        return t + int((lo_h + (hi_h - lo_h) * r.random()) * 3600) * 1000

    pending, paid_, shipped_, delivered_, cancelled, refunded_ = range(6)
    history = []
    paid = placed
    if r.random() < 0.08:
        history.append((pending, placed))
        if r.random() < 0.15:
            return history + [(cancelled, later(placed, 1, 48))], None
        paid = later(placed, 0.1, 20)
    history.append((paid_, paid))
    if r.random() < 0.02:
        return history + [(cancelled, later(paid, 1, 24))], None
    shipped = later(paid, 12, 72)
    delivered = later(shipped, 24, 144)
    history += [(shipped_, shipped), (delivered_, delivered)]
    if r.random() < SHARE_REFUND:
        refunded = later(delivered, 24, 14 * 24)
        return history + [(refunded_, refunded)], refunded
    return history, None


@dataclass
class OrderBook:
    """All orders, compactly: fixed values per order plus delivered versions as numpy columns
    (sorted by time), so millions of order lines are only rendered on their delivery day."""

    template: list[tuple[Value, ...]]  # ORDER_COLUMNS; status/placed_at/updated_at set per version
    person: I64
    placed_ms: I64
    tz: I64
    items: list[tuple[tuple[int, int], ...]]
    ver_order: I64
    ver_ms: I64
    ver_status: I64
    ver_index: I64  # 0 = first delivered version of the order


@dataclass
class ShopResult:
    book: OrderBook
    refunds: list[tuple[int, int, int, str]]  # (order number, ms, amount minor, reason)
    orders_by_person: dict[int, list[int]]  # placed ms of each person's orders
    customer_id: list[str | None]
    summary: dict[str, Any]


def build_shop(pop: Population, crm: CrmResult, app: EventTable, seed: int) -> ShopResult:
    """Orders of every buyer with customer details as the shop captured them."""
    rng = np.random.default_rng([seed, 4])
    r = random.Random(seed * 1_000_003 + 4)
    span = pop.span
    spend_mean = (rng.gamma(2.2, 45.0, pop.n) * np.where(pop.is_b2b, 3.0, 1.0)).tolist()
    purchases = _purchases(pop, rng, r)
    app_uid = {
        int(p): (uid, int(ms))
        for p, uid, ms in zip(app.users.person, app.users.user_id, app.users.signup_ms, strict=True)
    }
    is_b2b, contact_ms = pop.is_b2b.tolist(), crm.contact_created_ms.tolist()
    customer_id: list[str | None] = [None] * pop.n
    account_contact: dict[int, tuple[str | None, str | None]] = {}
    orders_by_person: dict[int, list[int]] = defaultdict(list)
    template: list[tuple[Value, ...]] = []
    items: list[tuple[tuple[int, int], ...]] = []
    ver_order: list[int] = []
    ver_ms: list[int] = []
    ver_status: list[int] = []
    ver_index: list[int] = []
    start_ms, days, end_ms = span.start_ms, span.days, span.end_ms
    refunds: list[tuple[int, int, int, str]] = []  # (order number, ms, amount minor, reason)
    latest = Counter[str]()
    gross: dict[str, int] = defaultdict(int)
    for number, (placed, i) in enumerate(purchases, start=1):
        orders_by_person[i].append(placed)
        iso = pop.country[i]
        currency = CURRENCY[iso]
        if customer_id[i] is None:  # shop customer ids follow the first order
            customer_id[i] = f"SHOP-{len(account_contact) + 1:06d}"
            account_contact[i] = (
                draw_email(r, pop.email[i], "shop"),
                draw_phone(r, pop.phone[i], "shop", national_ok=True),
            )
        email, phone = account_contact[i]
        if r.random() < 0.2:  # guest checkout: typed afresh
            email = draw_email(r, pop.email[i], "shop")
            phone = draw_phone(r, pop.phone[i], "shop", national_ok=True)
        if pop.alt_system[i] == "shop":
            email = pop.alt_email[i]
            while phone is None:
                phone = draw_phone(r, pop.phone[i], "shop", national_ok=True)
        contact = crm.contact_id[i] if contact_ms[i] <= placed else None
        uid, signup = app_uid.get(i, (None, end_ms))
        app_ready = uid is not None and signup <= placed
        if contact and (is_b2b[i] or pop.channel[i] == "sales") and r.random() < 0.6:
            channel = "sales"
        elif app_ready and r.random() < 0.35:
            channel = "mobile_app"
        else:
            channel = "web"
        lines, total = _items(r, r.gammavariate(3.0, spend_mean[i] / 3.0), is_b2b[i], currency)
        template.append(
            (
                _order_id(number),
                customer_id[i],
                email,
                phone,
                contact if channel == "sales" else None,
                uid if app_ready and r.random() < 0.5 else None,
                None,
                channel,
                currency,
                money(total, currency),
                iso,
                pop.city[i],
                None,
                None,
            )
        )
        items.append(lines)
        history, refunded = _statuses(r, placed)
        by_day: dict[int, tuple[int, int]] = {}  # the daily export holds a day's last state
        for status, ms in history:
            day = (ms - start_ms) // DAY_MS
            if day < days:
                by_day[day] = (status, ms)
        kept = list(by_day.values())
        for v, (status, ms) in enumerate(kept):
            ver_order.append(number - 1)
            ver_ms.append(ms)
            ver_status.append(status)
            ver_index.append(v)
        last = STATUSES[kept[-1][0]]
        latest[last] += 1
        if last != "cancelled":
            gross[currency] += total
        if refunded is not None:
            amount = total if r.random() < 0.6 else max(1, round(total * r.uniform(0.1, 0.9)))
            refunds.append((number, refunded, amount, r.choice(REFUND_REASONS)))

    v_order, v_ms, v_status, v_index = (
        np.array(c, dtype=np.int64) for c in (ver_order, ver_ms, ver_status, ver_index)
    )
    by_time = np.lexsort((v_order, v_ms))
    person = np.array([i for _, i in purchases], dtype=np.int64)
    book = OrderBook(
        template=template,
        person=person,
        placed_ms=np.array([p for p, _ in purchases], dtype=np.int64),
        tz=pop.tz[person],
        items=items,
        ver_order=v_order[by_time],
        ver_ms=v_ms[by_time],
        ver_status=v_status[by_time],
        ver_index=v_index[by_time],
    )
    refunded_total: dict[str, int] = defaultdict(int)
    for number, when, amount, _ in refunds:
        if when < end_ms:
            refunded_total[str(template[number - 1][8])] += amount
    counts = Counter(len(v) for v in orders_by_person.values())
    summary = {
        "orders": len(purchases),
        "order_versions": len(v_order),
        "line_items": sum(len(x) for x in items),
        "refunds": sum(1 for _, when, _, _ in refunds if when < end_ms),
        "shop_customers": len(account_contact),
        "one_time_buyers": counts.get(1, 0),
        "repeat_buyers": sum(c for n, c in counts.items() if n > 1),
        "latest_status": dict(sorted(latest.items())),
        "gross_minor_by_currency": dict(sorted(gross.items())),
        "refunded_minor_by_currency": dict(sorted(refunded_total.items())),
    }
    return ShopResult(book, refunds, dict(orders_by_person), customer_id, summary)
