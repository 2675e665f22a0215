"""The whole core (store, adapters, sync, services) against the vendor sandboxes over real loopback HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from hoststand.app import Core, build_core, load_layout
from hoststand.connectors.base import Credentials
from hoststand.connectors.registry import make_booking, make_pos
from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer, SeedOptions
from hoststand.store import open_store

from tests.conftest import NY, ROOT

# Friday 27 November 2026, 16:40 in New York: doors open, the first parties are due, every table is free.
OPENING = datetime(2026, 11, 27, 16, 40, tzinfo=NY)


@dataclass
class Night:
    sandbox: SandboxServer
    core: Core
    clock: ManualClock

    def state(self) -> dict:
        return httpx.get(self.sandbox.urls["admin"] + "/_sandbox/state", timeout=10).json()

    def fault(self, api: str, **body) -> None:
        r = httpx.post(self.sandbox.urls["admin"] + "/_sandbox/faults", json={"api": api, **body}, timeout=10)
        r.raise_for_status()

    def toast_orders(self) -> list[dict]:
        orders = self.state()["toast"]["orders"]
        return list(orders.values()) if isinstance(orders, dict) else list(orders)

    def seatable(self, allergens: set[str] | None = None):
        """The first booked party (by time) whose assigned table is free for it now, optionally with one of
        `allergens`."""
        floor = {t.id: t for t in self.core.service.floor().tables}
        for r in self.core.service.reservations():
            if r.status.value != "booked" or not r.table_ids:
                continue
            t = floor[r.table_ids[0]]
            if t.state.value == "free" or (t.state.value == "held" and t.reservation_id == r.id):
                if allergens is None or {a.value for a in r.allergens} & allergens:
                    return r
        raise AssertionError(f"no seatable party with {allergens} at this hour")

    def toast_api(self, method: str, path: str, **kw) -> httpx.Response:
        """Call the Toast sandbox as a POS terminal would (its own login), e.g. a server opening a ticket."""
        creds = self.sandbox.credentials["toast"]
        base = self.sandbox.urls["toast"]
        if not hasattr(self, "_toast_token"):
            r = httpx.post(base + "/authentication/v1/authentication/login", json={
                "clientId": creds["client_id"], "clientSecret": creds["client_secret"], "userAccessType": "TOAST_MACHINE_CLIENT"})
            r.raise_for_status()
            self._toast_token = r.json()["token"]["accessToken"]
        headers = {"Authorization": f"Bearer {self._toast_token}", "Toast-Restaurant-External-ID": creds["restaurant_guid"]}
        return httpx.request(method, base + path, headers=headers, timeout=10, **kw)

    def open_ticket_by_hand(self, table_name: str, guests: int, tab_name: str = "") -> dict:
        """A server opens a ticket on the POS itself (no externalId): a walk-in, or a party during an outage."""
        state = self.state()["toast"]
        table = next(t for t in state["tables"] if t["name"] == table_name)
        dine_in = next(d for d in state["dining_options"] if d.get("behavior") == "DINE_IN") if "dining_options" in state else None
        if dine_in is None:
            dine_in = next(d for d in self.toast_api("GET", "/config/v2/diningOptions").json() if d.get("behavior") == "DINE_IN")
        body = {"diningOption": {"guid": dine_in["guid"]}, "table": {"guid": table["guid"]}, "numberOfGuests": guests,
                "checks": [{"selections": [], **({"tabName": tab_name} if tab_name else {})}]}
        r = self.toast_api("POST", "/orders/v2/orders", json=body)
        r.raise_for_status()
        return r.json()

    def close_order(self, guid: str, total: float, tip: float = 0.0) -> dict:
        r = httpx.post(self.sandbox.urls["admin"] + f"/_sandbox/toast/orders/{guid}/close", json={"total": total, "tip": tip}, timeout=10)
        r.raise_for_status()
        return r.json()

    def change_online(self, external_id: str, **changes) -> dict:
        """A guest changes (or with cancel=True cancels) the booking on OpenTable's own site."""
        action = "cancel" if changes.pop("cancel", False) else "modify"
        body = {"action": action, "confirmation_id": int(external_id)} | ({"changes": changes} if changes else {})
        r = httpx.post(self.sandbox.urls["admin"] + "/_sandbox/opentable/reservations", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def ot_reservation(self, external_id: str) -> dict:
        res = self.state()["opentable"]["reservations"]
        rows = res.values() if isinstance(res, dict) else res
        return next(r for r in rows if str(external_id) in (str(r["confirmation_id"]), str(r["id"])))


def make_night(tmp_path, when: datetime = OPENING, *, pull_interval: float = 15.0) -> Night:
    clock = ManualClock(when)
    srv = SandboxServer(booking="opentable", pos="toast", seed=SeedOptions(now=clock.now(), timezone="America/New_York", seed=7),
                        clock=clock.now)
    srv.start()
    ot, toast = srv.credentials["opentable"], srv.credentials["toast"]
    booking = make_booking("opentable", base_url=srv.urls["opentable"], credentials=Credentials(ot["client_id"], ot["client_secret"]),
                           rid=ot["rid"], clock=clock, tz="America/New_York", read_timeout=5.0)
    pos = make_pos("toast", base_url=srv.urls["toast"], credentials=Credentials(toast["client_id"], toast["client_secret"]),
                   restaurant_guid=toast["restaurant_guid"], clock=clock, tz="America/New_York", read_timeout=5.0,
                   orders_read_timeout=5.0)
    from hoststand.domain.settings import RestaurantSettings

    core = build_core(
        settings=RestaurantSettings(name="The Corner Bistro", timezone="America/New_York"),
        layout=load_layout(ROOT / "resources" / "floorplans" / "bistro.json"),
        store=open_store(tmp_path / "cache.sqlite"),
        booking=booking,
        pos=pos,
        clock=clock,
        pull_interval=pull_interval,
    )
    return Night(srv, core, clock)


def restart_core(night: Night, tmp_path) -> Core:
    """The terminal started again over the night's cache (`tmp_path / "cache.sqlite"`): a new core on the same
    sandboxes and clock. The caller closes it."""
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


@pytest.fixture
async def night(tmp_path):
    n = make_night(tmp_path)
    try:
        yield n
    finally:
        await n.core.engine.booking.aclose()
        await n.core.engine.pos.aclose()
        n.core.store.close()
        n.sandbox.stop()
