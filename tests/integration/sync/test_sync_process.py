"""The sync engine in its own process (sync/process.py), as the app and the demo run it: a real child process
over the same SQLite cache, against the sandboxes over loopback HTTP.

What a host would notice if it broke: tonight's parties never appear, a check-in never reaches the POS, the
banner says "up" while the POS is down (or the other way round), a crashed sync never comes back, or the
vendors' secrets leak into a command line or an environment that other programs can read.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import datetime

import httpx
import pytest

from hoststand.app import attach_sync_process, build_local_core, load_layout, worker_config
from hoststand.connectors.base import Credentials
from hoststand.domain.clock import ScaledClock
from hoststand.domain.events import Change
from hoststand.domain.model import ReservationStatus
from hoststand.domain.settings import RestaurantSettings
from hoststand.sandbox.server import SandboxServer, SeedOptions
from hoststand.store import open_store
from hoststand.sync.health import HealthState

from tests.conftest import NY, ROOT

OPENING = datetime(2026, 11, 27, 16, 40, tzinfo=NY)
FLOOR = ROOT / "resources" / "floorplans" / "bistro.json"
pytestmark = pytest.mark.anyio


class Stand:
    """The app's side: a core over a fresh cache, its sync engine in a child process."""

    def __init__(self, tmp_path, *, booking_kind: str = "opentable") -> None:
        anchor = time.time()
        self.sandbox = SandboxServer(
            booking="opentable", pos="toast", seed=SeedOptions(now=OPENING, timezone="America/New_York", seed=7),
            start=OPENING, speed=1.0, anchor_wall=anchor,
        )
        self.sandbox.start()
        self.clock = ScaledClock(OPENING, 1.0, anchor)
        settings = RestaurantSettings(name="The Corner Bistro", timezone="America/New_York")
        self.core = build_local_core(
            settings=settings, layout=load_layout(FLOOR), store=open_store(tmp_path / "cache.sqlite"), clock=self.clock
        )
        ot, toast = self.sandbox.credentials["opentable"], self.sandbox.credentials["toast"]
        self.secrets = (ot["client_secret"], toast["client_secret"])
        config = worker_config(
            self.core,
            floor_plan=FLOOR,
            booking=(booking_kind, self.sandbox.urls["opentable"], Credentials(ot["client_id"], ot["client_secret"]), {"rid": ot["rid"]}),
            pos=("toast", self.sandbox.urls["toast"], Credentials(toast["client_id"], toast["client_secret"]),
                 {"restaurant_guid": toast["restaurant_guid"]}),
            pull_interval=1.0,
            clock_anchor=(*self.clock.anchor, self.clock.factor),
        )
        self.engine = attach_sync_process(self.core, config)
        self.changes: list[Change] = []
        self.core.bus.subscribe(self.changes.append)

    def state(self) -> dict:
        return httpx.get(self.sandbox.urls["admin"] + "/_sandbox/state", timeout=10).json()

    def orders(self) -> list[dict]:
        orders = self.state()["toast"]["orders"]
        return list(orders.values()) if isinstance(orders, dict) else list(orders)

    def close(self) -> None:
        self.core.service.close()
        self.core.store.close()
        self.sandbox.stop()


async def wait_for(predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def stand(tmp_path):
    s = Stand(tmp_path)
    try:
        yield s
    finally:
        await s.engine.stop()
        s.close()


def seatable_party(core):
    floor = {t.id: t for t in core.service.floor().tables}
    for r in core.service.reservations():
        if r.status is ReservationStatus.BOOKED and r.table_ids:
            t = floor[r.table_ids[0]]
            if t.state.value == "free" or (t.state.value == "held" and t.reservation_id == r.id):
                return r
    raise AssertionError("no seatable party")


async def test_the_child_fills_the_cache_and_the_app_hears_of_it(stand):
    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    # the child wrote tonight into the shared cache; the app reads it from there
    rows = stand.core.service.reservations()
    assert len(rows) == len(stand.state()["opentable"]["reservations"]) > 40
    # its commits reached the app's bus (the screens refresh on these), and its health is the app's
    assert any("reservations" in c.topics for c in stand.changes)
    health = stand.core.health.snapshot()
    assert {h.role: h.state for h in health.values()} == {"booking": HealthState.UP, "pos": HealthState.UP}


async def test_a_check_in_made_in_the_app_reaches_the_pos_through_the_child(stand):
    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    party = seatable_party(stand.core)
    before = {o["guid"] for o in stand.orders()}
    assert stand.core.service.check_in(party.id).ok
    # the app only wrote its cache and outbox; the child is woken and sends it, without a pull round
    await wait_for(lambda: any(o.get("numberOfGuests") == party.party_size and o["guid"] not in before
                               and o.get("externalId") for o in stand.orders()), what="the ticket at the POS")
    assert await stand.engine.drain(timeout=10) is True
    assert stand.core.service.queue() == []  # nothing left waiting, as the app's Sync queue page shows it
    mine = [o for o in stand.orders() if o["guid"] not in before and not o.get("voided")]
    assert len([o for o in mine if o.get("numberOfGuests") == party.party_size]) >= 1


async def test_the_pos_going_down_shows_in_the_app_and_coming_back_too(stand):
    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    httpx.post(stand.sandbox.urls["admin"] + "/_sandbox/faults", json={"api": "toast", "mode": "down"}, timeout=10)
    stand.engine.refresh_now()
    await wait_for(lambda: stand.core.health.snapshot()["toast"].state is HealthState.DOWN, timeout=30, what="toast down")
    assert stand.core.health.snapshot()["toast"].since is not None
    httpx.post(stand.sandbox.urls["admin"] + "/_sandbox/faults", json={"api": "toast", "mode": "up"}, timeout=10)
    await wait_for(lambda: stand.core.health.snapshot()["toast"].state is HealthState.UP, timeout=30, what="toast up")


async def test_a_crashed_child_is_started_again_and_what_was_queued_meanwhile_is_sent_once(stand):
    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    first = stand.engine._proc
    os.kill(first.pid, signal.SIGKILL)
    await wait_for(lambda: stand.core.health.snapshot()["toast"].state is HealthState.DOWN, what="the banner to say so")
    assert "sync process stopped" in stand.core.health.snapshot()["toast"].last_error
    party = seatable_party(stand.core)
    assert stand.core.service.check_in(party.id).ok  # the host keeps working meanwhile
    await wait_for(lambda: stand.engine.generation == 2 and stand.engine.running, what="a new child")
    await wait_for(lambda: stand.core.health.snapshot()["toast"].state is HealthState.UP, what="the banner to clear")
    assert await stand.engine.drain(timeout=15) is True
    # exactly one live order at the party's table, carrying its guest count
    table = next(t for t in stand.core.service.floor().tables if t.id == party.table_ids[0])
    toast_table = next(t["guid"] for t in stand.state()["toast"]["tables"] if t["name"] == table.name)
    at_table = [o for o in stand.orders() if (o.get("table") or {}).get("guid") == toast_table
                and not o.get("voided") and not o.get("closedDate")]
    assert [o.get("numberOfGuests") for o in at_table] == [party.party_size]


async def test_the_vendors_secrets_reach_the_child_only_through_its_input(stand):
    await stand.engine.start()
    proc = stand.engine._proc
    await wait_for(lambda: stand.engine.running, what="the child")
    args = " ".join(proc.args)
    environ = open(f"/proc/{proc.pid}/environ", "rb").read().decode(errors="replace")
    cmdline = open(f"/proc/{proc.pid}/cmdline", "rb").read().decode(errors="replace")
    for secret in stand.secrets:
        assert secret not in args and secret not in environ and secret not in cmdline


async def test_the_child_runs_below_the_windows_priority(stand):
    """On a two-core terminal the screen gets a core first: the sync child is niced (SYNC_NICENESS)."""
    from hoststand.sync.process import SYNC_NICENESS

    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, stand.engine._proc.pid) == min(mine + SYNC_NICENESS, 19)


async def test_stopping_ends_the_child(stand):
    await stand.engine.start()
    await asyncio.wait_for(stand.engine.first_pull_done.wait(), 30)
    proc = stand.engine._proc
    await stand.engine.stop()
    assert proc.returncode == 0


async def test_a_child_that_cannot_start_says_why_and_the_app_shows_the_apis_down(tmp_path):
    s = Stand(tmp_path, booking_kind="bookingcom")  # a platform hoststand has no connector for
    try:
        await s.engine.start()
        await wait_for(lambda: s.engine.last_fatal or s.engine.generation > 1, what="the child's complaint")
        assert "bookingcom" in s.engine.last_fatal or "could not start" in s.engine.last_fatal
        await wait_for(lambda: s.core.health.snapshot() and all(
            h.state is HealthState.DOWN for h in s.core.health.snapshot().values()), what="the banner")
    finally:
        await s.engine.stop()
        s.close()
