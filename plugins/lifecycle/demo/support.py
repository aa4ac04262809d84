"""Support exports (Zendesk-like): tickets moving new -> open -> solved -> closed, and ratings.

Tickets carry only the requester's name, e-mail and phone (no country), so phones are always
written in an international form here.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lifecycle.demo.clock import DAY_MS, HOUR_MS, one_utc_text
from lifecycle.demo.render import Row, RowTable, Value, counter_key
from lifecycle.demo.variants import draw_email, draw_phone, requester_name

if TYPE_CHECKING:
    from lifecycle.demo.people import Population
    from lifecycle.demo.shop import ShopResult

TICKET_COLUMNS: tuple[str, ...] = (
    "id",
    "requester_name",
    "requester_email",
    "requester_phone",
    "subject",
    "type",
    "priority",
    "status",
    "channel",
    "created_at",
    "updated_at",
    "solved_at",
)
RATING_COLUMNS: tuple[str, ...] = ("id", "ticket_id", "score", "comment", "created_at")
SUBJECTS: dict[str, tuple[str, ...]] = {
    "question": (
        "Question about my order",
        "How do I change my plan?",
        "Invoice request",
        "Where is my package?",
        "Do you ship to my country?",
    ),
    "incident": ("App crashes on login", "Payment failed", "Cannot reset password"),
    "problem": ("Item arrived damaged", "Wrong item received", "Refund not received yet"),
    "task": ("Please update my address", "Cancel my subscription", "Close my account, please"),
}
TICKET_TYPES: tuple[str, ...] = tuple(SUBJECTS)
COMMENTS: dict[int, tuple[str, ...]] = {
    1: ("Nobody helped me.", "Still not fixed"),
    2: ("Took far too long", "Answer did not help"),
    3: ("OK, but slow", "Fine"),
    4: ("Helpful, thanks", "Good support"),
    5: ("Great service!", "Super fast, thank you", "Perfect"),
}
SHARE_RATED = 0.5  # of solved tickets
TICKET_BASE, RATING_BASE = 40_000, 900_000


@dataclass
class SupportResult:
    tables: dict[str, RowTable]
    requesters: npt.NDArray[np.bool_]  # per person: opened a ticket within the span
    summary: dict[str, Any]


def _history(r: random.Random, created: int) -> tuple[list[tuple[str, int]], int | None]:
    """[(status, ms)] of one ticket and its solve time (None while unsolved)."""

    def later(t: int, lo_h: float, hi_h: float) -> int:
        return t + int(r.uniform(lo_h, hi_h) * HOUR_MS) // 1000 * 1000

    history = [("new", created)]
    last = created
    if r.random() < 0.9:
        last = later(last, 5 / 60, 8)
        history.append(("open", last))
    if r.random() < 0.2:
        last = later(last, 1, 48)
        history.append(("pending", last))
    if r.random() > 0.92:
        return history, None
    solved = later(last, 1, 120)
    history.append(("solved", solved))
    history.append(("closed", solved + 96 * HOUR_MS + r.randint(0, 7200) * 1000))
    return history, solved


def build_support(pop: Population, shop: ShopResult, seed: int) -> SupportResult:
    """Tickets from people flagged for support, mostly a few days after one of their orders."""
    r = random.Random(seed * 1_000_003 + 5)
    span = pop.span
    opened: list[tuple[int, int]] = []
    for i in np.flatnonzero(pop.support).tolist():
        orders = shop.orders_by_person.get(i)
        for _ in range(r.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]):
            if orders:
                t = r.choice(orders) + int(r.uniform(2, 7 * 24) * HOUR_MS)
            else:
                t = int(pop.first_seen_ms[i]) + int(r.uniform(1, 60 * 24) * HOUR_MS)
            if t < span.end_ms:
                opened.append((t // 1000 * 1000, i))
    opened.sort()

    def day_of(ms: int) -> int:
        return (ms - span.start_ms) // DAY_MS

    ticket_rows: list[Row] = []
    ratings: list[tuple[int, str, int]] = []  # (ms, ticket id, person)
    for number, (created, i) in enumerate(opened, start=1):
        tid = str(TICKET_BASE + number)
        kind = r.choice(TICKET_TYPES)
        alt = pop.alt_system[i] == "support"
        phone = draw_phone(r, pop.phone[i], "support", national_ok=False)
        while alt and phone is None:
            phone = draw_phone(r, pop.phone[i], "support", national_ok=False)
        created_text = one_utc_text(created, "z")
        values: list[Value] = [
            tid,
            requester_name(r, pop.first_name[i], pop.last_name[i]),
            pop.alt_email[i] if alt else draw_email(r, pop.email[i], "support"),
            phone,
            r.choice(SUBJECTS[kind]),
            kind,
            r.choices(("low", "normal", "high", "urgent"), weights=(25, 55, 15, 5))[0],
            "",
            r.choices(("email", "web", "chat", "phone"), weights=(45, 25, 20, 10))[0],
            created_text,
            "",
            None,
        ]
        history, solved = _history(r, created)
        by_day: dict[int, tuple[str, int]] = {}
        for status, ms in history:
            if day_of(ms) < span.days:
                by_day[day_of(ms)] = (status, ms)
        for version, (status, ms) in enumerate(by_day.values()):
            values[7], values[10] = status, one_utc_text(ms, "z")
            values[11] = (
                one_utc_text(solved, "z") if solved and status in ("solved", "closed") else None
            )
            ticket_rows.append(Row(day_of(ms), ms, tid, tuple(values), i, version))
        if solved is not None and r.random() < SHARE_RATED:
            rated = solved + int(r.uniform(1, 48) * HOUR_MS) // 1000 * 1000
            if rated < span.end_ms:
                ratings.append((rated, tid, i))

    rating_rows: list[Row] = []
    for k, (ms, tid, i) in enumerate(sorted(ratings), start=1):
        score = r.choices((1, 2, 3, 4, 5), weights=(6, 8, 16, 35, 35))[0]
        comment = r.choice(COMMENTS[score]) if r.random() < 0.4 else ""
        rid = str(RATING_BASE + k)
        values_r: tuple[Value, ...] = (rid, tid, score, comment, one_utc_text(ms, "z"))
        rating_rows.append(Row(day_of(ms), ms, rid, values_r, i, 0))

    latest: dict[str, str] = {row.key: str(row.values[7]) for row in ticket_rows}
    scores = [int(str(row.values[2])) for row in rating_rows]
    summary = {
        "tickets": len(opened),
        "ticket_versions": len(ticket_rows),
        "latest_status": dict(sorted(Counter(latest.values()).items())),
        "ratings": len(rating_rows),
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
    }
    days = span.days
    tables = {
        "support.tickets": RowTable(
            "support.tickets",
            TICKET_COLUMNS,
            "csv",
            ticket_rows,
            days,
            ("requester_email", "requester_phone"),
            counter_key(lambda k: str(TICKET_BASE + k), len(opened)),
        ),
        "support.satisfaction_ratings": RowTable(
            "support.satisfaction_ratings",
            RATING_COLUMNS,
            "csv",
            rating_rows,
            days,
            None,
            counter_key(lambda k: str(RATING_BASE + k), len(rating_rows)),
        ),
    }
    requesters = np.zeros(pop.n, dtype=bool)
    requesters[[i for _, i in opened]] = True
    return SupportResult(tables, requesters, summary)
