"""Cover counts: the cover policy (who decides how many guests a party is), and covers booked, arrived,
seated and rung in on the POS, per 15-minute slot and per service.

Counting rules, in the terms of the host stand:
- booked: covers of reservations (not walk-ins) that start in the slot, as booked, unless cancelled or a
  no-show;
- arrived: covers of parties whose arrival was recorded in the slot;
- seated: covers of parties seated in the slot (by seated_at), plus POS tickets with no party (a walk-in
  opened straight on the POS) at the time they were opened;
- rung in: covers on POS tickets opened in the slot. Voided tickets never count; a placeholder (an empty
  ticket opened ahead of a reservation) counts only once its party sits, and then from the seating time.
Money is integer minor units everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from hoststand.domain.model import CourseStage, Reservation, ReservationStatus, Ticket

SLOT = timedelta(minutes=15)
WALK_IN_SOURCE = "walk_in"
_GONE = (ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW)


class CoverPolicy(StrEnum):
    POS_WINS = "pos_wins"  # once seated, the POS guest count is the truth (the default)
    HOST_WINS = "host_wins"  # the host's count at seating stays the truth


def covers_of(
    reservation: Reservation | None,
    ticket: Ticket | None,
    policy: CoverPolicy | str = CoverPolicy.POS_WINS,
    override: int | None = None,
) -> int:
    """How many covers a party counts for.

    A manual override wins over everything. Before the party sits, the booking's party size counts. Once
    seated (or finished), the POS ticket's covers count under "pos_wins", the host's party size under
    "host_wins"; a ticket with no covers (or a voided one) leaves the host's count. A ticket with no
    party (a walk-in) counts its own covers.
    """
    policy = CoverPolicy(policy)
    if override is not None:
        if override < 0:
            raise ValueError("A cover count cannot be negative")
        return override
    usable = ticket if ticket is not None and ticket.stage != CourseStage.VOIDED and ticket.covers > 0 else None
    if reservation is None:
        return usable.covers if usable is not None else 0
    seated = reservation.status in (ReservationStatus.SEATED, ReservationStatus.FINISHED)
    if seated and usable is not None and policy == CoverPolicy.POS_WINS:
        return usable.covers
    return reservation.party_size


def spend_per_cover(total: int, covers: int) -> int | None:
    """Average spend per cover in minor units, rounded half away from zero; None with no covers."""
    if covers <= 0:
        return None
    sign = -1 if total < 0 else 1
    return sign * ((2 * abs(total) + covers) // (2 * covers))


def is_placeholder(ticket: Ticket, reservation: Reservation | None) -> bool:
    """An empty ticket opened ahead of a reservation: stage OPENED, linked to a party that has not sat."""
    return (
        ticket.stage == CourseStage.OPENED
        and ticket.closed_at is None
        and reservation is not None
        and reservation.seated_at is None
        and reservation.status != ReservationStatus.SEATED
    )


@dataclass(frozen=True)
class CoverSlot:
    start_local: datetime  # the slot's start on the restaurant's wall clock
    booked: int = 0
    seated: int = 0
    rung_in: int = 0
    arrived: int = 0


@dataclass(frozen=True)
class CoverTotals:
    booked: int = 0
    arrived: int = 0
    seated: int = 0
    rung_in: int = 0


def _events(reservations: Iterable[Reservation], tickets: Iterable[Ticket]) -> list[tuple[str, datetime, int]]:
    """(measure, when, covers) for everything that counts."""
    by_id: dict[str, Reservation] = {}
    events: list[tuple[str, datetime, int]] = []
    for res in reservations:
        by_id[res.id] = res
        if res.source != WALK_IN_SOURCE and res.status not in _GONE:
            events.append(("booked", res.start, res.booked_party_size or res.party_size))
        if res.arrived_at is not None:
            events.append(("arrived", res.arrived_at, res.party_size))
        if res.seated_at is not None:
            events.append(("seated", res.seated_at, res.party_size))
    for ticket in tickets:
        if ticket.stage == CourseStage.VOIDED or ticket.opened_at is None:
            continue
        res = by_id.get(ticket.reservation_id) if ticket.reservation_id is not None else None
        if ticket.reservation_id is None:
            events.append(("arrived", ticket.opened_at, ticket.covers))
            events.append(("seated", ticket.opened_at, ticket.covers))
        if res is not None and is_placeholder(ticket, res):
            continue
        when = ticket.opened_at
        if res is not None and res.seated_at is not None:
            when = max(when, res.seated_at)
        events.append(("rung_in", when, ticket.covers))
    return events


def cover_slots(
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    *,
    day_start: datetime,
    day_end: datetime,
    tz: tzinfo,
) -> list[CoverSlot]:
    """Covers booked, arrived, seated and rung in per 15-minute slot of [day_start, day_end) (UTC)."""
    if day_end <= day_start:
        raise ValueError("The day must end after it starts")
    count = -(-(day_end - day_start) // SLOT)
    sums = [{"booked": 0, "arrived": 0, "seated": 0, "rung_in": 0} for _ in range(count)]
    for measure, when, covers in _events(reservations, tickets):
        if day_start <= when < day_end:
            sums[(when - day_start) // SLOT][measure] += covers
    return [CoverSlot((day_start + i * SLOT).astimezone(tz), **s) for i, s in enumerate(sums)]


def cover_totals(
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    *,
    day_start: datetime,
    day_end: datetime,
) -> CoverTotals:
    """Covers booked, arrived, seated and rung in over the whole service [day_start, day_end) (UTC)."""
    sums = {"booked": 0, "arrived": 0, "seated": 0, "rung_in": 0}
    for measure, when, covers in _events(reservations, tickets):
        if day_start <= when < day_end:
            sums[measure] += covers
    return CoverTotals(**sums)
