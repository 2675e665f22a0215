"""A table model of immutable view rows, updated in place by key.

`set_rows` turns a fresh list of rows into the fewest model signals: rows whose key vanished are removed,
survivors are reordered with `layoutChanged` (persistent indexes follow their rows), new ones inserted, and
changed ones reported with one `dataChanged` over the changed range. So the selection and scroll position
survive the refreshes that arrive every few seconds, and a steady-state refresh (the same parties, a minute
later) costs one signal. The columns are declared as `Col`s: what each role shows for a row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hoststand.ui import theme
from hoststand.ui.pictures import draw_picture

R = TypeVar("R")
_Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # its key
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # a comparable value for the column
SUB_ROLE = Qt.ItemDataRole.UserRole + 4  # the cell's second, smaller line ("since 18:33")

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True)
class Col(Generic[R]):
    """One column: its header and what each role shows for a row (None: nothing)."""

    header: str
    text: Callable[[R], str]
    sort: Callable[[R], Any] | None = None
    tip: Callable[[R], str] | None = None
    fg: Callable[[R], QColor | None] | None = None
    bg: Callable[[R], QColor | None] | None = None
    icon: Callable[[R], Any] | None = None  # a QColor, QPixmap or QIcon
    bold: Callable[[R], bool] | bool = False
    align: Qt.AlignmentFlag = LEFT
    accessible: Callable[[R], str] | None = None
    sub: Callable[[R], str] | None = None  # a second, smaller line under the text


class KeyedRowsModel(QAbstractTableModel, Generic[R]):
    def __init__(self, columns: Sequence[Col[R]], key: Callable[[R], Hashable], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = key
        self._rows: list[R] = []
        self._keys: list[Hashable] = []
        self._pos: dict[Hashable, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._font = theme.font(14)
        self._bold = theme.font(14, bold=True)

    # ----------------------------------------------------------------------------------- shape

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(self.columns[section].align)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.columns):
            return None
        row = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == ROW_ROLE:
            return row
        if role == KEY_ROLE:
            return self._keys[index.row()]
        if role == SORT_ROLE:
            return col.sort(row) if col.sort else col.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tip(row) or None if col.tip else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return col.fg(row) if col.fg else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return col.bg(row) if col.bg else None
        if role == Qt.ItemDataRole.DecorationRole:
            return col.icon(row) if col.icon else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align)
        if role == Qt.ItemDataRole.FontRole:
            bold = col.bold(row) if callable(col.bold) else col.bold
            return QFont(self._bold if bold else self._font)
        if role == SUB_ROLE:
            return col.sub(row) if col.sub else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col.accessible:
                return col.accessible(row)
            sub = col.sub(row) if col.sub else ""
            return f"{col.text(row)}, {sub}" if sub else col.text(row)
        return None

    # ----------------------------------------------------------------------------------- rows

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def get(self, key: Hashable) -> R | None:
        i = self._pos.get(key)
        return self._rows[i] if i is not None else None

    def row_of(self, key: Hashable) -> int | None:
        return self._pos.get(key)

    def key_at(self, row: int) -> Hashable | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def set_rows(self, rows: Sequence[R]) -> None:
        rows = list(rows)
        if self._sort is not None:
            rows = self._sorted(rows, *self._sort)
        if len(rows) == len(self._rows) and all(a is b for a, b in zip(rows, self._rows)):
            return  # the very same rows in the same order (a refresh where nothing here changed)
        new_keys = [self._key(r) for r in rows]
        if len(set(new_keys)) != len(new_keys):
            raise ValueError("rows must have distinct keys")
        if not self._rows or not rows:
            self.beginResetModel()
            self._rows, self._keys = rows, new_keys
            self._pos = {k: i for i, k in enumerate(new_keys)}
            self.endResetModel()
            return
        wanted = set(new_keys)
        # 1. rows that went away, in contiguous blocks from the bottom up
        i = len(self._keys) - 1
        while i >= 0:
            if self._keys[i] in wanted:
                i -= 1
                continue
            j = i
            while j > 0 and self._keys[j - 1] not in wanted:
                j -= 1
            self.beginRemoveRows(QModelIndex(), j, i)
            del self._rows[j : i + 1]
            del self._keys[j : i + 1]
            self.endRemoveRows()
            i = j - 1
        # 2. survivors into their new relative order
        have = set(self._keys)
        survivors = [k for k in new_keys if k in have]
        if survivors != self._keys:
            self.layoutAboutToBeChanged.emit()
            old_keys = self._keys
            by_key = dict(zip(self._keys, self._rows, strict=True))
            self._keys = survivors
            self._rows = [by_key[k] for k in survivors]
            new_pos = {k: n for n, k in enumerate(survivors)}
            for idx in self.persistentIndexList():
                if idx.isValid() and idx.row() < len(old_keys):
                    self.changePersistentIndex(idx, self.index(new_pos[old_keys[idx.row()]], idx.column()))
            self.layoutChanged.emit()
        # 3. new rows where they belong
        for n, k in enumerate(new_keys):
            if n >= len(self._keys) or self._keys[n] != k:
                self.beginInsertRows(QModelIndex(), n, n)
                self._keys.insert(n, k)
                self._rows.insert(n, rows[n])
                self.endInsertRows()
        self._pos = {k: n for n, k in enumerate(self._keys)}
        # 4. what changed in place
        first = last = None
        for n, row in enumerate(rows):
            if self._rows[n] is not row and self._rows[n] != row:
                self._rows[n] = row
                first = n if first is None else first
                last = n
        if first is not None:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    def clear(self) -> None:
        self.set_rows([])

    def touch(self, column: int | None = None) -> None:
        """Say that what the rows show changed without the rows changing (a timer moved on)."""
        if self._rows:
            first = 0 if column is None else column
            last = len(self.columns) - 1 if column is None else column
            self.dataChanged.emit(self.index(0, first), self.index(len(self._rows) - 1, last))

    # ----------------------------------------------------------------------------------- sorting

    @property
    def sort_column(self) -> int | None:
        """The column the rows are sorted by (the header was clicked), or None: kept as given."""
        return self._sort[0] if self._sort else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            self._sort = None
            return
        self._sort = (column, order)
        self.set_rows(list(self._rows))

    def _sorted(self, rows: list[R], column: int, order: Qt.SortOrder) -> list[R]:
        col = self.columns[column]
        key = col.sort or col.text
        return sorted(rows, key=lambda r: _Sortable(key(r)), reverse=order == Qt.SortOrder.DescendingOrder)


class _Sortable:
    """Orders values of mixed or missing types: None last, then by value."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Sortable) -> bool:
        a, b = self.v, other.v
        if a is None or b is None:
            return a is not None and b is None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class TwoLineDelegate(QStyledItemDelegate):
    """Cells with a main line and, when the column has one (`Col.sub`), a smaller muted line under it:
    "119 min" over "since 18:33". Background, colour, boldness and a swatch come from the column.

    Over a `KeyedRowsModel` it reads the row and the column directly (no round trip per role) and keeps each
    cell's picture (by row, column, size and selection) in a small cache: a refresh that changed nothing
    repaints from pictures, and only the cells whose row changed are drawn again."""

    CACHE = 512

    def __init__(self, parent: QObject | None = None, *, size: int = 14, sub_size: int = 12) -> None:
        super().__init__(parent)
        self._font = theme.font(size)
        self._bold = theme.font(size, bold=True)
        self._sub = theme.font(sub_size)
        self._cache: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._cells: dict[tuple[int, int], tuple[Any, Col, _Cell]] = {}  # by row and column object: what it shows
        self._line = QColor("#EDEFF3")
        self._selected = QColor("#E2ECFD")

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), max(base.height(), 44))

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        r: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        model = index.model()
        if isinstance(model, KeyedRowsModel):
            pm = self.picture(model.row_at(index.row()), model.columns[index.column()], r.width(), r.height(),
                              selected, dpr)
        else:
            pm = self._picture(_Cell.from_index(index), r.width(), r.height(), selected, dpr)
        p.drawPixmap(r.topLeft(), pm)

    def picture(self, row: Any, col: Col, width: int, height: int, selected: bool, dpr: float) -> QPixmap:
        """The picture of `row`'s cell in column `col` (see `RowsView`, which draws rows from these)."""
        seen = self._cells.get((id(row), id(col)))
        if seen is not None and seen[0] is row and seen[1] is col:
            cell = seen[2]
        else:
            cell = _Cell.of(row, col)
            if len(self._cells) >= 4 * self.CACHE:
                self._cells.clear()
            self._cells[(id(row), id(col))] = (row, col, cell)
        return self._picture(cell, width, height, selected, dpr)

    def _picture(self, cell: _Cell, width: int, height: int, selected: bool, dpr: float) -> QPixmap:
        key = (cell, width, height, selected, dpr)
        pm = self._cache.get(key)
        if pm is not None:
            self._cache.move_to_end(key)
            return pm
        pm = draw_picture(width, height, dpr, self._selected if selected else (cell.bg or theme.PAPER),
                          lambda p, r: self._draw(p, r, cell))
        self._cache[key] = pm
        if len(self._cache) > self.CACHE:
            self._cache.popitem(last=False)
        return pm

    def _draw(self, p: QPainter, r: QRect, cell: _Cell) -> None:
        p.setPen(self._line)
        p.drawLine(r.left(), r.bottom(), r.right(), r.bottom())
        x = r.left() + 8
        if isinstance(cell.icon, QPixmap) and not cell.icon.isNull():
            top = r.top() + 10 if cell.sub else r.top() + (r.height() - cell.icon.height()) // 2
            p.drawPixmap(x, top, cell.icon)
            x += cell.icon.width() + 8
        width = r.right() - x - 8
        halign = cell.align & Qt.AlignmentFlag.AlignHorizontal_Mask
        p.setFont(self._bold if cell.bold else self._font)
        p.setPen(cell.fg if isinstance(cell.fg, QColor) else theme.INK)
        main = p.fontMetrics().elidedText(cell.text, Qt.TextElideMode.ElideRight, width)
        if cell.sub:
            p.drawText(QRect(x, r.top() + 4, width, r.height() // 2), halign | Qt.AlignmentFlag.AlignBottom, main)
            p.setFont(self._sub)
            p.setPen(theme.MUTED)
            small = p.fontMetrics().elidedText(cell.sub, Qt.TextElideMode.ElideRight, width)
            p.drawText(QRect(x, r.top() + r.height() // 2 + 2, width, r.height() // 2 - 4),
                       halign | Qt.AlignmentFlag.AlignTop, small)
        else:
            p.drawText(QRect(x, r.top(), width, r.height()), halign | Qt.AlignmentFlag.AlignVCenter, main)


@dataclass(frozen=True)
class _Cell:
    """What one cell shows: also the key of its cached picture."""

    text: str
    sub: str
    fg: QColor | None
    bg: QColor | None
    bold: bool
    align: Qt.AlignmentFlag
    icon: Any

    def __post_init__(self) -> None:
        # computed once: a cell is looked up in the picture cache every time it is drawn
        object.__setattr__(self, "_hash", hash((
            self.text, self.sub, self.fg.rgba() if self.fg else None, self.bg.rgba() if self.bg else None,
            self.bold, int(self.align), self.icon.cacheKey() if isinstance(self.icon, QPixmap) else None)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Cell) and self._hash == other._hash and self.text == other.text \
            and self.sub == other.sub  # type: ignore[attr-defined]

    @staticmethod
    def of(row: Any, col: Col) -> _Cell:
        return _Cell(
            text=col.text(row),
            sub=col.sub(row) if col.sub else "",
            fg=col.fg(row) if col.fg else None,
            bg=col.bg(row) if col.bg else None,
            bold=col.bold(row) if callable(col.bold) else col.bold,
            align=col.align,
            icon=col.icon(row) if col.icon else None,
        )

    @staticmethod
    def from_index(index: QModelIndex) -> _Cell:
        font = index.data(Qt.ItemDataRole.FontRole)
        align = index.data(Qt.ItemDataRole.TextAlignmentRole)
        fg = index.data(Qt.ItemDataRole.ForegroundRole)
        bg = index.data(Qt.ItemDataRole.BackgroundRole)
        return _Cell(
            text=index.data(Qt.ItemDataRole.DisplayRole) or "",
            sub=index.data(SUB_ROLE) or "",
            fg=fg if isinstance(fg, QColor) else None,
            bg=bg if isinstance(bg, QColor) else None,
            bold=isinstance(font, QFont) and font.bold(),
            align=Qt.AlignmentFlag(int(align)) if align is not None else LEFT,
            icon=index.data(Qt.ItemDataRole.DecorationRole),
        )
