"""ToastAdapter over real loopback HTTP against the Toast sandbox."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from hoststand.connectors.base import (
    AlreadyApplied,
    AuthFailed,
    OpenTicketRequest,
    PosPort,
    RateLimited,
    Unavailable,
    UncertainOutcome,
)
from hoststand.connectors.pacing import RatePacer
from hoststand.domain.model import CourseStage as C

from .conftest import run, toast

TONIGHT = date(2026, 11, 27)
ALLERGY = "Severe peanut and tree nut allergy – carries an EpiPen; no shared fryer please. " * 5


async def free_table_guid(adapter) -> str:
    """A table with no open order tonight (so a new ticket is visible at once)."""
    busy = {o.table_guid for o in await adapter.pull_orders(business_date=TONIGHT) if o.stage.is_live}
    return next(t.guid for t in await adapter.pull_tables() if t.guid not in busy)


def ticket(table_guid: str, external_id: str = "0b7c2f4e-action-1", **changes) -> OpenTicketRequest:
    values = dict(
        external_id=external_id,
        table_guid=table_guid,
        guests=4,
        business_date=TONIGHT,
        tab_name="PEANUT, TREE NUT – EpiPen | Birthday | Smith ×4",
        allergy_text=ALLERGY,
        first_name="Ann",
        last_name="Smith",
        phone="+12125550147",
        email="ann.smith@example.com",
    )
    values.update(changes)
    return OpenTicketRequest(**values)


def sandbox_order(sandbox, guid: str) -> dict:
    return next(o for o in sandbox.state()["toast"]["orders"] if o["guid"] == guid)


def test_config_and_limits(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        assert isinstance(adapter, PosPort)
        assert not adapter.limits.supports_special_request  # not known before the menu is read
        try:
            return await adapter.pull_tables(), await adapter.pull_service_areas(), await adapter.pull_employees(), adapter.limits
        finally:
            await adapter.aclose()

    tables, areas, employees, limits = run(scenario())
    state = sandbox.state()["toast"]
    assert {t.guid for t in tables} == {t["guid"] for t in state["tables"]}
    assert {a.guid for a in areas} == {a["guid"] for a in state["service_areas"]}
    assert all(t.service_area_guid in {a.guid for a in areas} for t in tables)
    assert {e.guid for e in employees} == {e["guid"] for e in state["employees"] if not e.get("deleted")}
    assert limits.supports_special_request and limits.tab_name_max == 255


def test_open_ticket_carries_table_server_guests_tab_and_allergies(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            server = (await adapter.pull_employees())[0]
            table = await free_table_guid(adapter)
            order = await adapter.open_ticket(ticket(table, server_guid=server.guid))
            return order, table, server
        finally:
            await adapter.aclose()

    order, table, server = run(scenario())
    assert order.external_id == "0b7c2f4e-action-1" and order.stage is C.OPENED
    assert (order.table_guid, order.server_guid, order.number_of_guests) == (table, server.guid, 4)
    held = sandbox_order(sandbox, order.guid)
    assert held["externalId"] == "hoststand:0b7c2f4e-action-1"
    check = held["checks"][0]
    assert check["tabName"] == "PEANUT, TREE NUT – EpiPen | Birthday | Smith ×4"
    assert check["customer"]["email"] == "ann.smith@example.com"
    (alert,) = check["selections"]
    pieces = [m["displayName"] for m in alert["modifiers"]]
    assert all(m["selectionType"] == "SPECIAL_REQUEST" for m in alert["modifiers"])
    assert len(pieces) >= 2 and all(len(p) <= 255 for p in pieces)
    assert " ".join(pieces) == " ".join(ALLERGY.split())


def test_duplicate_external_id_is_already_applied(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            table = await free_table_guid(adapter)
            first = await adapter.open_ticket(ticket(table))
            with pytest.raises(AlreadyApplied):
                await adapter.open_ticket(ticket(table))
            return first, await adapter.find_order(external_id="0b7c2f4e-action-1", business_date=TONIGHT)
        finally:
            await adapter.aclose()

    first, found = run(scenario())
    assert found is not None and found.guid == first.guid
    assert sum(1 for o in sandbox.state()["toast"]["orders"] if o.get("externalId") == "hoststand:0b7c2f4e-action-1") == 1


def test_lost_response_then_find_order(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            table = await free_table_guid(adapter)
            sandbox.set_fault("toast", "lose_response", path="/orders/v2/orders", method="POST", count=1)
            with pytest.raises(UncertainOutcome):
                await adapter.open_ticket(ticket(table, external_id="lost-1"))
            found = await adapter.find_order(external_id="lost-1", business_date=TONIGHT)
            missing = await adapter.find_order(external_id="never-sent", business_date=TONIGHT)
            return found, missing
        finally:
            await adapter.aclose()

    found, missing = run(scenario())
    assert found is not None and found.external_id == "lost-1" and found.stage is C.OPENED
    assert missing is None


def test_late_landing_is_uncertain_and_found_once_it_lands(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock, orders_read_timeout=0.5)
        try:
            table = await free_table_guid(adapter)
            sandbox.set_fault("toast", "late_landing", delay_s=20, count=1)
            with pytest.raises(UncertainOutcome):
                await adapter.open_ticket(ticket(table, external_id="late-1"))
            before = await adapter.find_order(external_id="late-1", business_date=TONIGHT)
            clock.advance(21)
            after = await adapter.find_order(external_id="late-1", business_date=TONIGHT)
            with pytest.raises(AlreadyApplied):  # a resend after it landed is refused, not doubled
                await adapter.open_ticket(ticket(table, external_id="late-1"))
            return before, after
        finally:
            await adapter.aclose()

    before, after = run(scenario())
    assert before is None
    assert after is not None and after.external_id == "late-1"


def test_one_login_for_many_calls(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            for _ in range(3):
                await adapter.pull_tables()
                await adapter.pull_orders(business_date=TONIGHT)
            assert (await adapter.probe()).ok
            clock.advance(timedelta(hours=6))
            await adapter.pull_employees()
            return adapter.token_requests
        finally:
            await adapter.aclose()

    assert run(scenario()) == 1
    (logins,) = sandbox.state()["auth"]["toast"]["logins"].values()
    assert len(logins) == 1


def test_wrong_secret_is_auth_failed_and_does_not_hammer(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock, secret="not-the-secret")
        messages = []
        try:
            for _ in range(4):
                with pytest.raises(AuthFailed) as err:
                    await adapter.pull_tables()
                messages.append(str(err.value))
        finally:
            await adapter.aclose()
        return messages

    messages = run(scenario())
    assert "refused the client ID and secret" in messages[0] and "Settings" in messages[0]
    assert "2 sign-ins an hour" in messages[-1]
    assert "not-the-secret" not in " ".join(messages)
    assert sandbox.state()["requests"]["toast"]["by_endpoint"]["POST /authentication/v1/authentication/login"] == 2


def test_429_is_rate_limited_with_retry_after(sandbox, clock):
    sandbox.set_fault("toast", "rate_limit", per_second=2)

    async def scenario():
        # a pacer that ignores the headers, to reach the vendor's 429
        adapter = toast(sandbox, clock, pacer=RatePacer(rate=1000.0, learn_from_headers=False))
        try:
            for _ in range(6):
                await adapter.pull_employees()
        finally:
            await adapter.aclose()

    with pytest.raises(RateLimited) as err:
        run(scenario())
    assert 0 < err.value.retry_after <= 1.0  # the sandbox's Retry-After (whole seconds, at least 1)


def test_the_default_pacer_stays_under_a_lowered_limit(sandbox, clock):
    sandbox.set_fault("toast", "rate_limit", per_second=8)

    async def scenario():
        import asyncio

        adapter = toast(sandbox, clock)
        try:
            await adapter.pull_employees()  # sign in first
            started = time.monotonic()
            await asyncio.gather(*(adapter.pull_employees() for _ in range(20)))
            return time.monotonic() - started
        finally:
            await adapter.aclose()

    elapsed = run(scenario())
    assert sandbox.state()["requests"]["toast"]["rate_limited"] == 0
    assert elapsed >= 1.0  # 21 requests at 8 a second need at least two slice turnovers


def test_down_is_unavailable_for_reads_and_writes(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            table = await free_table_guid(adapter)
            sandbox.set_fault("toast", "down")
            with pytest.raises(Unavailable):
                await adapter.pull_orders(business_date=TONIGHT)
            with pytest.raises(Unavailable):
                await adapter.open_ticket(ticket(table, external_id="while-down"))
            assert not (await adapter.probe()).ok
            sandbox.set_fault("toast", "up")
            assert (await adapter.probe()).ok
            return await adapter.find_order(external_id="while-down", business_date=TONIGHT)
        finally:
            await adapter.aclose()

    assert run(scenario()) is None


def test_void_get_and_close(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            tables = [t.guid for t in await adapter.pull_tables()]
            busy = {o.table_guid for o in await adapter.pull_orders(business_date=TONIGHT) if o.stage.is_live}
            free = [t for t in tables if t not in busy]
            voided = await adapter.open_ticket(ticket(free[0], external_id="to-void"))
            await adapter.void_ticket(voided.guid, business_date=TONIGHT)
            await adapter.void_ticket(voided.guid, business_date=TONIGHT)  # twice is harmless
            kept = await adapter.open_ticket(ticket(free[1], external_id="to-close", allergy_text=""))
            with httpx.Client(base_url=sandbox.urls["admin"]) as admin:
                assert admin.post(f"/_sandbox/toast/orders/{kept.guid}/close", json={"total": 123.45}).status_code == 200
            return await adapter.get_order(voided.guid), await adapter.get_order(kept.guid)
        finally:
            await adapter.aclose()

    voided, closed = run(scenario())
    assert voided.stage is C.VOIDED and voided.voided
    assert closed.stage is C.CLOSED and closed.total == 12345 and closed.closed_at is not None


def test_orders_of_the_evening_and_modified_since(sandbox, clock):
    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            everything = await adapter.pull_orders(business_date=TONIGHT)
            mark = clock.now()
            clock.advance(60)
            table = await free_table_guid(adapter)
            new = await adapter.open_ticket(ticket(table, external_id="new-since"))
            since = await adapter.pull_orders(business_date=TONIGHT, modified_after=mark)
            return everything, new, since
        finally:
            await adapter.aclose()

    everything, new, since = run(scenario())
    held = [o for o in sandbox.state()["toast"]["orders"] if o["businessDate"] == 20261127]
    assert len(everything) == len(held) - 1  # all but the one opened afterwards
    stages = {o.stage for o in everything}
    assert C.CLOSED in stages and stages & {C.ORDERED, C.MAINS, C.DESSERT}
    closed = [o for o in everything if o.stage is C.CLOSED]
    assert all(o.total > 0 and o.closed_at for o in closed)
    assert [o.guid for o in since] == [new.guid]


def test_orders_decoded_by_their_shape_map_exactly_as_the_full_documents(sandbox, clock):
    """`ordersBulk` pages are decoded against toast_shapes.ORDERS_PAGE (only the fields the adapter reads): every
    order of the night must map to the very same RemoteOrder as its full document does."""
    from hoststand.connectors.pos.toast import order_from_json

    async def scenario():
        adapter = toast(sandbox, clock)
        try:
            pulled = await adapter.pull_orders(business_date=TONIGHT)
            return pulled, adapter._menu, adapter.allergy_item_name
        finally:
            await adapter.aclose()

    pulled, menu, allergy_item = run(scenario())
    full = {o["guid"]: o for o in sandbox.state()["toast"]["orders"] if o["businessDate"] == 20261127}
    assert len(pulled) == len(full) > 20
    for order in pulled:
        assert order == order_from_json(full[order.guid], menu, allergy_item_name=allergy_item)
