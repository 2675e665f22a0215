"""The sync queue page: everything still on its way to a vendor, and what a vendor refused for good.

Four big tiles count the actions waiting to be sent, being sent, failed and retrying, and refused ("dead");
tapping one shows only those (tap it again for all). Each row says in plain words what it will do ("Open
ticket at 12 for Smith (4)"), to whom (POS or booking platform), since when, and, for a failed one, when it
is tried next (restaurant time) and why it failed; for a refused one, the vendor's own reason. Selecting a
refused row offers Retry (send it again, once the cause is fixed) and Discard (give it up): manager actions,
each audited by the service.

`ops` is a `services.operations.OperationsService` (or anything with `queue()`, `retry(id)`, `discard(id)`).
The list is a model/view (hundreds of rows after a long outage stay cheap), painted by `QueueDelegate`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from hoststand.services.views import CommandResult, QueueItemView
from hoststand.ui import marks, theme
from hoststand.ui.pages import Page, page_header

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2

STATES = ("pending", "in_flight", "failed", "dead")
STATE_WORDS = {"pending": "Waiting", "in_flight": "Sending", "failed": "Retrying", "dead": "Refused"}
TILE_WORDS = {
    "pending": "Waiting to be sent",
    "in_flight": "Being sent now",
    "failed": "Failed, retrying",
    "dead": "Refused for good",
}
STATE_COLORS = {
    "pending": (QColor("#EEF1F6"), QColor("#3A4252")),
    "in_flight": (QColor("#E2ECFD"), QColor("#1B4596")),
    "failed": (QColor("#FDEBD8"), QColor("#9A3B06")),
    "dead": (QColor("#FDECEA"), QColor("#B42318")),
}
ROW_HEIGHT = 68

STYLE = """
QWidget#queuePage { background: #EEF0F4; }
QLabel#pageTitle { font-size: 22px; font-weight: bold; }
QLabel#pageSubtitle { font-size: 14px; color: #6B7385; }
QPushButton#queueTile {
    background: #FFFFFF; border: 2px solid #E1E4EA; border-radius: 12px; text-align: left;
    padding: 10px 16px; min-height: 76px; font-size: 14px; font-weight: normal; color: #4A5263;
}
QPushButton#queueTile:checked { border-color: #1F6FEB; background: #F4F8FF; }
QPushButton#queueTile[alert="true"] { border-color: #F0A9A3; }
QPushButton#queueTile[alert="true"]:checked { border-color: #D92D20; background: #FFF6F5; }
QFrame#queueCard { background: #FFFFFF; border: 1px solid #E1E4EA; border-radius: 12px; }
QListView#queueList { border: none; background: #FFFFFF; outline: none; border-radius: 12px; }
QLabel#queueEmpty { font-size: 17px; color: #4A5263; padding: 40px; }
QFrame#queueActions { background: #FFF6F5; border-top: 1px solid #F4C7C2; border-bottom-left-radius: 12px;
    border-bottom-right-radius: 12px; }
QLabel#queueReason { font-size: 14px; color: #7A271A; }
QLabel#queueWho { font-size: 15px; font-weight: bold; }
QLabel#pageMessage { font-size: 14px; padding: 6px 12px; border-radius: 8px; background: #E6F4EA; color: #1E6B3A; }
QLabel#pageMessage[tone="error"] { background: #D92D20; color: #FFFFFF; font-weight: bold; }
"""


_REFUSED = re.compile(r"^\w+ refused it:\s*", re.IGNORECASE)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def plain_error(item: QueueItemView) -> str:
    """Why the last try failed, in the host's words (the technical detail stays in the tooltip)."""
    error = (item.error or "").lower()
    who = "the POS" if item.api_label == "POS" else f"the {item.api_label.lower()}"
    if not error:
        return ""
    if "unreachable" in error or "could not connect" in error:
        return f"{who} could not be reached"
    if "no answer" in error or "interrupted" in error:
        return f"no answer from {who}: checked before it is sent again"
    if "slow down" in error or "rate" in error:
        return f"{who} asked us to slow down"
    if "credentials" in error or "sign-in" in error:
        return f"{who} refused our sign-in: a manager must sign in again"
    if "internal error" in error:
        return "something went wrong on this terminal"
    return _sentence(item.error or "")


def detail_line(item: QueueItemView) -> str:
    """The row's second line: to whom, since when, and what is happening to it, in plain words."""
    parts = [item.api_label]
    if item.created_local:
        parts.append(f"queued {item.created_local:%H:%M}")
    if item.state == "failed":
        if item.next_attempt_local:
            parts.append(f"next try at {item.next_attempt_local:%H:%M}")
        if item.attempts:
            parts.append(f"{item.attempts} {'try' if item.attempts == 1 else 'tries'} so far")
    elif item.state == "in_flight":
        parts.append("being sent now")
    if item.error and item.state != "dead":
        parts.append(plain_error(item))
    return " · ".join(parts)


def reason_line(item: QueueItemView) -> str:
    """A refused action's reason: "The POS said: Table 12 does not exist at this restaurant." """
    said = _REFUSED.sub("", item.error or "").strip()
    who = "The POS" if item.api_label == "POS" else f"The {item.api_label.lower()}"
    if not said:
        return f"{who} refused it without saying why."
    if _REFUSED.match(item.error or ""):
        return f"{who} said: {_sentence(said)}"
    return _sentence(said)  # hoststand's own words (e.g. a table the POS does not know)


# ------------------------------------------------------------------------------------------ the model


class QueueModel(QAbstractListModel):
    """The queue's rows (QueueItemView), optionally only those in one state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[QueueItemView] = []
        self._rows: list[QueueItemView] = []
        self._state: str | None = None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.kind_label
        if role == Qt.ItemDataRole.ToolTipRole:
            extra = reason_line(item) if item.state == "dead" else (item.error or "")
            return f"{item.kind_label}\n{detail_line(item)}" + (f"\n{extra}" if extra else "")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{STATE_WORDS.get(item.state, item.state)}: {item.kind_label}. {detail_line(item)}"
        if role == ITEM_ROLE:
            return item
        if role == STATE_ROLE:
            return item.state
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(200, ROW_HEIGHT)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def set_items(self, items: Sequence[QueueItemView]) -> None:
        self._all = list(items)
        self._apply()

    def set_state_filter(self, state: str | None) -> None:
        self._state = state
        self._apply()

    def state_filter(self) -> str | None:
        return self._state

    def _apply(self) -> None:
        rows = [i for i in self._all if self._state is None or i.state == self._state]
        # the ones that need a person first, then the ones retrying, then the rest: newest first within each
        order = {"dead": 0, "failed": 1, "in_flight": 2, "pending": 3}
        rows.sort(key=lambda i: order.get(i.state, 9))
        if [r.id for r in rows] == [r.id for r in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, 0))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def item(self, row: int) -> QueueItemView | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, action_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == action_id), -1)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for i in self._all:
            out[i.state] = out.get(i.state, 0) + 1
        return out


# ---------------------------------------------------------------------------------------- the delegate


class QueueDelegate(QStyledItemDelegate):
    """Paints one row: a state pill, the action in plain words, and a second line with the details."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        item: QueueItemView | None = index.data(ITEM_ROLE)
        if item is None:
            return
        r = option.rect
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        p.fillRect(r, QColor("#E2ECFD") if selected else theme.PAPER)
        p.setPen(QPen(QColor("#EDEFF3"), 1))
        p.drawLine(r.left() + 16, r.bottom(), r.right() - 16, r.bottom())

        bg, fg = STATE_COLORS.get(item.state, STATE_COLORS["pending"])
        pill = QRectF(r.left() + 16, r.top() + 14, 96, 26)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRoundedRect(pill, 13, 13)
        p.setPen(fg)
        p.setFont(theme.font(12, bold=True))
        p.drawText(pill, Qt.AlignmentFlag.AlignCenter, STATE_WORDS.get(item.state, item.state).upper())

        left = r.left() + 128
        right = r.right() - 16
        if item.state == "dead":
            icon = marks.mark_pixmap(marks.WARNING, 18)
            p.drawPixmap(left, r.top() + 13, icon)
            left += 26
        elif item.state in ("pending", "failed"):
            icon = marks.mark_pixmap(marks.PENDING, 18)
            p.drawPixmap(left, r.top() + 13, icon)
            left += 26
        time_text = f"{item.created_local:%H:%M}" if item.created_local else ""
        p.setFont(theme.font(13))
        p.setPen(theme.MUTED)
        time_w = p.fontMetrics().horizontalAdvance(time_text) + 4
        p.drawText(QRect(right - time_w, r.top() + 12, time_w, 24), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, time_text)

        p.setFont(theme.font(16, bold=True))
        p.setPen(theme.INK)
        main_rect = QRect(left, r.top() + 10, right - time_w - 12 - left, 26)
        p.drawText(main_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(item.kind_label, Qt.TextElideMode.ElideRight, main_rect.width()))

        second = reason_line(item) if item.state == "dead" else detail_line(item)
        p.setFont(theme.font(13))
        p.setPen(QColor("#B42318") if item.state == "dead" else (QColor("#9A3B06") if item.state == "failed" else theme.MUTED))
        sub_rect = QRect(r.left() + 128, r.top() + 38, right - (r.left() + 128), 22)
        p.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(second, Qt.TextElideMode.ElideRight, sub_rect.width()))
        p.restore()


# -------------------------------------------------------------------------------------------- the page


class _Tile(QPushButton):
    """A big count with its words; checkable: it filters the list to its state."""

    def __init__(self, state: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("queueTile")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumHeight(76)
        self.count = 0
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        col = QVBoxLayout()
        col.setSpacing(0)
        self.value = QLabel("0")
        self.value.setStyleSheet("font-size: 30px; font-weight: bold; background: transparent;")
        self.caption = QLabel(TILE_WORDS[state])
        self.caption.setStyleSheet("font-size: 13px; color: #6B7385; background: transparent;")
        for w in (self.value, self.caption):
            w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            col.addWidget(w)
        row.addLayout(col)
        row.addStretch(1)

    def set_count(self, n: int) -> None:
        self.count = n
        self.value.setText(str(n))
        fg = STATE_COLORS[self.state][1] if n else theme.MUTED
        self.value.setStyleSheet(f"font-size: 30px; font-weight: bold; background: transparent; color: {fg.name()};")
        alert = "true" if self.state == "dead" and n else "false"
        if self.property("alert") != alert:
            self.setProperty("alert", alert)
            self.style().unpolish(self)
            self.style().polish(self)
        self.setAccessibleName(f"{n} {TILE_WORDS[self.state].lower()}")


class QueuePage(Page):
    topics = frozenset({"outbox", "health"})
    command_done = Signal(object)  # the CommandResult of a retry or a discard

    def __init__(self, ops, parent: QWidget | None = None) -> None:  # noqa: ANN001 - see the module docstring
        super().__init__(parent)
        self.ops = ops
        self.setObjectName("queuePage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(theme.stylesheet() + STYLE)  # the app's look even outside the main window

        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(12)
        head, self.subtitle, self.message = page_header("Sync queue")
        outer.addLayout(head)

        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        self.tiles: dict[str, _Tile] = {}
        for state in STATES:
            t = _Tile(state)
            t.clicked.connect(lambda _=False, st=state: self.set_filter(st))
            self.tiles[state] = t
            tiles.addWidget(t, 1)
        outer.addLayout(tiles)

        card = QFrame()
        card.setObjectName("queueCard")
        col = QVBoxLayout(card)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.model = QueueModel(self)
        self.list = QListView()
        self.list.setObjectName("queueList")
        self.list.setModel(self.model)
        self.list.setItemDelegate(QueueDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        col.addWidget(self.list, 1)
        self.empty = QLabel()
        self.empty.setObjectName("queueEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        col.addWidget(self.empty, 1)

        self.actions = QFrame()
        self.actions.setObjectName("queueActions")
        bar = QHBoxLayout(self.actions)
        bar.setContentsMargins(16, 10, 16, 10)
        bar.setSpacing(12)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.who = QLabel()
        self.who.setObjectName("queueWho")
        self.reason = QLabel()
        self.reason.setObjectName("queueReason")
        self.reason.setWordWrap(True)
        words.addWidget(self.who)
        words.addWidget(self.reason)
        bar.addLayout(words, 1)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("primaryButton")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("secondaryButton")
        for b in (self.retry_button, self.discard_button):
            b.setMinimumSize(140, 52)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        self.actions.hide()
        col.addWidget(self.actions)
        outer.addWidget(card, 1)

    # ----------------------------------------------------------------------------------- data

    def refresh(self) -> None:
        selected = self.selected_id()
        self.model.set_items(self.ops.queue())
        counts = self.model.counts()
        for state, tile in self.tiles.items():
            tile.set_count(counts.get(state, 0))
            tile.setChecked(self.model.state_filter() == state)
        waiting = counts["pending"] + counts["in_flight"] + counts["failed"]
        if waiting or counts["dead"]:
            bits = []
            if waiting:
                bits.append(f"{waiting} on {'its' if waiting == 1 else 'their'} way to the POS or the booking platform")
            if counts["dead"]:
                bits.append(f"{counts['dead']} refused, waiting for a manager")
            self.subtitle.setText("; ".join(bits) + ".")
        else:
            self.subtitle.setText("Everything the host did has reached the POS and the booking platform.")
        has_rows = self.model.rowCount() > 0
        self.list.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if not has_rows:
            f = self.model.state_filter()
            self.empty.setText(
                "✓  Nothing waiting: every change has been sent." if f is None
                else f"Nothing {TILE_WORDS[f].lower()} right now."
            )
        if selected:
            self.select(selected)
        self._selected()

    def badge(self) -> str:
        counts = self.model.counts()
        n = counts["pending"] + counts["in_flight"] + counts["failed"] + counts["dead"]
        return str(n) if n else ""

    def set_filter(self, state: str | None) -> None:
        """Show only one state (tapping the shown one again shows all)."""
        self.model.set_state_filter(None if self.model.state_filter() == state else state)
        self.refresh()

    # ----------------------------------------------------------------------------- selection

    def selected_item(self) -> QueueItemView | None:
        rows = self.list.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    def selected_id(self) -> str | None:
        item = self.selected_item()
        return item.id if item else None

    def select(self, action_id: str) -> bool:
        row = self.model.row_of(action_id)
        if row < 0:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))  # selects it too (single selection)
        return True

    def _selected(self) -> None:
        item = self.selected_item()
        dead = item is not None and item.state == "dead"
        if dead:
            self.who.setText(item.kind_label)
            self.reason.setText(f"{reason_line(item)} Retry once the cause is fixed, or discard it.")
        self.actions.setVisible(dead)

    # -------------------------------------------------------------------------------- actions

    def retry_selected(self) -> CommandResult | None:
        return self._act(self.ops.retry)

    def discard_selected(self) -> CommandResult | None:
        return self._act(self.ops.discard)

    def _act(self, fn) -> CommandResult | None:  # noqa: ANN001
        action_id = self.selected_id()
        if action_id is None:
            return None
        try:
            result = fn(action_id)
        except Exception as exc:  # never a traceback on the screen
            log.exception("queue action failed")
            result = CommandResult(False, f"Could not do that on this terminal ({type(exc).__name__}); please try again.")
        self.show_message(result.message, error=not result.ok)
        self.refresh()
        self.command_done.emit(result)
        return result

    def show_message(self, text: str, *, error: bool = False) -> None:
        tone = "error" if error else "ok"
        self.message.setText(text)
        if self.message.property("tone") != tone:
            self.message.setProperty("tone", tone)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setVisible(bool(text))
