"""Tonight's reservations as a Qt table model, and the proxy that searches and filters it.

`ReservationTableModel` holds `ReservationRow`s and is updated in place by reservation id (rows inserted,
removed, or changed with `dataChanged`), never reset on a refresh, so the host's selection survives the
refreshes that arrive every few seconds. `ReservationFilterProxy` does search-as-you-type by name or
phone (best match first: "smi" puts Smith on top) and the status filter.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from hoststand.domain.model import ReservationStatus
from hoststand.domain.phone import format_phone
from hoststand.domain.search import fold, search_score
from hoststand.services.views import ReservationRow
from hoststand.ui import marks, theme

S = ReservationStatus
_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    TIME = 0
    NAME = 1
    PARTY = 2
    STATUS = 3
    TABLE = 4
    NOTES = 5


HEADERS = {
    Column.TIME: "Time",
    Column.NAME: "Name",
    Column.PARTY: "Party",
    Column.STATUS: "Status",
    Column.TABLE: "Table",
    Column.NOTES: "Notes",
}

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the ReservationRow
ID_ROLE = Qt.ItemDataRole.UserRole + 2  # its id
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # a comparable key for the column
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4  # ReservationStatus
MARKS_ROLE = Qt.ItemDataRole.UserRole + 5  # tuple of mark kinds (see ui/marks.py)

_COLUMNS = len(Column)
_STATUS_ORDER = {S.ARRIVED: 0, S.BOOKED: 1, S.SEATED: 2, S.FINISHED: 3, S.NO_SHOW: 4, S.CANCELLED: 5}
_CLOSED = (S.FINISHED, S.CANCELLED, S.NO_SHOW)


def is_vip(row_vip_tier: str | None) -> bool:
    return bool(row_vip_tier) and row_vip_tier != "Regular"


def status_text(row: ReservationRow) -> str:
    """The status as the host reads it: "Late 12 min", "Waiting", "Seated 42 min"."""
    if row.status is S.BOOKED and row.minutes_late > 0:
        return f"Late {row.minutes_late} min"
    if row.status is S.SEATED and row.seated_minutes is not None:
        return f"Seated {row.seated_minutes} min"
    return theme.STATUS_LABELS[row.status]


def row_marks(row: ReservationRow) -> tuple[str, ...]:
    out: list[str] = []
    if row.has_allergy:
        out.append(marks.ALLERGY_SEVERE if row.severe_allergy else marks.ALLERGY)
    if row.occasion:
        out.append(marks.OCCASION)
    if is_vip(row.vip_tier):
        out.append(marks.VIP)
    if row.pending:
        out.append(marks.PENDING)
    return tuple(out)


def notes_words(row: ReservationRow) -> str:
    """The marks in plain words (tooltips, screen readers)."""
    parts = []
    if row.has_allergy:
        labels = ", ".join(a.label for a in row.allergens)
        head = "SEVERE ALLERGY" if row.severe_allergy else "Allergy"
        text = f"{head}: {labels}" if labels else head
        if row.allergy_words:
            text += f" — “{row.allergy_words}”"
        parts.append(text)
    if row.occasion:
        parts.append(row.occasion)
    if is_vip(row.vip_tier):
        parts.append(str(row.vip_tier))
    if row.pending:
        parts.append("Sending to the POS / booking platform")
    return "\n".join(parts)


class ReservationTableModel(QAbstractTableModel):
    """Rows of `ReservationRow`, kept in the order they first arrived; the proxy sorts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReservationRow] = []
        self._pos: dict[str, int] = {}
        # The model keeps its rows sorted itself (one C-level list.sort), so the proxy never has to call
        # back into Python thousands of times to sort a big list: it only filters, and ranks while searching.
        self._sort_column = Column.TIME
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._sort_keys: dict[str, tuple] = {}  # by id: (the row, its sort key) for the column in `_sort_keys_of`
        self._sort_keys_of: Column | None = None

    # ------------------------------------------------------------------------------- structure

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[Column(section)]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return cell_alignment(Column(section))
        return None

    # ------------------------------------------------------------------------------------ data

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, col)
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return row.id
        if role == STATUS_ROLE:
            return row.status
        if role == MARKS_ROLE:
            return row_marks(row)
        if role == SORT_ROLE:
            return _sort_key(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, col)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return cell_text(row, col) or notes_words(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return cell_alignment(col)
        if role == Qt.ItemDataRole.FontRole:
            return cell_font(col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return cell_foreground(row, col)
        return None

    # ------------------------------------------------------------------------------- updating

    def set_rows(self, rows: list[ReservationRow]) -> None:
        """Bring the model to `rows`: remove the gone, update the changed, append the new (by id)."""
        wanted = {r.id: r for r in rows}
        gone = [i for i, r in enumerate(self._rows) if r.id not in wanted]
        for start, end in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._rows[start : end + 1]
            self.endRemoveRows()
        changed: list[int] = []
        for i, old in enumerate(self._rows):
            new = wanted[old.id]
            if new is not old and new != old:  # (an unchanged row is usually the very same object)
                self._rows[i] = new
                changed.append(i)
        last_col = len(Column) - 1
        for start, end in _runs(changed):
            self.dataChanged.emit(self.index(start, 0), self.index(end, last_col))
        known = {r.id for r in self._rows}
        fresh = [r for r in rows if r.id not in known]
        in_order = False
        if fresh:
            if not self._rows:  # the first rows go in already in order: no re-sort, no layout change after
                fresh, in_order = self._sorted(fresh), True
            n = len(self._rows)
            self.beginInsertRows(QModelIndex(), n, n + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()
        self._pos = {r.id: i for i, r in enumerate(self._rows)}
        if changed or (fresh and not in_order):
            self._resort()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = Column(column) if 0 <= column < _COLUMNS else Column.TIME
        self._sort_order = order
        self._resort()

    def _sorted(self, rows: list[ReservationRow]) -> list[ReservationRow]:
        """`rows` in the model's sort order (each row's key made once, then remembered while the row is the same)."""
        col = self._sort_column
        if self._sort_keys_of != col:
            self._sort_keys, self._sort_keys_of = {}, col
        keys = self._sort_keys

        def key(r: ReservationRow) -> tuple:
            seen = keys.get(r.id)
            if seen is None or seen[0] is not r:  # a new or changed row
                at = r.time_local.timestamp()
                seen = keys[r.id] = (r, (at if col == Column.TIME else _sort_key(r, col), at, fold(r.name), r.id))
            return seen[1]

        return sorted(rows, key=key, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def _resort(self) -> None:
        """Put the rows in sort order with a layout change, keeping persistent indexes (the selection)."""
        ordered = self._sorted(self._rows)
        if len(self._sort_keys) > len(self._rows):  # forget the keys of rows gone
            self._sort_keys = {r.id: self._sort_keys[r.id] for r in self._rows}
        if all(a is b for a, b in zip(ordered, self._rows)):
            return
        self.layoutAboutToBeChanged.emit()
        old = self._rows
        self._rows = ordered
        self._pos = {r.id: i for i, r in enumerate(self._rows)}
        persistent = self.persistentIndexList()
        moved = [
            self.index(self._pos[old[p.row()].id], p.column()) if 0 <= p.row() < len(old) else QModelIndex()
            for p in persistent
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    # ------------------------------------------------------------------------------- look-ups

    def rows(self) -> list[ReservationRow]:
        return list(self._rows)


    def row_at(self, row: int) -> ReservationRow:
        return self._rows[row]

    def row_for_id(self, reservation_id: str) -> int:
        """The row of `reservation_id`, or -1."""
        return self._pos.get(reservation_id, -1)

    def index_for_id(self, reservation_id: str, column: int = 0) -> QModelIndex:
        row = self.row_for_id(reservation_id)
        return self.index(row, column) if row >= 0 else QModelIndex()

    def get(self, reservation_id: str) -> ReservationRow | None:
        row = self.row_for_id(reservation_id)
        return self._rows[row] if row >= 0 else None


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] → [(1, 3), (7, 8)] (ascending)."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def cell_font(col: Column) -> QFont | None:
    """The font of a column's cells (None: the view's)."""
    if col == Column.NAME:
        return theme.font(15, bold=True)
    if col == Column.TIME:
        return theme.font(15)
    return None


def cell_foreground(row: ReservationRow, col: Column) -> QColor | None:
    """The colour of a cell's text (None: the palette's): closed parties muted, a late party's time in amber."""
    if row.status in _CLOSED:
        return theme.MUTED
    if col == Column.TIME and row.minutes_late > 0 and row.status is S.BOOKED:
        return theme.LATE
    return None


def cell_text(row: ReservationRow, col: Column) -> str:
    """What a cell says (its DisplayRole)."""
    if col == Column.TIME:
        return row.time_local.strftime("%H:%M")
    if col == Column.NAME:
        return row.name
    if col == Column.PARTY:
        return str(row.party_size)
    if col == Column.STATUS:
        return status_text(row)
    if col == Column.TABLE:
        return row.table_label or "—"
    return notes_words(row).replace("\n", " · ")


def _sort_key(row: ReservationRow, col: Column):
    if col == Column.TIME:
        return row.time_local.timestamp()
    if col == Column.NAME:
        return fold(row.name)
    if col == Column.PARTY:
        return row.party_size
    if col == Column.STATUS:
        return _STATUS_ORDER[row.status]
    if col == Column.TABLE:
        head = row.table_label.split("+")[0]
        return f"{int(head):06d}" if head.isdigit() else (head or "~")
    return len(row_marks(row))


def _tooltip(row: ReservationRow, col: Column) -> str | None:
    if col == Column.NOTES:
        return notes_words(row) or None
    if col == Column.NAME:
        lines = [row.name]
        if row.phone:
            lines.append(format_phone(row.phone))
        if row.guest_request:
            lines.append(f"“{row.guest_request}”")
        return "\n".join(lines)
    return None


def cell_alignment(col: Column) -> int:
    if col in (Column.PARTY, Column.TABLE):
        return int(Qt.AlignmentFlag.AlignCenter)
    return int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)


class StatusFilter(StrEnum):
    ALL = "all"
    UPCOMING = "upcoming"
    ARRIVED = "arrived"
    SEATED = "seated"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _FILTER_LABELS[self]

    def accepts(self, status: ReservationStatus) -> bool:
        return self is StatusFilter.ALL or status in _FILTER_STATUSES[self]


_FILTER_LABELS = {
    StatusFilter.ALL: "All",
    StatusFilter.UPCOMING: "Upcoming",
    StatusFilter.ARRIVED: "Arrived",
    StatusFilter.SEATED: "Seated",
    StatusFilter.DONE: "Done",
    StatusFilter.CANCELLED: "Cancelled & no-show",
}
_FILTER_STATUSES = {
    StatusFilter.UPCOMING: (S.BOOKED,),
    StatusFilter.ARRIVED: (S.ARRIVED,),
    StatusFilter.SEATED: (S.SEATED,),
    StatusFilter.DONE: (S.FINISHED,),
    StatusFilter.CANCELLED: (S.CANCELLED, S.NO_SHOW),
}


class ReservationFilterProxy(QSortFilterProxyModel):
    """Search by name or phone (typos forgiven, best match first) and filter by status.

    Without a search the rows sort by the chosen column (time by default); while searching, the best
    match comes first whatever the column, ties in time order.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._query = ""
        self._status = StatusFilter.ALL
        self._scores: dict[tuple[str, str | None], float] = {}
        self._column = Column.TIME
        self._order = Qt.SortOrder.AscendingOrder
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        super().sort(-1)  # keep the source's order (it sorts itself) until a search ranks the matches

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: the source model re-sorts; the proxy keeps its order unless a search ranks it."""
        self._column, self._order = (Column(column) if 0 <= column < _COLUMNS else Column.TIME), order
        model = self.sourceModel()
        if isinstance(model, ReservationTableModel):
            model.sort(self._column, order)
        self._apply_ranking()

    def sort_column_chosen(self) -> Column:
        return self._column

    def _apply_ranking(self) -> None:
        if self._query:
            super().sort(0, Qt.SortOrder.AscendingOrder)  # lessThan ranks by score, then source order
        else:
            super().sort(-1)

    def search_text(self) -> str:
        return self._query

    def set_search_text(self, text: str) -> None:
        text = text.strip()
        if text == self._query:
            return
        self._query = text
        self._scores.clear()
        self.invalidate()
        self._apply_ranking()

    def status_filter(self) -> StatusFilter:
        return self._status

    def set_status_filter(self, value: StatusFilter) -> None:
        value = StatusFilter(value)
        if value is self._status:
            return
        self._status = value
        self.invalidate()

    def score(self, row: ReservationRow) -> float:
        """How well the current search matches `row` (100 without a search)."""
        if not self._query:
            return 100.0
        key = (row.name, row.phone)
        found = self._scores.get(key)
        if found is None:
            found = self._scores[key] = search_score(self._query, row.name, row.phone)
        return found

    def _row(self, source_row: int) -> ReservationRow | None:
        model = self.sourceModel()
        if not isinstance(model, ReservationTableModel) or not (0 <= source_row < model.rowCount()):
            return None
        return model.row_at(source_row)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        row = self._row(source_row)
        if row is None:
            return False
        if not self._query:  # (called for every row a pull brings: the short way when nothing is searched)
            return self._status.accepts(row.status)
        return self._status.accepts(row.status) and self.score(row) > 0

    def lessThan(self, left: _Index, right: _Index) -> bool:
        """Only while searching: the best match first; ties keep the source's (time) order."""
        a, b = self._row(left.row()), self._row(right.row())
        if a is None or b is None:
            return left.row() < right.row()
        sa, sb = self.score(a), self.score(b)
        if sa != sb:
            return sa > sb
        return left.row() < right.row()

    def reservation_id(self, proxy_row: int) -> str | None:
        idx = self.index(proxy_row, 0)
        return idx.data(ID_ROLE) if idx.isValid() else None

    def proxy_row_for_id(self, reservation_id: str) -> int:
        model = self.sourceModel()
        if not isinstance(model, ReservationTableModel):
            return -1
        src = model.index_for_id(reservation_id)
        return self.mapFromSource(src).row() if src.isValid() else -1
