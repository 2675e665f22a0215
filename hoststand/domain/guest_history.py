"""The guest's local history: each closed visit folded into the profile.

A closed POS check adds one visit, moves the last visit on, adds its spend (minor units) and covers, and
counts what was ordered (items compared without regard to case, the first spelling kept). The caller
records each closed check once; this function cannot tell a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from hoststand.domain.covers import spend_per_cover
from hoststand.domain.model import Guest

MAX_ITEMS_KEPT = 100  # the most ordered items kept on the profile


def record_visit(
    guest: Guest,
    *,
    closed_at: datetime,
    covers: int,
    total: int,
    items: Iterable[str] | Mapping[str, int] = (),
    currency: str | None = None,
) -> Guest:
    """`guest` with one more visit: closed at `closed_at`, `covers` guests, `total` spent (minor units),
    `items` ordered (names, repeated per portion, or a mapping name → count)."""
    if closed_at.tzinfo is None or closed_at.utcoffset() is None:
        raise ValueError("Times must be timezone-aware (UTC)")
    if covers < 0:
        raise ValueError("A cover count cannot be negative")
    new_currency = guest.currency
    if currency is not None and currency != guest.currency:
        if guest.total_spend != 0:
            raise ValueError(f"The guest's spend is in {guest.currency}, this check is in {currency}")
        new_currency = currency
    return replace(
        guest,
        visits=guest.visits + 1,
        last_visit=closed_at if guest.last_visit is None else max(guest.last_visit, closed_at),
        total_spend=guest.total_spend + total,
        total_covers=guest.total_covers + covers,
        items_ordered=_merge_items(guest.items_ordered, items),
        currency=new_currency,
    )


def _merge_items(
    known: tuple[tuple[str, int], ...], items: Iterable[str] | Mapping[str, int]
) -> tuple[tuple[str, int], ...]:
    counts: dict[str, list] = {name.casefold(): [name, count] for name, count in known}
    pairs = items.items() if isinstance(items, Mapping) else ((name, 1) for name in items)
    for raw, count in pairs:
        name = " ".join(raw.split())
        if not name or count <= 0:
            continue
        entry = counts.setdefault(name.casefold(), [name, 0])
        entry[1] += count
    ranked = sorted(counts.values(), key=lambda e: (-e[1], e[0].casefold()))
    return tuple((name, count) for name, count in ranked[:MAX_ITEMS_KEPT])


def average_spend_per_cover(guest: Guest) -> int | None:
    """Average spend per cover over the recorded visits, minor units; None before any covers."""
    return spend_per_cover(guest.total_spend, guest.total_covers)


def favourite_items(guest: Guest, n: int = 3) -> tuple[str, ...]:
    """The `n` items the guest ordered most."""
    return tuple(name for name, _ in guest.items_ordered[: max(n, 0)])
