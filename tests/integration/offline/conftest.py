"""The whole core against the sandboxes (see tests/integration/sync/conftest.py), plus the manager's
operations service and a server's hand at the POS: an order opened at a table without hoststand."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from hoststand.services.operations import OperationsService
from hoststand.store import outbox, repos
from tests.integration.sync.conftest import Night, make_night

NUTS = {"peanut", "tree_nut"}


@dataclass
class Offline:
    night: Night
    ops: OperationsService
    _token: str | None = None

    @property
    def core(self):
        return self.night.core

    # ---------------------------------------------------------------- a server at the POS terminal

    def hand_open(self, table_name: str, *, guests: int = 2, tab: str = "T-hand") -> dict:
        """Open an order at a table as a server would on the terminal: no externalId, nothing of ours."""
        srv = self.night.sandbox
        st = srv.state()["toast"]
        body = {
            "diningOption": {"guid": next(d["guid"] for d in st["dining_options"] if d["behavior"] == "DINE_IN")},
            "table": {"guid": self.table_guid(table_name)},
            "numberOfGuests": guests,
            "checks": [{"tabName": tab, "selections": []}],
        }
        with httpx.Client(base_url=srv.urls["toast"], timeout=10) as c:
            r = c.post("/orders/v2/orders", json=body, headers=self._headers())
        assert r.status_code == 200, r.text
        return r.json()

    def _headers(self) -> dict[str, str]:
        srv = self.night.sandbox
        if self._token is None:
            creds = srv.credentials["toast"]
            r = httpx.post(
                srv.urls["toast"] + "/authentication/v1/authentication/login",
                json={"clientId": creds["client_id"], "clientSecret": creds["client_secret"],
                      "userAccessType": "TOAST_MACHINE_CLIENT"},
                timeout=10,
            )
            assert r.status_code == 200, r.text
            self._token = r.json()["token"]["accessToken"]
        return {"Authorization": f"Bearer {self._token}",
                "Toast-Restaurant-External-ID": srv.credentials["toast"]["restaurant_guid"]}

    def table_guid(self, table_name: str) -> str:
        return {t["name"]: t["guid"] for t in self.night.state()["toast"]["tables"]}[table_name]

    def live_orders_at(self, table_name: str) -> list[dict]:
        guid = self.table_guid(table_name)
        return [o for o in self.night.toast_orders()
                if (o.get("table") or {}).get("guid") == guid and not o.get("voided") and not o.get("deleted")
                and all(c.get("paymentStatus") in (None, "OPEN") for c in o["checks"] if not c.get("voided"))]

    # ---------------------------------------------------------------- the host stand's side

    def party_to_seat(self, allergens: set[str] | None = None, *, max_size: int = 50):
        """A booked party with an assigned free table, no ticket yet and nothing queued (optionally with one
        of `allergens`, at most `max_size` guests)."""
        service = self.core.service
        floor = {t.id: t for t in service.floor().tables}
        with self.core.store.read() as s:
            busy = {rid for rid in outbox.unsettled_for(s)}
            for r in service.reservations():
                if r.status.value != "booked" or not r.table_ids or r.id in busy or r.party_size > max_size:
                    continue
                if any(t.is_live for t in repos.tickets_for_reservation(s, r.id)):
                    continue
                t = floor[r.table_ids[0]]
                if t.state.value not in ("free", "held") or (t.state.value == "held" and t.reservation_id != r.id):
                    continue
                if allergens is None or {a.value for a in r.allergens} & allergens:
                    return r
        raise AssertionError(f"no party to seat with {allergens}")

    def ticket_of(self, reservation_id: str):
        with self.core.store.read() as s:
            live = [t for t in repos.tickets_for_reservation(s, reservation_id) if t.is_live]
        assert len(live) == 1, live
        return live[0]

    def open_action_of(self, ticket) -> object:
        with self.core.store.read() as s:
            return outbox.get(s, ticket.external_id)

    async def fail_rounds(self, rounds: int = 3) -> None:
        """The replayer tries the POS while it is down, fails, and the circuit opens (two simulated minutes apart)."""
        replayer = self.core.engine.replayer
        for _ in range(rounds):
            await replayer.step()
            await replayer.join()
            self.night.clock.advance(120)

    def pos_back(self) -> None:
        self.night.fault("toast", mode="up")
        self.core.engine.health.success("toast")  # what the prober does when the API answers again

    async def drain(self) -> None:
        assert await self.core.engine.replayer.drain(timeout=30, advance=self.night.clock.advance)


@pytest.fixture
async def offline(tmp_path):
    night = make_night(tmp_path)
    core = night.core
    ops = OperationsService(core.store, layout=core.layout, settings=core.settings, clock=core.clock, bus=core.bus)
    try:
        yield Offline(night, ops)
    finally:
        await core.engine.booking.aclose()
        await core.engine.pos.aclose()
        core.store.close()
        night.sandbox.stop()
