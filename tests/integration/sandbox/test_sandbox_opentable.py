"""The OpenTable simulator over loopback HTTP: OAuth, Sync v2 reads and paging, resoupdate, idempotency."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer, SeedOptions

from .helpers import http, local, ot_client, ot_token

RID = 424242
RES_FIELDS = {"id", "href", "rid", "sequence_id", "guest_id", "confirmation_id", "state", "table_number",
              "created_date", "scheduled_time", "scheduled_time_utc", "party_size", "visit_tags", "origin",
              "updated_at", "updated_at_utc", "seated_time", "seated_time_utc", "done_time", "done_time_utc",
              "arrived_time", "arrived_time_utc", "guest_request", "venue_notes", "opentable_notes", "server",
              "currency_code", "currency_denominator"}
GUEST_FIELDS = {"id", "href", "rid", "sequence_id", "gpid", "first_name", "last_name", "email", "phone", "phone_type",
                "tags", "birth_date", "anniversary_date", "notes", "notes_special_relationship",
                "notes_food_and_drink", "notes_seating", "date_first_visit", "date_last_visit", "updated_at",
                "updated_at_utc"}


# ----------------------------------------------------------------------------------------------- auth


def test_token_flow(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials["opentable"]
    url = f"{sandbox.urls['opentable']}/api/v2/oauth/token"
    r = http.post(url, params={"grant_type": "client_credentials"}, auth=(creds["client_id"], creds["client_secret"]))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 2419181 and body["scope"] == "DEFAULT"
    uuid.UUID(body["access_token"])

    bad = http.post(url, params={"grant_type": "client_credentials"}, auth=(creds["client_id"], "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    no_basic = http.post(url, params={"grant_type": "client_credentials"})
    assert no_basic.status_code == 401 and no_basic.json()["error"] == "invalid_client"
    grant = http.post(url, params={"grant_type": "password"}, auth=(creds["client_id"], creds["client_secret"]))
    assert grant.status_code == 400
    assert sandbox.state()["requests"]["opentable"]["token_requests"] == 4


def test_bearer_errors(sandbox: SandboxServer) -> None:
    url = f"{sandbox.urls['opentable']}/sync/v2/reservations"
    missing = http.get(url, params={"rid": RID})
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request", "message": "oauth token is required"}
    bad = http.get(url, params={"rid": RID}, headers={"Authorization": "bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    token = ot_token(sandbox)
    for scheme in ("bearer", "Bearer", "BEARER"):
        assert http.get(url, params={"rid": RID}, headers={"Authorization": f"{scheme} {token}"}).status_code == 200


def test_token_expires_on_the_sandbox_clock(sandbox: SandboxServer, clock: ManualClock) -> None:
    with ot_client(sandbox) as c:
        assert c.get("/sync/v2/reservations", params={"rid": RID}).status_code == 200
        clock.advance(2419181 + 1)
        r = c.get("/sync/v2/reservations", params={"rid": RID})
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_rid_routing(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        r = c.get("/sync/v2/reservations", params={"rid": 888})
        assert r.status_code == 403
        assert r.json() == {"error": "no_rid_routing", "message": "No routing for RID:888"}
        assert c.get("/sync/v2/reservations").status_code == 400
        assert c.get("/sync/v2/guests", params={"rid": 888}).status_code == 403


# ----------------------------------------------------------------------------------------------- reads


def test_reservation_envelope_and_fields(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        r = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"items", "hasNextPage", "offset", "limit", "total_count"}
    assert body["limit"] == 5 and body["offset"] == 0 and body["hasNextPage"] is True
    assert 58 <= body["total_count"] <= 64
    res = body["items"][0]
    assert RES_FIELDS <= set(res)
    assert "guest" not in res  # guests are a separate list
    assert isinstance(res["table_number"], list)
    assert res["scheduled_time_utc"].endswith("Z") and "+" not in res["scheduled_time"]
    assert res["href"].startswith(sandbox.urls["opentable"]) and res["rid"] == RID


def test_paging_offset_limit_is_complete_and_stable(sandbox: SandboxServer) -> None:
    seen: list[str] = []
    with ot_client(sandbox) as c:
        offset = 0
        while True:
            page = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 7, "offset": offset}).json()
            seen += [i["id"] for i in page["items"]]
            if not page["hasNextPage"]:
                break
            offset += len(page["items"])
        everything = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1000}).json()
    assert len(seen) == len(set(seen)) == everything["total_count"]
    assert seen == [i["id"] for i in everything["items"]]
    keys = [(i["updated_at_utc"], i["id"]) for i in everything["items"]]
    assert keys == sorted(keys)


def test_limit_is_capped_at_1000_and_large_worlds_page_fast() -> None:
    with SandboxServer(seed=SeedOptions(now=local(19), extra_reservations=1000, extra_tables=150)) as srv:
        with ot_client(srv) as c:
            first = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 5000}).json()
            assert first["limit"] == 1000 and len(first["items"]) == 1000 and first["hasNextPage"] is True
            ids = []
            offset = 0
            while True:
                page = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 100, "offset": offset}).json()
                ids += [i["id"] for i in page["items"]]
                offset += 100
                if not page["hasNextPage"]:
                    break
            assert len(ids) == len(set(ids)) == first["total_count"] >= 1058


def test_bad_query_parameters(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        for params in ({"limit": "x"}, {"offset": -1}, {"updated_after": "yesterday"}, {"state": "Eaten"},
                       {"scheduled_time_from": "19:00"}):
            r = c.get("/sync/v2/reservations", params={"rid": RID, **params})
            assert r.status_code == 400, params
            assert r.json()["error"] == "invalid_request"


def test_updated_after_is_strict_and_accepts_offsets(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        items = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1000}).json()["items"]
        pivot = items[len(items) // 2]["updated_at_utc"]
        after = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1000, "updated_after": pivot}).json()
        expected = [i["id"] for i in items if i["updated_at_utc"] > pivot]
        assert [i["id"] for i in after["items"]] == expected
        # the same instant written with an offset instead of Z
        from datetime import datetime, timezone
        from zoneinfo import ZoneInfo
        as_local = datetime.fromisoformat(pivot.replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
        again = c.get("/sync/v2/reservations",
                      params={"rid": RID, "limit": 1000, "updated_after": as_local.isoformat()}).json()
        assert [i["id"] for i in again["items"]] == expected
        assert datetime.fromisoformat(pivot.replace("Z", "+00:00")).tzinfo == timezone.utc


def test_filters_state_and_scheduled_window(evening: SandboxServer) -> None:
    with ot_client(evening) as c:
        seated = c.get("/sync/v2/reservations", params={"rid": RID, "state": "Seated", "limit": 1000}).json()
        assert seated["items"] and all(i["state"] == "Seated" for i in seated["items"])
        both = c.get("/sync/v2/reservations", params={"rid": RID, "state": "Seated,Done", "limit": 1000}).json()
        assert both["total_count"] > seated["total_count"]
        window = c.get("/sync/v2/reservations", params={
            "rid": RID, "limit": 1000, "scheduled_time_from": "2026-11-27T20:00:00",
            "scheduled_time_to": "2026-11-27T21:00:00-05:00"}).json()
        assert window["items"]
        assert all("2026-11-27T20:00:00" <= i["scheduled_time"] < "2026-11-27T21:00:00" for i in window["items"])


def test_guests_list_and_single_records(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        guests = c.get("/sync/v2/guests", params={"rid": RID, "limit": 1000}).json()
        assert guests["total_count"] == len(guests["items"]) > 60
        g = guests["items"][0]
        assert GUEST_FIELDS <= set(g) and isinstance(g["tags"], list)
        res = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1}).json()["items"][0]
        one = c.get(f"/sync/v2/reservations/{res['id']}")
        assert one.status_code == 200 and one.json() == res
        guest = c.get(f"/sync/v2/guests/{res['guest_id']}")
        assert guest.status_code == 200 and guest.json()["id"] == res["guest_id"]
        assert c.get("/sync/v2/guests/nope").status_code == 404
        page = c.get("/sync/v2/guests", params={"rid": RID, "limit": 10, "offset": 10}).json()
        assert [x["id"] for x in page["items"]] == [x["id"] for x in guests["items"][10:20]]


def test_unknown_path_and_method_use_the_vendor_error_shape(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        r = c.get("/sync/v2/nothing")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        r = c.delete("/sync/v2/reservations")
        assert r.status_code == 405 and "error" in r.json()


# ----------------------------------------------------------------------------------------------- writes


def _pending(c: httpx.Client) -> dict:
    items = c.get("/sync/v2/reservations", params={"rid": RID, "state": "Pending", "limit": 1000}).json()["items"]
    return next(i for i in items if i["table_number"])


def _update(res: dict, state: str, **extra: object) -> dict:
    body = {"ConfirmationNumber": res["confirmation_id"], "DateTime": res["scheduled_time"][:16].replace("T", " "),
            "PartySize": res["party_size"], "ReservationState": state, "RID": str(RID),
            "SequenceNumber": res["sequence_id"], "ServerName": "Maria", "UpdateDT_UTC": "2026-11-27T20:55:00Z"}
    body.update(extra)
    return body


def test_resoupdate_seats_a_party(sandbox: SandboxServer, clock: ManualClock) -> None:
    with ot_client(sandbox) as c:
        res = _pending(c)
        clock.advance(60)
        r = c.post("/resoupdate/resoupdate", json=_update(res, "Seated", TableNumbers=["12", "13"], PartySize=5,
                                                          UpdateDT_UTC="2026-11-27T21:00:30Z"),
                   headers={"X-Request-Id": str(uuid.uuid4())})
        assert r.status_code == 200 and r.json() == {"status": "OK"}
        after = c.get(f"/sync/v2/reservations/{res['id']}").json()
    assert after["state"] == "Seated"
    assert after["table_number"] == ["12", "13"] and after["party_size"] == 5 and after["server"] == "Maria"
    assert after["seated_time_utc"] == "2026-11-27T21:00:30.000Z"  # when it happened, from UpdateDT_UTC
    assert after["sequence_id"] == res["sequence_id"] + 1
    assert after["updated_at_utc"] == "2026-11-27T21:01:00.000Z"  # when OpenTable recorded it
    with ot_client(sandbox) as c:
        delta = c.get("/sync/v2/reservations", params={"rid": RID, "updated_after": res["updated_at_utc"],
                                                       "limit": 1000}).json()
    assert res["id"] in [i["id"] for i in delta["items"]]


def test_resoupdate_lifecycle_and_refusals(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        res = _pending(c)

        def send(body: dict) -> httpx.Response:
            return c.post("/resoupdate/resoupdate", json=body, headers={"X-Request-Id": str(uuid.uuid4())})

        assert send(_update(res, "Done")).status_code == 400  # must be seated first
        assert send(_update(res, "Seated")).status_code == 200
        assert send(_update(res, "Pending")).status_code == 200  # undo seating
        assert c.get(f"/sync/v2/reservations/{res['id']}").json()["seated_time"] is None
        assert send(_update(res, "Seated")).status_code == 200
        assert send(_update(res, "Done")).status_code == 200
        done = c.get(f"/sync/v2/reservations/{res['id']}").json()
        assert done["state"] == "Done" and done["done_time_utc"] is not None

        cancelled = next(i for i in c.get("/sync/v2/reservations", params={"rid": RID, "state": "Cancelled"}).json()["items"])
        r = send(_update(cancelled, "Seated"))
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"
        assert "Cancelled" in r.json()["message"]

        assert send(_update(res, "Seated", ConfirmationNumber=1)).status_code == 404
        assert send(_update(res, "Seated", TableNumbers=["Bar 1"])).status_code == 400  # POS-only table
        assert send(_update(res, "Seated", ReservationState="SEATED")).status_code == 400
        assert send(_update(res, "Seated", PartySize=0)).status_code == 400
        assert send(_update(res, "Seated", DateTime="tonight")).status_code == 400
        r = send(_update(res, "Seated", RID="888"))
        assert r.status_code == 403 and r.json()["error"] == "no_rid_routing"
        bad_json = c.post("/resoupdate/resoupdate", content=b"{nope", headers={"X-Request-Id": "x1",
                                                                               "Content-Type": "application/json"})
        assert bad_json.status_code == 400


def test_writes_require_x_request_id(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        res = _pending(c)
        r = c.post("/resoupdate/resoupdate", json=_update(res, "Seated"))
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert "X-Request-Id" in r.json()["message"]
    assert sandbox.state()["opentable"]["reservations"]  # nothing applied
    with ot_client(sandbox) as c:
        assert c.get(f"/sync/v2/reservations/{res['id']}").json()["state"] == "Pending"


def test_x_request_id_replay_is_applied_once(sandbox: SandboxServer, clock: ManualClock) -> None:
    rid = str(uuid.uuid4())
    with ot_client(sandbox) as c:
        res = _pending(c)
        body = _update(res, "Seated")
        first = c.post("/resoupdate/resoupdate", json=body, headers={"X-Request-Id": rid})
        clock.advance(5)
        again = c.post("/resoupdate/resoupdate", json=body, headers={"X-Request-Id": rid})
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
        after = c.get(f"/sync/v2/reservations/{res['id']}").json()
        assert after["sequence_id"] == res["sequence_id"] + 1  # applied exactly once

        reused = c.post("/resoupdate/resoupdate", json=_update(res, "Done"), headers={"X-Request-Id": rid})
        assert reused.status_code == 409 and reused.json()["error"] == "request_id_reused"
        assert c.get(f"/sync/v2/reservations/{res['id']}").json()["state"] == "Seated"

        # a refused write is remembered too: the replay gives the same refusal
        bad_id = str(uuid.uuid4())
        no = c.post("/resoupdate/resoupdate", json=_update(res, "NoShow"), headers={"X-Request-Id": bad_id})
        no_again = c.post("/resoupdate/resoupdate", json=_update(res, "NoShow"), headers={"X-Request-Id": bad_id})
        assert no.status_code == no_again.status_code == 400 and no.json() == no_again.json()

    record = sandbox.state()["idempotency"]["opentable"]["request_ids"][rid]
    assert record["times_seen"] == 3 and record["times_applied"] == 1 and record["replays"] == 1
    assert record["conflicts"] == 1 and record["endpoint"] == "POST /resoupdate/resoupdate"
    assert sandbox.state()["idempotency"]["opentable"]["request_ids"][bad_id]["times_applied"] == 0


def test_token_endpoint_needs_no_request_id(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials["opentable"]
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
    r = http.post(f"{sandbox.urls['opentable']}/api/v2/oauth/token?grant_type=client_credentials",
                   headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200


@pytest.mark.parametrize("endpoint", ["GET /sync/v2/reservations", "POST /api/v2/oauth/token"])
def test_requests_are_counted_per_endpoint(sandbox: SandboxServer, endpoint: str) -> None:
    with ot_client(sandbox) as c:
        c.get("/sync/v2/reservations", params={"rid": RID})
        c.get("/sync/v2/reservations", params={"rid": RID})
    counts = sandbox.state()["requests"]["opentable"]
    assert counts["by_endpoint"][endpoint] >= 1
    assert counts["by_endpoint"]["GET /sync/v2/reservations"] == 2
    assert counts["by_status"]["200"] == 3
