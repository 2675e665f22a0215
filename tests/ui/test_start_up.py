"""What the app's start-up leaves for after its first paint: the other screens (built once the floor plan has
painted, or at once when asked for), their services, the sync engine and the modules only they need.

No timing here (the `startup_s` benchmark measures it): only which modules and pages exist when."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from hoststand.services import queries
from hoststand.sync import puller
from hoststand.ui.pages import Page

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


def test_quitting_at_the_first_paint_ends_cleanly_before_the_sync_starts(qtbot, tmp_path, monkeypatch):
    """The app told to quit as soon as it has painted (as the start-up benchmark does, or a window closed at
    once) returns 0 without starting the sync, instead of failing in a loop that has already stopped."""
    import time

    from hoststand.app import build_local_core, run_gui
    from hoststand.domain.clock import ManualClock
    from hoststand.domain.settings import RestaurantSettings
    from hoststand.store import open_store

    from .conftest import NOW, load_layout

    monkeypatch.setenv("HOSTSTAND_REPORT_STARTUP", "1")
    monkeypatch.setenv("HOSTSTAND_EXIT_AFTER_PAINT", "1")
    core = build_local_core(settings=RestaurantSettings(name="The Corner Bistro"), layout=load_layout(),
                            store=open_store(tmp_path / "cache.sqlite"), clock=ManualClock(NOW))
    connected = []
    try:
        assert run_gui(core, started_at=time.perf_counter(), connect=connected.append) == 0
    finally:
        core.store.close()
    assert connected == []
