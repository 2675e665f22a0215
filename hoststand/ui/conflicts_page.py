"""The conflict inbox: what no rule settles, each with its facts and its choices as big buttons.

One card per open conflict, oldest first: what happened in one sentence, the facts in plain words (times in
the restaurant's zone), and one button per choice with a line under it saying what it will do. Nothing is
decided until a person taps one. "Move the party to another table" opens the table picker with the best
free tables; the others are carried out at once by the service (through the one write path) and the card
goes away. The last result is shown at the top of the page.

`ops` is a `services.operations.OperationsService` (or anything with `conflicts()` and
`resolve(conflict_id, choice, table_ids=None)`). Conflicts are few, so the cards are plain widgets.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hoststand.services.views import CommandResult, ConflictView
from hoststand.ui import marks, theme
from hoststand.ui.pages import Page, page_header
from hoststand.ui.table_picker import TablePicker

log = logging.getLogger(__name__)

MOVE_CHOICE = "Move the party to another table"

STYLE = """
QWidget#conflictsPage, QWidget#conflictsBody { background: #EEF0F4; }
QScrollArea#conflictsScroll { border: none; background: #EEF0F4; }
QLabel#pageTitle { font-size: 22px; font-weight: bold; }
QLabel#pageSubtitle { font-size: 14px; color: #6B7385; }
QFrame#conflictCard { background: #FFFFFF; border: 1px solid #E1E4EA; border-radius: 12px; }
QFrame#conflictAccent { background: #E09A00; border: none; border-top-left-radius: 11px;
    border-bottom-left-radius: 11px; }
QLabel#conflictTitle { font-size: 18px; font-weight: bold; }
QLabel#conflictWhen { font-size: 13px; color: #6B7385; }
QLabel#conflictTable { font-size: 13px; font-weight: bold; color: #3A4252; background: #F1F3F6;
    border: 1px solid #E1E4EA; border-radius: 10px; padding: 3px 10px; }
QLabel#conflictSummary { font-size: 16px; }
QLabel#factKey { font-size: 13px; color: #6B7385; }
QLabel#factValue { font-size: 14px; }
QLabel#factValue[allergy="true"] { color: #B42318; font-weight: bold; }
QFrame#factsBox { background: #F7F8FA; border-radius: 8px; }
QPushButton#choiceButton { background: #FFFFFF; color: #1F2430; border: 2px solid #CBD2DC; font-size: 15px;
    font-weight: bold; border-radius: 10px; min-height: 52px; padding: 0 18px; }
QPushButton#choiceButton:pressed { background: #E8F0FE; border-color: #1F6FEB; }
QPushButton#choiceButton:focus { border-color: #1F6FEB; }
QLabel#choiceHint { font-size: 12px; color: #6B7385; }
QLabel#conflictsEmpty { font-size: 17px; color: #4A5263; padding: 60px; }
QLabel#pageMessage { font-size: 14px; padding: 6px 12px; border-radius: 8px; background: #E6F4EA; color: #1E6B3A; }
QLabel#pageMessage[tone="error"] { background: #D92D20; color: #FFFFFF; font-weight: bold; }
"""


class ConflictCard(QFrame):
    """One conflict: title, when, table, what happened, the facts, and a button per choice."""

    chosen = Signal(str, str)  # conflict id, choice

    def __init__(self, c: ConflictView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflict = c
        self.setObjectName("conflictCard")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        frame = QHBoxLayout(self)
        frame.setContentsMargins(1, 1, 1, 1)
        frame.setSpacing(0)
        accent = QFrame()
        accent.setObjectName("conflictAccent")
        accent.setFixedWidth(6)
        frame.addWidget(accent)
        col = QVBoxLayout()
        col.setContentsMargins(20, 15, 21, 17)
        col.setSpacing(10)
        frame.addLayout(col, 1)

        head = QHBoxLayout()
        head.setSpacing(10)
        icon = QLabel()
        icon.setPixmap(marks.mark_pixmap(marks.WARNING, 22, self.devicePixelRatioF()))
        icon.setFixedSize(22, 22)
        head.addWidget(icon)
        title = QLabel(getattr(c, "title", "") or "Needs a decision")
        title.setObjectName("conflictTitle")
        head.addWidget(title)
        table = getattr(c, "table_label", "")
        if table:
            badge = QLabel(f"Table {table}")
            badge.setObjectName("conflictTable")
            head.addWidget(badge)
        head.addStretch(1)
        when = QLabel(f"since {c.created_local:%H:%M}")
        when.setObjectName("conflictWhen")
        head.addWidget(when)
        col.addLayout(head)

        self.summary = QLabel(c.summary)
        self.summary.setObjectName("conflictSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.summary)

        facts = {k: v for k, v in c.facts.items() if not (table and k == "Table")}  # the badge says it
        if facts:
            box = QFrame()
            box.setObjectName("factsBox")
            grid = QGridLayout(box)
            grid.setContentsMargins(14, 10, 14, 10)
            grid.setHorizontalSpacing(18)
            grid.setVerticalSpacing(5)
            for i, (key, value) in enumerate(facts.items()):
                k = QLabel(str(key))
                k.setObjectName("factKey")
                v = QLabel(str(value))
                v.setObjectName("factValue")
                v.setWordWrap(True)
                if str(key).lower().startswith("allerg"):
                    v.setProperty("allergy", "true")
                grid.addWidget(k, i // 2, (i % 2) * 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(v, i // 2, (i % 2) * 2 + 1, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
            col.addWidget(box)

        choices = QHBoxLayout()
        choices.setSpacing(12)
        hints = tuple(getattr(c, "choice_hints", ()) or ())
        self.buttons: dict[str, QPushButton] = {}
        for i, choice in enumerate(c.choices):
            cell = QVBoxLayout()
            cell.setSpacing(4)
            b = QPushButton(choice.replace("&", "&&"))
            b.setObjectName("choiceButton")
            b.setMinimumHeight(52)
            b.setAccessibleName(choice)
            b.clicked.connect(lambda _=False, ch=choice: self.chosen.emit(self.conflict.id, ch))
            cell.addWidget(b)
            if i < len(hints) and hints[i]:
                hint = QLabel(hints[i])
                hint.setObjectName("choiceHint")
                hint.setWordWrap(True)
                cell.addWidget(hint)
            cell.addStretch(1)
            choices.addLayout(cell, 1)
            self.buttons[choice] = b
        col.addLayout(choices)


class ConflictsPage(Page):
    topics = frozenset({"conflicts", "reservations", "tickets"})
    command_done = Signal(object)  # the CommandResult of each choice carried out here

    def __init__(self, ops, parent: QWidget | None = None) -> None:  # noqa: ANN001 - see the module docstring
        super().__init__(parent)
        self.ops = ops
        self.picker: TablePicker | None = None
        self.cards: dict[str, ConflictCard] = {}
        self._shown: list[tuple] = []
        self.setObjectName("conflictsPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(theme.stylesheet() + STYLE)  # the app's look even outside the main window

        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 0)
        outer.setSpacing(12)
        head, self.subtitle, self.message = page_header("Conflicts")
        outer.addLayout(head)

        self.scroll = QScrollArea()
        self.scroll.setObjectName("conflictsScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body.setObjectName("conflictsBody")
        self.cards_col = QVBoxLayout(self.body)
        self.cards_col.setContentsMargins(0, 0, 0, 16)
        self.cards_col.setSpacing(14)
        self.empty = QLabel("✓  No conflicts. Whatever the vendors said agrees with the host stand.")
        self.empty.setObjectName("conflictsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.cards_col.addWidget(self.empty)
        self.cards_col.addStretch(1)
        self.scroll.setWidget(self.body)
        outer.addWidget(self.scroll, 1)

    # ----------------------------------------------------------------------------------- data

    def refresh(self) -> None:
        conflicts = self.ops.conflicts()
        shown = [(c.id, c.summary, tuple(c.facts.items()), c.choices) for c in conflicts]
        n = len(conflicts)
        self.subtitle.setText(
            f"{n} {'decision' if n == 1 else 'decisions'} waiting for you. Nothing is changed until you choose."
            if n else "Nothing needs a decision."
        )
        if shown == self._shown:
            return  # nothing changed: keep the cards (and the focus) as they are
        self._shown = shown
        for card in self.cards.values():
            self.cards_col.removeWidget(card)
            card.deleteLater()
        self.cards = {}
        for i, c in enumerate(conflicts):
            card = ConflictCard(c)
            card.chosen.connect(self.choose)
            self.cards_col.insertWidget(i, card)
            self.cards[c.id] = card
        self.empty.setVisible(not conflicts)

    def badge(self) -> str:
        return str(len(self.cards)) if self.cards else ""

    def card(self, conflict_id: str) -> ConflictCard | None:
        return self.cards.get(conflict_id)

    # -------------------------------------------------------------------------------- choices

    def choose(self, conflict_id: str, choice: str, table_ids: tuple[str, ...] | None = None) -> CommandResult:
        try:
            result = self.ops.resolve(conflict_id, choice, table_ids=table_ids)
        except Exception as exc:  # never a traceback on the screen
            log.exception("resolving a conflict failed")
            result = CommandResult(False, f"Could not do that on this terminal ({type(exc).__name__}); nothing was changed.")
        if result.needs_table:
            self._open_picker(conflict_id, choice, result)
        self.show_message(result.message, error=not result.ok and not result.needs_table)
        self.refresh()
        self.command_done.emit(result)
        return result

    def _open_picker(self, conflict_id: str, choice: str, result: CommandResult) -> None:
        if self.picker is not None:
            self.picker.reject()
        card = self.cards.get(conflict_id)
        party = card.conflict.facts.get("Party", "") if card else ""
        picker = TablePicker(result, party_name=str(party), parent=self)
        picker.wait_button.hide()  # the party is seated: "mark arrived" does not apply here
        picker.table_chosen.connect(lambda ids, cid=conflict_id, ch=choice: self.choose(cid, ch, tuple(ids)))
        picker.finished.connect(lambda _code, p=picker: self._picker_closed(p))
        self.picker = picker
        picker.open()

    def _picker_closed(self, picker: TablePicker) -> None:
        if self.picker is picker:
            self.picker = None
        picker.deleteLater()

    def show_message(self, text: str, *, error: bool = False) -> None:
        tone = "error" if error else "ok"
        self.message.setText(text)
        if self.message.property("tone") != tone:
            self.message.setProperty("tone", tone)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setVisible(bool(text))
