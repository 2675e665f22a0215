"""A headless sync worker: the puller and the replayer over one cache, against given vendor URLs, without Qt.

The kill tests (tests/chaos/) run it in real subprocesses and stop it with SIGKILL at chosen points; it is
also a handy way to replay a cache's queue by hand:

    python -m hoststand.sync.worker --config worker.json [--serve]

`worker.json` holds a `WorkerConfig` as JSON: the cache path, the floor-plan file, the restaurant's time
zone, each vendor's `kind`, `base_url` and credentials (`client_id`, `client_secret`, plus OpenTable's `rid`
and Toast's `restaurant_guid`), and optionally a scaled clock (`clock_start`, `clock_anchor`, `clock_speed`,
to agree with a sandbox running its own clock) and shorter backoffs. Without `--serve` the worker recovers
what a previous process left in flight, pulls once, replays until the queue is empty (exit 0) or
`drain_timeout` passes (exit 3). With `--serve` it runs the sync engine until SIGTERM/SIGINT.

Crash points (tests only; see `store.outbox.kill_point`): `HOSTSTAND_KILL_AT="point:nth,…"` or
`WorkerConfig.kill_at` arms them. Besides the replayer's `claimed` and `before_ack` and the outbox's
`command`, the worker adds two of its own:
- `applied`: a write reached the vendor and its 2xx answer has arrived, before hoststand reads it (an
  httpx response hook; sign-in calls do not count);
- `pull`: during a pull, at each page answer and at each commit of the pull's own transactions (just before
  the COMMIT, with the changes written).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import functools
import json
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from hoststand.connectors.base import BookingPort, Credentials, PosPort
from hoststand.connectors.http import make_client
from hoststand.connectors.registry import make_booking, make_pos
from hoststand.domain.clock import Clock, ScaledClock, SystemClock
from hoststand.domain.events import ChangeBus
from hoststand.domain.floorplan import layout_from_dict
from hoststand.domain.model import FloorLayout
from hoststand.domain.settings import RestaurantSettings
from hoststand.store import outbox
from hoststand.store.engine import Store, open_store
from hoststand.sync.health import HealthMonitor
from hoststand.sync.runner import SyncEngine

log = logging.getLogger(__name__)

PULLING: contextvars.ContextVar[bool] = contextvars.ContextVar("hoststand_worker_pulling", default=False)
_SIGN_IN_PATHS = ("/authentication/", "/api/v2/oauth/")


@dataclass
class WorkerConfig:
    cache: str
    layout: str
    booking: dict[str, Any]  # kind, base_url, client_id, client_secret, rid
    pos: dict[str, Any]  # kind, base_url, client_id, client_secret, restaurant_guid
    timezone: str = "America/New_York"
    restaurant: str = "hoststand"
    clock_start: str | None = None  # ISO-8601; with clock_anchor, a ScaledClock (else the system clock)
    clock_anchor: float | None = None  # UNIX time at which the clock read clock_start
    clock_speed: float = 1.0
    pull: bool = True
    drain_timeout: float = 30.0
    read_timeout: float | None = 5.0  # None: the connectors' own read timeouts (the app's sync process)
    base_backoff: float = 1.0
    max_backoff: float = 60.0
    probe_base: float = 2.0
    probe_max: float = 15.0
    kill_at: str = ""
    pull_interval: float = 15.0
    settings: dict[str, Any] | None = None  # a whole RestaurantSettings (settings_to_dict); else name + timezone
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkerConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown worker settings: {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass
class Worker:
    """An open worker: the cache, the connectors and the sync engine, on the running event loop."""

    config: WorkerConfig
    store: Store
    clock: Clock
    bus: ChangeBus
    layout: FloorLayout
    settings: RestaurantSettings
    engine: SyncEngine
    clients: tuple[httpx.AsyncClient, ...] = ()
    recovered: int = 0

    async def pull(self) -> None:
        token = PULLING.set(True)
        try:
            await self.engine.puller.pull_all()
        finally:
            PULLING.reset(token)

    async def replay(self, timeout: float | None = None) -> bool:
        return await self.engine.replayer.drain(timeout=self.config.drain_timeout if timeout is None else timeout)

    async def close(self) -> None:
        await asyncio.gather(
            self.engine.booking.aclose(), self.engine.pos.aclose(), *(c.aclose() for c in self.clients),
            return_exceptions=True,
        )
        self.store.close()


def settings_to_dict(settings: RestaurantSettings) -> dict[str, Any]:
    """RestaurantSettings as JSON: durations in seconds."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = {"seconds": value.total_seconds()} if isinstance(value, timedelta) else value
    return out


def settings_from_dict(data: dict[str, Any]) -> RestaurantSettings:
    known = {f.name for f in fields(RestaurantSettings)}
    values = {
        k: timedelta(seconds=v["seconds"]) if isinstance(v, dict) and set(v) == {"seconds"} else v
        for k, v in data.items()
        if k in known
    }
    return RestaurantSettings(**values)


def _clock(config: WorkerConfig) -> Clock:
    if config.clock_start:
        return ScaledClock(datetime.fromisoformat(config.clock_start), config.clock_speed, config.clock_anchor)
    return SystemClock()


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context per process (httpx would build one per client, ~60 ms each); a fork inherits it."""
    return ssl.create_default_context()


def _client(base_url: str, read_timeout: float | None) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(retries=0, verify=ssl_context(), limits=httpx.Limits(max_connections=32))
    if read_timeout is None:
        return make_client(base_url, transport=transport)
    return make_client(base_url, read_timeout=read_timeout, transport=transport)


async def _on_response(response: httpx.Response) -> None:
    request = response.request
    if PULLING.get():
        outbox.kill_point("pull")
    elif request.method != "GET" and response.status_code < 300 and not request.url.path.startswith(_SIGN_IN_PATHS):
        outbox.kill_point("applied")


def _on_commit(_conn: Any) -> None:
    if PULLING.get():
        outbox.kill_point("pull")


def _ports(config: WorkerConfig, clock: Clock, tz: str) -> tuple[BookingPort, PosPort, tuple[httpx.AsyncClient, ...]]:
    hooks = {"response": [_on_response]}
    b = dict(config.booking)
    p = dict(config.pos)
    b_client = _client(b["base_url"], config.read_timeout)
    b_client.event_hooks = hooks
    p_client = _client(p["base_url"], config.read_timeout)
    p_client.event_hooks = hooks
    b_kind, p_kind = b.pop("kind"), p.pop("kind")
    b_creds = Credentials(b.pop("client_id"), b.pop("client_secret"))
    p_creds = Credentials(p.pop("client_id"), p.pop("client_secret"))
    booking = make_booking(b_kind, credentials=b_creds, clock=clock, tz=tz, client=b_client, **b)
    if config.read_timeout is not None:
        p.setdefault("orders_read_timeout", config.read_timeout)
    pos = make_pos(p_kind, credentials=p_creds, clock=clock, tz=tz, client=p_client, **p)
    return booking, pos, (b_client, p_client)


async def open_worker(config: WorkerConfig) -> Worker:
    """Open the cache, recover what a killed process left in flight, and build the sync engine."""
    if config.kill_at:
        outbox.arm_kill_points_from_env({outbox.KILL_ENV: config.kill_at})
    outbox.arm_kill_points_from_env()
    clock = _clock(config)
    layout = layout_from_dict(json.loads(Path(config.layout).read_text(encoding="utf-8")))
    if config.settings is not None:
        settings = settings_from_dict(config.settings)
    else:
        settings = RestaurantSettings(name=config.restaurant, timezone=config.timezone)
    store = await asyncio.to_thread(open_store, config.cache)
    event.listen(store.write_engine, "commit", _on_commit)
    recovered = await asyncio.to_thread(outbox.recover_in_flight, store, now=clock.now())
    bus = ChangeBus()
    health = HealthMonitor(
        clock, bus, probe_base=timedelta(seconds=config.probe_base), probe_max=timedelta(seconds=config.probe_max)
    )
    booking, pos, clients = _ports(config, clock, settings.timezone)
    engine = SyncEngine(
        store, booking, pos, layout=layout, settings=settings, clock=clock, bus=bus, health=health,
        pull_interval=config.pull_interval,
    )
    engine.replayer.base_backoff = config.base_backoff
    engine.replayer.max_backoff = config.max_backoff
    if recovered:
        log.info("recovered %d action(s) left in flight; each is read back before it is sent again", recovered)
    return Worker(config, store, clock, bus, layout, settings, engine, clients, recovered)


async def run_once(config: WorkerConfig) -> int:
    """Recover, pull (if configured), replay until the queue is empty. 0 = drained, 3 = not in time."""
    worker = await open_worker(config)
    try:
        if config.pull:
            await worker.pull()
        return 0 if await worker.replay() else 3
    finally:
        await worker.close()


async def serve(config: WorkerConfig) -> int:
    """Run the puller, the replayer and the prober until SIGTERM or SIGINT."""
    worker = await open_worker(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await worker.engine.start()
    try:
        await stop.wait()
    finally:
        await worker.engine.stop()
        await worker.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hoststand.sync.worker", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, type=Path, help="a WorkerConfig as JSON")
    p.add_argument("--serve", action="store_true", help="run the sync engine until SIGTERM")
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WorkerConfig.from_dict(json.loads(args.config.read_text(encoding="utf-8")))
    return asyncio.run(serve(config) if args.serve else run_once(config))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
