"""Every order the Toast sandbox returns — from POST, GET, ordersBulk, selections, void, close — matches
Toast's published `definitions.Order`; the requests the tests send match the request rules; and the
schema helper itself rejects what it should (so a green run means something)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hoststand.sandbox.server import SandboxServer, SeedOptions

from .toast_schema import (
    ToastSchemaError,
    order_request_errors,
    order_response_errors,
    validate_order_request,
    validate_order_response,
    validate_selections_request,
)

TZ = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def srv() -> Iterator[SandboxServer]:
    """Friday 21:00: done, seated and pending tables, so seeded orders of every kind exist."""
    with SandboxServer(seed=SeedOptions(now=datetime(2026, 11, 27, 21, 0, tzinfo=TZ), seed=7)) as server:
        yield server


@pytest.fixture(scope="module")
def client(srv: SandboxServer) -> Iterator[httpx.Client]:
    creds = srv.credentials["toast"]
    r = httpx.post(f"{srv.urls['toast']}/authentication/v1/authentication/login",
                   json={"clientId": creds["client_id"], "clientSecret": creds["client_secret"],
                         "userAccessType": "TOAST_MACHINE_CLIENT"})
    token = r.json()["token"]["accessToken"]
    with httpx.Client(base_url=srv.urls["toast"], timeout=5.0, headers={
            "Authorization": f"Bearer {token}", "Toast-Restaurant-External-ID": creds["restaurant_guid"]}) as c:
        yield c


@pytest.fixture(scope="module")
def refs(srv: SandboxServer) -> dict[str, Any]:
    st = srv.state()["toast"]
    return {
        "table": {t["name"]: t["guid"] for t in st["tables"]},
        "dine_in": next(d["guid"] for d in st["dining_options"] if d["behavior"] == "DINE_IN"),
        "server": next(e["guid"] for e in st["employees"] if e["lastName"] == "Lopez"),
        "items": {i["name"]: (i["guid"], g["guid"]) for m in st["menu"]["menus"] for g in m["menuGroups"]
                  for i in g["menuItems"]},
    }


def _body(refs: dict[str, Any], ext: str, table: str = "Bar 2", *, items: tuple[str, ...] = ("Steak Frites",),
          allergy: str | None = "SEVERE SHELLFISH ALLERGY") -> dict[str, Any]:
    sels = []
    if allergy:
        item, group = refs["items"]["Allergy Alert"]
        sels.append({"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1, "externalId": f"{ext}-alert",
                     "modifiers": [{"selectionType": "SPECIAL_REQUEST", "displayName": allergy}]})
    for n, name in enumerate(items):
        item, group = refs["items"][name]
        sels.append({"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 2, "externalId": f"{ext}-{n}"})
    return {
        "externalId": ext,
        "diningOption": {"guid": refs["dine_in"]},
        "table": {"guid": refs["table"][table]},
        "server": {"guid": refs["server"]},
        "numberOfGuests": 2,
        "checks": [{"externalId": f"{ext}-check", "tabName": "Okafor party of 2 - SHELLFISH",
                    "customer": {"firstName": "Daniel", "lastName": "Okafor", "phone": "+1 917 555 0123",
                                 "email": "daniel.okafor@example.com"},
                    "selections": sels}],
    }


def test_posted_and_fetched_orders_match_the_spec(client: httpx.Client, refs: dict[str, Any]) -> None:
    for n, (items, allergy) in enumerate([((), None), ((), "NUT ALLERGY"), (("Steak Frites", "Lemonade"), "VEGAN")]):
        body = _body(refs, f"HOSTAPP-contract-{n}", items=items, allergy=allergy)
        validate_order_request(body)
        r = client.post("/orders/v2/orders", json=body)
        assert r.status_code == 200, r.text
        validate_order_response(r.json())
        validate_order_response(client.get(f"/orders/v2/orders/{r.json()['guid']}").json())


def test_every_order_in_orders_bulk_matches_the_spec(client: httpx.Client) -> None:
    page, seen = 1, 0
    while True:
        orders = client.get("/orders/v2/ordersBulk", params={"businessDate": "20261127", "pageSize": 20,
                                                             "page": page}).json()
        for order in orders:
            validate_order_response(order)
        seen += len(orders)
        if len(orders) < 20:
            break
        page += 1
    assert seen > 30  # seeded open and closed orders, the bar tab, and what the tests posted
    window = client.get("/orders/v2/ordersBulk", params={"startDate": "2026-11-27T00:00:00.000-0500",
                                                         "endDate": "2026-11-28T04:00:00.000-0500"}).json()
    for order in window:
        validate_order_response(order)


def test_selections_void_and_close_responses_match_the_spec(srv: SandboxServer, client: httpx.Client,
                                                            refs: dict[str, Any]) -> None:
    order = client.post("/orders/v2/orders", json=_body(refs, "HOSTAPP-contract-life", items=())).json()
    item, group = refs["items"]["Crème Brûlée"]
    extra = [{"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1,
              "modifiers": [{"selectionType": "SPECIAL_REQUEST", "displayName": "candle, it's a birthday"}]}]
    validate_selections_request(extra)
    r = client.post(f"/orders/v2/orders/{order['guid']}/checks/{order['checks'][0]['guid']}/selections", json=extra)
    assert r.status_code == 200
    validate_order_response(r.json())
    closed = httpx.post(f"{srv.urls['admin']}/_sandbox/toast/orders/{order['guid']}/close", json={"total": 40.0})
    validate_order_response(closed.json()["order"])
    other = client.post("/orders/v2/orders", json=_body(refs, "HOSTAPP-contract-void", items=())).json()
    voided = client.post(f"/orders/v2/orders/{other['guid']}/void", json={"selections": {"voidAll": True}})
    validate_order_response(voided.json())


# ------------------------------------------------------------------------- the helper rejects what it should


def test_request_rules(refs: dict[str, Any]) -> None:
    body = _body(refs, "X")
    assert order_request_errors(body) == []
    minimal = {"diningOption": {"guid": "d"}, "checks": [{"selections": []}]}
    assert order_request_errors(minimal) == []  # no guid or entityType needed on created objects

    def broken(mutate: Any) -> list[str]:
        b = copy.deepcopy(body)
        mutate(b)
        return order_request_errors(b)

    assert any("diningOption" in e for e in broken(lambda b: b.pop("diningOption")))
    assert any("guid" in e for e in broken(lambda b: b["table"].pop("guid")))  # references keep guid
    assert broken(lambda b: b.pop("checks"))
    assert broken(lambda b: b.update(checks=[]))
    assert broken(lambda b: b["checks"][0].pop("selections"))
    assert broken(lambda b: b["checks"][0].update(tabName="x" * 256))
    assert broken(lambda b: b["checks"][0]["selections"][1].pop("quantity"))
    assert broken(lambda b: b["checks"][0]["selections"][1].pop("item"))
    assert broken(lambda b: b["checks"][0]["selections"].append(
        {"selectionType": "SPECIAL_REQUEST", "displayName": "no nuts"}))  # only as a modifier
    assert broken(lambda b: b["checks"][0]["selections"][0]["modifiers"][0].update(displayName=""))
    assert broken(lambda b: b["checks"][0]["customer"].pop("email"))
    assert broken(lambda b: b.update(numberOfGuests="two"))
    assert broken(lambda b: b.update(promisedDate="2026-11-27 19:00"))  # no offset: not a date-time
    with pytest.raises(ToastSchemaError) as info:
        validate_order_request({"checks": "none"})
    assert "diningOption" in str(info.value) and len(info.value.errors) >= 2


def test_response_rules(client: httpx.Client, refs: dict[str, Any]) -> None:
    order = client.post("/orders/v2/orders", json=_body(refs, "HOSTAPP-contract-rules")).json()
    assert order_response_errors(order) == []

    def broken(mutate: Any) -> list[str]:
        o = copy.deepcopy(order)
        mutate(o)
        return order_response_errors(o)

    assert broken(lambda o: o.pop("guid"))
    assert broken(lambda o: o.pop("entityType"))
    assert broken(lambda o: o["checks"][0].pop("guid"))
    assert broken(lambda o: o.update(diningOption=None))  # required, so never null
    assert broken(lambda o: o.update(businessDate="20261127"))
    assert broken(lambda o: o.update(approvalStatus="OK"))
    assert broken(lambda o: o["checks"][0].update(paymentStatus="SETTLED"))
    assert broken(lambda o: o.update(openedDate="27/11/2026 19:00"))
    assert broken(lambda o: o["checks"][0]["selections"][1].update(item=None))  # a normal line needs its item
    assert not broken(lambda o: o.update(promisedDate=None))  # optional: null is how Toast says "none"
    special = order["checks"][0]["selections"][0]["modifiers"][0]
    assert special["selectionType"] == "SPECIAL_REQUEST" and special["item"] is None


def test_the_spec_copy_is_verbatim() -> None:
    import hashlib
    from pathlib import Path

    copy_path = Path(__file__).parent / "specs" / "toast-orders-openapi.yaml"
    digest = hashlib.sha256(copy_path.read_bytes()).hexdigest()
    assert digest.startswith("94e3c5c6") and digest.endswith("a514")
