"""The screens' queries: tonight's header, reservation list, floor, and one party's details, from the store.

Reads only (a WAL snapshot each); the UI calls these after a change event and renders the view objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.covers import covers_of
from hoststand.domain.floor_state import derive_floor
from hoststand.domain.model import (
    ActionState,
    ActionTarget,
    FloorLayout,
    Guest,
    OutboxAction,
    Reservation,
    ReservationStatus,
    TableState,
    Ticket,
)
from hoststand.domain.party import party_allergies
from hoststand.domain.pacing import table_label
from hoststand.domain.settings import RestaurantSettings
from hoststand.sync.health import HealthMonitor
from hoststand.sync.tables import TableIdentity
from hoststand.services.views import (
    ApiHealthView,
    ConflictView,
    FloorView,
    HeaderView,
    PartyDetails,
    QueueItemView,
    ReservationRow,
    TableView,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from hoststand.store.engine import Store

# The repositories (`hoststand.store.repos`, `outbox`) are imported where they are used, not with this module:
# they bring SQLAlchemy, and the app's first screen is read without it (`hoststand.store.first_read`).

# The puller's feed names (`hoststand.sync.puller.FEED_*`; tests/ui/test_start_up.py checks
# they agree). Not imported from there: that module brings the vendors' merge code (phone numbers, …) into
# the app's start-up, before the first paint, and the screens only read these two feeds.
FEED_RESERVATIONS = "booking.reservations"
FEED_POS_ORDERS = "pos.orders"


@dataclass(frozen=True)
class NightData:
    """One consistent read of tonight (one WAL snapshot), shared by the header, the list and the floor."""

    day: date
    now: datetime
    reservations: list[Reservation]
    guests: dict[str, Guest]
    live_tickets: list[Ticket]
    pending: dict[str, list[OutboxAction]]
    counts: dict[ActionState, int]
    open_conflicts: int
    feeds: dict
    identity: TableIdentity


S = ReservationStatus
API_LABELS = {"opentable": "OpenTable", "toast": "Toast", "resy": "Resy", "sevenrooms": "SevenRooms",
              "square": "Square", "lightspeed": "Lightspeed", "omnivore": "Omnivore"}
_COUNTED = (S.BOOKED, S.ARRIVED, S.SEATED, S.FINISHED)
# Just after start the sync's first pull gets this long before the cache is called stale: a banner that came and
# went at every launch moved the whole screen twice (and redrew the plan at a new size each time).
FIRST_PULL_GRACE = timedelta(seconds=30)


class FloorQueries:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        health: HealthMonitor | None = None,
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.health = health
        self._table_names = {t.id: t.name for t in layout.tables}
        self._opened_at = clock.now()
        self._list_rows: dict[str, tuple] = {}  # by reservation id: (party, guest, facts, the list row built from them)

    # ------------------------------------------------------------------------------------- basics

    def service_date(self) -> date:
        return service_day.service_date(self.clock.now(), self.settings.tz, self.settings.service_day_rollover_hour)

    def _day(self, s: Session) -> date:
        """Tonight; or, when the cache holds nothing for tonight (offline start), the last night it holds."""
        from hoststand.store import repos

        today = self.service_date()
        if repos.has_reservations_for_day(s, today):
            return today
        return repos.latest_service_date(s) or today

    def read_night(self) -> NightData:
        now = self.clock.now()
        if not self.store.connected:  # the app's first screen: read before SQLAlchemy is imported
            return self._first_night(now)
        from hoststand.store import outbox, repos

        with self.store.read() as s:
            day = self._day(s)
            reservations = repos.reservations_for_day(s, day)
            return NightData(
                day=day,
                now=now,
                reservations=reservations,
                guests=repos.guests_by_ids(s, (r.guest_id for r in reservations if r.guest_id)),
                live_tickets=repos.live_tickets(s),
                pending=outbox.unsettled_for(s),
                counts=outbox.counts(s),
                open_conflicts=repos.count_open_conflicts(s),
                feeds=repos.all_sync_states(s),
                identity=TableIdentity.load(s, self.layout),
            )

    def _first_night(self, now: datetime) -> NightData:
        from hoststand.store import first_read

        f = first_read.night(self.store.path, self.service_date())
        return NightData(
            day=f.day,
            now=now,
            reservations=f.reservations,
            guests=f.guests,
            live_tickets=f.live_tickets,
            pending=f.pending,
            counts=f.counts,
            open_conflicts=f.open_conflicts,
            feeds=f.feeds,
            identity=TableIdentity.build(self.layout, f.pos_tables),
        )

    def local(self, at: datetime | None) -> datetime | None:
        return service_day.local(at, self.settings.tz) if at else None

    # ------------------------------------------------------------------------------------- header

    def header(self, night: NightData | None = None) -> HeaderView:
        n = night or self.read_night()
        now, reservations, tickets, counts = n.now, n.reservations, n.live_tickets, n.counts
        walk_in_covers = sum(t.covers for t in tickets if t.reservation_id is None and t.table_id)
        ticket_of = {t.reservation_id: t for t in tickets if t.reservation_id and not t.placeholder}
        # once seated the POS's guest count is the truth ("POS wins"), unless a manager overrode it
        seated_covers = sum(covers_of(r, ticket_of.get(r.id), override=r.cover_override) for r in reservations if r.status is S.SEATED)
        last_pull = n.feeds.get(FEED_RESERVATIONS)
        age = (now - last_pull.last_success).total_seconds() if last_pull and last_pull.last_success else None
        stale = (age is None or age > self.settings.stale_after.total_seconds()) and not self._first_pull_pending(now)
        return HeaderView(
            restaurant=self.settings.name,
            service_date=n.day,
            now_local=service_day.local(now, self.settings.tz),
            covers_booked=sum(r.party_size for r in reservations if r.status in _COUNTED),
            covers_arrived=sum(r.party_size for r in reservations if r.status is S.ARRIVED),
            covers_seated=seated_covers + walk_in_covers,
            parties_total=sum(1 for r in reservations if r.status in _COUNTED),
            parties_seated=sum(1 for r in reservations if r.status is S.SEATED),
            apis=self.api_health(),
            queued_actions=counts[ActionState.PENDING] + counts[ActionState.IN_FLIGHT] + counts[ActionState.FAILED],
            dead_actions=counts[ActionState.DEAD],
            open_conflicts=n.open_conflicts,
            data_age_s=age,
            stale=stale,
        )

    def _first_pull_pending(self, now: datetime) -> bool:
        """Whether the app has just started and the booking platform has neither answered nor failed yet (its
        first pull is on its way), for at most FIRST_PULL_GRACE. A failure shows at once, as an outage."""
        if self.health is None or now - self._opened_at > FIRST_PULL_GRACE:
            return False
        booking = [h for h in self.health.snapshot().values() if h.role == "booking"]
        return all(h.last_success is None and h.since is None for h in booking)

    def api_health(self) -> tuple[ApiHealthView, ...]:
        if self.health is None:
            return ()
        views = []
        for api, h in self.health.snapshot().items():
            views.append(
                ApiHealthView(
                    api=api,
                    label=API_LABELS.get(api, api.title()),
                    role=h.role,
                    state=h.state.value,
                    since_local=self.local(h.since),
                    last_success_local=self.local(h.last_success),
                    detail=h.last_error,
                    auth_failed=h.auth_failed,
                )
            )
        return tuple(sorted(views, key=lambda v: v.role))

    # ----------------------------------------------------------------------------- reservations

    def reservations(self, night: NightData | None = None) -> list[ReservationRow]:
        n = night or self.read_night()
        # a party at a POS table the plan does not place (a walk-in at the bar) is named by that table
        off_plan = {
            t.reservation_id: name
            for t in n.live_tickets
            if t.reservation_id and (name := n.identity.pos_only_name(t.pos_table_guid))
        }
        return [
            self._row(r, n.guests.get(r.guest_id) if r.guest_id else None, r.id in n.pending, n.now,
                      off_plan.get(r.id) if not r.table_ids else None)
            for r in n.reservations
        ]

    def _row(
        self, r: Reservation, g: Guest | None, pending: bool, now: datetime, off_plan: str | None = None
    ) -> ReservationRow:
        late = 0
        if r.status is S.BOOKED and now > r.start:
            late = int((now - r.start).total_seconds() // 60)
        seated_min = None
        if r.status is S.SEATED and r.seated_at:
            seated_min = max(0, int((now - r.seated_at).total_seconds() // 60))
        suspect = r.status is S.BOOKED and now > r.start + self.settings.no_show_grace
        # the store hands back the very same party and guest objects while their rows are unchanged
        # (repos._Built): then the row is the one built last time, unless the minute or the queue moved it
        facts = (pending, late, seated_min, suspect, off_plan)
        seen = self._list_rows.get(r.id)
        if seen is not None and seen[0] is r and seen[1] is g and seen[2] == facts:
            return seen[3]
        row = self._build_row(r, g, pending, late, seated_min, suspect, off_plan)
        if len(self._list_rows) > 20_000:
            self._list_rows.clear()
        self._list_rows[r.id] = (r, g, facts, row)
        return row

    def _build_row(
        self, r: Reservation, g: Guest | None, pending: bool, late: int, seated_min: int | None, suspect: bool,
        off_plan: str | None,
    ) -> ReservationRow:
        allergies = party_allergies(g, r)
        return ReservationRow(
            id=r.id,
            time_local=service_day.local(r.start, self.settings.tz),
            name=r.guest_name or (g.display_name if g else "Guest"),
            party_size=r.party_size,
            status=r.status,
            table_label=off_plan or self._label(r.table_ids),
            table_ids=r.table_ids,
            allergens=allergies.codes,
            allergy_words=" / ".join(allergies.words),
            severe_allergy=allergies.severe,
            occasion=r.occasion,
            vip_tier=g.vip_tier if g else None,
            phone=g.phone if g else None,
            pending=pending,
            minutes_late=late,
            seated_minutes=seated_min,
            no_show_suspect=suspect,
            guest_request=r.guest_request,
        )

    # ------------------------------------------------------------------------------------ floor

    def floor(self, night: NightData | None = None) -> FloorView:
        n = night or self.read_night()
        now, reservations, tickets, identity = n.now, n.reservations, n.live_tickets, n.identity
        feeds, guests, pending = n.feeds, n.guests, n.pending
        pos_feed = feeds.get(FEED_POS_ORDERS)
        statuses = derive_floor(
            self.layout,
            reservations,
            tickets,
            now=now,
            hold_window=self.settings.hold_window,
            pos_last_heard=pos_feed.last_success if pos_feed else None,
            stale_after=self.settings.stale_after,
        )
        by_id = {r.id: r for r in reservations}
        pending_tables = {a.table_id for acts in pending.values() for a in acts if a.table_id}
        views = []
        for table in self.layout.tables:
            st = statuses[table.id]
            res = by_id.get(st.reservation_id) if st.reservation_id else None
            nxt = by_id.get(st.next_reservation_id) if st.next_reservation_id else None
            guest = guests.get(res.guest_id) if res and res.guest_id else None
            allergies = party_allergies(guest, res) if res else None
            seated_min = None
            if st.seated_since and st.state not in (TableState.FREE, TableState.HELD, TableState.BLOCKED):
                seated_min = max(0, int((now - st.seated_since).total_seconds() // 60))
            views.append(
                TableView(
                    id=table.id,
                    name=table.name,
                    section_id=table.section_id,
                    shape=table.shape,
                    x=table.x,
                    y=table.y,
                    w=table.w,
                    h=table.h,
                    rotation=table.rotation,
                    min_seats=table.min_seats,
                    max_seats=table.max_seats,
                    state=st.state,
                    stage=st.stage,
                    reservation_id=st.reservation_id,
                    party_name=st.party_name or None,
                    covers=st.covers or None,
                    seated_minutes=seated_min,
                    next_time_local=self.local(nxt.start) if nxt else None,
                    next_name=nxt.guest_name if nxt else None,
                    has_allergy=bool(allergies and allergies.any),
                    occasion=res.occasion if res else None,
                    vip=bool(guest and guest.vip_tier and guest.vip_tier != "Regular"),
                    pending=table.id in pending_tables or bool(res and res.id in pending),
                    pos_linked=(not identity.pos_known) or table.id not in identity.unknown_to_pos,
                    stale=st.stale and st.state not in (TableState.FREE, TableState.HELD),
                    walk_in=st.state not in (TableState.FREE, TableState.HELD, TableState.BLOCKED)
                    and (res is None or res.source == "walk_in"),
                )
            )
        return FloorView(
            name=self.layout.name,
            width=self.layout.width,
            height=self.layout.height,
            sections=self.layout.sections,
            tables=tuple(views),
            unlinked_pos_tables=identity.pos_only,
        )

    # ---------------------------------------------------------------------------------- details

    def party(self, reservation_id: str) -> PartyDetails | None:
        from hoststand.store import outbox, repos

        with self.store.read() as s:
            r = repos.get_reservation(s, reservation_id)
            if r is None:
                return None
            g = repos.get_guest(s, r.guest_id)
            tickets = repos.tickets_for_reservation(s, r.id)
            pending = outbox.unsettled_for(s, [r.id]).get(r.id, [])
        allergies = party_allergies(g, r)
        now = self.clock.now()
        late = int((now - r.start).total_seconds() // 60) if r.status is S.BOOKED and now > r.start else 0
        live = [t for t in tickets if t.is_live]
        ticket = live[-1] if live else (tickets[-1] if tickets else None)
        return PartyDetails(
            reservation_id=r.id,
            name=r.guest_name or (g.display_name if g else "Guest"),
            party_size=r.party_size,
            time_local=service_day.local(r.start, self.settings.tz),
            status=r.status,
            table_label=self._label(r.table_ids),
            allergens=allergies.codes,
            allergy_words=allergies.words,
            severe_allergy=allergies.severe,
            dietary=allergies.dietary,
            occasion=r.occasion,
            vip_tier=g.vip_tier if g else None,
            preferred_server=g.preferred_server if g else None,
            guest_request=r.guest_request,
            venue_notes=r.venue_notes,
            profile_notes=g.notes if g else "",
            phone=g.phone if g else None,
            email=g.email if g else None,
            tags=r.tags,
            visits=g.visits if g else 0,
            last_visit_local=self.local(g.last_visit) if g else None,
            total_spend=g.total_spend if g else 0,
            currency=g.currency if g else self.settings.currency,
            ticket_stage=ticket.stage if ticket else None,
            ticket_pending=bool(ticket and ticket.pos_id is None and ticket.is_live),
            pending_notes=tuple(self._pending_words(a, r) for a in pending),
            seated_local=self.local(r.seated_at),
            arrived_local=self.local(r.arrived_at),
            source=r.source,
            minutes_late=late,
            no_show_suspect=r.status is S.BOOKED and now > r.start + self.settings.no_show_grace,
        )

    def party_at_table(self, table_id: str) -> PartyDetails | None:
        from hoststand.store import repos

        floor = {t.id: t for t in self.floor().tables}
        t = floor.get(table_id)
        if t is None:
            return None
        rid = t.reservation_id
        if rid is None:
            with self.store.read() as s:
                day = self._day(s)
                upcoming = [
                    r for r in repos.reservations_for_day(s, day)
                    if table_id in r.table_ids and r.status in (S.BOOKED, S.ARRIVED)
                ]
            rid = min(upcoming, key=lambda r: r.start).id if upcoming else None
        return self.party(rid) if rid else None

    # ------------------------------------------------------------------------- queue & conflicts

    def queue(self) -> list[QueueItemView]:
        from hoststand.store import outbox, repos

        with self.store.read() as s:
            actions = outbox.by_state(s, (ActionState.PENDING, ActionState.IN_FLIGHT, ActionState.FAILED, ActionState.DEAD))
            names = {}
            for a in actions:
                if a.reservation_id and a.reservation_id not in names:
                    r = repos.get_reservation(s, a.reservation_id)
                    names[a.reservation_id] = r
        out = []
        for a in actions:
            r = names.get(a.reservation_id) if a.reservation_id else None
            out.append(
                QueueItemView(
                    id=a.id,
                    kind_label=self._pending_words(a, r),
                    api_label="POS" if a.target is ActionTarget.POS else "Booking platform",
                    state=a.state.value,
                    attempts=a.attempts,
                    created_local=self.local(a.created_at),
                    next_attempt_local=self.local(a.next_attempt_at) if a.state is ActionState.FAILED else None,
                    error=a.last_error or "",
                )
            )
        return out

    def conflicts(self) -> list[ConflictView]:
        from hoststand.store import repos

        with self.store.read() as s:
            rows = repos.open_conflicts(s)
        return [
            ConflictView(id=c.id, summary=c.summary, created_local=service_day.local(c.created_at, self.settings.tz),
                         choices=c.choices, reservation_id=c.reservation_id, facts=c.facts)
            for c in rows
        ]

    def _pending_words(self, a: OutboxAction, r: Reservation | None) -> str:
        who = f"{r.guest_name or 'party'} ({r.party_size})" if r else "a party"
        table = self._label((a.table_id,)) if a.table_id else ""
        if a.kind == "pos.open_ticket" and a.payload.get("placeholder"):
            return f"Hold table {table} on the POS for {who} (placeholder)"
        if a.kind == "pos.open_ticket":
            return f"Open ticket at {table} for {who}"
        if a.kind == "pos.void_ticket":
            return f"Void the empty ticket at {table} ({who})"
        if a.kind == "booking.set_status":
            status = a.payload.get("status", "")
            words = {"seated": f"seated at {'+'.join(a.payload.get('table_names') or []) or table}", "arrived": "arrived",
                     "booked": "back to booked", "finished": "finished", "cancelled": "cancelled", "no_show": "no-show"}
            return f"Tell the booking platform {who} is {words.get(status, status)}"
        return a.kind

    def _label(self, table_ids) -> str:
        return table_label(table_ids, self._table_names)
