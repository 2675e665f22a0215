"""The Toast adapter's side of hand-opened tickets, over an in-memory transport that answers like Toast:
`open_orders_at` reads the business date once and then only what changed (a replay of hundreds of tickets
after an outage must not read every order each time), and `add_allergy_note` posts a selection that Toast's
own spec accepts, idempotently."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx

from hoststand.connectors.base import Credentials
from hoststand.connectors.pos.toast import ToastAdapter
from hoststand.domain.clock import ManualClock
from tests.contract.toast_schema import selections_request_errors

MENU = Path(__file__).resolve().parents[2] / "unit" / "connectors" / "fixtures" / "toast_menu.json"
RESTAURANT = "5ef0f7a2-1111-4c3e-9d1e-7a1d6f1a0001"
UTC = timezone.utc
NIGHT = date(2026, 11, 27)


def _order(guid: str, table: str, *, opened: str = "2026-11-28T00:10:00.000+0000", external: str | None = None,
           voided: bool = False, paid: bool = False, selections: list | None = None) -> dict:
    return {
        "guid": guid, "entityType": "Order", "externalId": external, "businessDate": 20261127,
        "table": {"guid": table}, "numberOfGuests": 2, "openedDate": opened, "voided": voided, "deleted": False,
        "checks": [{"guid": f"{guid}-c1", "tabName": "hand", "paymentStatus": "PAID" if paid else "OPEN",
                    "selections": selections or [], "amount": 0, "totalAmount": 0}],
    }


class FakeToast:
    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.bulk: list[dict] = []  # the query parameters of each ordersBulk read
        self.posted: list[tuple[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/login"):
            return httpx.Response(200, json={"token": {"accessToken": "jwt", "expiresIn": 86400}, "status": "SUCCESS"})
        if path == "/menus/v2/menus":
            return httpx.Response(200, content=MENU.read_bytes())
        if path == "/orders/v2/ordersBulk":
            params = dict(request.url.params)
            self.bulk.append(params)
            if int(params.get("page", "1")) > 1:
                return httpx.Response(200, json=[])
            return httpx.Response(200, json=list(self.orders.values()))
        if path.endswith("/selections") and request.method == "POST":
            body = json.loads(request.content)
            self.posted.append((path, body))
            order_guid = path.split("/")[4]
            order = self.orders[order_guid]
            ext = body[0].get("externalId")
            if any(s.get("externalId") == ext for s in order["checks"][0]["selections"]):
                return httpx.Response(409, json={"status": 409, "code": 409, "message": f"A selection with externalId '{ext}' already exists."})
            order["checks"][0]["selections"].append({**body[0], "displayName": "Allergy Alert", "guid": "sel-1"})
            return httpx.Response(200, json=order)
        if path.startswith("/orders/v2/orders/") and request.method == "GET":
            return httpx.Response(200, json=self.orders[path.rsplit("/", 1)[1]])
        return httpx.Response(404, json={"status": 404, "message": "not here"})


def _adapter(fake: FakeToast, clock: ManualClock, **kw) -> ToastAdapter:
    client = httpx.AsyncClient(base_url="http://toast.test", transport=httpx.MockTransport(fake))
    return ToastAdapter("http://toast.test", Credentials("cid", "secret"), RESTAURANT, client=client, clock=clock, **kw)


def test_live_orders_at_a_table_come_from_one_read_then_deltas():
    fake = FakeToast()
    fake.orders = {
        "a": _order("a", "t12", opened="2026-11-28T00:20:00.000+0000"),
        "b": _order("b", "t12", opened="2026-11-28T00:05:00.000+0000"),
        "v": _order("v", "t12", voided=True),
        "p": _order("p", "t12", paid=True),
        "x": _order("x", "t14"),
    }
    clock = ManualClock(datetime(2026, 11, 28, 0, 30, tzinfo=UTC))

    async def run():
        adapter = _adapter(fake, clock)
        try:
            first = await adapter.open_orders_at("t12", business_date=NIGHT)
            again = await adapter.open_orders_at("t14", business_date=NIGHT)  # fresh: no read at all
            clock.advance(5)
            fake.orders["n"] = _order("n", "t12", opened="2026-11-28T00:30:04.000+0000")
            fake.orders["a"]["voided"] = True
            later = await adapter.open_orders_at("t12", business_date=NIGHT)
            return first, again, later
        finally:
            await adapter.aclose()

    first, again, later = asyncio.run(run())
    assert [o.guid for o in first] == ["b", "a"]  # live ones only, oldest first
    assert [o.guid for o in again] == ["x"]
    assert [o.guid for o in later] == ["b", "n"]
    assert [("businessDate" in p, "startDate" in p) for p in fake.bulk] == [(True, False), (False, True)]
    delta = fake.bulk[1]
    assert delta["startDate"] == "2026-11-28T00:28:00.000+0000"  # the last read, less two minutes of overlap


def test_the_allergy_note_is_a_spec_valid_selection_and_is_added_once():
    fake = FakeToast()
    fake.orders = {"hand": _order("hand", "t12")}
    clock = ManualClock(datetime(2026, 11, 28, 0, 30, tzinfo=UTC))
    words = "ALLERGY: PEANUT, TREE NUT – “no nuts pls, epipen, and truly nothing fried in peanut oil either”" * 4

    async def run():
        adapter = _adapter(fake, clock)
        try:
            first = await adapter.add_allergy_note("hand", "hand-c1", allergy_text=words, external_id="act-1")
            second = await adapter.add_allergy_note("hand", "hand-c1", allergy_text=words, external_id="act-1")
            none = await adapter.add_allergy_note("hand", "hand-c1", allergy_text="  ", external_id="act-2")
            return first, second, none
        finally:
            await adapter.aclose()

    first, second, none = asyncio.run(run())
    path, body = fake.posted[0]
    assert path == "/orders/v2/orders/hand/checks/hand-c1/selections"
    assert selections_request_errors(body) == []
    assert body[0]["externalId"] == "hoststand:act-1:allergy"
    pieces = [m["displayName"] for m in body[0]["modifiers"]]
    assert all(len(p) <= 255 for p in pieces) and " ".join(pieces).split() == words.split()  # never cut
    assert first.has_allergy_note and second.has_allergy_note  # the duplicate is the note already there
    assert len(fake.orders["hand"]["checks"][0]["selections"]) == 1 and len(fake.posted) == 2
    assert none is None
