"""The manager's reconciliation: tonight or any past service, where the host stand, the POS and the booking
platform disagree, with one-click fixes through the normal write path, and an end-of-night export.

The booking platform's side comes from what we know of it without calling it: its status as last pulled,
moved on by every status change it has since acknowledged, and the closed checks it has acknowledged
receiving (covers and spend). The rules themselves live in `domain/reconcile.py`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session

from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.covers import covers_of
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.lifecycle import transition
from hoststand.domain.model import (
    ActionState,
    ActionTarget,
    AuditEntry,
    FloorLayout,
    Reservation,
    ReservationStatus,
)
from hoststand.domain.reconcile import (
    CoverSlot,
    CoverTotals,
    Discrepancy,
    Fix,
    PlatformRecord,
    ReconcileSettings,
    night_report,
)
from hoststand.domain.settings import RestaurantSettings
from hoststand.domain.turn_times import DayParts, TurnTimeModel, finished_visits
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.sync.orders import WALK_IN
from hoststand.sync.payloads import pos_data_payload, status_payload
from hoststand.services.commands import HostCommands
from hoststand.services.views import CommandResult

S = ReservationStatus


@dataclass(frozen=True)
class SlotView:
    start_local: datetime
    booked: int
    arrived: int
    seated: int
    rung_in: int


@dataclass(frozen=True)
class DiscrepancyView:
    key: str  # stable within a report: "kind:reservation:ticket"
    kind: str
    message: str
    fix: str | None
    fix_label: str | None
    reservation_id: str | None
    table_id: str | None
    ticket_id: str | None
    evidence: dict


@dataclass(frozen=True)
class ReconciliationView:
    service_date: date
    totals: CoverTotals
    slots: tuple[SlotView, ...]
    discrepancies: tuple[DiscrepancyView, ...]
    generated_local: datetime


FIX_LABELS = {
    Fix.LINK_TICKET: "Link the ticket to the party",
    Fix.LOG_WALK_IN: "Log it as a walk-in",
    Fix.TAKE_POS_COVERS: "Take the POS covers",
    Fix.SEND_POS_DATA: "Send the check to the booking platform",
    Fix.FINISH_RESERVATION: "Finish the party",
    Fix.SEND_STATUS: "Send our status again",
    Fix.TAKE_PLATFORM_STATUS: "Take the platform's status",
    Fix.VOID_PLACEHOLDER: "Void the empty ticket",
    Fix.MARK_NO_SHOW: "Mark as a no-show",
}


class ReconciliationService:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        commands: HostCommands,
        rules: ReconcileSettings = ReconcileSettings(),
        booking_source: str = "opentable",
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.commands = commands
        self.rules = rules
        self.booking_source = booking_source

    # ---------------------------------------------------------------------------------- reading

    def service_dates(self) -> list[date]:
        """Services the cache holds, newest first (tonight included)."""
        with self.store.read() as s:
            latest = repos.latest_service_date(s)
            dates = repos.service_dates(s)
        return sorted(set(dates) | ({latest} if latest else set()), reverse=True)

    def report(self, day: date | None = None) -> ReconciliationView:
        now = self.clock.now()
        tz, rollover = self.settings.tz, self.settings.service_day_rollover_hour
        day = day or service_day.service_date(now, tz, rollover)
        start, end = service_day.service_window(day, tz, rollover)
        with self.store.read() as s:
            reservations = repos.reservations_for_day(s, day)
            tickets = repos.tickets_for_business_date(s, service_day.business_date_int(day))
            platform = self._platform(s, reservations)
            history = repos.finished_reservations(s, limit=2000)
            history_tickets = repos.tickets_for_reservations(s, [r.id for r in history])
        model = TurnTimeModel().learn(finished_visits(history, history_tickets, tz=tz, day_parts=DayParts()))
        report = night_report(
            reservations, tickets, platform, day_start=start, day_end=end, now=now, tz=tz, turn_model=model,
            settings=self.rules, layout=self.layout,
        )
        return ReconciliationView(
            service_date=day,
            totals=report.totals,
            slots=tuple(_slot(sl) for sl in report.slots if sl.booked or sl.arrived or sl.seated or sl.rung_in),
            discrepancies=tuple(_view(d) for d in report.discrepancies),
            generated_local=service_day.local(now, tz),
        )

    def _platform(self, s: Session, reservations: list[Reservation]) -> dict[str, PlatformRecord]:
        ours = [r for r in reservations if r.source == self.booking_source]
        pulled = repos.platform_records(s, [r.id for r in ours])
        acked = outbox.settled_for(s, [r.id for r in ours], states=(ActionState.DONE,))
        out: dict[str, PlatformRecord] = {}
        for r in ours:
            p_status, covers, spend = pulled.get(r.id, (None, None, None))
            status = S(p_status) if p_status else r.status
            for a in acked.get(r.id, []):  # oldest first: later acknowledgements win
                if a.kind == "booking.set_status" and (r.last_seen is None or (a.created_at and a.created_at >= r.last_seen)):
                    status = S(a.payload["status"])
                elif a.kind == "booking.send_pos_data":
                    covers, spend = int(a.payload["covers"]), int(a.payload["total"])
            out[r.id] = PlatformRecord(status=status, covers=covers, spend=spend)
        return out

    # ------------------------------------------------------------------------------------ fixing

    def fix(self, discrepancy: DiscrepancyView) -> CommandResult:
        """Apply a discrepancy's one-click fix through the write path (each fix checks the facts again)."""
        code = discrepancy.fix
        rid, tid = discrepancy.reservation_id, discrepancy.ticket_id
        if code == Fix.MARK_NO_SHOW and rid:
            return self.commands.no_show(rid)
        if code == Fix.VOID_PLACEHOLDER and rid and tid:
            return self._void(rid, tid)
        if code in (Fix.SEND_STATUS, Fix.SEND_POS_DATA, Fix.FINISH_RESERVATION, Fix.TAKE_POS_COVERS,
                    Fix.TAKE_PLATFORM_STATUS) and rid:
            return self._on_reservation(code, rid, discrepancy)
        if code == Fix.LINK_TICKET and rid:
            return self._link(rid, discrepancy.evidence.get("candidate_ticket_id") or tid)
        if code == Fix.LOG_WALK_IN and tid:
            return self._log_walk_in(tid)
        return CommandResult(False, "This one has no safe one-click fix: look at the POS and the booking platform.")

    def _void(self, rid: str, tid: str) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            res, ticket = repos.get_reservation(s, rid), repos.get_ticket(s, tid)
            if res is None or ticket is None or not ticket.is_live:
                return CommandResult(False, "That ticket is already closed or gone.")
            self.commands._void_ticket(s, ticket, res, now)
            self._audit(s, now, "fix:void_placeholder", rid, ticket.table_id)
        self._publish(rid)
        return CommandResult(True, "The empty ticket will be voided on the POS.", rid)

    def _on_reservation(self, code: str, rid: str, d: DiscrepancyView) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            res = repos.get_reservation(s, rid)
            if res is None:
                return CommandResult(False, "That reservation is no longer in the cache.")
            tickets = [t for t in repos.tickets_for_reservation(s, rid) if not t.placeholder]
            ticket = tickets[-1] if tickets else None
            day = service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)
            if code == Fix.SEND_STATUS:
                self._enqueue(s, "booking.set_status", res, status_payload(res, self.layout), now)
                message = "The booking platform will be told again."
            elif code == Fix.SEND_POS_DATA:
                if ticket is None:
                    return CommandResult(False, "There is no closed check to send.", rid)
                covers = covers_of(res, ticket, override=res.cover_override)
                self._enqueue(s, "booking.send_pos_data", res, pos_data_payload(res, ticket, covers), now)
                message = "The closed check will be sent to the booking platform."
            elif code == Fix.FINISH_RESERVATION:
                if res.status is not S.SEATED:
                    return CommandResult(False, "The party is not seated here any more.", rid)
                done = transition(res, S.FINISHED, (ticket.closed_at if ticket and ticket.closed_at else now))
                repos.save_reservation(s, done, service_date=day, local_change_at=now)
                self._enqueue(s, "booking.set_status", done, status_payload(done, self.layout), now)
                if ticket is not None:
                    covers = covers_of(done, ticket, override=res.cover_override)
                    self._enqueue(s, "booking.send_pos_data", done, pos_data_payload(done, ticket, covers), now)
                message = "The party is finished; the booking platform will be told."
            elif code == Fix.TAKE_POS_COVERS:
                if ticket is None or ticket.covers <= 0:
                    return CommandResult(False, "The POS has no cover count for this party.", rid)
                repos.save_reservation(s, replace(res, party_size=ticket.covers, cover_override=None), service_date=day,
                                       local_change_at=now)
                message = f"Covers set to the POS's {ticket.covers}."
            else:  # TAKE_PLATFORM_STATUS
                wanted = d.evidence.get("platform_status")
                if not wanted:
                    return CommandResult(False, "The platform's status is not known.", rid)
                repos.save_reservation(s, replace(res, status=S(wanted)), service_date=day, local_change_at=now)
                message = f"Status set to the platform's: {wanted}."
            self._audit(s, now, f"fix:{code}", rid, res.table_ids[0] if res.table_ids else None)
        self._publish(rid)
        return CommandResult(True, message, rid)

    def _link(self, rid: str, tid: str | None) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            ticket = repos.get_ticket(s, tid) if tid else None
            if ticket is None:
                return CommandResult(False, "That ticket is gone.", rid)
            repos.save_ticket(s, replace(ticket, reservation_id=rid))
            self._audit(s, now, "fix:link_ticket", rid, ticket.table_id)
        self._publish(rid)
        return CommandResult(True, "The ticket is linked to the party.", rid)

    def _log_walk_in(self, tid: str) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            ticket = repos.get_ticket(s, tid)
            if ticket is None:
                return CommandResult(False, "That ticket is gone.")
            opened = ticket.opened_at or now
            walk_in = Reservation(
                id=repos.new_id(), source=WALK_IN, external_id=ticket.pos_id or ticket.id,
                party_size=max(1, ticket.covers), start=opened, status=S.SEATED if ticket.is_live else S.FINISHED,
                guest_name="Walk-in", table_ids=(ticket.table_id,) if ticket.table_id else (), arrived_at=opened,
                seated_at=opened, finished_at=None if ticket.is_live else (ticket.closed_at or now),
            )
            day = service_day.service_date(opened, self.settings.tz, self.settings.service_day_rollover_hour)
            repos.save_reservation(s, walk_in, service_date=day, local_change_at=now)
            repos.save_ticket(s, replace(ticket, reservation_id=walk_in.id))
            self._audit(s, now, "fix:log_walk_in", walk_in.id, ticket.table_id)
        self._publish(walk_in.id)
        return CommandResult(True, "Logged as a walk-in.", walk_in.id)

    def _enqueue(self, s: Session, kind: str, res: Reservation, payload: dict, now: datetime) -> None:
        outbox.enqueue(s, kind=kind, target=ActionTarget.BOOKING, order_key=f"booking:{res.id}", payload=payload,
                       now=now, reservation_id=res.id)

    def _audit(self, s: Session, now: datetime, action: str, rid: str | None, table_id: str | None) -> None:
        repos.add_audit(s, AuditEntry(id=repos.new_id(), at=now, actor="manager", action=action, reservation_id=rid,
                                      table_id=table_id))

    def _publish(self, rid: str) -> None:
        self.bus.publish(Change.of("reservations", "tickets", "tables", "outbox", "reconciliation", reservation_ids=[rid]))

    # ------------------------------------------------------------------------------------ export

    def csv_text(self, view: ReconciliationView) -> str:
        """The report as CSV: totals, then the 15-minute slots, then every disagreement."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["Night report", self.settings.name, view.service_date.isoformat()])
        w.writerow(["Covers", "booked", "arrived", "seated", "rung in"])
        t = view.totals
        w.writerow(["Whole service", t.booked, t.arrived, t.seated, t.rung_in])
        w.writerow([])
        w.writerow(["Slot", "booked", "arrived", "seated", "rung in"])
        for sl in view.slots:
            w.writerow([sl.start_local.strftime("%H:%M"), sl.booked, sl.arrived, sl.seated, sl.rung_in])
        w.writerow([])
        w.writerow(["Disagreement", "what", "suggested fix", "reservation", "table", "ticket"])
        for d in view.discrepancies:
            w.writerow([d.kind, d.message, d.fix_label or "", d.reservation_id or "", d.table_id or "", d.ticket_id or ""])
        return buf.getvalue()


def _slot(sl: CoverSlot) -> SlotView:
    return SlotView(sl.start_local, sl.booked, getattr(sl, "arrived", 0), sl.seated, sl.rung_in)


def _view(d: Discrepancy) -> DiscrepancyView:
    fix = str(d.fix) if d.fix else None
    return DiscrepancyView(
        key=f"{d.kind}:{d.reservation_id or ''}:{d.ticket_id or ''}",
        kind=str(d.kind),
        message=d.message,
        fix=fix,
        fix_label=FIX_LABELS.get(Fix(fix)) if fix else None,
        reservation_id=d.reservation_id,
        table_id=d.table_id,
        ticket_id=d.ticket_id,
        evidence=dict(d.evidence),
    )


__all__ = ["DiscrepancyView", "ReconciliationService", "ReconciliationView", "SlotView"]
