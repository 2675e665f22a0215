"""The puller: vendor → store (DESIGN.md §5).

Polls the booking platform with its delta filter (`updated_after`) and the POS for its tables, servers and
tonight's orders; writes what it learns to the store in short transactions off the UI thread; publishes a
change event; never talks to the UI. Every outcome is reported to the health monitor.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hoststand.connectors.base import (
    AuthFailed,
    BookingPort,
    ConnectorError,
    PosPort,
    RateLimited,
    RemoteOrder,
    RemoteReservation,
)
from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.model import ConflictRecord, FloorLayout, Guest, ReservationStatus, Server
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.store.rows import ReservationRow
from hoststand.sync.collector import collector_paused
from hoststand.sync.health import HealthMonitor
from hoststand.sync.merge import guest_from_remote, merge_reservation
from hoststand.sync.lifecycle import keep_placeholders
from hoststand.sync.orders import adopt_walk_ins, apply_orders

log = logging.getLogger(__name__)

WATERMARK_OVERLAP = timedelta(seconds=2)
FEED_RESERVATIONS = "booking.reservations"
FEED_GUESTS = "booking.guests"
FEED_POS_DATA = "booking.pos_data"
FEED_POS_CONFIG = "pos.config"
FEED_POS_ORDERS = "pos.orders"


@dataclass
class PullReport:
    reservations: int = 0
    guests: int = 0
    orders: int = 0
    conflicts: int = 0
    errors: int = 0


class Puller:
    def __init__(
        self,
        store: Store,
        booking: BookingPort,
        pos: PosPort,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        health: HealthMonitor,
    ) -> None:
        self.store = store
        self.booking = booking
        self.pos = pos
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.health = health
        self._config_pulled_for: date | None = None

    # ---------------------------------------------------------------------------------- scheduling

    async def pull_all(self) -> PullReport:
        """One round: booking (guests, reservations) and POS (config once a day, orders) concurrently."""
        report = PullReport()
        booking_written = asyncio.Event()
        with collector_paused():  # see sync/collector.py: 15–20 % of a big pull went to the garbage collector
            await asyncio.gather(self._booking_round(report, booking_written), self._pos_round(report, booking_written))
            await self.keep_placeholders()
        return report

    async def keep_placeholders(self) -> set[str]:
        """Make the POS's placeholders match tonight's bookings (sync/lifecycle.py), off the UI thread."""
        if not self.settings.placeholders:
            return set()
        now = self.clock.now()

        def write() -> set[str]:
            with self.store.write() as s:
                return keep_placeholders(
                    s, now=now, settings=self.settings, layout=self.layout, tab_name_max=self.pos.limits.tab_name_max
                )

        touched = await asyncio.to_thread(write)
        if touched:
            self.bus.publish(Change.of("tickets", "tables", "outbox", reservation_ids=touched))
        return touched

    async def run(self, stop: asyncio.Event, interval: float = 15.0) -> None:
        while not stop.is_set():
            try:
                await self.pull_all()
            except Exception:  # never let the loop die; the health monitor shows the trouble
                log.exception("pull round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    async def _booking_round(self, report: PullReport, written: asyncio.Event | None = None) -> None:
        try:
            await self._booking_round_inner(report)
        finally:
            if written is not None:
                written.set()

    async def _booking_round_inner(self, report: PullReport) -> None:
        api = self.booking.vendor
        if self.health.is_down(api):
            return  # the prober decides when it is back
        try:
            # The three reads go out at once; guests are written first (reservations refer to them), the
            # platform's closed checks last (they update the parties just written).
            guests, reservations, pos_data = await asyncio.gather(
                self._fetch_guests(), self._fetch_reservations(), self._fetch_pos_data()
            )
            written = await self._write_guests(*guests)
            report.guests += len(guests[0])
            report.reservations += await self._write_reservations(*reservations, guests=written)
            await self._write_pos_data(*pos_data)
            self.health.success(api)
        except RateLimited:
            self.health.rate_limited(api)
            report.errors += 1
        except AuthFailed as exc:
            self.health.failure(api, "credentials refused", auth=True)
            await self._record_error(FEED_RESERVATIONS, exc)
            report.errors += 1
        except ConnectorError as exc:
            self.health.failure(api, _plain(exc))
            await self._record_error(FEED_RESERVATIONS, exc)
            report.errors += 1

    async def _pos_round(self, report: PullReport, booking_written: asyncio.Event | None = None) -> None:
        """Fetch the POS's config and orders alongside the booking round; apply the orders only once the
        booking round has written tonight's parties, so an order at a seated party's table links to that
        party instead of looking like a walk-in."""
        api = self.pos.vendor
        if self.health.is_down(api):
            return  # the prober decides when it is back
        try:
            today = self.service_date()
            if self._config_pulled_for != today:
                # the orders are fetched while the config is; they are applied only after it is written
                _, fetched = await asyncio.gather(self.pull_pos_config(), self._fetch_orders())
                self._config_pulled_for = today
            else:
                fetched = await self._fetch_orders()
            if booking_written is not None:
                await booking_written.wait()
            report.orders += await self._write_orders(*fetched)
            self.health.success(api)
        except RateLimited:
            self.health.rate_limited(api)
            report.errors += 1
        except AuthFailed as exc:
            self.health.failure(api, "credentials refused", auth=True)
            await self._record_error(FEED_POS_ORDERS, exc)
            report.errors += 1
        except ConnectorError as exc:
            self.health.failure(api, _plain(exc))
            await self._record_error(FEED_POS_ORDERS, exc)
            report.errors += 1

    def service_date(self) -> date:
        return service_day.service_date(self.clock.now(), self.settings.tz, self.settings.service_day_rollover_hour)

    async def _record_error(self, feed: str, exc: Exception) -> None:
        now = self.clock.now()

        def write() -> None:
            with self.store.write() as s:
                repos.record_sync(s, feed, attempt_at=now, ok=False, error=_plain(exc))

        await asyncio.to_thread(write)

    # --------------------------------------------------------------------------------------- booking

    async def pull_guests(self) -> int:
        fetched = await self._fetch_guests()
        await self._write_guests(*fetched)
        return len(fetched[0])

    async def pull_reservations(self) -> int:
        return await self._write_reservations(*await self._fetch_reservations())

    def _since(self, feed: str) -> datetime | None:
        """The delta filter: the last watermark, less a small overlap (the platform's `updated_after` is
        strict, and a record stamped with exactly the watermark may arrive after our pull). Re-reading a
        record is harmless: merging is idempotent by version."""
        with self.store.read() as s:
            watermark = repos.get_sync_state(s, feed).watermark
        return watermark - WATERMARK_OVERLAP if watermark else None

    async def _fetch_guests(self):
        since = self._since(FEED_GUESTS)
        started = self.clock.now()
        return await self.booking.pull_guests(updated_after=since), since, started

    async def _write_guests(self, guests, since: datetime | None, started: datetime) -> dict[str, Guest]:
        """Merge and write the pulled guests; returns them as now stored, by external id (the reservations
        written next refer to them, and need not read them back)."""
        source = self.booking.vendor

        def write() -> dict[str, Guest]:
            with self.store.write() as s:
                known = repos.guests_by_external(s, source, (g.external_id for g in guests))
                merged: dict[str, Guest] = {}
                changed = []
                for remote in guests:
                    local = known.get(remote.external_id)
                    guest = guest_from_remote(remote, local=local, new_id=repos.new_id(), now=started, source=source)
                    merged[remote.external_id] = guest
                    if guest != local:
                        changed.append(guest)
                repos.upsert_guests(s, changed)
                new_mark = max((g.updated_at for g in guests if g.updated_at), default=None)
                repos.record_sync(s, FEED_GUESTS, attempt_at=started, ok=True, watermark=new_mark)
                return merged

        merged = await asyncio.to_thread(write)
        if guests:
            self.bus.publish(Change.of("guests", "reservations"))
        return merged

    async def pull_pos_data(self) -> int:
        """What the booking platform holds of tonight's closed checks (the night report compares it with the
        POS)."""
        return await self._write_pos_data(*await self._fetch_pos_data())

    async def _fetch_pos_data(self):
        since = self._since(FEED_POS_DATA)
        started = self.clock.now()
        day = self.service_date()
        start_from, start_to = service_day.service_window(day, self.settings.tz, self.settings.service_day_rollover_hour)
        records = await self.booking.pull_pos_data(updated_after=since, start_from=start_from, start_to=start_to)
        return records, started

    async def _write_pos_data(self, records, started: datetime) -> int:
        source = self.booking.vendor

        def write() -> int:
            with self.store.write() as s:
                n = repos.set_platform_pos_data_many(s, source, [(r.external_id, r.covers, r.total) for r in records])
                mark = max((r.updated_at for r in records if r.updated_at), default=None)
                repos.record_sync(s, FEED_POS_DATA, attempt_at=started, ok=True, watermark=mark)
                return n

        changed = await asyncio.to_thread(write)
        if changed:
            self.bus.publish(Change.of("reconciliation"))
        return len(records)

    async def _fetch_reservations(self):
        since = self._since(FEED_RESERVATIONS)
        started = self.clock.now()
        day = self.service_date()
        start_from, start_to = service_day.service_window(day, self.settings.tz, self.settings.service_day_rollover_hour)
        result = await self.booking.pull_reservations(
            updated_after=since, start_from=start_from, start_to=start_to + timedelta(days=1)
        )
        return result, since, started

    async def _write_reservations(
        self, result, since: datetime | None, started: datetime, *, guests: dict[str, Guest] | None = None
    ) -> int:
        changed_ids, conflicts = await asyncio.to_thread(
            self._apply_reservations, result.reservations, since, started, guests or {}
        )
        if changed_ids:
            self.bus.publish(Change.of("reservations", "tables", reservation_ids=changed_ids))
        if conflicts:
            self.bus.publish(Change.of("conflicts"))
        return len(result.reservations)

    def _apply_reservations(
        self,
        remotes: tuple[RemoteReservation, ...],
        watermark: datetime | None,
        started: datetime,
        fresh_guests: dict[str, Guest] | None = None,
    ) -> tuple[set[str], int]:
        """`fresh_guests`: guests this round just wrote, by external id (the others are read)."""
        source = self.booking.vendor
        tz, rollover = self.settings.tz, self.settings.service_day_rollover_hour
        changed: set[str] = set()
        conflicts = 0
        with self.store.write() as s:
            rows = repos.reservations_by_external(s, source, (r.external_id for r in remotes))
            fresh = fresh_guests or {}
            guests = dict(fresh)
            guests.update(repos.guests_by_external(
                s, source, (r.guest_external_id for r in remotes if r.guest_external_id and r.guest_external_id not in fresh)
            ))
            pending = outbox.unsettled_for(s, [row.id for row in rows.values()])
            guest_changes: dict[str, Guest] = {}
            reservation_changes: list[tuple] = []
            new_conflicts: list[ConflictRecord] = []
            # one read of what is already recorded, for every party pulled (new parties have none)
            known_conflicts = repos.conflicts_by_reservation(s, [row.id for row in rows.values()])
            for remote in remotes:
                row: ReservationRow | None = rows.get(remote.external_id)
                local = repos.reservation_from_row(row) if row is not None else None
                guest = guests.get(remote.guest_external_id) if remote.guest_external_id else None
                if guest is None and remote.guest is not None:
                    guest = guest_from_remote(remote.guest, local=None, new_id=repos.new_id(), now=started, source=source)
                    guests[remote.guest.external_id] = guest_changes[guest.id] = guest
                if guest is not None and remote.server_name and guest.preferred_server != remote.server_name:
                    guest = replace(guest, preferred_server=remote.server_name)
                    guests[guest.external_id or ""] = guest_changes[guest.id] = guest
                host_pending = any(a.target.value == "booking" for a in pending.get(local.id, ())) if local else False
                merge = merge_reservation(
                    remote,
                    local,
                    new_id=repos.new_id(),
                    guest=guest,
                    layout=self.layout,
                    now=started,
                    host_change_pending=host_pending,
                    source=source,
                    default_duration=self.settings.default_turn,
                    tz=self.settings.tz,
                )
                if merge.reservation is None and row is not None and row.platform_status != remote.status.value:
                    repos.set_platform_status(s, row.id, remote.status.value)
                if merge.reservation is not None:
                    res = merge.reservation
                    reservation_changes.append(
                        (res, service_day.service_date(res.start, tz, rollover), remote.vendor_status, remote.status.value)
                    )
                    changed.add(res.id)
                if merge.unresolved_tables and merge.reservation is not None:
                    res = merge.reservation
                    if not known_conflicts.get(("unknown_table", res.id)):
                        names = ", ".join(f"'{n}'" for n in merge.unresolved_tables)
                        new_conflicts.append(
                            ConflictRecord(
                                id=repos.new_id(),
                                kind="unknown_table",
                                summary=(
                                    f"{self.booking.vendor.title()} put {res.guest_name or 'a party'} ({res.party_size}) at "
                                    f"table {names}, which is not on the floor plan: choose a table when they arrive, "
                                    f"or add the name to the table's aliases in the floor plan."
                                ),
                                created_at=started,
                                reservation_id=res.id,
                                choices=("Choose a table at check-in",),
                                facts={"tables": list(merge.unresolved_tables)},
                            )
                        )
                if merge.conflict is not None and local is not None:
                    # once per platform change: an open one stays; a resolved one is not raised again for the
                    # same change (a person already decided), only for a newer one
                    before = known_conflicts.get((merge.conflict.kind, local.id), [])
                    seen = {c.facts.get("remote_updated_at") for c in before}
                    fresh = merge.conflict.facts.get("remote_updated_at", object()) not in seen
                    if fresh and not any(c.resolved_at is None for c in before):
                        new_conflicts.append(
                            ConflictRecord(
                                id=repos.new_id(),
                                kind=merge.conflict.kind,
                                summary=merge.conflict.summary,
                                created_at=started,
                                reservation_id=local.id,
                                choices=merge.conflict.choices,
                                facts=merge.conflict.facts,
                            )
                        )
            repos.upsert_guests(s, list(guest_changes.values()))
            repos.upsert_reservations(s, reservation_changes)
            repos.add_conflicts(s, new_conflicts)
            conflicts = len(new_conflicts)
            parties = [item[0] for item in reservation_changes if item[0].status in (ReservationStatus.SEATED, ReservationStatus.FINISHED)]
            changed |= adopt_walk_ins(s, parties, day=service_day.service_date(started, tz, rollover))
            new_mark = max((r.updated_at for r in remotes if r.updated_at), default=watermark)
            repos.record_sync(s, FEED_RESERVATIONS, attempt_at=started, ok=True, watermark=new_mark)
        return changed, conflicts

    # ------------------------------------------------------------------------------------------- POS

    async def pull_pos_config(self) -> None:
        areas, tables, employees = await asyncio.gather(
            self.pos.pull_service_areas(), self.pos.pull_tables(), self.pos.pull_employees()
        )
        now = self.clock.now()

        def write() -> None:
            with self.store.write() as s:
                repos.replace_service_areas(s, [(a.guid, a.name) for a in areas], now)
                repos.replace_pos_tables(
                    s, [(t.guid, t.name, t.service_area_guid, t.revenue_center_guid) for t in tables], now
                )
                repos.replace_servers(
                    s,
                    [
                        Server(id=e.guid, first_name=e.first_name, last_name=e.last_name, display_name=e.chosen_name or "")
                        for e in employees
                    ],
                    now,
                )
                repos.record_sync(s, FEED_POS_CONFIG, attempt_at=now, ok=True)

        await asyncio.to_thread(write)
        self.bus.publish(Change.of("tables"))

    async def pull_orders(self) -> int:
        return await self._write_orders(*await self._fetch_orders())

    async def _fetch_orders(self):
        day = self.service_date()
        started = self.clock.now()
        return await self.pos.pull_orders(business_date=day), day, started

    async def _write_orders(self, orders, day: date, started: datetime) -> int:
        changed_res, changed_tables = await asyncio.to_thread(self._apply_orders, orders, day, started)
        self.bus.publish(Change.of("tickets", "tables", "reservations", reservation_ids=changed_res, table_ids=changed_tables))
        return len(orders)

    def _apply_orders(self, orders: tuple[RemoteOrder, ...], day: date, now: datetime) -> tuple[set[str], set[str]]:
        with self.store.write() as s:
            applied = apply_orders(
                s, orders, day=day, now=now, layout=self.layout, settings=self.settings, booking_source=self.booking.vendor
            )
            repos.record_sync(s, FEED_POS_ORDERS, attempt_at=now, ok=True)
        return applied.reservation_ids, applied.table_ids


def _plain(exc: Exception) -> str:
    """An error in plain words, without vendor bodies (which may carry guest data)."""
    if isinstance(exc, ConnectorError):
        return type(exc).__name__.replace("Unavailable", "unreachable").replace("UncertainOutcome", "no answer") + (
            f": {exc.message}" if exc.message else ""
        )
    return type(exc).__name__
