"""Covers per 15-minute slot tonight, drawn with QPainter (QtCharts is not in PySide6-Essentials).

Three bars per slot: booked (an outline: what the book promised), seated (the host's count) and rung in (the
POS's count). Past slots are drawn full, future ones lighter; a thin line marks now. Hour labels under the
axis, a few gridlines with their values at the left, a legend at the top right. Hovering a slot shows its
figures in a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from hoststand.domain.model import TableState
from hoststand.services.pacing import CoverSlotView, hhmm
from hoststand.ui import theme
from hoststand.ui.pictures import draw_picture

BOOKED = theme.MUTED
SEATED = theme.TABLE_STATES[TableState.SEATED].fill
RUNG_IN = theme.TABLE_STATES[TableState.PAID].fill
SERIES = (("Booked", BOOKED), ("Seated", SEATED), ("Rung in", RUNG_IN))

_LEFT = 34  # room for the axis values
_BOTTOM = 22  # room for the hour labels
_TOP = 26  # room for the legend


def nice_step(top: int) -> int:
    """A gridline step that gives three or four lines up to `top`: 1, 2, 5, 10, 20, 50, …"""
    target = max(1, top) / 3.5
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= target:
                return step * m
        step *= 10


class CoverChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coverChart")
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self._slots: tuple[CoverSlotView, ...] = ()
        self._top = 1
        self._font = theme.font(11)
        self._bold = theme.font(11, bold=True)
        self.setAccessibleName("Covers per 15 minutes: booked, seated and rung in")
        self._picture: tuple[tuple, QPixmap] | None = None

    def sizeHint(self) -> QSize:
        return QSize(600, 190)

    def set_slots(self, slots: Sequence[CoverSlotView]) -> None:
        slots = tuple(slots)
        if slots == self._slots:
            return
        self._slots = slots
        self._top = max([1, *(max(s.booked, s.seated, s.rung_in) for s in slots)])
        self.update()

    def slots(self) -> tuple[CoverSlotView, ...]:
        return self._slots

    # ------------------------------------------------------------------------------------ geometry

    def _plot(self) -> QRectF:
        return QRectF(_LEFT, _TOP, max(10, self.width() - _LEFT - 8), max(10, self.height() - _TOP - _BOTTOM))

    def slot_at(self, x: float) -> int | None:
        plot = self._plot()
        if not self._slots or not plot.left() <= x < plot.right():
            return None
        return min(len(self._slots) - 1, int((x - plot.left()) / (plot.width() / len(self._slots))))

    # ------------------------------------------------------------------------------------ painting

    def paintEvent(self, _event) -> None:  # noqa: ANN001
        """Drawn once per (slots, size) into a picture; repaints in between copy the picture."""
        dpr = self.devicePixelRatioF()
        key = (self._slots, self.width(), self.height(), dpr)
        if self._picture is None or self._picture[0] != key:
            pm = draw_picture(self.width(), self.height(), dpr, Qt.GlobalColor.transparent, lambda p, _r: self._draw(p))
            self._picture = (key, pm)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._picture[1])
        p.end()

    def _draw(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        plot = self._plot()
        step = nice_step(self._top)
        top = max(step, ((self._top + step - 1) // step) * step)
        scale = plot.height() / top

        p.setFont(self._font)
        grid = QPen(theme.LINE, 1)
        for value in range(0, top + 1, step):
            y = plot.bottom() - value * scale
            p.setPen(grid if value else QPen(theme.MUTED, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(theme.MUTED)
            p.drawText(QRectF(0, y - 8, _LEFT - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       str(value))

        n = len(self._slots)
        if n:
            width = plot.width() / n
            bar = max(1.0, min(9.0, (width - 3) / 3))
            for i, slot in enumerate(self._slots):
                x0 = plot.left() + i * width + (width - 3 * bar) / 2
                if slot.now:
                    p.fillRect(QRectF(plot.left() + i * width, plot.top(), width, plot.height()), QColor(31, 111, 235, 22))
                for j, (value, color) in enumerate(((slot.booked, BOOKED), (slot.seated, SEATED), (slot.rung_in, RUNG_IN))):
                    if value <= 0:
                        continue
                    h = value * scale
                    r = QRectF(x0 + j * bar, plot.bottom() - h, bar - 1, h)
                    if j == 0:  # booked: an outline, what was promised
                        p.setPen(QPen(color, 1))
                        p.setBrush(QColor(color.red(), color.green(), color.blue(), 40))
                        p.drawRect(r.adjusted(0, 0, -1, 0))
                    else:
                        c = QColor(color)
                        if not slot.past and not slot.now:
                            c.setAlpha(120)
                        p.fillRect(r, c)
                if slot.start_local.minute == 0:
                    x = plot.left() + i * width
                    p.setPen(theme.MUTED)
                    p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
                    p.drawText(QRectF(x - 30, plot.bottom() + 4, 60, _BOTTOM - 4), Qt.AlignmentFlag.AlignHCenter,
                               hhmm(slot.start_local))
            now_i = next((i for i, s in enumerate(self._slots) if s.now), None)
            if now_i is not None:
                x = plot.left() + (now_i + 0.5) * width
                p.setPen(QPen(theme.PRIMARY, 2))
                p.drawLine(QPointF(x, plot.top() - 4), QPointF(x, plot.bottom()))
        else:
            p.setPen(theme.MUTED)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No covers tonight yet")

        # legend
        p.setFont(self._bold)
        fm = p.fontMetrics()
        x = self.width() - 8
        for label, color in reversed(SERIES):
            w = fm.horizontalAdvance(label)
            x -= w
            p.setPen(theme.INK)
            p.drawText(QRectF(x, 2, w + 2, 18), Qt.AlignmentFlag.AlignVCenter, label)
            x -= 16
            if label == "Booked":
                p.setPen(QPen(color, 1))
                p.setBrush(QColor(color.red(), color.green(), color.blue(), 40))
                p.drawRect(QRectF(x, 5, 11, 11))
            else:
                p.fillRect(QRectF(x, 5, 12, 12), color)
            x -= 14

    def mouseMoveEvent(self, event) -> None:  # noqa: ANN001
        i = self.slot_at(event.position().x())
        if i is None:
            QToolTip.hideText()
            return
        s = self._slots[i]
        QToolTip.showText(
            event.globalPosition().toPoint(),
            f"{s.start_local:%H:%M}–{s.start_local + timedelta(minutes=15):%H:%M}\n"
            f"Booked {s.booked} · Seated {s.seated} · Rung in {s.rung_in}",
            self,
        )
