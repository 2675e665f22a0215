"""An outage through the main window, against the real sandboxes over loopback (issue 3): the POS goes down,
the host checks a party in (instant), the banner says what is down since when, the table and the row carry
the pending mark; the POS comes back, the queue drains, one order appears and the marks clear. Then the
fallback sheet: the menu action and the PDF, with the allergies in the guest's own words.

The core's async work runs on a `qasync.QEventLoop` (`run_until_complete`), never `processEvents()` inside
a coroutine (qasync re-enters).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from hoststand.domain.model import ReservationStatus, TableState
from hoststand.services.operations import OperationsService
from hoststand.store import outbox, repos
from hoststand.ui import marks
from hoststand.ui.queue_page import QueuePage
from hoststand.ui.reservation_model import MARKS_ROLE, Column
from hoststand.ui.sheet import add_print_action, sheet_text, write_sheet_pdf
from tests.integration.sync.conftest import make_night

S = ReservationStatus


@pytest.fixture
def loop(qapp):
    import qasync

    lp = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(lp)
    yield lp
    lp.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    lp.close()


@pytest.fixture
def live(tmp_path, loop):
    night = make_night(tmp_path)
    yield night
    core = night.core
    loop.run_until_complete(core.engine.booking.aclose())
    loop.run_until_complete(core.engine.pos.aclose())
    core.store.close()
    night.sandbox.stop()


def _party_to_seat(core):
    floor = {t.id: t for t in core.service.floor().tables}
    with core.store.read() as s:
        busy = set(outbox.unsettled_for(s))
        for r in core.service.reservations():
            if r.status is not S.BOOKED or not r.table_ids or r.id in busy or not r.has_allergy:
                continue
            if any(t.is_live for t in repos.tickets_for_reservation(s, r.id)):
                continue
            t = floor[r.table_ids[0]]
            if t.state is TableState.FREE or (t.state is TableState.HELD and t.reservation_id == r.id):
                return r
    raise AssertionError("no party to seat")


def _row_marks(window, reservation_id: str) -> tuple:
    return window.reservation_list.model.index_for_id(reservation_id, Column.NOTES).data(MARKS_ROLE) or ()


def test_pos_down_check_in_banner_and_pending_marks_then_it_drains(qtbot, live, loop, shot):
    from hoststand.ui.main_window import MainWindow

    core, clock = live.core, live.clock
    loop.run_until_complete(core.engine.puller.pull_all())
    window = MainWindow(core.service, title="hoststand — outage")
    qtbot.addWidget(window)
    ops = OperationsService(core.store, layout=core.layout, settings=core.settings, clock=clock, bus=core.bus)
    window.add_page("queue", "Sync queue", QueuePage(ops))
    window.resize(1440, 900)
    window.show()
    qtbot.waitExposed(window)
    party = _party_to_seat(core)
    table_id = party.table_ids[0]

    live.fault("toast", mode="down")
    down_at = core.service.now_local()
    result = window.check_in(party.id)
    assert result is not None and result.ok, result
    assert window.floor_view.table_item(table_id).view.state is TableState.SEATED  # at once, from the cache

    async def fail_until_down() -> None:
        for _ in range(4):
            await core.engine.replayer.step()
            await core.engine.replayer.join()
            if core.engine.health.is_down("toast"):
                return
            clock.advance(30)

    loop.run_until_complete(fail_until_down())
    assert core.engine.health.is_down("toast")
    window.refresh_all()
    banner = window.header.banner
    assert banner.isVisible()
    assert f"Toast (POS) is unreachable since {down_at:%H:%M}" in banner.message.text()
    assert "sent when it is back" in banner.message.text()
    assert window.floor_view.table_item(table_id).view.pending
    assert marks.PENDING in _row_marks(window, party.id)
    assert window.header.queued.isVisible()
    window.show_page("queue")
    assert any(i.kind_label.startswith(f"Open ticket at {party.table_label}") for i in window.page("queue").model._all)
    shot(window, "outage_queue_page")
    window.show_page("host")
    shot(window, "outage_banner")

    live.fault("toast", mode="up")
    core.engine.health.success("toast")  # what the prober does when the POS answers again
    assert loop.run_until_complete(core.engine.replayer.drain(timeout=30, advance=clock.advance))
    window.refresh_all()

    with core.store.read() as s:
        ticket = next(t for t in repos.tickets_for_reservation(s, party.id) if t.is_live)
        assert outbox.unsettled(s) == []
    orders = [o for o in live.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]
    assert len(orders) == 1 and ticket.pos_id == orders[0]["guid"]
    assert not banner.isVisible()
    assert not window.floor_view.table_item(table_id).view.pending
    assert marks.PENDING not in _row_marks(window, party.id)
    assert not window.header.queued.isVisible()
    shot(window, "outage_healed")


# ----------------------------------------------------------------------------------- the fallback sheet


@pytest.fixture
def ops(night):
    return OperationsService(night.store, layout=night.layout, settings=night.service.settings, clock=night.clock,
                             bus=night.bus)


def test_the_fallback_sheet_is_a_pdf_with_every_party_and_the_allergies_in_full(qapp, ops, tmp_path):
    sheet = ops.fallback_sheet()
    path = tmp_path / "sheet.pdf"
    pages = write_sheet_pdf(sheet, path)
    assert pages >= 1 and path.read_bytes().startswith(b"%PDF") and path.stat().st_size > 5_000
    text = sheet_text(sheet)
    if shutil.which("pdftotext"):  # what is really in the PDF, when poppler is installed
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for words in ("Ann Smith", "no nuts pls, epipen", "PEANUT, TREE NUT", "SEVERE", "(212) 555-0123", "Birthday",
                  "Gluten free please, coeliac", "10+11", "The Corner Bistro"):
        assert words in flat, words
    assert "Priya Patel" not in flat  # cancelled: not expected tonight


def test_a_long_night_runs_over_pages_and_every_line_is_kept(qapp, ops, tmp_path):
    from dataclasses import replace

    sheet = ops.fallback_sheet()
    many = tuple(replace(p, name=f"{p.name} {i}") for i in range(8) for p in sheet.parties)
    pages = write_sheet_pdf(replace(sheet, parties=many), tmp_path / "long.pdf")
    assert pages >= 3
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "long.pdf"), "-"], capture_output=True, text=True).stdout
        assert text.count("no nuts pls, epipen") == 8 and "Page 3 of" in text
        assert text.count("Allergies (guest's words)") == pages  # the header row repeats on every page


def test_the_menu_action_saves_the_sheet_where_the_host_chooses(qtbot, window, ops, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    action = add_print_action(window, ops)
    assert action in window.menu.actions() and action.text() == "Print fallback sheet…"
    target = tmp_path / "tonight"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "PDF (*.pdf)")))
    action.trigger()
    assert (tmp_path / "tonight.pdf").is_file()
    assert "Fallback sheet saved (1 page)" in window.messages.text()
