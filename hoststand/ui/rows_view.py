"""A table view that draws its visible rows itself, from each cell's remembered picture.

QTableView paints one cell at a time: for every visible cell it builds a style option, asks the model for the
cell's index and flags and calls the delegate, each a crossing into Python under PySide6 (some 30 µs a cell,
about 5 ms for the pacing page's table of 9 rows by 7 columns). Over a `KeyedRowsModel`, and with a delegate
that hands over a cell's picture (`CellPictures`, e.g. `TwoLineDelegate`), `RowsView` paints the exposed part
of its viewport in one loop instead: one `drawPixmap` per visible cell, the pictures drawn once and kept by the
delegate. The header, selection, keys, scrolling, tooltips and accessibility stay QTableView's own; with any
other model or delegate, or with the grid shown, it paints as QTableView does.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QTableView

from hoststand.ui.keyed_model import Col, KeyedRowsModel


class CellPictures(Protocol):
    def picture(self, row: Any, col: Col, width: int, height: int, selected: bool, dpr: float) -> QPixmap:
        """The picture of one cell of `row` in column `col`, `width` × `height` logical pixels."""
        ...


class RowsView(QTableView):
    """A QTableView over a `KeyedRowsModel` whose delegate is `CellPictures`: rows drawn a picture per cell."""

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        picture = getattr(self.itemDelegate(), "picture", None)
        if not isinstance(model, KeyedRowsModel) or picture is None or self.showGrid():
            super().paintEvent(event)
            return
        count = model.rowCount()
        area = event.rect()
        first = self.rowAt(area.top())
        if count == 0 or first < 0:
            return  # nothing under the exposed area: the viewport's own background shows
        last = self.rowAt(area.bottom())
        last = count - 1 if last < 0 else last
        header = self.horizontalHeader()
        left, right = area.left(), area.right()
        columns = []
        for c, col in enumerate(model.columns):
            if header.isSectionHidden(c):
                continue
            x, w = self.columnViewportPosition(c), self.columnWidth(c)
            if w > 0 and x + w > left and x <= right:
                columns.append((x, w, col))
        selected = _selected_rows(self)
        dpr = self.viewport().devicePixelRatioF()
        p = QPainter(self.viewport())
        for r in range(first, last + 1):
            y, h = self.rowViewportPosition(r), self.rowHeight(r)
            row = model.row_at(r)
            on = r in selected
            for x, w, col in columns:
                p.drawPixmap(x, y, picture(row, col, w, h, on, dpr))
        p.end()


def _selected_rows(view: QTableView) -> set[int]:
    """The rows the selection touches, from its ranges (`isRowSelected` asks the model for every cell's flags)."""
    selection = view.selectionModel()
    if selection is None:
        return set()
    rows: set[int] = set()
    for span in selection.selection():
        rows.update(range(span.top(), span.bottom() + 1))
    return rows
