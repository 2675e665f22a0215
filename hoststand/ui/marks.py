"""Small marks drawn with QPainter: allergy (severe: ringed), occasion (a cake), VIP (a star), pending (a
clock: on its way to a vendor) and warning. Shared by the list, the floor plan and the details panel, so a
mark means the same thing everywhere. No emoji font is needed.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from hoststand.ui import theme

ALLERGY = "allergy"
ALLERGY_SEVERE = "allergy_severe"
OCCASION = "occasion"
VIP = "vip"
PENDING = "pending"
WARNING = "warning"

KINDS = (ALLERGY_SEVERE, ALLERGY, OCCASION, VIP, PENDING, WARNING)

TOOLTIPS = {
    ALLERGY: "Allergy",
    ALLERGY_SEVERE: "Severe allergy",
    OCCASION: "Occasion",
    VIP: "VIP",
    PENDING: "Waiting to reach the POS or booking platform",
    WARNING: "Warning",
}


def _exclamation(p: QPainter, r: QRectF, color: QColor) -> None:
    w = r.width()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    bar = QRectF(r.center().x() - w * 0.075, r.top() + r.height() * 0.2, w * 0.15, r.height() * 0.38)
    p.drawRoundedRect(bar, w * 0.05, w * 0.05)
    d = w * 0.16
    p.drawEllipse(QPointF(r.center().x(), r.top() + r.height() * 0.74), d / 2, d / 2)


def _star(r: QRectF) -> QPolygonF:
    c = r.center()
    outer = min(r.width(), r.height()) / 2
    inner = outer * 0.45
    pts = []
    for i in range(10):
        rad = outer if i % 2 == 0 else inner
        a = -math.pi / 2 + i * math.pi / 5
        pts.append(QPointF(c.x() + rad * math.cos(a), c.y() + rad * math.sin(a) + outer * 0.06))
    return QPolygonF(pts)


def paint_mark(p: QPainter, kind: str, rect: QRectF) -> None:
    """Draw mark `kind` inside `rect` (square works best)."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    s = min(rect.width(), rect.height())
    r = QRectF(0, 0, s, s)
    r.moveCenter(rect.center())
    if kind in (ALLERGY, ALLERGY_SEVERE):
        p.setPen(Qt.PenStyle.NoPen)
        if kind == ALLERGY_SEVERE:
            p.setBrush(theme.ALLERGY)
            p.drawEllipse(r)
            inner = r.adjusted(s * 0.12, s * 0.12, -s * 0.12, -s * 0.12)
            p.setPen(QPen(QColor("white"), max(1.0, s * 0.07)))
            p.drawEllipse(inner)
        else:
            p.setBrush(theme.ALLERGY)
            p.drawEllipse(r)
        _exclamation(p, r, QColor("white"))
    elif kind == OCCASION:
        c = theme.OCCASION
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        base = QRectF(r.left() + s * 0.12, r.top() + s * 0.5, s * 0.76, s * 0.4)
        p.drawRoundedRect(base, s * 0.06, s * 0.06)
        p.setBrush(c.lighter(135))
        p.drawRect(QRectF(base.left(), base.top() + base.height() * 0.35, base.width(), base.height() * 0.18))
        p.setBrush(c)
        p.drawRect(QRectF(r.center().x() - s * 0.04, r.top() + s * 0.28, s * 0.08, s * 0.22))
        p.setBrush(QColor("#F59F00"))
        flame = QPainterPath()
        fx, fy = r.center().x(), r.top() + s * 0.06
        flame.moveTo(fx, fy)
        flame.cubicTo(fx + s * 0.12, fy + s * 0.12, fx + s * 0.07, fy + s * 0.22, fx, fy + s * 0.22)
        flame.cubicTo(fx - s * 0.07, fy + s * 0.22, fx - s * 0.12, fy + s * 0.12, fx, fy)
        p.drawPath(flame)
    elif kind == VIP:
        p.setPen(QPen(theme.VIP.darker(120), max(0.8, s * 0.05)))
        p.setBrush(theme.VIP)
        p.drawPolygon(_star(r))
    elif kind == PENDING:
        c = theme.PENDING
        p.setPen(QPen(c, max(1.0, s * 0.1)))
        p.setBrush(QColor("white"))
        inner = r.adjusted(s * 0.08, s * 0.08, -s * 0.08, -s * 0.08)
        p.drawEllipse(inner)
        pen = QPen(c, max(1.0, s * 0.1))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        ctr = r.center()
        p.drawLine(ctr, QPointF(ctr.x(), inner.top() + s * 0.18))
        p.drawLine(ctr, QPointF(inner.right() - s * 0.2, ctr.y()))
    elif kind == WARNING:
        tri = QPolygonF(
            [QPointF(r.center().x(), r.top() + s * 0.05), QPointF(r.right(), r.bottom() - s * 0.08),
             QPointF(r.left(), r.bottom() - s * 0.08)]
        )
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.WARNING)
        p.drawPolygon(tri)
        _exclamation(p, r.adjusted(0, s * 0.12, 0, 0), QColor("white"))
    p.restore()


_pixmaps: dict[tuple[str, int, float], QPixmap] = {}


def mark_pixmap(kind: str, size: int, dpr: float = 1.0) -> QPixmap:
    """Mark `kind` as a transparent pixmap of `size` logical pixels (cached)."""
    key = (kind, size, dpr)
    pm = _pixmaps.get(key)
    if pm is None:
        pm = QPixmap(round(size * dpr), round(size * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        paint_mark(p, kind, QRectF(0, 0, size, size))
        p.end()
        _pixmaps[key] = pm
    return pm

