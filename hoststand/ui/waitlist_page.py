"""The host's waitlist page: add a walk-in party, quote a wait the floor can keep, call or text them when the
table is ready, seat them like a check-in, or take them off the list with a reason.

Left, the "Add walk-in" form: name, party size (big − and + or the keys), phone (normalised, shown as the
host reads it), allergies and diet in the guest's own words plus the common allergens as toggles (the words are
scanned, so "no nuts, epipen" lights Peanut and Tree nut), notes, and the wait the party would be quoted now,
updated as the size changes. Enter adds. Validation messages are plain words next to the field.

Right, the list in the order they joined: each party's timer counts down to its quote and then up, in red;
what the floor says now; the phone and the last call or text; allergy marks. For the selected party: Seat
(opens the table picker with suggestions), Called / Texted (recorded with the time), Remove with a reason.
Keys on the list: Enter seats, C called, T texted, Delete removes. At the bottom, tonight's quote accuracy.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hoststand.domain import allergens as al
from hoststand.domain.model import Allergen
from hoststand.domain.phone import format_phone, normalize_phone
from hoststand.domain.waitlist import REMOVAL_REASONS
from hoststand.services.pacing import hhmm
from hoststand.services.waitlist import DoneParty, QuoteView, WaitingParty, WaitlistResult, WaitlistView, timer_words
from hoststand.ui import marks, theme
from hoststand.ui.keyed_model import RIGHT, Col, KeyedRowsModel, TwoLineDelegate
from hoststand.ui.rows_view import RowsView
from hoststand.ui.page_loader import PageLoader
from hoststand.ui.pacing_page import Notice
from hoststand.ui.pages import Page
from hoststand.ui.table_picker import TablePicker

log = logging.getLogger(__name__)

TIMER_MS = 15_000
QUOTE_DEBOUNCE_MS = 150
MAX_SIZE = 50
COMMON_ALLERGENS = (
    Allergen.PEANUT, Allergen.TREE_NUT, Allergen.CRUSTACEAN, Allergen.FISH, Allergen.GLUTEN, Allergen.MILK,
    Allergen.EGG, Allergen.SOY, Allergen.SESAME,
)
SHORT_LABELS = {
    Allergen.CRUSTACEAN: "Shellfish",
    Allergen.MILK: "Dairy",
}
REASON_WORDS = {"left": "Left", "seated elsewhere": "Seated elsewhere", "no answer": "No answer"}


# ------------------------------------------------------------------------------------------ columns


def _allergy_line(p: WaitingParty) -> str:
    if not p.has_allergy:
        return ""
    labels = ", ".join(SHORT_LABELS.get(a, a.label) for a in p.allergens)
    words = " / ".join(p.allergy_words)
    head = "SEVERE ALLERGY" if p.severe_allergy else "Allergy"
    return f"{head}: {labels}" + (f" — “{words}”" if words else "")


def _party_sub(p: WaitingParty) -> str:
    allergy = _allergy_line(p)
    if allergy:
        return allergy
    return p.notes


def _mark(p: WaitingParty):  # noqa: ANN202
    if p.has_allergy:
        return marks.mark_pixmap(marks.ALLERGY_SEVERE if p.severe_allergy else marks.ALLERGY, 18)
    return None


def waiting_columns(now) -> list[Col[WaitingParty]]:  # noqa: ANN001 - `now` is a callable giving UTC now
    def timer(p: WaitingParty) -> str:
        return timer_words(p, now())[0]

    def overdue(p: WaitingParty):  # noqa: ANN202
        return theme.WARNING if timer_words(p, now())[1] else None

    def quoted(p: WaitingParty) -> str:
        q = "no quote" if p.quoted_minutes is None else f"quoted {p.quoted_minutes} min"
        return f"{q} at {hhmm(p.added_local)}"

    def estimate(p: WaitingParty) -> str:
        e = p.estimate
        if e is None:
            return ""
        return e.words if e.minutes is not None else "No table"

    def estimate_sub(p: WaitingParty) -> str:
        e = p.estimate
        if e is None or not e.tables:
            return e.reason if e else ""
        return f"table {e.tables}" + (f" at {hhmm(e.at_local)}" if e.at_local and e.minutes else "")

    def phone_sub(p: WaitingParty) -> str:
        last = p.last_notified
        if last is not None:
            more = f" ({len(p.notifications)}×)" if len(p.notifications) > 1 else ""
            return last.words + more
        return "not told yet" if p.phone_display else ""

    def tip(p: WaitingParty) -> str:
        lines = [f"{p.name}, party of {p.party_size}, waiting since {hhmm(p.added_local)}"]
        if p.quoted_minutes is not None:
            lines.append(f"Quoted {p.quoted_minutes} min")
        if p.estimate is not None:
            lines.append(f"The floor now: {p.estimate.words} ({p.estimate.reason})")
        if p.has_allergy:
            lines.append(_allergy_line(p))
        if p.dietary:
            lines.append("Diet: " + ", ".join(p.dietary))
        if p.notes:
            lines.append(f"Notes: {p.notes}")
        for n in p.notifications:
            lines.append(n.words)
        if p.seating_undone:
            lines.append("Was seated, then the seating was undone")
        return "\n".join(lines)

    return [
        Col("#", lambda p: str(p.position), align=RIGHT, fg=lambda p: theme.MUTED, tip=tip),
        Col("Party", lambda p: f"{p.name} ({p.party_size})", bold=True, icon=_mark, sub=_party_sub, tip=tip),
        Col("Wait", timer, fg=overdue, bold=lambda p: timer_words(p, now())[1], sub=quoted, tip=tip),
        Col("Floor now", estimate, sub=estimate_sub, tip=tip),
        Col("Phone", lambda p: p.phone_display or "no phone", sub=phone_sub, tip=tip,
            fg=lambda p: None if p.phone_display else theme.MUTED),
    ]


def done_columns() -> list[Col[DoneParty]]:
    def outcome(d: DoneParty) -> str:
        if d.status == "seated":
            return f"Seated at {d.tables}" if d.tables else "Seated"
        return f"Removed: {d.reason}" if d.reason else "Removed"

    def waited(d: DoneParty) -> str:
        if d.waited_minutes is None:
            return ""
        return f"waited {d.waited_minutes} min"

    def quoted(d: DoneParty) -> str:
        return "no quote" if d.quoted_minutes is None else f"quoted {d.quoted_minutes} min"

    return [
        Col("Party", lambda d: f"{d.name} ({d.party_size})", bold=True, sub=lambda d: f"joined {hhmm(d.added_local)}"),
        Col("Outcome", outcome, sub=lambda d: f"at {hhmm(d.ended_local)}" if d.ended_local else ""),
        Col("Wait", waited, sub=quoted),
    ]


# ------------------------------------------------------------------------------------------ widgets


class ListView(RowsView):
    """The waiting list: Enter seats, C called, T texted, Delete removes."""

    seat_pressed = Signal()
    notify_pressed = Signal(str)
    remove_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.seat_pressed.emit()
            return
        if key == Qt.Key.Key_C and not event.modifiers():
            self.notify_pressed.emit("called")
            return
        if key == Qt.Key.Key_T and not event.modifiers():
            self.notify_pressed.emit("texted")
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_pressed.emit()
            return
        super().keyPressEvent(event)


class SizeStepper(QFrame):
    """Party size as a big number between − and + buttons (and the keys Up/Down, digits)."""

    changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sizeStepper")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.minus = QPushButton("−")
        self.plus = QPushButton("+")
        for b in (self.minus, self.plus):
            b.setObjectName("stepButton")
            b.setFixedSize(52, 50)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAutoRepeat(True)
        self.minus.setAccessibleName("One guest fewer")
        self.plus.setAccessibleName("One guest more")
        self.value_label = QLabel()
        self.value_label.setObjectName("sizeValue")
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.value_label.setFixedWidth(52)
        row.addWidget(self.minus)
        row.addWidget(self.value_label)
        row.addWidget(self.plus)
        self.quick = QHBoxLayout()
        self.quick.setSpacing(4)
        row.addSpacing(4)
        self.group = QButtonGroup(self)
        for n in (2, 3, 4, 6):
            b = QPushButton(str(n))
            b.setObjectName("sizeChip")
            b.setFixedSize(40, 44)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAccessibleName(f"Party of {n}")
            b.clicked.connect(lambda _=False, n=n: self.set_value(n))
            row.addWidget(b)
        row.addStretch(1)
        self.minus.clicked.connect(lambda: self.set_value(self._value - 1))
        self.plus.clicked.connect(lambda: self.set_value(self._value + 1))
        self._value = 0
        self.set_value(2)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def value(self) -> int:
        return self._value

    def set_value(self, n: int) -> None:
        n = max(1, min(MAX_SIZE, int(n)))
        if n == self._value:
            return
        self._value = n
        self.value_label.setText(str(n))
        self.minus.setEnabled(n > 1)
        self.plus.setEnabled(n < MAX_SIZE)
        self.changed.emit(n)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Plus, Qt.Key.Key_Right):
            self.set_value(self._value + 1)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Minus, Qt.Key.Key_Left):
            self.set_value(self._value - 1)
        elif event.text().isdigit():
            self.set_value(int(event.text()) or 10)
        else:
            super().keyPressEvent(event)


def quote_html(quote: QuoteView | None) -> str:
    """The form's quote preview: "Quote about 25 min · table 12 predicted free 20:35"."""
    if quote is None:
        return ""
    if quote.minutes is None:
        return f"<span style='color:{theme.WARNING.name()}'><b>No quote</b></span><br>{quote.reason}"
    table = f"Table {quote.tables}" if "+" not in quote.tables else f"Tables {quote.tables}"
    if quote.minutes == 0:
        return f"<b style='font-size:19px'>Table free now</b><br>{table} is free"
    at = f" {hhmm(quote.at_local)}" if quote.at_local else ""
    return f"Quote <b style='font-size:19px'>about {quote.minutes} min</b><br>{table} predicted free{at}"


class AddForm(QFrame):
    """The "Add walk-in" form. Emits `submitted()` on Enter or the button; `WaitlistPage` does the rest."""

    submitted = Signal()
    size_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pacingCard")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 14, 0, 16)
        outer.setSpacing(8)
        title = QLabel("Add walk-in")
        title.setObjectName("formTitle")
        title.setContentsMargins(20, 0, 20, 0)
        outer.addWidget(title)

        fields = QWidget()
        fields.setObjectName("formFields")
        col = QVBoxLayout(fields)
        col.setContentsMargins(20, 0, 14, 4)
        col.setSpacing(5)
        self.name = self._line("Name", "Guest's name", col)
        self.name_error = self._error(col)
        col.addWidget(self._key("Party size"))
        self.size = SizeStepper()
        self.size.changed.connect(self.size_changed)
        col.addWidget(self.size)
        self.size_error = self._error(col)
        self.phone = self._line("Phone (to call or text)", "e.g. 212 555 0123", col)
        self.phone_hint = QLabel()
        self.phone_hint.setObjectName("fieldHint")
        self.phone_hint.hide()
        col.addWidget(self.phone_hint)
        self.phone.textChanged.connect(self._phone_changed)
        self.phone_error = self._error(col)
        self.allergy = self._line("Allergies and diet", "In their words: “no nuts, epipen”, “coeliac”", col)
        self.allergy.textChanged.connect(self._allergy_changed)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        self.allergen_buttons: dict[Allergen, QPushButton] = {}
        per_row = 5
        for i, a in enumerate(COMMON_ALLERGENS):
            b = QPushButton(SHORT_LABELS.get(a, a.label))
            b.setObjectName("allergenChip")
            b.setCheckable(True)
            b.setFixedHeight(32)
            b.setMinimumWidth(40)
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAccessibleName(f"Allergy: {a.label}")
            grid.addWidget(b, i // per_row, i % per_row)
            self.allergen_buttons[a] = b
        col.addLayout(grid)
        self.notes = self._line("Notes", "High chair, outside if possible…", col)
        self.notes_error = self._error(col)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("formScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(fields)
        outer.addWidget(scroll, 1)

        bottom = QVBoxLayout()
        bottom.setContentsMargins(20, 0, 20, 0)
        bottom.setSpacing(8)
        self.quote = QLabel()
        self.quote.setObjectName("quotePreview")
        self.quote.setWordWrap(True)
        self.quote.setMinimumHeight(52)
        bottom.addWidget(self.quote)
        self.add_button = QPushButton("Add to waitlist")
        self.add_button.setObjectName("primaryButton")
        self.add_button.setFixedHeight(52)
        self.add_button.clicked.connect(self.submitted)
        bottom.addWidget(self.add_button)
        outer.addLayout(bottom)
        for w in (self.name, self.phone, self.allergy, self.notes):
            w.returnPressed.connect(self.submitted)
        self._auto: set[Allergen] = set()

    def _key(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("formKey")
        return label

    def _line(self, key: str, placeholder: str, col: QVBoxLayout) -> QLineEdit:
        col.addWidget(self._key(key))
        edit = QLineEdit()
        edit.setObjectName("formField")
        edit.setPlaceholderText(placeholder)
        edit.setFixedHeight(42)
        edit.setAccessibleName(key)
        col.addWidget(edit)
        return edit

    def _error(self, col: QVBoxLayout) -> QLabel:
        label = QLabel()
        label.setObjectName("fieldError")
        label.setWordWrap(True)
        label.hide()
        col.addWidget(label)
        return label

    def _phone_changed(self, text: str) -> None:
        e164 = normalize_phone(text) if text.strip() else None
        self.phone_hint.setText(f"Will show as {format_phone(e164)}" if e164 else "")
        self.phone_hint.setVisible(bool(e164))
        self.set_error("phone", None)

    def _allergy_changed(self, text: str) -> None:
        """Light the toggles the words name; keep the ones the host ticked by hand."""
        found = al.detect_allergens(text) | al.detect_allergens(self.notes.text())
        for a, b in self.allergen_buttons.items():
            if a in found and not b.isChecked():
                b.setChecked(True)
                self._auto.add(a)
            elif a not in found and a in self._auto:
                b.setChecked(False)
                self._auto.discard(a)

    def allergens(self) -> set[Allergen]:
        return {a for a, b in self.allergen_buttons.items() if b.isChecked()}

    def set_quote(self, quote: QuoteView | None) -> None:
        self.quote.setText(quote_html(quote))

    def set_error(self, field: str | None, message: str | None) -> None:
        targets = {"name": (self.name, self.name_error), "phone": (self.phone, self.phone_error),
                   "party_size": (None, self.size_error), "notes": (self.notes, self.notes_error)}
        for key, (edit, label) in targets.items():
            on = key == field and bool(message)
            label.setText(message or "" if on else "")
            label.setVisible(on)
            if edit is not None and edit.property("invalid") != on:
                edit.setProperty("invalid", on)
                edit.style().unpolish(edit)
                edit.style().polish(edit)
        if field in targets and message:
            edit = targets[field][0]
            (edit or self.size).setFocus(Qt.FocusReason.OtherFocusReason)

    def clear(self) -> None:
        for w in (self.name, self.phone, self.allergy, self.notes):
            w.clear()
        for b in self.allergen_buttons.values():
            b.setChecked(False)
        self._auto.clear()
        self.size.set_value(2)
        self.set_error(None, None)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)


class ActionBar(QFrame):
    """What the host can do for the selected party, with its phone written large."""

    seat = Signal()
    notify = Signal(str)
    remove = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 10, 16, 10)
        row.setSpacing(8)
        who = QVBoxLayout()
        who.setSpacing(0)
        self.who = QLabel("Select a party")
        self.who.setObjectName("actionWho")
        self.phone = QLabel()
        self.phone.setObjectName("actionPhone")
        self.phone.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        who.addWidget(self.who)
        who.addWidget(self.phone)
        row.addLayout(who, 1)
        self.seat_button = QPushButton("Seat…")
        self.seat_button.setObjectName("primaryButton")
        self.called_button = QPushButton("Called")
        self.texted_button = QPushButton("Texted")
        self.told_button = QPushButton("In person")
        self.remove_button = QPushButton("Remove ▾")
        for b in (self.called_button, self.texted_button, self.told_button, self.remove_button):
            b.setObjectName("secondaryButton")
        for b in (self.seat_button, self.called_button, self.texted_button, self.told_button, self.remove_button):
            b.setMinimumSize(104, 50)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(b)
        self.seat_button.setToolTip("Seat them now (Enter)")
        self.called_button.setToolTip("Record that you called them (C)")
        self.texted_button.setToolTip("Record that you texted them (T)")
        self.told_button.setToolTip("Record that you told them in person")
        self.remove_menu = QMenu(self)
        for reason in REMOVAL_REASONS:
            action = self.remove_menu.addAction(REASON_WORDS.get(reason, reason))
            action.triggered.connect(lambda _=False, r=reason: self.remove.emit(r))
        self.remove_button.setMenu(self.remove_menu)
        self.seat_button.clicked.connect(self.seat)
        self.called_button.clicked.connect(lambda: self.notify.emit("called"))
        self.texted_button.clicked.connect(lambda: self.notify.emit("texted"))
        self.told_button.clicked.connect(lambda: self.notify.emit("told in person"))
        self.show_party(None)

    def show_party(self, p: WaitingParty | None) -> None:
        for b in (self.seat_button, self.called_button, self.texted_button, self.told_button, self.remove_button):
            b.setEnabled(p is not None)
        if p is None:
            self.who.setText("Select a party on the list")
            self.phone.setText("")
            return
        self.who.setText(f"{p.name} ({p.party_size})")
        if p.phone_display:
            last = f" · {p.last_notified.words}" if p.last_notified else ""
            self.phone.setText(f"☎ {p.phone_display}{last}")
        else:
            self.phone.setText("No phone: tell them in person")
        self.called_button.setEnabled(bool(p.phone_display))
        self.texted_button.setEnabled(bool(p.phone_display))


# ------------------------------------------------------------------------------------------ the page


class WaitlistPage(Page):
    """`waitlist` is a `services.waitlist.WaitlistService`; `service` the `HostService` (undo)."""

    topics = frozenset({"waitlist", "reservations", "tables", "tickets"})
    command_done = Signal(object)  # a WaitlistResult (or the CommandResult of an undo) made here

    def __init__(self, waitlist, service, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("waitlistPage")
        self.waitlist = waitlist
        self.service = service
        self.view: WaitlistView | None = None
        self.picker: TablePicker | None = None
        self.setStyleSheet(STYLE)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(12)
        self.form = AddForm()
        self.form.submitted.connect(self.add)
        self.form.size_changed.connect(lambda _n: self._quote_timer.start())
        self.form.setFixedWidth(420)
        outer.addWidget(self.form)

        right = QVBoxLayout()
        right.setSpacing(10)
        self.notice = Notice()
        self.notice.undo_clicked.connect(self.undo)
        right.addWidget(self.notice)
        card = QFrame()
        card.setObjectName("pacingCard")
        col = QVBoxLayout(card)
        col.setContentsMargins(0, 12, 0, 0)
        col.setSpacing(6)
        head = QHBoxLayout()
        head.setContentsMargins(16, 0, 16, 0)
        self.title = QLabel("Waiting")
        self.title.setObjectName("formTitle")
        head.addWidget(self.title)
        head.addStretch(1)
        self.switch = QButtonGroup(self)
        self.waiting_button = QPushButton("Waiting")
        self.done_button = QPushButton("Done tonight")
        for i, b in enumerate((self.waiting_button, self.done_button)):
            b.setObjectName("segment")
            b.setProperty("pos", "first" if i == 0 else "last")
            b.setCheckable(True)
            b.setMinimumSize(120, 40)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.switch.addButton(b, i)
            head.addWidget(b)
        self.waiting_button.setChecked(True)
        self.switch.idClicked.connect(self._switch)
        col.addLayout(head)

        self.stack = QStackedWidget()
        self.model: KeyedRowsModel[WaitingParty] = KeyedRowsModel(waiting_columns(self._now), lambda p: p.id, self)
        self.list = ListView()
        self._setup_table(self.list, self.model, (44, 236, 190, 176))
        self.list.selectionModel().currentRowChanged.connect(self._selected)
        self.list.seat_pressed.connect(self.seat_selected)
        self.list.notify_pressed.connect(self.notify_selected)
        self.list.remove_pressed.connect(lambda: self._ask_remove())
        self.list.doubleClicked.connect(lambda _i: self.seat_selected())
        self.empty = QLabel("Nobody is waiting. Add a walk-in on the left.")
        self.empty.setObjectName("pacingEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        waiting = QWidget()
        wcol = QVBoxLayout(waiting)
        wcol.setContentsMargins(0, 0, 0, 0)
        wcol.addWidget(self.list, 1)
        wcol.addWidget(self.empty, 1)
        self.stack.addWidget(waiting)
        self.done_model: KeyedRowsModel[DoneParty] = KeyedRowsModel(done_columns(), lambda d: d.id, self)
        self.done_list = RowsView()
        self._setup_table(self.done_list, self.done_model, (260, 240))
        self.stack.addWidget(self.done_list)
        col.addWidget(self.stack, 1)
        self.actions = ActionBar()
        self.actions.seat.connect(self.seat_selected)
        self.actions.notify.connect(self.notify_selected)
        self.actions.remove.connect(self.remove_selected)
        col.addWidget(self.actions)
        self.accuracy = QLabel()
        self.accuracy.setObjectName("accuracyLine")
        self.accuracy.setWordWrap(True)
        self.accuracy.setContentsMargins(16, 6, 16, 10)
        col.addWidget(self.accuracy)
        right.addWidget(card, 1)
        outer.addLayout(right, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(TIMER_MS)
        self._timer.timeout.connect(self._tick)
        self.loader = PageLoader(self._load, self, name="waitlist")
        self.loader.loaded.connect(self._apply)
        self._quote_timer = QTimer(self)
        self._quote_timer.setSingleShot(True)
        self._quote_timer.setInterval(QUOTE_DEBOUNCE_MS)
        self._quote_timer.timeout.connect(self.update_quote)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=lambda: self.form.name.setFocus())

    def _setup_table(self, view: QTableView, model: KeyedRowsModel, widths: tuple[int, ...]) -> None:
        view.setObjectName("waitTable")
        view.setModel(model)
        view.setItemDelegate(TwoLineDelegate(view, size=15))
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(58)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, w in enumerate(widths):
            header.resizeSection(i, w)
        header.setStretchLastSection(True)
        view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _now(self) -> datetime:
        return self.waitlist.clock.now()

    # ------------------------------------------------------------------------------- refresh

    def refresh(self) -> None:
        """Re-read in the background (a change event, the floor moving on); applied when ready."""
        self.loader.request()

    def refresh_now(self) -> None:
        """Read and apply at once (opening the page, after the host's own command, tests)."""
        self.loader.bump()
        self._apply(self._load())

    def _load(self) -> tuple[WaitlistView, QuoteView | None]:
        """The list and the form's quote from one read of the floor (runs on the loader's thread too)."""
        floor = self.waitlist.pacing.floor_pace()
        view = self.waitlist.view(floor=floor)
        try:
            quote = self.waitlist.quote(self.form.size.value(), floor=floor)
        except Exception:  # a quote that cannot be computed must not break the list
            log.exception("quoting failed")
            quote = None
        return view, quote

    def _apply(self, loaded: tuple[WaitlistView, QuoteView | None]) -> None:
        view, quote = loaded
        self.set_view(view)
        self.form.set_quote(quote)

    def set_view(self, view: WaitlistView) -> None:
        self.view = view
        self.model.set_rows(view.waiting)
        self.done_model.set_rows(view.done)
        n = len(view.waiting)
        self.title.setText(f"{n} waiting · {view.covers_waiting} covers" if n else "Waiting")
        self.done_button.setText(f"Done tonight  {len(view.done)}" if view.done else "Done tonight")
        self.list.setVisible(bool(view.waiting))
        self.empty.setVisible(not view.waiting)
        self.accuracy.setText(view.accuracy.words)
        if self.list.currentIndex().isValid() is False and view.waiting:
            self.list.selectRow(0)
        self.actions.show_party(self.selected())

    def update_quote(self) -> None:
        """The party size changed: quote again (with the list, in the background)."""
        self.loader.request()

    def badge(self) -> str:
        return str(len(self.view.waiting)) if self.view and self.view.waiting else ""

    def _tick(self) -> None:
        self.model.touch()
        self.actions.show_party(self.selected())

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self._timer.start()
        if self.view is None:
            self.refresh_now()

    def hideEvent(self, event) -> None:  # noqa: ANN001
        super().hideEvent(event)
        self._timer.stop()

    def closeEvent(self, event) -> None:  # noqa: ANN001
        self.loader.close()
        super().closeEvent(event)

    def _switch(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.actions.setVisible(index == 0)

    # ------------------------------------------------------------------------------- selection

    def selected(self) -> WaitingParty | None:
        index = self.list.currentIndex()
        if not index.isValid():
            return None
        key = self.model.key_at(index.row())
        return self.model.get(key) if key is not None else None

    def select(self, entry_id: str) -> bool:
        row = self.model.row_of(entry_id)
        if row is None:
            return False
        self.list.selectRow(row)
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True

    def _selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self.actions.show_party(self.selected())

    # ------------------------------------------------------------------------------- commands

    def add(self) -> WaitlistResult | None:
        f = self.form
        result = self._guard("add the party", lambda: self.waitlist.add(
            f.name.text(), f.size.value(), phone=f.phone.text(), notes=f.notes.text(),
            allergens=f.allergens(), allergy_notes=f.allergy.text(),
        ))
        if result is None:
            return None
        if not result.ok:
            f.set_error(result.field or "name", result.message)
            if result.field not in ("name", "phone", "party_size", "notes"):
                self.notice.show_result(result.message, error=True)
            return result
        f.clear()
        self._done(result)
        if result.entry_id:
            self.select(result.entry_id)
        return result

    def seat_selected(self) -> WaitlistResult | None:
        p = self.selected()
        return self.seat(p.id) if p is not None else None

    def seat(self, entry_id: str, table_ids: tuple[str, ...] | None = None) -> WaitlistResult | None:
        result = self._guard("seat the party", lambda: self.waitlist.seat(entry_id, table_ids))
        if result is None:
            return None
        if result.needs_table and not result.ok:
            self._open_picker(entry_id, result)
            if not result.suggestions:
                self.notice.show_result(result.message, error=True)
            return result
        self._done(result)
        return result

    def notify_selected(self, how: str) -> WaitlistResult | None:
        p = self.selected()
        if p is None:
            return None
        if how in ("called", "texted") and not p.phone_display:
            self.notice.show_result(f"{p.name} left no phone number: tell them in person.", error=True)
            return None
        return self.notify(p.id, how)

    def notify(self, entry_id: str, how: str) -> WaitlistResult | None:
        result = self._guard("record it", lambda: self.waitlist.notify(entry_id, how))
        if result is not None:
            self._done(result)
        return result

    def _ask_remove(self) -> None:
        if self.selected() is not None:
            self.actions.remove_button.showMenu()

    def remove_selected(self, reason: str) -> WaitlistResult | None:
        p = self.selected()
        return self.remove(p.id, reason) if p is not None else None

    def remove(self, entry_id: str, reason: str) -> WaitlistResult | None:
        result = self._guard("remove the party", lambda: self.waitlist.remove(entry_id, reason))
        if result is not None:
            self._done(result)
        return result

    def undo(self) -> Any:
        result = self._guard("undo", self.service.undo)
        if result is not None:
            self.notice.show_result(result.message, error=not result.ok)
            self.command_done.emit(result)
            self.refresh_now()
        return result

    def _done(self, result: WaitlistResult) -> None:
        self.notice.show_result(result.message, error=not result.ok, undo=result.undo_label if result.ok else None)
        self.command_done.emit(result)
        self.refresh_now()

    def _open_picker(self, entry_id: str, result: WaitlistResult) -> None:
        if self.picker is not None:
            self.picker.reject()
        p = self.model.get(entry_id)
        picker = TablePicker(result.as_command_result(), party_name=f"{p.name} ({p.party_size})" if p else "",
                             parent=self)
        picker.wait_button.hide()
        picker.cancel_button.setText("Keep waiting")
        picker.table_chosen.connect(lambda ids, eid=entry_id: self.seat(eid, tuple(ids)))
        picker.finished.connect(lambda _code, pk=picker: self._picker_closed(pk))
        self.picker = picker
        picker.open()

    def _picker_closed(self, picker: TablePicker) -> None:
        if self.picker is picker:
            self.picker = None
        picker.deleteLater()

    def _guard(self, verb: str, fn) -> Any:  # noqa: ANN001
        try:
            return fn()
        except Exception as exc:  # never a traceback on the host's screen
            log.exception("%s failed", verb)
            self.notice.show_result(
                f"Could not {verb}: something went wrong on this terminal ({type(exc).__name__}). Please try again.",
                error=True,
            )
            return None


def _c(color) -> str:  # noqa: ANN001
    return color.name()


STYLE = f"""
QWidget#waitlistPage {{ background: {_c(theme.CANVAS)}; }}
QFrame#pacingCard {{ background: {_c(theme.PAPER)}; border: 1px solid {_c(theme.LINE)}; border-radius: 12px; }}
QLabel#formTitle {{ font-size: 20px; font-weight: bold; color: {_c(theme.INK)}; }}
QLabel#formKey {{ font-size: 13px; font-weight: bold; color: {_c(theme.MUTED)}; padding-top: 4px; }}
QScrollArea#formScroll {{ background: transparent; border: none; }}
QWidget#formFields {{ background: {_c(theme.PAPER)}; }}
QPushButton::menu-indicator {{ image: none; width: 0; }}
QLabel#fieldHint {{ font-size: 12px; color: {_c(theme.MUTED)}; }}
QLabel#fieldError {{ font-size: 13px; font-weight: bold; color: {_c(theme.WARNING)}; }}
QLineEdit#formField {{ font-size: 17px; padding: 4px 12px; border: 2px solid {_c(theme.LINE)}; border-radius: 10px;
    background: #F7F8FA; }}
QLineEdit#formField:focus {{ border-color: {_c(theme.PRIMARY)}; background: #FFFFFF; }}
QLineEdit#formField[invalid="true"] {{ border-color: {_c(theme.WARNING)}; background: #FDECEA; }}
QLabel#sizeValue {{ font-size: 30px; font-weight: bold; }}
QPushButton#stepButton {{ font-size: 26px; background: #F1F3F6; border: 1px solid {_c(theme.LINE)}; border-radius: 10px;
    padding: 0; }}
QPushButton#stepButton:pressed {{ background: #E2ECFD; }}
QPushButton#stepButton:disabled {{ color: #B8BFCA; }}
QPushButton#sizeChip {{ background: #FFFFFF; border: 1px solid {_c(theme.LINE)}; border-radius: 10px; font-size: 15px;
    padding: 0; color: #4A5263; }}
QPushButton#sizeChip:pressed {{ background: #E2ECFD; }}
QPushButton#allergenChip {{ background: #FFFFFF; border: 1px solid {_c(theme.LINE)}; border-radius: 8px; font-size: 12px;
    padding: 0 2px; color: #4A5263; }}
QPushButton#allergenChip:checked {{ background: {_c(theme.ALLERGY)}; border-color: {_c(theme.ALLERGY)}; color: #FFFFFF; }}
QLabel#quotePreview {{ font-size: 14px; color: {_c(theme.INK)}; background: #F4F7FD; border: 1px solid #D6E2F7;
    border-radius: 10px; padding: 8px 12px; }}
QTableView#waitTable {{ border: none; background: {_c(theme.PAPER)}; selection-background-color: #E2ECFD; outline: none; }}
QFrame#actionBar {{ background: #F7F8FA; border-top: 1px solid {_c(theme.LINE)}; }}
QLabel#actionWho {{ font-size: 17px; font-weight: bold; }}
QLabel#actionPhone {{ font-size: 18px; color: {_c(theme.PRIMARY)}; font-weight: bold; }}
QLabel#accuracyLine {{ font-size: 13px; color: {_c(theme.MUTED)}; border-top: 1px solid #EDEFF3; }}
QLabel#pacingEmpty {{ font-size: 15px; color: {_c(theme.MUTED)}; padding: 24px; }}
QFrame#pageNotice {{ border-radius: 10px; }}
QFrame#pageNotice[tone="ok"] {{ background: #E6F4EA; }}
QFrame#pageNotice[tone="error"] {{ background: {_c(theme.WARNING)}; }}
QFrame#pageNotice[tone="error"] QLabel {{ color: #FFFFFF; font-weight: bold; }}
QLabel#noticeLabel {{ font-size: 14px; color: #1E6B3A; }}
"""

__all__ = ["WaitlistPage"]
