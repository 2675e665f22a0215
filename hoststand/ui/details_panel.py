"""The selected party (or table), everything the host should know before walking them to the table.

Allergies come first and cannot be missed: a red block at the top with the allergens in capitals, a SEVERE
marker, and the guest's own words verbatim in quotes. Then who they are, tonight's request and notes,
history, phone, the ticket's stage and what is still on its way to the vendors, in plain words. The big
buttons act on the party shown: check in & seat, arrived – waiting, undo.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hoststand.domain.model import ReservationStatus
from hoststand.domain.phone import format_phone
from hoststand.services.views import PartyDetails, TableView
from hoststand.ui import marks, theme

S = ReservationStatus
_CURRENCY = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def visits_text(p: PartyDetails) -> str:
    """"4th visit · last 12 Oct 2026" (tonight counts); "First visit" for a new guest."""
    if p.visits <= 0:
        return "First visit"
    text = f"{ordinal(p.visits + 1)} visit"
    if p.last_visit_local:
        text += f" · last {p.last_visit_local.day} {p.last_visit_local.strftime('%b %Y')}"
    if p.total_spend:
        symbol = _CURRENCY.get(p.currency)
        amount = f"{p.total_spend / 100:,.0f}"
        text += f" · {symbol}{amount} spent" if symbol else f" · {amount} {p.currency} spent"
    return text


def allergen_heading(p: PartyDetails) -> str:
    """"PEANUT · TREE NUT", or "SEE THE GUEST'S WORDS" when only words are known."""
    if p.allergens:
        return " · ".join(a.label.upper().replace(" ", "\u00a0") for a in p.allergens)  # never split one
    return "SEE THE GUEST'S WORDS BELOW"


def pending_lines(p: PartyDetails) -> list[str]:
    lines = []
    if p.ticket_pending and p.table_label:
        lines.append(f"Ticket at {p.table_label} waiting for the POS")
    lines.extend(p.pending_notes)
    return lines


class _Mark(QLabel):
    def __init__(self, kind: str, size: int = 18, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPixmap(marks.mark_pixmap(kind, size, self.devicePixelRatioF()))
        self.setFixedSize(size, size)


class _Chip(QFrame):
    """A small rounded label with an optional mark: "★ VIP", "Birthday"."""

    def __init__(self, kind: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chip")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 3, 10, 3)
        row.setSpacing(5)
        if kind:
            row.addWidget(_Mark(kind, 16))
        self.label = QLabel()
        self.label.setObjectName("chipText")
        row.addWidget(self.label)

    def set_text(self, text: str | None) -> None:
        self.label.setText(text or "")
        self.setVisible(bool(text))


class SizeStepper(QWidget):
    """A party size with big − and + buttons (a spin box's arrows are too small to tap)."""

    def __init__(self, parent: QWidget | None = None, *, low: int = 1, high: int = 50) -> None:
        super().__init__(parent)
        self._low, self._high, self._value = low, high, low
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.minus = QPushButton("−")
        self.plus = QPushButton("+")
        self.label = QLabel()
        self.label.setObjectName("sizeValue")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for b, step in ((self.minus, -1), (self.plus, 1)):
            b.setObjectName("stepButton")
            b.setFixedSize(44, 44)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, d=step: self.setValue(self._value + d))
        row.addWidget(self.minus)
        row.addWidget(self.label, 1)
        row.addWidget(self.plus)
        self.setValue(low)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt naming, like QSpinBox)
        self._value = max(self._low, min(self._high, int(value)))
        self.label.setText(str(self._value))
        self.minus.setEnabled(self._value > self._low)
        self.plus.setEnabled(self._value < self._high)


class AllergyBlock(QFrame):
    """Red, at the top, in capitals, with the guest's words verbatim."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allergyBlock")
        self.setAccessibleName("Allergy")
        col = QVBoxLayout(self)
        col.setContentsMargins(14, 10, 14, 10)
        col.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(10)
        icon = QLabel()
        icon.setObjectName("allergyIcon")
        icon.setPixmap(marks.mark_pixmap(marks.WARNING, 26, self.devicePixelRatioF()))
        icon.setFixedSize(26, 26)
        self.title = QLabel()
        self.title.setObjectName("allergyTitle")
        self.title.setWordWrap(True)
        self.severe = QLabel("SEVERE")
        self.severe.setObjectName("severeBadge")
        self.severe.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.title, 1)
        top.addWidget(self.severe, 0, Qt.AlignmentFlag.AlignTop)
        col.addLayout(top)
        self.words = QLabel()
        self.words.setObjectName("allergyWords")
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.words)

    def show_for(self, p: PartyDetails | None) -> None:
        has = bool(p and (p.allergens or p.allergy_words))
        self.setVisible(has)
        if not has or p is None:
            return
        self.title.setText(f"ALLERGY  {allergen_heading(p)}")
        self.severe.setVisible(p.severe_allergy)
        self.words.setText("\n".join(f"“{w}”" for w in p.allergy_words))
        self.words.setVisible(bool(p.allergy_words))

    def text(self) -> str:
        """Everything the block says, for tests and screen readers."""
        parts = [self.title.text()]
        if self.severe.isVisibleTo(self):
            parts.append("SEVERE")
        if self.words.text():
            parts.append(self.words.text())
        return "\n".join(parts)


class DetailsPanel(QFrame):
    """Shows one party (`show_party`) or a table without a party (`show_table`); emits the host's actions."""

    check_in_requested = Signal(str)  # reservation id
    arrived_requested = Signal(str)  # reservation id
    undo_requested = Signal()
    no_show_requested = Signal(str)  # reservation id
    cancel_requested = Signal(str)
    resize_requested = Signal(str)
    move_requested = Signal(str)

    FIELDS = (
        ("diet", "Diet"),
        ("request", "Tonight"),
        ("venue", "Venue notes"),
        ("profile", "Profile"),
        ("server", "Server"),
        ("visits", "Visits"),
        ("phone", "Phone"),
        ("ticket", "Ticket"),
        ("pending", "On its way"),
        ("next", "Next"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPanel")
        self._party: PartyDetails | None = None
        self._table: TableView | None = None
        self._undo_text = ""

        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self._stack = QStackedWidget()
        outer.addWidget(self._stack, 1)

        # Empty state.
        empty = QWidget()
        ev = QVBoxLayout(empty)
        ev.addStretch(1)
        e1 = QLabel("No party selected")
        e1.setObjectName("emptyTitle")
        e2 = QLabel("Type a name to find a party, or tap a table on the plan.")
        e2.setObjectName("emptyHint")
        for w in (e1, e2):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            ev.addWidget(w)
        ev.addStretch(1)
        self._stack.addWidget(empty)

        # The party.
        page = QWidget()
        pv = QVBoxLayout(page)
        pv.setContentsMargins(18, 14, 12, 12)
        pv.setSpacing(10)
        self.allergy = AllergyBlock()
        pv.addWidget(self.allergy)

        head = QHBoxLayout()
        head.setSpacing(8)
        self.name = QLabel()
        self.name.setObjectName("partyName")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("statusPill")
        self.vip = _Chip(marks.VIP)
        self.occasion = _Chip(marks.OCCASION)
        head.addWidget(self.name)
        head.addWidget(self.status, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addStretch(1)
        head.addWidget(self.vip)
        head.addWidget(self.occasion)
        pv.addLayout(head)
        self.summary = QLabel()
        self.summary.setObjectName("partySummary")
        pv.addWidget(self.summary)

        fields = QWidget()
        fields.setObjectName("detailsFields")
        grid = QGridLayout(fields)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        self._fields: dict[str, tuple[QLabel, QLabel]] = {}
        for i, (key, title) in enumerate(self.FIELDS):
            k = QLabel(title)
            k.setObjectName("fieldKey")
            k.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            v = QLabel()
            v.setObjectName("fieldValue")
            v.setWordWrap(True)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            grid.addWidget(k, i, 0)
            grid.addWidget(v, i, 1)
            self._fields[key] = (k, v)
        grid.setRowStretch(len(self.FIELDS), 1)
        scroll = QScrollArea()
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(fields)
        pv.addWidget(scroll, 1)
        self._stack.addWidget(page)

        # Actions.
        actions = QFrame()
        actions.setObjectName("detailsActions")
        av = QVBoxLayout(actions)
        av.setContentsMargins(12, 14, 14, 14)
        av.setSpacing(10)
        size_row = QHBoxLayout()
        size_row.setSpacing(6)
        size_label = QLabel("Party")
        size_label.setObjectName("fieldLabel")
        self.party_size_box = SizeStepper()
        self.party_size_box.setAccessibleName("Party size at seating")
        self.party_size_box.setToolTip("How many are actually here: change it before seating if the party grew or shrank")
        size_row.addWidget(size_label)
        size_row.addWidget(self.party_size_box, 1)
        av.addLayout(size_row)
        self.check_in_button = QPushButton("Check in && seat")
        self.check_in_button.setObjectName("primaryButton")
        self.check_in_button.setToolTip("Seat the party and open its ticket on the POS (Enter)")
        self.arrived_button = QPushButton("Arrived – waiting")
        self.arrived_button.setObjectName("secondaryButton")
        self.arrived_button.setToolTip("The party is here; their table is not ready yet (Shift+Enter)")
        self.no_show_button = QPushButton("Mark no-show")
        self.no_show_button.setObjectName("warnButton")
        self.no_show_button.setToolTip("The party is well past its time: tell the booking platform and free the table")
        self.more_button = QPushButton("More…")
        self.more_button.setObjectName("secondaryButton")
        self.more_menu = QMenu(self.more_button)
        self.resize_action = self.more_menu.addAction("Change party size…")
        self.move_action = self.more_menu.addAction("Move to another table…")
        self.more_menu.addSeparator()
        self.cancel_action = self.more_menu.addAction("Cancel the reservation…")
        self.more_button.setMenu(self.more_menu)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setToolTip("Undo the last check-in or arrival (Ctrl+Z)")
        for b in (self.check_in_button, self.arrived_button, self.no_show_button, self.more_button, self.undo_button):
            b.setMinimumHeight(52)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            av.addWidget(b)
        av.addStretch(1)
        actions.setFixedWidth(236)
        outer.addWidget(actions)

        self.check_in_button.clicked.connect(self._check_in)
        self.arrived_button.clicked.connect(self._arrived)
        self.undo_button.clicked.connect(self.undo_requested)
        self.no_show_button.clicked.connect(lambda: self._emit(self.no_show_requested))
        self.resize_action.triggered.connect(lambda: self._emit(self.resize_requested))
        self.move_action.triggered.connect(lambda: self._emit(self.move_requested))
        self.cancel_action.triggered.connect(lambda: self._emit(self.cancel_requested))
        self.clear()

    def _emit(self, signal) -> None:  # noqa: ANN001
        if self._party:
            signal.emit(self._party.reservation_id)

    # ------------------------------------------------------------------------------- state

    @property
    def reservation_id(self) -> str | None:
        return self._party.reservation_id if self._party else None

    @property
    def table_id(self) -> str | None:
        return self._table.id if self._table else None

    @property
    def party(self) -> PartyDetails | None:
        return self._party

    def clear(self) -> None:
        self._party = None
        self._table = None
        self._stack.setCurrentIndex(0)
        self._update_buttons()

    def show_party(self, party: PartyDetails | None, table: TableView | None = None) -> None:
        """Show `party` (None: the table alone, or the empty state)."""
        if party is None:
            if table is not None:
                self.show_table(table)
            else:
                self.clear()
            return
        if self._party is None or self._party.reservation_id != party.reservation_id:
            self.party_size_box.setValue(party.party_size)  # a new party: its booked size (keep the host's edit otherwise)
        self._party = party
        self._table = table
        self._stack.setCurrentIndex(1)
        self.allergy.show_for(party)
        self.name.setText(party.name)
        self._set_status(party)
        self.vip.set_text(party.vip_tier if party.vip_tier and party.vip_tier != "Regular" else None)
        self.occasion.set_text(party.occasion)
        bits = [f"{party.party_size} guest{'s' if party.party_size != 1 else ''}", party.time_local.strftime("%H:%M")]
        bits.append(f"Table {party.table_label}" if party.table_label else "No table yet")
        if party.seated_local and party.status is S.SEATED:
            bits.append(f"seated {party.seated_local.strftime('%H:%M')}")
        elif party.arrived_local and party.status is S.ARRIVED:
            bits.append(f"here since {party.arrived_local.strftime('%H:%M')}")
        self.summary.setText(" · ".join(bits))
        values = {
            "diet": ", ".join(d.capitalize() for d in party.dietary),
            "request": f"“{party.guest_request}”" if party.guest_request else "",
            "venue": party.venue_notes,
            "profile": party.profile_notes,
            "server": party.preferred_server or "",
            "visits": visits_text(party),
            "phone": format_phone(party.phone) if party.phone else "",
            "ticket": theme.STAGE_LABELS.get(party.ticket_stage, "") if party.ticket_stage else "",
            "pending": "\n".join(pending_lines(party)),
            "next": "",
        }
        self._set_fields(values)
        self._update_buttons()

    def show_table(self, table: TableView) -> None:
        """A table without a party: its seats, state and who comes next."""
        self._party = None
        self._table = table
        self._stack.setCurrentIndex(1)
        self.allergy.show_for(None)
        self.name.setText(f"Table {table.name}")
        style = theme.table_style(table.state)
        self.status.setText(style.label)
        self.status.setProperty("tone", "free" if table.state.value == "free" else "muted")
        _repolish(self.status)
        self.vip.set_text(None)
        self.occasion.set_text(None)
        self.summary.setText(f"{table.min_seats}–{table.max_seats} seats")
        nxt = ""
        if table.next_time_local:
            nxt = f"{table.next_time_local.strftime('%H:%M')} {table.next_name or ''}".strip()
        values = {k: "" for k, _ in self.FIELDS}
        values["next"] = nxt or "Nothing booked here for the rest of tonight"
        if not table.pos_linked:
            values["pending"] = "This table is not on the POS: ask a manager to match its POS name."
        self._set_fields(values)
        self._update_buttons()

    def set_undo_label(self, label: str | None) -> None:
        self._undo_text = label or ""
        self._update_buttons()

    # ----------------------------------------------------------------------------- helpers

    def _set_status(self, p: PartyDetails) -> None:
        self.status.setText(theme.STATUS_LABELS[p.status])
        self.status.setProperty("tone", p.status.value)
        _repolish(self.status)

    def _set_fields(self, values: dict[str, str]) -> None:
        for key, (k, v) in self._fields.items():
            text = values.get(key, "")
            v.setText(text)
            k.setVisible(bool(text))
            v.setVisible(bool(text))

    def field_text(self, key: str) -> str:
        return self._fields[key][1].text()

    def _update_buttons(self) -> None:
        p = self._party
        self.check_in_button.setEnabled(bool(p and p.status in (S.BOOKED, S.ARRIVED)))
        self.party_size_box.setEnabled(bool(p and p.status in (S.BOOKED, S.ARRIVED)))
        self.arrived_button.setEnabled(bool(p and p.status is S.BOOKED))
        suspect = bool(p and p.no_show_suspect)
        self.no_show_button.setVisible(suspect)
        if suspect:
            self.no_show_button.setText("Mark no-show")
            self.no_show_button.setToolTip(
                f"{p.minutes_late} min late and not here: tell the booking platform and free the table"
            )
        self.more_button.setEnabled(bool(p and p.status in (S.BOOKED, S.ARRIVED, S.SEATED)))
        self.cancel_action.setEnabled(bool(p and p.status in (S.BOOKED, S.ARRIVED)))
        self.undo_button.setEnabled(bool(self._undo_text))
        if self._undo_text:
            fm = QFontMetrics(self.undo_button.font())
            room = max(60, self.undo_button.width() - 36)  # the button's padding and border
            self.undo_button.setText(fm.elidedText(self._undo_text, Qt.TextElideMode.ElideRight, room).replace("&", "&&"))
            self.undo_button.setToolTip(f"{self._undo_text} (Ctrl+Z)")
        else:
            self.undo_button.setText("Undo")
            self.undo_button.setToolTip("Nothing to undo")

    def party_size_at_seating(self, reservation_id: str) -> int | None:
        """The size the host set for this party before seating, when it differs from the booking."""
        p = self._party
        if p is None or p.reservation_id != reservation_id or self.party_size_box.value() == p.party_size:
            return None
        return self.party_size_box.value()

    def _check_in(self) -> None:
        if self._party:
            self.check_in_requested.emit(self._party.reservation_id)

    def _arrived(self) -> None:
        if self._party:
            self.arrived_requested.emit(self._party.reservation_id)


def _repolish(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)
