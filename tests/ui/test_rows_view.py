"""RowsView: a table drawn a row at a time from its cells' pictures looks exactly as QTableView draws the same
cells through the same delegate (plain, selected, scrolled part-way, after a row changed), and the pacing and
waitlist tables use it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableView

from hoststand.ui.keyed_model import RIGHT, Col, KeyedRowsModel, TwoLineDelegate
from hoststand.ui.pacing_page import AlertDelegate, swatch
from hoststand.ui.rows_view import RowsView


@dataclass(frozen=True)
class Row:
    key: int
    name: str
    minutes: int
    late: bool = False


def columns() -> list[Col[Row]]:
    return [
        Col("Table", lambda r: str(r.key), bold=True, sub=lambda r: "2–4"),
        Col("Party", lambda r: r.name, sub=lambda r: f"since 18:{r.minutes:02d}",
            bg=lambda r: QColor("#FDF1E7") if r.late else None, icon=lambda r: swatch(QColor("#2563EB"))),
        Col("Over", lambda r: f"{r.minutes} min", align=RIGHT, fg=lambda r: QColor("#B42318") if r.late else None),
    ]


ROWS = [Row(n, f"Guest number {n}", n % 60, late=n % 4 == 0) for n in range(1, 30)]


def make(view_type, qtbot, rows=ROWS):
    view = view_type()
    model = KeyedRowsModel(columns(), lambda r: r.key, view)
    model.set_rows(rows)
    view.setModel(model)
    view.setItemDelegate(TwoLineDelegate(view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(46)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    for i, w in enumerate((70, 260, 90)):
        view.horizontalHeader().resizeSection(i, w)
    view.resize(460, 300)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view, model


def picture(view):
    return view.viewport().grab().toImage()


@pytest.fixture
def pair(qtbot):
    return make(RowsView, qtbot), make(QTableView, qtbot)


def test_rows_look_as_the_table_view_draws_them(pair):
    (rows_view, _), (table_view, _) = pair
    assert picture(rows_view) == picture(table_view)


def test_a_selected_row_looks_the_same(pair):
    for view, _ in pair:
        view.selectionModel().select(view.model().index(2, 0),
                                     QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    a, b = picture(pair[0][0]), picture(pair[1][0])
    assert a == b
    assert a.pixelColor(200, 2 * 46 + 20) == QColor("#E2ECFD")  # the selection's tint, under the text's left


def test_scrolled_part_way_looks_the_same(pair):
    for view, _ in pair:
        view.verticalScrollBar().setValue(123)  # the top row cut part-way
    assert picture(pair[0][0]) == picture(pair[1][0])


def test_a_changed_row_is_drawn_anew(pair, qtbot):
    (rows_view, model), (table_view, other) = pair
    before = picture(rows_view)
    changed = [replace(r, name="Renamed party", minutes=59, late=True) if r.key == 2 else r for r in ROWS]
    model.set_rows(changed)
    other.set_rows(changed)
    rows_view.viewport().repaint()
    after = picture(rows_view)
    assert after != before
    assert after == picture(table_view)


def test_fewer_rows_than_the_view_leaves_its_background(qtbot):
    (view, _), (plain, _) = make(RowsView, qtbot, ROWS[:2]), make(QTableView, qtbot, ROWS[:2])
    assert picture(view) == picture(plain)
    empty, blank = make(RowsView, qtbot, []), make(QTableView, qtbot, [])
    assert picture(empty[0]) == picture(blank[0])


def test_alert_rows_look_the_same(qtbot, night):
    from hoststand.ui.pacing_page import alert_columns, alert_key

    views = []
    alerts = _some_alerts(night)
    assert alerts, "the seeded night has no alert to draw"
    for kind in (RowsView, QTableView):
        view = kind()
        model = KeyedRowsModel(alert_columns(), alert_key, view)
        model.set_rows(alerts)
        view.setModel(model)
        view.setItemDelegate(AlertDelegate(view))
        view.setShowGrid(False)
        view.horizontalHeader().setStretchLastSection(True)
        view.verticalHeader().hide()
        view.resize(520, 200)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        views.append(view)
    assert picture(views[0]) == picture(views[1])


def _some_alerts(night):
    from datetime import timedelta

    from hoststand.services.pacing import PacingQueries

    pacing = PacingQueries(night.store, layout=night.layout, settings=night.service.settings, clock=night.clock, bus=night.bus)
    night.clock.advance(timedelta(hours=3))  # every seated party runs long
    try:
        return list(pacing.view(pacing.read()).alerts)
    finally:
        pacing.close()


def test_with_the_grid_shown_it_draws_as_the_table_view(pair):
    for view, _ in pair:
        view.setShowGrid(True)
    assert picture(pair[0][0]) == picture(pair[1][0])


def test_the_pacing_and_waitlist_tables_draw_rows(qtbot, window):
    window.show_page("pacing")
    page = window.page("pacing")
    assert isinstance(page.table_view, RowsView)
    assert isinstance(page.arrival_view, RowsView) and isinstance(page.alert_view, RowsView)
    window.show_page("waitlist")
    waitlist = window.page("waitlist")
    assert isinstance(waitlist.list, RowsView) and isinstance(waitlist.done_list, RowsView)


def test_keyed_rows_can_be_selected_and_have_no_children(qtbot):
    _, model = make(RowsView, qtbot)
    assert "flags" not in type(model).__dict__
    flags = model.flags(model.index(3, 1))
    assert flags & Qt.ItemFlag.ItemIsEnabled and flags & Qt.ItemFlag.ItemIsSelectable
    assert flags & Qt.ItemFlag.ItemNeverHasChildren and not flags & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(99, 0)) == Qt.ItemFlag.NoItemFlags
