"""The pacing page: its models pass Qt's model contract, it shows the floor's pace, alerts, arrivals, kitchen load
and covers, a timeline bar dragged (or moved with the keys) to another table is confirmed and moved through the
write path with Undo, and the page renders at the host stand's two screen sizes. Then, against the vendor
sandboxes over loopback: an alert appears when the POS service driver lets a table linger."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt

from hoststand.domain.alerts import AlertKind
from hoststand.domain.events import Change
from hoststand.services.pacing import PacingQueries
from hoststand.ui.keyed_model import KeyedRowsModel, Col, ROW_ROLE, SUB_ROLE
from hoststand.ui.pacing_page import PacingPage, attention, table_columns
from hoststand.ui.timeline import ROW_H, UNASSIGNED

from .conftest import save_shot


@pytest.fixture
def pacing(night):
    q = PacingQueries(night.store, layout=night.layout, settings=night.service.settings, clock=night.clock, bus=night.bus)
    yield q
    q.close()


@pytest.fixture
def page(qtbot, night, pacing):
    p = PacingPage(pacing, night.service)
    qtbot.addWidget(p)
    p.resize(1440, 800)
    p.show()
    qtbot.waitExposed(p)
    p.refresh_now()
    return p


# ------------------------------------------------------------------------------------------ models


def test_every_model_of_the_page_passes_qtmodeltester(qtmodeltester, page, night):
    night.clock.advance(timedelta(minutes=40))  # alerts and late arrivals
    page.refresh_now()
    assert page.alert_model.rowCount() > 0 and page.arrival_model.rowCount() > 0
    for model in (page.table_model, page.alert_model, page.arrival_model):
        qtmodeltester.check(model, force_py=True)


def test_the_keyed_model_updates_in_place_and_passes_qtmodeltester_through_changes(qtmodeltester, qtbot):
    cols = [Col("Name", lambda r: r[1], sub=lambda r: f"#{r[0]}"), Col("N", lambda r: str(r[2]), sort=lambda r: r[2])]
    model = KeyedRowsModel(cols, lambda r: r[0])
    model.set_rows([("a", "Ann", 3), ("b", "Bo", 1), ("c", "Cy", 2)])
    qtmodeltester.check(model, force_py=True)  # stays connected: every change below is checked as it happens
    kept = model.index(1, 0)
    from PySide6.QtCore import QPersistentModelIndex

    persistent = QPersistentModelIndex(kept)
    signals = []
    model.rowsRemoved.connect(lambda *a: signals.append("removed"))
    model.rowsInserted.connect(lambda *a: signals.append("inserted"))
    model.layoutChanged.connect(lambda *a: signals.append("layout"))
    model.dataChanged.connect(lambda *a: signals.append("changed"))
    model.set_rows([("c", "Cy", 2), ("d", "Di", 4), ("b", "Bo!", 1)])  # a removed, c/b reordered, d new, b changed
    assert signals == ["removed", "layout", "inserted", "changed"]
    assert [model.index(i, 0).data() for i in range(3)] == ["Cy", "Di", "Bo!"]
    assert persistent.row() == 2 and persistent.data() == "Bo!"  # the selection follows its row
    assert model.index(0, 0).data(SUB_ROLE) == "#c" and model.index(2, 0).data(ROW_ROLE) == ("b", "Bo!", 1)
    signals.clear()
    model.set_rows([("c", "Cy", 2), ("d", "Di", 4), ("b", "Bo!", 1)])
    assert signals == []  # nothing changed: no signal at all
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [model.index(i, 1).data() for i in range(3)] == ["1", "2", "4"]
    model.touch(1)
    model.clear()
    assert model.rowCount() == 0


# ------------------------------------------------------------------------------------------ the page


def test_the_page_shows_the_pace_of_the_floor(page, night):
    v = page.view
    rows = {r.table_id: r for r in v.tables}
    assert rows["T16"].stage_label == "Mains out" and rows["T16"].party_name == "Chidi Okafor"
    model_rows = [page.table_model.index(i, 0).data(ROW_ROLE) for i in range(page.table_model.rowCount())]
    assert model_rows == sorted(v.tables, key=attention)  # what needs a look first
    assert model_rows[0].occupied
    t16 = page.table_model.row_of("T16")
    cells = [page.table_model.index(t16, c).data() for c in range(len(table_columns()))]
    assert cells[0] == "16" and cells[1] == "Chidi Okafor (6)" and cells[3] == "Mains out"
    assert page.fig_room.value.text() == str(v.covers_in_room)
    assert "covers likely to fire mains" in page.kitchen.load.text()
    page.kitchen.buttons[6].click()
    assert page.kitchen.answer.text().startswith("Seating a 6 now puts")
    assert page.chart.slots() == v.slots and any(s.booked for s in v.slots)
    assert "booked" in page.cover_totals.text()
    assert "Defaults" in page.fig_turns.value.text() and "Party" in page.fig_turns.toolTip()


def test_the_table_order_follows_a_row_that_changed_between_refreshes(page):
    """The page keeps each row's place key while the row is the same object: a changed row is placed anew."""
    from dataclasses import replace

    v = page.view
    calm = [r for r in sorted(v.tables, key=attention) if r.occupied and not r.alert and r.over_by_minutes <= 0][-1]
    late = replace(calm, over_by_minutes=50)  # the same table, now far over its turn
    tables = tuple(late if r is calm else r for r in v.tables)
    page.set_view(replace(v, tables=tables))
    model_rows = [page.table_model.index(i, 0).data(ROW_ROLE) for i in range(page.table_model.rowCount())]
    assert model_rows == sorted(tables, key=attention)
    assert model_rows.index(late) < [r.table_id for r in sorted(v.tables, key=attention)].index(calm.table_id)


def test_a_change_is_read_in_the_background_and_applied(page, night, qtbot):
    before = page.view
    night.service.check_in(night.ids["smith"])
    page.refresh()  # what the main window does when a change event arrives
    qtbot.waitUntil(lambda: page.view is not before and page.loader.idle(), timeout=5000)
    row = next(r for r in page.view.tables if r.table_id == "T12")
    assert row.occupied and row.party_name == "Ann Smith"
    assert page.table_model.get("T12") == row


def test_an_alert_shows_in_the_list_and_on_the_table_row(page, night):
    night.clock.advance(timedelta(minutes=45))  # the walk-in at 22 and Dubois at 3 run over
    night.bus.publish(Change.of("tickets"))
    page.refresh_now()
    messages = [page.alert_model.index(i, 0).data() for i in range(page.alert_model.rowCount())]
    assert any("over its expected turn" in m for m in messages)
    assert page.alert_view.isVisible() and not page.alerts_empty.isVisible()
    assert page.badge() == str(len(messages))


def _bar_center(page, bar, lane):
    r = page.canvas.bar_rect(bar, lane)
    return page.canvas.mapTo(page.canvas, r.center().toPoint())


def test_dragging_a_bar_to_another_table_asks_then_moves_through_the_write_path_with_undo(page, night, qtbot):
    page.show_view(1)
    qtbot.waitUntil(lambda: page.canvas.width() > 600)
    rid = night.ids["smithers"]  # booked at 13, 20:30
    bar = page.canvas.bar(rid)
    home = page.canvas.lane_index("T13")
    target = page.canvas.lane_index("T15")
    start = _bar_center(page, bar, home)
    page.scroll.ensureVisible(0, target * ROW_H, 0, ROW_H)
    qtbot.mousePress(page.canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(page.canvas, start + QPoint(0, 10))
    end = QPoint(start.x(), target * ROW_H + ROW_H // 2)
    qtbot.mouseMove(page.canvas, end)
    assert page.canvas.target == target
    qtbot.mouseRelease(page.canvas, Qt.MouseButton.LeftButton, pos=end)
    assert page.confirm.isVisible()
    assert page.confirm.question.text() == "Move Smithers (2) from 13 to 15?"
    assert night.reservation("smithers").table_ids == ("T13",)  # nothing moves before the host says so
    qtbot.keyClick(page.confirm.move_button, Qt.Key.Key_Return)
    assert night.reservation("smithers").table_ids == ("T15",)
    assert page.notice.isVisible() and "moved to 15" in page.notice.label.text()
    assert page.notice.undo.isVisible() and page.canvas.bar(rid).table_ids == ("T15",)
    page.notice.undo.click()
    assert night.reservation("smithers").table_ids == ("T13",)


def test_the_keys_move_a_selected_bar_and_a_warning_says_when_the_table_is_too_small(page, night, qtbot):
    page.show_view(1)
    qtbot.waitUntil(lambda: page.canvas.width() > 600)
    rid = night.ids["brown"]  # 8 at 10+11
    page.canvas.select(rid)
    page.canvas.setFocus()
    home = page.canvas.lane_index("T10")
    qtbot.keyClick(page.canvas, Qt.Key.Key_Up)  # 10 → the lane above (4)
    assert page.canvas.target == home - 1
    qtbot.keyClick(page.canvas, Qt.Key.Key_Return)
    assert page.confirm.isVisible() and "too small for 8" in page.confirm.warning.text()
    qtbot.keyClick(page.confirm, Qt.Key.Key_Escape)
    assert not page.confirm.isVisible() and page.canvas.target is None
    assert night.reservation("brown").table_ids == ("T10", "T11")


def test_a_party_with_no_table_can_be_given_one_from_the_timeline(page, night, qtbot):
    page.show_view(1)
    qtbot.waitUntil(lambda: page.canvas.width() > 600)
    assert page.canvas.lanes[0].key == UNASSIGNED
    rid = night.ids["jones"]
    page.ask_move(rid, "T15")
    assert page.confirm.question.text() == "Move Jones (3) from no table to 15?"
    page.confirm.move_button.click()
    assert night.reservation("jones").table_ids == ("T15",)


def test_parties_with_no_table_are_packed_so_none_hides_another(qtbot):
    from datetime import datetime, timezone

    from hoststand.domain.model import ReservationStatus
    from hoststand.services.pacing import TimelineBar, TimelineRow, TimelineView
    from hoststand.ui.timeline import TimelineCanvas

    t0 = datetime(2026, 11, 27, 23, 0, tzinfo=timezone.utc)

    def bar(key, start, end, tables=()):
        return TimelineBar(key=key, reservation_id=key, table_ids=tables, label=key, party_size=2,
                           status=ReservationStatus.BOOKED, start_min=start, end_min=end, start_local=t0, end_local=t0,
                           movable=True)

    view = TimelineView(t0, t0, 0.0, (TimelineRow("T1", "1", "1–2", 1, 2, "main"),),
                        (bar("a", 0, 90), bar("b", 30, 120), bar("c", 95, 180), bar("d", 10, 60, ("T1",))))
    canvas = TimelineCanvas()
    qtbot.addWidget(canvas)
    canvas.set_view(view)
    assert [lane.name for lane in canvas.lanes] == ["No table", "", "1"]
    assert [[b.key for b in lane] for lane in canvas._bars_in] == [["a", "c"], ["b"], ["d"]]
    canvas.select("b")
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Down)  # from the second "no table" lane to table 1
    assert canvas.target == 2
    with qtbot.waitSignal(canvas.move_requested) as moved:
        qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert moved.args == ["b", "T1"]


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)], ids=["1440x900", "1280x800"])
def test_the_pacing_page_renders_at_host_stand_sizes(window, qtbot, night, pacing, tmp_path, size):
    night.clock.advance(timedelta(minutes=35))
    page = PacingPage(pacing, night.service)
    window.add_page("pacing", "Pacing", page)
    window.resize(*size)
    window.show_page("pacing")
    qtbot.wait(30)
    assert save_shot(window, tmp_path, f"pacing-now-{size[0]}x{size[1]}").stat().st_size > 10_000
    page.show_view(1)
    page.canvas.select(night.ids["smith"])
    qtbot.wait(30)
    assert save_shot(window, tmp_path, f"pacing-timeline-{size[0]}x{size[1]}").stat().st_size > 10_000


# ------------------------------------------------------------------------------------------ against the sandboxes


def test_an_alert_appears_when_the_service_driver_lets_a_table_linger(qtbot, tmp_path):
    """A party seated at 17:00 whose table the POS driver holds at mains: once the mains have been out 45
    minutes with no check, and once the party runs past its turn, the page says so in plain words."""
    from tests.integration.sync.conftest import make_night

    loop = asyncio.new_event_loop()
    n = make_night(tmp_path)
    try:
        core, sandbox, clock = n.core, n.sandbox, n.clock
        loop.run_until_complete(core.engine.puller.pull_all())
        party = n.seatable()
        table_name = party.table_label
        assert core.service.check_in(party.id).ok
        assert loop.run_until_complete(core.engine.replayer.drain(timeout=20))
        sandbox.driver_linger(table_name, "mains", None)  # the table stays at mains until released

        pacing = PacingQueries(core.store, layout=core.layout, settings=core.settings, clock=clock, bus=core.bus)
        page = PacingPage(pacing, core.service)
        qtbot.addWidget(page)
        page.resize(1440, 800)
        page.show()
        qtbot.waitExposed(page)

        def lingering_alerts():
            return [a for a in page.view.alerts if party.table_ids[0] in a.table_ids]

        seen: list[str] = []
        for _ in range(24):  # up to four hours in ten-minute steps, pulling as the app would
            clock.advance(timedelta(minutes=10))
            sandbox.driver_step(until=clock.now())
            loop.run_until_complete(core.engine.puller.pull_all())
            page.refresh_now()
            seen = [a.message for a in lingering_alerts()]
            kinds = {a.kind for a in lingering_alerts()}
            if AlertKind.NO_CHECK in kinds and AlertKind.OVER_TURN in kinds:
                break
        row = next(r for r in page.view.tables if r.table_id == party.table_ids[0])
        assert row.stage_label == "Mains out" and row.stage_minutes >= 45, row
        assert f"Table {table_name}: mains out {row.stage_minutes} min, no check yet" in seen
        assert any(m.startswith(f"Table {table_name}: ") and "over its expected turn" in m for m in seen)
        shown = [page.alert_model.index(i, 0).data() for i in range(page.alert_model.rowCount())]
        assert set(seen) <= set(shown)
        save_shot(page, tmp_path, "pacing-linger")
        pacing.close()
    finally:
        loop.run_until_complete(n.core.engine.booking.aclose())
        loop.run_until_complete(n.core.engine.pos.aclose())
        n.core.store.close()
        n.sandbox.stop()
        loop.close()
