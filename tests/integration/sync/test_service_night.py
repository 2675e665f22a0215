"""A scripted service night in accelerated time, through the sandboxes and the sandbox's simulated servers.

Sixty-odd reservations: five cancelled in advance, four changed online during the evening, three no-shows,
three resized at seating, and six walk-ins opened on the POS by the staff. The host checks parties in as
they arrive; the servers ring courses, drop checks and take payment. Two disagreements are planted on
purpose: a party the host forgets to mark a no-show, and a ticket a server voids mid-meal. At the end of the
night:
- every seated party has exactly one POS order;
- no cancelled, no-show or finished reservation has a live placeholder;
- the booking platform holds, for each finished party, the covers and spend the POS closed with;
- the reconciliation lists exactly the two planted disagreements and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hoststand.domain.model import ReservationStatus
from hoststand.store import outbox, repos
from tests.conftest import NY
from tests.integration.sync.conftest import make_night

pytestmark = [pytest.mark.anyio, pytest.mark.chaos]
S = ReservationStatus
STEP = timedelta(minutes=5)


async def test_a_whole_service_night(tmp_path):
    night = make_night(tmp_path, datetime(2026, 11, 27, 16, 0, tzinfo=NY), pull_interval=3600)
    srv, core, clock = night.sandbox, night.core, night.clock
    service, engine = core.service, core.engine
    srv.configure_driver(running=False, walk_ins_per_hour=0, seed=11)
    try:
        await engine.puller.pull_all()
        rows = service.reservations()
        booked = [r for r in rows if r.status is S.BOOKED]
        already_cancelled = [r for r in rows if r.status is S.CANCELLED]
        # 5 cancelled in advance: the seed has some; the guests cancel the rest online before service
        for r in booked[-(5 - len(already_cancelled)):] if len(already_cancelled) < 5 else []:
            night.change_online(_ext(core, r.id), cancel=True)
        clock.advance(60)
        await engine.puller.pull_all()
        booked = [r for r in service.reservations() if r.status is S.BOOKED]
        assert len([r for r in service.reservations() if r.status is S.CANCELLED]) == 5

        by_time = sorted(booked, key=lambda r: (r.time_local, r.id))
        no_shows = {r.id for r in by_time[5:20:6][:3]}  # three parties that never come
        forgotten = by_time[25].id  # never comes, and the host forgets to mark it
        resized = {r.id for r in by_time[2:40:13][:3] if r.id not in no_shows}
        changed_online = [r for r in by_time[30:] if r.id not in no_shows and r.id != forgotten][:4]
        change_times = {r.id: r.time_local - timedelta(minutes=90) for r in changed_online}
        walk_in_times = [datetime(2026, 11, 27, h, m, tzinfo=NY) for h, m in
                         ((17, 10), (17, 40), (18, 5), (20, 50), (21, 40), (22, 10))]
        voided_party: str | None = None
        walk_ins_opened = 0

        end = datetime(2026, 11, 28, 0, 30, tzinfo=NY)
        while clock.now() < end:
            clock.advance(STEP)
            now_local = clock.now().astimezone(NY)
            srv.driver_step(until=clock.now())
            # guests change their bookings online during the evening
            for r in changed_online:
                if r.id in change_times and now_local >= change_times[r.id]:
                    del change_times[r.id]
                    night.change_online(_ext(core, r.id), party_size=r.party_size + 1, guest_request="running late, sorry!")
            # the staff open walk-ins on the POS
            while walk_in_times and now_local >= walk_in_times[0]:
                try:
                    srv.driver_walk_in(party_size=2)
                    walk_ins_opened += 1
                    walk_in_times.pop(0)
                except Exception:  # no free table this minute: the walk-in waits at the door
                    walk_in_times[0] += STEP
                    break
            await engine.puller.pull_all()
            # the host: check parties in as they arrive (a few minutes after their time)
            for r in service.reservations():
                if r.status not in (S.BOOKED, S.ARRIVED) or r.time_local + timedelta(minutes=3) > now_local:
                    continue
                if r.id in no_shows or r.id == forgotten:
                    if r.id in no_shows and r.no_show_suspect:
                        assert service.no_show(r.id).ok
                    continue
                result = service.check_in(r.id, party_size=(r.party_size + 1) if r.id in resized else None)
                if not result.ok and result.suggestions:
                    result = service.check_in(r.id, result.suggestions[0].table_ids,
                                              party_size=(r.party_size + 1) if r.id in resized else None)
                if not result.ok and r.status is S.BOOKED:
                    service.mark_arrived(r.id)
            # a server voids one party's ticket mid-meal (planted disagreement)
            if voided_party is None and now_local.hour >= 20:
                voided_party = _void_one_ticket(night, core)
            assert await engine.replayer.drain(timeout=60, advance=None)

        for _ in range(3):  # the last checks close; everything settles
            clock.advance(STEP)
            srv.driver_step(until=clock.now())
            await engine.puller.pull_all()
            assert await engine.replayer.drain(timeout=60)

        assert walk_ins_opened == 6 and not change_times
        final = {r.id: r for r in service.reservations()}
        state = night.state()
        orders = state["toast"]["orders"]
        orders = list(orders.values()) if isinstance(orders, dict) else orders
        with core.store.read() as s:
            tickets = {rid: repos.tickets_for_reservation(s, rid) for rid in final}
            assert outbox.unsettled(s) == []
        # every party that sat has exactly one POS order (voided placeholders aside)
        for rid, r in final.items():
            if r.status in (S.SEATED, S.FINISHED) and rid != voided_party:
                real = [t for t in tickets[rid] if t.stage.value != "voided" and t.pos_id]
                assert len(real) == 1, f"{r.name}: {len(real)} POS orders"
        # no live placeholder for a party that is not coming or is done
        for rid, r in final.items():
            if r.status in (S.CANCELLED, S.NO_SHOW, S.FINISHED):
                live_placeholders = [t for t in tickets[rid] if t.placeholder and t.is_live]
                assert live_placeholders == [], f"{r.name} ({r.status.value}) still has a placeholder"
                for t in tickets[rid]:
                    if t.placeholder and t.pos_id:
                        pos = next(o for o in orders if o["guid"] == t.pos_id)
                        assert pos["voided"], f"{r.name}: placeholder {t.pos_id} still open on the POS"
        # the platform holds what each finished party's check closed with
        pos_data = state["opentable"]["pos_data"]
        pos_data = list(pos_data.values()) if isinstance(pos_data, dict) else pos_data
        held = {str(p["confirmation_id"]): p for p in pos_data}
        finished = [r for r in final.values() if r.status is S.FINISHED and not r.name.startswith("Walk-in")]
        assert len(finished) >= 30
        for r in finished:
            closed = [t for t in tickets[r.id] if t.pos_id and not t.is_live and t.stage.value != "voided"]
            if not closed:
                continue
            t = closed[-1]
            p = held.get(_ext(core, r.id))
            assert p is not None, f"{r.name}: the platform holds no POS data"
            assert p["pos_total_spend"] == t.total and p["covers"] == t.covers, r.name
        assert len([r for r in final.values() if r.status is S.NO_SHOW]) == 3
        # the online changes reached the floor (and their placeholders), the resizes were kept
        for r in changed_online:
            assert final[r.id].party_size == r.party_size + 1, f"{r.name}: the online change was lost"
        with core.store.read() as s:
            for rid in resized:
                res = repos.get_reservation(s, rid)
                assert res.booked_party_size is not None and res.party_size == res.booked_party_size + 1
        # the reconciliation lists exactly what was planted
        report = service.reconciliation.report()
        found = sorted((d.kind, d.reservation_id) for d in report.discrepancies)
        assert found == sorted([("not_arrived", forgotten), ("seated_no_ticket", voided_party)]), found
    finally:
        await engine.booking.aclose()
        await engine.pos.aclose()
        core.store.close()
        srv.stop()


def _ext(core, rid: str) -> str:
    with core.store.read() as s:
        return repos.get_reservation(s, rid).external_id


def _void_one_ticket(night, core) -> str | None:
    """A server voids a seated party's (empty or not) ticket on the POS terminal."""
    with core.store.read() as s:
        for r in core.service.reservations():
            if r.status is not S.SEATED or r.name.startswith("Walk-in"):
                continue
            live = [t for t in repos.tickets_for_reservation(s, r.id) if t.is_live and t.pos_id and not t.placeholder]
            if live:
                resp = night.toast_api("POST", f"/orders/v2/orders/{live[0].pos_id}/void")
                resp.raise_for_status()
                return r.id
    return None
