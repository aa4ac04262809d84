"""Deterministic demo data: what four business systems would export, with planted defects.

`generate(out, customers, days, seed, end_date)` simulates `customers` real people over
`days` days ending `end_date` and writes, for every day of that span, one file per table
exactly as `config/sources.yml` describes (path, format, columns):

* crm (Salesforce-like CSV): owners (all on the first day), B2B accounts, contacts (~80% of
  people, ~5% edited later: new owner or phone re-entered);
* orders (shop JSON lines): orders with status versions (pending/paid -> shipped ->
  delivered, cancelled, refunded), line items, refunds (~5% of orders); buying follows a
  BG/NBD-like process, spend a per-person Gamma;
* support (Zendesk-like CSV): tickets (new/open -> solved -> closed) and satisfaction ratings;
* app (Segment-like JSON lines): sign_up, login, session, feature_used events with decaying
  engagement, churn and comebacks; ~2% arrive 1-4 days late.

A record sits in the file of the UTC date of its cursor column; nothing after `end_date` is
written. The same person appears under differently written e-mails (case, spaces, `+tag`,
invalid), phones (E.164, spaced, dashed, `00`, national) and country names, and ~3% use a
different e-mail in one system. Planted defects (exact duplicates, malformed rows,
impossible values) are extra lines at known rates.

The ground truth goes to `out/_truth/`: `manifest.json` (counts per table and day, planted
defects, reporting figures), `people.csv` (the real people) and `records.csv` (which person
every valid identity-carrying record is, and what its e-mail/phone must normalise to).
The output is byte-for-byte the same for the same arguments.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lifecycle.config import SourcesConfig, TableConfig, load_sources
from lifecycle.demo.app import EVENT_COLUMNS, SHARE_LATE, EventTable
from lifecycle.demo.clock import Span
from lifecycle.demo.crm import ACCOUNT_COLUMNS, CONTACT_COLUMNS, OWNER_COLUMNS, build_crm
from lifecycle.demo.defects import FLOOR_MIN_ROWS, RATES, Planter
from lifecycle.demo.geo import SPELLINGS
from lifecycle.demo.manifest import RecordsTruth, write_manifest, write_people
from lifecycle.demo.people import Population, build_population
from lifecycle.demo.render import TableSource, renderer
from lifecycle.demo.shop import ORDER_COLUMNS, build_shop
from lifecycle.demo.shop_tables import (
    LINE_ITEM_COLUMNS,
    REFUND_COLUMNS,
    LineItemTable,
    OrderTable,
    refund_table,
)
from lifecycle.demo.support import RATING_COLUMNS, TICKET_COLUMNS, build_support
from lifecycle.demo.writer import TableStats, write_table
from lifecycle.gcpause import paused_gc
from lifecycle.paths import REPO_ROOT

__all__ = ["generate"]

log = logging.getLogger(__name__)

# Every table the demo renders, with the columns it renders (checked against sources.yml).
# The position also seeds the table's defect stream, so it must not be reordered.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "crm.contacts": CONTACT_COLUMNS,
    "crm.accounts": ACCOUNT_COLUMNS,
    "crm.owners": OWNER_COLUMNS,
    "orders.orders": ORDER_COLUMNS,
    "orders.line_items": LINE_ITEM_COLUMNS,
    "orders.refunds": REFUND_COLUMNS,
    "support.tickets": TICKET_COLUMNS,
    "support.satisfaction_ratings": RATING_COLUMNS,
    "app.events": EVENT_COLUMNS,
}


def _check_contract(config: SourcesConfig) -> list[TableConfig]:
    """The configured tables, in the demo's order, after checking they match what it renders."""
    configured = {t.key: t for t in config.tables}
    missing = [k for k in TABLE_COLUMNS if k not in configured]
    extra = [k for k in configured if k not in TABLE_COLUMNS]
    if missing or extra:
        raise ValueError(f"sources.yml and the demo disagree: missing {missing}, unknown {extra}")
    for key, columns in TABLE_COLUMNS.items():
        got = tuple(c.source_field for c in configured[key].columns)
        if got != columns:
            raise ValueError(f"{key}: sources.yml columns {got} != demo columns {columns}")
    return [configured[k] for k in TABLE_COLUMNS]


def _clear_stale(out: Path, tables: list[TableConfig], span: Span) -> None:
    """Remove this demo's own day files that fall outside the span (from an earlier run)."""
    for cfg in tables:
        pattern = Path(cfg.path.format(date="*"))
        keep = {cfg.file_for(out, span.day(d)).name for d in range(span.days)}
        folder = out / pattern.parent
        if folder.is_dir():
            for stale in sorted(folder.glob(pattern.name)):
                if stale.name not in keep:
                    stale.unlink()


def _reporting(
    pop: Population, systems: dict[str, np.ndarray], extra: dict[str, Any]
) -> dict[str, Any]:
    membership = np.sum([m.astype(np.int64) for m in systems.values()], axis=0)
    return {
        "people": {
            "total": pop.n,
            "b2b": int(pop.is_b2b.sum()),
            "accounts": len(pop.accounts),
            **{f"in_{name}": int(m.sum()) for name, m in systems.items()},
            "in_systems": {str(k): int((membership == k).sum()) for k in range(5)},
            "never_buy": int((~systems["shop"]).sum()),
            "alt_email_people": sum(1 for s in pop.alt_system if s),
        },
        **extra,
        "planted_rates": {
            key: {"duplicate": r.duplicate, "malformed": r.malformed, "impossible": r.impossible}
            for key, r in RATES.items()
        },
        "defect_floor_min_rows": FLOOR_MIN_ROWS,
        "late_event_share": SHARE_LATE,
        "country_spellings": {k: list(v) for k, v in SPELLINGS.items()},
        "email_rule": "trim, lower-case, drop +tag from the local part; "
        "invalid unless ^[a-z0-9._%-]+@[a-z0-9.-]+\\.[a-z]{2,}$",
    }


def generate(
    out: Path,
    customers: int = 5000,
    days: int = 365,
    seed: int = 42,
    end_date: date = date(2026, 6, 30),
) -> dict[str, Any]:
    """Write demo exports under `out` and the ground truth under `out/_truth/`.

    Returns the manifest dict (also written to `out/_truth/manifest.json`).
    """
    if customers < 1 or days < 1 or seed < 0:
        raise ValueError("customers and days must be at least 1, seed not negative")
    # Millions of small, acyclic tuples: the cyclic collector would rescan them over and over.
    with paused_gc():
        return _generate(Path(out), customers, days, seed, end_date)


def _generate(out: Path, customers: int, days: int, seed: int, end_date: date) -> dict[str, Any]:
    span = Span(end_date - timedelta(days=days - 1), end_date)
    # The demo writes the file exports the default configuration reads, whatever
    # LIFECYCLE_SOURCES_CONFIG points at (a sql or rest source reads what was loaded from them).
    tables = _check_contract(load_sources(REPO_ROOT / "config" / "sources.yml"))
    log.info("demo: %d people, %s..%s, seed %d -> %s", customers, span.start, span.end, seed, out)
    pop = build_population(customers, span, seed)
    crm = build_crm(pop, seed)
    app = EventTable(pop, seed)
    shop = build_shop(pop, crm, app, seed)
    support = build_support(pop, shop, seed)
    sources: dict[str, TableSource] = {
        **crm.tables,
        "orders.orders": OrderTable(shop.book, pop),
        "orders.line_items": LineItemTable(shop.book, pop),
        "orders.refunds": refund_table(pop, shop.book, shop.refunds),
        **support.tables,
        "app.events": app,
    }

    _clear_stale(out, tables, span)
    truth_dir = out / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    stats: dict[str, TableStats] = {}
    with RecordsTruth(truth_dir / "records.csv", pop) as truth:
        for index, cfg in enumerate(tables):
            source = sources.pop(cfg.key)
            columns = [c.source_field for c in cfg.columns]
            planter = Planter(
                cfg,
                source.day_counts,
                np.random.default_rng([seed, 100 + index]),
                source.new_key,
                renderer(cfg.format, columns),
            )
            stats[cfg.key] = write_table(out, span, cfg, source, planter, truth)
        users = app.users
        truth.add_ids(
            "app", "app_users", list(zip(users.user_id, users.person.tolist(), strict=True))
        )
        customers_ids = [(c, i) for i, c in enumerate(shop.customer_id) if c]
        truth.add_ids("orders", "shop_customers", customers_ids)
    write_people(truth_dir / "people.csv", pop)

    systems = {
        "crm": np.array([c is not None for c in crm.contact_id]),
        "shop": np.array([c is not None for c in shop.customer_id]),
        "support": support.requesters,
        "app": app.persons_with_events(),
    }
    manifest: dict[str, Any] = {
        "seed": seed,
        "customers": customers,
        "days": days,
        "start_date": span.start.isoformat(),
        "end_date": span.end.isoformat(),
        "reporting": _reporting(
            pop,
            systems,
            {
                "crm": crm.summary,
                "shop": shop.summary,
                "support": support.summary,
                "app": app.summary(),
            },
        ),
        "tables": {key: s.as_dict() for key, s in stats.items()},
    }
    write_manifest(truth_dir / "manifest.json", manifest)
    log.info("demo written: %d files per table", span.days)
    return manifest
