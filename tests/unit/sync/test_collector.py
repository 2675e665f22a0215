"""The garbage collector waits while pull rounds run, and resumes after the last, as it was before."""

from __future__ import annotations

import asyncio
import gc

import pytest

from hoststand.sync.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_paused_inside_resumed_after_even_when_the_round_fails():
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the vendor went away")
    assert gc.isenabled()


def test_overlapping_rounds_resume_it_when_the_last_ends():
    gc.enable()

    async def round_(started: asyncio.Event, finish: asyncio.Event) -> None:
        with collector_paused():
            started.set()
            await finish.wait()

    async def scenario() -> None:
        a_started, b_started, a_done, b_done = (asyncio.Event() for _ in range(4))
        a = asyncio.create_task(round_(a_started, a_done))
        b = asyncio.create_task(round_(b_started, b_done))
        await a_started.wait()
        await b_started.wait()
        a_done.set()
        await a
        assert not gc.isenabled()  # b still runs
        b_done.set()
        await b
        assert gc.isenabled()

    asyncio.run(scenario())


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
