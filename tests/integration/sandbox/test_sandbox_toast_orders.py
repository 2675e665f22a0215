"""Toast orders over loopback HTTP: creation and validation, externalId idempotency, reads, paging, void."""

from __future__ import annotations

import httpx

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer

from .helpers import assert_error, http, order_body, toast_client, toast_refs


def test_post_reservation_order_returns_the_full_order(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    body = order_body(refs, external_id="HOSTAPP-res-1-v1")
    with toast_client(sandbox) as c:
        r = c.post("/orders/v2/orders", json=body)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["entityType"] == "Order" and order["externalId"] == "HOSTAPP-res-1-v1"
    assert order["source"] == "API" and order["approvalStatus"] == "APPROVED"
    assert order["voided"] is False and order["deleted"] is False
    assert order["businessDate"] == 20261127
    assert order["openedDate"] == "2026-11-27T21:00:00.000+0000"  # 16:00 New York, Toast's format
    assert order["table"] == {"guid": refs["tables"]["12"], "entityType": "Table", "externalId": None}
    assert order["server"]["entityType"] == "RestaurantUser" and order["numberOfGuests"] == 4
    assert order["serviceArea"]["entityType"] == "ServiceArea" and order["revenueCenter"]["guid"]
    check = order["checks"][0]
    assert check["paymentStatus"] == "OPEN" and check["tabName"] == body["checks"][0]["tabName"]
    assert check["customer"]["lastName"] == "Smith" and check["customer"]["entityType"] == "Customer"
    alert = check["selections"][0]
    assert alert["displayName"] == "Allergy Alert" and alert["price"] == 0
    special = alert["modifiers"][0]
    assert special["selectionType"] == "SPECIAL_REQUEST" and special["displayName"].startswith("NUT ALLERGY")
    assert special["item"] is None and special["itemGroup"] is None  # as Toast returns special requests
    assert check["amount"] == 0 and check["totalAmount"] == 0


def test_order_without_selections_is_accepted(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        r = c.post("/orders/v2/orders", json=order_body(refs, allergy=None, server=None))
    assert r.status_code == 200
    assert r.json()["checks"][0]["selections"] == [] and r.json()["server"] is None


def test_duplicate_external_ids_are_refused(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        assert c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-a")).status_code == 200
        again = assert_error(c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-a")), 409)
        assert "externalId" in again["message"] and "already exists" in again["message"]

        body = order_body(refs, external_id="HOSTAPP-b")
        body["checks"][0]["externalId"] = "HOSTAPP-b-check"
        assert c.post("/orders/v2/orders", json=body).status_code == 200
        body2 = order_body(refs, external_id="HOSTAPP-c")
        body2["checks"][0]["externalId"] = "HOSTAPP-b-check"
        assert "check" in assert_error(c.post("/orders/v2/orders", json=body2), 409)["message"]

        body3 = order_body(refs, external_id="HOSTAPP-d", items=("Roast Chicken",))
        body3["checks"][0]["selections"][1]["externalId"] = "HOSTAPP-sel-1"
        assert c.post("/orders/v2/orders", json=body3).status_code == 200
        body4 = order_body(refs, external_id="HOSTAPP-e", items=("Roast Chicken",))
        body4["checks"][0]["selections"][1]["externalId"] = "HOSTAPP-sel-1"
        assert "selection" in assert_error(c.post("/orders/v2/orders", json=body4), 409)["message"]
        assert c.get("/orders/v2/orders/HOSTAPP-e").status_code == 404  # refused entirely
    ext = sandbox.state()["idempotency"]["toast"]["external_ids"]
    assert ext["HOSTAPP-a"]["attempts"] == 2 and ext["HOSTAPP-a"]["created"] == 1
    assert ext["HOSTAPP-a"]["refused_duplicate"] == 1


def test_validation_errors(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        def post(mutate) -> httpx.Response:  # noqa: ANN001
            body = order_body(refs)
            mutate(body)
            return c.post("/orders/v2/orders", json=body)

        assert_error(post(lambda b: b.update(table={"guid": "nope"})), 404)
        assert_error(post(lambda b: b.update(diningOption={"guid": "nope"})), 404)
        assert_error(post(lambda b: b.pop("diningOption")), 400)
        assert_error(post(lambda b: b.update(server={"guid": "nope"})), 404)
        assert_error(post(lambda b: b.update(revenueCenter={"guid": "nope"})), 404)
        assert_error(post(lambda b: b.update(checks=[])), 400)
        assert_error(post(lambda b: b.update(checks=[{"selections": []}] * 21)), 413)
        assert_error(post(lambda b: b["checks"][0].update(tabName="x" * 256)), 400)
        assert post(lambda b: b["checks"][0].update(tabName="x" * 255)).status_code == 200
        assert_error(post(lambda b: b["checks"][0].pop("selections")), 400)
        assert_error(post(lambda b: b["checks"][0]["selections"][0].update(item={"guid": "nope"})), 404)
        assert_error(post(lambda b: b["checks"][0]["selections"][0].pop("itemGroup")), 400)
        assert_error(post(lambda b: b["checks"][0]["selections"][0].pop("quantity")), 400)
        assert_error(post(lambda b: b["checks"][0]["customer"].pop("email")), 400)
        assert_error(post(lambda b: b.update(numberOfGuests="four")), 400)
        top_level_special = {"selectionType": "SPECIAL_REQUEST", "displayName": "no nuts"}
        assert_error(post(lambda b: b["checks"][0]["selections"].append(top_level_special)), 400)
        assert_error(post(lambda b: b["checks"][0]["selections"][0]["modifiers"][0].pop("displayName")), 400)
        assert_error(c.post("/orders/v2/orders", content=b"{}", headers={"Content-Type": "text/plain"}), 415)
        assert_error(c.post("/orders/v2/orders", content=b"{nope", headers={"Content-Type": "application/json"}), 400)


def test_get_by_guid_and_by_external_id(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        order = c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-get")).json()
        assert c.get(f"/orders/v2/orders/{order['guid']}").json() == order
        assert c.get("/orders/v2/orders/HOSTAPP-get").json()["guid"] == order["guid"]
        assert_error(c.get("/orders/v2/orders/11111111-2222-3333-4444-555555555555"), 404)


def test_orders_bulk_paging_and_windows(evening: SandboxServer, evening_clock: ManualClock) -> None:
    refs = toast_refs(evening)
    with toast_client(evening) as c:
        seeded = c.get("/orders/v2/ordersBulk", params={"businessDate": "20261127", "pageSize": 100}).json()
        assert seeded and all(o["businessDate"] == 20261127 for o in seeded)
        created = []
        for i in range(7):
            evening_clock.advance(60)
            created.append(c.post("/orders/v2/orders", json=order_body(refs, table="1", external_id=f"HOSTAPP-bulk-{i}",
                                                                       allergy=None)).json())
        start = created[0]["modifiedDate"]
        end = created[-1]["modifiedDate"]  # exclusive
        pages, page = [], 1
        while True:
            got = c.get("/orders/v2/ordersBulk", params={"startDate": start, "endDate": end, "pageSize": 3,
                                                         "page": page}).json()
            pages.append(got)
            if len(got) < 3:
                break
            page += 1
        assert [len(p) for p in pages] == [3, 3, 0]
        assert [o["guid"] for p in pages for o in p] == [o["guid"] for o in created[:-1]]
        everything = c.get("/orders/v2/ordersBulk", params={"businessDate": "20261127", "pageSize": 500}).json()
        assert len(everything) == 100 or len(everything) == len(seeded) + 7  # pageSize is capped at 100
        guids = c.get("/orders/v2/orders", params={"businessDate": "20261127"}).json()
        assert set(guids) == {o["guid"] for o in seeded} | {o["guid"] for o in created}
        assert_error(c.get("/orders/v2/ordersBulk"), 400)
        assert_error(c.get("/orders/v2/ordersBulk", params={"startDate": end, "endDate": start}), 400)
        assert_error(c.get("/orders/v2/ordersBulk", params={"businessDate": "2026-11-27"}), 400)
        assert_error(c.get("/orders/v2/ordersBulk", params={"businessDate": "20261127", "page": 0}), 400)
        other_day = c.get("/orders/v2/ordersBulk", params={"businessDate": "20261126"}).json()
        assert other_day == []


def test_seeded_orders_at_seated_tables(evening: SandboxServer) -> None:
    state = evening.state()
    tables = {t["guid"]: t["name"] for t in state["toast"]["tables"]}
    open_by_table = {tables[o["table"]["guid"]]: o for o in state["toast"]["orders"]
                     if o["table"] and not o["voided"] and o["checks"][0]["paymentStatus"] == "OPEN"}
    seated = [r for r in state["opentable"]["reservations"] if r["state"] == "Seated"]
    assert seated
    for res in seated:
        order = open_by_table[res["table_number"][0]]
        assert order["externalId"] is None and order["source"] == "In Store"
        assert order["numberOfGuests"] == res["party_size"]
    assert any(o["checks"][0]["selections"] for o in open_by_table.values())  # mid-meal tables
    done = [r for r in state["opentable"]["reservations"] if r["state"] == "Done"]
    closed = [o for o in state["toast"]["orders"] if o["checks"][0]["paymentStatus"] == "CLOSED"]
    assert len(closed) == len(done) and all(o["checks"][0]["payments"] for o in closed)


def test_add_selections_and_void(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        order = c.post("/orders/v2/orders", json=order_body(refs, allergy=None)).json()
        check = order["checks"][0]
        item, group = refs["items"]["Steak Frites"]
        added = c.post(f"/orders/v2/orders/{order['guid']}/checks/{check['guid']}/selections",
                       json=[{"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 2,
                              "externalId": "HOSTAPP-sel-x"}])
        assert added.status_code == 200, added.text
        new_check = added.json()["checks"][0]
        assert new_check["amount"] == 76.0 and new_check["totalAmount"] > 76.0
        assert added.json()["modifiedDate"] >= order["modifiedDate"]
        dup = c.post(f"/orders/v2/orders/{order['guid']}/checks/{check['guid']}/selections",
                     json=[{"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1,
                            "externalId": "HOSTAPP-sel-x"}])
        assert_error(dup, 409)
        assert_error(c.post(f"/orders/v2/orders/{order['guid']}/checks/nope/selections",
                            json=[{"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1}]), 404)
        assert_error(c.post(f"/orders/v2/orders/{order['guid']}/checks/{check['guid']}/selections", json=[]), 400)

        voided = c.post(f"/orders/v2/orders/{order['guid']}/void", json={"selections": {"voidAll": True}})
        assert voided.status_code == 200
        v = voided.json()
        assert v["voided"] is True and v["voidBusinessDate"] == 20261127 and v["checks"][0]["voided"] is True
        assert all(s["voided"] for s in v["checks"][0]["selections"])
        twice = c.post(f"/orders/v2/orders/{order['guid']}/void")
        assert twice.status_code == 200 and twice.json()["voidDate"] == v["voidDate"]
        assert_error(c.post("/orders/v2/orders/nope/void"), 404)
        assert_error(c.post(f"/orders/v2/orders/{order['guid']}/checks/{check['guid']}/selections",
                            json=[{"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1}]), 400)


def test_card_paid_orders_cannot_be_voided(evening: SandboxServer) -> None:
    closed = next(o for o in evening.state()["toast"]["orders"] if o["checks"][0]["paymentStatus"] == "CLOSED")
    with toast_client(evening) as c:
        assert "OTHER" in assert_error(c.post(f"/orders/v2/orders/{closed['guid']}/void"), 400)["message"]


def test_order_at_an_occupied_table_is_hidden_until_the_first_closes(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        first = c.post("/orders/v2/orders", json=order_body(refs, table="14")).json()
        second = c.post("/orders/v2/orders", json=order_body(refs, table="14")).json()
        elsewhere = c.post("/orders/v2/orders", json=order_body(refs, table="15")).json()
    hidden = sandbox.state()["toast"]["hidden_orders"]
    assert hidden == {second["guid"]: first["guid"]} and elsewhere["guid"] not in hidden
    r = http.post(f"{sandbox.urls['admin']}/_sandbox/toast/orders/{first['guid']}/close", json={})
    assert r.status_code == 200
    assert sandbox.state()["toast"]["hidden_orders"] == {}
