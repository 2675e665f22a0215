"""Tonight's timeline: one lane per table (and one for parties with no table yet), time running left to right,
each reservation a bar. Drag a bar (or select it and press Up/Down) onto another table's lane to ask for a
move; the page confirms it and sends it through the normal write path (`HostService.move`).

Painted with QPainter on one widget inside a scroll area; only the lanes in the exposed rectangle are drawn,
so 150 tables and 600 bars repaint in a few milliseconds. The hour header is a separate widget above the
scroll area that follows the canvas's scale.

Bars: booked parties are pale (amber once they are late), arrived ones amber, seated ones in their course
colour (the part still to come lighter, its end a prediction), finished ones grey. A party past its expected
turn gets a red edge. The blue line is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from hoststand.domain.model import CourseStage, ReservationStatus, TableState
from hoststand.services.pacing import TimelineBar, TimelineView, hhmm
from hoststand.ui import theme

ROW_H = 34
GUTTER = 92
RIGHT = 10
DRAG_START_PX = 6
UNASSIGNED = "__unassigned__"
S = ReservationStatus

_STAGE_STATE = {
    None: TableState.SEATED,
    CourseStage.OPENED: TableState.SEATED,
    CourseStage.ORDERED: TableState.ORDERED,
    CourseStage.MAINS: TableState.MAINS,
    CourseStage.DESSERT: TableState.DESSERT,
    CourseStage.CHECK_DROPPED: TableState.CHECK_DROPPED,
    CourseStage.PAID: TableState.PAID,
}
HELD = theme.TABLE_STATES[TableState.HELD]
FREE = theme.TABLE_STATES[TableState.FREE]
DONE_FILL = QColor("#E4E7EC")
ROW_ALT = QColor("#F7F8FA")
LOOSE_LANE = QColor("#FFFAEE")  # the lanes of parties with no table yet
DROP_OK = QColor(46, 160, 67, 40)
DROP_WARN = QColor(227, 160, 8, 55)


@dataclass(frozen=True)
class Lane:
    key: str  # table id, or UNASSIGNED
    name: str
    seats: str
    min_seats: int
    max_seats: int


def bar_colors(bar: TimelineBar) -> tuple[QColor, QColor, QColor]:
    """(fill, border, text) of a bar."""
    if bar.status is S.FINISHED:
        return DONE_FILL, QColor("#B8BFCA"), theme.MUTED
    if bar.status in (S.BOOKED, S.ARRIVED):
        border = theme.LATE if bar.late else HELD.border
        if bar.status is S.ARRIVED:
            return HELD.fill, HELD.border.darker(115), HELD.text
        return QColor("#FFFBF0"), border, HELD.text
    style = theme.TABLE_STATES[_STAGE_STATE.get(bar.stage, TableState.SEATED)]
    return style.fill, style.border, style.text


def bar_words(bar: TimelineBar) -> str:
    """The tooltip: who, when, and what the bar's end means."""
    span = f"{bar.start_local:%H:%M}–{bar.end_local:%H:%M}"
    if bar.status is S.FINISHED:
        return f"{bar.label} · {span} · finished"
    if bar.status in (S.BOOKED, S.ARRIVED):
        what = "arrived, waiting" if bar.status is S.ARRIVED else ("late, not arrived" if bar.late else "booked")
        return f"{bar.label} · {span} (expected turn) · {what}"
    over = " · over its expected turn" if bar.over else ""
    return f"{bar.label} · seated {bar.start_local:%H:%M} · predicted free {bar.end_local:%H:%M}{over}"


def _lighter(c: QColor, amount: float = 0.62) -> QColor:
    """`c` mixed with white: the predicted part of a seated party's bar."""
    return QColor(
        round(c.red() + (255 - c.red()) * amount),
        round(c.green() + (255 - c.green()) * amount),
        round(c.blue() + (255 - c.blue()) * amount),
    )


class TimelineCanvas(QWidget):
    """The lanes and bars. Emits `move_requested(reservation_id, table_id)` when a bar is dropped on a lane."""

    move_requested = Signal(str, str)
    bar_selected = Signal(str)  # bar key, "" when none
    scale_changed = Signal()
    ensure_visible = Signal(int)  # y of a lane the keyboard moved to

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Tonight's timeline: tables by time; drag a party to another table to move it")
        self.view: TimelineView | None = None
        self.lanes: list[Lane] = []
        self._lane_of: dict[str, int] = {}
        self._bars_in: list[list[TimelineBar]] = []
        self._bars: dict[str, TimelineBar] = {}
        self._loose_home: dict[str, int] = {}
        self.selected: str | None = None
        self.target: int | None = None  # the lane a selected bar would move to (drag or keys)
        self._press: QPointF | None = None
        self._dragging = False
        self._font = theme.font(12, bold=True)
        self._small = theme.font(11)
        self._gutter_font = theme.font(14, bold=True)
        self._fm = QFontMetrics(self._font)

    # ------------------------------------------------------------------------------------ data

    def set_view(self, view: TimelineView) -> None:
        # Parties with no table yet are packed into as many "No table" lanes as they need, so none hides
        # another: each lane takes the next bar that starts after its last one ends.
        loose = sorted((b for b in view.bars if not b.table_ids and b.status in (S.BOOKED, S.ARRIVED)),
                       key=lambda b: (b.start_min, b.key))
        packed: list[list[TimelineBar]] = []
        for bar in loose:
            lane = next((lb for lb in packed if lb[-1].end_min <= bar.start_min), None)
            if lane is None:
                packed.append([bar])
            else:
                lane.append(bar)
        lanes = [Lane(f"{UNASSIGNED}{i}" if i else UNASSIGNED, "No table" if i == 0 else "", "", 0, 0)
                 for i in range(len(packed))]
        lanes.extend(Lane(r.table_id, r.name, r.seats, r.min_seats, r.max_seats) for r in view.rows)
        lane_of = {lane.key: i for i, lane in enumerate(lanes)}
        bars_in: list[list[TimelineBar]] = [list(lb) for lb in packed] + [[] for _ in view.rows]
        home: dict[str, int] = {}
        for i, lb in enumerate(packed):
            for bar in lb:
                home[bar.key] = i
        for bar in view.bars:
            for key in bar.table_ids:
                i = lane_of.get(key)
                if i is not None:
                    bars_in[i].append(bar)
        for lane_bars in bars_in[len(packed):]:
            lane_bars.sort(key=lambda b: b.start_min)
        resized = len(lanes) != len(self.lanes)
        self.view, self.lanes, self._lane_of, self._bars_in = view, lanes, lane_of, bars_in
        self._loose_home = home
        self._bars = {b.key: b for b in view.bars}
        if self.selected not in self._bars:
            self.selected, self.target = None, None
        if resized:
            self.setFixedHeight(max(ROW_H, len(lanes) * ROW_H))
        self.update()

    def bar(self, key: str) -> TimelineBar | None:
        return self._bars.get(key)

    def lane_index(self, table_id: str) -> int | None:
        return self._lane_of.get(table_id)

    def bars_in_lane(self, table_id: str) -> list[TimelineBar]:
        i = self._lane_of.get(table_id)
        return list(self._bars_in[i]) if i is not None else []

    def conflicts(self, bar: TimelineBar, table_id: str) -> list[TimelineBar]:
        """The bars on `table_id` that overlap `bar`'s time (not finished ones, not the bar itself)."""
        return [
            b for b in self.bars_in_lane(table_id)
            if b.key != bar.key and b.status is not S.FINISHED and b.start_min < bar.end_min and b.end_min > bar.start_min
        ]

    # -------------------------------------------------------------------------------- geometry

    def sizeHint(self) -> QSize:
        return QSize(900, max(ROW_H, len(self.lanes) * ROW_H))

    @property
    def px_per_min(self) -> float:
        minutes = self.view.minutes if self.view is not None else 60.0
        return max(0.1, (self.width() - GUTTER - RIGHT) / max(1.0, minutes))

    def x_of(self, minute: float) -> float:
        return GUTTER + minute * self.px_per_min

    def bar_rect(self, bar: TimelineBar, lane: int) -> QRectF:
        x0 = self.x_of(max(0.0, bar.start_min))
        x1 = self.x_of(min(self.view.minutes if self.view else bar.end_min, bar.end_min))
        return QRectF(x0, lane * ROW_H + 4, max(6.0, x1 - x0 - 2), ROW_H - 8)

    def lane_at(self, y: float) -> int | None:
        i = int(y // ROW_H)
        return i if 0 <= i < len(self.lanes) else None

    def bar_at(self, pos: QPointF) -> TimelineBar | None:
        lane = self.lane_at(pos.y())
        if lane is None or pos.x() < GUTTER:
            return None
        hits = [b for b in self._bars_in[lane] if self.bar_rect(b, lane).contains(pos)]
        return hits[-1] if hits else None

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        self.scale_changed.emit()

    # -------------------------------------------------------------------------------- painting

    def paintEvent(self, event) -> None:  # noqa: ANN001
        p = QPainter(self)
        clip = event.rect().intersected(self.visibleRegion().boundingRect())  # only what the scroll area shows
        w = self.width()
        first = max(0, clip.top() // ROW_H)
        last = min(len(self.lanes) - 1, clip.bottom() // ROW_H)
        p.fillRect(clip, theme.PAPER)
        view = self.view
        if view is None or not self.lanes:
            p.setPen(theme.MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing on the timeline yet")
            p.end()
            return
        ppm = self.px_per_min
        top, bottom = first * ROW_H, (last + 1) * ROW_H
        for i in range(first, last + 1):
            if self.lanes[i].key.startswith(UNASSIGNED):
                p.fillRect(QRectF(0, i * ROW_H, w, ROW_H), LOOSE_LANE)
            elif i % 2:
                p.fillRect(QRectF(0, i * ROW_H, w, ROW_H), ROW_ALT)
        if self.target is not None and first <= self.target <= last and self.selected:
            bar = self._bars.get(self.selected)
            lane = self.lanes[self.target]
            ok = bar is not None and not lane.key.startswith(UNASSIGNED) and lane.min_seats <= bar.party_size <= lane.max_seats \
                and not self.conflicts(bar, lane.key)
            p.fillRect(QRectF(0, self.target * ROW_H, w, ROW_H), DROP_OK if ok else DROP_WARN)
        # hour and half-hour lines
        start = view.start_local
        minute = (60 - start.minute) % 60
        grid = QPen(theme.LINE, 1)
        half = QPen(QColor("#ECEEF2"), 1)
        while minute <= view.minutes:
            x = GUTTER + minute * ppm
            p.setPen(grid if (start + timedelta(minutes=minute)).minute == 0 else half)
            p.drawLine(QPointF(x, top), QPointF(x, bottom))
            minute += 30
        # gutter
        p.fillRect(QRectF(0, top, GUTTER - 6, bottom - top), theme.PAPER)
        p.setPen(QPen(theme.LINE, 1))
        p.drawLine(QPointF(GUTTER - 6, top), QPointF(GUTTER - 6, bottom))
        for i in range(first, last + 1):
            lane = self.lanes[i]
            y = i * ROW_H
            if lane.key.startswith(UNASSIGNED):
                p.setFont(self._font)
                p.setPen(theme.LATE)
                p.drawText(QRectF(10, y, GUTTER - 18, ROW_H), Qt.AlignmentFlag.AlignVCenter, lane.name)
                continue
            p.setFont(self._gutter_font)
            p.setPen(theme.INK)
            p.drawText(QRectF(10, y, 40, ROW_H), Qt.AlignmentFlag.AlignVCenter, lane.name)
            p.setFont(self._small)
            p.setPen(theme.MUTED)
            p.drawText(QRectF(46, y, GUTTER - 54, ROW_H), Qt.AlignmentFlag.AlignVCenter, lane.seats)
        # bars
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(self._font)
        now_x = self.x_of(view.now_min)
        for i in range(first, last + 1):
            for bar in self._bars_in[i]:
                self._paint_bar(p, bar, self.bar_rect(bar, i), now_x)
        # the ghost of a bar being moved
        if self.target is not None and self.selected and first <= self.target <= last:
            bar = self._bars.get(self.selected)
            if bar is not None:
                r = self.bar_rect(bar, self.target)
                p.setPen(QPen(theme.PRIMARY, 2, Qt.PenStyle.DashLine))
                p.setBrush(QColor(31, 111, 235, 40))
                p.drawRoundedRect(r, 6, 6)
                p.setPen(theme.PRIMARY)
                p.drawText(r.adjusted(8, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, bar.label)
        # now
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if GUTTER <= now_x <= w:
            p.setPen(QPen(theme.PRIMARY, 2))
            p.drawLine(QPointF(now_x, top), QPointF(now_x, bottom))
        p.end()

    def _paint_bar(self, p: QPainter, bar: TimelineBar, r: QRectF, now_x: float) -> None:
        fill, border, text = bar_colors(bar)
        selected = bar.key == self.selected
        p.setPen(Qt.PenStyle.NoPen)
        if (bar.status is S.SEATED or bar.status is None) and r.left() < now_x < r.right():
            # what already happened solid; the predicted rest lighter
            p.save()
            p.setClipRect(QRectF(r.left() - 1, r.top() - 1, now_x - r.left() + 1, r.height() + 2))
            p.setBrush(fill)
            p.drawRoundedRect(r, 6, 6)
            p.setClipRect(QRectF(now_x, r.top() - 1, r.right() - now_x + 2, r.height() + 2))
            p.setBrush(_lighter(fill))
            p.drawRoundedRect(r, 6, 6)
            p.restore()
        else:
            p.setBrush(fill)
            p.drawRoundedRect(r, 6, 6)
        pen = QPen(theme.WARNING if bar.over else border, 2 if (bar.over or bar.late) else 1)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if selected:
            p.setPen(QPen(theme.PRIMARY, 3))
            p.drawRoundedRect(r.adjusted(-2, -2, 2, 2), 7, 7)
        if r.width() > 24:
            live = bar.status is S.SEATED or bar.status is None
            p.setPen(text if not live or now_x > r.left() + 60 else theme.INK)
            label = self._fm.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(r.width() - 12))
            p.drawText(r.adjusted(7, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, label)

    # ---------------------------------------------------------------------------------- input

    def select(self, key: str | None) -> None:
        if key is not None and key not in self._bars:
            key = None
        if key != self.selected:
            self.selected = key
            self.target = None
            self.bar_selected.emit(key or "")
            self.update()

    def set_target(self, lane: int | None) -> None:
        if lane != self.target:
            self.target = lane
            self.update()

    def mousePressEvent(self, event) -> None:  # noqa: ANN001
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        bar = self.bar_at(event.position())
        self.select(bar.key if bar else None)
        self._press = event.position() if bar is not None and bar.movable else None
        self._dragging = False
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: ANN001
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if not self._dragging and (pos - self._press).manhattanLength() >= DRAG_START_PX:
                self._dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
            if self._dragging:
                self.set_target(self.lane_at(pos.y()))
            return
        bar = self.bar_at(pos)
        if bar is not None:
            QToolTip.showText(event.globalPosition().toPoint(), bar_words(bar), self)
            self.setCursor(Qt.CursorShape.OpenHandCursor if bar.movable else Qt.CursorShape.ArrowCursor)
        else:
            QToolTip.hideText()
            self.unsetCursor()

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001
        dragging, self._dragging, self._press = self._dragging, False, None
        self.unsetCursor()
        if dragging:
            self._request()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        bar = self._bars.get(self.selected) if self.selected else None
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._step_selection(1 if key == Qt.Key.Key_Right else -1)
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and bar is not None and bar.movable:
            current = self.target if self.target is not None else self._home_lane(bar)
            step = 1 if key == Qt.Key.Key_Down else -1
            lane = current + step
            while 0 <= lane < len(self.lanes) and self.lanes[lane].key.startswith(UNASSIGNED):
                lane += step
            if 0 <= lane < len(self.lanes):
                self.set_target(lane)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.target is not None:
            self._request()
            return
        if key == Qt.Key.Key_Escape and (self.target is not None or self.selected):
            if self.target is not None:
                self.set_target(None)
            else:
                self.select(None)
            return
        super().keyPressEvent(event)

    def _home_lane(self, bar: TimelineBar) -> int:
        if not bar.table_ids:
            return self._loose_home.get(bar.key, 0)
        return self._lane_of.get(bar.table_ids[0], 0)

    def _step_selection(self, step: int) -> None:
        ordered = sorted(
            ((self._home_lane(b), b.start_min, b.key) for b in self._bars.values() if b.status is not S.FINISHED),
        )
        if not ordered:
            return
        keys = [k for _, _, k in ordered]
        if self.selected not in keys:
            self.select(keys[0] if step > 0 else keys[-1])
        else:
            self.select(keys[(keys.index(self.selected) + step) % len(keys)])
        bar = self._bars.get(self.selected or "")
        if bar is not None:
            self.ensure_visible.emit(self._home_lane(bar) * ROW_H)

    def _request(self) -> None:
        bar = self._bars.get(self.selected) if self.selected else None
        lane = self.lanes[self.target] if self.target is not None and self.target < len(self.lanes) else None
        if bar is None or lane is None or lane.key.startswith(UNASSIGNED) or not bar.movable or bar.reservation_id is None:
            self.set_target(None)
            return
        if lane.key in bar.table_ids and len(bar.table_ids) == 1:
            self.set_target(None)
            return
        self.move_requested.emit(bar.reservation_id, lane.key)


class TimelineHeader(QWidget):
    """The hour labels above the canvas, at the canvas's scale."""

    def __init__(self, canvas: TimelineCanvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.setObjectName("timelineHeader")
        self.setFixedHeight(30)
        self._font = theme.font(12, bold=True)
        canvas.scale_changed.connect(self.update)

    def paintEvent(self, _event) -> None:  # noqa: ANN001
        p = QPainter(self)
        p.fillRect(self.rect(), theme.PAPER)
        view = self.canvas.view
        p.setPen(QPen(theme.LINE, 2))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        if view is None:
            p.end()
            return
        p.setFont(self._font)
        offset = self.canvas.mapTo(self.window(), QPointF(0, 0)).x() - self.mapTo(self.window(), QPointF(0, 0)).x()
        ppm = self.canvas.px_per_min
        start = view.start_local
        minute = (60 - start.minute) % 60
        p.setPen(theme.MUTED)
        p.drawText(QRectF(8, 0, GUTTER, self.height()), Qt.AlignmentFlag.AlignVCenter, "Table")
        while minute <= view.minutes:
            x = offset + GUTTER + minute * ppm
            p.drawText(QRectF(x - 30, 0, 60, self.height()), Qt.AlignmentFlag.AlignCenter,
                       hhmm(start + timedelta(minutes=minute)))
            minute += 60
        now_x = offset + GUTTER + view.now_min * ppm
        p.setPen(QPen(theme.PRIMARY, 2))
        p.drawLine(QPointF(now_x, self.height() - 8), QPointF(now_x, self.height()))
        p.end()
