"""OpenTableAdapter over real loopback HTTP against the OpenTable sandbox."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest

from hoststand.connectors.base import AuthFailed, BookingPort, RateLimited, Rejected, StatusUpdate, Unavailable
from hoststand.domain.model import ReservationStatus as S
from hoststand.sandbox.server import SandboxServer, SeedOptions

from .conftest import NY, opentable, run

DAY_START = datetime(2026, 11, 27, 4, 0, tzinfo=NY)
DAY_END = DAY_START + timedelta(days=1)


def pull_day(adapter, updated_after=None):
    return adapter.pull_reservations(updated_after=updated_after, start_from=DAY_START, start_to=DAY_END)


def test_pulls_tonight_as_the_sandbox_holds_it(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock)
        assert isinstance(adapter, BookingPort)
        try:
            return await pull_day(adapter), await adapter.pull_guests(updated_after=None)
        finally:
            await adapter.aclose()

    result, guests = run(scenario())
    held = sandbox.state()["opentable"]["reservations"]
    assert len(result.reservations) == len(held) and result.skipped == 0
    words = Counter(r["state"] for r in held)
    mapped = Counter(r.vendor_status for r in result.reservations)
    assert words == mapped
    assert {r.status for r in result.reservations} <= set(S)
    assert result.watermark == max(r.updated_at for r in result.reservations)
    assert all(r.start.tzinfo is not None for r in result.reservations)
    assert len(guests) == len(sandbox.state()["opentable"]["guests"])
    assert any(g.food_and_drink_notes for g in guests) and any(g.vip_tier for g in guests)


def test_paging_across_many_pages(clock):
    with SandboxServer(seed=SeedOptions(now=clock.now(), seed=7, extra_reservations=2300), clock=clock.now) as srv:
        async def scenario():
            adapter = opentable(srv, clock)
            try:
                return await pull_day(adapter)
            finally:
                await adapter.aclose()

        result = run(scenario())
        held = srv.state()["opentable"]["reservations"]
        stats = srv.state()["requests"]["opentable"]
    assert result.pages >= 3
    assert len({r.external_id for r in result.reservations}) == len(result.reservations) == len(held)
    assert stats["by_endpoint"]["GET /sync/v2/reservations"] == result.pages


def test_delta_pull_with_updated_after(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            first = await pull_day(adapter)
            target = next(r for r in first.reservations if r.status is S.BOOKED)
            clock.advance(60)
            with httpx.Client(base_url=sandbox.urls["admin"]) as admin:
                answer = admin.post(
                    "/_sandbox/opentable/reservations",
                    json={"action": "modify", "confirmation_id": int(target.external_id), "changes": {"party_size": target.party_size + 1}},
                )
                assert answer.status_code == 200, answer.text
            second = await pull_day(adapter, updated_after=first.watermark)
            third = await pull_day(adapter, updated_after=second.watermark)
            return target, second, third
        finally:
            await adapter.aclose()

    target, second, third = run(scenario())
    (changed,) = second.reservations
    assert changed.external_id == target.external_id
    assert changed.party_size == target.party_size + 1 and changed.version > target.version
    assert second.watermark > target.updated_at
    assert third.reservations == ()
    assert third.watermark == second.watermark  # nothing new: the mark stays


def test_one_token_for_many_calls(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            for _ in range(3):
                await pull_day(adapter)
                await adapter.pull_guests(updated_after=None)
            assert (await adapter.probe()).ok
        finally:
            await adapter.aclose()

    run(scenario())
    assert sandbox.state()["requests"]["opentable"]["token_requests"] == 1


def test_set_status_round_trip_and_idempotent_retry(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            first = await pull_day(adapter)
            res = next(r for r in first.reservations if r.status is S.BOOKED and r.table_names)
            clock.advance(60)
            seat = StatusUpdate(external_id=res.external_id, status=S.SEATED, party_size=res.party_size, start=res.start,
                                table_names=res.table_names, server_name="Maria", sequence=res.version, updated_at=clock.now())
            await adapter.set_status(seat, request_id="action-seat-1")
            await adapter.set_status(seat, request_id="action-seat-1")  # a retry after an uncertain outcome
            after = await pull_day(adapter, updated_after=first.watermark)
            clock.advance(60)
            await adapter.set_status(  # the host undoes the seating: the party waits again
                StatusUpdate(external_id=res.external_id, status=S.ARRIVED, party_size=res.party_size, start=res.start,
                             sequence=res.version + 1, updated_at=clock.now()),
                request_id="action-arrive",
            )
            undone = await pull_day(adapter, updated_after=after.watermark)
            return res, after, undone
        finally:
            await adapter.aclose()

    res, after, undone = run(scenario())
    (seated,) = after.reservations
    assert seated.external_id == res.external_id
    assert (seated.status, seated.vendor_status) == (S.SEATED, "Seated")
    assert seated.seated_at is not None and seated.server_name == "Maria"
    record = sandbox.state()["idempotency"]["opentable"]["request_ids"]["action-seat-1"]
    assert record["times_seen"] == 2 and record["times_applied"] == 1
    (waiting,) = undone.reservations
    assert waiting.vendor_status == "Pending", "undoing the seating takes OpenTable back to Pending (it has no 'arrived')"


def test_unknown_confirmation_is_not_found(sandbox, clock):
    from hoststand.connectors.base import NotFound

    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            await adapter.set_status(
                StatusUpdate(external_id="999999", status=S.CANCELLED, party_size=2, start=clock.now()), request_id="x-1"
            )
        finally:
            await adapter.aclose()

    with pytest.raises(NotFound):
        run(scenario())


def test_wrong_secret_is_auth_failed_in_plain_words(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock, secret="not-the-secret")
        try:
            await adapter.pull_guests(updated_after=None)
        finally:
            await adapter.aclose()

    with pytest.raises(AuthFailed) as err:
        run(scenario())
    assert "refused the client ID and secret" in str(err.value) and "Settings" in str(err.value)
    assert "not-the-secret" not in str(err.value)


def test_no_rid_routing_is_a_refusal(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock, rid=888)
        try:
            await adapter.pull_guests(updated_after=None)
        finally:
            await adapter.aclose()

    with pytest.raises(Rejected) as err:
        run(scenario())
    assert err.value.code == "no_rid_routing" and not isinstance(err.value, AuthFailed)


def test_rate_limited_with_retry_after(sandbox, clock):
    sandbox.set_fault("opentable", "rate_limit", per_second=1)

    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            for _ in range(5):
                await adapter.pull_guests(updated_after=None)
        finally:
            await adapter.aclose()

    with pytest.raises(RateLimited) as err:
        run(scenario())
    assert 0 < err.value.retry_after <= 1.0


def test_down_is_unavailable_and_probe_follows(sandbox, clock):
    async def scenario():
        adapter = opentable(sandbox, clock)
        try:
            assert (await adapter.probe()).ok
            sandbox.set_fault("opentable", "down")
            probe = await adapter.probe()
            assert not probe.ok and "connect" in probe.detail
            with pytest.raises(Unavailable):
                await pull_day(adapter)
            with pytest.raises(Unavailable):  # a write that never left is not uncertain
                await adapter.set_status(
                    StatusUpdate(external_id="1", status=S.SEATED, party_size=2, start=clock.now()), request_id="r"
                )
            sandbox.set_fault("opentable", "up")
            assert (await adapter.probe()).ok
        finally:
            await adapter.aclose()

    run(scenario())
