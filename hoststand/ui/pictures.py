"""Pictures drawn once and painted many times: a cell, a row, a chart, kept by whoever draws them.

`draw_picture` makes the pixmap at the screen's pixel ratio, fills it with the ground the picture sits on (an
opaque ground keeps text's subpixel antialiasing) and lets `draw` paint it in logical pixels.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap


def draw_picture(
    width: int, height: int, dpr: float, ground: QColor | Qt.GlobalColor, draw: Callable[[QPainter, QRect], None]
) -> QPixmap:
    """A `width` × `height` picture (logical pixels) on `ground`, painted by `draw(painter, rect)`."""
    pm = QPixmap(max(1, round(width * dpr)), max(1, round(height * dpr)))
    pm.setDevicePixelRatio(dpr)
    pm.fill(ground)
    painter = QPainter(pm)
    try:
        draw(painter, QRect(0, 0, width, height))
    finally:
        painter.end()
    return pm
