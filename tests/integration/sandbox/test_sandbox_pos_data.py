"""OpenTable `pos-data` over loopback HTTP: the assumed write (X-Request-Id idempotency, validation) and the
documented read, plus what the reservation records; and a guest's online changes through the admin API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer

from .helpers import admin, local, ot_client

RID = 424242


def _seated(srv: SandboxServer) -> dict[str, Any]:
    return next(r for r in srv.state()["opentable"]["reservations"] if r["state"] == "Seated")


def _body(res: dict[str, Any], **over: Any) -> dict[str, Any]:
    """As hoststand's adapter sends it (hoststand/connectors/booking/opentable.py `pos_data_body`)."""
    body = {
        "rid": RID, "confirmation_id": res["confirmation_id"], "check_ids": ["c0ffee00-0000-4000-8000-000000000001"],
        "covers": res["party_size"], "pos_sub_total": 21450, "pos_tax": 1904, "pos_tip": 4290,
        "pos_total_spend": 23354, "comps": 1100, "currency_code": "USD", "currency_denominator": 100,
        "pos_order_items": [{"name": "Steak Frites", "quantity": 2, "comment": None, "ticket_item_modifiers": []},
                            {"name": "House Red (glass)", "quantity": 3, "comment": None, "ticket_item_modifiers": []}],
    }
    body.update(over)
    return body


def test_pos_data_write_is_idempotent_and_reads_back(evening: SandboxServer, evening_clock: ManualClock) -> None:
    res = _seated(evening)
    rid_key = str(uuid.uuid4())
    with ot_client(evening) as c:
        def post(body: dict[str, Any], request_id: str | None = None) -> httpx.Response:
            return c.post("/sync/v2/pos-data", json=body, headers={"X-Request-Id": request_id or str(uuid.uuid4())})

        evening_clock.advance(60)
        first = post(_body(res), rid_key)
        assert first.status_code == 200, first.text
        record = first.json()["pos_data"]
        assert first.json()["status"] == "OK"
        assert record["confirmation_id"] == res["confirmation_id"] and record["guest_id"] == res["guest_id"]
        assert record["covers"] == res["party_size"] and record["pos_total_spend"] == 23354 and record["comps"] == 1100
        # a retry with the same X-Request-Id: the stored answer, nothing applied twice
        evening_clock.advance(60)
        again = post(_body(res), rid_key)
        assert again.status_code == 200 and again.json() == first.json()
        assert post(_body(res, pos_tip=0), rid_key).status_code == 409  # the same id for another body
        books = evening.state()["idempotency"]["opentable"]["request_ids"][rid_key]
        assert books["times_applied"] == 1 and books["replays"] == 1 and books["conflicts"] == 1
        assert books["endpoint"] == "POST /sync/v2/pos-data" and books["confirmation_number"] == res["confirmation_id"]

        # the documented read
        page = c.get("/sync/v2/pos-data", params={"rid": RID, "scheduled_time_from": res["scheduled_time"]}).json()
        assert [i["id"] for i in page["items"]] == [record["id"]] and page["hasNextPage"] is False
        item = page["items"][0]
        assert {"id", "rid", "guest_id", "confirmation_id", "currency_code", "currency_denominator", "check_ids",
                "pos_sub_total", "pos_tax", "pos_tip", "pos_total_spend", "pos_order_items"} <= set(item)
        assert item["pos_order_items"][0] == {"name": "Steak Frites", "quantity": 2, "comment": None,
                                              "ticket_item_modifiers": []}
        later = c.get("/sync/v2/pos-data", params={"rid": RID, "scheduled_time_from": "2026-11-27T23:00"}).json()
        assert later["items"] == []
        assert c.get("/sync/v2/pos-data", params={"rid": 1}).status_code == 403
        assert c.get("/sync/v2/pos-data", params={"rid": RID, "scheduled_time_from": "soon"}).status_code == 400

        # the reservation records what the POS closed with, as a change the sync sees
        after = c.get(f"/sync/v2/reservations/{res['id']}").json()
        assert after["pos_data"]["pos_total_spend"] == 23354 and after["pos_data"]["covers"] == res["party_size"]
        assert after["sequence_id"] == res["sequence_id"] + 1 and after["updated_at_utc"] == "2026-11-28T00:31:00.000Z"

        # a second close (the check reopened and closed again) replaces the record
        evening_clock.advance(60)
        second = post(_body(res, pos_total_spend=25000, check_ids=["a", "b"],
                            confirmation_id=str(res["confirmation_id"])))
        assert second.status_code == 200
        assert second.json()["pos_data"]["id"] == record["id"] and second.json()["pos_data"]["sequence_id"] == 2
        items = c.get("/sync/v2/pos-data", params={"rid": RID, "limit": 1000}).json()["items"]
        assert [i["pos_total_spend"] for i in items if i["reservation_id"] == res["id"]] == [25000]
        # by the reservation's id instead of its confirmation number
        assert post(_body(res, confirmation_id=res["id"])).status_code == 200
    held = [p for p in evening.state()["opentable"]["pos_data"] if p["reservation_id"] == res["id"]]
    assert [p["pos_total_spend"] for p in held] == [23354]


def test_pos_data_refusals(evening: SandboxServer) -> None:
    res = _seated(evening)
    cancelled = next(r for r in evening.state()["opentable"]["reservations"] if r["state"] == "Cancelled")
    with ot_client(evening) as c:
        def post(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
            return c.post("/sync/v2/pos-data", json=body, headers={"X-Request-Id": str(uuid.uuid4())}
                          if headers is None else headers)

        assert post(_body(res), headers={}).status_code == 400  # X-Request-Id is required
        assert post(_body(res, pos_total_spend=233.54)).status_code == 400  # minor units, integers
        assert post(_body(res, pos_sub_total=None)).status_code == 400
        assert post(_body(res, pos_tip=-1)).status_code == 400
        assert post(_body(res, covers="four")).status_code == 400
        assert post(_body(res, check_ids="abc")).status_code == 400
        assert post(_body(res, currency_code="dollars")).status_code == 400
        assert post(_body(res, pos_order_items=[{"quantity": 1}])).status_code == 400
        assert post(_body(res, rid=1)).status_code == 403
        assert post(_body(res, confirmation_id=1)).status_code == 404
        del_conf = _body(res)
        del del_conf["confirmation_id"]
        assert post(del_conf).status_code == 400
        assert post({**del_conf, "reservation_id": res["id"]}).status_code == 200
        r = post(_body(cancelled))
        assert r.status_code == 409 and r.json()["error"] == "conflict"
        assert post([1, 2]).status_code == 400
        assert c.post("/sync/v2/pos-data", json=_body(res), headers={"Authorization": "bearer nope",
                                                                      "X-Request-Id": "x"}).status_code == 401


def test_online_changes_as_a_guest_makes_them(sandbox: SandboxServer, clock: ManualClock) -> None:
    res = next(r for r in sandbox.state()["opentable"]["reservations"] if r["state"] == "Pending" and r["table_number"])
    seq = res["sequence_id"]
    with admin(sandbox) as a:
        def modify(changes: dict[str, Any]) -> httpx.Response:
            clock.advance(60)
            return a.post("/_sandbox/opentable/reservations", json={"action": "modify", "id": res["id"],
                                                                    "changes": changes})

        steps = [{"scheduled_time": "2026-11-27T21:15"}, {"party_size": 5}, {"table_number": ["16"]},
                 {"table_number": ["12", "13"]}, {"guest_request": "window please", "venue_notes": None}]
        for n, changes in enumerate(steps, start=1):
            r = modify(changes)
            assert r.status_code == 200, r.text
            got = r.json()["reservation"]
            assert got["sequence_id"] == seq + n and got["updated_at_utc"] == f"2026-11-27T21:0{n}:00.000Z"
        assert got["scheduled_time"] == "2026-11-27T21:15:00" and got["party_size"] == 5
        assert got["table_number"] == ["12", "13"] and got["guest_request"] == "window please"
        # a refused change changes nothing, not even in part
        assert modify({"party_size": 6, "table_number": ["nope"]}).status_code == 400
        assert modify({"party_size": 6, "scheduled_time": "later"}).status_code == 400
        now = next(r for r in sandbox.state()["opentable"]["reservations"] if r["id"] == res["id"])
        assert now["party_size"] == 5 and now["sequence_id"] == seq + len(steps)
        with ot_client(sandbox) as c:  # the time filter follows the new time
            moved = c.get("/sync/v2/reservations", params={"rid": RID, "scheduled_time_from": "2026-11-27T21:15",
                                                           "scheduled_time_to": "2026-11-27T21:16"}).json()["items"]
            assert res["id"] in [i["id"] for i in moved]
        clock.advance(60)
        r = a.post("/_sandbox/opentable/reservations",
                   json={"action": "cancel", "confirmation_id": res["confirmation_id"]})
        assert r.status_code == 200 and r.json()["reservation"]["state"] == "Cancelled"
        assert r.json()["reservation"]["sequence_id"] == seq + len(steps) + 1
    assert local(16, 0) < clock.now()
