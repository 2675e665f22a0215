"""The POS's orders applied to the cache: tickets linked to parties, walk-ins, course-stage times, closed checks.

Rules (DESIGN.md §4 "who owns what"; the lifecycle issue):
- An order we sent is found by its idempotency handle; an order opened by hand at a table where a seated
  party has no ticket yet is that party's; any other live order is a **walk-in**: it appears on the floor as
  a party (a local reservation with `source="walk_in"`) and counts in covers. A ticket at a POS table that is
  not on the floor plan is kept (never dropped) and reported by the reconciliation.
- `stage_since` records when we first saw a ticket's course stage change (the pacing view's clock).
- When a party's check is paid or closed the POS has the last word: the party is finished, the table frees
  up, the booking platform is told (status, and the covers, spend, comps and items the check closed with),
  and the guest's local history gains the visit — exactly once, on that transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session

from hoststand.connectors.base import RemoteOrder
from hoststand.domain import service_day
from hoststand.domain.covers import covers_of
from hoststand.domain.guest_history import record_visit
from hoststand.domain.lifecycle import transition
from hoststand.domain.model import (
    ActionTarget,
    AuditEntry,
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
    Ticket,
)
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox, repos
from hoststand.sync.payloads import pos_data_payload, status_payload
from hoststand.sync.tables import TableIdentity

S = ReservationStatus
WALK_IN = "walk_in"
LINK_WINDOW = timedelta(minutes=45)  # how near a party's seating a ticket opened by hand counts as its own


@dataclass
class OrdersApplied:
    reservation_ids: set[str] = field(default_factory=set)
    table_ids: set[str] = field(default_factory=set)
    finished: int = 0
    walk_ins: int = 0


def apply_orders(
    s: Session,
    orders: tuple[RemoteOrder, ...],
    *,
    day: date,
    now: datetime,
    layout: FloorLayout,
    settings: RestaurantSettings,
    booking_source: str,
) -> OrdersApplied:
    out = OrdersApplied()
    bdate = service_day.business_date_int(day)
    identity = TableIdentity.load(s, layout)
    reservations = {r.id: r for r in repos.reservations_for_day(s, day)}
    tickets = repos.tickets_for_business_date(s, bdate)
    by_pos = {t.pos_id: t for t in tickets if t.pos_id}
    by_ext = {t.external_id: t for t in tickets if t.external_id}
    linked = {t.reservation_id for t in tickets if t.reservation_id and t.is_live}
    known = {t.id for t in tickets}
    voiding = outbox.tickets_being_voided(s)  # voided here, the void not yet at the POS: it stays voided
    at_table: dict[str, list[str]] = {}  # booked parties by table, in the day's order (ids: entries get replaced)
    for r in reservations.values():
        if r.source != WALK_IN:
            for t in dict.fromkeys(r.table_ids):
                at_table.setdefault(t, []).append(r.id)
    changes: list[tuple[Ticket, int | None]] = []
    new_reservations: list[tuple[Reservation, date, str | None]] = []

    for order in orders:
        table_id = identity.table_for_guid(order.table_guid) if order.table_guid else None
        ticket = by_pos.get(order.guid) or (by_ext.get(order.external_id) if order.external_id else None)
        if ticket is None and order.external_id:
            ticket = repos.ticket_by_external_id(s, order.external_id)
        if ticket is None:
            if order.stage is CourseStage.VOIDED:
                continue  # a ticket voided before we ever saw it: nothing happened at a table
            reservation_id = _party_without_ticket(order, table_id, reservations, at_table, linked)
            if reservation_id is None:
                walk_in = _walk_in(order, table_id, now, settings)
                reservations[walk_in.id] = walk_in
                new_reservations.append((walk_in, day, None))
                reservation_id = walk_in.id
                out.walk_ins += 1
            ticket = Ticket(
                id=repos.new_id(),
                table_id=table_id,
                reservation_id=reservation_id,
                covers=order.number_of_guests or 0,
                pos_id=order.guid,
                external_id=order.external_id,
                pos_table_guid=order.table_guid,
                opened_at=order.opened_at or now,
            )
            linked.add(reservation_id)
        stage = ticket.stage if ticket.id in voiding and ticket.stage is CourseStage.VOIDED else order.stage
        stage_changed = ticket.id not in known or stage is not ticket.stage
        updated = replace(
            ticket,
            pos_id=order.guid,
            table_id=table_id or ticket.table_id,
            pos_table_guid=order.table_guid,
            covers=order.number_of_guests if order.number_of_guests and order.number_of_guests > 0 else ticket.covers,
            stage=stage,
            server_id=order.server_guid,
            opened_at=ticket.opened_at or order.opened_at,
            closed_at=order.closed_at or order.paid_at,
            subtotal=order.subtotal,
            total=order.total,
            comps=order.comps,
            currency=order.currency,
            tab_name=order.tab_name,
            item_names=order.item_names,
            stage_since=(order.modified_at or now) if stage_changed else ticket.stage_since,
            last_seen=now,
        )
        if updated != ticket or ticket.id not in known:
            changes.append((updated, bdate))
            if updated.table_id:
                out.table_ids.add(updated.table_id)
            if updated.reservation_id:
                out.reservation_ids.add(updated.reservation_id)
        res = reservations.get(updated.reservation_id) if updated.reservation_id else None
        if res is None and updated.reservation_id:
            res = repos.get_reservation(s, updated.reservation_id)
        if res is not None and res.status is S.SEATED and not updated.is_live and updated.stage is not CourseStage.VOIDED:
            finished = _finish(s, res, updated, now, layout=layout, settings=settings, booking_source=booking_source)
            reservations[res.id] = finished
            out.reservation_ids.add(res.id)
            out.finished += 1

    repos.upsert_reservations(s, new_reservations)
    repos.upsert_tickets(s, changes)
    return out


def adopt_walk_ins(s: Session, parties: list[Reservation], *, day: date, link_window: timedelta = LINK_WINDOW) -> set[str]:
    """A party the platform reports seated (or finished) at a table where we took the POS's ticket for a
    walk-in (the order arrived before the reservation did) takes that ticket back; the mistaken walk-in
    disappears. Returns the reservation ids touched. One read of the night's tickets, whatever the size."""
    wanted = [r for r in parties if r.status in (S.SEATED, S.FINISHED) and r.table_ids and r.source != WALK_IN]
    if not wanted:
        return set()
    tickets = repos.tickets_for_business_date(s, service_day.business_date_int(day))
    walk_ins = {r.id: r for r in repos.reservations_for_day(s, day, source=WALK_IN)}
    if not walk_ins:
        return set()
    has_ticket = {t.reservation_id for t in tickets if t.reservation_id and t.stage is not CourseStage.VOIDED}
    by_table: dict[str, list[Ticket]] = {}
    for t in tickets:
        if t.table_id and t.reservation_id in walk_ins and not t.placeholder:
            by_table.setdefault(t.table_id, []).append(t)
    touched: set[str] = set()
    for res in wanted:
        if res.id in has_ticket:
            continue
        when = res.seated_at or res.start
        for table_id in res.table_ids:
            t = next((t for t in by_table.get(table_id, ()) if t.reservation_id in walk_ins and t.opened_at
                      and abs(t.opened_at - when) <= link_window), None)
            if t is None:
                continue
            owner = walk_ins.pop(t.reservation_id)
            repos.save_ticket(s, replace(t, reservation_id=res.id))
            repos.delete_reservation(s, owner.id)
            has_ticket.add(res.id)
            touched |= {res.id, owner.id}
            break
    return touched


def _party_without_ticket(
    order: RemoteOrder,
    table_id: str | None,
    reservations: dict[str, Reservation],
    at_table: dict[str, list[str]],
    linked: set[str],
) -> str | None:
    """A ticket opened by hand at a table where a party sits without a ticket belongs to that party; a closed
    one belongs to the finished party that sat there at the time. (`at_table`: the booked parties' ids by table,
    so that each new order looks at its table's parties, not at the whole night.)"""
    if table_id is None:
        return None
    opened = order.opened_at
    for rid in at_table.get(table_id, ()):
        res = reservations[rid]
        if res.id in linked or table_id not in res.table_ids or res.source == WALK_IN:
            continue
        if order.stage.is_live and res.status is S.SEATED:
            return res.id
        if not order.stage.is_live and res.status is S.FINISHED and opened is not None:
            sat = res.seated_at or res.start
            if abs(opened - sat) <= LINK_WINDOW:
                return res.id
    return None


def _walk_in(order: RemoteOrder, table_id: str | None, now: datetime, settings: RestaurantSettings) -> Reservation:
    opened = order.opened_at or now
    covers = order.number_of_guests if order.number_of_guests and order.number_of_guests > 0 else 1
    name = order.tab_name.strip() or "Walk-in"
    status = S.SEATED if order.stage.is_live else S.FINISHED
    return Reservation(
        id=repos.new_id(),
        source=WALK_IN,
        external_id=order.guid,
        party_size=covers,
        start=opened,
        duration=settings.default_turn,
        status=status,
        guest_name=name if name.lower().startswith("walk") else f"Walk-in · {name}",
        table_ids=(table_id,) if table_id else (),
        arrived_at=opened,
        seated_at=opened,
        finished_at=(order.closed_at or order.paid_at or now) if status is S.FINISHED else None,
        last_seen=now,
    )


def _finish(
    s: Session,
    res: Reservation,
    ticket: Ticket,
    now: datetime,
    *,
    layout: FloorLayout,
    settings: RestaurantSettings,
    booking_source: str,
) -> Reservation:
    closed_at = ticket.closed_at or now
    finished = transition(res, S.FINISHED, closed_at)
    repos.save_reservation(
        s, finished, service_date=service_day.service_date(finished.start, settings.tz, settings.service_day_rollover_hour)
    )
    covers = covers_of(finished, ticket, override=res.cover_override)
    if res.source == booking_source:
        for kind, payload in (
            ("booking.set_status", status_payload(finished, layout)),
            ("booking.send_pos_data", pos_data_payload(finished, ticket, covers)),
        ):
            outbox.enqueue(
                s,
                kind=kind,
                target=ActionTarget.BOOKING,
                order_key=f"booking:{res.id}",
                payload=payload,
                now=now,
                reservation_id=res.id,
            )
    guest = repos.get_guest(s, res.guest_id)
    if guest is not None:
        repos.save_guest(
            s,
            record_visit(guest, closed_at=closed_at, covers=covers, total=ticket.total, items=ticket.item_names,
                         currency=ticket.currency),
        )
    repos.add_audit(
        s,
        AuditEntry(
            id=repos.new_id(),
            at=now,
            actor="sync",
            action="finished",
            reservation_id=res.id,
            table_id=ticket.table_id,
            detail={"ticket": ticket.pos_id, "covers": covers, "total": ticket.total, "comps": ticket.comps},
        ),
    )
    return finished
