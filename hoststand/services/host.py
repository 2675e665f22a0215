"""`HostService`: the one object the UI talks to. Commands, queries, change notifications, sync controls.

The services of the other screens (`pacing`, `waitlist`, `reconciliation`) are built on first use: the app
shows the host stand first and builds those screens after its first paint, so their modules are not imported
before it. So are the host's commands and the operations service: they write through the repositories, which
bring SQLAlchemy, and the first screen is read without it (`hoststand.store.first_read`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING

from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.model import FloorLayout
from hoststand.domain.settings import RestaurantSettings
from hoststand.store.engine import Store
from hoststand.sync.health import HealthMonitor
from hoststand.services.queries import FloorQueries

if TYPE_CHECKING:
    from hoststand.services.commands import HostCommands
    from hoststand.services.operations import OperationsService
    from hoststand.services.pacing import PacingQueries
    from hoststand.services.reconciliation import ReconciliationService
    from hoststand.services.waitlist import WaitlistService


class HostService:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        bus: ChangeBus,
        health: HealthMonitor | None = None,
        refresh: Callable[[], None] | None = None,
        tab_name_max: int = 255,
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self.queries = FloorQueries(store, layout=layout, settings=settings, clock=clock, health=health)
        self._tab_name_max = tab_name_max
        self._refresh = refresh

    @cached_property
    def commands(self) -> HostCommands:
        from hoststand.services.commands import HostCommands

        return HostCommands(
            self.store, layout=self.layout, settings=self.settings, clock=self.clock, bus=self.bus,
            tab_name_max=self._tab_name_max,
        )

    @cached_property
    def operations(self) -> OperationsService:
        from hoststand.services.operations import OperationsService

        return OperationsService(
            self.store, layout=self.layout, settings=self.settings, clock=self.clock, bus=self.bus,
            commands=self.commands, queries=self.queries,
        )

    # the other screens' services, built on first use (see the module docstring)
    @cached_property
    def reconciliation(self) -> ReconciliationService:
        from hoststand.services.reconciliation import ReconciliationService

        return ReconciliationService(
            self.store, layout=self.layout, settings=self.settings, clock=self.clock, bus=self.bus, commands=self.commands
        )

    @cached_property
    def pacing(self) -> PacingQueries:
        from hoststand.services.pacing import PacingQueries

        return PacingQueries(self.store, layout=self.layout, settings=self.settings, clock=self.clock, bus=self.bus)

    @cached_property
    def waitlist(self) -> WaitlistService:
        from hoststand.services.waitlist import WaitlistService

        return WaitlistService(
            self.store, layout=self.layout, settings=self.settings, clock=self.clock, bus=self.bus,
            commands=self.commands, pacing=self.pacing,
        )

    # queries (each may be given one `night()` read to share, as the screens do)
    def night(self):
        return self.queries.read_night()

    def header(self, night=None):
        return self.queries.header(night)

    def reservations(self, night=None):
        return self.queries.reservations(night)

    def floor(self, night=None):
        return self.queries.floor(night)

    def party(self, reservation_id: str):
        return self.queries.party(reservation_id)

    def party_at_table(self, table_id: str):
        return self.queries.party_at_table(table_id)

    def queue(self):
        return self.queries.queue()

    def conflicts(self):
        return self.queries.conflicts()

    # commands
    def check_in(self, reservation_id: str, table_ids: tuple[str, ...] | None = None, party_size: int | None = None):
        result = self.commands.check_in(reservation_id, table_ids, party_size)
        if result.ok and self._pos_down():
            result = replace(result, message=result.message.replace(
                "Ticket sent to the POS.", "The POS is unreachable: the ticket opens there as soon as it returns."))
        return result

    def _pos_down(self) -> bool:
        return any(a.role == "pos" and a.state == "down" for a in self.queries.api_health())

    def mark_arrived(self, reservation_id: str):
        return self.commands.mark_arrived(reservation_id)

    def cancel(self, reservation_id: str):
        return self.commands.cancel(reservation_id)

    def no_show(self, reservation_id: str):
        return self.commands.no_show(reservation_id)

    def move(self, reservation_id: str, table_ids: tuple[str, ...]):
        return self.commands.move(reservation_id, table_ids)

    def resize(self, reservation_id: str, party_size: int):
        return self.commands.resize(reservation_id, party_size)

    def suggest_tables(self, reservation_id: str, party_size: int | None = None):
        return self.commands.suggest(reservation_id, party_size)

    def undo(self):
        return self.commands.undo()

    def undo_label(self) -> str | None:
        if not self.store.connected:  # the first screen (see the module docstring)
            from hoststand.store import first_read

            description = first_read.undo_description(self.store.path, self.clock.now() - self.settings.undo_window)
            return f"Undo: {description}" if description else None  # as HostCommands.undo_label
        return self.commands.undo_label()

    def attach_sync(self, *, refresh: Callable[[], None], tab_name_max: int) -> None:
        """Called once the connectors exist: where "refresh now" goes, and the POS's note limit."""
        self._refresh = refresh
        self._tab_name_max = tab_name_max
        if "commands" in self.__dict__:
            self.commands.tab_name_max = tab_name_max

    # notifications & sync
    def subscribe(self, fn: Callable[[Change], None]) -> Callable[[], None]:
        return self.bus.subscribe(fn)

    def refresh_now(self) -> None:
        if self._refresh is not None:
            self._refresh()

    def close(self) -> None:
        """Stop listening to change events (the pacing view's caches, when they were built)."""
        pacing = self.__dict__.get("pacing")
        if pacing is not None:
            pacing.close()

    def now_local(self):
        from hoststand.domain import service_day

        return service_day.local(self.clock.now(), self.settings.tz)
