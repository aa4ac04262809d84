"""The `sql` kind (being built: issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.config import SourceConfig, TableConfig
    from lifecycle.readers import Delivery


def open_delivery(source: SourceConfig, table: TableConfig, day: date) -> Delivery:
    raise NotImplementedError("the sql reader is not built yet")
