"""CRM exports (Salesforce-like): owners, B2B accounts, and contacts with their later edits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from lifecycle.demo.clock import DAY_MS, HOUR_MS, I64, MINUTE_MS, utc_text
from lifecycle.demo.people import Population, sf_id
from lifecycle.demo.render import Row, RowTable, Value, counter_key
from lifecycle.demo.variants import draw_country, draw_email, draw_phone

CONTACT_COLUMNS: tuple[str, ...] = (
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "MailingCountry",
    "AccountId",
    "OwnerId",
    "LeadSource",
    "CreatedDate",
    "LastModifiedDate",
    "HasOptedOutOfEmail",
)
ACCOUNT_COLUMNS: tuple[str, ...] = (
    "Id",
    "Name",
    "Industry",
    "BillingCountry",
    "OwnerId",
    "Type",
    "CreatedDate",
    "LastModifiedDate",
)
OWNER_COLUMNS: tuple[str, ...] = ("Id", "Name", "Email", "Team", "IsActive", "LastModifiedDate")
LEAD_SOURCE: dict[str, str] = {
    "organic": "Web",
    "paid_search": "Advertisement",
    "social": "Social Media",
    "referral": "Partner Referral",
    "email": "Email",
    "sales": "Outbound",
}
SHARE_CONTACT_EDITS = 0.05
SHARE_OPTED_OUT = 0.12  # contacts created with the email opt-out set
SHARE_EDIT_OPTS_OUT = 0.3  # edited contacts that unsubscribed since
SHARE_NO_COUNTRY = 0.04
NEVER = np.iinfo(np.int64).max


@dataclass
class CrmResult:
    tables: dict[str, RowTable]
    contact_id: list[str | None]  # per person: the contact's Id when created by the end
    contact_created_ms: I64  # per person; NEVER when there is no contact
    summary: dict[str, Any]


def _owners(pop: Population) -> list[Row]:
    start = pop.span.start_ms + 6 * HOUR_MS
    stamps = utc_text(start + np.arange(len(pop.owners), dtype=np.int64) * MINUTE_MS, "salesforce")
    return [
        Row(
            0,
            start + i * MINUTE_MS,
            o.id,
            (o.id, o.name, o.email, o.team, "true" if o.active else "false", stamps[i]),
            -1,
            0,
        )
        for i, o in enumerate(pop.owners)
    ]


def _accounts(pop: Population, r: random.Random) -> list[Row]:
    created = np.array([a.created_ms for a in pop.accounts], dtype=np.int64)
    stamps = utc_text(created, "salesforce")
    rows = []
    for i, a in enumerate(pop.accounts):
        values: tuple[Value, ...] = (
            a.id,
            a.name,
            a.industry,
            draw_country(r, a.country),
            pop.owners[a.owner].id,
            a.type,
            stamps[i],
            stamps[i],
        )
        day = (a.created_ms - pop.span.start_ms) // DAY_MS
        rows.append(Row(day, a.created_ms, a.id, values, -1, 0))
    return rows


def build_crm(pop: Population, seed: int) -> CrmResult:
    """Contacts for people in the CRM (created on first sight or some weeks later), ~5% edited."""
    rng = np.random.default_rng([seed, 2])
    r = random.Random(seed * 1_000_003 + 2)
    consent = random.Random(seed * 1_000_003 + 5)  # its own stream: the rest stays as it was
    span = pop.span
    members = np.flatnonzero(pop.in_crm)
    from_crm = np.array([pop.entry[i] == "crm" for i in members], dtype=bool)
    lag = HOUR_MS + (rng.exponential(25.0, len(members)) * DAY_MS).astype(np.int64)
    created = (pop.first_seen_ms[members] + np.where(from_crm, 0, lag)) // 1000 * 1000
    keep = created < span.end_ms
    members, created = members[keep], created[keep]
    order = np.lexsort((members, created))
    members, created = members[order], created[order]
    edit_at = created + (rng.uniform(3, 150, len(members)) * DAY_MS).astype(np.int64) // 1000 * 1000
    edited = (rng.random(len(members)) < SHARE_CONTACT_EDITS) & (edit_at < span.end_ms)
    created_text = utc_text(created, "salesforce")
    edit_text = utc_text(edit_at, "salesforce")
    active = pop.active_owners()

    contact_id: list[str | None] = [None] * pop.n
    contact_created = np.full(pop.n, NEVER, dtype=np.int64)
    rows: list[Row] = []
    for rank, i in enumerate(members.tolist()):
        cid = sf_id("003", rank + 1)
        contact_id[i], contact_created[i] = cid, created[rank]
        alt = pop.alt_system[i] == "crm"
        email = pop.alt_email[i] if alt else draw_email(r, pop.email[i], "crm")
        country = "" if r.random() < SHARE_NO_COUNTRY else draw_country(r, pop.country[i])
        phone = draw_phone(r, pop.phone[i], "crm", national_ok=bool(country))
        while alt and phone is None:  # a person with another address keeps the same phone here
            phone = draw_phone(r, pop.phone[i], "crm", national_ok=bool(country))
        first, last = pop.first_name[i], pop.last_name[i]
        if r.random() < 0.03:
            first, last = first.lower(), last.lower()
        acc = int(pop.account[i])
        owner = pop.accounts[acc].owner if acc >= 0 else r.choice(active)
        values: list[Value] = [
            cid,
            first,
            last,
            email,
            phone,
            country,
            pop.accounts[acc].id if acc >= 0 else "",
            pop.owners[owner].id,
            LEAD_SOURCE[pop.channel[i]],
            created_text[rank],
            created_text[rank],
            "true" if consent.random() < SHARE_OPTED_OUT else "false",
        ]
        day = (int(created[rank]) - span.start_ms) // DAY_MS
        rows.append(Row(day, int(created[rank]), cid, tuple(values), i, 0))
        if edited[rank]:
            new_phone = phone
            if r.random() < 0.5:
                for _ in range(10):
                    new_phone = draw_phone(r, pop.phone[i], "crm", national_ok=bool(country))
                    if new_phone not in (phone, None):
                        break
            if new_phone in (phone, None):
                values[7] = pop.owners[r.choice([o for o in active if o != owner])].id
            else:
                values[4] = new_phone
            values[10] = edit_text[rank]
            if consent.random() < SHARE_EDIT_OPTS_OUT:  # unsubscribed since
                values[11] = "true"
            day = (int(edit_at[rank]) - span.start_ms) // DAY_MS
            rows.append(Row(day, int(edit_at[rank]), cid, tuple(values), i, 1))

    days = span.days
    tables = {
        "crm.owners": RowTable(
            "crm.owners",
            OWNER_COLUMNS,
            "csv",
            _owners(pop),
            days,
            None,
            counter_key(lambda k: sf_id("005", k), len(pop.owners)),
        ),
        "crm.accounts": RowTable(
            "crm.accounts",
            ACCOUNT_COLUMNS,
            "csv",
            _accounts(pop, r),
            days,
            None,
            counter_key(lambda k: sf_id("001", k), len(pop.accounts)),
        ),
        "crm.contacts": RowTable(
            "crm.contacts",
            CONTACT_COLUMNS,
            "csv",
            rows,
            days,
            ("Email", "Phone"),
            counter_key(lambda k: sf_id("003", k), len(members)),
        ),
    }
    summary = {
        "contacts": len(members),
        "contact_edits": int(edited.sum()),
        "accounts": len(pop.accounts),
        "owners": len(pop.owners),
    }
    return CrmResult(tables, contact_id, contact_created, summary)
