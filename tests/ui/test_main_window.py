"""What a host does on a Friday night, through the main window: find, check in, pick a table, undo; and the
window follows changes made elsewhere."""

from __future__ import annotations

import threading
from datetime import timedelta

from PySide6.QtCore import Qt

from hoststand.domain.events import Change
from hoststand.domain.model import Reservation, ReservationStatus, TableState
from hoststand.store import repos
from hoststand.ui.reservation_model import MARKS_ROLE, Column
from hoststand.ui import marks
from tests.ui.conftest import TONIGHT, at

S = ReservationStatus


def _list_names(window) -> list[str]:
    proxy = window.reservation_list.proxy
    return [proxy.index(r, Column.NAME).data() for r in range(proxy.rowCount())]


def _type(qtbot, widget, text):
    for ch in text:
        qtbot.keyClick(widget, ch)


def test_typing_anywhere_finds_smith_in_three_keystrokes(window, qtbot):
    window.floor_view.setFocus()
    _type(qtbot, window.floor_view, "smi")  # typed on the floor plan: goes to the search field
    assert window.reservation_list.search.text() == "smi"
    assert _list_names(window)[0] == "Ann Smith"
    assert window.reservation_list.selected_row().name == "Ann Smith"
    assert window.details.party.name == "Ann Smith"


def test_enter_on_smith_seats_them_and_everything_follows(window, qtbot, night):
    list_view = window.reservation_list.view
    list_view.setFocus()
    _type(qtbot, list_view, "smi")
    qtbot.keyClick(window.reservation_list.search, Qt.Key.Key_Return)

    assert night.reservation("smith").status is S.SEATED
    t12 = window.floor_view.table_item("T12")
    assert t12.view.state is TableState.SEATED
    assert t12.view.party_name == "Ann Smith"
    assert t12.view.has_allergy
    # the details panel says the allergy in full, in capitals, with the guest's words verbatim
    block = window.details.allergy
    assert block.isVisible()
    text = block.text()
    assert "PEANUT" in text and "TREE\u00a0NUT" in text and "SEVERE" in text
    assert "“no nuts pls, epipen”" in text
    assert window.details.party.status is S.SEATED
    assert "Ticket at 12 waiting for the POS" in window.details.field_text("pending")
    # the row shows the action is on its way to the vendors
    row = window.reservation_list.model.index_for_id(night.ids["smith"], Column.NOTES)
    assert marks.PENDING in row.data(MARKS_ROLE)
    assert "seated at 12" in window.messages.text()
    assert not window.messages.is_error()
    assert window.details.undo_button.isEnabled()
    assert window.header.queued.isVisible()


def test_a_party_without_a_table_gets_the_picker_and_is_seated_at_the_choice(window, qtbot, night):
    assert window.select_reservation(night.ids["jones"])
    qtbot.mouseClick(window.details.check_in_button, Qt.MouseButton.LeftButton)
    picker = window.picker
    assert picker is not None and picker.isVisible()
    assert picker.buttons, "the picker offers free tables"
    assert "Choose a table" in picker.message.text()
    label = picker.buttons[0].text()
    table_ids = picker.suggestions[0].table_ids
    assert " · " in label  # "15 · 4-top, free until …"
    qtbot.mouseClick(picker.buttons[0], Qt.MouseButton.LeftButton)

    jones = night.reservation("jones")
    assert jones.status is S.SEATED
    assert jones.table_ids == table_ids
    assert window.floor_view.table_item(table_ids[0]).view.party_name == "Sam Jones"
    qtbot.waitUntil(lambda: window.picker is None, timeout=1000)


def test_the_picker_works_from_the_keyboard(window, qtbot, night):
    window.select_reservation(night.ids["jones"])
    window.check_in(night.ids["jones"])
    picker = window.picker
    assert picker.buttons[0].hasFocus() or picker.focusWidget() is picker.buttons[0]
    qtbot.keyClick(picker.focusWidget(), Qt.Key.Key_Down)
    second = picker._order[1]
    assert picker.focusWidget() is second
    qtbot.keyClick(second, Qt.Key.Key_Up)
    assert picker.focusWidget() is picker._order[0]
    qtbot.keyClick(picker.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.picker is None, timeout=1000)
    assert night.reservation("jones").status is S.BOOKED

    window.check_in(night.ids["jones"])
    picker = window.picker
    qtbot.keyClick(picker.focusWidget(), Qt.Key.Key_Return)
    assert night.reservation("jones").status is S.SEATED


def test_the_picker_can_mark_the_party_arrived_instead(window, qtbot, night):
    window.check_in(night.ids["jones"])
    qtbot.mouseClick(window.picker.wait_button, Qt.MouseButton.LeftButton)
    assert night.reservation("jones").status is S.ARRIVED


def test_undo_reverts_the_check_in(window, qtbot, night):
    window.check_in(night.ids["smith"])
    assert night.reservation("smith").status is S.SEATED
    assert "Smith" in window.details.undo_button.text() or "Smith" in window.details.undo_button.toolTip()
    window.reservation_list.view.setFocus()
    qtbot.keyClick(window.reservation_list.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert night.reservation("smith").status is S.BOOKED
    assert window.floor_view.table_item("T12").view.state is TableState.HELD
    assert window.messages.text().startswith("Undone")


def test_ctrl_z_in_the_search_field_undoes_the_check_in_not_the_typing(window, qtbot, night):
    search = window.reservation_list.search
    search.setFocus()
    _type(qtbot, search, "smi")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert night.reservation("smith").status is S.SEATED
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert night.reservation("smith").status is S.BOOKED


def test_shift_enter_marks_arrived(window, qtbot, night):
    view = window.reservation_list.view
    view.setFocus()
    _type(qtbot, view, "kim")
    qtbot.keyClick(window.reservation_list.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert night.reservation("kim").status is S.ARRIVED
    row = window.reservation_list.selected_row()
    assert row.name == "Min-ji Kim" and row.status is S.ARRIVED


def test_a_refused_command_is_a_plain_message_not_a_traceback(window, qtbot, night):
    result = window.check_in(night.ids["patel"])  # cancelled
    assert result is not None and not result.ok
    assert window.messages.is_error()
    assert "cancelled" in window.messages.text()
    assert night.reservation("patel").status is S.CANCELLED


def test_a_failing_service_is_reported_in_words(window, qtbot, night, monkeypatch, caplog):
    def broken(*a, **kw):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(night.service, "check_in", broken)
    assert window.check_in(night.ids["smith"]) is None
    assert window.messages.is_error()
    assert "Could not check in" in window.messages.text()
    assert "Traceback" not in window.messages.text()


def test_a_change_from_another_thread_refreshes_the_list(window, qtbot, night):
    assert "Grace Hopper" not in _list_names(window)

    def sync_writes():
        with night.store.write() as s:
            repos.save_reservation(
                s,
                Reservation(id="r-hopper", source="opentable", external_id="ot-hopper", party_size=2,
                            start=at(21, 30), guest_name="Grace Hopper", table_ids=("T20",)),
                service_date=TONIGHT,
            )
        night.bus.publish(Change.of("reservations", reservation_ids=["r-hopper"]))

    t = threading.Thread(target=sync_writes)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: "Grace Hopper" in _list_names(window), timeout=2000)


def test_the_selection_survives_refreshes(window, qtbot, night):
    window.select_reservation(night.ids["kim"])
    night.clock.advance(timedelta(minutes=3))
    window.refresh_all()
    night.bus.publish(Change.of("reservations", "tables"))
    qtbot.wait(80)
    assert window.reservation_list.selected_row().name == "Min-ji Kim"
    assert window.details.party.name == "Min-ji Kim"


def test_tapping_a_table_shows_its_party_and_double_tap_seats_the_held_party(window, qtbot, night):
    fv = window.floor_view
    item = fv.table_item("T14")  # held for Chen, who is waiting
    pos = fv.mapFromScene(item.scenePos())
    qtbot.mouseClick(fv.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert fv.selected_table_id() == "T14"
    assert window.details.party.name == "Wei Chen"
    assert window.reservation_list.selected_row().name == "Wei Chen"
    qtbot.mouseDClick(fv.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert night.reservation("chen").status is S.SEATED
    assert fv.table_item("T14").view.state is TableState.SEATED


def test_a_free_table_shows_its_seats_and_who_comes_next(window, qtbot):
    window.select_table("T13")
    assert window.details.party is not None  # Smithers is booked on 13 later tonight
    window.select_table("T17")
    assert window.details.party is None
    assert window.details.name.text() == "Table 17"
    assert not window.details.check_in_button.isEnabled()


def test_escape_clears_the_search_and_ctrl_f_focuses_it(window, qtbot):
    window.reservation_list.type_into_search("zzz")
    assert window.reservation_list.proxy.rowCount() == 0
    assert window.reservation_list.empty.isVisible()
    qtbot.keyClick(window.reservation_list.view, Qt.Key.Key_Escape)
    assert window.reservation_list.search.text() == ""
    window.floor_view.setFocus()
    qtbot.keyClick(window.floor_view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.reservation_list.search.hasFocus()


def test_f5_asks_for_fresh_data(window, qtbot, night, monkeypatch):
    calls = []
    monkeypatch.setattr(night.service, "refresh_now", lambda: calls.append(1))
    window.floor_view.setFocus()
    qtbot.keyClick(window.floor_view, Qt.Key.Key_F5)
    assert calls == [1]


def test_first_paint_is_emitted_once(qtbot, night):
    from hoststand.ui.main_window import MainWindow

    w = MainWindow(night.service)
    qtbot.addWidget(w)
    seen = []
    w.first_paint.connect(lambda: seen.append(1))
    with qtbot.waitSignal(w.first_paint, timeout=3000):
        w.show()
    w.floor_view.viewport().repaint()
    assert seen == [1]


def test_extra_menus_are_offered(qtbot, night):
    from PySide6.QtWidgets import QMenu

    from hoststand.ui.main_window import MainWindow

    demo = QMenu("Demo")
    demo.addAction("Take Toast down")
    w = MainWindow(night.service, title="The Corner Bistro — demo", extra_menus=[demo])
    qtbot.addWidget(w)
    assert w.windowTitle() == "The Corner Bistro — demo"
    assert demo.menuAction() in w.menu.actions()
