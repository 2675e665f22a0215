"""Runs the simulators: one uvicorn server per vendor port plus an admin port, on one event loop in a thread.

Process API (used by tests, the demo and the CLI):

    from hoststand.sandbox.server import SandboxServer, SeedOptions
    with SandboxServer(booking="opentable", pos="toast", seed=SeedOptions(now=..., seed=7)) as srv:
        srv.urls         # {"opentable": "http://127.0.0.1:P1", "toast": "http://127.0.0.1:P2", "admin": "http://127.0.0.1:P3"}
        srv.credentials  # demo client credentials, OpenTable rid, Toast restaurant GUID

Each port is a `uvicorn.Server` started with `startup(sockets=[...])` on a socket bound here, so a port
can really stop listening (`down`: connection refused, open connections reset) and listen again on the
same number (`up`). The sandbox's own shutdown closes sockets and resets connections at once rather than
draining them, so tests can start and stop many instances quickly.

`main(argv)` is the `hoststand sandbox` command: it prints the URLs and demo credentials, optionally
writes them as JSON to `--ready-file`, and runs until SIGTERM/SIGINT. `--drive` runs the service driver
live (`--walk-ins-per-hour N`, default 4 with `--drive`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Scope

from .admin import PortControls, build_admin_app
from .clock import ClockFn, SandboxClock
from .common import parse_iso
from .core import SandboxCore, demo_credentials
from .driver import LIVE_EVERY_S
from .faults import VendorGate
from .opentable import OpenTableSim
from .seed import SeedOptions
from .toast import ToastSim

__all__ = ["SandboxServer", "SeedOptions", "main"]

log = logging.getLogger("hoststand.sandbox")

BOOKING = ("opentable",)
POS = ("toast",)
TICK_S = 0.05


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says it is TCP; without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _reset_transport(transport: Any) -> None:
    """Close a connection with a TCP RST (SO_LINGER 0), so the peer sees a reset, not a clean close."""
    try:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    transport.abort()


class _Listener:
    """One port: a uvicorn server on a socket we own, which can be closed and reopened on the same number."""

    def __init__(self, name: str, app: ASGIApp, host: str, port: int) -> None:
        self.name = name
        self.app = app
        self.host = host
        self.port = port
        self.server: uvicorn.Server | None = None
        self.sock: socket.socket | None = None
        self.config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_config=None, log_level="warning",
                                     access_log=False, http="h11", ws="none", loop="asyncio", interface="asgi3",
                                     proxy_headers=False, server_header=False, timeout_keep_alive=5)
        self.config.load()

    @property
    def up(self) -> bool:
        return self.server is not None

    async def start(self) -> None:
        if self.server is not None:
            return
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(self.config)
        server.lifespan = self.config.lifespan_class(self.config)  # what Server._serve would set
        await server.startup(sockets=[sock])
        await server.on_tick(0)  # default headers (Date)
        self.server, self.sock = server, sock

    async def tick(self) -> None:
        if self.server is not None:
            await self.server.on_tick(0)

    async def stop(self, spare_client: Any = None) -> None:
        """Stop listening at once and reset every connection (except `spare_client`'s)."""
        server, sock = self.server, self.sock
        self.server = self.sock = None
        if server is None:
            return
        for srv in server.servers:
            srv.close()
        if sock is not None:
            sock.close()
        spare = tuple(spare_client) if spare_client else None
        me = asyncio.current_task()
        for conn in list(server.server_state.connections):
            if spare is not None and tuple(conn.client or ()) == spare:
                continue
            if conn.transport is not None:
                _reset_transport(conn.transport)
        for task in list(server.server_state.tasks):
            if task is not me and not task.done():
                task.cancel()

    def drop(self, client: Any) -> None:
        """Reset the connection of one client (the `lose_response` fault and held orders)."""
        if self.server is None or not client:
            return
        wanted = tuple(client)
        for conn in list(self.server.server_state.connections):
            if tuple(conn.client or ()) == wanted and conn.transport is not None:
                _reset_transport(conn.transport)


class SandboxServer:
    """The vendor simulators on 127.0.0.1, each on its own port, plus an admin port.

    booking: "opentable" (or None for no booking simulator); pos: "toast" (or None).
    seed: SeedOptions for the world; seed.now = None seeds at the clock's current time.
    clock: optional zero-argument callable returning an aware datetime (e.g. a test's manual clock `now`).
        When None the sandbox runs its own clock: sim = start + (time.time() - anchor_wall) * speed, with
        start = `start` or `seed.now` or the wall time, anchor_wall = `anchor_wall` or now.
    port_base: 0 = any free ports; N = opentable on N, toast on N+1, admin on N+2.

    drive: run the service driver live from the start; walk_ins_per_hour: its walk-in rate.

    Besides `start`/`stop`/`urls`/`credentials` (and use as a context manager), tests may call
    `state()`, `reset(now, seed)`, `set_fault(api, mode, **params)`, `clear_faults(api)`, `now()` and the
    driver's `driver_state()`, `configure_driver(...)`, `driver_step(until|minutes)`,
    `driver_linger(table, stage, minutes)`, `driver_release(table)`, `driver_seat(order|table)`,
    `driver_walk_in(table, party_size)`: the same operations as the admin API, without HTTP.
    """

    def __init__(self, booking: str | None = "opentable", pos: str | None = "toast",
                 seed: SeedOptions | None = None, clock: ClockFn | None = None, *, speed: float = 1.0,
                 start: datetime | None = None, anchor_wall: float | None = None, port_base: int = 0,
                 host: str = "127.0.0.1", drive: bool = False, walk_ins_per_hour: float = 0.0) -> None:
        if booking not in (*BOOKING, None):
            raise ValueError(f"booking sandbox {booking!r} is not simulated (available: {', '.join(BOOKING)})")
        if pos not in (*POS, None):
            raise ValueError(f"POS sandbox {pos!r} is not simulated (available: {', '.join(POS)})")
        if booking is None and pos is None:
            raise ValueError("nothing to simulate: give booking and/or pos")
        self.booking, self.pos = booking, pos
        self.drive, self.walk_ins_per_hour = drive, walk_ins_per_hour
        self.seed = seed or SeedOptions()
        self.host = host
        self.port_base = port_base
        self.own_clock: SandboxClock | None = None
        if clock is None:
            self.own_clock = SandboxClock(start=start or self.seed.now, factor=speed, anchor_wall=anchor_wall)
            clock = self.own_clock.now
        self.clock: ClockFn = clock
        self.core: SandboxCore | None = None
        self._listeners: dict[str, _Listener] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._urls: dict[str, str] = {}

    # ------------------------------------------------------------------ public API

    @property
    def urls(self) -> dict[str, str]:
        return dict(self._urls)

    @property
    def credentials(self) -> dict[str, dict[str, Any]]:
        """Demo credentials per simulated vendor (fixed values; available before start too)."""
        creds = self.core.credentials if self.core is not None else demo_credentials()
        return {k: dict(v) for k, v in creds.items() if k in (self.booking, self.pos)}

    def now(self) -> datetime:
        return self._core().now()

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("sandbox already started")
        self.core = SandboxCore(self.seed, self.clock, self.own_clock)
        self.core.driver.configure(running=self.drive, walk_ins_per_hour=self.walk_ins_per_hour)
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="hoststand-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise RuntimeError(f"sandbox failed to start: {self._error}") from self._error
        if not self._ready.is_set():
            raise RuntimeError("sandbox did not start within 30 s")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stop_event is not None:
            loop.call_soon_threadsafe(self._stop_event.set)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def state(self) -> dict[str, Any]:
        """The same JSON as GET /_sandbox/state, as a dict."""
        return self._core().state()

    def reset(self, now: datetime | None = None, seed: int | None = None) -> None:
        self._core().reset(now=now, seed=seed)

    def set_fault(self, api: str, mode: str, **params: Any) -> dict[str, Any]:
        """Set a fault like POST /_sandbox/faults (down/up really close/reopen the port)."""
        core = self._core()
        spec = {"mode": mode, **params}
        fault = core.faults.parse(api, spec)
        if mode == "up":
            core.faults.clear(api)
            self._call(self._go_up(api))
            return {"api": api, "mode": "up"}
        core.faults.add(fault)
        if mode == "down":
            self._call(self._go_down(api, None))
        return fault.to_json()

    # the service driver (driver.py), like POST /_sandbox/driver/...

    def driver_state(self) -> dict[str, Any]:
        """GET /_sandbox/driver: configuration, time, the tickets being served, lingers, counts, events."""
        return self._core().driver.describe()

    def configure_driver(self, *, running: bool | None = None, walk_ins_per_hour: float | None = None,
                         seed: int | None = None, placeholder_prefix: str | None = None) -> dict[str, Any]:
        return self._core().driver.configure(running=running, walk_ins_per_hour=walk_ins_per_hour, seed=seed,
                                             placeholder_prefix=placeholder_prefix)

    def driver_step(self, until: datetime | None = None, minutes: float | None = None) -> dict[str, Any]:
        """Run the driver to `until` (aware), or `minutes` past its time, or (neither) to the sandbox clock."""
        return self._core().driver.step(until=until, minutes=minutes)

    def driver_linger(self, table: str, stage: str = "seated", minutes: float | None = None) -> dict[str, Any]:
        """Hold `table` once it reached `stage` for `minutes` (None: until `driver_release`)."""
        return self._core().driver.linger(table, stage, minutes)

    def driver_release(self, table: str) -> dict[str, Any]:
        return self._core().driver.release(table)

    def driver_seat(self, order: str | None = None, table: str | None = None) -> dict[str, Any]:
        """A placeholder's party has sat (when the booking platform does not show it)."""
        return self._core().driver.seat(order=order, table=table)

    def driver_walk_in(self, table: str | None = None, party_size: int | None = None) -> dict[str, Any]:
        """Open a walk-in ticket now, at `table` or the smallest free table that fits."""
        return self._core().driver.walk_in(table=table, party_size=party_size)

    def clear_faults(self, api: str | None = None) -> None:
        """Clear faults (a port that is down stays down: use set_fault(api, "up"))."""
        core = self._core()
        for name in ([api] if api else ["opentable", "toast"]):
            down = core.faults.is_down(name)
            core.faults.clear(name)
            if down:
                core.faults.add(core.faults.parse(name, {"mode": "down"}))

    # ------------------------------------------------------------------ internals

    def _core(self) -> SandboxCore:
        if self.core is None:
            raise RuntimeError("sandbox not started")
        return self.core

    def _call(self, coro: Any) -> Any:
        if self._loop is None:
            raise RuntimeError("sandbox not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _main(self) -> None:
        core = self._core()
        self._stop_event = asyncio.Event()
        ot = OpenTableSim(core) if self.booking == "opentable" else None
        toast = ToastSim(core) if self.pos == "toast" else None
        controls = PortControls()
        controls.go_down = self._go_down
        controls.go_up = self._go_up
        admin_app = build_admin_app(core, controls, ot, toast)
        apps: list[tuple[str, ASGIApp]] = []
        if ot is not None:
            apps.append(("opentable", VendorGate(ot, admin_app, core)))
        if toast is not None:
            apps.append(("toast", VendorGate(toast, admin_app, core)))
        apps.append(("admin", admin_app))
        offsets = {"opentable": 0, "toast": 1, "admin": 2}
        self._listeners = {}
        ticker: asyncio.Future[None] | None = None
        try:
            for name, app in apps:
                port = self.port_base + offsets[name] if self.port_base else 0
                listener = _Listener(name, app, self.host, port)
                await listener.start()
                self._listeners[name] = listener
                self._urls[name] = f"http://{self.host}:{listener.port}"
            core.controls = self  # type: ignore[assignment]
            ticker = asyncio.ensure_future(self._ticker())
            self._ready.set()
            await self._stop_event.wait()
        finally:
            if ticker is not None:
                ticker.cancel()
            for listener in self._listeners.values():
                await listener.stop()
            await asyncio.sleep(0)

    async def _ticker(self) -> None:
        """Lands late orders on time, runs the live service driver, and keeps each server's Date header fresh."""
        last_headers = last_drive = 0.0
        while True:
            await asyncio.sleep(TICK_S)
            try:
                core = self._core()
                core.land_due()
                if core.driver.running and time.monotonic() - last_drive >= LIVE_EVERY_S:
                    last_drive = time.monotonic()
                    core.driver.tick()
                if time.monotonic() - last_headers >= 1.0:
                    last_headers = time.monotonic()
                    for listener in self._listeners.values():
                        await listener.tick()
            except Exception:  # noqa: BLE001 - the ticker must survive a bad clock reading
                log.exception("sandbox ticker")

    async def _go_down(self, api: str, spare_client: Any) -> None:
        listener = self._listeners.get(api)
        if listener is None:
            raise ValueError(f"{api} is not simulated here")
        await listener.stop(spare_client)
        log.info("sandbox: %s is down (port %d refuses connections)", api, listener.port)

    async def _go_up(self, api: str) -> None:
        listener = self._listeners.get(api)
        if listener is None:
            raise ValueError(f"{api} is not simulated here")
        await listener.start()
        log.info("sandbox: %s is up again on port %d", api, listener.port)

    # Controls protocol for the core
    def drop(self, api: str, scope: Scope) -> None:
        listener = self._listeners.get(api)
        if listener is not None:
            listener.drop(scope.get("client"))


# ------------------------------------------------------------------------------------------------ CLI


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hoststand sandbox", description="Run local simulators of the vendor APIs.")
    p.add_argument("--booking", default="opentable", choices=[*BOOKING, "none"], help="booking platform to simulate")
    p.add_argument("--pos", default="toast", choices=[*POS, "none"], help="POS to simulate")
    p.add_argument("--port-base", type=int, default=0,
                   help="opentable on N, toast on N+1, admin on N+2 (0 = any free ports)")
    p.add_argument("--start", help="simulated time at --anchor-wall (ISO-8601 with offset; default: now)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall-clock second")
    p.add_argument("--anchor-wall", type=float, help="UNIX time at which the simulated clock read --start")
    p.add_argument("--timezone", default="America/New_York", help="the restaurant's IANA time zone")
    p.add_argument("--seed", type=int, default=7, help="random seed of the demo restaurant")
    p.add_argument("--extra-reservations", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--extra-tables", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--drive", action="store_true",
                   help="run the service driver live: servers ring in courses, take payment, seat walk-ins")
    p.add_argument("--walk-ins-per-hour", type=float, default=None, metavar="N",
                   help="walk-ins the driver seats per hour, 17:00-22:00 (default 4 with --drive, else 0)")
    p.add_argument("--ready-file", help="write {\"urls\", \"credentials\"} as JSON here once listening")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    start = None
    if args.start:
        try:
            start = parse_iso(args.start, timezone.utc)
        except ValueError as exc:
            print(f"--start: {exc}", file=sys.stderr)
            return 2
    if args.speed < 0:
        print("--speed must be >= 0", file=sys.stderr)
        return 2
    walk_ins = args.walk_ins_per_hour if args.walk_ins_per_hour is not None else (4.0 if args.drive else 0.0)
    if not 0 <= walk_ins <= 120:
        print("--walk-ins-per-hour must be between 0 and 120", file=sys.stderr)
        return 2
    seed = SeedOptions(now=None, timezone=args.timezone, seed=args.seed,
                       extra_reservations=args.extra_reservations, extra_tables=args.extra_tables)
    srv = SandboxServer(booking=None if args.booking == "none" else args.booking,
                        pos=None if args.pos == "none" else args.pos, seed=seed, speed=args.speed,
                        start=start, anchor_wall=args.anchor_wall, port_base=args.port_base, drive=args.drive,
                        walk_ins_per_hour=walk_ins)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        srv.start()
        info = {"urls": srv.urls, "credentials": srv.credentials}
        for name, url in srv.urls.items():
            print(f"{name:>10}: {url}")
        print("credentials (demo only):")
        print(json.dumps(srv.credentials, indent=2))
        sys.stdout.flush()
        if args.ready_file:
            tmp = f"{args.ready_file}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(info, fh, indent=2)
            os.replace(tmp, args.ready_file)
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
