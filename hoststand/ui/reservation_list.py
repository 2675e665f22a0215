"""The reservation list panel: a big search field, the status filter as segmented buttons, and the list.

Typing anywhere in the window goes to the search field (the window forwards printable keys); the best
match is selected as you type, so "smi" + Enter seats Smith. Enter checks in the selected party,
Shift+Enter marks it arrived (waiting); each open row also carries a "Seat" button for touch.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QFontMetricsF, QKeyEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScroller,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hoststand.domain.model import ReservationStatus
from hoststand.services.views import ReservationRow
from hoststand.ui import marks, theme
from hoststand.ui.pictures import draw_picture
from hoststand.ui.reservation_model import (
    ROW_ROLE,
    Column,
    ReservationFilterProxy,
    ReservationTableModel,
    StatusFilter,
    cell_alignment,
    cell_font,
    cell_foreground,
    cell_text,
    row_marks,
    status_text,
)

S = ReservationStatus
ROW_HEIGHT = 56
SEAT_BUTTON = QSize(58, 36)
NEW_CELLS_PER_PAINT = 12  # two rows: ~5 ms of drawing, ~10 ms on a machine busy with a pull
NEXT_CELLS_MS = 8  # the next cells a turn of the loop later, after the frame is shown
FILL_WINDOW_S = 1.0  # how long after new rows arrive the list fills over frames
RESUME_PAINT_MS = 1  # new rows are painted a turn after they are taken (a zero delay would paint in the same turn)
_OPEN = (S.BOOKED, S.ARRIVED)


def is_typing_key(event: QKeyEvent) -> bool:
    """A key that types a visible character (no Ctrl/Alt/Meta): it belongs in the search field."""
    mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
    text = event.text()
    return bool(text) and mods == Qt.KeyboardModifier.NoModifier and text.isprintable() and not text.isspace()


class ReservationDelegate(QStyledItemDelegate):
    """Paints the status as a pill and the notes as marks plus, for open parties, a Seat button.

    Each cell's picture is kept (by party, column, size and state, with the row object it shows: an unchanged
    row is the very same object from one refresh to the next), so the list repaints a refresh, a scroll back or a
    hover from pictures and draws only the cells of rows that changed. A cell drawn through the style sheet costs 0.2-0.5 ms; the
    list shows some 70 of them and is repainted several times while a pull lands.

    Just after new rows arrive, a paint draws at most `budget` cells anew (the view sets it:
    `ReservationTableView.paintEvent`); the others show their party's previous picture, or stay blank, for one
    more frame (`deferred`), so a thousand parties landing at once fill the list over a few frames instead of
    holding the screen for one long one. Scrolling and hovering draw every cell at once."""

    seat_clicked = Signal(QModelIndex)
    CACHE = 400  # cells: about six screens of the list

    def __init__(self, parent: QObject | None = None, *, keep_pictures: bool = True) -> None:
        super().__init__(parent)
        self.keep_pictures = keep_pictures
        self.budget: int | None = None  # cells this paint may still draw anew (None: all)
        self.deferred = False  # this paint left a cell to the next
        # by party id and look: (the row drawn, its picture); a picture of an older row is the party's previous one
        self._pictures: OrderedDict[tuple, tuple[ReservationRow, QPixmap]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(s.width(), ROW_HEIGHT)

    @staticmethod
    def seat_rect(cell: QRect) -> QRect:
        return QRect(
            cell.right() - SEAT_BUTTON.width() - 8,
            cell.center().y() - SEAT_BUTTON.height() // 2,
            SEAT_BUTTON.width(),
            SEAT_BUTTON.height(),
        )

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: ReservationRow | None = index.data(ROW_ROLE)
        if row is None or not self.keep_pictures:
            self._paint_cell(p, option, index, row)
            return
        r = option.rect
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        key = (row.id, index.column(), r.width(), r.height(), option.state.value, option.palette.cacheKey(), dpr)
        kept = self._pictures.get(key)
        if kept is not None:
            self._pictures.move_to_end(key)
        if kept is not None and kept[0] is row:
            p.drawPixmap(r.topLeft(), kept[1])
            return
        ground = option.palette.color(QPalette.ColorRole.Base)
        if self.budget is not None:
            if self.budget <= 0:  # the party's previous picture (or the ground) for one more frame
                self.deferred = True
                if kept is not None:
                    p.drawPixmap(r.topLeft(), kept[1])
                else:
                    p.fillRect(r, ground)
                return
            self.budget -= 1

        def draw(painter: QPainter, rect: QRect) -> None:
            opt = QStyleOptionViewItem(option)
            opt.rect = rect
            self._paint_cell(painter, opt, index, row)

        pm = draw_picture(r.width(), r.height(), dpr, ground, draw)
        self._pictures[key] = (row, pm)
        if len(self._pictures) > self.CACHE:
            self._pictures.popitem(last=False)
        p.drawPixmap(r.topLeft(), pm)

    def _paint_cell(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex,
                    row: ReservationRow | None) -> None:
        if row is None:
            super().paint(p, option, index)
            return
        col = Column(index.column())
        opt = QStyleOptionViewItem(option)
        self._init_option(opt, index, row, col)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        if col not in (Column.STATUS, Column.NOTES):
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, p, widget)  # as QStyledItemDelegate.paint
            return
        opt.text = ""
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, p, widget)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if col == Column.STATUS:
            self._paint_status(p, opt.rect, row)
        else:
            selected = bool(opt.state & QStyle.StateFlag.State_Selected)
            self._paint_notes(p, opt.rect, row, row_marks(row), selected)
        p.restore()

    @staticmethod
    def _init_option(opt: QStyleOptionViewItem, index: QModelIndex, row: ReservationRow, col: Column) -> None:
        """What `initStyleOption` fills in, from the row itself: Qt's asks the model for seven roles one by one,
        each through the filter proxy into Python (40% of drawing a cell)."""
        opt.index = index
        font = cell_font(col)
        if font is not None:
            opt.font = font.resolve(opt.font)
            opt.fontMetrics = QFontMetrics(opt.font)
        opt.displayAlignment = Qt.AlignmentFlag(cell_alignment(col))
        fg = cell_foreground(row, col)
        if fg is not None:
            palette = QPalette(opt.palette)
            palette.setBrush(QPalette.ColorRole.Text, QBrush(fg))
            opt.palette = palette
        opt.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
        opt.text = cell_text(row, col).replace("\n", "\u2028")
        opt.styleObject = None

    def _paint_status(self, p: QPainter, cell: QRect, row: ReservationRow) -> None:
        bg, fg = theme.STATUS_PILLS[row.status]
        if row.status is S.BOOKED and row.minutes_late > 0:
            bg, fg = theme.LATE_PILL
        text = status_text(row)
        f = theme.font(12, bold=True)
        fm = QFontMetricsF(f)
        w = min(cell.width() - 8, fm.horizontalAdvance(text) + 18)
        r = QRectF(cell.left() + 4, cell.center().y() - 12, w, 24)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRoundedRect(r, 12, 12)
        p.setFont(f)
        p.setPen(fg)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, fm.elidedText(text, Qt.TextElideMode.ElideRight, r.width() - 10))

    def _paint_notes(self, p: QPainter, cell: QRect, row: ReservationRow, kinds: tuple[str, ...], selected: bool) -> None:
        seat = selected and row.status in _OPEN  # the selected row carries its action button, for touch
        button = QRectF(self.seat_rect(cell))
        x = cell.left() + 4
        size = 22
        for kind in kinds:
            if seat and x + size > button.left() - 4 and kind not in (marks.ALLERGY, marks.ALLERGY_SEVERE):
                break  # the details panel shows every mark of the selected party; an allergy always shows
            marks.paint_mark(p, kind, QRectF(x, cell.center().y() - size / 2, size, size))
            x += size + 4
        if seat:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.PRIMARY)
            p.drawRoundedRect(button, 8, 8)
            p.setPen(QPen(QColor("white")))
            p.setFont(theme.font(13, bold=True))
            p.drawText(button, Qt.AlignmentFlag.AlignCenter, "Seat")

    def editorEvent(self, event, model, option, index) -> bool:  # noqa: ANN001
        if (
            index.column() == Column.NOTES
            and event.type() == QEvent.Type.MouseButtonRelease
            and event.button() == Qt.MouseButton.LeftButton
        ):
            row: ReservationRow | None = index.data(ROW_ROLE)
            view = self.parent()
            armed = getattr(view, "armed_id", None)  # the button shows on the selected row only
            hit = self.seat_rect(option.rect).contains(event.position().toPoint())
            if row is not None and armed == row.id and row.status in _OPEN and hit:
                self.seat_clicked.emit(QModelIndex(index))
                return True
        return super().editorEvent(event, model, option, index)


class ReservationTableView(QTableView):
    """The list itself: big rows; Enter checks in, Shift+Enter marks arrived; typing goes to the search."""

    activate = Signal(bool)  # shift held: mark arrived instead of seating
    typed = Signal(str)
    erase = Signal()
    escape = Signal()

    armed_id: str | None = None  # the row pressed, if it was already selected (its Seat button was showing)

    _rows_changed_at = float("-inf")

    def rows_changed(self) -> None:
        """New rows are arriving (`ReservationListPanel.set_rows`, before the model takes them): the list paints
        them a turn of the event loop later, so taking a pull's thousand rows and drawing them are two short
        turns rather than one long one (a touch or a key in between is answered); then the next paints fill
        the list over frames."""
        self._rows_changed_at = time.monotonic()
        viewport = self.viewport()
        if viewport.updatesEnabled():
            viewport.setUpdatesEnabled(False)
            QTimer.singleShot(RESUME_PAINT_MS, viewport, self._resume_painting)

    def _resume_painting(self) -> None:
        self.viewport().setUpdatesEnabled(True)  # (and asks for a paint of the whole list)

    def paintEvent(self, event) -> None:  # noqa: ANN001
        """Just after new rows arrived: at most NEW_CELLS_PER_PAINT cells drawn anew per paint, the rest a frame
        later. Otherwise (a scroll, a hover) every cell at once."""
        delegate = self.itemDelegate()
        if not isinstance(delegate, ReservationDelegate) or time.monotonic() - self._rows_changed_at > FILL_WINDOW_S:
            super().paintEvent(event)
            return
        delegate.budget, delegate.deferred = NEW_CELLS_PER_PAINT, False
        try:
            super().paintEvent(event)
        finally:
            delegate.budget = None
        if delegate.deferred:
            QTimer.singleShot(NEXT_CELLS_MS, self.viewport(), self.viewport().update)

    def drawing_pending(self) -> bool:
        """Whether the last paint left cells to the next (see `ReservationDelegate`)."""
        delegate = self.itemDelegate()
        return isinstance(delegate, ReservationDelegate) and delegate.deferred

    def finish_drawing(self) -> None:
        """Draw every visible cell now (before a screenshot)."""
        if not self.viewport().updatesEnabled():
            self._resume_painting()
        for _ in range(64):
            self.viewport().repaint()
            if not self.drawing_pending():
                return

    def mousePressEvent(self, event) -> None:  # noqa: ANN001
        index = self.indexAt(event.position().toPoint())
        row: ReservationRow | None = index.data(ROW_ROLE) if index.isValid() else None
        sm = self.selectionModel()
        self.armed_id = row.id if row is not None and sm.isRowSelected(index.row(), QModelIndex()) else None
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate.emit(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            event.accept()
        elif key == Qt.Key.Key_Escape:
            self.escape.emit()
            event.accept()
        elif key == Qt.Key.Key_Backspace:
            self.erase.emit()
            event.accept()
        elif is_typing_key(event):
            self.typed.emit(event.text())
            event.accept()
        else:
            super().keyPressEvent(event)


class SearchField(QLineEdit):
    """The search box: arrows move through the list, Enter acts on the selected party, Esc clears."""

    move = Signal(int)
    activate = Signal(bool)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Down:
            self.move.emit(1)
        elif key == Qt.Key.Key_Up:
            self.move.emit(-1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate.emit(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        elif key == Qt.Key.Key_Escape and self.text():
            self.clear()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class ReservationListPanel(QWidget):
    """Search, status filter and tonight's list. Emits what the host asks for; the window runs commands."""

    check_in_requested = Signal(str)  # reservation id
    arrived_requested = Signal(str)
    reservation_selected = Signal(object)  # reservation id, or None when nothing is selected

    FILTERS = (
        StatusFilter.ALL,
        StatusFilter.UPCOMING,
        StatusFilter.ARRIVED,
        StatusFilter.SEATED,
        StatusFilter.DONE,
        StatusFilter.CANCELLED,
    )
    _SHORT = {StatusFilter.CANCELLED: "Cancelled"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reservationPanel")
        self._opened_at_now = False  # the list has been brought to the evening's first open party once
        self.model = ReservationTableModel(self)
        self.proxy = ReservationFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        col = QVBoxLayout(self)
        col.setContentsMargins(16, 14, 12, 10)
        col.setSpacing(10)

        self.search = SearchField()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText("Find a party — name or phone   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find a party")
        self.search.setMinimumHeight(48)
        col.addWidget(self.search)

        seg = QHBoxLayout()
        seg.setSpacing(0)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[StatusFilter, QPushButton] = {}
        for i, f in enumerate(self.FILTERS):
            b = QPushButton(self._SHORT.get(f, f.label))
            b.setCheckable(True)
            b.setObjectName("segment")
            b.setProperty("pos", "first" if i == 0 else "last" if i == len(self.FILTERS) - 1 else "middle")
            b.setToolTip(f.label)
            b.setMinimumHeight(44)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.filter_group.addButton(b, i)
            self.filter_buttons[f] = b
            seg.addWidget(b, 1)
        self.filter_buttons[StatusFilter.ALL].setChecked(True)
        col.addLayout(seg)

        self.view = ReservationTableView()
        self.view.setObjectName("reservationTable")
        self.view.setModel(self.proxy)
        self.delegate = ReservationDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(Column.TIME, Qt.SortOrder.AscendingOrder)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        hh = self.view.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        hh.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        hh.setMinimumSectionSize(36)
        for c, w in ((Column.TIME, 64), (Column.PARTY, 50), (Column.STATUS, 118), (Column.TABLE, 66), (Column.NOTES, 108)):
            hh.resizeSection(c, w)
        QScroller.grabGesture(self.view.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        col.addWidget(self.view, 1)

        self.empty = QLabel("", self.view.viewport())
        self.empty.setObjectName("listEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()

        self.search.textChanged.connect(self._search_changed)
        self.search.move.connect(self._move_selection)
        self.search.activate.connect(self._activate)
        self.view.activate.connect(self._activate)
        self.view.typed.connect(self.type_into_search)
        self.view.erase.connect(self._erase)
        self.view.escape.connect(self.clear_search)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.delegate.seat_clicked.connect(self._seat_clicked)
        self.filter_group.idClicked.connect(lambda i: self.set_status_filter(self.FILTERS[i]))
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.proxy.rowsInserted.connect(self._update_empty)
        self.proxy.rowsRemoved.connect(self._update_empty)
        self.proxy.layoutChanged.connect(self._update_empty)
        self.proxy.modelReset.connect(self._update_empty)

    # -------------------------------------------------------------------------------- data

    def set_rows(self, rows: list[ReservationRow]) -> None:
        """Refresh the list in place: the selection stays on the same party."""
        self.view.rows_changed()
        self.model.set_rows(rows)
        if rows and not self._opened_at_now:
            QTimer.singleShot(0, self.scroll_to_now)  # after the view has laid the new rows out
        self._update_counts()
        self._update_empty()
        # A selection that changed under the cursor (the row's status) should still tell the window.
        rid = self.selected_id()
        if rid is not None and self.proxy.proxy_row_for_id(rid) < 0:
            self.reservation_selected.emit(None)

    def scroll_to_now(self) -> None:
        """Once, when tonight's list first arrives: bring the evening's first party still expected or in the
        room to the top; the finished early seating stays above, a scroll away."""
        if self._opened_at_now or self.search.text() or self.selected_id() is not None:
            return
        # the model keeps its rows in order and the proxy only filters (no search here): the first open row the
        # proxy shows, found among the rows themselves rather than through a model index per row
        for source_row, r in enumerate(self.model.rows()):
            if not r.status.is_open:
                continue
            index = self.proxy.mapFromSource(self.model.index(source_row, 0))
            if not index.isValid():
                continue
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
            # done once it took (the view may not have laid the rows out yet: the next refresh retries)
            self._opened_at_now = index.row() == 0 or self.view.verticalScrollBar().value() > 0
            return

    def _update_counts(self) -> None:
        by_status = Counter(r.status for r in self.model.rows())  # one pass over a night of a thousand rows
        for f, b in self.filter_buttons.items():
            n = sum(count for status, count in by_status.items() if f.accepts(status))
            b.setText(f"{self._SHORT.get(f, f.label)}  {n}")

    def _update_empty(self) -> None:
        empty = self.proxy.rowCount() == 0
        if empty:
            q = self.proxy.search_text()
            if q:
                self.empty.setText(f"No party matches “{q}”.\nEsc clears the search.")
            elif self.model.rowCount() == 0:
                self.empty.setText("No reservations for tonight yet.")
            else:
                self.empty.setText(f"No {self.proxy.status_filter().label.lower()} parties.")
            vp = self.view.viewport()
            self.empty.setGeometry(0, 0, vp.width(), min(vp.height(), 160))
        self.empty.setVisible(empty)

    # ---------------------------------------------------------------------------- selection

    def selected_id(self) -> str | None:
        idx = self.view.selectionModel().currentIndex()
        if not idx.isValid() or not self.view.selectionModel().isRowSelected(idx.row(), QModelIndex()):
            return None
        row: ReservationRow | None = idx.data(ROW_ROLE)
        return row.id if row else None

    def selected_row(self) -> ReservationRow | None:
        rid = self.selected_id()
        return self.model.get(rid) if rid else None

    def select_reservation(self, reservation_id: str | None) -> bool:
        """Select the party's row (clearing the filter if it hides it). False when it is not in the list."""
        sm = self.view.selectionModel()
        if reservation_id is None:
            sm.clearSelection()
            sm.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
            return False
        row = self.proxy.proxy_row_for_id(reservation_id)
        if row < 0 and self.model.row_for_id(reservation_id) >= 0:
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.proxy.set_search_text("")
            self.set_status_filter(StatusFilter.ALL)
            row = self.proxy.proxy_row_for_id(reservation_id)
        if row < 0:
            return False
        self._select_proxy_row(row)
        return True

    def _select_proxy_row(self, row: int) -> None:
        idx = self.proxy.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().setCurrentIndex(idx, flags)
        self.view.scrollTo(idx)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row: ReservationRow | None = current.data(ROW_ROLE) if current.isValid() else None
        self.reservation_selected.emit(row.id if row else None)

    def _move_selection(self, step: int) -> None:
        n = self.proxy.rowCount()
        if n == 0:
            return
        cur = self.view.selectionModel().currentIndex()
        row = cur.row() + step if cur.isValid() else 0
        self._select_proxy_row(max(0, min(n - 1, row)))

    # ------------------------------------------------------------------------------- search

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def type_into_search(self, text: str) -> None:
        """Start (or continue) a search with `text`, as if typed into the field."""
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search.insert(text)

    def _erase(self) -> None:
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search.backspace()

    def clear_search(self) -> None:
        self.search.clear()

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search_text(text)
        if text.strip() and self.proxy.rowCount() > 0:
            self._select_proxy_row(0)
        self._update_empty()

    def set_status_filter(self, value: StatusFilter) -> None:
        self.proxy.set_status_filter(value)
        b = self.filter_buttons[StatusFilter(value)]
        if not b.isChecked():
            b.setChecked(True)
        self._update_empty()

    # ------------------------------------------------------------------------------ actions

    def _activate(self, arrived: bool) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        (self.arrived_requested if arrived else self.check_in_requested).emit(rid)

    def _double_clicked(self, index: QModelIndex) -> None:
        row: ReservationRow | None = index.data(ROW_ROLE)
        if row is not None and row.status in _OPEN:
            self.check_in_requested.emit(row.id)

    def _seat_clicked(self, index: QModelIndex) -> None:
        row: ReservationRow | None = index.data(ROW_ROLE)
        if row is not None:
            self._select_proxy_row(index.row())
            self.check_in_requested.emit(row.id)

    def _context_menu(self, pos) -> None:  # noqa: ANN001
        index = self.view.indexAt(pos)
        row: ReservationRow | None = index.data(ROW_ROLE) if index.isValid() else None
        if row is None:
            return
        self._select_proxy_row(index.row())
        menu = QMenu(self)
        seat = menu.addAction("Check in && seat")
        seat.setEnabled(row.status in _OPEN)
        here = menu.addAction("Arrived – waiting")
        here.setEnabled(row.status is S.BOOKED)
        chosen = menu.exec(self.view.viewport().mapToGlobal(pos))
        if chosen is seat:
            self.check_in_requested.emit(row.id)
        elif chosen is here:
            self.arrived_requested.emit(row.id)

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        self._update_empty()
