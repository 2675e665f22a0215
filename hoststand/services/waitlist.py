"""The waitlist at the host stand: walk-in parties, the waits quoted to them, calls and texts, seating.

Every change is one local transaction with an audit entry, then a change event on topic "waitlist". Adding,
notifying and removing touch no vendor. Seating is a check-in: the entry becomes a walk-in reservation
(`source="walk_in"`, arrived when the party joined the list) and `HostCommands.check_in` seats it through
the one write path, so the POS ticket opens with the party's notes, allergies first.

Seating in steps, each safe to interrupt:
1. one transaction creates the walk-in guest and reservation and links the entry to it (still waiting);
2. `HostCommands.check_in` seats the reservation and queues the POS ticket (its own transaction, undo step);
3. one transaction marks the entry seated. If the check-in did not go through (no table, table taken), the
   walk-in reservation is discarded again and the entry stays as it was.
An interrupted step 3 is finished by the next read: an entry whose reservation is seated counts as seated.
Undoing the check-in (`HostCommands.undo`) puts the party back: the entry reads as waiting again, and seating
it once more reuses its reservation.

Quotes replay the waitlist in order against the floor's predicted frees (`domain.waitlist.quote_waits`),
using the pacing service's paces and learned turn times, so a small party can be quoted less than a large one
ahead of it. A new party's quote is stored when it joins; the list also shows what the floor says now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hoststand.domain import allergens as al
from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.fitting import suggest_tables
from hoststand.domain.model import Allergen, AuditEntry, FloorLayout, Reservation, ReservationStatus, WaitlistEntry
from hoststand.domain.phone import format_phone
from hoststand.domain.settings import RestaurantSettings
from hoststand.domain.waitlist import (
    REMOVAL_REASONS,
    WAITING_STATUSES,
    QuoteAccuracy,
    WaitQuote,
    free_times,
    new_walk_in,
    quote_accuracy,
    quote_waits,
    wait_timer,
    walk_in_allergies,
    walk_in_party,
)
from hoststand.store import repos
from hoststand.store import waitlist as store_waitlist
from hoststand.store.engine import Store
from hoststand.services.commands import HostCommands
from hoststand.services.pacing import FloorPace, PacingQueries
from hoststand.services.views import CommandResult, TableSuggestion

log = logging.getLogger(__name__)
S = ReservationStatus

NOTIFY_WAYS = ("called", "texted", "told in person")
NOTIFY_WORDS = {"called": "Called", "texted": "Texted", "told in person": "Told in person"}
MAX_PARTY = 50
MAX_NAME = 80
MAX_NOTES = 500


# ------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class WaitlistResult:
    """What a waitlist command did, in plain words. `needs_table`: seating needs the host to pick a table."""

    ok: bool
    message: str
    entry_id: str | None = None
    reservation_id: str | None = None
    needs_table: bool = False
    suggestions: tuple[TableSuggestion, ...] = ()
    undo_label: str | None = None
    quoted_minutes: int | None = None
    field: str | None = None  # the form field a validation message is about: "name", "phone", "party_size"

    def as_command_result(self) -> CommandResult:
        """For the table picker, which reads a check-in's result."""
        return CommandResult(self.ok, self.message, self.reservation_id, self.needs_table, self.suggestions,
                             self.undo_label)


@dataclass(frozen=True)
class QuoteView:
    minutes: int | None  # rounded up to 5; None: no table can take the party tonight
    tables: str  # "12" or "10+11"
    at_local: datetime | None
    reason: str  # "12 predicted free 20:35"

    @property
    def words(self) -> str:
        if self.minutes is None:
            return self.reason or "No table can take this party tonight"
        if self.minutes == 0:
            return "Table free now"
        return f"About {self.minutes} min"


@dataclass(frozen=True)
class NotificationView:
    at_local: datetime
    how: str  # "called", "texted", "told in person"

    @property
    def words(self) -> str:
        return f"{NOTIFY_WORDS.get(self.how, self.how.capitalize())} {self.at_local:%H:%M}"


@dataclass(frozen=True)
class WaitingParty:
    """One party on the list. Times are local; the timer is computed by the view from `added_at`."""

    id: str
    position: int  # 1-based, in the order they joined
    name: str
    party_size: int
    added_at: datetime  # UTC: the timer's origin
    added_local: datetime
    quoted_minutes: int | None
    phone: str | None  # E.164
    phone_display: str  # "(212) 555-0123"
    notes: str = ""
    allergens: tuple[Allergen, ...] = ()
    allergy_words: tuple[str, ...] = ()
    severe_allergy: bool = False
    dietary: tuple[str, ...] = ()
    notifications: tuple[NotificationView, ...] = ()
    status: str = "waiting"  # waiting | notified
    estimate: QuoteView | None = None  # what the floor says now
    seating_undone: bool = False  # seated, then the check-in was undone

    @property
    def has_allergy(self) -> bool:
        return bool(self.allergens or self.allergy_words)

    @property
    def last_notified(self) -> NotificationView | None:
        return self.notifications[-1] if self.notifications else None


@dataclass(frozen=True)
class DoneParty:
    """A party that left the list tonight: seated or removed."""

    id: str
    name: str
    party_size: int
    added_local: datetime
    status: str  # seated | removed
    ended_local: datetime | None
    waited_minutes: int | None
    quoted_minutes: int | None
    reason: str = ""  # why it was removed
    tables: str = ""


@dataclass(frozen=True)
class AccuracyView:
    parties: int
    mean_abs_error_min: float | None
    within_5_min_pct: float | None
    mean_error_min: float | None

    @property
    def words(self) -> str:
        if not self.parties or self.mean_abs_error_min is None:
            return "Quote accuracy: no quoted party seated yet tonight"
        bias = ""
        if self.mean_error_min is not None and abs(self.mean_error_min) >= 1:
            side = "longer" if self.mean_error_min > 0 else "shorter"
            bias = f"; waits ran {abs(self.mean_error_min):.0f} min {side} than quoted on average"
        return (
            f"Quotes tonight: within 5 min for {self.within_5_min_pct:.0f}% of {self.parties} seated "
            f"{'party' if self.parties == 1 else 'parties'}, off by {self.mean_abs_error_min:.1f} min on average{bias}"
        )


@dataclass(frozen=True)
class WaitlistView:
    now_local: datetime
    waiting: tuple[WaitingParty, ...]
    done: tuple[DoneParty, ...]
    accuracy: AccuracyView
    covers_waiting: int

    def get(self, entry_id: str) -> WaitingParty | None:
        return next((p for p in self.waiting if p.id == entry_id), None)


# ------------------------------------------------------------------------------------------ service


class WaitlistService:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        commands: HostCommands,
        pacing: PacingQueries,
        default_region: str = "US",
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.commands = commands
        self.pacing = pacing
        self.default_region = default_region

    # ----------------------------------------------------------------------------------- reads

    def _window(self, now: datetime) -> tuple[datetime, datetime]:
        day = service_day.service_date(now, self.settings.tz, self.settings.service_day_rollover_hour)
        return service_day.service_window(day, self.settings.tz, self.settings.service_day_rollover_hour)

    def _tonight(self, now: datetime) -> tuple[list[WaitlistEntry], dict[str, Reservation]]:
        start, end = self._window(now)
        with self.store.read() as s:
            entries = store_waitlist.entries_between(s, start, end)
            linked = {}
            for e in entries:
                if e.reservation_id:
                    r = repos.get_reservation(s, e.reservation_id)
                    if r is not None:
                        linked[r.id] = r
        return [_effective(e, linked) for e in entries], linked

    def entries(self) -> list[WaitlistEntry]:
        """Tonight's entries, in the order they joined, each as it stands (see the module docstring)."""
        entries, _ = self._tonight(self.clock.now())
        return entries

    def view(self, *, estimate: bool = True, floor: FloorPace | None = None) -> WaitlistView:
        """The host's list: the parties waiting (with what the floor says now), those done, the accuracy."""
        now = self.clock.now()
        entries, linked = self._tonight(now)
        waiting = [e for e in entries if e.status in WAITING_STATUSES]
        estimates: dict[str, WaitQuote] = {}
        if estimate and waiting:
            estimates = self._quotes(waiting, floor or self.pacing.floor_pace())
        tz = self.settings.tz
        parties = []
        for i, e in enumerate(waiting, start=1):
            allergies = walk_in_allergies(e)
            q = estimates.get(e.id)
            parties.append(
                WaitingParty(
                    id=e.id,
                    position=i,
                    name=e.name,
                    party_size=e.party_size,
                    added_at=e.added_at,
                    added_local=service_day.local(e.added_at, tz),
                    quoted_minutes=e.quoted_minutes,
                    phone=e.phone,
                    phone_display=format_phone(e.phone, self.default_region) if e.phone else "",
                    notes=e.notes,
                    allergens=allergies.codes,
                    allergy_words=allergies.words,
                    severe_allergy=allergies.severe,
                    dietary=tuple(dict.fromkeys((*e.dietary, *allergies.dietary))),
                    notifications=tuple(NotificationView(service_day.local(at, tz), how) for at, how in e.notifications),
                    status=e.status,
                    estimate=self._quote_view(q) if q is not None else None,
                    seating_undone=e.reservation_id is not None,
                )
            )
        done = []
        for e in entries:
            if e.status in WAITING_STATUSES:
                continue
            ended = e.seated_at if e.status == "seated" else None  # the row keeps no removal time
            waited = int((ended - e.added_at).total_seconds() // 60) if ended else None
            done.append(
                DoneParty(
                    id=e.id,
                    name=e.name,
                    party_size=e.party_size,
                    added_local=service_day.local(e.added_at, tz),
                    status=e.status,
                    ended_local=service_day.local(ended, tz) if ended else None,
                    waited_minutes=waited,
                    quoted_minutes=e.quoted_minutes,
                    reason=e.removed_reason or "",
                    tables=self.pacing.label(e.table_ids),
                )
            )
        return WaitlistView(
            now_local=service_day.local(now, tz),
            waiting=tuple(parties),
            done=tuple(reversed(done)),
            accuracy=self._accuracy(entries),
            covers_waiting=sum(p.party_size for p in parties),
        )

    def accuracy(self) -> AccuracyView:
        entries, _ = self._tonight(self.clock.now())
        return self._accuracy(entries)

    @staticmethod
    def _accuracy(entries: Iterable[WaitlistEntry]) -> AccuracyView:
        a: QuoteAccuracy = quote_accuracy(entries)
        return AccuracyView(a.parties, a.mean_abs_error_min, a.within_5_min_pct, a.mean_error_min)

    def quote(self, party_size: int, *, floor: FloorPace | None = None) -> QuoteView:
        """What a new party of `party_size` would be quoted now, behind everyone already waiting."""
        if party_size < 1:
            return QuoteView(None, "", None, "A party has at least one guest")
        now = self.clock.now()
        entries, _ = self._tonight(now)
        waiting = [e for e in entries if e.status in WAITING_STATUSES]
        probe = WaitlistEntry(id="__new__", name="new", party_size=party_size, added_at=now)
        quotes = self._quotes([*waiting, probe], floor or self.pacing.floor_pace())
        return self._quote_view(quotes["__new__"])

    def _quotes(self, entries: list[WaitlistEntry], fp: FloorPace) -> dict[str, WaitQuote]:
        free_at = free_times(fp.statuses, fp.paces, now=fp.now)
        for t in fp.blocked:
            free_at.pop(t, None)
        return quote_waits(
            entries,
            free_at,
            self.layout,
            fp.reservations,
            now=fp.now,
            turn_model=fp.model,
            tz=self.settings.tz,
            hold_window=self.settings.hold_window,
        )

    def _quote_view(self, q: WaitQuote) -> QuoteView:
        return QuoteView(
            q.minutes,
            self.pacing.label(q.table_ids),
            service_day.local(q.at, self.settings.tz) if q.at else None,
            q.reason,
        )

    # -------------------------------------------------------------------------------- commands

    def add(
        self,
        name: str,
        party_size: int,
        *,
        phone: str = "",
        notes: str = "",
        allergens: Iterable[Allergen] = (),
        allergy_notes: str = "",
        quoted_minutes: int | None = None,
    ) -> WaitlistResult:
        """Put a walk-in party on the list and quote it. `quoted_minutes` overrides the computed quote (the
        host told the guest something else)."""
        now = self.clock.now()
        name = (name or "").strip()
        if not name:
            return WaitlistResult(False, "Enter the party's name.", field="name")
        if len(name) > MAX_NAME:
            return WaitlistResult(False, f"The name is too long (at most {MAX_NAME} characters).", field="name")
        if not isinstance(party_size, int) or party_size < 1 or party_size > MAX_PARTY:
            return WaitlistResult(False, f"Party size must be between 1 and {MAX_PARTY}.", field="party_size")
        if len(notes) > MAX_NOTES or len(allergy_notes) > MAX_NOTES:
            return WaitlistResult(False, f"Notes are too long (at most {MAX_NOTES} characters).", field="notes")
        if quoted_minutes is not None and not 0 <= quoted_minutes <= 600:
            return WaitlistResult(False, "A quoted wait must be between 0 and 600 minutes.", field="quote")
        try:
            entry = new_walk_in(
                repos.new_id(), name, party_size, now, phone=phone, notes=notes, allergens=allergens,
                allergy_notes=allergy_notes, default_region=self.default_region,
            )
        except ValueError as exc:
            message = str(exc)
            where = "phone" if "phone" in message else None
            if where == "phone":
                message = f"{message}. Check the number, or leave it empty."
            return WaitlistResult(False, message, field=where)
        dietary = tuple(dict.fromkeys((*al.detect_dietary(allergy_notes), *al.detect_dietary(notes))))
        quote_view = None
        if quoted_minutes is None:
            quote_view = self.quote(party_size)
            quoted_minutes = quote_view.minutes
        entry = replace(entry, quoted_minutes=quoted_minutes, quoted_at=now, dietary=dietary)
        with self.store.write() as s:
            start, end = self._window(now)
            last = store_waitlist.entries_between(s, start, end)[-1:]
            if last and last[0].added_at >= entry.added_at:  # same instant (a stopped clock): keep the order
                entry = replace(entry, added_at=last[0].added_at + timedelta(microseconds=1))
            store_waitlist.save_entry(s, entry)
            self._audit(s, now, "waitlist.added", entry, {"party_size": party_size, "quoted_minutes": quoted_minutes})
        self._publish()
        if quoted_minutes is None:
            wait = (quote_view.reason if quote_view else "") or "no table can take them tonight"
            message = f"{entry.name} ({party_size}) added to the waitlist. No quote: {wait}."
        elif quoted_minutes == 0:
            message = f"{entry.name} ({party_size}) added. A table is free now: seat them."
        else:
            message = f"{entry.name} ({party_size}) added. Quoted about {quoted_minutes} min."
        return WaitlistResult(True, message, entry.id, quoted_minutes=quoted_minutes)

    def notify(self, entry_id: str, how: str) -> WaitlistResult:
        """Record that the guest was called, texted or told in person that their table is ready."""
        how = (how or "").strip().lower()
        if how not in NOTIFY_WAYS:
            return WaitlistResult(False, f"Say how the guest was told: {', '.join(NOTIFY_WAYS)}.", entry_id)
        now = self.clock.now()
        with self.store.write() as s:
            entry = store_waitlist.get_entry(s, entry_id)
            if entry is None:
                return WaitlistResult(False, "That party is no longer on the waitlist.", entry_id)
            entry = self._settle(s, entry)
            if entry.status not in WAITING_STATUSES:
                return WaitlistResult(False, f"{entry.name} is no longer waiting ({entry.status}).", entry_id)
            updated = replace(
                entry,
                status="notified",
                notified_at=now,
                notified_how=how,
                notifications=(*entry.notifications, (now, how)),
            )
            store_waitlist.save_entry(s, updated)
            self._audit(s, now, "waitlist.notified", entry, {"how": how, "times": len(updated.notifications)})
        self._publish()
        local = service_day.local(now, self.settings.tz)
        return WaitlistResult(True, f"{NOTIFY_WORDS[how]} {entry.name} at {local:%H:%M}.", entry_id)

    def remove(self, entry_id: str, reason: str) -> WaitlistResult:
        """Take a party off the list, saying why: left, seated elsewhere, no answer."""
        reason = (reason or "").strip().lower()
        if reason not in REMOVAL_REASONS:
            return WaitlistResult(False, f"Say why the party is removed: {', '.join(REMOVAL_REASONS)}.", entry_id)
        now = self.clock.now()
        with self.store.write() as s:
            entry = store_waitlist.get_entry(s, entry_id)
            if entry is None:
                return WaitlistResult(False, "That party is no longer on the waitlist.", entry_id)
            entry = self._settle(s, entry)
            if entry.status not in WAITING_STATUSES:
                return WaitlistResult(False, f"{entry.name} is no longer waiting ({entry.status}).", entry_id)
            if entry.reservation_id:  # a seating that was undone left an arrived walk-in behind
                res = repos.get_reservation(s, entry.reservation_id)
                if res is not None and res.status in (S.BOOKED, S.ARRIVED):
                    repos.save_reservation(
                        s, replace(res, status=S.CANCELLED, cancelled_at=now), service_date=self._day(res),
                        local_change_at=now,
                    )
            updated = replace(entry, status="removed", removed_reason=reason)
            store_waitlist.save_entry(s, updated)
            self._audit(s, now, "waitlist.removed", entry, {"reason": reason, "at": now.isoformat()})
        self._publish(reservations=bool(entry.reservation_id))
        return WaitlistResult(True, f"{entry.name} ({entry.party_size}) removed from the waitlist: {reason}.", entry_id)

    def suggest(self, entry_id: str, *, floor: FloorPace | None = None) -> tuple[TableSuggestion, ...]:
        """The tables that fit the party now for its expected turn, best first (the check-in's fitting rules,
        against the floor's predicted frees and tonight's held tables)."""
        with self.store.read() as s:
            entry = store_waitlist.get_entry(s, entry_id)
        if entry is None:
            return ()
        return self._suggest(entry.party_size, floor or self.pacing.floor_pace())

    def _suggest(self, size: int, fp: FloorPace) -> tuple[TableSuggestion, ...]:
        now = fp.now
        turn = fp.model.estimate_at(size, now, self.settings.tz).duration
        busy: dict[str, list[tuple[datetime, datetime]]] = {}
        for table_id, pace in fp.paces.items():
            busy.setdefault(table_id, []).append((now - timedelta(hours=6), max(pace.predicted_free_at, now)))
        for r in fp.reservations:
            if r.status in (S.BOOKED, S.ARRIVED) and r.table_ids:
                end = r.start + fp.model.estimate_at(r.party_size, r.start, self.settings.tz).duration
                if end > now:
                    for t in r.table_ids:
                        busy.setdefault(t, []).append((r.start, end))
        fits = suggest_tables(size, now, turn, self.layout, busy, now=now, blocked=fp.blocked, limit=5,
                              tz=self.settings.tz)
        return tuple(
            TableSuggestion(table_ids=f.table_ids, label=self.pacing.label(f.table_ids), seats=f.seats, reason=f.reason)
            for f in fits
        )

    def seat(self, entry_id: str, table_ids: tuple[str, ...] | None = None) -> WaitlistResult:
        """Seat a waiting party like a check-in (see the module docstring). Without a table nothing changes and
        the result carries the best-fitting free tables; a table that is taken is refused the same way."""
        now = self.clock.now()
        tables = tuple(table_ids or ())
        if not tables:
            with self.store.read() as s:
                entry = store_waitlist.get_entry(s, entry_id)
            if entry is None:
                return WaitlistResult(False, "That party is no longer on the waitlist.", entry_id)
            suggestions = self._suggest(entry.party_size, self.pacing.floor_pace())
            who = f"{entry.name} ({entry.party_size})"
            if suggestions:
                return WaitlistResult(False, f"Choose a table for {who}.", entry_id, needs_table=True,
                                      suggestions=suggestions)
            return WaitlistResult(False, f"No free table fits {who} for the expected turn right now: keep them on "
                                  "the waitlist.", entry_id, needs_table=True)
        with self.store.write() as s:
            entry = store_waitlist.get_entry(s, entry_id)
            if entry is None:
                return WaitlistResult(False, "That party is no longer on the waitlist.", entry_id)
            entry = self._settle(s, entry)
            if entry.status not in WAITING_STATUSES:
                return WaitlistResult(False, f"{entry.name} is no longer waiting ({entry.status}).", entry_id)
            reservation = repos.get_reservation(s, entry.reservation_id) if entry.reservation_id else None
            created = reservation is None or reservation.status is not S.ARRIVED
            if created:
                reservation = self._walk_in(s, entry, now)
                store_waitlist.save_entry(s, replace(entry, reservation_id=reservation.id))
        assert reservation is not None
        result = self.commands.check_in(reservation.id, tables, entry.party_size)
        if not result.ok:
            if created:
                with self.store.write() as s:
                    store_waitlist.discard_walk_in(s, reservation.id)
                    current = store_waitlist.get_entry(s, entry_id)
                    if current is not None and current.reservation_id == reservation.id:
                        store_waitlist.save_entry(s, replace(current, reservation_id=None))
            message = result.message.replace("mark them arrived and they will wait", "keep them on the waitlist")
            return WaitlistResult(False, message, entry_id, None if created else reservation.id, result.needs_table,
                                  result.suggestions)
        with self.store.write() as s:
            seated = repos.get_reservation(s, reservation.id)
            current = store_waitlist.get_entry(s, entry_id) or entry
            done = replace(
                current,
                status="seated",
                seated_at=now,
                reservation_id=reservation.id,
                table_ids=seated.table_ids if seated else tables,
            )
            store_waitlist.save_entry(s, done)
            waited = int((now - entry.added_at).total_seconds() // 60)
            self._audit(s, now, "waitlist.seated", done, {"tables": list(done.table_ids), "waited_min": waited,
                                                          "quoted_minutes": entry.quoted_minutes})
        self._publish(reservations=True, table_ids=done.table_ids, reservation_id=reservation.id)
        return WaitlistResult(True, result.message, entry_id, reservation.id, undo_label=result.undo_label)

    # ---------------------------------------------------------------------------------- helpers

    def _walk_in(self, s, entry: WaitlistEntry, now: datetime) -> Reservation:
        guest, reservation = walk_in_party(entry, reservation_id=repos.new_id())
        turn = self.pacing.turn_model().estimate_at(entry.party_size, now, self.settings.tz)
        reservation = replace(reservation, duration=turn.duration, last_seen=now)
        if repos.get_guest(s, guest.id) is None:
            repos.save_guest(s, replace(guest, dietary=entry.dietary))
        repos.save_reservation(s, reservation, service_date=self._day(reservation), local_change_at=now)
        return reservation

    def _settle(self, s, entry: WaitlistEntry) -> WaitlistEntry:
        """The entry as it stands, written back when an interrupted seating left it behind its reservation."""
        if not entry.reservation_id:
            return entry
        res = repos.get_reservation(s, entry.reservation_id)
        settled = _effective(entry, {res.id: res} if res else {})
        if settled != entry:
            store_waitlist.save_entry(s, settled)
        return settled

    def _day(self, res: Reservation) -> date:
        return service_day.service_date(res.start, self.settings.tz, self.settings.service_day_rollover_hour)

    def _audit(self, s, now: datetime, action: str, entry: WaitlistEntry, detail: dict) -> None:
        repos.add_audit(
            s,
            AuditEntry(
                id=repos.new_id(), at=now, actor="host", action=action, reservation_id=entry.reservation_id,
                table_id=entry.table_ids[0] if entry.table_ids else None, detail={"entry_id": entry.id, **detail},
            ),
        )

    def _publish(self, *, reservations: bool = False, table_ids=(), reservation_id: str | None = None) -> None:
        topics = ("waitlist", "reservations", "tables") if reservations else ("waitlist",)
        self.bus.publish(Change.of(*topics, reservation_ids=[reservation_id] if reservation_id else [],
                                   table_ids=table_ids))


def _effective(entry: WaitlistEntry, linked: dict[str, Reservation]) -> WaitlistEntry:
    """An entry as it stands given its walk-in reservation: seated once the reservation sat (a step-3 write
    that never happened), waiting again when the seating was undone."""
    res = linked.get(entry.reservation_id) if entry.reservation_id else None
    if res is None:
        return entry
    if entry.status in WAITING_STATUSES and res.status in (S.SEATED, S.FINISHED) and res.seated_at is not None:
        return replace(entry, status="seated", seated_at=res.seated_at, table_ids=res.table_ids)
    if entry.status == "seated" and res.status in (S.BOOKED, S.ARRIVED):
        back = "notified" if entry.notifications else "waiting"
        return replace(entry, status=back, seated_at=None, table_ids=())
    return entry


def timer_words(party: WaitingParty, now: datetime) -> tuple[str, bool]:
    """("12 min left" / "5 min over" / "waiting 14 min", overdue) for a party's live timer."""
    entry = WaitlistEntry(id=party.id, name=party.name, party_size=party.party_size, added_at=party.added_at,
                          quoted_minutes=party.quoted_minutes)
    t = wait_timer(entry, now=now)
    if t.remaining_minutes is None:
        return f"waiting {t.waited_minutes} min", False
    if t.overdue:
        return f"{t.over_by_minutes} min over", True
    if t.remaining_minutes == 0:
        return "due now", False
    return f"{t.remaining_minutes} min left", False


__all__ = [
    "AccuracyView",
    "DoneParty",
    "NOTIFY_WAYS",
    "NotificationView",
    "QuoteView",
    "REMOVAL_REASONS",
    "WaitingParty",
    "WaitlistResult",
    "WaitlistService",
    "WaitlistView",
    "timer_words",
]
