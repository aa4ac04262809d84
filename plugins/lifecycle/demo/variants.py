"""Messy spellings of one identity: e-mail, phone and country as each system writes them.

Every variant is produced from the canonical value, and `normalise_email` is the rule the
pipeline applies (trim, lower-case, drop a `+tag`, validate), so the truth can state what a
raw value must normalise to.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import TYPE_CHECKING

from lifecycle.demo.geo import SPELLINGS, Phone

if TYPE_CHECKING:
    import random

EMAIL_PATTERN = re.compile(r"[a-z0-9._%-]+@[a-z0-9.-]+\.[a-z]{2,}")

EMAIL_KINDS: tuple[str, ...] = (
    "exact",
    "title",
    "upper",
    "spaces",
    "tag",
    "tag_title",
    "invalid",
    "missing",
)
_EMAIL_WEIGHTS: dict[str, tuple[float, ...]] = {
    "crm": (0.60, 0.13, 0.03, 0.06, 0.04, 0.01, 0.03, 0.10),
    "shop": (0.55, 0.08, 0.04, 0.05, 0.17, 0.03, 0.02, 0.06),
    "support": (0.55, 0.12, 0.05, 0.10, 0.05, 0.01, 0.05, 0.07),
    "app": (0.68, 0.06, 0.02, 0.06, 0.07, 0.01, 0.03, 0.07),
}
_EMAIL_CUM = {k: tuple(accumulate(w)) for k, w in _EMAIL_WEIGHTS.items()}
TAGS: dict[str, tuple[str, ...]] = {
    "crm": ("crm", "work"),
    "shop": ("shop", "orders", "store"),
    "support": ("support", "help"),
    "app": ("app", "signup"),
}

PHONE_FORMS: tuple[str, ...] = ("e164", "intl_space", "intl_dash", "intl_00", "national", "missing")
_PHONE_WEIGHTS: dict[str, tuple[float, ...]] = {
    "crm": (0.15, 0.25, 0.05, 0.05, 0.35, 0.15),
    "shop": (0.30, 0.15, 0.10, 0.05, 0.20, 0.20),
    "support": (0.20, 0.20, 0.05, 0.05, 0.0, 0.50),
    "app": (0.35, 0.10, 0.05, 0.02, 0.08, 0.40),
}
_PHONE_CUM = {k: tuple(accumulate(w)) for k, w in _PHONE_WEIGHTS.items()}


def normalise_email(raw: str | None) -> str:
    """The pipeline's rule: trim, lower-case, drop a `+tag` from the local part; invalid -> ""."""
    if raw is None:
        return ""
    text = raw.strip().lower()
    local, at, domain = text.partition("@")
    if at:
        text = local.split("+", 1)[0] + "@" + domain
    return text if EMAIL_PATTERN.fullmatch(text) else ""


def _title(email: str) -> str:
    local, _, domain = email.partition("@")
    parts = ".".join(p[:1].upper() + p[1:] for p in local.split("."))
    return parts + "@" + domain[:1].upper() + domain[1:]


def email_text(r: random.Random, canonical: str, kind: str, system: str) -> str | None:
    """`canonical` written as `kind` (see EMAIL_KINDS); None when the system has no e-mail."""
    local, _, domain = canonical.partition("@")
    if kind == "exact":
        return canonical
    if kind == "title":
        return _title(canonical)
    if kind == "upper":
        return canonical.upper()
    if kind == "spaces":
        lead, trail = r.choice(((" ", ""), ("", " "), (" ", " "), ("  ", " ")))
        return lead + canonical + trail
    if kind in ("tag", "tag_title"):
        tagged = f"{local}+{r.choice(TAGS[system])}@{domain}"
        return _title(tagged) if kind == "tag_title" else tagged
    if kind == "invalid":
        return r.choice(("n/a", f"{local}@{domain.split('.')[0]}", ""))
    return None


def draw_email(r: random.Random, canonical: str, system: str) -> str | None:
    kind = r.choices(EMAIL_KINDS, cum_weights=_EMAIL_CUM[system])[0]
    return email_text(r, canonical, kind, system)


def phone_text(r: random.Random, phone: Phone, form: str) -> str | None:
    """`phone` written in `form` (see PHONE_FORMS); national forms use the trunk prefix."""
    groups = phone.groups
    if form == "e164":
        return phone.e164
    if form == "intl_space":
        return f"+{phone.code} " + " ".join(groups)
    if form == "intl_dash":
        return f"+{phone.code}-" + "-".join(groups)
    if form == "intl_00":
        return f"00{phone.code} " + " ".join(groups)
    if form == "national":
        if phone.code == "1":
            a, b, c = groups
            return r.choice((f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"{a}-{b}-{c}"))
        sep = "-" if phone.country == "JP" else " "
        return "0" + groups[0] + sep + sep.join(groups[1:])
    return None


def draw_phone(r: random.Random, phone: Phone, system: str, national_ok: bool) -> str | None:
    """A phone as `system` writes it. National forms only where the record names the country."""
    form = r.choices(PHONE_FORMS, cum_weights=_PHONE_CUM[system])[0]
    if form == "national" and not national_ok:
        form = "intl_space"
    return phone_text(r, phone, form)


def draw_country(r: random.Random, iso: str) -> str:
    return r.choice(SPELLINGS[iso])


def requester_name(r: random.Random, first: str, last: str) -> str:
    """How a support requester's name arrives (mail clients are not consistent)."""
    roll = r.random()
    if roll < 0.70:
        return f"{first} {last}"
    if roll < 0.80:
        return f"{first} {last}".lower()
    if roll < 0.90:
        return f"{first[0]}. {last}"
    return first
