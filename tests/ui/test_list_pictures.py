"""The reservation list keeps each cell's picture: what it shows is exactly what drawing every cell afresh shows
(plain, with a party selected and its Seat button, after a party changed), and a repaint of an unchanged list
draws nothing anew."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import QTimer

from hoststand.domain.model import ReservationStatus
from hoststand.ui.reservation_list import ReservationDelegate


def _picture(window):
    """The list as shown once every cell is drawn (a paint draws a few cells anew, the rest follow)."""
    view = window.reservation_list.view
    view.finish_drawing()
    assert not view.drawing_pending()
    return view.viewport().grab().toImage()


def _afresh(window):
    """The same list with every cell drawn anew (no kept pictures)."""
    delegate: ReservationDelegate = window.reservation_list.delegate
    delegate.keep_pictures = False
    try:
        return _picture(window)
    finally:
        delegate.keep_pictures = True


def test_kept_pictures_look_like_cells_drawn_afresh(window):
    kept = _picture(window)
    assert window.reservation_list.delegate._pictures, "the list kept no picture"
    assert _picture(window) == kept  # from the pictures
    assert kept == _afresh(window)


def test_a_selected_party_with_its_seat_button_looks_the_same(window, night):
    assert window.reservation_list.select_reservation(night.ids["smith"])
    kept = _picture(window)
    assert kept == _afresh(window)


def test_a_changed_party_is_drawn_anew(window, night):
    before = _picture(window)
    rows = window.reservation_list.model.rows()
    smith = next(r for r in rows if r.id == night.ids["smith"])
    window.reservation_list.set_rows([replace(r, status=ReservationStatus.ARRIVED) if r is smith else r for r in rows])
    after = _picture(window)
    assert after != before  # the status pill says so
    assert after == _afresh(window)


def test_an_unchanged_list_is_repainted_from_pictures(window):
    delegate = window.reservation_list.delegate
    _picture(window)
    drawn = []
    original = delegate._paint_cell
    delegate._paint_cell = lambda *a: (drawn.append(a), original(*a))
    try:
        _picture(window)
    finally:
        del delegate._paint_cell
    assert drawn == []


def test_cells_are_set_up_as_qt_sets_them_up(window, night):
    """The delegate fills each cell's style option from the row itself; it must be what Qt's own
    `initStyleOption` makes of the model's roles (text, font, alignment, colour), for every column."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    from hoststand.ui.reservation_model import ROW_ROLE, Column

    panel = window.reservation_list
    night.clock.advance(timedelta(minutes=40))  # some parties late (amber times), one seated for a while
    window.refresh_all()
    view, delegate, proxy = panel.view, panel.delegate, panel.proxy
    base = QStyleOptionViewItem()
    view.initViewItemOption(base)
    checked = set()
    for r in range(proxy.rowCount()):
        for col in Column:
            index = proxy.index(r, col)
            row = index.data(ROW_ROLE)
            qt, ours = QStyleOptionViewItem(base), QStyleOptionViewItem(base)
            QStyledItemDelegate.initStyleOption(delegate, qt, index)
            delegate._init_option(ours, index, row, col)
            assert ours.text == qt.text, (row.name, col)
            assert ours.font == qt.font and ours.displayAlignment == qt.displayAlignment, (row.name, col)
            assert ours.palette.color(QPalette.ColorRole.Text) == qt.palette.color(QPalette.ColorRole.Text), (row.name, col)
            assert ours.features == qt.features, (row.name, col)
            checked.add((row.status, col, qt.palette.color(QPalette.ColorRole.Text).name()))
    assert len({c for _, _, c in checked}) >= 3  # plain, muted and late colours were all compared


def test_a_big_change_fills_the_list_over_a_few_frames(window, qtbot):
    """Every visible party changed at once: the list takes the rows in one turn of the event loop and paints them
    in the next; a paint draws at most NEW_CELLS_PER_PAINT cells anew, the others keep their party's previous
    picture for a frame; the list is complete a few frames later."""
    from hoststand.ui import reservation_list as rl

    panel = window.reservation_list
    view, delegate = panel.view, panel.delegate
    before = _picture(window)
    paints: list[list] = []  # the cells drawn anew, paint by paint
    firsts: list = []  # the viewport right after its first paint of the new rows
    original_cell, original_paint = delegate._paint_cell, view.paintEvent

    def paint_event(event):  # noqa: ANN001
        paints.append([])
        original_paint(event)
        if len(paints) == 1:  # (once this paint is over, before the next: 8 ms later)
            QTimer.singleShot(0, lambda: firsts.append(view.viewport().grab().toImage()))

    delegate._paint_cell = lambda *a: ((paints[-1] if paints else []).append(a), original_cell(*a))
    view.paintEvent = paint_event
    try:
        rows = panel.model.rows()
        panel.set_rows([replace(r, pending=True) if r.status in (ReservationStatus.BOOKED, ReservationStatus.SEATED) else r
                        for r in rows])
        view.viewport().repaint()
        assert paints == []  # this turn took the rows; the list paints them in the next
        qtbot.waitUntil(lambda: len(paints) > 0 and not view.drawing_pending(), timeout=2000)
    finally:
        del delegate._paint_cell
        del view.paintEvent
    assert firsts[0] != before  # the first paint already shows new marks
    assert 0 < len(paints[0]) <= rl.NEW_CELLS_PER_PAINT
    assert all(len(cells) <= rl.NEW_CELLS_PER_PAINT for cells in paints)
    assert sum(len(cells) for cells in paints) > rl.NEW_CELLS_PER_PAINT
    assert _picture(window) == _afresh(window)


def test_the_first_rows_fill_an_empty_list_over_a_few_frames(qtbot, night):
    from PySide6.QtWidgets import QApplication

    from hoststand.ui.reservation_list import NEW_CELLS_PER_PAINT, ReservationListPanel

    panel = ReservationListPanel()
    qtbot.addWidget(panel)
    panel.resize(560, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_rows(night.service.reservations())
    QApplication.processEvents()  # the first paint of the rows
    assert panel.view.drawing_pending()
    assert len(panel.delegate._pictures) == NEW_CELLS_PER_PAINT
    qtbot.waitUntil(lambda: not panel.view.drawing_pending(), timeout=2000)
    panel.view.viewport().repaint()
    shown = panel.view.viewport().grab().toImage()
    panel.delegate.keep_pictures = False
    assert shown == panel.view.viewport().grab().toImage()


def test_a_scroll_draws_every_cell_at_once(window):
    """Filling over frames is for rows that just arrived: scrolling to parties not drawn yet shows them whole."""
    from hoststand.ui import reservation_list as rl

    view = window.reservation_list.view
    _picture(window)
    view._rows_changed_at -= rl.FILL_WINDOW_S + 1  # the rows arrived a while ago
    delegate = window.reservation_list.delegate
    delegate._pictures.clear()
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    view.viewport().repaint()
    assert not view.drawing_pending()
    assert len(delegate._pictures) > rl.NEW_CELLS_PER_PAINT
