"""Composition root: reads the configuration, builds the store, connectors, sync engine, services and UI,
and runs them on one qasync event loop (Qt and asyncio together).

`build_core` assembles everything but the window (tests and benchmarks use it); `run_gui` opens the window
over a core; `run_app` does both for a configured restaurant.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hoststand.config import Config, default_data_dir
from hoststand.connectors.base import BookingPort, Credentials, PosPort
from hoststand.domain.clock import Clock, SystemClock
from hoststand.domain.events import ChangeBus
from hoststand.domain.floorplan import FloorPlanError, layout_from_dict
from hoststand.domain.model import FloorLayout
from hoststand.domain.settings import RestaurantSettings
from hoststand.services import HostService
from hoststand.store import Store, StoreError, open_store
from hoststand.sync.health import HealthMonitor

if TYPE_CHECKING:  # imported where used: the sync engine brings the vendor merge code, not needed to show the cache
    from hoststand.sync.process import SyncProcess
    from hoststand.sync.runner import SyncEngine

log = logging.getLogger(__name__)
CACHE_NAME = "hoststand.sqlite"


class AppError(Exception):
    """Something the user must fix before the app can start; the message says what."""


@dataclass
class Core:
    settings: RestaurantSettings
    layout: FloorLayout
    store: Store
    bus: ChangeBus
    clock: Clock
    health: HealthMonitor
    service: HostService
    # attached once the connectors exist (after the first paint in the app): in this process (tests) or in
    # the sync process (the app and the demo)
    engine: SyncEngine | SyncProcess | None = None


def load_layout(path: Path) -> FloorLayout:
    try:
        return layout_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, FloorPlanError) as exc:
        raise AppError(f"The floor plan {path} could not be read: {exc}") from exc


def open_cache(data_dir: Path, name: str = CACHE_NAME) -> Store:
    """The cache, checked (and upgraded) but not yet connected: the window's first screen is read without
    SQLAlchemy (`store.first_read`) and `run_gui` connects the store once that screen has painted."""
    try:
        store = open_store(Path(data_dir) / name, connect=False)
    except StoreError as exc:
        raise AppError(str(exc)) from exc
    if store.backup_path:
        log.warning("the cache was upgraded; the previous version is kept at %s", store.backup_path)
    return store


def read_credentials(config: Config) -> tuple[Credentials, Credentials]:
    """(booking, POS) credentials: client ids from the configuration, secrets from the OS keyring."""
    from hoststand.secrets import KeyringUnavailable, SecretMissing, get_secret

    try:
        b_secret = get_secret("booking", config.booking.kind, config.booking.client_id)
        p_secret = get_secret("pos", config.pos.kind, config.pos.client_id)
    except (KeyringUnavailable, SecretMissing) as exc:
        raise AppError(str(exc)) from exc
    return Credentials(config.booking.client_id, b_secret), Credentials(config.pos.client_id, p_secret)


def build_connectors(
    config: Config, *, clock: Clock, credentials: tuple[Credentials, Credentials] | None = None
) -> tuple[BookingPort, PosPort]:
    """Connectors for a configured restaurant (imports httpx and the adapters: done after the first paint)."""
    from hoststand.connectors.registry import make_booking, make_pos

    b_cred, p_cred = credentials or read_credentials(config)
    tz = config.restaurant.timezone
    booking = make_booking(
        config.booking.kind,
        base_url=config.booking.base_url,
        credentials=b_cred,
        clock=clock,
        tz=tz,
        **config.booking.options,
    )
    pos = make_pos(
        config.pos.kind,
        base_url=config.pos.base_url,
        credentials=p_cred,
        clock=clock,
        tz=tz,
        **config.pos.options,
    )
    return booking, pos


def build_local_core(*, settings: RestaurantSettings, layout: FloorLayout, store: Store, clock: Clock) -> Core:
    """Everything the screen needs to show the cache: no connector, no network, no httpx import."""
    bus = ChangeBus()
    health = HealthMonitor(clock, bus)
    service = HostService(store, layout=layout, settings=settings, clock=clock, bus=bus, health=health)
    return Core(settings, layout, store, bus, clock, health, service)


def attach_sync(core: Core, booking: BookingPort, pos: PosPort, *, pull_interval: float = 15.0) -> SyncEngine:
    """Connect the core to the vendors: the puller, replayer and prober, sharing the core's bus and health."""
    from hoststand.sync.runner import SyncEngine

    engine = SyncEngine(
        core.store,
        booking,
        pos,
        layout=core.layout,
        settings=core.settings,
        clock=core.clock,
        bus=core.bus,
        health=core.health,
        pull_interval=pull_interval,
    )
    core.engine = engine
    core.service.attach_sync(refresh=engine.refresh_now, tab_name_max=pos.limits.tab_name_max)
    return engine


def worker_config(
    core: Core,
    *,
    floor_plan: Path,
    booking: tuple[str, str, Credentials, dict],  # kind, base URL, credentials, vendor options
    pos: tuple[str, str, Credentials, dict],
    pull_interval: float = 15.0,
    clock_anchor: tuple[datetime, float, float] | None = None,  # a ScaledClock's (start, wall anchor, factor)
) -> dict:
    """What the sync process needs (`sync.worker.WorkerConfig`, as JSON): it travels over the child's
    standard input only, since it carries the vendors' secrets."""
    from hoststand.sync.worker import settings_to_dict

    def vendor(kind: str, base_url: str, cred: Credentials, options: dict) -> dict:
        return {"kind": kind, "base_url": base_url, "client_id": cred.client_id, "client_secret": cred.client_secret, **options}

    config = {
        "cache": str(core.store.path),
        "layout": str(floor_plan),
        "booking": vendor(*booking),
        "pos": vendor(*pos),
        "timezone": core.settings.timezone,
        "restaurant": core.settings.name,
        "settings": settings_to_dict(core.settings),
        "pull_interval": pull_interval,
        "read_timeout": None,
    }
    if clock_anchor is not None:
        start, wall, factor = clock_anchor
        config.update(clock_start=start.isoformat(), clock_anchor=wall, clock_speed=factor)
    return config


def attach_sync_process(core: Core, config: dict) -> SyncProcess:
    """Connect the core to the vendors through the sync process (sync/process.py): the same engine as
    `attach_sync`, in a child process, so that pulls never stall the screen."""
    from hoststand.sync.process import SyncProcess

    engine = SyncProcess(
        config,
        bus=core.bus,
        health=core.health,
        clock=core.clock,
        on_ready=lambda info: core.service.attach_sync(refresh=engine.refresh_now, tab_name_max=int(info["tab_name_max"])),
    )
    core.engine = engine
    core.service.attach_sync(refresh=engine.refresh_now, tab_name_max=core.service.commands.tab_name_max)
    return engine


def build_core(
    *,
    settings: RestaurantSettings,
    layout: FloorLayout,
    store: Store,
    booking: BookingPort,
    pos: PosPort,
    clock: Clock,
    pull_interval: float = 15.0,
) -> Core:
    """The whole core at once (tests, benchmarks, the demo)."""
    core = build_local_core(settings=settings, layout=layout, store=store, clock=clock)
    attach_sync(core, booking, pos, pull_interval=pull_interval)
    return core


def tune_runtime() -> None:
    """Once the window is built: move everything start-up created out of the garbage collector's sight
    (`gc.freeze`), so a full collection during service scans only what the evening creates. Without it a
    full collection walks Qt's and SQLAlchemy's start-up objects too and can freeze the screen ~0.25 s.
    The collector runs from here on (`hoststand run` keeps it off until the window is up: cli._run)."""
    gc.collect()
    gc.freeze()
    gc.enable()


def run_app(config: Config, *, data_dir: Path | None = None, sync_in_process: bool = False) -> int:
    started = time.perf_counter()
    clock = SystemClock()
    layout = load_layout(config.floor_plan)
    b_cred, p_cred = read_credentials(config)  # fail before opening a window when a secret is missing
    store = open_cache(data_dir or default_data_dir())
    core = build_local_core(settings=config.restaurant, layout=layout, store=store, clock=clock)

    def connect(core: Core) -> None:
        if sync_in_process:
            attach_sync(core, *build_connectors(config, clock=clock, credentials=(b_cred, p_cred)))
            return
        attach_sync_process(
            core,
            worker_config(
                core,
                floor_plan=config.floor_plan,
                booking=(config.booking.kind, config.booking.base_url, b_cred, config.booking.options),
                pos=(config.pos.kind, config.pos.base_url, p_cred, config.pos.options),
            ),
        )

    return run_gui(core, title=f"hoststand — {config.restaurant.name}", started_at=started, connect=connect)


def run_gui(
    core: Core,
    *,
    title: str = "hoststand",
    screenshot: Path | None = None,
    size: tuple[int, int] = (1440, 900),
    menus: Callable[[object], list] | None = None,  # parent → extra QMenus (the demo's controls)
    on_close: Callable[[], None] | None = None,
    started_at: float | None = None,
    connect: Callable[[Core], None] | None = None,  # attaches a sync engine to the core
    page: str = "host",
) -> int:
    """Open the main window over `core` and run until it closes (or, with `screenshot`, until it is saved).

    The window first shows the cache; `connect` (when the core has no sync engine yet) then attaches one,
    so importing the HTTP stack or starting the sync process never delays the first paint."""
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hoststand.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hoststand")
    window = MainWindow(core.service, title=title, extra_menus=menus(None) if menus else None)
    window.resize(*size)
    result = {"code": 0}

    def report_first_paint() -> None:
        if started_at is not None and os.environ.get("HOSTSTAND_REPORT_STARTUP"):
            print(f"first_paint_s={time.perf_counter() - started_at:.4f}", flush=True)
            if os.environ.get("HOSTSTAND_EXIT_AFTER_PAINT"):
                QTimer.singleShot(0, app.quit)  # once this frame is flushed (it is being painted now)

    window.first_paint.connect(report_first_paint)

    async def main() -> None:
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        window.show()  # the window read the cache when it was built
        if page != "host":
            window.show_page(page)
        await asyncio.sleep(0)  # let the first frame paint before anything heavier
        if closed.is_set():  # the window was closed (or the app told to quit) before the sync started
            core.service.close()
            return
        core.store.connect()  # imports SQLAlchemy (the first screen was read without it)
        if started_at is not None and os.environ.get("HOSTSTAND_REPORT_STARTUP"):
            print(f"store_ready_s={time.perf_counter() - started_at:.4f}", flush=True)  # the host's commands can run
            if os.environ.get("HOSTSTAND_EXIT_WHEN_READY"):  # the start-up benchmark
                core.service.close()
                return
        if core.engine is None:
            if connect is None:
                raise AppError("No connectors to start.")
            connect(core)
        tune_runtime()
        await core.engine.start()
        try:
            if screenshot is not None:
                await _take_screenshot(core, window, app, screenshot, page=page)
                result["code"] = 0
                return
            await closed.wait()
        finally:
            await core.engine.stop()
            core.service.close()
            if on_close is not None:
                on_close()

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_until_complete(main())
    finally:
        window.close()  # its background readers stop before the cache closes
        asyncio.set_event_loop(None)
        core.store.close()
    return result["code"]


async def _take_screenshot(core: Core, window, app, path: Path, timeout: float = 30.0, page: str = "host") -> None:
    assert core.engine.first_pull_done is not None
    try:
        await asyncio.wait_for(core.engine.first_pull_done.wait(), timeout=timeout)
    except TimeoutError:
        log.warning("the first sync did not finish in %.0f s; the screenshot shows the cache", timeout)
    await core.engine.drain(timeout=5.0)
    window.refresh_all()
    window.show_page(page)
    await asyncio.sleep(0.3)  # let the loop paint (never processEvents() inside a task: qasync re-enters)
    window.finish_drawing()  # a big list fills over a few frames
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise AppError(f"Could not write the screenshot to {path}.")
    print(f"screenshot saved: {path}")
