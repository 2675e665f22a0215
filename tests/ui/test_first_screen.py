"""The first screen at start-up is read without SQLAlchemy (`store.first_read`, plain sqlite3) and must be the
screen the repositories would draw: the same header, list, floor and Undo, over a night with something of
everything (allergies, seated tables, a walk-in, a queued check-in, an open conflict, POS tables).

And the app's real start-up paints that screen before it imports SQLAlchemy, then connects the store."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from hoststand.domain.model import ConflictRecord
from hoststand.services import HostService
from hoststand.store import open_store, repos

ROOT = Path(__file__).resolve().parents[2]


def _busy_night(night) -> None:
    """Add what the seeded night lacks: queued check-ins with their Undo (and one undone), an open and a resolved conflict,
    the POS's tables (one the plan does not place), a ticket opened at that POS-only table for a party, and two
    parties booked for the same time."""
    result = night.service.check_in(night.ids["smith"])
    assert result.ok, result.message
    assert night.service.check_in(night.ids["smithers"]).ok and night.service.undo().ok
    assert night.service.check_in(night.ids["kim"]).ok  # Undo now means Kim's check-in
    now, day = night.clock.now(), night.service.night().day
    layout_tables = [(f"guid-{t.id}", t.name, None, None) for t in night.layout.tables if t.id != "T23"]
    with night.store.write() as s:
        repos.add_conflict(s, ConflictRecord(id="c1", kind="table_taken", summary="Table 12 is taken",
                                             created_at=now, reservation_id=night.ids["brown"], table_id="T12",
                                             choices=("move", "keep"), facts={"by": "walk-in"}))
        repos.add_conflict(s, ConflictRecord(id="c0", kind="table_taken", summary="Table 2 was taken",
                                             created_at=now, reservation_id=night.ids["lefevre"], table_id="T2"))
        repos.resolve_conflict(s, "c0", "keep", now)
        repos.replace_pos_tables(s, [*layout_tables, ("guid-bar", "Bar 1", None, None)], now)
        rossi = repos.get_reservation(s, night.ids["rossi"])
        # booked after Ann Smith for the same time: the list shows them by name, not as they were stored
        repos.save_reservation(s, replace(repos.get_reservation(s, night.ids["smith"]), id="r-abbott", external_id="ot-abbott",
                                          guest_name="Aaron Abbott", guest_id=None, table_ids=()), service_date=day)
        ticket = repos.get_ticket(s, "t-walkin")
        repos.save_ticket(s, replace(ticket, id="t-bar", table_id=None, reservation_id=rossi.id, pos_id="pos-9",
                                     pos_table_guid="guid-bar"), business_date=20261127)


def _first_service(night) -> HostService:
    """A second service over the same file, as `hoststand run` opens it: checked, not connected."""
    store = open_store(night.store.path, connect=False)
    assert not store.connected
    return HostService(store, layout=night.layout, settings=night.service.settings, clock=night.clock, bus=night.bus,
                       health=night.health)


def test_the_first_screen_read_without_sqlalchemy_is_the_screen_the_repositories_draw(night):
    _busy_night(night)
    first = _first_service(night)
    try:
        n_first, n_full = first.night(), night.service.night()
        assert not first.store.connected  # the whole first screen came from plain sqlite3
        assert n_first.day == n_full.day
        assert n_first.reservations == n_full.reservations
        assert n_first.guests == n_full.guests
        assert sorted(n_first.live_tickets, key=lambda t: t.id) == sorted(n_full.live_tickets, key=lambda t: t.id)
        assert n_first.pending == n_full.pending and n_first.pending  # the queued check-in
        assert n_first.counts == n_full.counts
        assert n_first.open_conflicts == n_full.open_conflicts == 1
        assert n_first.identity == n_full.identity and n_first.identity.pos_only == ("Bar 1",)
        assert {k: (v.last_success, v.last_attempt, v.last_error) for k, v in n_first.feeds.items()} == {
            k: (v.last_success, v.last_attempt, v.last_error) for k, v in n_full.feeds.items()
        }
        # what the host sees
        assert first.header(n_first) == night.service.header(n_full)
        assert first.reservations(n_first) == night.service.reservations(n_full)
        assert first.floor(n_first) == night.service.floor(n_full)
        assert first.undo_label() == night.service.undo_label() == "Undo: " + repos_undo_description(night)
        assert "Kim" in first.undo_label()
        assert not first.store.connected
    finally:
        first.store.close()


def repos_undo_description(night) -> str:
    with night.store.read() as s:
        return repos.last_undoable(s, night.clock.now() - night.service.settings.undo_window).description


def test_with_nothing_for_tonight_both_reads_show_the_last_night_the_cache_holds(night):
    night.clock.advance(timedelta(days=3))  # an offline start three days later
    first = _first_service(night)
    try:
        n_first, n_full = first.night(), night.service.night()
        assert n_first.day == n_full.day == night.service.night().reservations[0].start.date()
        assert first.reservations(n_first) == night.service.reservations(n_full)
        assert first.undo_label() is None and night.service.undo_label() is None  # past the undo window
    finally:
        first.store.close()


def test_the_store_connects_on_first_use_and_then_reads_and_writes_through_the_repositories(night):
    first = _first_service(night)
    try:
        result = first.check_in(night.ids["smith"])  # a command before connect() connects
        assert result.ok and first.store.connected
        assert first.undo_label() == night.service.undo_label()
    finally:
        first.store.close()


def test_the_app_paints_its_first_screen_before_importing_sqlalchemy(night, tmp_path):
    """The real start-up path (`open_cache`, `build_local_core`, `run_gui`) over the seeded cache, in a process of
    its own: at the first paint SQLAlchemy is not imported and the list shows tonight; then the store connects."""
    code = textwrap.dedent(f"""
        import sys
        from datetime import datetime
        from hoststand.app import build_local_core, load_layout, open_cache, run_gui
        from hoststand.domain.clock import ManualClock
        from hoststand.domain.settings import RestaurantSettings

        core = build_local_core(settings=RestaurantSettings(name="The Corner Bistro"),
                                layout=load_layout({str(ROOT / 'resources' / 'floorplans' / 'bistro.json')!r}),
                                store=open_cache({str(night.store.path.parent)!r}, {night.store.path.name!r}),
                                clock=ManualClock(datetime.fromisoformat({night.clock.now().isoformat()!r})))
        seen = {{}}

        def painted():
            from PySide6.QtWidgets import QApplication
            window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")
            seen["sqlalchemy"] = "sqlalchemy" in sys.modules
            seen["rows"] = window.reservation_list.model.rowCount()

        def connect(core):  # instead of the sync process: look, then stop
            import os
            print(f"at_first_paint sqlalchemy={{seen['sqlalchemy']}} rows={{seen['rows']}}", flush=True)
            print(f"then connected={{core.store.connected}}", flush=True)
            os._exit(0)

        import hoststand.ui.main_window as mw
        original = mw.MainWindow.__init__
        def init(self, *a, **kw):
            original(self, *a, **kw)
            self.first_paint.connect(painted)
        mw.MainWindow.__init__ = init
        run_gui(core, connect=connect)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         stdin=subprocess.DEVNULL)
    rows = len(night.service.reservations())
    assert f"at_first_paint sqlalchemy=False rows={rows}" in out.stdout, out.stdout + out.stderr[-3000:]
    assert "then connected=True" in out.stdout, out.stdout + out.stderr[-3000:]
