"""Shared parts of the benchmarks: vendor sandboxes in their own process, a core over them, a window.

The sandboxes run in a separate process (multiprocessing, spawn) so that simulating the vendors never
competes with the app under test for the interpreter lock; figures then measure hoststand, not the fake.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 27, 18, 0, tzinfo=NY)


def _serve(conn, now_iso: str, extra_reservations: int, extra_tables: int) -> None:
    from hoststand.sandbox.server import SandboxServer, SeedOptions

    srv = SandboxServer(
        booking="opentable",
        pos="toast",
        seed=SeedOptions(
            now=datetime.fromisoformat(now_iso),
            timezone="America/New_York",
            seed=7,
            extra_reservations=extra_reservations,
            extra_tables=extra_tables,
        ),
    )
    srv.start()
    conn.send({"urls": srv.urls, "credentials": srv.credentials})
    conn.recv()  # wait for "stop"
    srv.stop()


@dataclass
class RemoteSandbox:
    urls: dict
    credentials: dict

    def admin(self, path: str, body: dict | None = None) -> dict:
        url = self.urls["admin"] + path
        r = httpx.post(url, json=body or {}, timeout=30) if body is not None else httpx.get(url, timeout=30)
        r.raise_for_status()
        return r.json()

    def fault(self, api: str, **body) -> None:
        self.admin("/_sandbox/faults", {"api": api, **body})


@contextmanager
def sandbox_process(now: datetime = EVENING, *, extra_reservations: int = 0, extra_tables: int = 0):
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, now.isoformat(), extra_reservations, extra_tables), daemon=True)
    proc.start()
    if not parent.poll(60):
        proc.terminate()
        raise RuntimeError("the sandbox process did not start")
    info = parent.recv()
    try:
        yield RemoteSandbox(info["urls"], info["credentials"])
    finally:
        try:
            parent.send("stop")
        except (BrokenPipeError, OSError):
            pass
        proc.join(10)
        if proc.is_alive():
            proc.terminate()


def make_ports(sb: RemoteSandbox, clock, *, event_hooks: dict | None = None):
    from hoststand.connectors.base import Credentials
    from hoststand.connectors.registry import make_booking, make_pos

    ot, toast = sb.credentials["opentable"], sb.credentials["toast"]
    from hoststand.connectors.http import make_client

    booking_client = pos_client = None
    if event_hooks:
        booking_client = make_client(sb.urls["opentable"])
        booking_client.event_hooks = event_hooks
        pos_client = make_client(sb.urls["toast"])
        pos_client.event_hooks = event_hooks
    kwargs_b = {"client": booking_client} if booking_client else {}
    kwargs_p = {"client": pos_client} if pos_client else {}
    booking = make_booking(
        "opentable", base_url=sb.urls["opentable"], credentials=Credentials(ot["client_id"], ot["client_secret"]),
        rid=ot["rid"], clock=clock, tz="America/New_York", **kwargs_b,
    )
    pos = make_pos(
        "toast", base_url=sb.urls["toast"], credentials=Credentials(toast["client_id"], toast["client_secret"]),
        restaurant_guid=toast["restaurant_guid"], clock=clock, tz="America/New_York", **kwargs_p,
    )
    return booking, pos


def floor_for(sb: RemoteSandbox):
    """The bistro's floor plan, plus every extra POS table the big benchmark world has ("Annex"), laid out
    in a grid: a restaurant with 150 tables has all of them on its plan."""
    from hoststand.domain.floorplan import layout_from_dict

    return layout_from_dict(floor_data_for(sb))


def floor_data_for(sb: RemoteSandbox) -> dict:
    """`floor_for` as the floor-plan file's JSON (what a sync process is given)."""
    import json

    data = json.loads((ROOT / "resources" / "floorplans" / "bistro.json").read_text())
    on_plan = {t["pos"]["name"] for t in data["tables"]}
    extra = [t["name"] for t in sb.admin("/_sandbox/state")["toast"]["tables"]
             if t["name"] not in on_plan and not t["name"].startswith("Bar")]
    if extra:
        data["sections"].append({"id": "annex", "name": "Annex", "color": "#8E7CC3"})
        for i, name in enumerate(extra):
            data["tables"].append({"id": f"A{name}", "name": name, "section": "annex", "seats": [1, 6],
                                   "shape": "square", "x": 40 + (i % 14) * 120, "y": 900 + (i // 14) * 120,
                                   "w": 90, "h": 90, "pos": {"name": name}})
        data["width"] = max(data["width"], 40 + 14 * 120)
        data["height"] = 900 + (len(extra) // 14 + 1) * 120
    return data


def make_core(sb: RemoteSandbox, clock, data_dir: Path | None = None, *, event_hooks: dict | None = None):
    from hoststand.app import build_core
    from hoststand.domain.settings import RestaurantSettings
    from hoststand.store import open_store

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="hoststand-bench-"))
    booking, pos = make_ports(sb, clock, event_hooks=event_hooks)
    return build_core(
        settings=RestaurantSettings(name="The Corner Bistro", timezone="America/New_York"),
        layout=floor_for(sb),
        store=open_store(data_dir / "hoststand.sqlite"),
        booking=booking,
        pos=pos,
        clock=clock,
    )


def summary(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "median": statistics.median(values),
        "min": values[0],
        "max": values[-1],
        "runs": len(values),
    }


def qt_app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def checkin_ui_ms(parties: int, prepare, after=None) -> list[float]:
    """Check-in click → the table drawn seated on the floor plan, in a real MainWindow under qasync, for up to
    `parties` booked parties at distinct free tables. `prepare(sb, core)` (async) sets the vendors up first
    (e.g. a slow or a down POS); `after(core)` checks the conditions held. Returns milliseconds per check-in."""
    import asyncio
    import time

    import qasync
    from PySide6.QtCore import QEvent, QObject

    from hoststand.domain.clock import ManualClock
    from hoststand.ui.main_window import MainWindow

    app = qt_app()
    results: list[float] = []
    early = EVENING.replace(hour=16, minute=40)
    with sandbox_process(early) as sb:
        core = make_core(sb, ManualClock(early))
        window = MainWindow(core.service)
        window.resize(1440, 900)
        paints: list[float] = []

        class PaintSpy(QObject):
            def eventFilter(self, obj, event):  # noqa: ANN001
                if event.type() == QEvent.Type.Paint:
                    paints.append(time.perf_counter())
                return False

        spy = PaintSpy()
        window.floor_view.viewport().installEventFilter(spy)

        async def scenario() -> None:
            await core.engine.puller.pull_all()
            window.refresh_all()
            window.show()
            await core.engine.start()
            await asyncio.sleep(0.3)
            await prepare(sb, core)
            floor = {t.id: t for t in core.service.floor().tables}
            candidates = [
                r for r in core.service.reservations()
                if r.status.value == "booked" and r.table_ids and floor[r.table_ids[0]].state.value in ("free", "held")
                and len(set(r.table_ids)) == 1
            ]
            seen: set[str] = set()
            for r in candidates:
                if len(results) >= parties or r.table_ids[0] in seen:
                    continue
                seen.add(r.table_ids[0])
                window.select_reservation(r.id)
                await asyncio.sleep(0.05)
                paints.clear()
                t0 = time.perf_counter()
                result = window.check_in(r.id)  # what the click / Enter does
                assert result is not None and result.ok, result
                item = window.floor_view.table_item(r.table_ids[0])
                while item.view.state.value not in ("seated", "ordered") or not paints:
                    await asyncio.sleep(0.001)
                    if time.perf_counter() - t0 > 5:
                        raise RuntimeError("the table was never drawn seated")
                results.append((paints[0] - t0) * 1000 if paints[0] >= t0 else (time.perf_counter() - t0) * 1000)
                await asyncio.sleep(0.2)
            if after is not None:
                after(core)
            await core.engine.stop()

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(scenario())
        close_window(window, core)
    return results


def close_window(window, core) -> None:
    """Close a benchmark's window for good (its timers and background loads stop), then its core."""
    window.close()
    window.deleteLater()
    qt_app().processEvents()
    core.service.close()
    core.store.close()
