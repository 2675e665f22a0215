"""The printable fallback sheet: tonight's parties on paper, for when the host stand itself fails.

One landscape Letter page (or more) with the restaurant, the night, when the data was last heard from the
booking platform, then one line per party still expected or in the room, by time: size, table, phone (as
read aloud), allergies first and never cut (the codes, and the guest's own words), occasion, VIP, the
guest's request, where the party is, and an empty box to tick by hand. The header row repeats on every
page; each page is numbered.

Rendered with Qt only (`QTextDocument` printed to a `QPdfWriter`), so it works offscreen, without a printer
and with both APIs down: the sheet comes from the cache (`OperationsService.fallback_sheet()`).

- `sheet_document(sheet)`: the document (tests read its plain text);
- `write_sheet_pdf(sheet, path)`: the PDF; returns the number of pages;
- `add_print_action(window, ops)`: "Print fallback sheet…" in the main window's ☰ menu (a save dialog).
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QPainter
from PySide6.QtWidgets import QWidget

from hoststand.ui import theme

if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument

    from hoststand.services.operations import FallbackSheet, SheetParty

# The PDF's and the save dialog's Qt classes are imported where used: the main window imports this module for
# `add_print_action` before its first paint, which needs none of them.

log = logging.getLogger(__name__)

RESOLUTION = 300  # dots per inch of the PDF's layout
LAYOUT_DPI = 96  # QTextDocument lays text out in pixels of this size (a point is 96/72 of them)
FONT_PT = 8.5
FOOTER_PT = 7.5

_CSS = """
body { font-family: 'DejaVu Sans'; color: #1D2330; }
h1 { font-size: 15pt; margin: 0; }
p.sub { font-size: 9pt; color: #4A5263; margin: 2px 0 0 0; }
p.warn { font-size: 9pt; color: #B42318; font-weight: bold; margin: 4px 0 0 0; }
p.how { font-size: 8pt; color: #4A5263; margin: 6px 0 8px 0; }
table.parties { border-collapse: collapse; }
th { background: #1F2430; color: #FFFFFF; font-size: 8pt; font-weight: bold; text-align: left; padding: 4px; }
td { font-size: 8.5pt; padding: 6px 4px; border-bottom: 1px solid #C5CBD5; vertical-align: top; }
td.time { font-weight: bold; font-size: 10pt; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.name { font-weight: bold; }
td.size, td.table { font-weight: bold; font-size: 10pt; text-align: center; }
span.allergy { color: #B42318; font-weight: bold; }
span.severe { color: #FFFFFF; background: #B42318; font-weight: bold; }
span.words { color: #7A271A; font-style: italic; }
span.muted { color: #6B7385; }
td.box { width: 44px; }
"""


def _e(text: str) -> str:
    return html.escape(text or "", quote=False)


def allergy_html(p: SheetParty) -> str:
    if not (p.allergy_labels or p.allergy_words):
        return '<span class="muted">none given</span>'
    parts = []
    if p.severe:
        parts.append('<span class="severe">&nbsp;SEVERE&nbsp;</span> ')
    if p.allergy_labels:
        parts.append(f'<span class="allergy">{_e(", ".join(p.allergy_labels).upper())}</span>')
    if p.allergy_words:
        parts.append(f'<br/><span class="words">“{_e(p.allergy_words)}”</span>')
    return "".join(parts)


def notes_html(p: SheetParty) -> str:
    bits = []
    if p.occasion:
        bits.append(f"<b>{_e(p.occasion)}</b>")
    if p.vip:
        bits.append(f"<b>{_e(p.vip)}</b>")
    if p.request:
        bits.append(_e(p.request))
    return "<br/>".join(bits)


def sheet_html(sheet: FallbackSheet) -> str:
    day = sheet.service_date.strftime("%A %-d %B %Y")
    sub = [f"Printed {sheet.printed_local:%H:%M}"]
    if sheet.data_from_local is not None:
        sub.append(f"reservations as of {sheet.data_from_local:%H:%M}")
    else:
        sub.append("reservations never synced on this terminal")
    sub.append(f"{len(sheet.parties)} parties, {sheet.expected_covers} covers still expected or seated")
    warn = ""
    if not sheet.is_tonight:
        warn = "<p class='warn'>This is the last night the cache holds, not tonight: check the booking platform.</p>"
    elif sheet.stale:
        warn = "<p class='warn'>The reservations may be out of date: bookings made since then are not on this sheet.</p>"
    rows = []
    dash = "<span class='muted'>–</span>"
    for p in sheet.parties:
        phone = _e(p.phone) or dash
        rows.append(
            "<tr>"
            f"<td class='time'>{_e(p.time)}</td>"
            f"<td class='name'>{_e(p.name)}</td>"
            f"<td class='size'>{p.party_size}</td>"
            f"<td class='table'>{_e(p.table) or '–'}</td>"
            f"<td class='nowrap'>{phone}</td>"
            f"<td>{allergy_html(p)}</td>"
            f"<td>{notes_html(p)}</td>"
            f"<td>{_e(p.status)}</td>"
            "<td class='box'>&nbsp;</td>"
            "</tr>"
        )
    if not rows:
        rows.append("<tr><td colspan='9'>No party is expected or seated tonight.</td></tr>")
    return (
        f"<html><head><style>{_CSS}</style></head><body>"
        f"<h1>{_e(sheet.restaurant)} · fallback sheet · {_e(day)}</h1>"
        f"<p class='sub'>{_e(' · '.join(sub))}</p>{warn}"
        "<p class='how'>When the host stand is down: seat from this sheet, write the table and the time in the last "
        "column, and tell the server about every allergy in person.</p>"
        "<table class='parties' width='100%' cellspacing='0' cellpadding='4'>"
        "<thead><tr><th width='6%'>Time</th><th width='14%'>Party</th><th width='5%'>Size</th><th width='6%'>Table</th>"
        "<th width='12%'>Phone</th><th width='24%'>Allergies (guest's words)</th><th width='17%'>Occasion · VIP · request</th>"
        "<th width='9%'>Now</th><th width='7%'>Seated&nbsp;✓</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        "</body></html>"
    )


def sheet_document(sheet: FallbackSheet) -> QTextDocument:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    font = QFont(theme.FONT_FAMILY)
    font.setPointSizeF(FONT_PT)
    doc.setDefaultFont(font)
    doc.setHtml(sheet_html(sheet))
    doc.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, f"{sheet.restaurant} fallback sheet")
    return doc


def sheet_text(sheet: FallbackSheet) -> str:
    """The sheet as plain text (what a reader of the PDF would find in it)."""
    return sheet_document(sheet).toPlainText()


def write_sheet_pdf(sheet: FallbackSheet, path: str | Path) -> int:
    """Write the sheet as a PDF at `path` (landscape Letter); returns the number of pages. Needs a
    QGuiApplication (`ensure_gui_app`)."""
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(f"{sheet.restaurant} fallback sheet {sheet.service_date.isoformat()}")
    writer.setCreator("hoststand")
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), QPageLayout.Orientation.Landscape,
                    QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)
    )
    doc = sheet_document(sheet)
    paint = writer.pageLayout().paintRectPixels(RESOLUTION)  # device pixels, origin at the margins
    scale = RESOLUTION / LAYOUT_DPI
    footer_h = FOOTER_PT * LAYOUT_DPI / 72 * 2.2
    page = QSizeF(paint.width() / scale, paint.height() / scale - footer_h)
    doc.setPageSize(page)  # paginated at the printable area, less a footer line
    pages = doc.pageCount()
    painter = QPainter(writer)
    try:
        footer_font = QFont(theme.FONT_FAMILY)
        footer_font.setPixelSize(round(FOOTER_PT * LAYOUT_DPI / 72))  # in the layout's pixels (scaled below)
        for i in range(pages):
            if i:
                writer.newPage()
            painter.save()
            painter.scale(scale, scale)
            painter.translate(0, -i * page.height())
            doc.drawContents(painter, QRectF(QPointF(0, i * page.height()), page))
            painter.restore()
            painter.save()
            painter.scale(scale, scale)
            painter.setFont(footer_font)
            painter.setPen(QColor("#6B7385"))
            foot = QRectF(0, page.height(), page.width(), footer_h)
            painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             f"{sheet.restaurant} · {sheet.service_date:%d %b %Y} · printed {sheet.printed_local:%H:%M}")
            painter.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, f"Page {i + 1} of {pages}")
            painter.restore()
    finally:
        painter.end()
    return pages


def ensure_gui_app() -> QGuiApplication:
    """The Qt application fonts and PDF writing need; offscreen when there is no display (the CLI)."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["hoststand"])
    return app  # type: ignore[return-value]


def add_print_action(window: QWidget, ops) -> QAction:  # noqa: ANN001
    """Add "Print fallback sheet…" to the main window's ☰ menu (after "Refresh now"); returns the action.
    `ops` is an OperationsService, or a function returning it (the window builds it on first use)."""
    action = QAction("Print fallback sheet…", window)
    action.triggered.connect(lambda: print_sheet_dialog(window, ops() if callable(ops) else ops))
    menu = getattr(window, "menu", None)
    if menu is not None:
        before = getattr(window, "fit_action", None)
        menu.insertAction(before, action) if before is not None else menu.addAction(action)
    return action


def print_sheet_dialog(parent: QWidget, ops) -> Path | None:  # noqa: ANN001
    """Ask where to save the sheet, write it, and say so on the window's message bar when there is one."""
    from PySide6.QtWidgets import QFileDialog

    sheet = ops.fallback_sheet()
    suggested = Path.home() / f"fallback-sheet-{sheet.service_date.isoformat()}.pdf"
    name, _ = QFileDialog.getSaveFileName(parent, "Save the fallback sheet", str(suggested), "PDF (*.pdf)")
    if not name:
        return None
    path = Path(name if name.lower().endswith(".pdf") else name + ".pdf")
    messages = getattr(parent, "messages", None)
    try:
        pages = write_sheet_pdf(sheet, path)
    except OSError as exc:
        log.warning("could not write the fallback sheet (%s)", type(exc).__name__)
        if messages is not None:
            messages.show_message(f"Could not save the sheet there ({exc.strerror or 'no access'}).", error=True)
        return None
    if messages is not None:
        messages.show_message(f"Fallback sheet saved ({pages} {'page' if pages == 1 else 'pages'}): {path}. Print it now.")
    return path
