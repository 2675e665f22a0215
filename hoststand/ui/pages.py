"""Pages: the screens besides the host stand (waitlist, pacing, the night report, the sync queue, conflicts).

The main window shows one page at a time under the header; a row of large buttons switches between them.
A page declares which change topics concern it and re-reads its data in `refresh()` when one arrives while
it is shown (and each time it is opened).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget


class Page(QWidget):
    """Base of a page. Subclasses set `topics` and implement `refresh()`."""

    topics: frozenset[str] = frozenset()

    def refresh(self) -> None:  # pragma: no cover - every page overrides it
        raise NotImplementedError(f"{type(self).__name__} must implement refresh()")

    def badge(self) -> str:
        """A short count shown on the page's button ("3"), or "" for none."""
        return ""


def page_header(title: str) -> tuple[QHBoxLayout, QLabel, QLabel]:
    """A page's head row: its title over a subtitle on the left, a word-wrapped message (hidden until a
    command reports) on the right. Returns (the row, the subtitle, the message)."""
    head = QHBoxLayout()
    titles = QVBoxLayout()
    titles.setSpacing(2)
    title_label = QLabel(title)
    title_label.setObjectName("pageTitle")
    subtitle = QLabel()
    subtitle.setObjectName("pageSubtitle")
    titles.addWidget(title_label)
    titles.addWidget(subtitle)
    head.addLayout(titles)
    head.addStretch(1)
    message = QLabel()
    message.setObjectName("pageMessage")
    message.setWordWrap(True)
    message.setMaximumWidth(640)
    message.hide()
    head.addWidget(message, 0, Qt.AlignmentFlag.AlignTop)
    return head, subtitle, message


class PageBar(QFrame):
    """The row of page buttons under the header."""

    selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageBar")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(16, 6, 16, 6)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: dict[str, QPushButton] = {}
        self._titles: dict[str, str] = {}

    def add(self, key: str, title: str) -> QPushButton:
        b = QPushButton(title)
        b.setObjectName("pageButton")
        b.setCheckable(True)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setMinimumHeight(40)
        b.clicked.connect(lambda _=False, k=key: self.selected.emit(k))
        self._group.addButton(b)
        self._row.insertWidget(self._row.count() - 1, b)
        self._buttons[key] = b
        self._titles[key] = title
        if len(self._buttons) == 1:
            b.setChecked(True)
        self.setVisible(len(self._buttons) > 1)
        return b

    def button(self, key: str) -> QPushButton | None:
        return self._buttons.get(key)

    def keys(self) -> list[str]:
        return list(self._buttons)

    def set_current(self, key: str) -> None:
        b = self._buttons.get(key)
        if b is not None:
            b.setChecked(True)

    def set_badge(self, key: str, badge: str) -> None:
        b = self._buttons.get(key)
        if b is not None:
            title = self._titles[key]
            b.setText(f"{title}  {badge}" if badge else title)
