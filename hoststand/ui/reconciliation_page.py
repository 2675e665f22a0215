"""The night report (manager): covers booked / arrived / seated / rung in, per 15-minute slot, and every place
the host stand, the POS and the booking platform disagree, each with its one-click fix where one is safe.
Exports the report as CSV and PDF at the end of the night.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QMarginsF, QModelIndex, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hoststand.ui.pages import Page

_SLOT_HEADERS = ("Time", "Booked", "Arrived", "Seated", "Rung in")


class SlotTableModel(QAbstractTableModel):
    """Covers per 15-minute slot."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._slots: list = []

    def set_slots(self, slots) -> None:  # noqa: ANN001
        self.beginResetModel()
        self._slots = list(slots)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._slots)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_SLOT_HEADERS)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._slots)):
            return None
        sl = self._slots[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (sl.start_local.strftime("%H:%M"), sl.booked, sl.arrived, sl.seated, sl.rung_in)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(_SLOT_HEADERS):
            return _SLOT_HEADERS[section]
        return None


class DiscrepancyCard(QFrame):
    fix_clicked = Signal(object)

    def __init__(self, d, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("discrepancyCard")
        self.discrepancy = d
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 10, 12, 10)
        row.setSpacing(12)
        text = QLabel(d.message)
        text.setObjectName("discrepancyText")
        text.setWordWrap(True)
        row.addWidget(text, 1)
        self.fix_button: QPushButton | None = None
        if d.fix_label:
            self.fix_button = QPushButton(d.fix_label)
            self.fix_button.setObjectName("secondaryButton")
            self.fix_button.setMinimumHeight(44)
            self.fix_button.clicked.connect(lambda: self.fix_clicked.emit(self.discrepancy))
            row.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignVCenter)


class ReconciliationPage(Page):
    """`service` is a `ReconciliationService`; `on_result` shows a command's plain-words result."""

    topics = frozenset({"reservations", "tickets", "outbox", "reconciliation"})

    def __init__(self, service, on_result=None, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("reconciliationPage")
        self.service = service
        self.on_result = on_result
        self.view = None
        self._day: date | None = None

        col = QVBoxLayout(self)
        col.setContentsMargins(24, 18, 24, 18)
        col.setSpacing(14)

        top = QHBoxLayout()
        title = QLabel("Night report")
        title.setObjectName("pageTitle")
        top.addWidget(title)
        self.day_box = QComboBox()
        self.day_box.setMinimumHeight(40)
        self.day_box.setMinimumWidth(240)
        self.day_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.day_box.activated.connect(self._day_chosen)
        top.addWidget(self.day_box)
        top.addStretch(1)
        self.csv_button = QPushButton("Export CSV…")
        self.pdf_button = QPushButton("Export PDF…")
        for b in (self.csv_button, self.pdf_button):
            b.setObjectName("secondaryButton")
            b.setMinimumHeight(44)
            top.addWidget(b)
        self.csv_button.clicked.connect(lambda: self._export("csv"))
        self.pdf_button.clicked.connect(lambda: self._export("pdf"))
        col.addLayout(top)

        figures = QHBoxLayout()
        figures.setSpacing(12)
        self.figures: dict[str, QLabel] = {}
        for key, caption in (("booked", "covers booked"), ("arrived", "arrived"), ("seated", "seated"), ("rung_in", "rung in on the POS")):
            box = QFrame()
            box.setObjectName("figureCard")
            v = QVBoxLayout(box)
            v.setContentsMargins(16, 10, 16, 10)
            value = QLabel("–")
            value.setObjectName("reportFigure")
            label = QLabel(caption)
            label.setObjectName("reportCaption")
            v.addWidget(value)
            v.addWidget(label)
            figures.addWidget(box)
            self.figures[key] = value
        figures.addStretch(1)
        col.addLayout(figures)

        body = QHBoxLayout()
        body.setSpacing(18)
        self.slots = SlotTableModel(self)
        self.slot_view = QTableView()
        self.slot_view.setModel(self.slots)
        self.slot_view.verticalHeader().hide()
        self.slot_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.slot_view.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.slot_view.setFixedWidth(420)
        body.addWidget(self.slot_view)

        right = QVBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("sectionTitle")
        right.addWidget(self.summary)
        self.cards_host = QWidget()
        self.cards = QVBoxLayout(self.cards_host)
        self.cards.setContentsMargins(0, 0, 0, 0)
        self.cards.setSpacing(8)
        self.cards.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.cards_host)
        right.addWidget(scroll, 1)
        body.addLayout(right, 1)
        col.addLayout(body, 1)

    # ------------------------------------------------------------------------------------ data

    def refresh(self) -> None:
        dates = self.service.service_dates()
        self.day_box.blockSignals(True)
        self.day_box.clear()
        for d in dates:
            self.day_box.addItem(f"{d:%A} {d.day} {d:%B %Y}", d)
        if self._day in dates:
            self.day_box.setCurrentIndex(dates.index(self._day))
        self.day_box.blockSignals(False)
        self.show_view(self.service.report(self._day))

    def show_view(self, view) -> None:  # noqa: ANN001
        self.view = view
        t = view.totals
        for key in self.figures:
            self.figures[key].setText(str(getattr(t, key)))
        self.slots.set_slots(view.slots)
        while self.cards.count() > 1:
            item = self.cards.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        n = len(view.discrepancies)
        self.summary.setText(
            "Everything agrees: the host stand, the POS and the booking platform." if n == 0
            else f"{n} disagreement{'s' if n != 1 else ''} to look at"
        )
        for d in view.discrepancies:
            card = DiscrepancyCard(d)
            card.fix_clicked.connect(self.apply_fix)
            self.cards.insertWidget(self.cards.count() - 1, card)

    def card_count(self) -> int:
        return self.cards.count() - 1

    def card(self, i: int) -> DiscrepancyCard:
        return self.cards.itemAt(i).widget()

    def apply_fix(self, d) -> None:  # noqa: ANN001
        result = self.service.fix(d)
        if self.on_result is not None:
            self.on_result(result)
        self.refresh()

    def _day_chosen(self, index: int) -> None:
        self._day = self.day_box.itemData(index)
        self.show_view(self.service.report(self._day))

    def _export(self, kind: str) -> None:
        if self.view is None:
            return
        suggested = f"night-report-{self.view.service_date.isoformat()}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, "Export the night report", suggested,
                                              "CSV (*.csv)" if kind == "csv" else "PDF (*.pdf)")
        if path:
            self.export(Path(path), kind)

    def export(self, path: Path, kind: str) -> Path:
        if kind == "csv":
            path.write_text(self.service.csv_text(self.view), encoding="utf-8")
        else:
            write_report_pdf(self.view, path, restaurant=self.service.settings.name)
        return path


def report_html(view, restaurant: str) -> str:  # noqa: ANN001
    t = view.totals
    rows = "".join(
        f"<tr><td>{s.start_local:%H:%M}</td><td>{s.booked}</td><td>{s.arrived}</td><td>{s.seated}</td><td>{s.rung_in}</td></tr>"
        for s in view.slots
    )
    issues = "".join(
        f"<li>{html.escape(d.message)}{f' <i>(suggested: {html.escape(d.fix_label)})</i>' if d.fix_label else ''}</li>"
        for d in view.discrepancies
    ) or "<li>Everything agrees.</li>"
    return f"""
    <h1>{html.escape(restaurant)} — night report</h1>
    <p>{view.service_date:%A %d %B %Y} · generated {view.generated_local:%H:%M}</p>
    <h2>Covers</h2>
    <table border="1" cellpadding="4" cellspacing="0">
      <tr><th></th><th>Booked</th><th>Arrived</th><th>Seated</th><th>Rung in</th></tr>
      <tr><td><b>Whole service</b></td><td>{t.booked}</td><td>{t.arrived}</td><td>{t.seated}</td><td>{t.rung_in}</td></tr>
    </table>
    <h2>Disagreements ({len(view.discrepancies)})</h2>
    <ul>{issues}</ul>
    <h2>Per 15 minutes</h2>
    <table border="1" cellpadding="3" cellspacing="0">
      <tr><th>Time</th><th>Booked</th><th>Arrived</th><th>Seated</th><th>Rung in</th></tr>{rows}
    </table>
    """


def write_report_pdf(view, path: Path, *, restaurant: str) -> Path:  # noqa: ANN001
    """Render the report to a PDF (works offscreen: no printer, no display needed)."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"{restaurant} night report {view.service_date.isoformat()}")
    doc = QTextDocument()
    doc.setHtml(report_html(view, restaurant))
    doc.setPageSize(writer.pageLayout().paintRectPixels(writer.resolution()).size().toSizeF())
    doc.print_(writer)
    return path
