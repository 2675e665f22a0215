"""Small helpers shared by the vendor simulators: time formats, parsing, stable ids, JSON responses.

Kept free of anything vendor-specific except the two timestamp styles the vendors write:
- Toast writes `2026-11-27T19:42:07.123+0000` (always UTC here; Toast's own examples use `+0000`).
- OpenTable Sync v2 writes `*_utc` fields as ISO-8601 with `Z`, and the plain fields (`scheduled_time`,
  `updated_at`, ...) as restaurant-local wall time without an offset.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

UTC = timezone.utc

# All GUIDs of the seeded world are uuid5 under this namespace, from fixed names.
SANDBOX_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hoststand.invalid/sandbox")

TOAST_EPOCH = "1970-01-01T00:00:00.000+0000"  # Toast's `deletedDate` when `deleted` is false


_NS_BYTES = SANDBOX_NAMESPACE.bytes


def stable_guid(*parts: object) -> str:
    """A uuid5 from fixed names: the same parts always give the same GUID.

    Equal to `str(uuid.uuid5(SANDBOX_NAMESPACE, ":".join(parts)))`, computed without building UUID
    objects (seeding a 1,000-reservation world makes tens of thousands of these).
    """
    name = ":".join(str(p) for p in parts).encode("utf-8")
    h = bytearray(hashlib.sha1(_NS_BYTES + name).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x50
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def to_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")
    return dt.astimezone(UTC)


def toast_ts(dt: datetime | None) -> str | None:
    """Toast's timestamp style: UTC with milliseconds and a `+0000` offset."""
    if dt is None:
        return None
    dt = to_utc(dt)
    return _fmt(dt, True) + "+0000"


def iso_z(dt: datetime | None) -> str | None:
    """UTC ISO-8601 with milliseconds and `Z` (OpenTable `*_utc` fields)."""
    if dt is None:
        return None
    return _fmt(to_utc(dt), True) + "Z"


def local_naive(dt: datetime | None, tz: ZoneInfo, *, millis: bool = False) -> str | None:
    """Restaurant-local wall time without an offset (OpenTable's plain time fields)."""
    if dt is None:
        return None
    return _fmt(to_utc(dt).astimezone(tz), millis)


def _fmt(d: datetime, millis: bool) -> str:
    return d.replace(tzinfo=None).isoformat(timespec="milliseconds" if millis else "seconds")


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_iso(text: str, naive_tz: ZoneInfo | timezone = UTC) -> datetime:
    """Parse ISO-8601 as clients send it: `Z`, `+00:00`, `+0000`, `+01`, fractions, or no offset.

    A value without an offset is read in `naive_tz`. Returns an aware UTC datetime.
    Raises ValueError on anything else.
    """
    m = _ISO_RE.match(text.strip())
    if not m:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    base = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro)
    if off is None:
        aware = base.replace(tzinfo=naive_tz)
    elif off in ("Z", "z"):
        aware = base.replace(tzinfo=UTC)
    else:
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or 0)
        aware = base.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return aware.astimezone(UTC)


def service_date(now: datetime, tz: ZoneInfo, rollover_hour: int = 4) -> date:
    """The service day `now` belongs to: a night runs past midnight until `rollover_hour` local."""
    return (to_utc(now).astimezone(tz) - timedelta(hours=rollover_hour)).date()


def business_date_int(when: datetime, tz: ZoneInfo, closeout_hour: int = 4) -> int:
    """Toast `businessDate`: yyyyMMdd as an int, in the restaurant's zone, after its closeout hour."""
    d = service_date(when, tz, closeout_hour)
    return d.year * 10000 + d.month * 100 + d.day


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class JSON(Response):
    """A JSON response serialized with the stdlib (compact, UTF-8)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def int_param(value: str | None, default: int, *, name: str, minimum: int = 0) -> int:
    """Parse an integer query parameter; ValueError with a client-readable message when bad."""
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    return n
