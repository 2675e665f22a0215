"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 did: every repaint
decremented None's count, and a host-stand terminal left running for an evening would abort with
"none_dealloc"). On Python 3.12+ None is immortal and the count never moves, so this passes there."""

from __future__ import annotations

import sys

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from hoststand.ui.floor_plan import FloorPlanView


class _Painted(QWidget):
    def paintEvent(self, event) -> None:  # noqa: ANN001
        p = QPainter(self)
        p.drawLine(0, 0, 10, 10)
        p.end()


def _repaint_many(qapp, widget, target, n: int = 300) -> int:
    widget.resize(300, 200)
    widget.show()
    qapp.processEvents()
    before = sys.getrefcount(None)
    for _ in range(n):
        target.update()
        qapp.processEvents()
    return sys.getrefcount(None) - before


def test_repainting_a_python_widget_does_not_eat_references_to_none(qapp):
    w = _Painted()
    assert _repaint_many(qapp, w, w) > -50  # a leak is one or more per paint: -300 or worse


def test_repainting_the_floor_plan_does_not_eat_references_to_none(qapp):
    v = FloorPlanView()
    assert _repaint_many(qapp, v, v.viewport()) > -50
