"""When a party can sit: the earliest moment a table, or a pair of combinable tables, is free for the
party's whole expected turn, given when each table is taken.

Which tables are candidates, and which one is best once several are free at that moment, follow the
table-fitting rules (`fitting.suggest_tables`): a single table the party fits, a below-minimum table after
the proper ones, a combinable pair only for a party too big for either table alone. The expected turn may
depend on when the party sits (the day part), so the search also stops at each day-part change, where a
shorter turn may fit before the next party.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo

from hoststand.domain.fitting import Interval, suggest_tables
from hoststand.domain.model import FloorLayout, Table


def earliest_free(
    spans: Iterable[Interval],
    start: datetime,
    turn_at: Callable[[datetime], timedelta],
    changes: Sequence[datetime] = (),
    give_up_at: datetime | None = None,
) -> datetime | None:
    """The first moment from `start` at which [moment, moment + turn) overlaps none of `spans`; None when
    it would be `give_up_at` or later.

    `changes` are the (sorted) instants at which `turn_at` may change.
    """
    ordered = sorted(spans)
    at = start
    while True:
        if give_up_at is not None and at >= give_up_at:
            return None
        end = at + turn_at(at)
        blocker = next(((s, e) for s, e in ordered if s < end and e > at), None)
        if blocker is None:
            return at
        busy_start, busy_end = blocker
        step = busy_end
        if busy_start > at:  # only the tail of the turn runs into it: a shorter turn may fit sooner
            step = next((c for c in changes if at < c < busy_end), busy_end)
        at = step


def _pairs(tables: Sequence[Table]) -> list[tuple[Table, Table]]:
    by_id = {t.id: t for t in tables}
    seen: set[tuple[str, str]] = set()
    pairs = []
    for a in tables:
        for other in a.combinable_with:
            b = by_id.get(other)
            if b is None or b.id == a.id:
                continue
            key = (min(a.id, b.id), max(a.id, b.id))
            if key not in seen:
                seen.add(key)
                pairs.append((by_id[key[0]], by_id[key[1]]))
    return pairs


def earliest_fit(
    party_size: int,
    start: datetime,
    turn_at: Callable[[datetime], timedelta],
    layout: FloorLayout,
    busy: Mapping[str, Sequence[Interval]],
    *,
    now: datetime,
    blocked: Set[str] = frozenset(),
    changes: Sequence[datetime] = (),
    tz: tzinfo = timezone.utc,
) -> tuple[tuple[str, ...], datetime] | None:
    """(the best tables, the moment) at the earliest moment from `start` that some table or combinable pair
    can take `party_size` for its whole turn; None when no table or pair could ever seat the party."""
    tables = [t for t in layout.tables if t.id not in blocked]
    candidates: list[Sequence[Interval]] = [busy.get(t.id, ()) for t in tables if party_size <= t.max_seats]
    for a, b in _pairs(tables):
        if max(a.max_seats, b.max_seats) < party_size <= a.max_seats + b.max_seats:
            candidates.append([*busy.get(a.id, ()), *busy.get(b.id, ())])
    # The soonest of the candidates; a candidate free from `start` cannot be beaten.
    candidates.sort(key=len)
    moment: datetime | None = None
    for spans in candidates:
        found = earliest_free(spans, start, turn_at, changes, give_up_at=moment)
        if found is not None:
            moment = found
            if moment == start:
                break
    if moment is None:
        return None
    # Rank only the tables free at that moment (the others could not be suggested anyway): much faster.
    turn = turn_at(moment)
    end = moment + turn
    free = tuple(t for t in tables if not any(s < end and e > moment for s, e in busy.get(t.id, ())))
    fits = suggest_tables(
        party_size, moment, turn, replace(layout, tables=free), busy, now=min(now, moment), limit=1, tz=tz
    )
    return (fits[0].table_ids, moment) if fits else None
