"""The synthetic population: who the real people are, where they live, which systems know them.

This is the truth every export is rendered from. Behaviour inside each system (purchases,
app use, tickets) is simulated by that system's module from its own random stream, so one
system's tuning never shifts another's output.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lifecycle.demo import names
from lifecycle.demo.clock import DAY_MS, HOUR_MS, I64, MINUTE_MS, Span, Zones
from lifecycle.demo.geo import CITIES, COUNTRIES, COUNTRY_WEIGHTS, ZONE_NAMES, Phone, make_phone

if TYPE_CHECKING:
    from datetime import date

log = logging.getLogger(__name__)

Bools = npt.NDArray[np.bool_]

CHANNELS: tuple[str, ...] = ("organic", "paid_search", "social", "referral", "email", "sales")
CHANNEL_WEIGHTS: tuple[float, ...] = (0.30, 0.22, 0.18, 0.12, 0.10, 0.08)
SHARE_B2B = 0.20
PEOPLE_PER_ACCOUNT = 8
SHARE_CRM = 0.75  # of non-B2B people; every B2B person and every sales lead is in the CRM
SHARE_APP = 0.70
SHARE_BUYER = 0.60
SHARE_SUPPORT_BUYER = 0.25
SHARE_SUPPORT_OTHER = 0.05  # app users who never buy but still write in
SHARE_ALT_EMAIL = 0.03
SHARE_WORK_EMAIL = 0.15  # non-B2B people signing up with an employer's address
OWNER_COUNT = 12
OUR_DOMAIN = "lifecycle-demo.com"
TEAMS: tuple[str, ...] = ("Enterprise", "Mid-Market", "SMB", "EMEA", "APAC", "Partnerships")
ACCOUNT_TYPES: tuple[str, ...] = ("Customer", "Prospect", "Partner")

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sf_id(prefix: str, number: int) -> str:
    """A 15-character Salesforce-style id: key prefix, pod filler, base-62 sequence."""
    digits = ""
    for _ in range(6):
        number, rem = divmod(number, 62)
        digits = _B62[rem] + digits
    return f"{prefix}8d0000{digits}"


@dataclass(frozen=True)
class Owner:
    id: str
    name: str
    email: str
    team: str
    active: bool


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    domain: str
    industry: str
    country: str
    owner: int
    type: str
    created_ms: int


@dataclass
class Population:
    """Column-wise people (index = person number - 1) plus the CRM's owners and B2B accounts."""

    span: Span
    zones: Zones
    person_id: list[str]
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[Phone]
    country: list[str]
    city: list[str]
    tz: I64
    channel: list[str]
    first_seen_ms: I64
    is_b2b: Bools
    account: I64
    in_crm: Bools
    app_user: Bools
    buyer: Bools
    support: Bools
    entry: list[str]
    alt_email: list[str | None]
    alt_system: list[str | None]
    accounts: list[Account]
    owners: list[Owner]

    @property
    def n(self) -> int:
        return len(self.person_id)

    def first_seen_date(self, i: int) -> date:
        return self.span.day(int(self.span.day_index(self.first_seen_ms[i : i + 1])[0]))

    def active_owners(self) -> list[int]:
        return [i for i, o in enumerate(self.owners) if o.active]


def _first_seen(rng: np.random.Generator, span: Span, zones: Zones, tz: I64) -> I64:
    """First appearance: a day (slowly growing intake) at a local daytime hour, as UTC ms.

    Kept inside the span and before 23:50 UTC, so the first record and a sign-up received
    minutes later are both delivered on that same UTC day.
    """
    n, days = len(tz), span.days
    weight = 1.0 + 0.6 * np.arange(days) / max(days - 1, 1)
    day = rng.choice(days, size=n, p=weight / weight.sum())
    seconds = rng.integers(8 * 3600, 21 * 3600 + 1800, size=n)
    ms = zones.local_ms(span.start_ms + day * DAY_MS, tz, seconds)
    ms = np.where(ms < span.start_ms, ms + DAY_MS, ms)
    ms = np.where(ms >= span.end_ms, ms - DAY_MS, ms)
    late = (ms - span.start_ms) % DAY_MS > 23 * HOUR_MS + 50 * MINUTE_MS
    ms = np.where(late, ms - 30 * MINUTE_MS, ms)
    return (ms // 1000 * 1000).astype(np.int64)


def _owners(r: random.Random) -> list[Owner]:
    owners = []
    inactive = set(r.sample(range(OWNER_COUNT), 2))
    for i in range(OWNER_COUNT):
        lang = r.choice(("en", "en", "de", "fr"))
        first, last = r.choice(names.FIRST_NAMES[lang]), r.choice(names.LAST_NAMES[lang])
        email = f"{names.ascii_token(first)}.{names.ascii_token(last)}@{OUR_DOMAIN}"
        team = TEAMS[i % len(TEAMS)]
        owners.append(Owner(sf_id("005", i + 1), f"{first} {last}", email, team, i not in inactive))
    return owners


def _accounts(
    r: random.Random,
    rng: np.random.Generator,
    span: Span,
    country: list[str],
    is_b2b: Bools,
    first_seen: I64,
    owners: list[Owner],
) -> tuple[list[Account], I64]:
    """B2B accounts per country (~1 per 8 B2B people) and each person's account index."""
    account = np.full(len(country), -1, dtype=np.int64)
    accounts: list[Account] = []
    used: set[str] = set()
    active = [i for i, o in enumerate(owners) if o.active]
    codes = np.array(country)
    for iso in COUNTRIES:
        members = np.flatnonzero(is_b2b & (codes == iso))
        if len(members) == 0:
            continue
        n_acc = max(1, round(len(members) / PEOPLE_PER_ACCOUNT))
        slots = np.concatenate([np.arange(n_acc), rng.integers(0, n_acc, len(members) - n_acc)])
        base = len(accounts)
        account[rng.permutation(members)] = slots + base
        earliest = np.full(n_acc, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(earliest, account[members] - base, first_seen[members])
        for k in range(n_acc):
            for attempt in range(100):
                prefix, suffix = r.choice(names.COMPANY_PREFIX), r.choice(names.COMPANY_SUFFIX)
                stem = f"{prefix}{suffix}".lower() + (str(attempt) if attempt > 20 else "")
                if stem not in used:
                    break
            used.add(stem)
            first = int(earliest[k])  # opened up to 20 days before its first contact appears
            room = min(20 * 86_400, (first - span.start_ms) // 1000)
            created = first - r.randint(0, max(0, room)) * 1000
            accounts.append(
                Account(
                    id=sf_id("001", base + k + 1),
                    name=f"{prefix} {suffix} {names.LEGAL_FORM[iso]}",
                    domain=f"{stem}.{names.COMPANY_TLD[iso]}",
                    industry=r.choice(names.INDUSTRIES),
                    country=iso,
                    owner=r.choice(active),
                    type=r.choices(ACCOUNT_TYPES, weights=(0.6, 0.3, 0.1))[0],
                    created_ms=created,
                )
            )
    return accounts, account


def _local_part(r: random.Random, first: str, last: str, work: bool) -> str:
    f, l = names.ascii_token(first), names.ascii_token(last)  # noqa: E741
    if work:
        return r.choice((f"{f}.{l}", f"{f[0]}{l}", f"{f}.{l}", f"{f}"))
    n = r.randint(1, 99)
    return r.choices(
        (f"{f}.{l}", f"{f}{l}", f"{f[0]}.{l}", f"{f}_{l}", f"{f}.{l}{n}", f"{f}{n}", f"{l}.{f}"),
        weights=(0.35, 0.12, 0.10, 0.05, 0.23, 0.07, 0.08),
    )[0]


def _unique(r: random.Random, local: str, domain: str, used: set[str]) -> str:
    email = f"{local}@{domain}"
    while email in used:
        email = f"{local}{r.randint(2, 999)}@{domain}"
    used.add(email)
    return email


def build_population(n: int, span: Span, seed: int) -> Population:
    """`n` people with stable identities, system memberships and B2B structure."""
    rng = np.random.default_rng([seed, 1])
    r = random.Random(seed * 1_000_003 + 1)
    zones = Zones(ZONE_NAMES, span)
    country = [COUNTRIES[i] for i in rng.choice(len(COUNTRIES), size=n, p=COUNTRY_WEIGHTS)]
    cities = [r.choice(CITIES[c]) for c in country]
    tz = np.array([zones.index(c.tz) for c in cities], dtype=np.int64)
    first_seen = _first_seen(rng, span, zones, tz)
    is_b2b = rng.random(n) < SHARE_B2B
    channel = [CHANNELS[i] for i in rng.choice(len(CHANNELS), size=n, p=CHANNEL_WEIGHTS)]
    channel = [
        "sales" if b and r.random() < 0.5 else ch for b, ch in zip(is_b2b, channel, strict=True)
    ]
    owners = _owners(r)
    accounts, account = _accounts(r, rng, span, country, is_b2b, first_seen, owners)

    first, last, email, phone = [], [], [], []
    used_email: set[str] = set()
    used_phone: set[str] = set()
    for i in range(n):
        lang = names.LANGUAGE[country[i]]
        first.append(r.choice(names.FIRST_NAMES[lang]))
        last.append(r.choice(names.LAST_NAMES[lang]))
        if account[i] >= 0 and r.random() < 0.9:
            domain, work = accounts[account[i]].domain, True
        elif r.random() < SHARE_WORK_EMAIL:
            domain, work = r.choice(names.WORK_DOMAINS), True
        else:
            domain = r.choice(names.FREE_MAIL_GLOBAL + names.FREE_MAIL_LOCAL[country[i]])
            work = False
        email.append(_unique(r, _local_part(r, first[i], last[i], work), domain, used_email))
        number = make_phone(r, country[i], cities[i])
        while number.e164 in used_phone:
            number = make_phone(r, country[i], cities[i])
        used_phone.add(number.e164)
        phone.append(number)

    sales = np.array([ch == "sales" for ch in channel])
    in_crm = is_b2b | sales | (rng.random(n) < SHARE_CRM)
    app_user = rng.random(n) < SHARE_APP
    buyer = rng.random(n) < SHARE_BUYER
    nowhere = np.flatnonzero(~(in_crm | app_user | buyer))
    pick = rng.integers(0, 3, len(nowhere))
    in_crm[nowhere[pick == 0]] = True
    app_user[nowhere[pick == 1]] = True
    buyer[nowhere[pick == 2]] = True
    roll = rng.random(n)
    support = (buyer & (roll < SHARE_SUPPORT_BUYER)) | (
        ~buyer & app_user & (roll < SHARE_SUPPORT_OTHER)
    )

    entry: list[str] = []
    alt_email: list[str | None] = []
    alt_system: list[str | None] = []
    for i in range(n):
        member = [s for s, f in (("crm", in_crm[i]), ("app", app_user[i]), ("shop", buyer[i])) if f]
        if channel[i] == "sales" and in_crm[i]:
            entry.append("crm")
        else:
            weight = {"crm": 0.2, "app": 0.45, "shop": 0.35}
            entry.append(r.choices(member, weights=[weight[s] for s in member])[0])
        if r.random() < SHARE_ALT_EMAIL:
            carriers = member + (["support"] if support[i] else [])
            domain = r.choice(names.FREE_MAIL_GLOBAL + names.WORK_DOMAINS)
            while domain == email[i].partition("@")[2]:
                domain = r.choice(names.FREE_MAIL_GLOBAL + names.WORK_DOMAINS)
            local = _local_part(r, first[i], last[i], domain in names.WORK_DOMAINS)
            alt_email.append(_unique(r, local, domain, used_email))
            alt_system.append(r.choice(carriers))
        else:
            alt_email.append(None)
            alt_system.append(None)

    log.info("population: %d people, %d B2B in %d accounts", n, int(is_b2b.sum()), len(accounts))
    return Population(
        span=span,
        zones=zones,
        person_id=[f"P{i + 1:06d}" for i in range(n)],
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        country=country,
        city=[c.name for c in cities],
        tz=tz,
        channel=channel,
        first_seen_ms=first_seen,
        is_b2b=is_b2b,
        account=account,
        in_crm=in_crm,
        app_user=app_user,
        buyer=buyer,
        support=support,
        entry=entry,
        alt_email=alt_email,
        alt_system=alt_system,
        accounts=accounts,
        owners=owners,
    )
