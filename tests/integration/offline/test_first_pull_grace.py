"""Starting over a cache that is minutes old: while the first pull is on its way (at most FIRST_PULL_GRACE) the
header does not call the data stale, so no banner comes and goes at every launch (it moved the whole screen
twice); a failure, or no answer within the grace, shows at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.services.queries import FIRST_PULL_GRACE
from tests.integration.sync.conftest import make_night, restart_core

pytestmark = pytest.mark.anyio


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
    core = restart_core(old_cache, tmp_path)
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
    core = restart_core(old_cache, tmp_path)
    try:
        assert not core.service.header().stale
        old_cache.clock.advance(FIRST_PULL_GRACE + timedelta(seconds=1))  # the first pull never came back
        assert core.service.header().stale
    finally:
        await _close(core)


async def test_a_failed_first_pull_shows_at_once(old_cache, tmp_path):
    old_cache.fault("opentable", mode="down")
    core = restart_core(old_cache, tmp_path)
    try:
        await core.engine.puller.pull_all()
        header = core.service.header()
        assert header.stale
        assert {a.api: a.state for a in header.apis}["opentable"] in ("down", "degraded")
    finally:
        await _close(core)
