"""The reservation lifecycle both ways, over the sandboxes: placeholders, online changes and cancellations,
the closed check back to the booking platform and the guest's profile, walk-ins opened on the POS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.domain.model import ReservationStatus
from hoststand.store import outbox, repos

pytestmark = pytest.mark.anyio
S = ReservationStatus


async def settle(night) -> None:
    """A pull round (which also keeps placeholders), then everything queued sent."""
    await night.core.engine.puller.pull_all()
    assert await night.core.engine.replayer.drain(timeout=30, advance=night.clock.advance)


def orders_at(night, table_name: str, *, live: bool = True) -> list[dict]:
    state = night.state()["toast"]
    guid = next(t["guid"] for t in state["tables"] if t["name"] == table_name)
    out = []
    for o in night.toast_orders():
        if (o.get("table") or {}).get("guid") != guid:
            continue
        if live and (o.get("voided") or o.get("closedDate") or o.get("deleted")):
            continue
        out.append(o)
    return out


def external(night, rid: str) -> str:
    with night.core.store.read() as s:
        return repos.get_reservation(s, rid).external_id


def due_party(night):
    """A booked party due within the placeholder lead time, at a free table."""
    now_local = night.core.service.now_local()
    for r in night.core.service.reservations():
        if r.status is S.BOOKED and r.table_ids and timedelta(0) <= r.time_local - now_local <= timedelta(minutes=30):
            return r
    raise AssertionError("no party due within 30 minutes at this hour")


async def test_a_party_due_soon_gets_a_placeholder_and_check_in_turns_it_into_the_ticket(night):
    await settle(night)
    party = due_party(night)
    placeholders = orders_at(night, party.table_label)
    assert len(placeholders) == 1
    ph = placeholders[0]
    assert ph["checks"][0]["tabName"].startswith("RESERVED") and ph["numberOfGuests"] == party.party_size
    assert night.core.service.floor().tables  # the floor still shows the table held, not seated
    table = next(t for t in night.core.service.floor().tables if t.id == party.table_ids[0])
    assert table.state.value == "held"

    assert night.core.service.check_in(party.id).ok
    await settle(night)
    live = orders_at(night, party.table_label)
    assert [o["guid"] for o in live] == [ph["guid"]]  # no second ticket
    with night.core.store.read() as s:
        tickets = [t for t in repos.tickets_for_reservation(s, party.id) if t.is_live]
    assert len(tickets) == 1 and not tickets[0].placeholder and tickets[0].pos_id == ph["guid"]
    assert night.ot_reservation(external(night, party.id))["state"] == "Seated"


async def test_a_booking_cancelled_online_has_its_placeholder_voided(night):
    await settle(night)
    party = due_party(night)
    assert len(orders_at(night, party.table_label)) == 1
    night.change_online(external(night, party.id), cancel=True)
    night.clock.advance(30)
    await settle(night)
    assert orders_at(night, party.table_label) == []
    assert night.core.service.party(party.id).status is S.CANCELLED


async def test_a_booking_moved_to_another_table_online_moves_its_placeholder(night):
    await settle(night)
    party = due_party(night)
    free = next(
        t for t in night.core.service.floor().tables
        if t.state.value == "free" and t.max_seats >= party.party_size and t.id not in party.table_ids
    )
    night.change_online(external(night, party.id), table_number=[free.name])
    night.clock.advance(30)
    await settle(night)
    assert orders_at(night, party.table_label) == []
    moved = orders_at(night, free.name)
    assert len(moved) == 1 and moved[0]["checks"][0]["tabName"].startswith("RESERVED")
    assert night.core.service.party(party.id).table_label == free.name


async def test_a_change_online_after_seating_raises_a_conflict_and_moves_nobody(night):
    await settle(night)
    party = due_party(night)
    assert night.core.service.check_in(party.id).ok
    await settle(night)
    night.change_online(external(night, party.id), party_size=party.party_size + 2)
    night.clock.advance(30)
    await night.core.engine.puller.pull_all()
    after = night.core.service.party(party.id)
    assert after.status is S.SEATED and after.party_size == party.party_size and after.table_label == party.table_label
    conflicts = night.core.service.conflicts()
    assert any(c.reservation_id == party.id and "after being seated" in c.summary for c in conflicts)


async def test_the_closed_check_finishes_the_party_and_goes_back_to_the_platform_and_the_profile(night):
    await settle(night)
    party = due_party(night)
    details = night.core.service.party(party.id)
    assert night.core.service.check_in(party.id).ok
    await settle(night)
    order = orders_at(night, party.table_label)[0]
    night.close_order(order["guid"], total=182.40)
    night.clock.advance(60)
    await settle(night)

    after = night.core.service.party(party.id)
    assert after.status is S.FINISHED
    table = next(t for t in night.core.service.floor().tables if t.id == party.table_ids[0])
    assert table.state.value in ("free", "held")
    ot = night.ot_reservation(external(night, party.id))
    assert ot["state"] == "Done"
    pos_data = night.state()["opentable"].get("pos_data")
    assert pos_data, "the booking platform holds what the check closed with"
    rows = pos_data.values() if isinstance(pos_data, dict) else pos_data
    sent = next(p for p in rows if str(p.get("confirmation_id")) == str(external(night, party.id)))
    assert sent["covers"] == party.party_size and sent["pos_total_spend"] == 18240
    assert after.visits == details.visits + 1 and after.total_spend == details.total_spend + 18240
    with night.core.store.read() as s:
        assert outbox.unsettled(s) == []


async def test_a_ticket_opened_on_the_pos_at_an_empty_table_is_a_walk_in_on_the_floor(night):
    await settle(night)
    free = next(t for t in night.core.service.floor().tables if t.state.value == "free")
    night.open_ticket_by_hand(free.name, 3, tab_name="Window couple")
    await night.core.engine.puller.pull_all()
    table = next(t for t in night.core.service.floor().tables if t.id == free.id)
    assert table.state.value == "seated" and table.walk_in and table.covers == 3
    walk_ins = [r for r in night.core.service.reservations() if r.status is S.SEATED and r.name.startswith("Walk-in")]
    assert len(walk_ins) == 1 and walk_ins[0].table_ids == (free.id,)
    header = night.core.service.header()
    assert header.covers_seated >= 3


async def test_orders_seen_before_their_parties_end_up_with_the_parties_not_as_walk_ins(tmp_path):
    """Mid-service start: the staff opened tickets for the parties already seated. Whichever arrives first, the
    tickets belong to those parties; no walk-in is invented for them."""
    from datetime import datetime

    from tests.conftest import NY
    from tests.integration.sync.conftest import make_night

    night = make_night(tmp_path, datetime(2026, 11, 27, 19, 10, tzinfo=NY))
    try:
        puller = night.core.engine.puller
        await puller.pull_pos_config()
        await puller.pull_orders()  # the POS answers first…
        await puller.pull_guests()
        await puller.pull_reservations()  # …then the booking platform
        rows = night.core.service.reservations()
        seated = [r for r in rows if r.status is S.SEATED and not r.name.startswith("Walk-in")]
        walk_ins = [r for r in rows if r.name.startswith("Walk-in")]
        assert len(seated) >= 8
        with night.core.store.read() as s:
            without = [r.name for r in seated if not any(t.is_live for t in repos.tickets_for_reservation(s, r.id))]
        assert without == []
        party_tables = {t for r in seated for t in r.table_ids}
        assert not [w for w in walk_ins if set(w.table_ids) & party_tables]  # (the bar tab is a walk-in with no table)
    finally:
        await night.core.engine.booking.aclose()
        await night.core.engine.pos.aclose()
        night.core.store.close()
        night.sandbox.stop()


def later_party(night):
    """A booked party due in one to three hours whose table is free now (no placeholder yet)."""
    now_local = night.core.service.now_local()
    free = {t.id for t in night.core.service.floor().tables if t.state.value == "free"}
    for r in night.core.service.reservations():
        if r.status is S.BOOKED and len(r.table_ids) == 1 and r.table_ids[0] in free \
                and timedelta(hours=1) <= r.time_local - now_local <= timedelta(hours=3):
            return r
    raise AssertionError("no party due in one to three hours at a free table")


async def test_a_pull_before_an_undone_seating_reaches_the_pos_does_not_bring_its_ticket_back(night):
    """Seat, undo (the ticket's void waits in the outbox), a pull that still sees the order open, seat again at
    the same table: the party ends seated with one live ticket, not with the voided one taken over (found by
    the kill-the-replayer chaos run)."""
    await settle(night)
    party = later_party(night)
    service = night.core.service
    assert service.check_in(party.id).ok
    await settle(night)
    assert len(orders_at(night, party.table_label)) == 1
    assert service.undo().ok  # the void is queued, not sent
    with night.core.store.read() as s:
        assert [a.kind for a in outbox.unsettled(s)] == ["pos.void_ticket", "booking.set_status"]
    await night.core.engine.puller.pull_all()  # the POS still shows the order open
    with night.core.store.read() as s:
        assert not [t for t in repos.tickets_for_reservation(s, party.id) if t.is_live], "the pull revived the voided ticket"
    assert service.check_in(party.id).ok
    await settle(night)
    with night.core.store.read() as s:
        live = [t for t in repos.tickets_for_reservation(s, party.id) if t.is_live]
        seated = repos.get_reservation(s, party.id)
    assert seated.status is S.SEATED
    assert len(live) == 1
    assert [o["guid"] for o in orders_at(night, party.table_label)] == [live[0].pos_id]
