"""Strict readers for vendor JSON, shared by the adapters' mapping code.

A record that lacks a required field, or holds one of the wrong type, raises `MalformedRecord`; pulls catch
it, skip that record with a warning (field name only, never its value: guest data) and count it.
Timestamps are returned timezone-aware in UTC; money is returned as integer minor units, rounded half-even.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MalformedRecord(ValueError):
    """A vendor record cannot be mapped. `field` names the offending field (never its value)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def require_mapping(record: Any, what: str = "record") -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise MalformedRecord(what, f"expected an object, got {type(record).__name__}")
    return record


def req_str(record: Mapping[str, Any], key: str, *, allow_int: bool = True) -> str:
    """A required non-empty string (ids given as integers are accepted and turned into strings)."""
    value = record.get(key)
    if isinstance(value, bool):
        raise MalformedRecord(key, "expected a string, got a boolean")
    if allow_int and isinstance(value, int):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise MalformedRecord(key, "missing" if value is None else f"expected a string, got {type(value).__name__}")
    return value


def opt_str(record: Mapping[str, Any], key: str, *, allow_int: bool = True) -> str | None:
    """An optional string: None when absent or null; raises when present with another type."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedRecord(key, "expected a string, got a boolean")
    if allow_int and isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise MalformedRecord(key, f"expected a string, got {type(value).__name__}")
    return value


def text(record: Mapping[str, Any], key: str) -> str:
    """Optional free text, "" when absent."""
    return opt_str(record, key, allow_int=False) or ""


def req_int(record: Mapping[str, Any], key: str) -> int:
    value = opt_int(record, key)
    if value is None:
        raise MalformedRecord(key, "missing")
    return value


def opt_int(record: Mapping[str, Any], key: str) -> int | None:
    """An optional integer; integral numbers and digit strings ("4") are accepted."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedRecord(key, "expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise MalformedRecord(key, f"expected an integer, got {type(value).__name__}")


def opt_bool(record: Mapping[str, Any], key: str) -> bool:
    value = record.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise MalformedRecord(key, f"expected a boolean, got {type(value).__name__}")


def str_list(record: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings (numbers accepted); a lone string counts as a one-item list; absent → ()."""
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise MalformedRecord(key, f"expected a list, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise MalformedRecord(key, f"expected strings in the list, got {type(item).__name__}")
        item_text = str(item).strip()
        if item_text:
            out.append(item_text)
    return tuple(out)


def parse_timestamp(value: Any, *, field: str = "timestamp", naive_is_utc: bool = True) -> datetime | None:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    Accepts "Z", "+00:00" and Toast's "+0000" offsets, with or without fractions of a second. A value without
    an offset is UTC when `naive_is_utc` (the `*_utc` fields of OpenTable); otherwise it is refused.
    None or "" → None. The UNIX epoch itself (Toast's "not set" marker for deletedDate) → None.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRecord(field, f"expected a timestamp string, got {type(value).__name__}")
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise MalformedRecord(field, "not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise MalformedRecord(field, "timestamp without a UTC offset")
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return None if parsed == _EPOCH else parsed


def opt_timestamp(record: Mapping[str, Any], key: str, *, naive_is_utc: bool = True) -> datetime | None:
    return parse_timestamp(record.get(key), field=key, naive_is_utc=naive_is_utc)


def to_decimal(value: Any, *, field: str = "amount") -> Decimal:
    """A JSON number as an exact Decimal. Floats go through their shortest repr (8.5 → Decimal("8.5"))."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        raise MalformedRecord(field, "expected a number, got a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise MalformedRecord(field, "not a number") from None
    raise MalformedRecord(field, f"expected a number, got {type(value).__name__}")


def to_minor_units(amount: Decimal, *, exponent: int = 2) -> int:
    """Decimal major units (dollars) → integer minor units (cents), rounded half-even at the last digit."""
    scaled = (amount * (Decimal(10) ** exponent)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(scaled)


def ref_guid(record: Mapping[str, Any], key: str) -> str | None:
    """The `guid` of a nested reference object ({"guid": …, "entityType": …}); None when absent or null."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MalformedRecord(key, f"expected a reference object, got {type(value).__name__}")
    return opt_str(value, "guid", allow_int=False) or None
