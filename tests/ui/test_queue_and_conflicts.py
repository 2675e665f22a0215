"""The sync queue page and the conflict inbox, on the UI tests' Friday night (a real cache, nothing sent):
plain words on every row, Retry and Discard on refused actions, each conflict's facts and choices as big
buttons that carry the choice out; both registered in the main window as the lead does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from hoststand.domain.model import ActionState, ConflictRecord, ReservationStatus
from hoststand.services.operations import (
    CHOICE_KEEP,
    CHOICE_LINK,
    CHOICE_MOVE,
    CHOICE_RELEASE,
    CHOICE_SECOND_TICKET,
    OperationsService,
)
from hoststand.store import outbox, repos
from hoststand.sync.handlers import CONFLICT_TABLE_TAKEN
from hoststand.ui.conflicts_page import ConflictsPage
from hoststand.ui.queue_page import ITEM_ROLE, QueueModel, QueuePage

S = ReservationStatus


@pytest.fixture
def ops(night):
    return OperationsService(night.store, layout=night.layout, settings=night.service.settings, clock=night.clock,
                             bus=night.bus)


def _queue_a_night(night) -> dict[str, str]:
    """Smith and Rossi seated while the POS is away: one refused, one retrying, the rest waiting."""
    svc, store, now = night.service, night.store, night.clock.now()
    assert svc.check_in(night.ids["smith"]).ok
    assert svc.check_in(night.ids["rossi"]).ok
    claimed = outbox.claim(store, now=now, limit=2)
    ids = {}
    with store.write() as s:
        first, second = claimed
        outbox.dead(s, first.id, reason="toast refused it: Table 12 does not exist at this restaurant.", now=now)
        outbox.fail(s, second.id, error="toast unreachable (could not connect)", next_attempt_at=now + timedelta(minutes=3))
        ids["dead"], ids["failed"] = first.id, second.id
    return ids


def _table_taken(night) -> str:
    svc, store, now = night.service, night.store, night.clock.now()
    assert svc.check_in(night.ids["smith"]).ok
    with store.write() as s:
        ticket = repos.tickets_for_reservation(s, night.ids["smith"])[0]
        cid = repos.new_id()
        repos.add_conflict(s, ConflictRecord(
            id=cid, kind=CONFLICT_TABLE_TAKEN, summary="(sync's words)", created_at=now - timedelta(minutes=1),
            reservation_id=night.ids["smith"], table_id="T12", choices=(CHOICE_SECOND_TICKET, CHOICE_MOVE, CHOICE_LINK),
            facts={"table": "12", "why": "opened_before", "order_guid": "hand-1", "order_guests": 2, "order_items": 3,
                   "order_opened_at": (now - timedelta(minutes=6)).isoformat(), "seated_at": now.isoformat(),
                   "action_id": ticket.external_id, "ticket_id": ticket.id, "order_tab": "Bar 2 walk-in"}))
    return cid


def _cancelled_online(night, key="okafor") -> str:
    now = night.clock.now()
    with night.store.write() as s:
        cid = repos.new_id()
        repos.add_conflict(s, ConflictRecord(
            id=cid, kind="cancelled_while_here", summary="Chidi Okafor (6) was cancelled online, but is seated at 16 here.",
            created_at=now, reservation_id=night.ids[key], choices=(CHOICE_KEEP, CHOICE_RELEASE),
            facts={"remote_status": "Cancelled", "local_status": "seated", "tables": ["T16"],
                   "remote_updated_at": (now - timedelta(minutes=2)).isoformat()}))
    return cid


# ------------------------------------------------------------------------------------------ the queue


def test_the_queue_model_passes_qtmodeltester(qtmodeltester, night, ops):
    _queue_a_night(night)
    model = QueueModel()
    model.set_items(ops.queue())
    qtmodeltester.check(model, force_py=True)
    model.set_state_filter("dead")
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 1


def test_the_queue_page_says_each_action_in_plain_words(qtbot, night, ops, shot):
    ids = _queue_a_night(night)
    page = QueuePage(ops)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.refresh()
    assert page.tiles["dead"].count == 1 and page.tiles["failed"].count == 1 and page.tiles["pending"].count == 2
    assert page.badge() == "4"
    rows = [page.model.index(r, 0) for r in range(page.model.rowCount())]
    items = [i.data(ITEM_ROLE) for i in rows]
    assert items[0].id == ids["dead"] and items[1].id == ids["failed"]  # what needs a person first
    assert {i.data() for i in rows} >= {"Open ticket at 12 for Ann Smith (4)", "Open ticket at 21 for Marco Rossi (2)"}
    failed = rows[1].data(Qt.ItemDataRole.ToolTipRole)
    assert "next try at 19:45" in failed  # 19:42 + 3 min, restaurant time
    assert "the booking platform could not be reached" in failed and "(could not connect)" in failed  # plain, then the detail
    assert "1 refused, waiting for a manager" in page.subtitle.text()
    shot(page, "queue_page")


def test_a_refused_action_can_be_retried_or_discarded(qtbot, night, ops):
    ids = _queue_a_night(night)
    page = QueuePage(ops)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert not page.actions.isVisible()
    assert page.select(ids["dead"])
    assert page.actions.isVisible() and "does not exist" in page.reason.text()
    with qtbot.waitSignal(page.command_done) as blocker:
        qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok and page.message.text().startswith("Sending again: Open ticket at 12")
    with night.store.read() as s:
        assert outbox.get(s, ids["dead"]).state is ActionState.PENDING
    assert page.tiles["dead"].count == 0 and not page.actions.isVisible()

    with night.store.write() as s:  # refused again
        outbox.dead(s, ids["dead"], reason="toast refused it: still no such table", now=night.clock.now())
    page.refresh()
    page.set_filter("dead")
    assert page.model.rowCount() == 1 and page.tiles["dead"].isChecked()
    assert page.select(ids["dead"])
    qtbot.mouseClick(page.discard_button, Qt.MouseButton.LeftButton)
    assert "will not be sent" in page.message.text()
    assert page.model.rowCount() == 0 and page.empty.isVisible()
    page.set_filter("dead")  # tapping the shown tile again shows everything
    assert page.model.state_filter() is None and page.model.rowCount() == 3


def test_an_empty_queue_says_so(qtbot, ops):
    page = QueuePage(ops)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.empty.isVisible() and "every change has been sent" in page.empty.text()
    assert page.badge() == ""


# -------------------------------------------------------------------------------------- the conflicts


def test_a_conflict_card_shows_the_facts_and_each_choice_as_a_button(qtbot, night, ops, shot):
    _table_taken(night)
    _cancelled_online(night)
    page = ConflictsPage(ops)
    qtbot.addWidget(page)
    page.resize(1200, 820)
    page.show()
    page.refresh()
    assert page.badge() == "2" and "2 decisions waiting" in page.subtitle.text()
    card = page.card(next(iter(page.cards)))
    assert card.conflict.kind == CONFLICT_TABLE_TAKEN  # oldest first
    assert "Table 12 already has another open ticket" in card.summary.text()
    assert list(card.buttons) == [CHOICE_SECOND_TICKET, CHOICE_MOVE, CHOICE_LINK]
    assert all(b.minimumHeight() >= 48 for b in card.buttons.values())  # big touch targets
    assert card.conflict.facts["Other ticket"] == "Open on the POS since 19:36, 2 guests, 3 items rung in"
    shot(page, "conflicts_page")


def test_tapping_a_choice_carries_it_out_and_the_card_goes(qtbot, night, ops):
    cid = _cancelled_online(night)
    page = ConflictsPage(ops)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    with qtbot.waitSignal(page.command_done) as blocker:
        qtbot.mouseClick(page.card(cid).buttons[CHOICE_KEEP], Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok and "re-confirm" in page.message.text()
    assert page.cards == {} and page.empty.isVisible()
    with night.store.read() as s:
        pending = outbox.unsettled_for(s, [night.ids["okafor"]])[night.ids["okafor"]]
    assert [a.payload["status"] for a in pending] == ["seated"]


def test_moving_the_party_opens_the_table_picker_then_moves_it(qtbot, night, ops):
    cid = _table_taken(night)
    page = ConflictsPage(ops)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.mouseClick(page.card(cid).buttons[CHOICE_MOVE], Qt.MouseButton.LeftButton)
    picker = page.picker
    assert picker is not None and picker.isVisible() and picker.buttons
    assert not picker.wait_button.isVisible()
    table_ids = picker.suggestions[0].table_ids
    qtbot.mouseClick(picker.buttons[0], Qt.MouseButton.LeftButton)
    assert night.reservation("smith").table_ids == table_ids
    assert page.cards == {} and "moved to" in page.message.text()


def test_the_main_window_opens_the_pages_from_the_header_notices(qtbot, window, night, ops):
    _queue_a_night(night)
    _cancelled_online(night)
    window.add_page("queue", "Sync queue", QueuePage(ops))
    window.add_page("conflicts", "Conflicts", ConflictsPage(ops))
    window.header.notice_clicked.emit("queued")
    assert window.current_page_key() == "queue" and window.page("queue").model.rowCount() == 4
    window.header.notice_clicked.emit("conflicts")
    assert window.current_page_key() == "conflicts" and len(window.page("conflicts").cards) == 1


def test_tapping_the_queued_notice_in_the_header_opens_the_sync_queue(qtbot, night):
    """The header's "N queued" chip is a shortcut to the page that explains it."""
    from PySide6.QtCore import Qt

    from hoststand.ui.main_window import MainWindow

    w = MainWindow(night.service)
    qtbot.addWidget(w)
    w.show()
    rid = next(r.id for r in night.service.reservations() if r.status.value == "booked" and r.table_ids)
    night.service.check_in(rid)
    w.refresh_all()
    assert w.header.queued.isVisible()
    qtbot.mouseClick(w.header.queued, Qt.MouseButton.LeftButton)
    assert w.current_page_key() == "queue"
