"""The shop's product catalogue with fixed prices per currency (minor units)."""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.demo.geo import CURRENCY, USD_RATE, ZERO_DECIMAL_CURRENCIES


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    usd: float

    def price_minor(self, currency: str) -> int:
        """Shelf price in `currency`: x.99 endings, or whole tens of yen."""
        local = self.usd * USD_RATE[currency]
        if currency in ZERO_DECIMAL_CURRENCIES:
            return max(10, round(local / 10) * 10)
        return max(99, round(local) * 100 - 1)


_ITEMS = """
Books|Pocket Notebook|4.99
Office|Gel Pen Set|7.99
Beauty|Lip Balm Trio|8.99
Home|Scented Candle|12.99
Books|Field Guide to Birds|16.99
Sports|Yoga Strap|14.99
Toys|Wooden Puzzle|19.99
Apparel|Merino Socks|22.99
Beauty|Face Serum|29.99
Home|Linen Tea Towels|24.99
Garden|Herb Seed Kit|18.99
Office|Desk Organizer|34.99
Apparel|Canvas Tote|39.99
Sports|Insulated Bottle|32.99
Electronics|USB-C Cable 2m|15.99
Electronics|Wireless Mouse|44.99
Toys|Building Blocks Set|59.99
Home|Ceramic Dinner Set|89.99
Apparel|Rain Jacket|119.99
Garden|Pruning Shears|49.99
Beauty|Hair Dryer|79.99
Sports|Running Shoes|129.99
Electronics|Bluetooth Speaker|99.99
Office|Ergonomic Chair|349.00
Home|Cast Iron Pan|69.99
Electronics|Noise-Cancelling Headphones|249.00
Apparel|Wool Coat|229.00
Home|Stand Mixer|399.00
Electronics|4K Monitor|449.00
Sports|Road Bike Helmet|159.00
Garden|Cordless Lawn Mower|499.00
Electronics|Laptop Stand|59.00
Office|Standing Desk|649.00
Electronics|Tablet 11-inch|599.00
Home|Espresso Machine|799.00
Electronics|Ultrabook 14-inch|1299.00
"""

CATALOG: tuple[Product, ...] = tuple(
    sorted(
        (
            Product(f"SKU-{10001 + n}", name, category, float(usd))
            for n, (category, name, usd) in enumerate(
                line.split("|") for line in _ITEMS.strip().splitlines()
            )
        ),
        key=lambda p: (p.usd, p.sku),
    )
)
USD_PRICES: tuple[float, ...] = tuple(p.usd for p in CATALOG)
# Shelf prices per currency, indexed like CATALOG (minor units).
PRICES: dict[str, tuple[int, ...]] = {
    c: tuple(p.price_minor(c) for p in CATALOG) for c in sorted(set(CURRENCY.values()))
}
