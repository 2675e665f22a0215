"""The /_sandbox admin API: state, reset, and the conveniences later features drive the world with."""

from __future__ import annotations

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer

from .helpers import admin, http, local, order_body, ot_client, toast_client, toast_refs

RID = 424242


def test_state_holds_the_whole_world(sandbox: SandboxServer) -> None:
    state = http.get(f"{sandbox.urls['admin']}/_sandbox/state").json()
    assert set(state) >= {"sandbox", "restaurant", "service_date", "opentable", "toast", "faults", "requests",
                          "idempotency", "auth"}
    assert state["restaurant"]["name"] == "The Corner Bistro"
    assert state["service_date"] == "2026-11-27"
    assert {"reservations", "guests", "tables"} <= set(state["opentable"])
    assert {"tables", "table_seats", "orders", "employees", "menu", "dining_options", "hidden_orders",
            "late_landings"} <= set(state["toast"])
    assert state["sandbox"]["urls"] == sandbox.urls
    assert state["requests"]["toast"]["rate_limited"] == 0
    # the same answer on a vendor port
    again = http.get(f"{sandbox.urls['toast']}/_sandbox/state").json()
    assert again["opentable"] == state["opentable"]
    # vendor ports do not count admin traffic
    assert again["requests"]["toast"]["total"] == 0


def test_reset_reseeds_and_clears_books(sandbox: SandboxServer, clock: ManualClock) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        assert c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-r")).status_code == 200
    before = sandbox.state()
    assert before["toast"]["orders"] and before["requests"]["toast"]["total"] == 2  # login + POST
    with admin(sandbox) as a:
        r = a.post("/_sandbox/reset")
        assert r.status_code == 200 and r.json()["orders"] == 0
        after = sandbox.state()
        assert after["toast"]["orders"] == [] and after["requests"]["toast"]["total"] == 0
        assert after["opentable"] == before["opentable"]  # same clock, same seed: the same book
        assert after["idempotency"]["toast"]["external_ids"] == {}

        evening = a.post("/_sandbox/reset", json={"now": "2026-11-27T20:30:00-05:00", "seed": 3}).json()
        assert evening["orders"] > 0
        st = sandbox.state()
        assert st["sandbox"]["seed"]["seed"] == 3 and st["seeded_at"] == "2026-11-28T01:30:00.000Z"
        assert a.post("/_sandbox/reset", json={"now": "soon"}).status_code == 400
        assert a.post("/_sandbox/reset", json={"seed": "x"}).status_code == 400
    # the token issued before the reset still works
    with toast_client(sandbox) as c:
        assert c.get("/config/v2/tables").status_code == 200


def test_close_order_with_a_total(sandbox: SandboxServer, clock: ManualClock) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        order = c.post("/orders/v2/orders", json=order_body(refs, items=("Steak Frites", "Roast Chicken"))).json()
        clock.advance(95 * 60)
        with admin(sandbox) as a:
            r = a.post(f"/_sandbox/toast/orders/{order['guid']}/close", json={"total": 150.0, "tip": 30})
            assert r.status_code == 200, r.text
            assert a.post("/_sandbox/toast/orders/nope/close").status_code == 404
            assert a.post(f"/_sandbox/toast/orders/{order['guid']}/close", json={"total": -1}).status_code == 400
        closed = c.get(f"/orders/v2/orders/{order['guid']}").json()
    check = closed["checks"][0]
    assert check["paymentStatus"] == "CLOSED" and check["totalAmount"] == 150.0
    assert check["payments"][0]["amount"] == 150.0 and check["payments"][0]["tipAmount"] == 30
    assert closed["closedDate"] == "2026-11-27T22:35:00.000+0000" and closed["duration"] == 95 * 60
    assert closed["modifiedDate"] == closed["closedDate"]


def test_close_order_below_its_total_is_refused(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        order = c.post("/orders/v2/orders", json=order_body(refs, items=("Steak Frites",))).json()
    r = http.post(f"{sandbox.urls['admin']}/_sandbox/toast/orders/{order['guid']}/close", json={"total": 10})
    assert r.status_code == 400


def test_online_reservation_changes_show_up_in_the_sync(sandbox: SandboxServer, clock: ManualClock) -> None:
    with ot_client(sandbox) as c:
        watermark = max(i["updated_at_utc"] for i in
                        c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1000}).json()["items"])
        clock.advance(60)
        with admin(sandbox) as a:
            created = a.post("/_sandbox/opentable/reservations", json={
                "action": "create", "scheduled_time": "2026-11-27T19:45", "party_size": 3,
                "guest": {"first_name": "Walk", "last_name": "Online", "phone": "(646) 555-0177",
                          "notes_food_and_drink": "sesame allergy"},
                "visit_tags": ["Birthday"], "guest_request": "window please"})
            assert created.status_code == 201, created.text
            res = created.json()["reservation"]
            assert res["state"] == "Pending" and res["scheduled_time"] == "2026-11-27T19:45:00"
            clock.advance(60)
            modified = a.post("/_sandbox/opentable/reservations", json={
                "action": "modify", "confirmation_id": res["confirmation_id"], "changes": {"party_size": 4}})
            assert modified.status_code == 200 and modified.json()["reservation"]["sequence_id"] == 2
            seated = next(i for i in sandbox.state()["opentable"]["reservations"] if i["state"] == "Pending"
                          and i["id"] != res["id"])
            clock.advance(60)
            cancelled = a.post("/_sandbox/opentable/reservations", json={"action": "cancel", "id": seated["id"]})
            assert cancelled.status_code == 200
            assert cancelled.json()["reservation"]["sequence_id"] == seated["sequence_id"] + 1
            assert a.post("/_sandbox/opentable/reservations", json={"action": "cancel", "id": "nope"}).status_code == 404
            assert a.post("/_sandbox/opentable/reservations", json={"action": "fly"}).status_code == 400
            assert a.post("/_sandbox/opentable/reservations", json={
                "action": "modify", "id": res["id"], "changes": {"colour": "blue"}}).status_code == 400
        delta = c.get("/sync/v2/reservations", params={"rid": RID, "updated_after": watermark}).json()["items"]
        assert [i["id"] for i in delta] == [res["id"], seated["id"]]
        assert delta[0]["party_size"] == 4 and delta[0]["updated_at_utc"] == "2026-11-27T21:02:00.000Z"
        assert delta[1]["state"] == "Cancelled"
        guests = c.get("/sync/v2/guests", params={"rid": RID, "updated_after": watermark}).json()["items"]
        assert [g["last_name"] for g in guests] == ["Online"]


def test_convenience_routes_answer_on_vendor_ports_too(sandbox: SandboxServer) -> None:
    r = http.post(f"{sandbox.urls['opentable']}/_sandbox/opentable/reservations",
                  json={"action": "create", "scheduled_time": local(21).isoformat(), "party_size": 2,
                        "guest": {"last_name": "Porter"}})
    assert r.status_code == 201
