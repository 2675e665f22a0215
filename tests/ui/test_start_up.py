"""What the app's start-up leaves for after its first paint: the other screens (built once the floor plan has
painted, or at once when asked for), their services, the sync engine and the modules only they need.

No timing here (the `startup_s` benchmark measures it): only which modules and pages exist when."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hoststand.services import queries
from hoststand.sync import puller
from hoststand.ui.pages import Page

ROOT = Path(__file__).resolve().parents[2]

# Imported for the first paint, they would only delay it: the pages and services of the other screens, the
# sync engine (the sync process runs it), the phone-number metadata (no number is shown before a selection).
NOT_BEFORE_THE_FIRST_PAINT = (
    "hoststand.ui.pacing_page",
    "hoststand.ui.waitlist_page",
    "hoststand.ui.queue_page",
    "hoststand.ui.conflicts_page",
    "hoststand.ui.reconciliation_page",
    "hoststand.services.pacing",
    "hoststand.services.waitlist",
    "hoststand.services.reconciliation",
    "hoststand.sync.runner",
    "hoststand.sync.puller",
    "hoststand.sync.process",
    "phonenumbers",
    "httpx",
)


def test_the_window_and_its_core_import_nothing_the_first_paint_does_not_need():
    code = textwrap.dedent(f"""
        import sys
        import hoststand.app
        import hoststand.ui.main_window
        print(",".join(m for m in {NOT_BEFORE_THE_FIRST_PAINT!r} if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == ""


def test_the_screens_read_the_feeds_the_puller_writes():
    assert queries.FEED_RESERVATIONS == puller.FEED_RESERVATIONS
    assert queries.FEED_POS_ORDERS == puller.FEED_POS_ORDERS


def test_the_other_screens_are_built_after_the_first_paint(qtbot, night):
    from hoststand.ui.main_window import MainWindow

    w = MainWindow(night.service)
    qtbot.addWidget(w)
    assert w.page_bar.keys() == ["host", "waitlist", "pacing", "queue", "conflicts", "report"]
    assert "pacing" not in night.service.__dict__  # its service is not built either
    with qtbot.waitSignal(w.first_paint, timeout=3000):
        w.show()
    qtbot.waitUntil(lambda: all(isinstance(w._pages.get(k), Page) for k in w.page_bar.keys()[1:]), timeout=3000)
    w.close()


def test_a_screen_asked_for_before_the_first_paint_is_built_at_once(qtbot, night):
    from hoststand.ui.main_window import MainWindow
    from hoststand.ui.pacing_page import PacingPage

    w = MainWindow(night.service)
    qtbot.addWidget(w)
    assert isinstance(w.page("pacing"), PacingPage)
    w.show_page("report")
    assert w.current_page_key() == "report" and w.page_bar.keys().count("report") == 1
    w.close()


def test_the_collector_is_off_only_while_the_app_starts(tmp_path, monkeypatch):
    """`hoststand run` starts with the garbage collector off; it is on again when the start fails, and the
    window's `tune_runtime` turns it on once the window is up."""
    import gc

    from hoststand import app, cli
    from hoststand.config import EXAMPLE

    seen = []
    monkeypatch.setattr(app, "run_app", lambda *a, **k: seen.append(gc.isenabled()) or 0)
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE, encoding="utf-8")
    assert gc.isenabled()
    assert cli.main(["--config", str(config), "run"]) == 0
    assert seen == [False] and gc.isenabled()
    assert cli.main(["--config", str(tmp_path / "missing.toml"), "run"]) == cli.EXIT_CONFIG
    assert gc.isenabled()
    gc.disable()
    try:
        app.tune_runtime()
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # what tune_runtime froze would never be collected for the tests that follow
        gc.enable()


def test_quitting_at_the_first_paint_ends_cleanly_before_the_sync_starts(tmp_path):
    """The app told to quit as soon as it has painted (as the start-up benchmark does, or a window closed at
    once) exits 0 without starting the sync and without a traceback, instead of failing in a loop that has
    already stopped. In a process of its own: a quit leaves Qt's loop refusing to run again in this one."""
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from hoststand.app import build_local_core, load_layout, run_gui
        from hoststand.domain.clock import ManualClock
        from hoststand.domain.settings import RestaurantSettings
        from hoststand.store import open_store
        from datetime import datetime, timezone

        layout = load_layout(Path({str(ROOT / "resources" / "floorplans" / "bistro.json")!r}))
        core = build_local_core(settings=RestaurantSettings(name="The Corner Bistro"), layout=layout,
                                store=open_store(Path({str(tmp_path / "cache.sqlite")!r})),
                                clock=ManualClock(datetime(2026, 11, 27, 23, 0, tzinfo=timezone.utc)))
        connected = []
        code = run_gui(core, started_at=time.perf_counter(), connect=connected.append)
        print("code", code, "connected", len(connected))
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOSTSTAND_REPORT_STARTUP": "1",
           "HOSTSTAND_EXIT_AFTER_PAINT": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "first_paint_s=" in done.stdout and "code 0 connected 0" in done.stdout
    assert "Traceback" not in done.stderr
