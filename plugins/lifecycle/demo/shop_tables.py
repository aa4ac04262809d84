"""The shop's tables: orders.orders and orders.line_items rendered per delivery day from the
compact OrderBook (see shop.py), so memory stays flat at a million orders; orders.refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lifecycle.demo.catalog import CATALOG, PRICES
from lifecycle.demo.clock import DAY_MS, utc_text
from lifecycle.demo.render import (
    Batch,
    Identity,
    JsonLayout,
    RawNum,
    Row,
    RowTable,
    Value,
    counter_key,
    money,
)
from lifecycle.demo.shop import ORDER_COLUMNS, STATUSES, OrderBook

if TYPE_CHECKING:
    from lifecycle.demo.clock import I64
    from lifecycle.demo.people import Population

LINE_ITEM_COLUMNS: tuple[str, ...] = (
    "line_item_id",
    "order_id",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "currency",
    "updated_at",
)
REFUND_COLUMNS: tuple[str, ...] = (
    "refund_id",
    "order_id",
    "amount",
    "currency",
    "reason",
    "refunded_at",
)
# Unit prices as written, per currency and catalogue index.
_UNIT_TEXT: dict[str, tuple[RawNum, ...]] = {
    c: tuple(money(p, c) for p in prices) for c, prices in PRICES.items()
}


def _bounds(day: I64, days: int) -> tuple[I64, I64]:
    counts = np.bincount(day, minlength=days)[:days].astype(np.int64)
    return counts, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


class OrderTable:
    """orders.orders: one line per delivered order version, in cursor order within a day."""

    key = "orders.orders"

    def __init__(self, book: OrderBook, pop: Population) -> None:
        self._book, self._pop = book, pop
        self.day_counts, self._bounds = _bounds(pop.span.day_index(book.ver_ms), pop.span.days)
        self._layout = JsonLayout.of(ORDER_COLUMNS)
        self._new_key = counter_key(lambda n: f"SO-{n:07d}", len(book.template))

    def new_key(self) -> str:
        return self._new_key()

    def batch(self, day: int) -> Batch:
        book, zones = self._book, self._pop.zones
        sl = slice(int(self._bounds[day]), int(self._bounds[day + 1]))
        orders = book.ver_order[sl]
        placed = zones.local_text(book.placed_ms[orders], book.tz[orders])
        updated = zones.local_text(book.ver_ms[sl], book.tz[orders])
        rows: list[list[Value]] = []
        for j, (o, status) in enumerate(
            zip(orders.tolist(), book.ver_status[sl].tolist(), strict=True)
        ):
            values = list(book.template[o])
            values[6], values[12], values[13] = STATUSES[status], placed[j], updated[j]
            rows.append(values)
        person = book.person[orders].tolist()
        return Batch(
            lines=[self._layout.render(v) for v in rows],
            values=lambda j: list(rows[j]),
            updated_versions=int((book.ver_index[sl] > 0).sum()),
            identities=[
                Identity(
                    str(v[0]),
                    p,
                    v[2] if isinstance(v[2], str) else None,
                    v[3] if isinstance(v[3], str) else None,
                )
                for v, p in zip(rows, person, strict=True)
            ],
        )


class LineItemTable:
    """orders.line_items: delivered once, with the order's first delivered version."""

    key = "orders.line_items"

    def __init__(self, book: OrderBook, pop: Population) -> None:
        self._book, self._pop = book, pop
        first = book.ver_index == 0  # versions are in time order, so these are too
        self._order, self._ms = book.ver_order[first], book.ver_ms[first]
        per_order = np.array([len(x) for x in book.items], dtype=np.int64)
        self._first_line = np.concatenate([[0], np.cumsum(per_order)]).astype(np.int64)
        day = pop.span.day_index(self._ms)
        self._order_bounds = _bounds(day, pop.span.days)[1]
        self.day_counts = np.bincount(day, weights=per_order[self._order], minlength=pop.span.days)[
            : pop.span.days
        ].astype(np.int64)
        self._layout = JsonLayout.of(LINE_ITEM_COLUMNS)
        self._new_key = counter_key(lambda n: f"LI-{n:08d}", int(self._first_line[-1]))

    def new_key(self) -> str:
        return self._new_key()

    def batch(self, day: int) -> Batch:
        book = self._book
        sl = slice(int(self._order_bounds[day]), int(self._order_bounds[day + 1]))
        orders = self._order[sl]
        stamps = self._pop.zones.local_text(self._ms[sl], book.tz[orders])
        rows: list[list[Value]] = []
        for j, o in enumerate(orders.tolist()):
            order_id, currency = book.template[o][0], str(book.template[o][8])
            line_no = int(self._first_line[o])
            for k, qty in book.items[o]:
                line_no += 1
                product = CATALOG[k]
                rows.append(
                    [
                        f"LI-{line_no:08d}",
                        order_id,
                        product.sku,
                        product.name,
                        product.category,
                        qty,
                        _UNIT_TEXT[currency][k],
                        currency,
                        stamps[j],
                    ]
                )
        return Batch(lines=[self._layout.render(v) for v in rows], values=lambda j: list(rows[j]))


def _refund_id(n: int) -> str:
    return f"RF-{n:06d}"


def refund_table(
    pop: Population, book: OrderBook, refunds: list[tuple[int, int, int, str]]
) -> RowTable:
    """orders.refunds: those delivered by the end, numbered in the order they happened."""
    span = pop.span
    delivered = sorted((ms, n, amount, why) for n, ms, amount, why in refunds if ms < span.end_ms)
    stamps = utc_text(np.array([d[0] for d in delivered], dtype=np.int64), "z")
    rows = []
    for k, (ms, number, amount, reason) in enumerate(delivered):
        person = int(book.person[number - 1])
        currency = str(book.template[number - 1][8])
        refund_id = _refund_id(k + 1)
        values: tuple[Value, ...] = (
            refund_id,
            book.template[number - 1][0],
            money(amount, currency),
            currency,
            reason,
            stamps[k],
        )
        rows.append(Row((ms - span.start_ms) // DAY_MS, ms, refund_id, values, person, 0))
    return RowTable(
        "orders.refunds",
        REFUND_COLUMNS,
        "jsonl",
        rows,
        span.days,
        None,
        counter_key(_refund_id, len(rows)),
    )
