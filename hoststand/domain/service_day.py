"""The service day: which night an instant belongs to, in the restaurant's own time zone.

A service day starts at the rollover hour (say 04:00 local) and runs until the same hour next day, so a
ticket closed at 01:30 belongs to the evening before. Times in are UTC; DST nights are 23 or 25 hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

UTC = timezone.utc


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _check(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Times must be timezone-aware (UTC)")


def _check_hour(rollover_hour: int) -> None:
    if not 0 <= rollover_hour <= 23:
        raise ValueError("The rollover hour must be between 0 and 23")


def local(at_utc: datetime, tz: tzinfo | str) -> datetime:
    """`at_utc` on the restaurant's wall clock."""
    _check(at_utc)
    return at_utc.astimezone(_zone(tz))


def service_date(at_utc: datetime, tz: tzinfo | str, rollover_hour: int) -> date:
    """The service day `at_utc` belongs to: the local date, less one day before the rollover hour."""
    _check_hour(rollover_hour)
    wall = local(at_utc, tz)
    return wall.date() - timedelta(days=1) if wall.hour < rollover_hour else wall.date()


def _start(day: date, zone: tzinfo, rollover_hour: int) -> datetime:
    # When the rollover hour does not exist (a spring-forward gap), fold=0 reads it with the offset in
    # force before the gap, which is the first instant after it; when it happens twice (fall back), the
    # first time counts. Either way consecutive windows meet without a gap or an overlap.
    return datetime.combine(day, time(rollover_hour), tzinfo=zone).astimezone(UTC)


def service_window(day: date, tz: tzinfo | str, rollover_hour: int) -> tuple[datetime, datetime]:
    """[start, end) of service day `day` in UTC: from the rollover hour on `day` to the same hour next day."""
    _check_hour(rollover_hour)
    zone = _zone(tz)
    return _start(day, zone, rollover_hour), _start(day + timedelta(days=1), zone, rollover_hour)


def business_date_int(day: date) -> int:
    """`day` as the integer yyyyMMdd that POS APIs use (Toast businessDate)."""
    return day.year * 10000 + day.month * 100 + day.day


def date_from_business_int(value: int) -> date:
    """The date of a yyyyMMdd integer; ValueError when it is not a real date."""
    return date(value // 10000, value // 100 % 100, value % 100)
