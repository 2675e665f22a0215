"""Restaurant-level settings the core needs (time zone, service day, windows), as plain values.

`hoststand/config.py` reads them from TOML; the core receives this object and never reads files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RestaurantSettings:
    name: str = "Restaurant"
    timezone: str = "America/New_York"
    service_day_rollover_hour: int = 4  # a service day runs past midnight until this local hour
    hold_window: timedelta = timedelta(minutes=30)  # a table is "held" this long before its reservation
    no_show_grace: timedelta = timedelta(minutes=15)
    stale_after: timedelta = timedelta(minutes=5)  # data older than this is marked stale
    undo_window: timedelta = timedelta(minutes=5)
    currency: str = "USD"
    default_turn: timedelta = timedelta(minutes=90)
    placeholders: bool = True  # open a POS ticket ahead of each booked party (off: the POS stays read-only)
    placeholder_lead: timedelta = timedelta(minutes=30)  # how long before the booking its placeholder opens

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
