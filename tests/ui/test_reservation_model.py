"""The reservation model and its proxy: Qt's model contract (qtmodeltester), in-place updates by id, search and
status filters."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from hoststand.domain.model import ReservationStatus
from hoststand.ui import marks
from hoststand.ui.reservation_model import (
    ID_ROLE,
    MARKS_ROLE,
    SORT_ROLE,
    Column,
    ReservationFilterProxy,
    ReservationTableModel,
    StatusFilter,
)

S = ReservationStatus


@pytest.fixture
def rows(night):
    return night.service.reservations()


@pytest.fixture
def model(rows):
    m = ReservationTableModel()
    m.set_rows(rows)
    return m


def _names(proxy) -> list[str]:
    return [proxy.index(r, Column.NAME).data() for r in range(proxy.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester, model, rows):
    qtmodeltester.check(model, force_py=True)
    # and through in-place updates: a change, a removal, an insertion
    changed = [replace(r, pending=True) if r.name == "Ann Smith" else r for r in rows[1:]]
    model.set_rows(changed)
    model.set_rows(rows)
    qtmodeltester.check(model, force_py=True)


def test_proxy_passes_qtmodeltester(qtmodeltester, model):
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_search_text("smi")
    proxy.set_status_filter(StatusFilter.UPCOMING)
    qtmodeltester.check(proxy, force_py=True)


def test_updates_in_place_keep_the_selection(qtbot, model, rows):
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    sel = QItemSelectionModel(proxy)
    smith = proxy.proxy_row_for_id(next(r.id for r in rows if r.name == "Ann Smith"))
    sel.select(proxy.index(smith, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    changed_rows = []
    model.dataChanged.connect(lambda a, b, roles=(): changed_rows.append((a.row(), b.row())))

    seated = [replace(r, status=S.SEATED, pending=True) if r.name == "Ann Smith" else r for r in rows]
    seated = [r for r in seated if r.name != "Sam Jones"]  # one removed
    model.set_rows(seated)

    assert resets == []
    assert len(changed_rows) == 1  # only Smith's row changed
    picked = [proxy.index(i.row(), Column.NAME).data() for i in sel.selectedRows()]
    assert picked == ["Ann Smith"]
    row = model.index_for_id(next(r.id for r in rows if r.name == "Ann Smith"), Column.NOTES)
    assert marks.PENDING in row.data(MARKS_ROLE)
    assert model.rowCount() == len(rows) - 1


def test_search_puts_the_best_match_first_and_forgives_typos(model):
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search_text("sm")
    assert _names(proxy)[0] == "Ann Smith"
    proxy.set_search_text("smi")
    assert _names(proxy) == ["Ann Smith", "Paul Smithers"]
    proxy.set_search_text("smtih")  # a typo
    assert "Ann Smith" in _names(proxy)
    proxy.set_search_text("0123")  # end of Smith's phone number
    assert _names(proxy) == ["Ann Smith"]
    proxy.set_search_text("lefev")  # no accent typed
    assert _names(proxy) == ["Claire Lefèvre"]
    proxy.set_search_text("")
    assert len(_names(proxy)) == model.rowCount()


def test_without_a_search_rows_run_in_time_order(model):
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    times = [proxy.index(r, Column.TIME).data() for r in range(proxy.rowCount())]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("status_filter", "expected"),
    [
        (StatusFilter.UPCOMING, {"Ann Smith", "Tom Brown", "Sam Jones", "Paul Smithers", "Marco Rossi", "Min-ji Kim", "Claire Lefèvre"}),
        (StatusFilter.ARRIVED, {"Wei Chen"}),
        (StatusFilter.SEATED, {"Maria Garcia", "Chidi Okafor", "Luc Dubois"}),
        (StatusFilter.DONE, {"Linh Nguyen"}),
        (StatusFilter.CANCELLED, {"Priya Patel"}),
    ],
)
def test_status_filter(model, status_filter, expected):
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_status_filter(status_filter)
    assert set(_names(proxy)) == expected


def test_rows_say_what_a_host_needs(model, rows):
    by_name = {r.name: r for r in rows}
    def cell(name, col, role=Qt.ItemDataRole.DisplayRole):
        return model.index_for_id(by_name[name].id, col).data(role)

    assert cell("Ann Smith", Column.TIME) == "19:45"
    assert cell("Ann Smith", Column.PARTY) == "4"
    assert cell("Ann Smith", Column.TABLE) == "12"
    assert cell("Ann Smith", Column.NOTES, MARKS_ROLE)[0] == marks.ALLERGY_SEVERE
    assert "no nuts pls, epipen" in cell("Ann Smith", Column.NOTES, Qt.ItemDataRole.ToolTipRole)
    assert cell("Marco Rossi", Column.STATUS) == "Late 22 min"
    assert cell("Chidi Okafor", Column.STATUS) == "Seated 25 min"
    assert marks.VIP in cell("Chidi Okafor", Column.NOTES, MARKS_ROLE)
    assert marks.OCCASION in cell("Wei Chen", Column.NOTES, MARKS_ROLE)
    assert cell("Sam Jones", Column.TABLE) == "—"
    assert cell("Tom Brown", Column.TABLE) == "10+11"
    assert cell("Ann Smith", Column.NAME, ID_ROLE) == by_name["Ann Smith"].id


def test_every_party_can_be_selected_and_has_no_children(model):
    """The flags are Qt's own (no Python override: the view asks for every cell's flags on every paint)."""
    assert "flags" not in type(model).__dict__
    proxy = ReservationFilterProxy()
    proxy.setSourceModel(model)
    for m in (model, proxy):
        for col in Column:
            flags = m.flags(m.index(0, col))
            assert flags & Qt.ItemFlag.ItemIsEnabled and flags & Qt.ItemFlag.ItemIsSelectable
            assert flags & Qt.ItemFlag.ItemNeverHasChildren
            assert not flags & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(-1, 0)) == Qt.ItemFlag.NoItemFlags


def test_the_first_rows_go_in_already_in_order(rows):
    """Into an empty model the rows are inserted in time order, so no re-sort follows (a layout change makes the
    proxy filter every row again: ~5 ms for a thousand parties, in the middle of the first pull)."""
    m = ReservationTableModel()
    layouts = []
    m.layoutChanged.connect(lambda *_: layouts.append(1))
    shuffled = list(reversed(rows))
    m.set_rows(shuffled)
    assert layouts == []
    times = [m.index(r, Column.TIME).data(SORT_ROLE) for r in range(m.rowCount())]
    assert times == sorted(times) and m.rowCount() == len(rows)
    m.set_rows(list(reversed(shuffled)))  # the same rows again: nothing to move
    assert layouts == []
