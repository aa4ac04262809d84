"""App exports (Segment-like): sign-ups, logins, sessions and feature use.

At 100k people x 730 days this is ~10 million events, so events are simulated as numpy
columns and rendered to JSON one delivery day at a time (memory stays flat).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lifecycle.demo.clock import DAY_MS, HOUR_MS, I64, MINUTE_MS, utc_text
from lifecycle.demo.render import ABSENT, Batch, Identity, JsonLayout, Value
from lifecycle.demo.variants import draw_country, draw_email, draw_phone

if TYPE_CHECKING:
    from lifecycle.demo.people import Population

EVENT_COLUMNS: tuple[str, ...] = (
    "message_id",
    "event",
    "user_id",
    "timestamp",
    "received_at",
    "traits.email",
    "traits.phone",
    "properties.plan",
    "properties.signup_channel",
    "properties.feature",
    "properties.session_seconds",
    "context.app_version",
    "context.os",
    "context.country",
)
EVENTS: tuple[str, ...] = ("sign_up", "login", "session", "feature_used")
SIGN_UP, LOGIN, SESSION, FEATURE = range(4)
FEATURES: tuple[str, ...] = (
    "dashboard",
    "search",
    "reports",
    "export_csv",
    "share_link",
    "notifications",
    "integrations",
    "invite_teammate",
    "billing",
    "dark_mode",
)
FEATURE_WEIGHTS = np.array([30, 20, 14, 9, 8, 6, 5, 4, 2, 2], dtype=float)
PLANS: tuple[str, ...] = ("free", "pro", "team")
OSES: tuple[str, ...] = ("ios", "android", "web")
RELEASES: tuple[str, ...] = ("3.0.0", "3.0.1", "3.0.2", "3.1.0", "3.1.1", "3.1.2", "3.2.0", "3.2.1")
SHARE_LATE = 0.02
SHARE_CHURNERS = 0.55
SHARE_REACTIVATE = 0.25  # of churners
_VARIANT = {c: "89ab"[int(c, 16) % 4] for c in "0123456789abcdef"}


def uuid_text(hex32: str) -> str:
    """A version-4-shaped UUID from 32 random hex digits."""
    h = hex32
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


@dataclass
class _Users:
    person: I64
    user_id: list[str]
    signup_ms: I64
    os: list[str]
    plan: list[str]
    country: list[str]
    email: list[str | None]
    phone: list[str | None]
    release_lag: I64
    tz: I64


def _users(pop: Population, rng: np.random.Generator, r: random.Random) -> _Users:
    members = np.flatnonzero(pop.app_user)
    from_app = np.array([pop.entry[i] == "app" for i in members], dtype=bool)
    lag = HOUR_MS + (rng.exponential(30.0, len(members)) * DAY_MS).astype(np.int64)
    signup = pop.first_seen_ms[members] + np.where(from_app, 0, lag)
    signup = signup + rng.integers(0, 1000, len(members))
    keep = signup < pop.span.end_ms - 5 * MINUTE_MS  # its receipt (<= 2 min) still in the span
    members, signup = members[keep], signup[keep]
    order = np.lexsort((members, signup))
    members, signup = members[order], signup[order]
    ids: list[str] = []
    used: set[str] = set()
    oses, plans, countries, emails, phones = [], [], [], [], []
    for i in members.tolist():
        uid = f"u_{r.getrandbits(48):012x}"
        while uid in used:
            uid = f"u_{r.getrandbits(48):012x}"
        used.add(uid)
        ids.append(uid)
        oses.append(r.choices(OSES, weights=(0.45, 0.40, 0.15))[0])
        b2b = bool(pop.is_b2b[i])
        plans.append(r.choices(PLANS, weights=(0.25, 0.15, 0.6) if b2b else (0.7, 0.22, 0.08))[0])
        countries.append(draw_country(r, pop.country[i]))
        alt = pop.alt_system[i] == "app"
        emails.append(pop.alt_email[i] if alt else draw_email(r, pop.email[i], "app"))
        phone = draw_phone(r, pop.phone[i], "app", national_ok=True)
        while alt and phone is None:
            phone = draw_phone(r, pop.phone[i], "app", national_ok=True)
        phones.append(phone)
    return _Users(
        person=members,
        user_id=ids,
        signup_ms=signup,
        os=oses,
        plan=plans,
        country=countries,
        email=emails,
        phone=phones,
        release_lag=rng.choice(3, len(members), p=(0.6, 0.3, 0.1)),
        tz=pop.tz[members],
    )


def _active_days(
    users: _Users, pop: Population, rng: np.random.Generator
) -> tuple[I64, I64, dict[str, int]]:
    """Days each user is active: decaying engagement, churn for good or a later comeback."""
    n, days = len(users.person), pop.span.days
    sign_day = pop.span.day_index(users.signup_ms)
    p0 = rng.beta(2.0, 6.0, n)
    tau = rng.uniform(30, 240, n)
    floor = rng.uniform(0.1, 0.5, n)
    churner = rng.random(n) < SHARE_CHURNERS
    churn_after = 7 + rng.exponential(90.0, n)
    comeback = churner & (rng.random(n) < SHARE_REACTIVATE)
    back_at = churn_after + rng.uniform(45, 150, n)
    back_len = rng.uniform(20, 120, n)
    user_parts: list[I64] = []
    day_parts: list[I64] = []
    churned = reactivated = 0
    for k in range(n):
        length = days - int(sign_day[k])
        t = np.arange(length)
        p = p0[k] * (floor[k] + (1 - floor[k]) * np.exp(-t / tau[k]))
        if churner[k]:
            gone = t > churn_after[k]
            churned += bool(gone.any())
            if comeback[k]:
                back = (t >= back_at[k]) & (t < back_at[k] + back_len[k])
                p = np.where(back, p * 0.6, p)
                gone &= ~back
                reactivated += bool(back.any())
            p = np.where(gone, 0.0, p)
        active = rng.random(length) < p
        active[0] = True
        found = np.flatnonzero(active)
        user_parts.append(np.full(len(found), k, dtype=np.int64))
        day_parts.append(found + sign_day[k])
    stats = {"churned_users": churned, "reactivated_users": reactivated}
    if not user_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), stats
    return np.concatenate(user_parts), np.concatenate(day_parts), stats


class EventTable:
    """app.events: simulated as columns, rendered per delivery day (see module docstring)."""

    key = "app.events"

    def __init__(self, pop: Population, seed: int) -> None:
        rng = np.random.default_rng([seed, 3])
        self._rng = np.random.default_rng([seed, 30])  # message ids, drawn while rendering
        self._pop = pop
        self.users = _users(pop, rng, random.Random(seed * 1_000_003 + 3))
        users, span = self.users, pop.span
        ad_user, ad_day, self.stats = _active_days(users, pop, rng)
        # A visit per active day: right after sign-up on day 0, else around a preferred hour.
        pref = rng.uniform(7 * 3600, 22 * 3600, len(users.person))
        seconds = np.clip(pref[ad_user] + rng.normal(0, 5400, len(ad_user)), 0, 86_399)
        start = pop.zones.local_ms(
            span.start_ms + ad_day * DAY_MS, users.tz[ad_user], seconds.astype(np.int64)
        )
        start = start + rng.integers(0, 1000, len(start))
        first_visit = ad_day == span.day_index(users.signup_ms)[ad_user]
        after_signup = users.signup_ms[ad_user] + rng.integers(20_000, 300_000, len(ad_user))
        start = np.where(
            first_visit, after_signup, np.maximum(start, after_signup + 10 * MINUTE_MS)
        )
        n_login = ((rng.random(len(ad_user)) < 0.85) & ~first_visit).astype(np.int64)
        n_session = 1 + rng.poisson(0.8, len(ad_user))
        n_feature = rng.poisson(2.2, len(ad_user))
        counts = n_login + n_session + n_feature
        visit = np.repeat(np.arange(len(ad_user)), counts)
        pos = np.arange(len(visit)) - np.repeat(np.cumsum(counts) - counts, counts)
        kind = np.where(
            pos < n_login[visit],
            LOGIN,
            np.where(pos < (n_login + n_session)[visit], SESSION, FEATURE),
        )
        offset = np.where(kind == LOGIN, 0, rng.integers(1_000, 90 * MINUTE_MS, len(visit)))
        user = np.concatenate([np.arange(len(users.person)), ad_user[visit]])
        kind = np.concatenate([np.full(len(users.person), SIGN_UP), kind]).astype(np.int8)
        ts = np.concatenate([users.signup_ms, start[visit] + offset]).astype(np.int64)
        session = np.clip(rng.lognormal(np.log(420), 0.9, len(ts)), 5, 14_400).astype(np.int64)
        feature = rng.choice(len(FEATURES), len(ts), p=FEATURE_WEIGHTS / FEATURE_WEIGHTS.sum())
        delay = np.clip(rng.lognormal(np.log(4_000), 1.0, len(ts)), 150, 20 * MINUTE_MS)
        delay = np.where(kind == SIGN_UP, np.minimum(delay, 2 * MINUTE_MS), delay)
        late = (kind != SIGN_UP) & (rng.random(len(ts)) < SHARE_LATE)
        delay = np.where(late, rng.uniform(1.0, 4.0, len(ts)) * DAY_MS, delay).astype(np.int64)
        received = (ts + delay).astype(np.int64)
        keep = received < span.end_ms
        order = np.lexsort((kind[keep], ts[keep], user[keep], received[keep]))
        self.user = user[keep][order]
        self.kind = kind[keep][order]
        self.ts = ts[keep][order]
        self.received = received[keep][order]
        self.session = session[keep][order]
        self.feature = feature[keep][order]
        self.late = late[keep][order]
        day = span.day_index(self.received)
        self.day_counts = np.bincount(day, minlength=span.days).astype(np.int64)
        self._bounds = np.concatenate([[0], np.cumsum(self.day_counts)])
        ts_day = span.day_index(self.ts)
        release = np.clip(ts_day * len(RELEASES) // span.days, 0, len(RELEASES) - 1)
        self.release = np.clip(release - users.release_lag[self.user], 0, None)
        self._ctx = [
            f'"os": "{os}", "country": "{c}"}}}}'
            for os, c in zip(users.os, users.country, strict=True)
        ]
        self._layout = JsonLayout.of(EVENT_COLUMNS)

    def new_key(self) -> str:
        return uuid_text(self._rng.bytes(16).hex())

    def _values(self, i: int, mid: str, ts: str, received: str) -> list[Value]:
        u, kind = int(self.user[i]), int(self.kind[i])
        users = self.users
        signup = kind == SIGN_UP
        person = int(users.person[u])
        return [
            mid,
            EVENTS[kind],
            users.user_id[u],
            ts,
            received,
            users.email[u] if signup else ABSENT,
            users.phone[u] if signup else ABSENT,
            users.plan[u],
            self._pop.channel[person] if signup else ABSENT,
            FEATURES[int(self.feature[i])] if kind == FEATURE else ABSENT,
            int(self.session[i]) if kind == SESSION else ABSENT,
            RELEASES[int(self.release[i])],
            users.os[u],
            users.country[u],
        ]

    def batch(self, day: int) -> Batch:
        lo, hi = int(self._bounds[day]), int(self._bounds[day + 1])
        users, n = self.users, hi - lo
        sl = slice(lo, hi)
        user = self.user[sl]
        ts = self._pop.zones.local_text(self.ts[sl], users.tz[user], unit="ms")
        received = utc_text(self.received[sl], "z_ms")
        hexes = self._rng.bytes(16 * n).hex()
        mids = [uuid_text(hexes[32 * j : 32 * j + 32]) for j in range(n)]
        lines: list[str] = []
        identities: list[Identity] = []
        kinds, releases = self.kind[sl].tolist(), self.release[sl].tolist()
        sessions, features = self.session[sl].tolist(), self.feature[sl].tolist()
        for j, u in enumerate(user.tolist()):
            kind = kinds[j]
            if kind == SIGN_UP:
                values = self._values(lo + j, mids[j], ts[j], received[j])
                lines.append(self._layout.render(values))
                person = int(users.person[u])
                identities.append(Identity(mids[j], person, users.email[u], users.phone[u]))
                continue
            props = f'"plan": "{users.plan[u]}"'
            if kind == SESSION:
                props += f', "session_seconds": {sessions[j]}'
            elif kind == FEATURE:
                props += f', "feature": "{FEATURES[features[j]]}"'
            lines.append(
                f'{{"message_id": "{mids[j]}", "event": "{EVENTS[kind]}", '
                f'"user_id": "{users.user_id[u]}", "timestamp": "{ts[j]}", '
                f'"received_at": "{received[j]}", "properties": {{{props}}}, '
                f'"context": {{"app_version": "{RELEASES[releases[j]]}", {self._ctx[u]}'
            )
        return Batch(
            lines=lines,
            values=lambda j: self._values(lo + j, mids[j], ts[j], received[j]),
            late=int(self.late[sl].sum()),
            identities=identities,
        )

    def summary(self) -> dict[str, Any]:
        counts = np.bincount(self.kind, minlength=len(EVENTS))
        return {
            "users": len(self.users.person),
            "events_by_type": {e: int(c) for e, c in zip(EVENTS, counts, strict=True)},
            **self.stats,
        }

    def persons_with_events(self) -> npt.NDArray[np.bool_]:
        seen = np.zeros(self._pop.n, dtype=bool)
        seen[self.users.person[np.unique(self.user)]] = True
        return seen
