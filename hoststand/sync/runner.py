"""The sync engine: runs the puller, the replayer and the prober as tasks on the app's event loop.

- The puller polls every `pull_interval` seconds (and at once on `refresh_now()`).
- The replayer wakes on every outbox change and whenever an action becomes due.
- The prober watches APIs that are down and tests each with one cheap request when its backoff allows;
  when one answers, the replayer and the puller resume at once. `probe_due()` is one such pass; the
  replayer's `drain` uses it too, so tests on a manual clock see a healed API come back.
"""

from __future__ import annotations

import asyncio
import logging
import random

from hoststand.connectors.base import AuthFailed, BookingPort, ConnectorError, PosPort
from hoststand.domain.clock import Clock
from hoststand.domain.events import ChangeBus
from hoststand.domain.model import FloorLayout
from hoststand.domain.settings import RestaurantSettings
from hoststand.store.engine import Store
from hoststand.sync.handlers import HandlerContext
from hoststand.sync.health import HealthMonitor
from hoststand.sync.puller import Puller
from hoststand.sync.replayer import Replayer

log = logging.getLogger(__name__)


class SyncEngine:
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
        health: HealthMonitor | None = None,
        pull_interval: float = 15.0,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.booking = booking
        self.pos = pos
        self.clock = clock
        self.bus = bus
        self.pull_interval = pull_interval
        self.health = health or HealthMonitor(clock, bus)
        self.health.register(booking.vendor, "booking")
        self.health.register(pos.vendor, "pos")
        self.puller = Puller(
            store, booking, pos, layout=layout, settings=settings, clock=clock, bus=bus, health=self.health
        )
        self.replayer = Replayer(
            HandlerContext(store=store, booking=booking, pos=pos, layout=layout, clock=clock, tz=settings.tz),
            clock=clock,
            bus=bus,
            health=self.health,
            rng=rng,
        )
        self.replayer.prober = self.probe_due
        self._unsubscribe = bus.subscribe(self.replayer.on_change)
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []
        self._pull_now: asyncio.Event | None = None
        self.first_pull_done: asyncio.Event | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._pull_now = asyncio.Event()
        self.first_pull_done = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._pull_loop(), name="sync:puller"),
            asyncio.create_task(self.replayer.run(self._stop), name="sync:replayer"),
            asyncio.create_task(self._probe_loop(), name="sync:prober"),
        ]

    async def stop(self) -> None:
        if self._stop is None:
            return
        self._stop.set()
        if self._pull_now is not None:
            self._pull_now.set()
        for t in self._tasks:
            try:
                await asyncio.wait_for(t, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                t.cancel()
        self._tasks = []
        self._unsubscribe()
        await asyncio.gather(self.booking.aclose(), self.pos.aclose(), return_exceptions=True)

    async def drain(self, timeout: float = 5.0) -> bool:
        """Replay until the queue is empty (True) or `timeout` seconds pass (False)."""
        return await self.replayer.drain(timeout=timeout)

    def refresh_now(self) -> None:
        if self._pull_now is not None:
            self._pull_now.set()

    async def _pull_loop(self) -> None:
        assert self._stop is not None and self._pull_now is not None and self.first_pull_done is not None
        while not self._stop.is_set():
            try:
                await self.puller.pull_all()
            except Exception:
                log.exception("pull round failed")
            self.first_pull_done.set()
            self._pull_now.clear()
            try:
                await asyncio.wait_for(self._pull_now.wait(), timeout=self.pull_interval)
            except TimeoutError:
                pass

    async def probe_due(self) -> None:
        """Probe each API that is down and whose next probe is due (one request each, at most)."""
        for api, port in ((self.booking.vendor, self.booking), (self.pos.vendor, self.pos)):
            if self.health.is_down(api) and self.health.allow(api):
                await self._probe(api, port)

    async def _probe_loop(self, tick: float = 0.5) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            await self.probe_due()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=tick)
            except TimeoutError:
                pass

    async def _probe(self, api: str, port: BookingPort | PosPort) -> None:
        try:
            result = await port.probe()
        except AuthFailed:
            self.health.failure(api, "credentials refused", auth=True)
            return
        except ConnectorError as exc:
            self.health.failure(api, "unreachable" if "Unavailable" in type(exc).__name__ else type(exc).__name__)
            return
        except Exception:
            log.exception("probe of %s crashed", api)
            self.health.release_probe(api)
            return
        if result.ok:
            self.health.success(api)
            self.replayer.wake()
            self.refresh_now()
        else:
            self.health.failure(api, result.detail or "not ready")
