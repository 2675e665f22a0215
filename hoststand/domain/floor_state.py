"""The floor at a moment: each table's state, derived from reservations and POS tickets, never stored.

For each table, in this order: a party sits there (a seated reservation, or a live POS ticket such as a
walk-in's) → SEATED, refined by the ticket's course stage (ORDERED, MAINS, DESSERT, CHECK_DROPPED,
PAID); the manager blocked it → BLOCKED; a booked or arrived reservation assigned to it starts within
the hold window, or is late and its expected turn not yet over → HELD; else FREE.
Whether the POS data is stale is a separate flag, so the floor plan can grey a table without losing
what it last knew.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hoststand.domain.model import (
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
    TableState,
    Ticket,
)

_STAGE_STATE = {
    CourseStage.OPENED: TableState.SEATED,
    CourseStage.ORDERED: TableState.ORDERED,
    CourseStage.MAINS: TableState.MAINS,
    CourseStage.DESSERT: TableState.DESSERT,
    CourseStage.CHECK_DROPPED: TableState.CHECK_DROPPED,
    CourseStage.PAID: TableState.PAID,
}
_WAITING = (ReservationStatus.BOOKED, ReservationStatus.ARRIVED)


@dataclass(frozen=True)
class TableStatus:
    table_id: str
    state: TableState
    reservation_id: str | None = None  # the party seated there, or the one holding it
    party_name: str = ""
    covers: int = 0
    seated_since: datetime | None = None
    stage: CourseStage | None = None  # the live ticket's stage, when there is a ticket
    next_reservation_id: str | None = None  # the next booked or arrived party assigned to the table
    next_start: datetime | None = None
    stale: bool = False  # the POS has not been heard from within the stale threshold


def _occupies(ticket: Ticket) -> bool:
    """A ticket still on the table: open up to paid (a paid party may still be sitting). A placeholder
    opened ahead of a reservation occupies nothing: the party is not there yet (the table shows as held)."""
    return (
        ticket.table_id is not None
        and ticket.closed_at is None
        and ticket.stage in _STAGE_STATE
        and not ticket.placeholder
    )


_FAR_PAST = datetime.min.replace(tzinfo=timezone.utc)


def _by_start(r: Reservation) -> tuple:
    return (r.start, r.id)


def _by_seated(r: Reservation) -> tuple:
    return (r.seated_at or _FAR_PAST, r.id)


def _by_opened(t: Ticket) -> tuple:
    return (t.opened_at or _FAR_PAST, t.id)


def _ordered(items: list | None, key) -> list:  # noqa: ANN001
    """`items` sorted by `key` (most tables hold none or one: nothing to sort)."""
    if not items:
        return []
    return sorted(items, key=key) if len(items) > 1 else items


def _first(items: list | None, key):  # noqa: ANN001, ANN202
    """The least of `items` by `key`, or None."""
    if not items:
        return None
    return items[0] if len(items) == 1 else min(items, key=key)


def is_stale(pos_last_heard: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    """Whether POS data last heard at `pos_last_heard` is too old at `now` (never heard: stale)."""
    return pos_last_heard is None or now - pos_last_heard > stale_after


def derive_floor(
    layout: FloorLayout,
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    *,
    now: datetime,
    hold_window: timedelta,
    blocked: Set[str] = frozenset(),
    pos_last_heard: datetime | None,
    stale_after: timedelta,
) -> dict[str, TableStatus]:
    """Each layout table's status at `now`, keyed by table id in layout order."""
    stale = is_stale(pos_last_heard, now, stale_after)
    all_reservations = list(reservations)
    by_id = {r.id: r for r in all_reservations}
    seated: dict[str, list[Reservation]] = {}
    waiting: dict[str, list[Reservation]] = {}
    for res in all_reservations:
        if not res.table_ids:
            continue
        status = res.status
        if status == ReservationStatus.SEATED:
            into = seated
        elif status in _WAITING and res.end > now:
            into = waiting
        else:
            continue
        for table_id in res.table_ids:
            into.setdefault(table_id, []).append(res)
    live: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        if _occupies(ticket):
            live.setdefault(ticket.table_id, []).append(ticket)  # type: ignore[arg-type]

    result: dict[str, TableStatus] = {}
    for table in layout.tables:
        following = _first(waiting.get(table.id), _by_start)
        next_id = following.id if following else None
        next_start = following.start if following else None
        parties = _ordered(seated.get(table.id), _by_seated)
        tickets_here = _ordered(live.get(table.id), _by_opened)
        party = parties[0] if parties else None
        ticket = None
        if party is not None:
            ticket = next((t for t in tickets_here if t.reservation_id == party.id), None)
        if ticket is None and tickets_here:
            ticket = tickets_here[0]

        if party is not None or ticket is not None:
            holder = party
            if holder is None and ticket is not None and ticket.reservation_id is not None:
                holder = by_id.get(ticket.reservation_id)
            party_name = holder.guest_name if holder is not None else ""
            if not party_name:
                party_name = ticket.tab_name if ticket is not None and ticket.tab_name else "Walk-in"
            covers = ticket.covers if ticket is not None else 0
            if covers <= 0 and holder is not None:
                covers = holder.party_size
            seated_since = party.seated_at if party is not None else None
            if seated_since is None and ticket is not None:
                seated_since = ticket.opened_at
            reservation_id = holder.id if holder is not None else None
            if reservation_id is None and ticket is not None:
                reservation_id = ticket.reservation_id
            result[table.id] = TableStatus(
                table.id,
                _STAGE_STATE[ticket.stage] if ticket is not None else TableState.SEATED,
                reservation_id=reservation_id,
                party_name=party_name,
                covers=max(covers, 0),
                seated_since=seated_since,
                stage=ticket.stage if ticket is not None else None,
                next_reservation_id=next_id,
                next_start=next_start,
                stale=stale,
            )
        elif table.id in blocked:
            result[table.id] = TableStatus(table.id, TableState.BLOCKED, next_reservation_id=next_id, next_start=next_start,
                                           stale=stale)
        elif following is not None and following.start - hold_window <= now:
            result[table.id] = TableStatus(
                table.id,
                TableState.HELD,
                reservation_id=following.id,
                party_name=following.guest_name,
                covers=following.party_size,
                next_reservation_id=next_id,
                next_start=next_start,
                stale=stale,
            )
        else:
            result[table.id] = TableStatus(table.id, TableState.FREE, next_reservation_id=next_id, next_start=next_start,
                                           stale=stale)
    return result
