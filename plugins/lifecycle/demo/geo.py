"""Country facts the demo draws from: weights, cities and zones, currencies, phone numbering plans.

Phone numbers are kept as their parts (country code plus national groups) so every written
variant (E.164, spaced, dashed, `00`-prefixed, national with trunk 0) is rendered from one
truth and normalises back to the same E.164 value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "NL", "JP", "AU", "CA")
COUNTRY_WEIGHTS: tuple[float, ...] = (0.30, 0.18, 0.15, 0.08, 0.07, 0.07, 0.07, 0.08)

CURRENCY: dict[str, str] = {
    "US": "USD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "JP": "JPY",
    "AU": "AUD",
    "CA": "CAD",
}
# Units of each currency per US dollar; fixed so totals are reproducible.
USD_RATE: dict[str, float] = {
    "USD": 1.0,
    "GBP": 0.79,
    "EUR": 0.92,
    "JPY": 150.0,
    "AUD": 1.52,
    "CAD": 1.36,
}
ZERO_DECIMAL_CURRENCIES: tuple[str, ...] = ("JPY",)

# The only spellings any system writes for a country (downstream maps exactly these).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "US": ("United States", "USA", "US", "us"),
    "GB": ("United Kingdom", "UK", "GB"),
    "DE": ("Germany", "Deutschland", "DE"),
    "FR": ("France", "FR"),
    "NL": ("Netherlands", "Holland", "NL"),
    "JP": ("Japan", "JP"),
    "AU": ("Australia", "AU"),
    "CA": ("Canada", "CA"),
}

CALLING_CODE: dict[str, str] = {
    "US": "1",
    "CA": "1",
    "GB": "44",
    "DE": "49",
    "FR": "33",
    "NL": "31",
    "JP": "81",
    "AU": "61",
}


@dataclass(frozen=True)
class City:
    name: str
    tz: str
    # National area prefixes of fixed lines in this city (without trunk 0); empty = mobiles only.
    areas: tuple[str, ...]


CITIES: dict[str, tuple[City, ...]] = {
    "US": (
        City("New York", "America/New_York", ("212", "646", "718")),
        City("Boston", "America/New_York", ("617", "857")),
        City("Chicago", "America/Chicago", ("312", "773")),
        City("Austin", "America/Chicago", ("512", "737")),
        City("Denver", "America/Denver", ("303", "720")),
        City("San Francisco", "America/Los_Angeles", ("415", "628")),
        City("Los Angeles", "America/Los_Angeles", ("213", "310")),
        City("Seattle", "America/Los_Angeles", ("206",)),
    ),
    "GB": (
        City("London", "Europe/London", ("20",)),
        City("Manchester", "Europe/London", ("161",)),
        City("Bristol", "Europe/London", ()),
        City("Leeds", "Europe/London", ()),
    ),
    "DE": (
        City("Berlin", "Europe/Berlin", ("30",)),
        City("Munich", "Europe/Berlin", ("89",)),
        City("Hamburg", "Europe/Berlin", ("30", "89")),
        City("Frankfurt", "Europe/Berlin", ("30", "89")),
    ),
    "FR": (
        City("Paris", "Europe/Paris", ("1",)),
        City("Lyon", "Europe/Paris", ("4",)),
        City("Marseille", "Europe/Paris", ("4",)),
        City("Toulouse", "Europe/Paris", ("5",)),
    ),
    "NL": (
        City("Amsterdam", "Europe/Amsterdam", ("20",)),
        City("Rotterdam", "Europe/Amsterdam", ("10",)),
        City("Utrecht", "Europe/Amsterdam", ("30",)),
    ),
    "JP": (
        City("Tokyo", "Asia/Tokyo", ("3",)),
        City("Osaka", "Asia/Tokyo", ("6",)),
    ),
    "AU": (
        City("Sydney", "Australia/Sydney", ("2",)),
        City("Melbourne", "Australia/Melbourne", ("3",)),
        City("Brisbane", "Australia/Brisbane", ("7",)),
        City("Perth", "Australia/Perth", ("8",)),
    ),
    "CA": (
        City("Toronto", "America/Toronto", ("416", "647")),
        City("Vancouver", "America/Vancouver", ("604", "778")),
        City("Montreal", "America/Toronto", ("514",)),
        City("Calgary", "America/Edmonton", ("403",)),
    ),
}

ZONE_NAMES: tuple[str, ...] = tuple(sorted({c.tz for cs in CITIES.values() for c in cs}))


@dataclass(frozen=True)
class Phone:
    """One real phone number: country, calling code and national significant number in groups."""

    country: str
    code: str
    groups: tuple[str, ...]

    @property
    def e164(self) -> str:
        return "+" + self.code + "".join(self.groups)


def _digits(r: random.Random, n: int, first_nonzero: bool = True) -> str:
    head = str(r.randint(1, 9)) if first_nonzero else str(r.randint(0, 9))
    return head + "".join(str(r.randint(0, 9)) for _ in range(n - 1))


def make_phone(r: random.Random, country: str, city: City) -> Phone:
    """A realistic number: US/CA +1 area+7; GB +44 20/161/7xxx (10 digits); DE +49 30/89 + 7-8;
    FR +33, NL +31, AU +61 with 9 digits; JP +81 with 9-10. Fixed line in `city` or a mobile."""
    code = CALLING_CODE[country]
    mobile = not city.areas or r.random() < 0.45
    area = r.choice(city.areas) if city.areas else ""
    groups: tuple[str, ...]
    if country in ("US", "CA"):
        groups = (area, str(r.randint(200, 999)), _digits(r, 4, False))
    elif country == "GB":
        if mobile:
            groups = ("7" + _digits(r, 3), _digits(r, 6))
        elif area == "20":
            groups = ("20", _digits(r, 4), _digits(r, 4, False))
        else:
            groups = (area, _digits(r, 3), _digits(r, 4, False))
    elif country == "DE":
        area = area or r.choice(("30", "89"))
        groups = (area, _digits(r, r.choice((7, 8))))
    elif country == "FR":
        head = r.choice(("6", "7")) if mobile else area
        groups = (head, *(_digits(r, 2, False) for _ in range(4)))
    elif country == "NL":
        groups = ("6", _digits(r, 8)) if mobile else (area, _digits(r, 3), _digits(r, 4, False))
    elif country == "JP":
        head = r.choice(("90", "80", "70")) if mobile else area
        groups = (head, _digits(r, 4), _digits(r, 4, False))
    elif country == "AU":
        if mobile:
            groups = ("4" + _digits(r, 2, False), _digits(r, 3, False), _digits(r, 3, False))
        else:
            groups = (area, _digits(r, 4), _digits(r, 4, False))
    else:  # pragma: no cover - COUNTRIES is closed
        raise ValueError(f"no numbering plan for {country}")
    return Phone(country=country, code=code, groups=groups)
