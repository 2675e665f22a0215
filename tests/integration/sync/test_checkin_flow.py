"""Check-in end to end: the host's click → the cache at once → the Toast order and the OpenTable status,
over real loopback HTTP against the sandboxes."""

from __future__ import annotations

import pytest

from hoststand.domain.model import ReservationStatus
from hoststand.store import outbox, repos

pytestmark = pytest.mark.anyio
NUTS = {"peanut", "tree_nut"}


async def test_first_pull_fills_tonight_from_both_vendors(night):
    report = await night.core.engine.puller.pull_all()
    assert report.errors == 0
    state = night.state()
    ot_res = state["opentable"]["reservations"]
    assert report.reservations == len(ot_res)
    rows = night.core.service.reservations()
    assert len(rows) == len(ot_res)
    assert sum(1 for r in rows if r.has_allergy) >= len(rows) // 6  # about one in five write an allergy or diet
    assert any(r.occasion == "Birthday" for r in rows) and any(r.vip_tier for r in rows)
    floor = night.core.service.floor()
    assert len(floor.tables) == 16 and all(t.pos_linked for t in floor.tables)
    assert "Bar 1" in floor.unlinked_pos_tables


async def test_checking_in_opens_one_toast_order_with_the_allergy_first_and_tells_opentable(night):
    await night.core.engine.puller.pull_all()
    party = night.seatable(NUTS)
    details = night.core.service.party(party.id)
    result = night.core.service.check_in(party.id)
    assert result.ok, result.message
    # on screen at once, before anything is sent
    table = next(t for t in night.core.service.floor().tables if t.id == party.table_ids[0])
    assert table.state.value == "seated" and table.pending
    assert await night.core.engine.replayer.drain(timeout=20)

    with night.core.store.read() as s:
        ticket = repos.tickets_for_reservation(s, party.id)[0]
        assert outbox.unsettled(s) == []
    orders = [o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]
    assert len(orders) == 1
    order = orders[0]
    table_guid = {t["name"]: t["guid"] for t in night.state()["toast"]["tables"]}[party.table_label]
    assert order["table"]["guid"] == table_guid
    assert order["numberOfGuests"] == party.party_size
    tab = order["checks"][0]["tabName"]
    assert tab.startswith(("ALLERGY", "SEVERE ALLERGY")) and len(tab) <= 255
    for word in details.allergy_words:
        # the guest's words reach the kitchen in full: on the tab or in the special requests
        specials = " ".join(
            m.get("displayName", "")
            for sel in order["checks"][0]["selections"]
            for m in sel.get("modifiers", [])
            if m.get("selectionType") == "SPECIAL_REQUEST"
        )
        assert word in tab or word in specials.replace("\n", " ") or word.replace(" ", "") in specials.replace(" ", "")
    ot = night.ot_reservation(_external(night, party.id))
    assert ot["state"] == "Seated" and ot["table_number"] == [party.table_label]
    assert not next(t for t in night.core.service.floor().tables if t.id == party.table_ids[0]).pending


def _external(night, reservation_id: str) -> str:
    with night.core.store.read() as s:
        return repos.get_reservation(s, reservation_id).external_id


async def test_a_preferred_server_is_named_on_the_ticket(night):
    await night.core.engine.puller.pull_all()
    floor = {t.id: t for t in night.core.service.floor().tables}
    candidates = [
        r for r in night.core.service.reservations()
        if r.status is ReservationStatus.BOOKED and r.table_ids and night.core.service.party(r.id).preferred_server
        and floor[r.table_ids[0]].state.value in ("free", "held")
    ]
    assert candidates, "the demo night has booked parties who asked for a server"
    r = candidates[0]
    d = night.core.service.party(r.id)
    assert night.core.service.check_in(r.id).ok
    assert await night.core.engine.replayer.drain(timeout=20)
    with night.core.store.read() as s:
        ticket = repos.tickets_for_reservation(s, r.id)[0]
    order = next(o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}")
    servers = {e["guid"]: e for e in night.state()["toast"]["employees"]}
    assert order.get("server") and servers[order["server"]["guid"]]["firstName"].lower() == d.preferred_server.split()[0].lower()


async def test_undo_after_the_ticket_opened_voids_it_and_restores_the_booking(night):
    await night.core.engine.puller.pull_all()
    party = night.seatable(NUTS)
    assert night.core.service.check_in(party.id).ok
    assert await night.core.engine.replayer.drain(timeout=20)
    assert night.core.service.undo().ok
    assert await night.core.engine.replayer.drain(timeout=20)
    with night.core.store.read() as s:
        ticket = repos.tickets_for_reservation(s, party.id)[0]
    order = next(o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}")
    assert order["voided"] is True
    assert night.ot_reservation(_external(night, party.id))["state"] == "Pending"
    assert night.core.service.party(party.id).status is ReservationStatus.BOOKED


async def test_an_uncertain_send_is_read_back_and_never_opens_a_second_order(night):
    await night.core.engine.puller.pull_all()
    party = night.seatable(NUTS)
    night.fault("toast", mode="lose_response")
    assert night.core.service.check_in(party.id).ok
    await night.core.engine.replayer.step()
    await night.core.engine.replayer.join()
    night.fault("toast", mode="up")
    night.core.engine.health.success("toast")  # what the prober does when the API answers again
    assert await night.core.engine.replayer.drain(timeout=30, advance=night.clock.advance)
    with night.core.store.read() as s:
        ticket = next(t for t in repos.tickets_for_reservation(s, party.id) if t.is_live)
    orders = [o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]
    assert len(orders) == 1 and ticket.pos_id == orders[0]["guid"]


async def test_with_the_pos_down_the_party_is_seated_at_once_and_the_ticket_follows(night):
    await night.core.engine.puller.pull_all()
    party = night.seatable(NUTS)
    night.fault("toast", mode="down")
    assert night.core.service.check_in(party.id).ok
    assert night.core.service.party(party.id).status is ReservationStatus.SEATED
    for _ in range(3):
        await night.core.engine.replayer.step()
        await night.core.engine.replayer.join()
        night.clock.advance(120)
    assert night.core.engine.health.is_down("toast")
    assert night.core.service.header().queued_actions >= 1
    night.fault("toast", mode="up")
    night.core.engine.health.success("toast")  # what the prober does when the API answers again
    assert await night.core.engine.replayer.drain(timeout=30, advance=night.clock.advance)
    with night.core.store.read() as s:
        ticket = repos.tickets_for_reservation(s, party.id)[0]
    assert len([o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]) == 1


async def test_delta_pulls_ask_only_for_what_changed(night):
    first = await night.core.engine.puller.pull_all()
    night.clock.advance(60)
    again = await night.core.engine.puller.pull_all()
    # only what changed since the last pull (plus a 2-second overlap at the watermark) comes back
    assert again.reservations < first.reservations / 4 and again.guests < first.guests / 4


async def test_guest_data_never_reaches_the_logs(night, caplog):
    """A whole check-in at DEBUG level: no guest name, phone or allergy words in any log line."""
    import logging

    caplog.set_level(logging.DEBUG)
    await night.core.engine.puller.pull_all()
    party = night.seatable(NUTS)
    details = night.core.service.party(party.id)
    assert night.core.service.check_in(party.id).ok
    assert await night.core.engine.replayer.drain(timeout=20)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    secrets = [party.name, *(w for w in details.allergy_words if len(w) > 6)]
    if details.phone:
        secrets.append(details.phone)
    leaked = [w for w in secrets if w and w in logged]
    assert leaked == [], f"guest data in the logs: {leaked}"


async def test_a_walk_in_at_a_pos_table_the_plan_does_not_place_is_listed_at_that_table(night):
    """Found on the demo's screenshot: a walk-in at the bar was listed with no table ("—")."""
    await night.core.engine.puller.pull_all()
    night.open_ticket_by_hand("Bar 1", guests=2)
    await night.core.engine.puller.pull_all()
    walk_ins = [r for r in night.core.service.reservations() if r.status.value == "seated" and not r.table_ids]
    assert [r.table_label for r in walk_ins] == ["Bar 1"]
