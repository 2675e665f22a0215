"""Placeholders: a POS ticket opened at a reservation's table shortly before it is due, as Toast's reservation
integration guide describes ("an order that only includes the information specific to the reservation").

`keep_placeholders` is run after each pull. For tonight's parties it makes the POS match the bookings:
- a booked (or arrived) party with a table, due within the lead time, without a live ticket → a placeholder
  is opened at its table (an outbox action like any other, carrying the party's notes, allergies first);
- a placeholder whose party was cancelled, marked a no-show, or finished → voided;
- a placeholder whose party changed table, size or notes on the booking platform → voided and opened again;
- a placeholder whose time moved outside the lead time → voided.
Check-in turns the party's placeholder into its open ticket (services/commands.py): no second ticket.
Restaurants that want the POS read-only switch placeholders off (`RestaurantSettings.placeholders`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from hoststand.domain import service_day
from hoststand.domain.model import ActionTarget, CourseStage, FloorLayout, Guest, Reservation, ReservationStatus, Ticket
from hoststand.domain.notes import build_ticket_notes
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox, repos

S = ReservationStatus
PLACEHOLDER_TAB_PREFIX = "RESERVED"  # what a server sees at the table; the sandbox's driver keys on it too


def placeholder_tab_name(guest: Guest | None, res: Reservation, settings: RestaurantSettings, tab_name_max: int) -> str:
    """'RESERVED 19:30 · ' then the party's notes (allergies first), within the POS's limit."""
    local = service_day.local(res.start, settings.tz)
    prefix = f"{PLACEHOLDER_TAB_PREFIX} {local:%H:%M} · "
    notes = build_ticket_notes(guest, res, tab_name_max=max(40, tab_name_max - len(prefix)))
    return prefix + notes.tab_name


def keep_placeholders(
    s: Session,
    *,
    now: datetime,
    settings: RestaurantSettings,
    layout: FloorLayout,
    tab_name_max: int = 255,
) -> set[str]:
    """Open, refresh and void placeholders for tonight; returns the reservation ids touched."""
    day = service_day.service_date(now, settings.tz, settings.service_day_rollover_hour)
    touched: set[str] = set()
    tables = {t.id for t in layout.tables}
    live: dict[str, list[Ticket]] = {}
    for t in repos.live_tickets(s):
        if t.reservation_id:
            live.setdefault(t.reservation_id, []).append(t)
    # only parties that may want a placeholder now (booked or arrived, due within the lead time), and those
    # that hold one: not the whole night mapped on every pull
    holders = {rid for rid, ts in live.items() if any(t.placeholder for t in ts)}
    due = (
        repos.reservations_for_day(s, day, (S.BOOKED, S.ARRIVED), starting_by=now + settings.placeholder_lead)
        if settings.placeholders
        else []
    )
    others = repos.reservations_for_day(s, day, ids=holders - {r.id for r in due})
    for res in sorted((*due, *others), key=lambda r: (r.start, r.guest_name)):
        tickets = live.get(res.id, [])
        wanted = (
            settings.placeholders
            and res.status in (S.BOOKED, S.ARRIVED)
            and res.source != "walk_in"
            and bool(res.table_ids)
            and res.table_ids[0] in tables
            and res.start - settings.placeholder_lead <= now <= res.end
        )
        if not wanted and not any(t.placeholder for t in tickets):
            continue
        guest = repos.get_guest(s, res.guest_id)
        tab = placeholder_tab_name(guest, res, settings, tab_name_max) if wanted else ""
        kept: Ticket | None = None
        for t in tickets:
            if not t.placeholder:
                continue
            if wanted and t.table_id == res.table_ids[0] and t.covers == res.party_size and t.tab_name in ("", tab):
                kept = t
            else:
                void_placeholder(s, t, res, now=now, settings=settings)
                touched.add(res.id)
        if wanted and kept is None and not any(not t.placeholder for t in tickets):
            open_placeholder(s, res, guest, tab, now=now, settings=settings)
            touched.add(res.id)
    return touched


def open_placeholder(
    s: Session, res: Reservation, guest: Guest | None, tab_name: str, *, now: datetime, settings: RestaurantSettings
) -> Ticket:
    business_day = service_day.service_date(now, settings.tz, settings.service_day_rollover_hour)
    action_id = repos.new_id()
    ticket = Ticket(
        id=repos.new_id(),
        table_id=res.table_ids[0],
        reservation_id=res.id,
        covers=res.party_size,
        external_id=action_id,
        opened_at=now,
        tab_name=tab_name,
        placeholder=True,
    )
    repos.insert_ticket(s, ticket, business_date=service_day.business_date_int(business_day))
    outbox.enqueue(
        s,
        kind="pos.open_ticket",
        target=ActionTarget.POS,
        order_key=f"pos:{res.id}",
        payload={
            "ticket_id": ticket.id,
            "table_id": ticket.table_id,
            "guests": res.party_size,
            "business_date": business_day.isoformat(),
            "tab_name": tab_name,
            "allergy_text": build_ticket_notes(guest, res).allergy_text,
            "server_guid": None,
            "first_name": guest.first_name if guest else "",
            "last_name": guest.last_name if guest else res.guest_name,
            "phone": guest.phone if guest else None,
            "email": guest.email if guest else None,
            "placeholder": True,
        },
        now=now,
        reservation_id=res.id,
        table_id=ticket.table_id,
        action_id=action_id,
    )
    return ticket


def withdraw_open(s: Session, ticket: Ticket, *, now: datetime, reason: str) -> bool:
    """Withdraw the outbox action that would open `ticket` if it has not been sent yet; False when it was
    sent (or is in flight, or unknown)."""
    if not ticket.external_id or outbox.get(s, ticket.external_id) is None:
        return False
    return outbox.cancel(s, ticket.external_id, now=now, reason=reason)


def void_ticket(
    s: Session,
    ticket: Ticket,
    res: Reservation,
    *,
    now: datetime,
    settings: RestaurantSettings,
    reason: str = "no longer needed before it was sent",
) -> list[str]:
    """Take a ticket off the POS: withdraw it when it never left (the local ticket goes), else queue its void
    (the local ticket shows voided at once; the next pull corrects it should the POS refuse). Returns the
    ids of the actions queued."""
    if withdraw_open(s, ticket, now=now, reason=reason):
        repos.delete_ticket(s, ticket.id)
        return []
    business_day = service_day.service_date(now, settings.tz, settings.service_day_rollover_hour)
    action = outbox.enqueue(
        s,
        kind="pos.void_ticket",
        target=ActionTarget.POS,
        order_key=f"pos:{res.id}",
        payload={
            "ticket_id": ticket.id,
            "pos_id": ticket.pos_id,
            "open_action_id": ticket.external_id,
            "business_date": business_day.isoformat(),
            "stage_before": ticket.stage.value,  # what an undo restores should the void be withdrawn unsent
        },
        now=now,
        reservation_id=res.id,
        table_id=ticket.table_id,
    )
    repos.save_ticket(s, replace(ticket, stage=CourseStage.VOIDED))
    return [action.id]


def void_placeholder(s: Session, ticket: Ticket, res: Reservation, *, now: datetime, settings: RestaurantSettings) -> None:
    void_ticket(s, ticket, res, now=now, settings=settings, reason="placeholder no longer needed")
