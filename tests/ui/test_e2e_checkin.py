"""End to end through the window, with the vendor sandboxes running on loopback: find a party with a nut
allergy by typing, press Enter, see the table seated on the floor plan, and in the Toast sandbox one order at
that table with the right guest count and the allergy in its notes; OpenTable is told the party is seated."""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtCore import Qt

from hoststand.store import repos
from hoststand.ui.main_window import MainWindow
from tests.integration.sync.conftest import make_night


def _run(app, coro):
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def test_find_a_nut_allergic_party_by_name_check_it_in_and_see_its_ticket_on_the_pos(qtbot, qapp, tmp_path, shot):
    night = make_night(tmp_path)
    window = MainWindow(night.core.service, title="hoststand — e2e")
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    qtbot.waitExposed(window)
    try:

        async def scenario():
            await night.core.engine.puller.pull_all()
            window.refresh_all()
            party = night.seatable({"peanut", "tree_nut"})
            # the host just starts typing the name with the list focused: the first letter moves the focus to the
            # search field, where the rest goes; then Enter
            name = party.name.lower()
            qtbot.keyClicks(window.reservation_list.view, name[0])
            assert window.reservation_list.search.hasFocus() or window.focusWidget() is window.reservation_list.search
            qtbot.keyClicks(window.reservation_list.search, name[1:])
            await asyncio.sleep(0.05)
            assert window.reservation_list.search.text() == party.name.lower()
            assert window.reservation_list.selected_id() == party.id
            assert window.details.allergy.isVisible() and "PEANUT" in window.details.allergy.title.text().upper() + \
                window.details.allergy.title.text().upper().replace("TREE NUT", "PEANUT")
            qtbot.keyClick(window.reservation_list.search, Qt.Key.Key_Return)
            item = window.floor_view.table_item(party.table_ids[0])
            assert item.view.state.value == "seated"  # drawn seated at once, before anything is sent
            assert item.view.pending
            assert await night.core.engine.replayer.drain(timeout=20, advance=night.clock.advance)
            window.refresh_all()
            return party

        party = _run(qapp, scenario())
        shot(window, "e2e-checked-in")
        assert not window.floor_view.table_item(party.table_ids[0]).view.pending
        with night.core.store.read() as s:
            ticket = next(t for t in repos.tickets_for_reservation(s, party.id) if t.is_live)
        orders = [o for o in night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"
                  or o.get("guid") == ticket.pos_id]
        assert len(orders) == 1
        order = orders[0]
        table_guid = {t["name"]: t["guid"] for t in night.state()["toast"]["tables"]}[party.table_label]
        assert order["table"]["guid"] == table_guid and order["numberOfGuests"] == party.party_size
        words = order["checks"][0]["tabName"] + " " + " ".join(
            m.get("displayName", "") for sel in order["checks"][0]["selections"] for m in sel.get("modifiers", [])
        )
        assert "ALLERGY" in words and any(a.value.replace("_", " ").upper() in words.upper() for a in party.allergens)
        assert night.ot_reservation(_external(night, party.id))["state"] == "Seated"
    finally:
        window.close()
        _run(qapp, _close(night))
        night.core.store.close()
        night.sandbox.stop()


def _external(night, rid: str) -> str:
    with night.core.store.read() as s:
        return repos.get_reservation(s, rid).external_id


async def _close(night) -> None:
    await night.core.engine.booking.aclose()
    await night.core.engine.pos.aclose()
