"""`hoststand demo`: the app against local OpenTable and Toast sandboxes, with no account and no configuration.

The sandboxes run in a child process (`hoststand sandbox`), so the vendor simulators never compete with the
UI for the interpreter. Both processes follow one simulated clock (same start, wall-clock anchor and speed):
the evening starts at 19:10 restaurant time whatever the real time is. The demo keeps its own cache in
`<data dir>/demo/`, fresh at each start, and adds a Demo menu to take either API down and up live and to run
time faster.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from hoststand.app import (
    AppError,
    attach_sync,
    attach_sync_process,
    build_local_core,
    load_layout,
    open_cache,
    run_gui,
    worker_config,
)
from hoststand.config import RESOURCES, default_data_dir
from hoststand.connectors.base import Credentials
from hoststand.domain import service_day
from hoststand.domain.clock import UTC, ScaledClock
from hoststand.domain.settings import RestaurantSettings
from hoststand.sync.process import self_command

log = logging.getLogger(__name__)

DEMO_SETTINGS = RestaurantSettings(name="The Corner Bistro", timezone="America/New_York")
DEMO_FLOOR = RESOURCES / "floorplans" / "bistro.json"


class SandboxProcess:
    """The vendor sandboxes in a child process; `urls` and `credentials` once it is ready."""

    def __init__(self, *, start: datetime, speed: float, anchor_wall: float, seed: int = 7, drive: bool = True) -> None:
        self.start_at, self.speed, self.anchor_wall, self.seed, self.drive = start, speed, anchor_wall, seed, drive
        self.proc: subprocess.Popen | None = None
        self.urls: dict[str, str] = {}
        self.credentials: dict[str, dict] = {}

    def start(self, timeout: float = 30.0) -> None:
        ready = Path(tempfile.mkdtemp(prefix="hoststand-demo-")) / "ready.json"
        cmd = [
            *self_command(), "sandbox",
            "--booking", "opentable", "--pos", "toast",
            "--start", self.start_at.isoformat(), "--speed", str(self.speed),
            "--anchor-wall", repr(self.anchor_wall), "--seed", str(self.seed),
            "--ready-file", str(ready),
        ] + (["--drive"] if self.drive else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.exists() and ready.stat().st_size > 0:
                try:
                    info = json.loads(ready.read_text(encoding="utf-8"))
                except json.JSONDecodeError:
                    time.sleep(0.05)
                    continue
                self.urls, self.credentials = info["urls"], info["credentials"]
                return
            if self.proc.poll() is not None:
                err = (self.proc.stderr.read() or b"").decode(errors="replace")[-2000:] if self.proc.stderr else ""
                raise AppError(f"The demo sandboxes failed to start:\n{err}")
            time.sleep(0.05)
        self.stop()
        raise AppError("The demo sandboxes did not start within 30 seconds.")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def demo_start_time(hhmm: str, settings: RestaurantSettings, now: datetime | None = None) -> datetime:
    """Tonight at HH:MM restaurant time (the service date of the real now), in UTC."""
    now = now or datetime.now().astimezone()
    try:
        hour, minute = (int(x) for x in hhmm.split(":"))
    except ValueError as exc:
        raise AppError(f"--start takes HH:MM, not '{hhmm}'.") from exc
    day = service_day.service_date(now, settings.tz, settings.service_day_rollover_hour)
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=settings.tz)
    if hour < settings.service_day_rollover_hour:
        local += timedelta(days=1)
    return local.astimezone(UTC)


def run_demo(args) -> int:
    started = time.perf_counter()
    settings = DEMO_SETTINGS
    anchor = time.time()
    try:
        start = demo_start_time(args.start, settings)
        clock = ScaledClock(start, factor=args.speed, anchor_wall=anchor)
        data_dir = Path(args.data_dir or default_data_dir()) / "demo"
        for suffix in ("", "-wal", "-shm"):
            p = data_dir / f"hoststand.sqlite{suffix}"
            if p.exists():
                p.unlink()
        sandboxes = SandboxProcess(start=start, speed=args.speed, anchor_wall=anchor, drive=not args.no_drive)
        sandboxes.start()
    except AppError as exc:
        print(f"hoststand: {exc}", file=sys.stderr)
        return 3
    try:
        ot, toast = sandboxes.credentials["opentable"], sandboxes.credentials["toast"]
        booking = ("opentable", sandboxes.urls["opentable"], Credentials(ot["client_id"], ot["client_secret"]), {"rid": ot["rid"]})
        pos = (
            "toast", sandboxes.urls["toast"], Credentials(toast["client_id"], toast["client_secret"]),
            {"restaurant_guid": toast["restaurant_guid"]},
        )
        core = build_local_core(settings=settings, layout=load_layout(DEMO_FLOOR), store=open_cache(data_dir), clock=clock)
        if getattr(args, "sync_in_process", False):
            from hoststand.connectors.registry import make_booking, make_pos

            attach_sync(
                core,
                make_booking(booking[0], base_url=booking[1], credentials=booking[2], clock=clock, tz=settings.timezone, **booking[3]),
                make_pos(pos[0], base_url=pos[1], credentials=pos[2], clock=clock, tz=settings.timezone, **pos[3]),
                pull_interval=5.0,
            )
        else:
            attach_sync_process(
                core,
                worker_config(
                    core, floor_plan=DEMO_FLOOR, booking=booking, pos=pos, pull_interval=5.0,
                    clock_anchor=(*clock.anchor, clock.factor),
                ),
            )
        size = tuple(int(x) for x in args.size.lower().split("x"))
        controls = DemoControls(sandboxes, clock, core)
        return run_gui(
            core,
            title="hoststand — The Corner Bistro (demo)",
            screenshot=args.screenshot,
            size=size,  # type: ignore[arg-type]
            menus=controls.menus,
            started_at=started,
            page=args.page,
        )
    except AppError as exc:
        print(f"hoststand: {exc}", file=sys.stderr)
        return 3
    finally:
        sandboxes.stop()


class DemoControls:
    """The Demo menu: take each sandbox API down and up, and run time faster."""

    def __init__(self, sandboxes: SandboxProcess, clock: ScaledClock, core) -> None:
        self.sandboxes, self.clock, self.core = sandboxes, clock, core

    def menus(self, window) -> list:
        from PySide6.QtGui import QAction, QActionGroup
        from PySide6.QtWidgets import QMenu

        menu = QMenu("&Demo", window)
        for api, label in (("opentable", "OpenTable"), ("toast", "Toast (POS)")):
            down = QAction(f"Take {label} down", menu)
            down.triggered.connect(lambda _=False, a=api: self._fault(a, {"mode": "down"}))
            up = QAction(f"Bring {label} back up", menu)
            up.triggered.connect(lambda _=False, a=api: self._fault(a, {"mode": "up"}))
            menu.addAction(down)
            menu.addAction(up)
        both_down = QAction("Take the internet down (both APIs)", menu)
        both_down.triggered.connect(lambda: [self._fault(a, {"mode": "down"}) for a in ("opentable", "toast")])
        both_up = QAction("Bring the internet back", menu)
        both_up.triggered.connect(lambda: [self._fault(a, {"mode": "up"}) for a in ("opentable", "toast")])
        menu.addSeparator()
        menu.addAction(both_down)
        menu.addAction(both_up)
        menu.addSeparator()
        speed = QMenu("Time speed", menu)
        group = QActionGroup(speed)
        for factor in (1, 5, 20, 60):
            a = QAction(f"{factor}×", speed, checkable=True)
            a.setChecked(abs(self.clock.factor - factor) < 1e-9)
            a.triggered.connect(lambda _=False, f=factor: self._speed(f))
            group.addAction(a)
            speed.addAction(a)
        menu.addMenu(speed)
        return [menu]

    def _post(self, path: str, body: dict) -> None:
        async def send() -> None:
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    await client.post(self.sandboxes.urls["admin"] + path, json=body)
            except httpx.HTTPError as exc:
                log.warning("demo control %s failed: %s", path, exc)
            self.core.engine.refresh_now()

        asyncio.ensure_future(send())

    def _fault(self, api: str, body: dict) -> None:
        self._post("/_sandbox/faults", {"api": api, **body})

    def _speed(self, factor: float) -> None:
        self.clock.set_factor(factor)
        follow = getattr(self.core.engine, "follow_clock", None)
        if follow is not None:  # the sync process keeps its own copy of the clock
            follow(*self.clock.anchor, self.clock.factor)
        self._post("/_sandbox/clock", {"factor": factor})

