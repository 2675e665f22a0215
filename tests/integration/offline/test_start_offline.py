"""Starting with both APIs down: the app shows the last night it pulled, marked stale, and the host keeps
working; what the host did reaches the vendors once they return."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.domain.model import ReservationStatus
from hoststand.store import repos
from tests.integration.sync.conftest import make_night, restart_core

pytestmark = pytest.mark.anyio


async def test_with_both_apis_down_at_start_the_cached_night_is_shown_stale_and_check_in_still_works(tmp_path):
    night = make_night(tmp_path)
    await night.core.engine.puller.pull_all()
    assert await night.core.engine.replayer.drain(timeout=20, advance=night.clock.advance)
    pulled = {r.id: r for r in night.core.service.reservations()}
    await night.core.engine.booking.aclose()
    await night.core.engine.pos.aclose()
    night.core.store.close()

    # the terminal restarts ten minutes later; the internet is gone
    night.fault("opentable", mode="down")
    night.fault("toast", mode="down")
    night.clock.advance(timedelta(minutes=10))
    core = restart_core(night, tmp_path)
    try:
        for _ in range(3):  # a few failed rounds open the circuits
            await core.engine.puller.pull_all()
        header = core.service.header()
        assert header.stale and header.data_age_s >= 600
        assert {a.api: a.state for a in header.apis} == {"opentable": "down", "toast": "down"}
        rows = core.service.reservations()
        assert {r.id for r in rows} == set(pulled)  # the last pulled night, all of it

        party = next(r for r in rows if r.status is ReservationStatus.BOOKED and r.table_ids
                     and next(t for t in core.service.floor().tables if t.id == r.table_ids[0]).state.value in ("free", "held"))
        result = core.service.check_in(party.id)
        assert result.ok and "unreachable" in result.message
        assert core.service.party(party.id).status is ReservationStatus.SEATED
        assert core.service.header().queued_actions >= 2

        night.fault("opentable", mode="up")
        night.fault("toast", mode="up")
        core.engine.health.success("opentable")  # what the prober does once they answer
        core.engine.health.success("toast")
        assert await core.engine.replayer.drain(timeout=30, advance=night.clock.advance)
        await core.engine.puller.pull_all()
        assert not core.service.header().stale
        assert night.ot_reservation(_ext(core, party.id))["state"] == "Seated"
    finally:
        await core.engine.booking.aclose()
        await core.engine.pos.aclose()
        core.store.close()
        night.sandbox.stop()


def _ext(core, rid: str) -> str:
    with core.store.read() as s:
        return repos.get_reservation(s, rid).external_id
