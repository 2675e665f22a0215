"""Starting over a cache that is minutes old: while the first pull is on its way (at most FIRST_PULL_GRACE) the
header does not call the data stale, so no banner comes and goes at every launch (it moved the whole screen
twice); a failure, or no answer within the grace, shows at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.app import build_core, load_layout
from hoststand.connectors.base import Credentials
from hoststand.connectors.registry import make_booking, make_pos
from hoststand.services.queries import FIRST_PULL_GRACE
from hoststand.store import open_store
from tests.conftest import ROOT
from tests.integration.sync.conftest import make_night

pytestmark = pytest.mark.anyio


async def _restart(night, tmp_path):
    ot, toast = night.sandbox.credentials["opentable"], night.sandbox.credentials["toast"]
    return build_core(
        settings=night.core.settings,
        layout=load_layout(ROOT / "resources" / "floorplans" / "bistro.json"),
        store=open_store(tmp_path / "cache.sqlite"),
        booking=make_booking("opentable", base_url=night.sandbox.urls["opentable"], rid=ot["rid"], clock=night.clock,
                             credentials=Credentials(ot["client_id"], ot["client_secret"])),
        pos=make_pos("toast", base_url=night.sandbox.urls["toast"], restaurant_guid=toast["restaurant_guid"],
                     clock=night.clock, credentials=Credentials(toast["client_id"], toast["client_secret"])),
        clock=night.clock,
    )


async def _close(core) -> None:
    await core.engine.booking.aclose()
    await core.engine.pos.aclose()
    core.store.close()


@pytest.fixture
async def old_cache(tmp_path):
    """Tonight pulled once, then the terminal is off for ten minutes (longer than `stale_after`)."""
    night = make_night(tmp_path)
    await night.core.engine.puller.pull_all()
    await _close(night.core)
    night.clock.advance(timedelta(minutes=10))
    yield night
    night.sandbox.stop()


async def test_the_first_pull_lands_without_the_data_ever_called_stale(old_cache, tmp_path):
    core = await _restart(old_cache, tmp_path)
    try:
        header = core.service.header()
        assert header.data_age_s >= 600  # the cache is ten minutes old ...
        assert not header.stale  # ... but the first pull is on its way: no banner yet
        await core.engine.puller.pull_all()
        header = core.service.header()
        assert not header.stale and header.data_age_s < 60
    finally:
        await _close(core)


async def test_no_answer_within_the_grace_calls_the_data_stale(old_cache, tmp_path):
    core = await _restart(old_cache, tmp_path)
    try:
        assert not core.service.header().stale
        old_cache.clock.advance(FIRST_PULL_GRACE + timedelta(seconds=1))  # the first pull never came back
        assert core.service.header().stale
    finally:
        await _close(core)


async def test_a_failed_first_pull_shows_at_once(old_cache, tmp_path):
    old_cache.fault("opentable", mode="down")
    core = await _restart(old_cache, tmp_path)
    try:
        await core.engine.puller.pull_all()
        header = core.service.header()
        assert header.stale
        assert {a.api: a.state for a in header.apis}["opentable"] in ("down", "degraded")
    finally:
        await _close(core)
