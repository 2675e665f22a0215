"""The host's commands, each one local transaction through the one write path (DESIGN.md §4).

A command validates against the cache, changes the cache and appends its outbox actions in the same
transaction, records an audit entry and an undo step, then publishes a change event. It never calls a
vendor: the replayer sends the actions in the background, so the screen updates at once, online or not.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session

from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.fitting import suggest_tables
from hoststand.domain.lifecycle import InvalidTransition, transition
from hoststand.domain.model import (
    ActionState,
    ActionTarget,
    AuditEntry,
    CourseStage,
    FloorLayout,
    Guest,
    Reservation,
    ReservationStatus,
    Ticket,
)
from hoststand.domain.notes import build_ticket_notes
from hoststand.domain.pacing import table_label
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.sync.lifecycle import void_ticket, withdraw_open
from hoststand.sync.orders import WALK_IN
from hoststand.sync.payloads import status_payload
from hoststand.services.views import CommandResult, TableSuggestion

log = logging.getLogger(__name__)
S = ReservationStatus


class HostCommands:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        tab_name_max: int = 255,
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.tab_name_max = tab_name_max
        self._table_ids = {t.id for t in layout.tables}
        self._table_names = {t.id: t.name for t in layout.tables}

    # ------------------------------------------------------------------------------------ check-in

    def check_in(
        self, reservation_id: str, table_ids: tuple[str, ...] | None = None, party_size: int | None = None
    ) -> CommandResult:
        """Seat the party and open its POS ticket. Without a usable table, offer the best-fitting free ones."""
        now = self.clock.now()
        with self.store.write() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return CommandResult(False, "That reservation is no longer in tonight's list.")
            if res.status not in (S.BOOKED, S.ARRIVED):
                return CommandResult(False, _cannot(res, "seat"), reservation_id)
            size = party_size or res.party_size
            if size < 1 or size > 50:
                return CommandResult(False, "Party size must be between 1 and 50.", reservation_id)
            tables = tuple(table_ids) if table_ids else res.table_ids
            unknown = [t for t in tables if t not in self._table_ids]
            if unknown:
                return CommandResult(False, f"Table {', '.join(unknown)} is not on the floor plan.", reservation_id)
            if not tables:
                return self._needs_table(s, res, size, now, "No table is assigned to this party yet.")
            taken = self._occupant(s, tables, exclude=res.id)
            if taken:
                return self._needs_table(s, res, size, now, taken)

            seated = transition(res, S.SEATED, now)
            seated = replace(seated, table_ids=tables)
            if size != res.party_size:
                seated = replace(seated, party_size=size, booked_party_size=res.booked_party_size or res.party_size)
            guest = repos.get_guest(s, res.guest_id)
            ticket, actions = self._seat(s, res, seated, guest, now)
            label = f"seat {res.guest_name or 'party'} at {self._label(tables)}"
            repos.push_undo(
                s,
                at=now,
                description=label,
                reservation_id=res.id,
                before=_snapshot(res),
                ticket_id=ticket.id,
                action_ids=actions,
            )
            self._audit(s, now, "seated", res.id, tables[0], {"tables": list(tables), "covers": size})
        self._publish(res.id, tables)
        return CommandResult(
            True,
            f"{res.guest_name or 'Party'} ({size}) seated at {self._label(tables)}. Ticket sent to the POS.",
            res.id,
            undo_label=f"Undo: {label}",
        )

    def _seat(
        self, s: Session, before: Reservation, seated: Reservation, guest: Guest | None, now: datetime
    ) -> tuple[Ticket, list[str]]:
        repos.save_reservation(s, seated, service_date=self._day(seated), local_change_at=now)
        ticket, actions = self._take_over_placeholder(s, seated, now)
        if ticket is None:
            ticket, more = self._open_ticket(s, seated, guest, now)
            actions += more
        return ticket, actions + self._tell_platform(s, seated, now, server_name=guest.preferred_server if guest else None)

    def _take_over_placeholder(self, s: Session, seated: Reservation, now: datetime) -> tuple[Ticket | None, list[str]]:
        """The party's placeholder becomes its open ticket when it is already on the POS at the table the party
        sits at (no second ticket). One not sent yet is withdrawn (a fresh ticket carries the live notes);
        one at another table is voided. Returns (the ticket taken over or None, actions enqueued)."""
        actions: list[str] = []
        taken: Ticket | None = None
        for t in repos.tickets_for_reservation(s, seated.id):
            if not t.is_live:
                continue  # a party not yet seated should have only its placeholder live; any other (an undo's) counts too
            if taken is None and t.table_id == seated.table_ids[0] and not withdraw_open(
                s, t, now=now, reason="the party arrived before it was sent"
            ):
                taken = replace(t, placeholder=False, covers=seated.party_size)
                repos.save_ticket(s, taken)
            elif t.table_id == seated.table_ids[0]:
                repos.delete_ticket(s, t.id)  # withdrawn before it reached the POS
            else:
                actions += self._void_ticket(s, t, seated, now)
        return taken, actions

    def _open_ticket(self, s: Session, seated: Reservation, guest: Guest | None, now: datetime) -> tuple[Ticket, list[str]]:
        """A ticket at the party's (first) table, and the outbox action that opens it on the POS."""
        business_day = service_day.service_date(now, self.settings.tz, self.settings.service_day_rollover_hour)
        notes = build_ticket_notes(guest, seated, tab_name_max=self.tab_name_max)
        server_guid = self._server_guid(s, guest.preferred_server if guest else None)
        open_id = repos.new_id()
        ticket = Ticket(
            id=repos.new_id(),
            table_id=seated.table_ids[0],
            reservation_id=seated.id,
            covers=seated.party_size,
            stage=CourseStage.OPENED,
            external_id=open_id,
            server_id=server_guid,
            opened_at=now,
            tab_name=notes.tab_name,
        )
        repos.save_ticket(s, ticket, business_date=service_day.business_date_int(business_day))
        a_open = outbox.enqueue(
            s,
            kind="pos.open_ticket",
            target=ActionTarget.POS,
            order_key=f"pos:{seated.id}",
            payload={
                "ticket_id": ticket.id,
                "table_id": ticket.table_id,
                "guests": seated.party_size,
                "business_date": business_day.isoformat(),
                "tab_name": notes.tab_name,
                "allergy_text": notes.allergy_text,
                "server_guid": server_guid,
                "first_name": guest.first_name if guest else "",
                "last_name": guest.last_name if guest else seated.guest_name,
                "phone": guest.phone if guest else None,
                "email": guest.email if guest else None,
            },
            now=now,
            reservation_id=seated.id,
            table_id=ticket.table_id,
            action_id=open_id,
        )
        return ticket, [a_open.id]

    def _tell_platform(self, s: Session, res: Reservation, now: datetime, server_name: str | None = None) -> list[str]:
        """Queue the party's new status for its booking platform; a walk-in has none (nothing is sent).
        Returns the ids of the actions queued."""
        if res.source == WALK_IN:
            return []
        return [outbox.enqueue(
            s,
            kind="booking.set_status",
            target=ActionTarget.BOOKING,
            order_key=f"booking:{res.id}",
            payload=status_payload(res, self.layout, server_name),
            now=now,
            reservation_id=res.id,
            table_id=res.table_ids[0] if res.table_ids else None,
        ).id]

    def _needs_table(self, s: Session, res: Reservation, size: int, now: datetime, why: str) -> CommandResult:
        suggestions = self._suggest(s, res, size, now)
        if suggestions:
            msg = f"{why} Choose a table for {res.guest_name or 'the party'} ({size})."
        else:
            msg = f"{why} No free table fits {size} for the expected turn: mark them arrived and they will wait."
        return CommandResult(False, msg, res.id, needs_table=True, suggestions=tuple(suggestions))

    # ------------------------------------------------------------------------------------ arrival

    def mark_arrived(self, reservation_id: str) -> CommandResult:
        """The party is here but its table is not ready: it waits; its ticket opens when it is seated."""
        now = self.clock.now()
        with self.store.write() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return CommandResult(False, "That reservation is no longer in tonight's list.")
            if res.status is not S.BOOKED:
                return CommandResult(False, _cannot(res, "mark arrived"), reservation_id)
            arrived = transition(res, S.ARRIVED, now)
            day = service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)
            repos.save_reservation(s, arrived, service_date=day, local_change_at=now)
            actions = self._tell_platform(s, arrived, now)
            label = f"mark {res.guest_name or 'party'} arrived"
            repos.push_undo(
                s, at=now, description=label, reservation_id=res.id, before=_snapshot(res), ticket_id=None,
                action_ids=actions,
            )
            self._audit(s, now, "arrived", res.id, None, {})
        self._publish(res.id, res.table_ids)
        return CommandResult(True, f"{res.guest_name or 'Party'} ({res.party_size}) is here and waiting.", res.id,
                             undo_label=f"Undo: {label}")

    # ------------------------------------------------------------------- cancel, no-show, move, resize

    def cancel(self, reservation_id: str, *, status: ReservationStatus = S.CANCELLED) -> CommandResult:
        """Cancel (or mark a no-show): the platform is told, a placeholder ticket is voided, the table freed."""
        verb = "cancel" if status is S.CANCELLED else "mark as a no-show"
        now = self.clock.now()
        with self.store.write() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return CommandResult(False, "That reservation is no longer in tonight's list.")
            if res.status not in (S.BOOKED, S.ARRIVED):
                return CommandResult(False, _cannot(res, verb), reservation_id)
            after = transition(res, status, now)
            repos.save_reservation(s, after, service_date=self._day(res), local_change_at=now)
            actions = self._tell_platform(s, after, now)
            actions += self._void_placeholders(s, after, now)
            words = "cancelled" if status is S.CANCELLED else "marked a no-show"
            label = f"{'cancel' if status is S.CANCELLED else 'no-show'} {res.guest_name or 'party'}"
            repos.push_undo(s, at=now, description=label, reservation_id=res.id, before=_snapshot(res), ticket_id=None,
                            action_ids=actions)
            self._audit(s, now, status.value, res.id, None, {})
        self._publish(res.id, res.table_ids)
        return CommandResult(True, f"{res.guest_name or 'Party'} ({res.party_size}) {words}; the table is free.", res.id,
                             undo_label=f"Undo: {label}")

    def no_show(self, reservation_id: str) -> CommandResult:
        return self.cancel(reservation_id, status=S.NO_SHOW)

    def move(self, reservation_id: str, table_ids: tuple[str, ...]) -> CommandResult:
        """Reassign a party to other table(s). A seated party's empty ticket is reopened at the new table;
        a ticket with items stays where it is on the POS, and the host is told to move it there."""
        now = self.clock.now()
        tables = tuple(table_ids)
        unknown = [t for t in tables if t not in self._table_ids]
        if not tables or unknown:
            return CommandResult(False, f"Table {', '.join(unknown) or '?'} is not on the floor plan.", reservation_id)
        with self.store.write() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return CommandResult(False, "That reservation is no longer in tonight's list.")
            if not res.status.is_open:
                return CommandResult(False, _cannot(res, "move"), reservation_id)
            if tables == res.table_ids:
                return CommandResult(True, f"{res.guest_name or 'Party'} is already at {self._label(tables)}.", res.id)
            if res.status is S.SEATED:
                taken = self._occupant(s, tables, exclude=res.id)
                if taken:
                    return CommandResult(False, taken, res.id)
            moved = replace(res, table_ids=tables)
            repos.save_reservation(s, moved, service_date=self._day(res), local_change_at=now)
            actions = self._tell_platform(s, moved, now)
            message = f"{res.guest_name or 'Party'} moved to {self._label(tables)}."
            ticket_id = None
            if res.status is S.SEATED:
                live = [t for t in repos.tickets_for_reservation(s, res.id) if t.is_live]
                ticket = live[-1] if live else None
                if ticket is not None and ticket.stage is CourseStage.OPENED:
                    actions += self._void_ticket(s, ticket, res, now)
                    guest = repos.get_guest(s, res.guest_id)
                    new_ticket, more = self._open_ticket(s, moved, guest, now)
                    actions += more
                    ticket_id = new_ticket.id
                    message += " Its ticket moves with it."
                elif ticket is not None:
                    repos.save_ticket(s, replace(ticket, table_id=tables[0]))
                    message += " The check already has items: move it on the POS too."
            label = f"move {res.guest_name or 'party'} to {self._label(tables)}"
            repos.push_undo(s, at=now, description=label, reservation_id=res.id, before=_snapshot(res),
                            ticket_id=ticket_id, action_ids=actions)
            self._audit(s, now, "moved", res.id, tables[0], {"from": list(res.table_ids), "to": list(tables)})
        self._publish(res.id, res.table_ids + tables)
        return CommandResult(True, message, res.id, undo_label=f"Undo: {label}")

    def resize(self, reservation_id: str, party_size: int) -> CommandResult:
        """Change the party size. Before seating the platform is told; once seated the POS owns covers,
        so the host's number is kept as a manual override."""
        now = self.clock.now()
        if party_size < 1 or party_size > 50:
            return CommandResult(False, "Party size must be between 1 and 50.", reservation_id)
        with self.store.write() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return CommandResult(False, "That reservation is no longer in tonight's list.")
            if not res.status.is_open:
                return CommandResult(False, _cannot(res, "resize"), reservation_id)
            if res.status is S.SEATED:
                after = replace(res, cover_override=party_size)
                actions: list[str] = []
                message = f"Covers for {res.guest_name or 'the party'} set to {party_size} (overrides the POS)."
            else:
                after = replace(res, party_size=party_size, booked_party_size=res.booked_party_size or res.party_size)
                actions = self._tell_platform(s, after, now)
                message = f"{res.guest_name or 'Party'} is now a party of {party_size}."
            repos.save_reservation(s, after, service_date=self._day(res), local_change_at=now)
            label = f"resize {res.guest_name or 'party'} to {party_size}"
            repos.push_undo(s, at=now, description=label, reservation_id=res.id, before=_snapshot(res), ticket_id=None,
                            action_ids=actions)
            self._audit(s, now, "resized", res.id, None, {"from": res.party_size, "to": party_size})
        self._publish(res.id, res.table_ids)
        return CommandResult(True, message, res.id, undo_label=f"Undo: {label}")

    def _void_ticket(self, s: Session, ticket: Ticket, res: Reservation, now: datetime) -> list[str]:
        return void_ticket(s, ticket, res, now=now, settings=self.settings, reason="superseded before it was sent")

    def _void_placeholders(self, s: Session, res: Reservation, now: datetime) -> list[str]:
        actions: list[str] = []
        for t in repos.tickets_for_reservation(s, res.id):
            if t.placeholder and t.is_live:
                actions += self._void_ticket(s, t, res, now)
        return actions

    def _day(self, res: Reservation):
        return service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)

    # -------------------------------------------------------------------------------- suggestions

    def suggest(self, reservation_id: str, party_size: int | None = None) -> tuple[TableSuggestion, ...]:
        now = self.clock.now()
        with self.store.read() as s:
            res = repos.get_reservation(s, reservation_id)
            if res is None:
                return ()
            return tuple(self._suggest(s, res, party_size or res.party_size, now))

    def _suggest(self, s: Session, res: Reservation, size: int, now: datetime) -> list[TableSuggestion]:
        busy = self._busy(s, exclude=res.id, now=now)
        # The party is at the stand: it sits now, for its expected turn.
        fits = suggest_tables(size, now, res.duration, self.layout, busy, now=now, limit=5, tz=self.settings.tz)
        return [
            TableSuggestion(table_ids=tuple(f.table_ids), label=self._label(f.table_ids), seats=f.seats, reason=f.reason)
            for f in fits
        ]

    def _busy(self, s: Session, *, exclude: str, now: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
        """Per table, the intervals taken tonight: seated parties (until their expected end, at least now+15 min),
        parties booked on it, and live POS tickets (walk-ins)."""
        day = service_day.service_date(now, self.settings.tz, self.settings.service_day_rollover_hour)
        busy: dict[str, list[tuple[datetime, datetime]]] = {}
        linked: set[str] = set()
        for r in repos.reservations_for_day(s, day, statuses=[st for st in S if st.is_open]):
            if r.id == exclude:
                continue
            if r.status is S.SEATED:
                start = r.seated_at or r.start
                end = max(start + r.duration, now + timedelta(minutes=15))
                linked.add(r.id)
            else:
                start, end = r.start, r.end
            for t in r.table_ids:
                busy.setdefault(t, []).append((start, end))
        for t in repos.live_tickets(s):
            if t.placeholder:
                continue  # a reservation's placeholder: the reservation itself is counted above
            if t.table_id and (t.reservation_id is None or t.reservation_id not in linked):
                opened = t.opened_at or now
                busy.setdefault(t.table_id, []).append((opened, max(opened + self.settings.default_turn, now + timedelta(minutes=15))))
        return busy

    def _occupant(self, s: Session, tables: tuple[str, ...], *, exclude: str) -> str | None:
        """Plain words naming who occupies any of `tables` now, or None when all are free."""
        now = self.clock.now()
        day = service_day.service_date(now, self.settings.tz, self.settings.service_day_rollover_hour)
        wanted = set(tables)
        for r in repos.reservations_for_day(s, day, statuses=[S.SEATED]):
            if r.id != exclude and wanted & set(r.table_ids):
                since = service_day.local(r.seated_at or r.start, self.settings.tz).strftime("%H:%M")
                t = self._label(tuple(sorted(wanted & set(r.table_ids))))
                return f"Table {t} is taken ({r.guest_name or 'a party'}, seated {since})."
        for t in repos.live_tickets(s, table_ids=wanted):
            if t.reservation_id != exclude and not t.placeholder:
                res = repos.get_reservation(s, t.reservation_id) if t.reservation_id else None
                if res is not None and res.status is not S.SEATED:
                    continue
                return f"Table {self._label((t.table_id,))} has an open ticket on the POS ({t.covers or '?'} covers)."
        return None

    # --------------------------------------------------------------------------------------- undo

    def undo_label(self) -> str | None:
        now = self.clock.now()
        with self.store.read() as s:
            row = repos.last_undoable(s, now - self.settings.undo_window)
            return f"Undo: {row.description}" if row else None

    def undo(self) -> CommandResult:
        """Revert the host's last transition (within the undo window), on the POS and the platform too."""
        now = self.clock.now()
        with self.store.write() as s:
            row = repos.last_undoable(s, now - self.settings.undo_window)
            if row is None:
                return CommandResult(False, "Nothing to undo.")
            res = repos.get_reservation(s, row.reservation_id) if row.reservation_id else None
            if res is None:
                repos.mark_undone(s, row.seq, now)
                return CommandResult(False, "That party is no longer in tonight's list.")
            if res.status is S.CANCELLED and self._platform_has_cancellation(s, row.action_ids):
                repos.mark_undone(s, row.seq, now)  # not undoable: the next Undo goes to the change before it
                return CommandResult(
                    False,
                    f"Cannot undo: {_PLATFORMS.get(res.source, 'the booking platform')} already has the "
                    "cancellation, and a cancelled booking cannot be reopened from here. "
                    "Book the party again, or seat them as a walk-in.",
                    res.id,
                )
            restored = _restore(res, row.before)
            if restored.status is res.status and restored.table_ids == res.table_ids:
                repos.mark_undone(s, row.seq, now)
                return CommandResult(False, "That change was already superseded.", res.id)
            day = service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)
            repos.save_reservation(s, restored, service_date=day, local_change_at=now)
            self._compensate(s, row.action_ids, row.ticket_id, restored, now)
            repos.mark_undone(s, row.seq, now)
            self._audit(s, now, "undo", res.id, None, {"undid": row.description})
        self._publish(res.id, res.table_ids + restored.table_ids)
        return CommandResult(True, f"Undone: {row.description}.", res.id)

    @staticmethod
    def _platform_has_cancellation(s: Session, action_ids: list[str]) -> bool:
        """Whether the booking platform acknowledged the cancellation (a cancelled booking is final there)."""
        for action_id in action_ids:
            a = outbox.get(s, action_id)
            if a is not None and a.kind == "booking.set_status" and a.state is ActionState.DONE:
                return a.payload.get("status") == S.CANCELLED.value
        return False

    def _compensate(
        self, s: Session, action_ids: list[str], ticket_id: str | None, restored: Reservation, now: datetime
    ) -> None:
        status_sent = False
        for action_id in action_ids:
            a = outbox.get(s, action_id)
            if a is None:
                continue
            if outbox.cancel(s, action_id, now=now, reason="undone by the host before it was sent"):
                if a.kind == "pos.open_ticket" and ticket_id:
                    repos.delete_ticket(s, ticket_id)
                elif a.kind == "pos.void_ticket":
                    _unvoid(s, a.payload)  # the void never left: the ticket is open at the POS still
                continue
            # Already sent (or in flight, or uncertain): send the reverse.
            if a.kind == "pos.open_ticket" and ticket_id:
                ticket = repos.get_ticket(s, ticket_id)
                outbox.enqueue(
                    s,
                    kind="pos.void_ticket",
                    target=ActionTarget.POS,
                    order_key=a.order_key,
                    payload={
                        "ticket_id": ticket_id,
                        "pos_id": ticket.pos_id if ticket else None,
                        "open_action_id": a.id,
                        "business_date": a.payload.get("business_date"),
                        "stage_before": ticket.stage.value if ticket else None,
                    },
                    now=now,
                    reservation_id=restored.id,
                    table_id=a.table_id,
                )
                if ticket is not None and ticket.is_live:
                    repos.save_ticket(s, replace(ticket, stage=CourseStage.VOIDED))  # shown gone at once
            elif a.kind == "booking.set_status" and a.state is not ActionState.DEAD and not status_sent:
                self._tell_platform(s, restored, now)
                status_sent = True
        if restored.status in (S.BOOKED, S.ARRIVED) and ticket_id:
            # the check-in took over the party's placeholder (already on the POS): it is its placeholder again
            taken = repos.get_ticket(s, ticket_id)
            if taken is not None and taken.is_live and not taken.placeholder:
                repos.save_ticket(s, replace(taken, placeholder=True, covers=restored.party_size))
        if restored.status is S.SEATED and restored.table_ids and not any(
            t.is_live and not t.placeholder for t in repos.tickets_for_reservation(s, restored.id)
        ):
            # Seated again with no ticket: its old one was voided (the void already sent) or withdrawn before it
            # left (a move made before the ticket was sent): open one at the restored table.
            self._open_ticket(s, restored, repos.get_guest(s, restored.guest_id), now)

    # ------------------------------------------------------------------------------------ helpers

    def _server_guid(self, s: Session, name: str | None) -> str | None:
        if not name:
            return None
        wanted = name.strip().lower()
        for sv in repos.servers(s):
            names = {sv.name.lower(), sv.first_name.lower(), (sv.display_name or "").lower()}
            if wanted in names or wanted.split(" ")[0] in {sv.first_name.lower()}:
                return sv.id
        return None

    def _label(self, table_ids) -> str:
        return table_label(table_ids, self._table_names)

    def _audit(self, s: Session, now: datetime, action: str, reservation_id: str | None, table_id: str | None, detail: dict) -> None:
        repos.add_audit(
            s,
            AuditEntry(id=repos.new_id(), at=now, actor="host", action=action, reservation_id=reservation_id,
                       table_id=table_id, detail=detail),
        )

    def _publish(self, reservation_id: str, table_ids) -> None:
        self.bus.publish(
            Change.of("reservations", "tables", "tickets", "outbox", reservation_ids=[reservation_id], table_ids=table_ids)
        )


_PLATFORMS = {"opentable": "OpenTable", "resy": "Resy", "sevenrooms": "SevenRooms"}


def _unvoid(s: Session, void_payload: dict) -> None:
    """Show a ticket open again whose void was withdrawn before it was sent."""
    ticket = repos.get_ticket(s, void_payload.get("ticket_id") or "")
    if ticket is None or ticket.stage is not CourseStage.VOIDED:
        return
    try:
        stage = CourseStage(void_payload.get("stage_before") or CourseStage.OPENED.value)
    except ValueError:
        stage = CourseStage.OPENED
    repos.save_ticket(s, replace(ticket, stage=stage))


def _cannot(res: Reservation, verb: str) -> str:
    words = {
        S.SEATED: "is already seated",
        S.FINISHED: "has already finished",
        S.CANCELLED: "was cancelled",
        S.NO_SHOW: "was marked a no-show",
        S.ARRIVED: "is already checked in",
        S.BOOKED: "has not arrived",
    }
    return f"Cannot {verb} {res.guest_name or 'this party'}: the party {words[res.status]}."


_SNAPSHOT_FIELDS = ("status", "table_ids", "party_size", "booked_party_size", "arrived_at", "seated_at", "finished_at", "cancelled_at")


def _snapshot(res: Reservation) -> dict:
    out = {}
    for f in _SNAPSHOT_FIELDS:
        v = getattr(res, f)
        if isinstance(v, datetime):
            v = v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        elif isinstance(v, ReservationStatus):
            v = v.value
        out[f] = v
    return out


def _restore(res: Reservation, before: dict) -> Reservation:
    values = {}
    for f in _SNAPSHOT_FIELDS:
        v = before.get(f)
        if f == "status":
            v = ReservationStatus(v)
        elif f == "table_ids":
            v = tuple(v or ())
        elif f.endswith("_at") and v is not None:
            v = datetime.fromisoformat(v)
        values[f] = v
    return replace(res, **values)


__all__ = ["HostCommands", "InvalidTransition"]
