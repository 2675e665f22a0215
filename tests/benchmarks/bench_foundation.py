"""Benchmarks of the foundation: start-up from the cache, check-in responsiveness, pull cost and UI stalls.

- `startup_s`: process start → first painted floor plan from the local cache (demo restaurant), median of runs,
  with the bytecode compiled as an installed app has it (one untimed launch first); `startup_ready_s`: process
  start → the store connected after that paint (SQLAlchemy is imported then), when the host's commands can run.
- `checkin_ui_ms`: check-in click → the table drawn seated, with 500 ms latency injected into the POS sandbox.
- `pull_ratio`: a full pull of ~1,000 reservations and 150 tables ÷ raw httpx fetching the same pages.
- `max_stall_ms`: the longest the Qt event loop was blocked (heartbeat timer) during that pull, window open, the
  sync engine in its own process as the app runs it (`inproc_max_stall_ms`: in the window's process, for comparison).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from harness import EVENING, ROOT, checkin_ui_ms, close_window, make_core, qt_app, sandbox_process, summary


# ---------------------------------------------------------------------------------------- startup


def bench_startup(runs: int = 5) -> dict:
    """Launch the real `hoststand run` against a prepared cache and time it to the first painted floor."""
    from hoststand.domain.clock import ManualClock

    work = Path(tempfile.mkdtemp(prefix="hoststand-startup-"))
    data = work / "data"
    with sandbox_process(EVENING) as sb:
        core = make_core(sb, ManualClock(EVENING), data)
        asyncio.run(_pull_and_close(core))
        ot, toast = sb.credentials["opentable"], sb.credentials["toast"]
        config = work / "config.toml"
        config.write_text(textwrap.dedent(f"""
            [restaurant]
            name = "The Corner Bistro"
            timezone = "America/New_York"
            floor_plan = "{ROOT / 'resources' / 'floorplans' / 'bistro.json'}"
            [booking]
            kind = "opentable"
            base_url = "{sb.urls['opentable']}"
            client_id = "{ot['client_id']}"
            rid = {ot['rid']}
            [pos]
            kind = "toast"
            base_url = "{sb.urls['toast']}"
            client_id = "{toast['client_id']}"
            restaurant_guid = "{toast['restaurant_guid']}"
        """))
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "HOSTSTAND_REPORT_STARTUP": "1",
            "HOSTSTAND_EXIT_WHEN_READY": "1",  # once the store has connected after the first paint
            # the real keyring path, with keyring's documented backend switch pointing at a fixed-secret backend
            "PYTHON_KEYRING_BACKEND": "bench_keyring.BenchKeyring",
            "BENCH_SECRETS": f"{ot['client_secret']},{toast['client_secret']}",
            "PYTHONPATH": str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            # compiled bytecode, as an installed app has it (pip compiles on install; the bundle ships it): a
            # first, untimed launch writes it here, even where the environment sets PYTHONDONTWRITEBYTECODE
            # (which made every run here recompile the modules edited since their last cached bytecode)
            "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        times, ready_times = [], []
        for n in range(runs + 1):
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "hoststand", "--config", str(config), "--data-dir", str(data), "run"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL,
            )
            painted = ready = None
            for line in proc.stdout:
                if line.startswith("first_paint_s="):
                    painted = time.perf_counter() - t0
                elif line.startswith("store_ready_s="):
                    ready = time.perf_counter() - t0
                    break
            proc.wait(timeout=60)
            if painted is None or ready is None:
                raise RuntimeError("the app never reported its first paint: " + proc.stderr.read()[-2000:])
            if n > 0:  # the first launch compiled the bytecode
                times.append(painted)
                ready_times.append(ready)
    s = summary(times)
    return {
        "startup_s": round(s["median"], 3),
        "startup_s_runs": [round(t, 3) for t in times],
        # first paint → the store connected (SQLAlchemy imported after the paint): the host's first command waits
        # at most this long more; the sync process starts then
        "startup_ready_s": round(summary(ready_times)["median"], 3),
    }


async def _pull_and_close(core) -> None:
    await core.engine.puller.pull_all()
    await core.engine.booking.aclose()
    await core.engine.pos.aclose()
    core.store.close()


# -------------------------------------------------------------------------------------- check-in


def bench_checkin_ui(parties: int = 6) -> dict:
    """Click → seated on the floor plan while the POS answers 500 ms late (the UI must not wait for it)."""

    async def slow_pos(sb, core) -> None:
        sb.fault("toast", mode="slow", latency_ms=500)

    s = summary(checkin_ui_ms(parties, slow_pos))
    return {"checkin_ui_ms": round(s["median"], 1), "checkin_ui_ms_max": round(s["max"], 1), "checkin_ui_runs": s["runs"]}


# ------------------------------------------------------------------------------ pull and stalls


def bench_pull(runs: int = 5) -> dict:
    """A full pull (empty cache) of ~1,000 reservations and 150 tables vs raw httpx on the same pages."""
    from hoststand.domain.clock import ManualClock

    hoststand_times: list[float] = []
    raw_times: list[float] = []
    with sandbox_process(EVENING, extra_reservations=940, extra_tables=134) as sb:
        sb.fault("toast", mode="login_limit", per_hour=10_000)  # each run signs in afresh
        state = sb.admin("/_sandbox/state")
        n_res = len(state["opentable"]["reservations"])
        n_tables = len(state["toast"]["tables"])
        for _ in range(runs):
            log: list[tuple[str, httpx.URL, dict]] = []

            async def record(request: httpx.Request) -> None:
                log.append((request.method, request.url, dict(request.headers), request.content))

            core = make_core(sb, ManualClock(EVENING), event_hooks={"request": [record]})
            t0 = time.perf_counter()
            asyncio.run(_pull_and_close(core))
            hoststand_times.append(time.perf_counter() - t0)
            raw_times.append(asyncio.run(_raw_replay(log, sb)))
    h, r = summary(hoststand_times), summary(raw_times)
    return {
        "pull_ratio": round(h["median"] / r["median"], 3),
        "pull_s": round(h["median"], 3),
        "pull_raw_httpx_s": round(r["median"], 3),
        "pull_reservations": n_res,
        "pull_tables": n_tables,
    }


async def _raw_replay(log, sb) -> float:
    """The same requests, in the same per-vendor order, the two vendors concurrently, with plain httpx."""
    by_vendor: dict[str, list] = {"opentable": [], "toast": []}
    for method, url, headers, content in log:
        vendor = "opentable" if str(url).startswith(sb.urls["opentable"]) else "toast"
        by_vendor[vendor].append((method, url, headers, content))

    async def run(entries) -> None:
        async with httpx.AsyncClient() as client:
            for method, url, headers, content in entries:
                r = await client.request(method, url, headers=headers, content=content)
                r.json() if r.headers.get("content-type", "").startswith("application/json") else None

    t0 = time.perf_counter()
    await asyncio.gather(run(by_vendor["opentable"]), run(by_vendor["toast"]))
    return time.perf_counter() - t0


def bench_stall(in_process: bool = False) -> dict:
    """The longest gap of a 5 ms heartbeat on the Qt loop while the window is open and the big pull runs.

    As the app runs it (default): the window over the cache, the sync engine in its own process
    (sync/process.py) doing the first pull of a fresh cache, its changes relayed to the window, which
    refreshes from the store. `in_process=True`: the engine on the window's own loop and threads, as
    before the sync process existed (and as `--sync-in-process` runs it), for comparison."""
    import json

    import qasync
    from PySide6.QtCore import QTimer

    from hoststand.app import attach_sync_process, build_local_core, tune_runtime, worker_config
    from hoststand.connectors.base import Credentials
    from hoststand.domain.clock import ManualClock, ScaledClock
    from hoststand.domain.floorplan import layout_from_dict
    from hoststand.domain.settings import RestaurantSettings
    from hoststand.store import open_store
    from hoststand.ui.main_window import MainWindow

    from harness import floor_data_for

    app = qt_app()
    with sandbox_process(EVENING, extra_reservations=940, extra_tables=134) as sb:
        if in_process:
            core = make_core(sb, ManualClock(EVENING))
        else:
            work = Path(tempfile.mkdtemp(prefix="hoststand-stall-"))
            floor = work / "floor.json"
            floor.write_text(json.dumps(floor_data_for(sb)))
            clock = ScaledClock(EVENING, 1.0)
            core = build_local_core(
                settings=RestaurantSettings(name="The Corner Bistro", timezone="America/New_York"),
                layout=layout_from_dict(json.loads(floor.read_text())), store=open_store(work / "cache.sqlite"), clock=clock,
            )
            ot, toast = sb.credentials["opentable"], sb.credentials["toast"]
            attach_sync_process(core, worker_config(
                core, floor_plan=floor,
                booking=("opentable", sb.urls["opentable"], Credentials(ot["client_id"], ot["client_secret"]), {"rid": ot["rid"]}),
                pos=("toast", sb.urls["toast"], Credentials(toast["client_id"], toast["client_secret"]),
                     {"restaurant_guid": toast["restaurant_guid"]}),
                clock_anchor=(*clock.anchor, clock.factor),
            ))
        window = MainWindow(core.service)
        window.resize(1440, 900)
        window.show()
        gaps: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            gaps.append((now - last[0]) * 1000)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(beat)

        async def scenario() -> None:
            tune_runtime()  # as the app does once its window is up
            # the window builds its other screens just after it first paints (a fresh cache: just after it shows),
            # well before the app's sync process, which starts with it, has pulled anything
            for _ in range(100):
                if not window.pages_pending():
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            timer.start()
            await asyncio.sleep(0.1)
            gaps.clear()
            last[0] = time.perf_counter()
            t0 = time.perf_counter()
            if in_process:
                await core.engine.puller.pull_all()
            else:
                await core.engine.start()
                await asyncio.wait_for(core.engine.first_pull_done.wait(), 120)
            await asyncio.sleep(0.5)  # the coalesced UI refresh after the pull happens on the loop too
            scenario.elapsed = time.perf_counter() - t0
            timer.stop()
            if in_process:
                await core.engine.booking.aclose()
                await core.engine.pos.aclose()
            else:
                await core.engine.stop()

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(scenario())
        rows = len(core.service.reservations())
        close_window(window, core)
    worst = max(gaps) - 5 if gaps else float("nan")
    top = sorted(gaps, reverse=True)[:5]
    prefix = "inproc_" if in_process else ""
    return {
        f"{prefix}max_stall_ms": round(worst, 1),
        f"{prefix}stall_top5_gaps_ms": [round(g - 5, 1) for g in top],
        f"{prefix}stall_heartbeats": len(gaps),
        f"{prefix}stall_pull_s": round(getattr(scenario, "elapsed", float("nan")), 3),
        f"{prefix}stall_rows_shown": rows,
    }


BENCHMARKS = {
    "startup": bench_startup,
    "checkin_ui": bench_checkin_ui,
    "pull": bench_pull,
    "stall": bench_stall,
    "stall_inproc": lambda: bench_stall(in_process=True),
}
