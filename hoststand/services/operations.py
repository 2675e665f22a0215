"""Operations: what a manager does about the sync queue and the conflict inbox, and the printed fallback sheet.

- `queue()`: every action still on its way to a vendor (pending, in flight, failed and retrying) and every
  dead one, in plain words (the view `FloorQueries.queue` builds; it is not rebuilt here).
- `retry(action_id)` / `discard(action_id)`: a dead action back into the queue, or given up for good. Both are
  manager actions, recorded in the audit log.
- `conflicts()`: what no rule settles, each with its facts in plain words (times in the restaurant's zone)
  and its choices; `resolve(conflict_id, choice)` carries the choice out through the one write path (a local
  transaction that changes the cache and queues what the vendors must hear), marks the conflict resolved
  and records who decided what. Nothing is ever decided silently.
- `fallback_sheet()`: tonight's parties by time for the printed crash kit (`ui/sheet.py` prints it).

The choices, by kind of conflict:

| kind | choice | what happens |
| --- | --- | --- |
| cancelled_while_here | Keep them and re-confirm the booking | the party stays; the platform is asked to take the booking back (seated, or booked for a party still waiting). A platform that treats a cancellation as final refuses: the refusal shows in the queue as dead, with its words |
| cancelled_while_here | Release the table | the party takes the platform's status (cancelled or no-show); its empty ticket is voided (one with items stays, for the server to settle); updates still queued for the platform are withdrawn: it already shows the cancellation |
| table_has_another_ticket | Open a second ticket anyway | the held ticket is sent again, without looking at the table |
| table_has_another_ticket | Move the party to another table | asks for a table (best free ones offered), then moves the party: its ticket opens there |
| table_has_another_ticket | The ticket is theirs: link it | the open order is linked to this party and gets its allergy note |
| allergy_not_on_ticket | The server knows about the allergy | recorded |
| changed_after_seating | Keep the party as seated | recorded: the party stays as it is |
| changed_after_seating | Take the new party size | the seated party's covers become the platform's size (a cover override, as the host's resize does) |
| unknown_table | Choose a table at check-in | recorded: the host picks a table when the party arrives |

A conflict of a kind this service does not know is shown with its own words and choices; choosing records the
decision (and says so) without doing anything else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session

from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.model import (
    ActionState,
    ActionTarget,
    AuditEntry,
    ConflictRecord,
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
)
from hoststand.domain.phone import format_phone
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.sync.handlers import (
    CHOICE_LINK,
    CHOICE_MOVE,
    CHOICE_SECOND_TICKET,
    CHOICE_SERVER_TOLD,
    CONFLICT_ALLERGY_NOT_ON_TICKET,
    CONFLICT_TABLE_TAKEN,
)
from hoststand.sync.payloads import status_payload
from hoststand.services.commands import HostCommands
from hoststand.services.queries import FloorQueries
from hoststand.services.views import CommandResult, ConflictView, QueueItemView

log = logging.getLogger(__name__)
S = ReservationStatus

CONFLICT_CANCELLED_WHILE_HERE = "cancelled_while_here"
CHOICE_KEEP = "Keep them and re-confirm the booking"
CHOICE_RELEASE = "Release the table"
CONFLICT_CHANGED_AFTER_SEATING = "changed_after_seating"  # raised by sync/merge.py
CHOICE_KEEP_AS_SEATED = "Keep the party as seated"
CHOICE_TAKE_NEW_SIZE = "Take the new party size"
CONFLICT_UNKNOWN_TABLE = "unknown_table"  # raised by sync/puller.py

_TITLES = {
    CONFLICT_CANCELLED_WHILE_HERE: "Cancelled online, but here",
    CONFLICT_TABLE_TAKEN: "Another ticket is open at the table",
    CONFLICT_ALLERGY_NOT_ON_TICKET: "Allergy not on the ticket",
    CONFLICT_CHANGED_AFTER_SEATING: "Changed online after seating",
    CONFLICT_UNKNOWN_TABLE: "Table not on the floor plan",
}
_STATUS_WORDS = {S.BOOKED: "Booked", S.ARRIVED: "Waiting", S.SEATED: "Seated", S.FINISHED: "Done",
                 S.CANCELLED: "Cancelled", S.NO_SHOW: "No-show"}


# ------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ConflictCard(ConflictView):
    """A conflict as the inbox shows it: `ConflictView` with a title, its kind, and `facts` in plain words
    (label → value, in reading order)."""

    kind: str = ""
    title: str = ""
    table_label: str = ""
    choice_hints: tuple[str, ...] = ()  # one line per choice: what it will do


@dataclass(frozen=True)
class QueueCounts:
    pending: int = 0
    in_flight: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def waiting(self) -> int:
        return self.pending + self.in_flight + self.failed


@dataclass(frozen=True)
class SheetParty:
    """One line of the fallback sheet. Allergies are never cut: the labels of the codes and the guest's words."""

    time: str  # "19:30"
    name: str
    party_size: int
    table: str  # "12", "10+11", or "" (not assigned)
    phone: str  # formatted for reading aloud
    status: str  # "Booked", "Waiting", "Seated"
    allergy_labels: tuple[str, ...] = ()
    allergy_words: str = ""
    severe: bool = False
    occasion: str = ""
    vip: str = ""
    request: str = ""


@dataclass(frozen=True)
class FallbackSheet:
    restaurant: str
    service_date: date
    printed_local: datetime
    data_from_local: datetime | None  # when the cache last heard from the booking platform
    stale: bool
    parties: tuple[SheetParty, ...]
    seated: int = 0
    expected_covers: int = 0
    is_tonight: bool = True  # False: the cache holds no reservation for tonight; this is the last night it has


# ------------------------------------------------------------------------------------------ service


class OperationsService:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        commands: HostCommands | None = None,
        queries: FloorQueries | None = None,
        home_region: str = "US",
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.commands = commands or HostCommands(store, layout=layout, settings=settings, clock=clock, bus=bus)
        self.queries = queries or FloorQueries(store, layout=layout, settings=settings, clock=clock)
        self.home_region = home_region

    # ------------------------------------------------------------------------------------ queue

    def queue(self) -> list[QueueItemView]:
        """Pending, in flight, failed (retrying) and dead actions, newest first, in plain words."""
        return self.queries.queue()

    def queue_counts(self) -> QueueCounts:
        with self.store.read() as s:
            c = outbox.counts(s)
        return QueueCounts(c[ActionState.PENDING], c[ActionState.IN_FLIGHT], c[ActionState.FAILED], c[ActionState.DEAD])

    def retry(self, action_id: str) -> CommandResult:
        """Send a dead action again (after the cause was fixed, e.g. a table linked to the POS)."""
        now = self.clock.now()
        with self.store.write() as s:
            action = outbox.get(s, action_id)
            if action is None:
                return CommandResult(False, "That action is no longer in the queue.")
            if action.state is not ActionState.DEAD:
                return CommandResult(False, "Only an action the vendor refused can be retried; this one is still on its way.")
            outbox.retry_dead(s, action_id, now=now)
            self._audit(s, now, "queue_retry", action.reservation_id, action.table_id, {"action": action_id, "kind": action.kind})
            words = self._words(s, action_id)
        self._publish(action.reservation_id, action.table_id)
        return CommandResult(True, f"Sending again: {words}.", action.reservation_id)

    def discard(self, action_id: str) -> CommandResult:
        """Give a dead action up for good: it leaves the list and is never sent."""
        now = self.clock.now()
        with self.store.write() as s:
            action = outbox.get(s, action_id)
            if action is None:
                return CommandResult(False, "That action is no longer in the queue.")
            if action.state is not ActionState.DEAD:
                return CommandResult(False, "Only an action the vendor refused can be discarded; this one is still on its way.")
            words = self._words(s, action_id)
            outbox.discard_dead(s, action_id, now=now)
            self._audit(s, now, "queue_discard", action.reservation_id, action.table_id,
                        {"action": action_id, "kind": action.kind, "reason": action.last_error or ""})
        self._publish(action.reservation_id, action.table_id)
        return CommandResult(True, f"Discarded: {words}. It will not be sent.", action.reservation_id)

    def _words(self, s: Session, action_id: str) -> str:
        action = outbox.get(s, action_id)
        if action is None:
            return "the action"
        res = repos.get_reservation(s, action.reservation_id) if action.reservation_id else None
        return self.queries._pending_words(action, res)  # the queue's own wording, shared

    # ----------------------------------------------------------------------------- conflicts

    def conflicts(self) -> list[ConflictCard]:
        """Open conflicts, oldest first, with their facts in plain words and their choices."""
        with self.store.read() as s:
            records = repos.open_conflicts(s)
            parties = {c.reservation_id: repos.get_reservation(s, c.reservation_id) for c in records if c.reservation_id}
        return [self._card(c, parties.get(c.reservation_id) if c.reservation_id else None) for c in records]

    def _card(self, c: ConflictRecord, res: Reservation | None) -> ConflictCard:
        facts: dict[str, str] = {}
        hints: list[str] = []
        table = c.facts.get("table") or (self._label((c.table_id,)) if c.table_id else "")
        summary = c.summary
        if res is not None:
            facts["Party"] = f"{res.guest_name or 'Guest'} ({res.party_size})"
            facts["Booked for"] = self._hhmm(res.start)
        if c.kind == CONFLICT_CANCELLED_WHILE_HERE:
            tables = self._label(tuple(c.facts.get("tables") or ())) or table
            if res is not None:
                where = f"seated at {tables}" if res.status is S.SEATED else "checked in, waiting"
                facts["Here"] = where + (f" since {self._hhmm(res.seated_at or res.arrived_at)}" if (res.seated_at or res.arrived_at) else "")
            facts["Booking platform says"] = str(c.facts.get("remote_status") or "cancelled")
            when = _parse(c.facts.get("remote_updated_at"))
            if when is not None:
                facts["Changed online at"] = self._hhmm(when)
            hints = [
                "The party stays; the booking platform is asked to take the booking back.",
                "The party leaves the floor; an empty ticket is voided.",
            ]
            table = tables
        elif c.kind == CONFLICT_TABLE_TAKEN:
            opened = _parse(c.facts.get("order_opened_at"))
            seated = _parse(c.facts.get("seated_at"))
            facts["Table"] = str(table)
            if seated is not None:
                facts["Seated here at"] = self._hhmm(seated)
            ticket = "Open on the POS"
            if opened is not None:
                ticket += f" since {self._hhmm(opened)}"
            guests = c.facts.get("order_guests")
            if guests:
                ticket += f", {guests} guests"
            items = c.facts.get("order_items")
            ticket += f", {items} items rung in" if items else ", nothing rung in yet"
            facts["Other ticket"] = ticket
            if c.facts.get("order_tab"):
                facts["Its tab name"] = str(c.facts["order_tab"])
            if c.facts.get("why") == "linked" and c.facts.get("other_party"):
                facts["Belongs to"] = str(c.facts["other_party"])
            elif c.facts.get("why") == "opened_before":
                facts["Why it is not theirs"] = "it was opened before they sat down"
            party = facts.get("Party", "the party")
            summary = f"Table {table} already has another open ticket on the POS. No second ticket was opened for {party}."
            hints = [
                f"Both tickets stay open at {table}; the server sorts them out on the POS.",
                "Choose a free table; the party's ticket opens there.",
                "The ticket already open is this party's: it gets their allergy note.",
            ]
        elif c.kind == CONFLICT_ALLERGY_NOT_ON_TICKET:
            facts["Table"] = str(table)
            facts["Allergy"] = str(c.facts.get("allergy") or "")
            hints = ["Only once you have told the server, in person."]
        elif c.kind == CONFLICT_CHANGED_AFTER_SEATING:
            if res is not None:
                facts["Here"] = f"{res.party_size} seated at {self._label(res.table_ids) or '-'}"
            size = c.facts.get("remote_party_size")
            start = _parse(c.facts.get("remote_start"))
            online = " ".join(b for b in (f"{size} guests" if size else "", f"at {self._hhmm(start)}" if start else "") if b)
            if online:
                facts["Booking platform now says"] = online
            remote_tables = ", ".join(str(t) for t in c.facts.get("remote_tables") or ())
            if remote_tables:
                facts["Its tables"] = remote_tables
            hints = ["Nothing changes here.", f"Covers become {size}; the POS ticket is not touched." if size else ""]
        elif c.kind == CONFLICT_UNKNOWN_TABLE:
            facts["Booking platform's table"] = ", ".join(str(t) for t in c.facts.get("tables") or ())
            hints = ["The party gets the table picker when checked in."]
        return ConflictCard(
            id=c.id,
            summary=summary,
            created_local=service_day.local(c.created_at, self.settings.tz),
            choices=c.choices,
            reservation_id=c.reservation_id,
            facts=facts,
            kind=c.kind,
            title=_TITLES.get(c.kind, "Needs a decision"),
            table_label=str(table or ""),
            choice_hints=tuple(hints[: len(c.choices)]) if len(hints) >= len(c.choices) and any(hints) else (),
        )

    def resolve(self, conflict_id: str, choice: str, *, table_ids: tuple[str, ...] | None = None) -> CommandResult:
        """Carry out `choice` for a conflict. "Move the party to another table" without `table_ids` answers
        with `needs_table` and the best free tables, like a check-in without a table."""
        with self.store.read() as s:
            conflict = _open_conflict(s, conflict_id)
        if conflict is None:
            return CommandResult(False, "That conflict was already settled.")
        if choice not in conflict.choices:
            return CommandResult(False, f"'{choice}' is not one of the choices for this conflict.", conflict.reservation_id)
        try:
            if conflict.kind == CONFLICT_CANCELLED_WHILE_HERE:
                return self._keep(conflict) if choice == CHOICE_KEEP else self._release(conflict)
            if conflict.kind == CONFLICT_TABLE_TAKEN:
                if choice == CHOICE_SECOND_TICKET:
                    return self._second_ticket(conflict)
                if choice == CHOICE_LINK:
                    return self._link(conflict)
                return self._move(conflict, table_ids)
            if conflict.kind == CONFLICT_ALLERGY_NOT_ON_TICKET:
                return self._note_only(conflict, choice, "Noted: the server knows about the allergy.")
            if conflict.kind == CONFLICT_CHANGED_AFTER_SEATING and choice == CHOICE_TAKE_NEW_SIZE:
                return self._take_new_size(conflict)
            if conflict.kind == CONFLICT_CHANGED_AFTER_SEATING:
                return self._note_only(conflict, choice, "Noted: the party stays as seated.")
            if conflict.kind == CONFLICT_UNKNOWN_TABLE:
                return self._note_only(conflict, choice, "Noted: choose a table for them when they arrive.")
        except _Refused as exc:
            return CommandResult(False, str(exc), conflict.reservation_id)
        return self._note_only(conflict, choice, f"Recorded your choice: {choice}. Nothing else was changed.")

    # ------------------------------------------------------------------------ the choices

    def _keep(self, c: ConflictRecord) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            res = self._party(s, c)
            if res.status not in (S.ARRIVED, S.SEATED):
                raise _Refused(f"{_name(res)} is no longer here ({_STATUS_WORDS[res.status].lower()}): nothing to keep.")
            # arrival has no word at most platforms: a party still waiting is re-confirmed as booked
            wanted = res if res.status is S.SEATED else replace(res, status=S.BOOKED)
            outbox.enqueue(
                s, kind="booking.set_status", target=ActionTarget.BOOKING, order_key=f"booking:{res.id}",
                payload=status_payload(wanted, self.layout), now=now, reservation_id=res.id,
                table_id=res.table_ids[0] if res.table_ids else None,
            )
            self._settle(s, c, CHOICE_KEEP, now)
        self._publish(res.id, res.table_ids)
        where = f"seated at {self._label(res.table_ids)}" if res.status is S.SEATED else "waiting"
        return CommandResult(True, f"{_name(res)} stays {where}; the booking platform is asked to re-confirm the booking.", res.id)

    def _release(self, c: ConflictRecord) -> CommandResult:
        now = self.clock.now()
        remote = str(c.facts.get("remote_status") or "").replace(" ", "").lower()
        status = S.NO_SHOW if remote in ("noshow", "no_show") else S.CANCELLED
        kept_ticket = voiding = False
        with self.store.write() as s:
            res = self._party(s, c)
            if res.status not in (S.ARRIVED, S.SEATED):
                raise _Refused(f"{_name(res)} is already off the floor ({_STATUS_WORDS[res.status].lower()}).")
            released = replace(res, status=status, cancelled_at=res.cancelled_at or now)
            repos.save_reservation(s, released, service_date=self._day(res), local_change_at=now)
            for a in outbox.unsettled_for(s, [res.id]).get(res.id, []):
                if a.kind == "booking.set_status":
                    outbox.cancel(s, a.id, now=now, reason="the table was released: the platform already shows the cancellation")
            for t in repos.tickets_for_reservation(s, res.id):
                if not t.is_live:
                    continue
                if t.stage is CourseStage.OPENED:
                    # the commands' own void: withdrawn if it was never sent, else a void is queued
                    voiding = bool(self.commands._void_ticket(s, t, res, now)) or voiding
                else:
                    kept_ticket = True
            self._settle(s, c, CHOICE_RELEASE, now, {"status": status.value, "ticket_kept": kept_ticket})
        self._publish(res.id, res.table_ids)
        table = self._label(res.table_ids)
        msg = f"{_name(res)} released from table {table}." if table else f"{_name(res)} released."
        if kept_ticket:
            msg += " Their ticket already has items: settle it on the POS."
        elif voiding:
            msg += " Its empty ticket is being voided on the POS."
        return CommandResult(True, msg, res.id)

    def _second_ticket(self, c: ConflictRecord) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            res = self._party(s, c)
            held = outbox.get(s, str(c.facts.get("action_id") or ""))
            ticket = repos.get_ticket(s, str(c.facts.get("ticket_id") or ""))
            if res.status is not S.SEATED or ticket is None or not ticket.is_live or held is None:
                raise _Refused(f"{_name(res)} is no longer seated with a waiting ticket: nothing to open.")
            if ticket.pos_id:
                raise _Refused(f"{_name(res)}'s ticket is already on the POS.")
            action_id = repos.new_id()
            repos.save_ticket(s, replace(ticket, external_id=action_id))
            outbox.enqueue(
                s, kind="pos.open_ticket", target=ActionTarget.POS, order_key=f"pos:{res.id}",
                payload={**held.payload, "force": True}, now=now, reservation_id=res.id, table_id=ticket.table_id,
                action_id=action_id,
            )
            self._settle(s, c, CHOICE_SECOND_TICKET, now, {"action": action_id})
        self._publish(res.id, res.table_ids)
        table = self._label((ticket.table_id,)) if ticket.table_id else "the table"
        return CommandResult(True, f"A second ticket will be opened at {table} for {_name(res)}.", res.id)

    def _link(self, c: ConflictRecord) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            res = self._party(s, c)
            ticket = repos.get_ticket(s, str(c.facts.get("ticket_id") or ""))
            held = outbox.get(s, str(c.facts.get("action_id") or ""))
            if res.status is not S.SEATED or ticket is None or not ticket.is_live:
                raise _Refused(f"{_name(res)} is no longer seated with a waiting ticket: nothing to link.")
            payload = {
                "ticket_id": ticket.id,
                "order_guid": c.facts.get("order_guid"),
                "table_id": ticket.table_id,
                "business_date": (held.payload.get("business_date") if held else None) or self._day(res).isoformat(),
                "allergy_text": held.payload.get("allergy_text", "") if held else "",
            }
            a = outbox.enqueue(
                s, kind="pos.attach_ticket", target=ActionTarget.POS, order_key=f"pos:{res.id}", payload=payload,
                now=now, reservation_id=res.id, table_id=ticket.table_id,
            )
            self._settle(s, c, CHOICE_LINK, now, {"action": a.id})
        self._publish(res.id, res.table_ids)
        table = self._label((ticket.table_id,)) if ticket.table_id else "the table"
        notes = " and gets their allergy note" if payload["allergy_text"] else ""
        return CommandResult(True, f"The ticket open at {table} will be linked to {_name(res)}{notes}.", res.id)

    def _move(self, c: ConflictRecord, table_ids: tuple[str, ...] | None) -> CommandResult:
        rid = c.reservation_id
        if rid is None:
            raise _Refused("This conflict names no party to move.")
        if not table_ids:
            suggestions = self.commands.suggest(rid)
            with self.store.read() as s:
                res = repos.get_reservation(s, rid)
            who = _name(res) if res else "the party"
            msg = f"Choose a table for {who}." if suggestions else f"No free table fits {who} right now."
            return CommandResult(False, msg, rid, needs_table=True, suggestions=suggestions)
        result = self.commands.move(rid, tuple(table_ids))
        if not result.ok:
            return result
        now = self.clock.now()
        with self.store.write() as s:
            if _open_conflict(s, c.id) is not None:
                self._settle(s, c, CHOICE_MOVE, now, {"to": list(table_ids)})
        self._publish(rid, tuple(table_ids))
        return result  # an ordinary move: the host can undo it like any other

    def _take_new_size(self, c: ConflictRecord) -> CommandResult:
        size = c.facts.get("remote_party_size")
        if c.reservation_id is None or not isinstance(size, int):
            raise _Refused("The booking platform's party size is not known: nothing to take.")
        result = self.commands.resize(c.reservation_id, size)
        if not result.ok:
            return result
        now = self.clock.now()
        with self.store.write() as s:
            if _open_conflict(s, c.id) is not None:
                self._settle(s, c, CHOICE_TAKE_NEW_SIZE, now, {"party_size": size})
        self._publish(c.reservation_id, ())
        return result

    def _note_only(self, c: ConflictRecord, choice: str, message: str) -> CommandResult:
        now = self.clock.now()
        with self.store.write() as s:
            self._settle(s, c, choice, now)
        self._publish(c.reservation_id, (c.table_id,) if c.table_id else ())
        return CommandResult(True, message, c.reservation_id)

    # --------------------------------------------------------------------------- fallback sheet

    def fallback_sheet(self) -> FallbackSheet:
        """Tonight's parties still expected or in the room, by time, for the printed sheet (reads the cache only)."""
        night = self.queries.read_night()
        header = self.queries.header(night)
        rows = self.queries.reservations(night)
        parties = []
        for r in rows:
            if r.status not in (S.BOOKED, S.ARRIVED, S.SEATED):
                continue
            parties.append(
                SheetParty(
                    time=r.time_local.strftime("%H:%M"),
                    name=r.name,
                    party_size=r.party_size,
                    table=r.table_label,
                    phone=format_phone(r.phone, self.home_region) if r.phone else "",
                    status=_STATUS_WORDS[r.status] + (f" at {r.table_label}" if r.status is S.SEATED and r.table_label else ""),
                    allergy_labels=tuple(a.label for a in r.allergens),
                    allergy_words=r.allergy_words,
                    severe=r.severe_allergy,
                    occasion=r.occasion or "",
                    vip=r.vip_tier if r.vip_tier and r.vip_tier != "Regular" else "",
                    request=r.guest_request,
                )
            )
        data_from = None  # rows come by start time already (past midnight sorts last)
        if header.data_age_s is not None:
            data_from = header.now_local - timedelta(seconds=header.data_age_s)
        return FallbackSheet(
            restaurant=self.settings.name,
            service_date=night.day,
            printed_local=header.now_local,
            data_from_local=data_from,
            stale=header.stale,
            parties=tuple(parties),
            seated=sum(1 for p in parties if p.status.startswith("Seated")),
            expected_covers=sum(p.party_size for p in parties),
            is_tonight=night.day == self.queries.service_date(),
        )

    # ------------------------------------------------------------------------------- helpers

    def _party(self, s: Session, c: ConflictRecord) -> Reservation:
        res = repos.get_reservation(s, c.reservation_id) if c.reservation_id else None
        if res is None:
            raise _Refused("That party is no longer in tonight's list.")
        return res

    def _settle(self, s: Session, c: ConflictRecord, choice: str, now: datetime, detail: dict | None = None) -> None:
        repos.resolve_conflict(s, c.id, choice, now)
        self._audit(s, now, "conflict_resolved", c.reservation_id, c.table_id,
                    {"conflict": c.id, "kind": c.kind, "choice": choice, **(detail or {})})

    def _audit(self, s: Session, now: datetime, action: str, reservation_id: str | None, table_id: str | None, detail: dict) -> None:
        repos.add_audit(
            s,
            AuditEntry(id=repos.new_id(), at=now, actor="manager", action=action, reservation_id=reservation_id,
                       table_id=table_id, detail=detail),
        )

    def _publish(self, reservation_id: str | None, table_ids) -> None:
        self.bus.publish(
            Change.of(
                "outbox", "conflicts", "reservations", "tables", "tickets",
                reservation_ids=[reservation_id] if reservation_id else (),
                table_ids=[t for t in table_ids if t],
            )
        )

    def _day(self, res: Reservation) -> date:
        return service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)

    def _hhmm(self, at: datetime | None) -> str:
        return service_day.local(at, self.settings.tz).strftime("%H:%M") if at else ""

    def _label(self, table_ids) -> str:
        return self.queries._label(table_ids)


class _Refused(Exception):
    """A choice that cannot be carried out any more; the message says why, in plain words."""


def _open_conflict(s: Session, conflict_id: str) -> ConflictRecord | None:
    for c in repos.open_conflicts(s):
        if c.id == conflict_id:
            return c
    return None


def _name(res: Reservation | None) -> str:
    if res is None:
        return "The party"
    return f"{res.guest_name or 'the party'} ({res.party_size})"


def _parse(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


__all__ = [
    "CHOICE_KEEP",
    "CHOICE_KEEP_AS_SEATED",
    "CHOICE_TAKE_NEW_SIZE",
    "CHOICE_LINK",
    "CHOICE_MOVE",
    "CHOICE_RELEASE",
    "CHOICE_SECOND_TICKET",
    "CHOICE_SERVER_TOLD",
    "ConflictCard",
    "FallbackSheet",
    "OperationsService",
    "QueueCounts",
    "SheetParty",
]
