"""Table fitting: which free tables suit a party, best first.

A table fits when the party is within its seats (min_seats ≤ party ≤ max_seats) and it is free for the
whole expected turn, from the later of the booked start and now, for `duration`. A party smaller than a
table's minimum may still sit there, ranked after every proper fit. Only when no single table fits
properly are pairs of combinable tables considered (each too small alone, together big enough).
Ranking: proper before below-minimum, then fewest empty seats, then single before pair, then the
table that stays free longest after the turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import combinations

from hoststand.domain.model import FloorLayout, Table

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class TableFit:
    table_ids: tuple[str, ...]
    seats: int
    waste: int  # empty seats once the party sits
    free_until: datetime | None  # when the table is next needed after the turn; None: not tonight
    reason: str  # plain words for the host: "4-top, free until 21:30"


def _free_until(
    intervals: Sequence[Interval], start: datetime, end: datetime
) -> tuple[bool, datetime | None]:
    """(free for [start, end), the start of its next busy interval after that)."""
    next_busy: datetime | None = None
    for busy_start, busy_end in intervals:
        if busy_start < end and busy_end > start:
            return False, None
        if busy_start >= end and (next_busy is None or busy_start < next_busy):
            next_busy = busy_start
    return True, next_busy


def _until_words(free_until: datetime | None, tz: tzinfo) -> str:
    if free_until is None:
        return "free for the rest of the night"
    return f"free until {free_until.astimezone(tz):%H:%M}"


def _combinable(a: Table, b: Table) -> bool:
    return b.id in a.combinable_with or a.id in b.combinable_with


def suggest_tables(
    party_size: int,
    start: datetime,
    duration: timedelta,
    layout: FloorLayout,
    busy: Mapping[str, Sequence[Interval]],
    *,
    now: datetime,
    blocked: Set[str] = frozenset(),
    limit: int = 5,
    tz: tzinfo = timezone.utc,
) -> list[TableFit]:
    """The best tables (or pairs of tables) for `party_size`, best first, at most `limit`.

    `busy` maps a table id to the [start, end) intervals it is taken (seated parties' expected ends,
    other reservations' turns). `tz` is the zone the reasons' times are written in.
    """
    if party_size < 1:
        raise ValueError("A party has at least one guest")
    if duration <= timedelta(0):
        raise ValueError("The expected turn must be longer than zero")
    turn_start = max(start, now)
    turn_end = turn_start + duration

    free: dict[str, datetime | None] = {}
    for table in layout.tables:
        if table.id in blocked:
            continue
        ok, until = _free_until(busy.get(table.id, ()), turn_start, turn_end)
        if ok:
            free[table.id] = until

    ranked: list[tuple[tuple, TableFit]] = []
    for table in layout.tables:
        if table.id not in free or party_size > table.max_seats:
            continue
        below_min = party_size < table.min_seats
        waste = table.max_seats - party_size
        shape = f"{table.max_seats}-top"
        if below_min:
            shape += f" (meant for {table.min_seats}+)"
        until = free[table.id]
        fit = TableFit((table.id,), table.max_seats, waste, until, f"{shape}, {_until_words(until, tz)}")
        ranked.append((_rank(below_min, waste, 1, until, table.name), fit))

    if not any(not key[0] for key, _ in ranked):
        for a, b in combinations([t for t in layout.tables if t.id in free], 2):
            if not _combinable(a, b) or party_size <= max(a.max_seats, b.max_seats):
                continue
            seats = a.max_seats + b.max_seats
            if party_size > seats:
                continue
            until = _earliest(free[a.id], free[b.id])
            reason = f"{a.name} + {b.name} together ({seats} seats), {_until_words(until, tz)}"
            fit = TableFit((a.id, b.id), seats, seats - party_size, until, reason)
            ranked.append((_rank(False, seats - party_size, 2, until, f"{a.name}+{b.name}"), fit))

    ranked.sort(key=lambda entry: entry[0])
    return [fit for _, fit in ranked[: max(limit, 0)]]


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _rank(below_min: bool, waste: int, tables: int, until: datetime | None, name: str) -> tuple:
    # Free all night sorts first; otherwise the later the table is needed again, the better.
    later_first = (0, 0.0) if until is None else (1, -until.timestamp())
    return (below_min, waste, tables, later_first, name)
