"""Tickets opened by hand at the POS while ours waited (issue 3): attach to this party's, hold for another's.

Over real loopback HTTP against the sandboxes, on a manual clock: the POS goes down, the host checks a party
in (instant, from the cache), a server opens a ticket at that table on the terminal, the POS comes back.
"""

from __future__ import annotations

import time

import pytest

from hoststand.domain.model import ReservationStatus
from hoststand.services.operations import CHOICE_LINK, CHOICE_MOVE, CHOICE_SECOND_TICKET
from hoststand.store import outbox, repos
from hoststand.sync.handlers import CONFLICT_TABLE_TAKEN, HELD

from .conftest import NUTS

pytestmark = pytest.mark.anyio


def _specials(order: dict) -> str:
    return " ".join(
        m.get("displayName", "")
        for check in order["checks"]
        for sel in check["selections"]
        for m in sel.get("modifiers", [])
        if m.get("selectionType") == "SPECIAL_REQUEST"
    )


async def test_a_ticket_opened_by_hand_for_the_party_is_attached_not_doubled(offline):
    core = offline.core
    await core.engine.puller.pull_all()
    party = offline.party_to_seat(NUTS)
    details = core.service.party(party.id)
    table = party.table_label

    offline.night.fault("toast", mode="down")
    started = time.perf_counter()
    result = core.service.check_in(party.id)
    took = time.perf_counter() - started
    assert result.ok, result.message
    assert took < 0.5  # instant: nothing waits for the POS
    assert core.service.party(party.id).status is ReservationStatus.SEATED
    await offline.fail_rounds()
    assert core.engine.health.is_down("toast")

    offline.night.clock.advance(60)  # the server walks over and opens the ticket on the terminal
    offline.pos_back()
    hand = offline.hand_open(table, guests=party.party_size, tab="Table " + table)
    await core.engine.puller.pull_all()  # the puller sees the hand-opened order first (a walk-in, for now)
    await offline.drain()

    orders = offline.live_orders_at(table)
    assert [o["guid"] for o in orders] == [hand["guid"]]  # exactly one order at the table: no second ticket
    ticket = offline.ticket_of(party.id)
    assert ticket.pos_id == hand["guid"]
    action = offline.open_action_of(ticket)
    with core.store.read() as s:
        assert outbox.outcome(s, action.id)["how"] == "attached"
        assert outbox.unsettled(s) == []
        # the puller's walk-in copy of that order is gone: one party, one ticket at the table
        at_table = [t for t in repos.live_tickets(s) if t.table_id == party.table_ids[0]]
        assert [t.id for t in at_table] == [ticket.id]
        assert all(r.source != "walk_in" for r in repos.reservations_for_day(s, core.service.night().day)
                   if party.table_ids[0] in r.table_ids)
        assert repos.open_conflicts(s) == []
    # our notes reached the kitchen on the hand-opened ticket, in the guest's words, never cut
    order = next(o for o in offline.night.toast_orders() if o["guid"] == hand["guid"])
    specials = _specials(order)
    for words in details.allergy_words:
        assert words in specials or words.replace(" ", "") in specials.replace(" ", "")
    assert not next(t for t in core.service.floor().tables if t.id == party.table_ids[0]).pending


async def test_without_an_allergy_item_on_the_menu_the_host_is_asked_to_tell_the_server(offline):
    core = offline.core
    await core.engine.puller.pull_all()
    pos = core.engine.pos
    pos.allergy_item_name = "No Such Item"  # a restaurant that never set up the "Allergy Alert" item
    await pos.load_menu(force=True)
    party = offline.party_to_seat(NUTS)
    details = core.service.party(party.id)
    offline.night.fault("toast", mode="down")
    assert core.service.check_in(party.id).ok
    await offline.fail_rounds()
    offline.night.clock.advance(60)
    offline.pos_back()
    hand = offline.hand_open(party.table_label)
    await offline.drain()

    assert offline.ticket_of(party.id).pos_id == hand["guid"]  # attached all the same
    [card] = offline.ops.conflicts()
    assert card.kind == "allergy_not_on_ticket" and card.reservation_id == party.id
    for words in details.allergy_words:
        assert words in card.summary and words in card.facts["Allergy"]  # in full, for the host to say aloud
    assert offline.ops.resolve(card.id, card.choices[0]).ok and offline.ops.conflicts() == []


async def test_another_partys_ticket_at_the_table_raises_a_conflict_and_opens_nothing(offline):
    core = offline.core
    await core.engine.puller.pull_all()
    party = offline.party_to_seat(NUTS)
    table = party.table_label
    earlier = offline.hand_open(table, guests=2, tab="Walk-in at the bar")  # before the host seats anyone there
    offline.night.fault("toast", mode="down")
    offline.night.clock.advance(120)
    assert core.service.check_in(party.id).ok  # the cache never heard of that order: the POS was down
    await offline.fail_rounds()
    offline.pos_back()
    await offline.drain()

    assert [o["guid"] for o in offline.live_orders_at(table)] == [earlier["guid"]]  # nothing opened
    ticket = offline.ticket_of(party.id)
    assert ticket.pos_id is None
    with core.store.read() as s:
        assert outbox.outcome(s, ticket.external_id)["how"] == HELD
        assert outbox.unsettled(s) == []
    [card] = offline.ops.conflicts()
    assert card.kind == CONFLICT_TABLE_TAKEN and card.reservation_id == party.id
    assert f"Table {table}" in card.summary and party.name in card.summary
    assert card.choices == (CHOICE_SECOND_TICKET, CHOICE_MOVE, CHOICE_LINK)
    assert card.facts["Table"] == table and "Open on the POS since" in card.facts["Other ticket"]
    assert card.facts["Why it is not theirs"] == "it was opened before they sat down"
    assert core.service.header().open_conflicts == 1

    # a person decides: it is their ticket after all → linked, with the allergy note
    result = offline.ops.resolve(card.id, CHOICE_LINK)
    assert result.ok, result.message
    await offline.drain()
    assert offline.ticket_of(party.id).pos_id == earlier["guid"]
    assert [o["guid"] for o in offline.live_orders_at(table)] == [earlier["guid"]]
    order = next(o for o in offline.night.toast_orders() if o["guid"] == earlier["guid"])
    assert "ALLERG" in _specials(order).upper()
    assert offline.ops.conflicts() == []


async def test_choosing_a_second_ticket_opens_one_without_looking_again(offline):
    core = offline.core
    await core.engine.puller.pull_all()
    party = offline.party_to_seat()
    table = party.table_label
    earlier = offline.hand_open(table)
    offline.night.fault("toast", mode="down")
    offline.night.clock.advance(120)
    assert core.service.check_in(party.id).ok
    await offline.fail_rounds()
    offline.pos_back()
    await offline.drain()
    [card] = offline.ops.conflicts()

    assert offline.ops.resolve(card.id, CHOICE_SECOND_TICKET).ok
    await offline.drain()
    ticket = offline.ticket_of(party.id)
    ours = [o for o in offline.night.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]
    assert len(ours) == 1 and ticket.pos_id == ours[0]["guid"]
    assert {o["guid"] for o in offline.live_orders_at(table)} == {earlier["guid"], ours[0]["guid"]}
    assert offline.ops.conflicts() == []


async def test_moving_the_party_asks_for_a_table_then_opens_its_ticket_there(offline):
    core = offline.core
    await core.engine.puller.pull_all()
    party = offline.party_to_seat(max_size=2)
    table = party.table_label
    offline.hand_open(table)
    offline.night.fault("toast", mode="down")
    offline.night.clock.advance(120)
    assert core.service.check_in(party.id).ok
    await offline.fail_rounds()
    offline.pos_back()
    await offline.drain()
    [card] = offline.ops.conflicts()

    ask = offline.ops.resolve(card.id, CHOICE_MOVE)
    assert not ask.ok and ask.needs_table and ask.suggestions
    choice = ask.suggestions[0]
    moved = offline.ops.resolve(card.id, CHOICE_MOVE, table_ids=choice.table_ids)
    assert moved.ok, moved.message
    await offline.drain()
    ticket = offline.ticket_of(party.id)
    assert ticket.table_id == choice.table_ids[0] and ticket.pos_id
    assert [o["guid"] for o in offline.live_orders_at(choice.label)] == [ticket.pos_id]
    assert offline.ops.conflicts() == []
    with core.store.read() as s:
        assert repos.get_reservation(s, party.id).table_ids == choice.table_ids


def test_the_waited_rule_is_a_retry_or_thirty_seconds_in_the_queue():
    from datetime import datetime, timedelta, timezone

    from hoststand.domain.model import ActionTarget, OutboxAction
    from hoststand.sync.handlers import waited

    now = datetime(2026, 11, 28, 0, 30, tzinfo=timezone.utc)

    def action(attempts: int, age_s: float) -> OutboxAction:
        return OutboxAction(id="a", kind="pos.open_ticket", target=ActionTarget.POS, order_key="pos:r",
                            attempts=attempts, created_at=now - timedelta(seconds=age_s))

    assert not waited(action(1, 2), now)  # online: sent a few milliseconds after the click
    assert waited(action(2, 2), now)  # a retry
    assert waited(action(1, 31), now)  # queued while the POS was down
    assert not waited(action(1, 30), now)
