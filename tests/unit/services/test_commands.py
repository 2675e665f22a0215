"""Host commands on a real cache: one transaction changes the party and queues what the vendors must hear."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.model import ActionState, ReservationStatus
from hoststand.store import outbox, repos


def _actions(store, rid):
    with store.read() as s:
        return outbox.unsettled_for(s, [rid]).get(rid, [])


def test_check_in_seats_the_party_and_queues_the_ticket_and_the_status(service, store):
    result = service.check_in("smith")
    assert result.ok, result.message
    assert "seated at 12" in result.message
    with store.read() as s:
        res = repos.get_reservation(s, "smith")
        tickets = repos.tickets_for_reservation(s, "smith")
    assert res.status is ReservationStatus.SEATED and res.table_ids == ("T12",)
    assert len(tickets) == 1 and tickets[0].table_id == "T12" and tickets[0].covers == 4
    kinds = {a.kind: a for a in _actions(store, "smith")}
    assert set(kinds) == {"pos.open_ticket", "booking.set_status"}
    open_ticket = kinds["pos.open_ticket"].payload
    assert open_ticket["guests"] == 4
    # allergies first, in the guest's words, and never cut
    assert open_ticket["tab_name"].startswith(("ALLERGY", "SEVERE ALLERGY"))
    assert "no nuts pls, epipen" in open_ticket["allergy_text"]
    assert kinds["booking.set_status"].payload["status"] == "seated"
    assert kinds["booking.set_status"].payload["table_names"] == ["12"]
    # the ticket's idempotency handle is the open action's id
    assert tickets[0].external_id == kinds["pos.open_ticket"].id


def test_the_floor_shows_the_party_seated_at_once(service):
    service.check_in("smith")
    t12 = next(t for t in service.floor().tables if t.id == "T12")
    assert t12.state.value == "seated" and t12.party_name == "Ann Smith" and t12.covers == 4
    assert t12.has_allergy and t12.pending


def test_a_taken_table_offers_the_best_free_tables(service, store):
    result = service.check_in("lee")  # T1 is taken by Jones
    assert not result.ok and result.needs_table
    assert "taken" in result.message and "Bo Jones" in result.message
    labels = [s.label for s in result.suggestions]
    assert labels and "1" not in labels
    assert result.suggestions[0].seats == 2  # smallest table that fits two
    with store.read() as s:
        assert repos.get_reservation(s, "lee").status is ReservationStatus.BOOKED
    assert _actions(store, "lee") == []


def test_a_party_without_a_table_is_offered_tables_then_seated_where_chosen(service):
    result = service.check_in("park")
    assert result.needs_table and result.suggestions
    choice = result.suggestions[0]
    assert max(3, 0) <= choice.seats
    seated = service.check_in("park", choice.table_ids)
    assert seated.ok
    assert service.party("park").table_label == choice.label


def test_resize_at_seating_keeps_the_booked_size(service, store):
    assert service.check_in("smith", party_size=5).ok
    with store.read() as s:
        res = repos.get_reservation(s, "smith")
    assert res.party_size == 5 and res.booked_party_size == 4


def test_cancelled_or_already_seated_parties_cannot_be_checked_in(service):
    assert "was cancelled" in service.check_in("gone").message
    assert "already seated" in service.check_in("jones").message


def test_mark_arrived_then_seat(service, store):
    assert service.mark_arrived("smith").ok
    assert service.party("smith").status is ReservationStatus.ARRIVED
    assert service.check_in("smith").ok


def test_undo_before_sending_withdraws_everything(service, store):
    service.check_in("smith")
    result = service.undo()
    assert result.ok
    with store.read() as s:
        assert repos.get_reservation(s, "smith").status is ReservationStatus.BOOKED
        assert repos.tickets_for_reservation(s, "smith") == []
        counts = outbox.counts(s)
    assert counts[ActionState.CANCELLED] == 2 and counts[ActionState.PENDING] == 0


def test_undo_after_sending_voids_the_ticket_and_corrects_the_platform(service, store, clock):
    service.check_in("smith")
    sent = outbox.claim(store, now=clock.now())
    with store.write() as s:
        for a in sent:
            outbox.ack(s, a.id, now=clock.now())
    assert service.undo().ok
    pending = {a.kind: a for a in _actions(store, "smith")}
    assert set(pending) == {"pos.void_ticket", "booking.set_status"}
    assert pending["booking.set_status"].payload["status"] == "booked"


def test_undo_expires(service, clock, settings):
    service.check_in("smith")
    clock.advance(settings.undo_window + timedelta(seconds=1))
    assert service.undo_label() is None
    assert not service.undo().ok


def test_header_counts_covers(service):
    service.check_in("smith")
    h = service.header()
    assert h.covers_seated == 2 + 4
    assert h.covers_booked == 4 + 2 + 2 + 3  # the cancelled party is not counted
    assert h.queued_actions == 2


def test_cancel_frees_the_table_tells_the_platform_and_can_be_undone(service, store):
    result = service.cancel("smith")
    assert result.ok and "cancelled" in result.message
    assert service.party("smith").status is ReservationStatus.CANCELLED
    kinds = [a.kind for a in _actions(store, "smith")]
    assert kinds == ["booking.set_status"]
    assert _actions(store, "smith")[0].payload["status"] == "cancelled"
    t12 = next(t for t in service.floor().tables if t.id == "T12")
    assert t12.state.value == "free"
    assert service.undo().ok and service.party("smith").status is ReservationStatus.BOOKED


def test_a_cancellation_the_platform_already_has_cannot_be_undone(service, store, clock):
    """A cancelled booking is final on the platform: the undo says so instead of promising what it cannot do."""
    assert service.cancel("smith").ok
    with store.write() as s:
        for a in outbox.claim_in(s, now=clock.now()):
            outbox.ack(s, a.id, now=clock.now())
    result = service.undo()
    assert not result.ok and "already has the cancellation" in result.message and "Book the party again" in result.message
    assert service.party("smith").status is ReservationStatus.CANCELLED
    assert _actions(store, "smith") == []  # nothing queued that the platform would refuse
    assert service.undo_label() is None or "cancel" not in service.undo_label()


def test_undoing_a_move_whose_void_was_only_queued_shows_the_ticket_open_again(service, store, clock):
    assert service.check_in("smith").ok
    with store.write() as s:  # the ticket reached the POS
        for a in outbox.claim_in(s, now=clock.now()):
            outbox.ack(s, a.id, now=clock.now(), outcome={"order_guid": "o-1"})
    assert service.move("smith", ("T3",)).ok  # voids the ticket at 12 (queued) and opens one at 3
    assert service.undo().ok  # the void is withdrawn, the new ticket too
    with store.read() as s:
        live = [tk for tk in repos.tickets_for_reservation(s, "smith") if tk.is_live]
    assert [tk.table_id for tk in live] == ["T12"], "the party's ticket at 12 is open again, the one at 3 gone"
    assert _actions(store, "smith") == []  # the platform never heard of the move: nothing to tell it


def test_undoing_a_move_made_before_the_ticket_left_opens_it_again_at_the_first_table(service, store):
    assert service.check_in("smith").ok  # nothing sent yet
    assert service.move("smith", ("T3",)).ok  # the unsent ticket is withdrawn, a new one queued at 3
    assert service.undo().ok
    with store.read() as s:
        live = [tk for tk in repos.tickets_for_reservation(s, "smith") if tk.is_live]
    assert [tk.table_id for tk in live] == ["T12"]
    opens = [a for a in _actions(store, "smith") if a.kind == "pos.open_ticket"]
    assert [a.payload["table_id"] for a in opens] == ["T12"]


def test_a_seated_party_cannot_be_cancelled_or_marked_a_no_show(service):
    assert not service.cancel("jones").ok
    assert "already seated" in service.no_show("jones").message


def test_moving_a_booked_party_reassigns_the_table_and_tells_the_platform(service, store):
    result = service.move("smith", ("T13",))
    assert result.ok
    assert service.party("smith").table_label == "13"
    payload = _actions(store, "smith")[-1].payload
    assert payload["table_names"] == ["13"] and payload["status"] == "booked"


def test_moving_a_seated_party_with_an_empty_ticket_reopens_it_at_the_new_table(service, store):
    service.check_in("smith")
    assert service.move("smith", ("T13",)).ok
    with store.read() as s:
        tickets = repos.tickets_for_reservation(s, "smith")
    # the first ticket had not been sent yet: withdrawn, not voided; one live ticket at 13
    live = [t for t in tickets if t.is_live]
    assert [t.table_id for t in live] == ["T13"]
    opens = [a for a in _actions(store, "smith") if a.kind == "pos.open_ticket"]
    assert len(opens) == 1 and opens[0].payload["table_id"] == "T13"


def test_moving_a_seated_party_onto_a_taken_table_is_refused(service):
    service.check_in("smith")
    result = service.move("smith", ("T1",))
    assert not result.ok and "taken" in result.message


def test_resizing_before_seating_changes_the_booking_after_seating_overrides_covers(service, store):
    assert service.resize("smith", 5).ok
    assert service.party("smith").party_size == 5
    assert _actions(store, "smith")[-1].payload["party_size"] == 5
    service.check_in("lee", ("T2",))
    r = service.resize("lee", 3)
    assert r.ok and "overrides the POS" in r.message
    with store.read() as s:
        assert repos.get_reservation(s, "lee").cover_override == 3


def test_bad_input_gets_a_plain_message(service):
    assert not service.resize("smith", 0).ok
    assert "not on the floor plan" in service.move("smith", ("T99",)).message
    assert "no longer" in service.cancel("nobody").message
