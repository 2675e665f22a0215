"""The manager's pacing page: which tables are lingering, which course each is on, when each frees up, and
whether the room can take the parties that are coming.

Two views under a summary strip (covers in the room, tables, over turn, kitchen, where turn times come from):
- **Now**: every table with its party, how long seated, course and time in it, expected turn and its source,
  predicted free-at and minutes over (in colour); alerts in plain words; the next hour's arrivals against the
  tables predicted free; kitchen load ("seating a 4 now puts 18 covers in the next fire window"); covers per
  15-minute slot (booked, seated, rung in).
- **Timeline**: tables by time with each reservation as a bar. Dragging a bar to another table (or Up/Down and
  Enter on a selected bar) asks for a confirmation; confirming moves the party through `HostService.move`,
  the normal write path, and offers Undo.

`refresh()` reads the view (`PacingQueries.view()`) and applies it; a one-minute tick keeps the timers moving
while the page is shown. Nothing here calls a vendor.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPalette, QPen, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from hoststand.domain.alerts import Severity
from hoststand.domain.model import CourseStage, TableState
from hoststand.services.pacing import AlertView, ArrivalView, PacingView, TablePaceRow, hhmm
from hoststand.services.views import CommandResult
from hoststand.ui import theme
from hoststand.ui.cover_chart import CoverChart
from hoststand.ui.keyed_model import RIGHT, ROW_ROLE, Col, KeyedRowsModel, TwoLineDelegate
from hoststand.ui.rows_view import RowsView
from hoststand.ui.page_loader import PageLoader
from hoststand.ui.pages import Page
from hoststand.ui.timeline import ROW_H, UNASSIGNED, TimelineCanvas, TimelineHeader
from hoststand.ui.pictures import draw_picture

log = logging.getLogger(__name__)

TICK_MS = 30_000
PARTY_SIZES = (2, 4, 6, 8)

SEVERITY_COLORS: dict[Severity, QColor] = {
    Severity.URGENT: theme.WARNING,
    Severity.WARNING: theme.LATE,
    Severity.NOTICE: theme.PENDING,
}
SEVERITY_WORDS = {Severity.URGENT: "Urgent", Severity.WARNING: "Warning", Severity.NOTICE: "Notice"}
OVER_TINT = QColor("#FDECEA")
SOON_TINT = QColor("#E6F4EA")
SELECTED = QColor("#E2ECFD")  # a selected row of the tables
_STAGE_STATE = {
    None: TableState.SEATED,
    CourseStage.OPENED: TableState.SEATED,
    CourseStage.ORDERED: TableState.ORDERED,
    CourseStage.MAINS: TableState.MAINS,
    CourseStage.DESSERT: TableState.DESSERT,
    CourseStage.CHECK_DROPPED: TableState.CHECK_DROPPED,
    CourseStage.PAID: TableState.PAID,
}
_swatches: dict[str, QPixmap] = {}


def swatch(color: QColor, size: int = 12) -> QPixmap:
    """A small rounded square of `color` (cached), for the course column."""
    key = f"{color.name()}:{size}"
    pm = _swatches.get(key)
    if pm is None:
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(0, 0, size, size, 3, 3)
        p.end()
        _swatches[key] = pm
    return pm


# --------------------------------------------------------------------------------------- table rows


def _hm(at) -> str:  # noqa: ANN001
    return hhmm(at) if at is not None else ""


def course_text(r: TablePaceRow) -> str:
    if not r.occupied:
        return {TableState.HELD: "Held", TableState.BLOCKED: "Blocked"}.get(r.state, "Free")
    return r.stage_label


def course_color(r: TablePaceRow) -> QColor:
    if not r.occupied:
        return theme.table_style(r.state).border
    return theme.TABLE_STATES[_STAGE_STATE.get(r.stage, TableState.SEATED)].fill


def over_text(r: TablePaceRow) -> str:
    if not r.occupied:
        return ""
    return f"+{r.over_by_minutes} min" if r.over_by_minutes > 0 else "on time"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def free_text(r: TablePaceRow) -> str:
    if not r.occupied:
        return _cap(r.next_label) if r.state is TableState.FREE else ""
    return _hm(r.predicted_free_local)


_ALERT_RANK = {Severity.URGENT: 0, Severity.WARNING: 1, Severity.NOTICE: 2}
_IDLE_RANK = {TableState.HELD: 5, TableState.FREE: 6, TableState.BLOCKED: 7}


def attention(r: TablePaceRow) -> tuple:
    """The default order of the table list: what needs a look first. Alerts, then tables over their turn
    (most over first), then the other seated tables by when they free up, then held, free and blocked."""
    if r.occupied:
        rank = _ALERT_RANK.get(r.alert, 3) if r.alert else (3 if r.over_by_minutes > 0 else 4)
        when = r.predicted_free_local.timestamp() if r.predicted_free_local else 0
        return (rank, -r.over_by_minutes, when, _table_sort(r.name))
    return (_IDLE_RANK.get(r.state, 6), 0, 0, _table_sort(r.name))


def table_tip(r: TablePaceRow) -> str:
    lines = [f"Table {r.name} ({r.seats} seats)"]
    if r.occupied:
        lines.append(f"{r.party_name or 'Party'} ({r.covers}) seated {_hm(r.seated_since_local)}, {r.minutes_seated} min ago")
        lines.append(f"Course: {r.stage_label}" + (f" for {r.stage_minutes} min" if r.stage_minutes is not None else ""))
        lines.append(f"Expected turn: {r.turn_label}")
        lines.append(f"Predicted free {_hm(r.predicted_free_local)}")
        if r.note:
            lines.append(r.note[0].upper() + r.note[1:])
    if r.next_label:
        lines.append(_cap(r.next_label))
    if r.alert_text:
        lines.append(f"⚠ {r.alert_text}")
    return "\n".join(lines)


def _row_bg(r: TablePaceRow) -> QColor | None:
    if r.alert in (Severity.URGENT, Severity.WARNING):
        return OVER_TINT
    return None


def _over_fg(r: TablePaceRow) -> QColor | None:
    if r.over_by_minutes > 0:
        return theme.WARNING
    return theme.MUTED if not r.occupied else QColor("#1E6B3A")


def table_columns() -> list[Col[TablePaceRow]]:
    muted = lambda r: None if r.occupied else theme.MUTED  # noqa: E731
    return [
        Col("Table", lambda r: r.name, sort=lambda r: _table_sort(r.name), bold=True, tip=table_tip, bg=_row_bg,
            fg=lambda r: theme.WARNING if r.alert is Severity.URGENT else None, sub=lambda r: r.seats),
        Col("Party", lambda r: f"{r.party_name} ({r.covers})" if r.party_name else "", sort=lambda r: r.party_name or None,
            tip=table_tip, bg=_row_bg, sub=lambda r: _cap(r.next_label) if r.state is not TableState.FREE else ""),
        Col("Seated", lambda r: f"{r.minutes_seated} min" if r.occupied else "", sort=lambda r: r.minutes_seated,
            tip=table_tip, bg=_row_bg, sub=lambda r: f"since {_hm(r.seated_since_local)}" if r.occupied else ""),
        Col("Course", course_text, sort=lambda r: list(_STAGE_STATE).index(r.stage) if r.occupied else None,
            icon=lambda r: swatch(course_color(r)), tip=table_tip, bg=_row_bg, fg=muted, sub=course_sub),
        Col("Expected turn", lambda r: f"{r.expected_turn_min} min" if r.expected_turn_min else "",
            sort=lambda r: r.expected_turn_min, sub=lambda r: r.turn_source,
            tip=lambda r: f"Expected turn {r.turn_label}" if r.turn_label else "", bg=_row_bg),
        Col("Free at", free_text, sort=lambda r: r.predicted_free_local, tip=table_tip, bg=_row_bg,
            bold=lambda r: r.occupied, fg=muted, sub=lambda r: f"in {r.free_in_minutes} min" if r.occupied else ""),
        Col("Over", over_text, sort=lambda r: r.over_by_minutes if r.occupied else None, align=RIGHT, bg=_row_bg,
            fg=_over_fg, bold=lambda r: r.over_by_minutes > 0),
    ]


def course_sub(r: TablePaceRow) -> str:
    if not r.occupied:
        return ""
    if r.stage_minutes is not None:
        return f"for {r.stage_minutes} min"
    return "time not known" if r.stage_assumed else ""


@functools.lru_cache(maxsize=4096)
def _table_sort(name: str) -> tuple:
    """"12" before "101", by the number in the name (remembered: the table list sorts on every refresh)."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 10**6, name)


# --------------------------------------------------------------------------------------- arrivals


def arrival_columns() -> list[Col[ArrivalView]]:
    def likely(a: ArrivalView) -> str:
        if not a.likely:
            return "No table"
        if a.assigned and a.likely != a.assigned:
            return f"{a.likely} (not {a.assigned})"
        return a.likely

    def sits(a: ArrivalView) -> str:
        if a.likely_at_local is None:
            return "—"
        if a.late_by_minutes > 0:
            return f"{_hm(a.likely_at_local)} · {a.late_by_minutes} min late"
        return f"{_hm(a.likely_at_local)} · in time"

    def tip(a: ArrivalView) -> str:
        return "\n".join(x for x in (a.warning, a.note) if x) or f"{a.party_name} can sit at {likely(a)} in time"

    bad = lambda a: theme.WARNING if a.warning else None  # noqa: E731
    return [
        Col("Due", lambda a: _hm(a.time_local), sort=lambda a: a.time_local, bold=True, tip=tip,
            sub=lambda a: "here" if a.status.value == "arrived" else ""),
        Col("Party", lambda a: f"{a.party_name} ({a.party_size})", tip=tip),
        Col("Table", likely, tip=tip, fg=lambda a: theme.LATE if a.assigned and a.likely != a.assigned else None),
        Col("Sits", sits, tip=tip, fg=bad, bold=lambda a: bool(a.warning)),
    ]


# --------------------------------------------------------------------------------------- alerts


class AlertDelegate(QStyledItemDelegate):
    """An alert as a card row: a coloured stripe and severity word, then the sentence (each row's picture is
    kept while the alert and the width stay the same)."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._word_font = theme.font(11, bold=True)
        self._font = theme.font(14)
        self._cache: dict[tuple, QPixmap] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(option.rect.width(), 40)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model = index.model()
        alert: AlertView | None = model.row_at(index.row()) if isinstance(model, KeyedRowsModel) else index.data(ROW_ROLE)
        if alert is None:
            return
        r = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        p.drawPixmap(r.topLeft(), self.picture(alert, None, r.width(), r.height(), selected, dpr))

    def picture(self, alert: AlertView, _col: object, width: int, height: int, selected: bool, dpr: float) -> QPixmap:
        """The alert's row picture (see `RowsView`)."""
        key = (alert, width, height, selected, dpr)
        pm = self._cache.get(key)
        if pm is None:
            if len(self._cache) > 300:
                self._cache.clear()
            pm = draw_picture(width, height, dpr, QColor("#E2ECFD") if selected else theme.PAPER,
                              lambda p, r: self._draw(p, r, alert))
            self._cache[key] = pm
        return pm

    def _draw(self, p: QPainter, r: QRect, alert: AlertView) -> None:
        color = SEVERITY_COLORS.get(alert.severity, theme.PENDING)
        p.fillRect(QRect(r.left(), r.top() + 6, 4, r.height() - 12), color)
        p.setFont(self._word_font)
        p.setPen(color)
        word = SEVERITY_WORDS.get(alert.severity, "")
        p.drawText(QRect(r.left() + 14, r.top(), 70, r.height()), Qt.AlignmentFlag.AlignVCenter, word.upper())
        p.setFont(self._font)
        p.setPen(theme.INK)
        text = p.fontMetrics().elidedText(alert.message, Qt.TextElideMode.ElideRight, r.width() - 100)
        p.drawText(QRect(r.left() + 84, r.top(), r.width() - 90, r.height()), Qt.AlignmentFlag.AlignVCenter, text)
        p.setPen(QPen(QColor("#EDEFF3"), 1))
        p.drawLine(r.left(), r.bottom(), r.right(), r.bottom())


def alert_columns() -> list[Col[AlertView]]:
    return [Col("Alert", lambda a: a.message, tip=lambda a: a.message)]


def alert_key(a: AlertView) -> tuple:
    return (a.kind, a.reservation_id, a.table_ids)


# --------------------------------------------------------------------------------------- widgets


def _card(name: str = "pacingCard") -> QFrame:
    f = QFrame()
    f.setObjectName(name)
    return f


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("pacingTitle")
    return label


def _table_view(name: str) -> RowsView:
    v = RowsView()
    v.setObjectName(name)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.setShowGrid(False)
    v.setAlternatingRowColors(False)
    v.setWordWrap(False)
    v.verticalHeader().hide()
    v.verticalHeader().setDefaultSectionSize(38)
    v.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    v.horizontalHeader().setHighlightSections(False)
    v.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    v.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    v.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    v.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    # its paper and selection colours by palette, not by a style sheet rule: a rule on the view itself made the
    # style sheet draw its frame and background on every repaint of the page (a third of its cost, measured)
    v.setFrameShape(QFrame.Shape.NoFrame)
    pal = v.palette()
    pal.setColor(QPalette.ColorRole.Base, theme.PAPER)
    pal.setColor(QPalette.ColorRole.Highlight, SELECTED)
    pal.setColor(QPalette.ColorRole.HighlightedText, theme.INK)
    v.setPalette(pal)
    return v


class Figure(QFrame):
    """One figure of the summary strip: a big value and its caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pacingFigure")
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 8, 16, 8)
        col.setSpacing(0)
        self.value = QLabel("–")
        self.value.setObjectName("figureBig")
        self.caption = QLabel(caption)
        self.caption.setObjectName("figureSmall")
        col.addWidget(self.value)
        col.addWidget(self.caption)

    def set(self, value: str, caption: str | None = None, tone: str = "") -> None:
        self.value.setText(value)
        if caption is not None:
            self.caption.setText(caption)
        if self.property("tone") != tone:
            self.setProperty("tone", tone)
            for w in (self, self.value):
                w.style().unpolish(w)
                w.style().polish(w)


class KitchenCard(QFrame):
    """How many covers are about to fire, and what seating a party now would add."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pacingCard")
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 12, 16, 14)
        col.setSpacing(8)
        col.addWidget(_title("Kitchen"))
        self.load = QLabel()
        self.load.setObjectName("kitchenLoad")
        self.load.setWordWrap(True)
        col.addWidget(self.load)
        row = QHBoxLayout()
        row.setSpacing(6)
        ask = QLabel("Seat now:")
        ask.setObjectName("fieldKey")
        row.addWidget(ask)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[int, QPushButton] = {}
        for n in PARTY_SIZES:
            b = QPushButton(str(n))
            b.setObjectName("sizeChip")
            b.setCheckable(True)
            b.setMinimumSize(48, 40)
            b.setAccessibleName(f"Seat a party of {n} now")
            self.group.addButton(b, n)
            self.buttons[n] = b
            row.addWidget(b)
        row.addStretch(1)
        col.addLayout(row)
        self.answer = QLabel()
        self.answer.setObjectName("kitchenAnswer")
        self.answer.setWordWrap(True)
        col.addWidget(self.answer)
        self.buttons[4].setChecked(True)
        self.group.idToggled.connect(lambda _id, on: on and self._update())
        self._kitchen = None

    def set_kitchen(self, kitchen) -> None:  # noqa: ANN001
        self._kitchen = kitchen
        self._update()

    def party_size(self) -> int:
        return self.group.checkedId() if self.group.checkedId() > 0 else 4

    def _update(self) -> None:
        k = self._kitchen
        if k is None:
            return
        tables = ""
        if k.tables:
            tables = f" (table{'s' if len(k.tables) > 1 else ''} {', '.join(k.tables)})"
        self.load.setText(
            f"<b style='font-size:22px'>{k.covers}</b> covers likely to fire mains in the next "
            f"{k.window_minutes} min{tables}"
        )
        self.answer.setText(k.sentence(self.party_size()) + ".")


class ConfirmBar(QFrame):
    """"Move Smith (4) from 12 to 14?" with Move and Cancel; Enter moves, Esc cancels."""

    confirmed = Signal(str, str)  # reservation id, table id
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 12, 8)
        row.setSpacing(10)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.question = QLabel()
        self.question.setObjectName("confirmQuestion")
        self.warning = QLabel()
        self.warning.setObjectName("confirmWarning")
        self.warning.setWordWrap(True)
        text.addWidget(self.question)
        text.addWidget(self.warning)
        row.addLayout(text, 1)
        self.move_button = QPushButton("Move")
        self.move_button.setObjectName("primaryButton")
        self.move_button.setMinimumSize(120, 44)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("secondaryButton")
        self.cancel_button.setMinimumSize(100, 44)
        row.addWidget(self.move_button)
        row.addWidget(self.cancel_button)
        self.move_button.clicked.connect(self._confirm)
        self.cancel_button.clicked.connect(self._cancel)
        self.reservation_id: str | None = None
        self.table_id: str | None = None
        self.hide()

    def ask(self, reservation_id: str, table_id: str, question: str, warning: str = "") -> None:
        self.reservation_id, self.table_id = reservation_id, table_id
        self.question.setText(question)
        self.warning.setText(warning)
        self.warning.setVisible(bool(warning))
        self.show()
        self.move_button.setDefault(True)
        self.move_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event) -> None:  # noqa: ANN001
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            (self.cancel_button if self.cancel_button.hasFocus() else self.move_button).click()
            return
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
            return
        super().keyPressEvent(event)

    def _confirm(self) -> None:
        rid, tid = self.reservation_id, self.table_id
        self.hide()
        if rid and tid:
            self.confirmed.emit(rid, tid)

    def _cancel(self) -> None:
        self.hide()
        self.reservation_id = self.table_id = None
        self.cancelled.emit()


class Notice(QFrame):
    """The page's result line: what a move did, with Undo while it can be undone."""

    undo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageNotice")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 8, 6)
        self.label = QLabel()
        self.label.setObjectName("noticeLabel")
        self.label.setWordWrap(True)
        row.addWidget(self.label, 1)
        self.undo = QPushButton("Undo")
        self.undo.setObjectName("secondaryButton")
        self.undo.setMinimumHeight(36)
        self.undo.clicked.connect(self.undo_clicked)
        row.addWidget(self.undo)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_result(self, text: str, *, error: bool = False, undo: str | None = None) -> None:
        self.label.setText(text)
        tone = "error" if error else "ok"
        if self.property("tone") != tone:
            self.setProperty("tone", tone)
            self.style().unpolish(self)
            self.style().polish(self)
        self.undo.setText((undo or "Undo").replace("&", "&&"))
        self.undo.setVisible(bool(undo))
        self.show()
        self._timer.start(15_000 if error else 12_000)


# --------------------------------------------------------------------------------------- the page


class PacingPage(Page):
    """`pacing` is a `services.pacing.PacingQueries`; `service` is the `HostService` (move and undo)."""

    topics = frozenset({"reservations", "tickets", "tables"})
    command_done = Signal(object)  # the CommandResult of a move or undo made here

    def __init__(self, pacing, service, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("pacingPage")
        self.pacing = pacing
        self.service = service
        self.view: PacingView | None = None
        self._attention_keys: dict[int, tuple[TablePaceRow, tuple]] = {}  # see _by_attention
        self.setStyleSheet(STYLE)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(10)

        # summary strip and the view switch
        strip = QHBoxLayout()
        strip.setSpacing(8)
        self.fig_room = Figure("covers in the room")
        self.fig_tables = Figure("tables occupied")
        self.fig_over = Figure("over expected turn")
        self.fig_kitchen = Figure("covers firing in 20 min")
        self.fig_turns = Figure("turn times")
        for f in (self.fig_room, self.fig_tables, self.fig_over, self.fig_kitchen, self.fig_turns):
            strip.addWidget(f)
        strip.addStretch(1)
        self.switch_group = QButtonGroup(self)
        self.now_button = QPushButton("Now")
        self.timeline_button = QPushButton("Timeline")
        for i, b in enumerate((self.now_button, self.timeline_button)):
            b.setObjectName("segment")
            b.setProperty("pos", "first" if i == 0 else "last")
            b.setCheckable(True)
            b.setMinimumSize(112, 44)
            self.switch_group.addButton(b, i)
            strip.addWidget(b)
        self.now_button.setChecked(True)
        self.switch_group.idClicked.connect(self.show_view)
        outer.addLayout(strip)

        self.notice = Notice()
        self.notice.undo_clicked.connect(self.undo)
        outer.addWidget(self.notice)

        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.stack.addWidget(self._build_now())
        self.stack.addWidget(self._build_timeline())

        self.loader = PageLoader(lambda: self.pacing.view(timeline=self._timeline_shown()), self, name="pacing")
        self.loader.loaded.connect(self.set_view)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.refresh)
        QShortcut(QKeySequence("Ctrl+1"), self, activated=lambda: self.show_view(0))
        QShortcut(QKeySequence("Ctrl+2"), self, activated=lambda: self.show_view(1))

    # ------------------------------------------------------------------------------ building

    def _build_now(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("pacingSplit")
        split.setChildrenCollapsible(False)

        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.setSpacing(10)
        tables_card = _card()
        tcol = QVBoxLayout(tables_card)
        tcol.setContentsMargins(0, 10, 0, 0)
        tcol.setSpacing(6)
        head = QHBoxLayout()
        head.setContentsMargins(16, 0, 16, 0)
        head.addWidget(_title("Tables"))
        head.addStretch(1)
        self.tables_hint = QLabel()
        self.tables_hint.setObjectName("pacingHint")
        head.addWidget(self.tables_hint)
        tcol.addLayout(head)
        self.table_model: KeyedRowsModel[TablePaceRow] = KeyedRowsModel(table_columns(), lambda r: r.table_id, self)
        self.table_view = _table_view("paceTable")
        self.table_view.setModel(self.table_model)
        self.table_view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table_view.setSortingEnabled(True)
        self.table_view.horizontalHeader().setSortIndicatorShown(True)
        header = self.table_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, w in enumerate((60, 170, 88, 146, 116, 86, 92)):
            header.resizeSection(i, w)
        self.table_view.setItemDelegate(TwoLineDelegate(self.table_view))
        self.table_view.verticalHeader().setDefaultSectionSize(46)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        tcol.addWidget(self.table_view, 1)
        lcol.addWidget(tables_card, 1)

        chart_card = _card()
        ccol = QVBoxLayout(chart_card)
        ccol.setContentsMargins(16, 10, 16, 10)
        ccol.setSpacing(4)
        chart_head = QHBoxLayout()
        chart_head.addWidget(_title("Covers per 15 minutes"))
        chart_head.addStretch(1)
        self.cover_totals = QLabel()
        self.cover_totals.setObjectName("pacingHint")
        chart_head.addWidget(self.cover_totals)
        ccol.addLayout(chart_head)
        self.chart = CoverChart()
        ccol.addWidget(self.chart, 1)
        chart_card.setMaximumHeight(250)
        chart_card.setMinimumHeight(190)
        lcol.addWidget(chart_card, 0)
        split.addWidget(left)

        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.setSpacing(10)
        alerts_card = _card()
        acol = QVBoxLayout(alerts_card)
        acol.setContentsMargins(0, 10, 0, 4)
        acol.setSpacing(4)
        ahead = QHBoxLayout()
        ahead.setContentsMargins(16, 0, 16, 0)
        self.alerts_title = _title("Alerts")
        ahead.addWidget(self.alerts_title)
        ahead.addStretch(1)
        acol.addLayout(ahead)
        self.alert_model: KeyedRowsModel[AlertView] = KeyedRowsModel(alert_columns(), alert_key, self)
        self.alert_view = _table_view("alertList")
        self.alert_view.setModel(self.alert_model)
        self.alert_view.horizontalHeader().hide()
        self.alert_view.horizontalHeader().setStretchLastSection(True)
        self.alert_view.verticalHeader().setDefaultSectionSize(40)
        self.alert_view.setItemDelegate(AlertDelegate(self.alert_view))
        self.alerts_empty = QLabel("No alerts: every table is on pace.")
        self.alerts_empty.setObjectName("pacingEmpty")
        acol.addWidget(self.alert_view, 1)
        acol.addWidget(self.alerts_empty)
        acol.addStretch(0)
        self.alerts_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.alerts_empty.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        rcol.addWidget(alerts_card, 3)

        arrivals_card = _card()
        vcol = QVBoxLayout(arrivals_card)
        vcol.setContentsMargins(0, 10, 0, 4)
        vcol.setSpacing(4)
        vhead = QHBoxLayout()
        vhead.setContentsMargins(16, 0, 16, 0)
        vhead.addWidget(_title("Due in the next hour"))
        vhead.addStretch(1)
        self.arrivals_hint = QLabel()
        self.arrivals_hint.setObjectName("pacingHint")
        vhead.addWidget(self.arrivals_hint)
        vcol.addLayout(vhead)
        self.arrival_model: KeyedRowsModel[ArrivalView] = KeyedRowsModel(arrival_columns(), lambda a: a.reservation_id, self)
        self.arrival_view = _table_view("arrivalTable")
        self.arrival_view.setModel(self.arrival_model)
        self.arrival_view.setItemDelegate(TwoLineDelegate(self.arrival_view))
        self.arrival_view.verticalHeader().setDefaultSectionSize(44)
        aheader = self.arrival_view.horizontalHeader()
        for i, w in enumerate((64, 170, 110)):
            aheader.resizeSection(i, w)
        aheader.setStretchLastSection(True)
        self.arrivals_empty = QLabel("Nobody is due in the next hour.")
        self.arrivals_empty.setObjectName("pacingEmpty")
        vcol.addWidget(self.arrival_view, 1)
        vcol.addWidget(self.arrivals_empty)
        self.arrivals_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.arrivals_empty.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        rcol.addWidget(arrivals_card, 3)

        self.kitchen = KitchenCard()
        rcol.addWidget(self.kitchen, 0)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 540])
        self.split = split
        return split

    def _build_timeline(self) -> QWidget:
        page = _card()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 10, 0, 0)
        col.setSpacing(6)
        head = QHBoxLayout()
        head.setContentsMargins(16, 0, 16, 0)
        head.addWidget(_title("Tonight by table"))
        hint = QLabel("Drag a party to another table to move it · or select it, then ↑ ↓ and Enter")
        hint.setObjectName("pacingHint")
        head.addStretch(1)
        head.addWidget(hint)
        col.addLayout(head)
        self.confirm = ConfirmBar()
        self.confirm.confirmed.connect(self.move)
        self.confirm.cancelled.connect(self._move_cancelled)
        col.addWidget(self.confirm)
        self.canvas = TimelineCanvas()
        self.canvas.move_requested.connect(self.ask_move)
        self.timeline_header = TimelineHeader(self.canvas)
        col.addWidget(self.timeline_header)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("timelineScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.canvas)
        self.canvas.ensure_visible.connect(lambda y: self.scroll.ensureVisible(0, y + ROW_H // 2, 0, ROW_H))
        col.addWidget(self.scroll, 1)
        self.legend = QLabel(_legend_html())
        self.legend.setObjectName("timelineLegend")
        self.legend.setContentsMargins(16, 4, 16, 8)
        col.addWidget(self.legend)
        return page

    # ------------------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        """Re-read in the background (a change event, the minute tick); the view is applied when it is ready."""
        self.loader.request()

    def refresh_now(self) -> None:
        """Read and apply at once (opening the page, after the manager's own move, tests)."""
        self.loader.bump()
        self.set_view(self.pacing.view(timeline=self._timeline_shown()))

    def _timeline_shown(self) -> bool:
        return self.stack.currentIndex() == 1

    def _by_attention(self, rows: tuple[TablePaceRow, ...]) -> list[TablePaceRow]:
        """The rows in `attention` order; a row's key is kept while the row is the very same object (a refresh
        hands back the rows of tables that did not change)."""
        keys = self._attention_keys
        fresh: dict[int, tuple[TablePaceRow, tuple]] = {}

        def key(r: TablePaceRow) -> tuple:
            seen = keys.get(id(r))
            if seen is None or seen[0] is not r:
                seen = (r, attention(r))
            fresh[id(r)] = seen
            return seen[1]

        ordered = sorted(rows, key=key)
        self._attention_keys = fresh
        return ordered

    def set_view(self, view: PacingView) -> None:
        self.view = view
        occupied = [r for r in view.tables if r.occupied]
        self.fig_room.set(str(view.covers_in_room), f"covers in the room · {len(occupied)} parties")
        self.fig_tables.set(f"{view.occupied}/{len(view.tables)}", f"tables occupied · {view.free} free")
        self.fig_over.set(str(view.over_turn), "over expected turn", "bad" if view.over_turn else "")
        self.fig_kitchen.set(str(view.kitchen.covers), f"covers firing in {view.kitchen.window_minutes} min")
        learned = view.turns.learned
        self.fig_turns.set("Learned" if learned else "Defaults",
                           f"turn times · {view.turns.visits} visits" if learned else "turn times · not enough visits")
        self.fig_turns.setToolTip(_turns_html(view))

        self.table_model.set_rows(view.tables if self.table_model.sort_column is not None else self._by_attention(view.tables))
        over = sum(1 for r in occupied if r.over_by_minutes > 0)
        self.tables_hint.setText(
            f"{len(occupied)} seated · {over} over turn · {view.free} free" + (" · POS data is old" if view.stale else "")
        )
        self.alert_model.set_rows(view.alerts)
        self.alerts_title.setText(f"Alerts  {len(view.alerts)}" if view.alerts else "Alerts")
        self.alert_view.setVisible(bool(view.alerts))
        self.alerts_empty.setVisible(not view.alerts)
        self.arrival_model.set_rows(view.arrivals)
        late = sum(1 for a in view.arrivals if a.warning)
        self.arrivals_hint.setText(f"{late} at risk" if late else (f"{len(view.arrivals)} parties, all in time"
                                                                     if view.arrivals else ""))
        self.arrival_view.setVisible(bool(view.arrivals))
        self.arrivals_empty.setVisible(not view.arrivals)
        self.kitchen.set_kitchen(view.kitchen)
        self.chart.set_slots(view.slots)
        t = view.totals
        self.cover_totals.setText(f"Tonight: {t.booked} booked · {t.seated} seated · {t.rung_in} rung in")
        if view.timeline is not None:
            self.canvas.set_view(view.timeline)
            self.timeline_header.update()

    def badge(self) -> str:
        if self.view is None:
            return ""
        urgent = sum(1 for a in self.view.alerts if a.severity is Severity.URGENT)
        return str(len(self.view.alerts)) if self.view.alerts else ("!" if urgent else "")

    def show_view(self, index: int) -> None:
        switched = self.stack.currentIndex() != index
        self.stack.setCurrentIndex(index)
        (self.now_button if index == 0 else self.timeline_button).setChecked(True)
        if index == 1:
            if switched or self.canvas.view is None:
                self.refresh_now()
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
            self._scroll_to_busy()

    def _scroll_to_busy(self) -> None:
        if self.canvas.selected:
            return
        self.scroll.verticalScrollBar().setValue(0)

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self._tick.start()
        if self.view is None:
            self.refresh_now()

    def hideEvent(self, event) -> None:  # noqa: ANN001
        super().hideEvent(event)
        self._tick.stop()

    def closeEvent(self, event) -> None:  # noqa: ANN001
        self.loader.close()
        super().closeEvent(event)

    # ------------------------------------------------------------------------------ moving

    def ask_move(self, reservation_id: str, table_id: str) -> None:
        """A bar was dropped on another table: say what would happen and wait for Move or Cancel."""
        bar = self.canvas.bar(reservation_id)
        lane_i = self.canvas.lane_index(table_id)
        if bar is None or lane_i is None:
            return
        lane = self.canvas.lanes[lane_i]
        self.canvas.set_target(lane_i)
        source = self.pacing.label(bar.table_ids) if bar.table_ids else "no table"
        question = f"Move {bar.label} from {source} to {lane.name}?"
        warnings = []
        if bar.party_size > lane.max_seats:
            warnings.append(f"Table {lane.name} seats {lane.seats}: too small for {bar.party_size}.")
        elif bar.party_size < lane.min_seats:
            warnings.append(f"Table {lane.name} is meant for {lane.min_seats} or more.")
        for other in self.canvas.conflicts(bar, table_id)[:2]:
            warnings.append(f"{lane.name} is taken {other.start_local:%H:%M}–{other.end_local:%H:%M} by {other.label}.")
        if bar.status is not None and bar.status.value == "seated":
            warnings.append("The party is seated: an empty ticket moves with it; a ticket with items must be moved on "
                            "the POS too.")
        self.confirm.ask(reservation_id, table_id, question, " ".join(warnings))

    def _move_cancelled(self) -> None:
        self.canvas.set_target(None)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def move(self, reservation_id: str, table_id: str) -> CommandResult | None:
        """Reassign through the normal write path and show what happened, with Undo."""
        self.canvas.set_target(None)
        result = self._guard("move the party", lambda: self.service.move(reservation_id, (table_id,)))
        if result is not None:
            self._after(result)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        return result

    def undo(self) -> CommandResult | None:
        result = self._guard("undo", self.service.undo)
        if result is not None:
            self._after(result)
        return result

    def _after(self, result: CommandResult) -> None:
        self.notice.show_result(result.message, error=not result.ok, undo=result.undo_label if result.ok else None)
        self.command_done.emit(result)
        self.pacing.invalidate(force=True)
        self.refresh_now()

    def _guard(self, verb: str, fn) -> Any:  # noqa: ANN001
        try:
            return fn()
        except Exception as exc:  # never a traceback on the screen
            log.exception("%s failed", verb)
            self.notice.show_result(
                f"Could not {verb}: something went wrong on this terminal ({type(exc).__name__}). Nothing was sent.",
                error=True,
            )
            return None


def _legend_html() -> str:
    def chip(color: QColor, label: str, border: QColor | None = None) -> str:
        b = (border or color).name()
        return (f"<span style='background:{color.name()}; border:1px solid {b}; color:{color.name()}'>"
                f"&nbsp;&nbsp;&nbsp;</span>&nbsp;{label}&nbsp;&nbsp;&nbsp;&nbsp;")

    held = theme.TABLE_STATES[TableState.HELD]
    parts = [
        chip(QColor("#FFFBF0"), "Booked", held.border),
        chip(held.fill, "Arrived", held.border),
        chip(theme.TABLE_STATES[TableState.SEATED].fill, "Seated"),
        chip(theme.TABLE_STATES[TableState.ORDERED].fill, "Ordered"),
        chip(theme.TABLE_STATES[TableState.MAINS].fill, "Mains"),
        chip(theme.TABLE_STATES[TableState.DESSERT].fill, "Dessert"),
        chip(theme.TABLE_STATES[TableState.CHECK_DROPPED].fill, "Check dropped"),
        chip(QColor("#E4E7EC"), "Finished", QColor("#B8BFCA")),
        f"<span style='color:{theme.WARNING.name()}'><b>▌</b></span>&nbsp;Over its turn&nbsp;&nbsp;&nbsp;&nbsp;",
        f"<span style='color:{theme.PRIMARY.name()}'><b>│</b></span>&nbsp;Now",
    ]
    return "".join(parts)


def _turns_html(view: PacingView) -> str:
    parts = list(dict.fromkeys(c.day_part for c in view.turns.cells))
    bands = list(dict.fromkeys(c.band for c in view.turns.cells))
    cell = {(c.band, c.day_part): c for c in view.turns.cells}
    head = "".join(f"<th align='right'>&nbsp;{p.value.capitalize()}&nbsp;</th>" for p in parts)
    rows = []
    for b in bands:
        tds = []
        for p in parts:
            c = cell[(b, p)]
            src = "default" if c.source == "default" else f"learned ({c.samples})"
            tds.append(f"<td align='right'>&nbsp;{c.minutes} min <i>{src}</i>&nbsp;</td>")
        rows.append(f"<tr><td><b>{b}</b></td>{''.join(tds)}</tr>")
    return f"<p>{view.turns.summary}.</p><table><tr><th>Party</th>{head}</tr>{''.join(rows)}</table>"


def _c(color: QColor) -> str:
    return color.name()


STYLE = f"""
QWidget#pacingPage {{ background: {_c(theme.CANVAS)}; }}
QFrame#pacingCard {{ background: {_c(theme.PAPER)}; border: 1px solid {_c(theme.LINE)}; border-radius: 12px; }}
QLabel#pacingTitle {{ font-size: 16px; font-weight: bold; color: {_c(theme.INK)}; }}
QLabel#pacingHint {{ font-size: 13px; color: {_c(theme.MUTED)}; }}
QLabel#pacingEmpty {{ font-size: 14px; color: {_c(theme.MUTED)}; padding: 10px 16px; }}
QFrame#pacingFigure {{ background: {_c(theme.PAPER)}; border: 1px solid {_c(theme.LINE)}; border-radius: 12px;
    min-width: 128px; }}
QFrame#pacingFigure[tone="bad"] {{ border-color: {_c(theme.WARNING)}; background: #FDECEA; }}
QLabel#figureBig {{ font-size: 24px; font-weight: bold; color: {_c(theme.INK)}; }}
QFrame#pacingFigure[tone="bad"] QLabel#figureBig {{ color: {_c(theme.WARNING)}; }}
QLabel#figureSmall {{ font-size: 12px; color: {_c(theme.MUTED)}; }}
QTableView#paceTable::item, QTableView#arrivalTable::item {{ border-bottom: 1px solid #EDEFF3; padding: 0 6px; }}
QTableView#paceTable::item:selected, QTableView#arrivalTable::item:selected {{ background: {SELECTED.name()}; color: {_c(theme.INK)}; }}
QLabel#kitchenLoad {{ font-size: 14px; color: {_c(theme.INK)}; }}
QLabel#kitchenAnswer {{ font-size: 15px; font-weight: bold; color: {_c(theme.PRIMARY)}; }}
QPushButton#sizeChip {{ background: #F1F3F6; border: 1px solid {_c(theme.LINE)}; border-radius: 10px; font-size: 16px;
    padding: 0 8px; }}
QPushButton#sizeChip:checked {{ background: #1F2430; color: #FFFFFF; border-color: #1F2430; }}
QFrame#confirmBar {{ background: #FFF3D6; border: 1px solid #E09A00; border-radius: 10px; margin: 0 12px; }}
QLabel#confirmQuestion {{ font-size: 16px; font-weight: bold; }}
QLabel#confirmWarning {{ font-size: 13px; color: {_c(theme.LATE)}; }}
QFrame#pageNotice {{ border-radius: 10px; }}
QFrame#pageNotice[tone="ok"] {{ background: #E6F4EA; }}
QFrame#pageNotice[tone="error"] {{ background: {_c(theme.WARNING)}; }}
QFrame#pageNotice[tone="error"] QLabel {{ color: #FFFFFF; font-weight: bold; }}
QLabel#noticeLabel {{ font-size: 14px; color: #1E6B3A; }}
QScrollArea#timelineScroll {{ background: {_c(theme.PAPER)}; border: none; }}
QLabel#timelineLegend {{ font-size: 12px; color: {_c(theme.MUTED)}; }}
QSplitter#pacingSplit::handle {{ background: transparent; width: 10px; }}
"""

__all__ = ["PacingPage", "UNASSIGNED"]
