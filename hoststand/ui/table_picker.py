"""The table picker: shown when a check-in needs a table, with the best-fitting free tables as big buttons.

Choosing one emits `table_chosen(table_ids)`; "Mark arrived (waiting)" emits `wait_chosen()`; Cancel or
Esc closes it. Up/Down (or Left/Right) move between the choices, Enter takes the focused one.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hoststand.services.views import CommandResult, TableSuggestion

_NEXT = (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Tab)
_PREV = (Qt.Key.Key_Up, Qt.Key.Key_Left, Qt.Key.Key_Backtab)


def suggestion_text(s: TableSuggestion) -> str:
    """"12 · 4-top, free until 21:30"."""
    return f"{s.label} · {s.reason}" if s.reason else s.label


class TablePicker(QDialog):
    table_chosen = Signal(tuple)  # table ids
    wait_chosen = Signal()

    def __init__(self, result: CommandResult, *, party_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tablePicker")
        self.setWindowTitle(f"Choose a table{f' for {party_name}' if party_name else ''}")
        self.party_name = party_name
        self.setModal(True)
        self.reservation_id = result.reservation_id
        self.suggestions = result.suggestions

        col = QVBoxLayout(self)
        col.setContentsMargins(22, 20, 22, 18)
        col.setSpacing(12)
        title = QLabel(party_name or "Choose a table")
        title.setObjectName("pickerTitle")
        col.addWidget(title)
        self.message = QLabel(result.message)
        self.message.setObjectName("pickerMessage")
        self.message.setWordWrap(True)
        col.addWidget(self.message)

        self.buttons: list[QPushButton] = []
        for s in result.suggestions:
            b = QPushButton(suggestion_text(s))
            b.setObjectName("suggestionButton")
            b.setMinimumHeight(56)
            b.setAccessibleName(f"Table {suggestion_text(s)}")
            b.clicked.connect(lambda _=False, ids=s.table_ids: self._choose(ids))
            col.addWidget(b)
            self.buttons.append(b)
        if not result.suggestions:
            none = QLabel("No free table fits right now.")
            none.setObjectName("pickerEmpty")
            col.addWidget(none)

        row = QHBoxLayout()
        row.setSpacing(10)
        self.wait_button = QPushButton("Mark arrived (waiting)")
        self.wait_button.setObjectName("secondaryButton")
        self.wait_button.setMinimumHeight(48)
        self.wait_button.clicked.connect(self._wait)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("quietButton")
        self.cancel_button.setMinimumHeight(48)
        self.cancel_button.clicked.connect(self.reject)
        row.addWidget(self.wait_button, 1)
        row.addWidget(self.cancel_button)
        col.addLayout(row)

        self._order = [*self.buttons, self.wait_button, self.cancel_button]
        for b in self._order:
            b.setAutoDefault(True)
            b.installEventFilter(self)
        first = self._order[0]
        first.setDefault(True)
        first.setFocus(Qt.FocusReason.OtherFocusReason)
        self.setMinimumWidth(660)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and obj in self._order:
            key = event.key()
            if key in _NEXT or key in _PREV:
                i = self._order.index(obj)
                step = 1 if key in _NEXT else -1
                self._order[(i + step) % len(self._order)].setFocus(Qt.FocusReason.TabFocusReason)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                obj.click()
                return True
        return super().eventFilter(obj, event)

    def _choose(self, table_ids: tuple[str, ...]) -> None:
        self.table_chosen.emit(tuple(table_ids))
        self.accept()

    def _wait(self) -> None:
        self.wait_chosen.emit()
        self.accept()
