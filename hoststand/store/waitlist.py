"""Waitlist persistence: walk-in parties waiting for a table (schema v2 `waitlist` rows), read and written as
domain `WaitlistEntry` objects through an open session, like the other repositories.

Also the two small reads the waitlist and pacing services need beside it: the tables a manager took out of
service (`table_block`, read only here), and removing the walk-in reservation a failed seating created.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, or_, select

from hoststand.domain.model import WaitlistEntry
from hoststand.store.entities import allergens_of
from hoststand.store.rows import GuestRow, ReservationRow, TableBlockRow, TicketRow, WaitlistRow


def _notifications(raw: Iterable) -> tuple[tuple[datetime, str], ...]:
    out = []
    for item in raw or ():
        try:
            when, how = item
            out.append((datetime.fromisoformat(when), str(how)))
        except (TypeError, ValueError):
            continue
    return tuple(out)


def entry_from_row(r: WaitlistRow) -> WaitlistEntry:
    return WaitlistEntry(
        id=r.id,
        name=r.name,
        party_size=r.party_size,
        added_at=r.added_at,
        phone=r.phone,
        notes=r.notes,
        allergens=allergens_of(r.allergens),
        allergy_notes=r.allergy_notes,
        quoted_minutes=r.quoted_minutes,
        status=r.status,
        removed_reason=r.removed_reason,
        seated_at=r.seated_at,
        notified_at=r.notified_at,
        notified_how=r.notified_how,
        quoted_at=r.quoted_at,
        dietary=tuple(r.dietary or ()),
        reservation_id=r.reservation_id,
        table_ids=tuple(r.table_ids or ()),
        notifications=_notifications(r.notifications),
    )


def _values(e: WaitlistEntry) -> dict:
    return dict(
        name=e.name,
        party_size=e.party_size,
        added_at=e.added_at,
        phone=e.phone,
        notes=e.notes,
        allergens=sorted(a.value for a in e.allergens),
        allergy_notes=e.allergy_notes,
        dietary=list(e.dietary),
        quoted_minutes=e.quoted_minutes,
        quoted_at=e.quoted_at,
        status=e.status,
        removed_reason=e.removed_reason,
        seated_at=e.seated_at,
        notified_at=e.notified_at,
        notified_how=e.notified_how,
        notifications=[[when.isoformat(), how] for when, how in e.notifications],
        reservation_id=e.reservation_id,
        table_ids=list(e.table_ids),
    )


def save_entry(s: Session, e: WaitlistEntry) -> None:
    """Insert or update one entry."""
    row = s.get(WaitlistRow, e.id)
    values = _values(e)
    if row is None:
        s.add(WaitlistRow(id=e.id, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def get_entry(s: Session, entry_id: str) -> WaitlistEntry | None:
    row = s.get(WaitlistRow, entry_id)
    return entry_from_row(row) if row else None


def entries_between(s: Session, start: datetime, end: datetime) -> list[WaitlistEntry]:
    """Entries added in [start, end) (a service day's window), in the order they were added."""
    stmt = (
        select(WaitlistRow)
        .where(WaitlistRow.added_at >= start, WaitlistRow.added_at < end)
        .order_by(WaitlistRow.added_at, WaitlistRow.id)
    )
    return [entry_from_row(r) for r in s.exec(stmt)]


def blocked_tables(s: Session, at: datetime) -> frozenset[str]:
    """Tables out of service at `at` (blocked since then or earlier, and not yet given back)."""
    stmt = select(TableBlockRow.table_id).where(
        TableBlockRow.since <= at, or_(col(TableBlockRow.until).is_(None), TableBlockRow.until > at)
    )
    return frozenset(s.exec(stmt))


def discard_walk_in(s: Session, reservation_id: str) -> bool:
    """Delete a walk-in reservation that never sat (a seating that did not go through) and its guest.

    Refuses anything else: a reservation that is not a walk-in, that was seated, or that has a ticket."""
    row = s.get(ReservationRow, reservation_id)
    if row is None or row.source != "walk_in" or row.seated_at is not None:
        return False
    if s.exec(select(TicketRow.id).where(TicketRow.reservation_id == reservation_id).limit(1)).first() is not None:
        return False
    guest = s.get(GuestRow, row.guest_id) if row.guest_id else None
    s.delete(row)
    if guest is not None and guest.source == "walk_in":
        s.delete(guest)
    return True


__all__ = [
    "blocked_tables",
    "discard_walk_in",
    "entries_between",
    "entry_from_row",
    "get_entry",
    "save_entry",
]
