"""The night report page: planted disagreements shown with their fixes; a one-click fix; CSV and PDF export."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from hoststand.domain.model import CourseStage, Ticket
from hoststand.store import repos


def plant_walk_in(night):
    now = night.clock.now()
    with night.store.write() as s:
        repos.save_ticket(s, Ticket(id="walk", table_id="T20", reservation_id=None, covers=2, pos_id="pos-walk",
                                    opened_at=now - timedelta(minutes=40), stage=CourseStage.MAINS), business_date=20261127)
    night.clock.advance(timedelta(minutes=15))


def test_the_night_report_lists_a_walk_in_not_logged_and_fixes_it_in_one_click(qtbot, window, night, shot):
    plant_walk_in(night)
    window.show_page("report")
    page = window.page("report")
    assert window.current_page() is page
    walk = next(i for i in range(page.card_count()) if page.card(i).discrepancy.ticket_id == "walk")
    card = page.card(walk)
    assert card.fix_button is not None and "walk-in" in card.fix_button.text().lower()
    shot(window, "night-report")
    before = page.card_count()
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert page.card_count() == before - 1
    assert "walk" not in {page.card(i).discrepancy.ticket_id for i in range(page.card_count())}


def test_the_report_exports_to_csv_and_pdf(qtbot, window, night, tmp_path):
    plant_walk_in(night)
    window.show_page("report")
    page = window.page("report")
    csv_path = page.export(tmp_path / "night.csv", "csv")
    assert "Whole service" in csv_path.read_text()
    pdf = page.export(tmp_path / "night.pdf", "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
