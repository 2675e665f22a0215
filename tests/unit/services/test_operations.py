"""The manager's operations on a real cache: the queue (retry, discard), the conflict inbox and each choice
carried out through the one write path, and the fallback sheet. Nothing is sent: the tests settle outbox
actions by hand, as the replayer would."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hoststand.domain.events import ChangeBus
from hoststand.domain.model import ActionState, ConflictRecord, CourseStage, ReservationStatus
from hoststand.services.operations import (
    CHOICE_KEEP,
    CHOICE_LINK,
    CHOICE_MOVE,
    CHOICE_RELEASE,
    CHOICE_SECOND_TICKET,
    CHOICE_SERVER_TOLD,
    OperationsService,
)
from hoststand.store import outbox, repos
from hoststand.sync.handlers import CONFLICT_ALLERGY_NOT_ON_TICKET, CONFLICT_TABLE_TAKEN

S = ReservationStatus


@pytest.fixture
def ops(service, store, layout, settings, clock):
    events = []
    service.bus.subscribe(events.append)
    o = OperationsService(store, layout=layout, settings=settings, clock=clock, bus=service.bus)
    o.events = events  # type: ignore[attr-defined]
    return o


def _send(store, clock, *, dead: str | None = None, kind: str | None = None) -> list:
    """Claim what is due and settle it as the replayer would: acknowledged, or dead with the vendor's reason."""
    sent = [a for a in outbox.claim(store, now=clock.now()) if kind is None or a.kind == kind]
    with store.write() as s:
        for a in sent:
            if dead:
                outbox.dead(s, a.id, reason=dead, now=clock.now())
            else:
                outbox.ack(s, a.id, now=clock.now(), outcome={"order_guid": f"order-{a.id[:8]}"})
    return sent


def _audit(store, clock, action: str) -> list:
    with store.read() as s:
        return [e for e in repos.audit_since(s, clock.now() - timedelta(hours=1)) if e.action == action]


# ------------------------------------------------------------------------------------------- queue


def test_the_queue_lists_waiting_and_dead_actions_in_plain_words(service, ops, store, clock):
    service.check_in("smith")
    items = ops.queue()
    assert {i.kind_label for i in items} == {
        "Open ticket at 12 for Ann Smith (4)",
        "Tell the booking platform Ann Smith (4) is seated at 12",
    }
    assert {i.state for i in items} == {"pending"} and {i.api_label for i in items} == {"POS", "Booking platform"}
    assert ops.queue_counts().waiting == 2 and ops.queue_counts().dead == 0


def test_a_failed_action_shows_its_next_attempt_in_restaurant_time(service, ops, store, clock):
    service.check_in("smith")
    [a] = [x for x in outbox.claim(store, now=clock.now()) if x.kind == "pos.open_ticket"]
    with store.write() as s:
        outbox.fail(s, a.id, error="toast unreachable (could not connect)", next_attempt_at=clock.now() + timedelta(minutes=2))
    item = next(i for i in ops.queue() if i.id == a.id)
    assert item.state == "failed" and item.next_attempt_local.strftime("%H:%M") == "19:02"  # 19:00 New York + 2 min
    assert "unreachable" in item.error


def test_retry_puts_a_dead_action_back_and_discard_gives_it_up(service, ops, store, clock):
    service.check_in("smith")
    _send(store, clock, dead="toast refused it: Table 12 does not exist at this restaurant.")
    counts = ops.queue_counts()
    assert counts.dead == 2 and counts.waiting == 0
    dead = [i for i in ops.queue() if i.state == "dead"]
    assert all("does not exist" in i.error for i in dead)
    pos = next(i for i in dead if i.api_label == "POS")
    booking = next(i for i in dead if i.api_label != "POS")

    r = ops.retry(pos.id)
    assert r.ok and r.message == "Sending again: Open ticket at 12 for Ann Smith (4)."
    with store.read() as s:
        assert outbox.get(s, pos.id).state is ActionState.PENDING
    r = ops.discard(booking.id)
    assert r.ok and "will not be sent" in r.message
    with store.read() as s:
        assert outbox.get(s, booking.id).state is ActionState.CANCELLED
    assert [i.id for i in ops.queue() if i.state == "dead"] == []
    assert len(_audit(store, clock, "queue_retry")) == 1 and len(_audit(store, clock, "queue_discard")) == 1
    assert any("outbox" in e.topics for e in ops.events)


def test_only_dead_actions_can_be_retried_or_discarded(service, ops):
    service.check_in("smith")
    item = ops.queue()[0]
    assert not ops.retry(item.id).ok and "still on its way" in ops.discard(item.id).message
    assert "no longer in the queue" in ops.retry("nope").message


# --------------------------------------------------------------------------------------- conflicts


def _conflict(store, clock, kind, reservation_id, *, table_id=None, choices=(), facts=None) -> str:
    cid = repos.new_id()
    with store.write() as s:
        repos.add_conflict(s, ConflictRecord(id=cid, kind=kind, summary="(as written by sync)", created_at=clock.now(),
                                             reservation_id=reservation_id, table_id=table_id, choices=tuple(choices),
                                             facts=facts or {}))
    return cid


def _cancelled_online(service, store, clock, rid="smith") -> str:
    assert service.check_in(rid).ok
    _send(store, clock)  # the ticket and the status reached the vendors
    return _conflict(store, clock, "cancelled_while_here", rid, choices=(CHOICE_KEEP, CHOICE_RELEASE),
                     facts={"remote_status": "Cancelled", "local_status": "seated", "tables": ["T12"],
                            "remote_updated_at": (clock.now() + timedelta(minutes=3)).isoformat()})


def test_a_conflict_card_gives_the_facts_in_plain_words(service, ops, store, clock):
    cid = _cancelled_online(service, store, clock)
    [card] = ops.conflicts()
    assert card.id == cid and card.title == "Cancelled online, but here"
    assert card.facts["Party"] == "Ann Smith (4)" and card.facts["Here"] == "seated at 12 since 19:00"
    assert card.facts["Booking platform says"] == "Cancelled" and card.facts["Changed online at"] == "19:03"
    assert card.choices == (CHOICE_KEEP, CHOICE_RELEASE) and len(card.choice_hints) == 2


def test_keeping_a_party_cancelled_online_asks_the_platform_to_take_the_booking_back(service, ops, store, clock):
    cid = _cancelled_online(service, store, clock)
    result = ops.resolve(cid, CHOICE_KEEP)
    assert result.ok and "stays seated at 12" in result.message
    [a] = [x for x in ops.queue() if x.state == "pending"]
    assert a.kind_label == "Tell the booking platform Ann Smith (4) is seated at 12"
    assert service.party("smith").status is S.SEATED
    assert ops.conflicts() == []
    [entry] = _audit(store, clock, "conflict_resolved")
    assert entry.actor == "manager" and entry.detail["choice"] == CHOICE_KEEP


def test_releasing_the_table_voids_the_empty_ticket_and_frees_the_table(service, ops, store, clock):
    cid = _cancelled_online(service, store, clock)
    with store.write() as s:  # the ticket is on the POS
        t = repos.tickets_for_reservation(s, "smith")[0]
        repos.save_ticket(s, replace(t, pos_id="order-smith"))
    result = ops.resolve(cid, CHOICE_RELEASE)
    assert result.ok and result.message == "Ann Smith (4) released from table 12. Its empty ticket is being voided on the POS."
    assert service.party("smith").status is S.CANCELLED
    queued = [a for a in _unsettled(store, "smith")]
    assert [a.kind for a in queued] == ["pos.void_ticket"] and queued[0].payload["pos_id"] == "order-smith"
    t12 = next(t for t in service.floor().tables if t.id == "T12")
    assert t12.pending  # the table frees up when the void reaches the POS


def test_releasing_a_party_whose_check_has_items_leaves_the_ticket_to_the_server(service, ops, store, clock):
    cid = _cancelled_online(service, store, clock)
    with store.write() as s:
        t = repos.tickets_for_reservation(s, "smith")[0]
        repos.save_ticket(s, replace(t, pos_id="order-smith", stage=CourseStage.MAINS))
    result = ops.resolve(cid, CHOICE_RELEASE)
    assert result.ok and "settle it on the POS" in result.message
    assert _unsettled(store, "smith") == []


def test_releasing_withdraws_status_updates_still_queued_for_the_platform(service, ops, store, clock):
    assert service.check_in("smith").ok  # nothing sent yet: the POS and the platform are down
    cid = _conflict(store, clock, "cancelled_while_here", "smith", choices=(CHOICE_KEEP, CHOICE_RELEASE),
                    facts={"remote_status": "NoShow", "tables": ["T12"]})
    assert ops.resolve(cid, CHOICE_RELEASE).ok
    assert service.party("smith").status is S.NO_SHOW
    assert _unsettled(store, "smith") == []  # the unsent ticket and the unsent "seated" are both withdrawn
    with store.read() as s:
        assert [t for t in repos.tickets_for_reservation(s, "smith") if t.is_live] == []


def _unsettled(store, rid):
    with store.read() as s:
        return outbox.unsettled_for(s, [rid]).get(rid, [])


def _held(service, store, clock, rid="smith") -> tuple[str, str]:
    """The party's ticket was held for a conflict by the replayer: another ticket is open at its table."""
    assert service.check_in(rid).ok
    [a] = [x for x in outbox.claim(store, now=clock.now()) if x.kind == "pos.open_ticket"]
    with store.write() as s:
        outbox.ack(s, a.id, now=clock.now(), outcome={"how": "held for a conflict"})
        ticket = repos.tickets_for_reservation(s, rid)[0]
    cid = _conflict(store, clock, CONFLICT_TABLE_TAKEN, rid, table_id="T12",
                    choices=(CHOICE_SECOND_TICKET, CHOICE_MOVE, CHOICE_LINK),
                    facts={"table": "12", "why": "opened_before", "order_guid": "hand-1", "order_guests": 2,
                           "order_items": 0, "order_opened_at": (clock.now() - timedelta(minutes=4)).isoformat(),
                           "seated_at": clock.now().isoformat(), "action_id": a.id, "ticket_id": ticket.id,
                           "order_tab": "Bar walk-in"})
    return cid, a.id


def test_a_held_ticket_card_says_what_is_at_the_table(service, ops, store, clock):
    _held(service, store, clock)
    [card] = ops.conflicts()
    assert card.summary == "Table 12 already has another open ticket on the POS. No second ticket was opened for Ann Smith (4)."
    assert card.facts["Other ticket"] == "Open on the POS since 18:56, 2 guests, nothing rung in yet"
    assert card.facts["Seated here at"] == "19:00" and card.facts["Its tab name"] == "Bar walk-in"
    assert card.table_label == "12" and len(card.choice_hints) == 3


def test_a_second_ticket_is_sent_again_without_looking_at_the_table(service, ops, store, clock):
    cid, held_id = _held(service, store, clock)
    result = ops.resolve(cid, CHOICE_SECOND_TICKET)
    assert result.ok and result.message == "A second ticket will be opened at 12 for Ann Smith (4)."
    [a] = [x for x in _unsettled(store, "smith") if x.kind == "pos.open_ticket"]
    assert a.payload["force"] is True and a.id != held_id and a.payload["table_id"] == "T12"
    with store.read() as s:
        assert repos.tickets_for_reservation(s, "smith")[0].external_id == a.id  # the new idempotency handle
    assert ops.conflicts() == []


def test_linking_queues_the_attachment_with_the_allergy_note(service, ops, store, clock):
    cid, _ = _held(service, store, clock)
    result = ops.resolve(cid, CHOICE_LINK)
    assert result.ok and "gets their allergy note" in result.message
    [a] = [x for x in _unsettled(store, "smith") if x.kind == "pos.attach_ticket"]
    assert a.payload["order_guid"] == "hand-1" and "no nuts pls, epipen" in a.payload["allergy_text"]


def test_moving_asks_for_a_table_then_moves_the_party_and_its_ticket(service, ops, store, clock):
    cid, _ = _held(service, store, clock)
    ask = ops.resolve(cid, CHOICE_MOVE)
    assert not ask.ok and ask.needs_table and ask.suggestions and "Choose a table" in ask.message
    assert len(ops.conflicts()) == 1  # nothing decided yet
    result = ops.resolve(cid, CHOICE_MOVE, table_ids=("T13",))
    assert result.ok and "moved to 13" in result.message and result.undo_label == "Undo: move Ann Smith to 13"
    opens = [a for a in _unsettled(store, "smith") if a.kind == "pos.open_ticket"]
    assert [a.payload["table_id"] for a in opens] == ["T13"]
    assert ops.conflicts() == []


def test_a_move_onto_a_taken_table_leaves_the_conflict_open(service, ops, store, clock):
    cid, _ = _held(service, store, clock)
    result = ops.resolve(cid, CHOICE_MOVE, table_ids=("T1",))  # Jones sits at 1
    assert not result.ok and "taken" in result.message
    assert len(ops.conflicts()) == 1


def test_the_allergy_conflict_is_settled_once_the_server_knows(service, ops, store, clock):
    cid = _conflict(store, clock, CONFLICT_ALLERGY_NOT_ON_TICKET, "smith", table_id="T12", choices=(CHOICE_SERVER_TOLD,),
                    facts={"table": "12", "allergy": "PEANUT, TREE NUT – no nuts pls, epipen"})
    [card] = ops.conflicts()
    assert card.facts["Allergy"] == "PEANUT, TREE NUT – no nuts pls, epipen"
    assert ops.resolve(cid, CHOICE_SERVER_TOLD).ok and ops.conflicts() == []


def test_a_choice_that_no_longer_applies_is_refused_in_plain_words(service, ops, store, clock):
    cid, _ = _held(service, store, clock)
    assert not ops.resolve(cid, "Burn it down").ok
    assert service.undo().ok  # the host undid the check-in meanwhile
    result = ops.resolve(cid, CHOICE_SECOND_TICKET)
    assert not result.ok and "no longer seated" in result.message
    assert "already settled" in ops.resolve("gone", CHOICE_KEEP).message


# ---------------------------------------------------------------------------------- fallback sheet


def test_the_fallback_sheet_lists_tonights_parties_with_allergies_uncut(service, ops, store, clock):
    with store.write() as s:
        g = repos.get_guest(s, "g-smith")
        repos.save_guest(s, replace(g, phone="+12125550123"))
    service.check_in("lee", ("T2",))
    sheet = ops.fallback_sheet()
    assert sheet.restaurant == "The Corner Bistro" and sheet.service_date.isoformat() == "2026-11-27"
    names = [p.name for p in sheet.parties]
    assert names == ["Bo Jones", "Di Park", "Ann Smith", "Cy Lee"]  # by time; the cancelled party is left out
    smith = next(p for p in sheet.parties if p.name == "Ann Smith")
    assert smith.time == "19:05" and smith.table == "12" and smith.party_size == 4
    assert smith.phone == "(212) 555-0123" and smith.vip == "VIP"
    assert set(smith.allergy_labels) == {"Peanut", "Tree nut"} and "no nuts pls, epipen" in smith.allergy_words
    assert next(p for p in sheet.parties if p.name == "Cy Lee").status == "Seated at 2"
    assert sheet.expected_covers == 4 + 2 + 2 + 3


def test_a_party_changed_online_after_seating_can_take_the_new_size(service, ops, store, clock):
    assert service.check_in("smith").ok
    cid = _conflict(store, clock, "changed_after_seating", "smith", choices=("Keep the party as seated", "Take the new party size"),
                    facts={"remote_party_size": 6, "remote_start": clock.now().isoformat(), "remote_tables": ["12"],
                           "local_tables": ["T12"]})
    [card] = ops.conflicts()
    assert card.title == "Changed online after seating" and card.facts["Booking platform now says"] == "6 guests at 19:00"
    result = ops.resolve(cid, "Take the new party size")
    assert result.ok and "set to 6" in result.message
    with store.read() as s:
        assert repos.get_reservation(s, "smith").cover_override == 6
    assert ops.conflicts() == []


def test_other_kinds_are_recorded_and_say_so(service, ops, store, clock):
    cid = _conflict(store, clock, "unknown_table", "park", choices=("Choose a table at check-in",), facts={"tables": ["Patio 9"]})
    [card] = ops.conflicts()
    assert card.facts["Booking platform's table"] == "Patio 9"
    assert "choose a table for them when they arrive" in ops.resolve(cid, "Choose a table at check-in").message
    odd = _conflict(store, clock, "something_new", "park", choices=("Fine",))
    assert ops.resolve(odd, "Fine").message == "Recorded your choice: Fine. Nothing else was changed."
