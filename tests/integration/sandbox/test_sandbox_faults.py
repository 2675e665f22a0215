"""Fault injection over real sockets: down/up, error rates, latency, rate limits, lost responses, late landings."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer

from .helpers import admin, assert_error, http, order_body, ot_client, toast_client, toast_refs

RID = 424242


def _fault(srv: SandboxServer, **body: object) -> httpx.Response:
    with admin(srv) as a:
        return a.post("/_sandbox/faults", json=body)


# ----------------------------------------------------------------------------------------------- down / up


def test_down_refuses_connections_and_up_reopens_the_same_port(sandbox: SandboxServer) -> None:
    url = sandbox.urls["toast"]
    with toast_client(sandbox) as c:  # a pooled keep-alive connection must not survive either
        assert c.get("/config/v2/tables").status_code == 200
        r = _fault(sandbox, api="toast", mode="down")
        assert r.status_code == 200
        with pytest.raises(httpx.ConnectError):
            http.get(f"{url}/config/v2/tables", timeout=2)
        with pytest.raises((httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)):
            c.get("/config/v2/tables")
        # the other vendor and the admin port stay up
        assert http.get(f"{sandbox.urls['opentable']}/_sandbox/info").status_code == 200
        faults = http.get(f"{sandbox.urls['admin']}/_sandbox/faults").json()
        assert [f["mode"] for f in faults["toast"]] == ["down"]
        assert _fault(sandbox, api="toast", mode="up").status_code == 200
        assert sandbox.urls["toast"] == url
        assert c.get("/config/v2/tables").status_code == 200  # same port, same client
    assert http.get(f"{sandbox.urls['admin']}/_sandbox/faults").json()["toast"] == []


def test_down_asked_on_the_vendor_port_itself(sandbox: SandboxServer) -> None:
    url = sandbox.urls["opentable"]
    r = http.post(f"{url}/_sandbox/faults", json={"mode": "down"})
    assert r.status_code == 200 and r.json()["api"] == "opentable"
    with pytest.raises(httpx.ConnectError):
        http.get(f"{url}/_sandbox/info", timeout=2)
    r = http.post(f"{sandbox.urls['admin']}/_sandbox/faults", json={"api": "opentable", "mode": "up"})
    assert r.status_code == 200
    assert http.get(f"{url}/_sandbox/info").status_code == 200


def test_down_through_the_python_api_and_clear_keeps_it_down(sandbox: SandboxServer) -> None:
    sandbox.set_fault("opentable", "down")
    with pytest.raises(httpx.ConnectError):
        http.get(f"{sandbox.urls['opentable']}/_sandbox/info", timeout=2)
    sandbox.clear_faults()
    with pytest.raises(httpx.ConnectError):
        http.get(f"{sandbox.urls['opentable']}/_sandbox/info", timeout=2)
    sandbox.set_fault("opentable", "up")
    assert http.get(f"{sandbox.urls['opentable']}/_sandbox/info").status_code == 200


def test_fault_requests_are_validated(sandbox: SandboxServer) -> None:
    assert _fault(sandbox, mode="down").status_code == 400  # api required on the admin port
    assert _fault(sandbox, api="square", mode="down").status_code == 400
    assert _fault(sandbox, api="toast", mode="explode").status_code == 400
    assert _fault(sandbox, api="opentable", mode="late_landing").status_code == 400
    assert _fault(sandbox, api="toast", mode="error", status=200).status_code == 400
    assert _fault(sandbox, api="toast", mode="error", rate=2).status_code == 400
    assert _fault(sandbox, api="toast", mode="slow", latency_ms=-1).status_code == 400
    assert _fault(sandbox, api="toast", mode="rate_limit", per_second=0).status_code == 400
    assert _fault(sandbox, api="toast", mode="slow", count=0).status_code == 400


# ----------------------------------------------------------------------------------------------- errors


def test_error_rate_is_deterministic_and_in_the_vendor_shape(sandbox: SandboxServer) -> None:
    def pattern() -> list[int]:
        out = []
        with ot_client(sandbox) as c:
            assert _fault(sandbox, api="opentable", mode="error", status=503, rate=0.3).status_code == 200
            for _ in range(40):
                out.append(c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1}).status_code)
            _fault(sandbox, api="opentable", mode="up")
        return out

    first = pattern()
    assert set(first) == {200, 503} and 4 <= first.count(503) <= 20
    with ot_client(sandbox) as c:
        _fault(sandbox, api="opentable", mode="error", status=500, rate=1.0)
        r = c.get("/sync/v2/reservations", params={"rid": RID})
        assert r.status_code == 500 and r.json()["error"] == "internal_error"
    with toast_client(sandbox) as t:
        _fault(sandbox, api="toast", mode="error", status=503, rate=1.0)
        body = assert_error(t.get("/config/v2/tables"), 503)
        assert body["message"]
    assert sandbox.state()["requests"]["opentable"]["faults_injected"]["error"] >= 5


def test_error_pattern_repeats_for_the_same_seed(clock: ManualClock) -> None:
    from hoststand.sandbox.server import SeedOptions

    patterns = []
    for _ in range(2):
        with SandboxServer(seed=SeedOptions(now=clock.now(), seed=11), clock=clock.now) as srv:
            with ot_client(srv) as c:
                srv.set_fault("opentable", "error", status=502, rate=0.5)
                patterns.append([c.get("/sync/v2/guests", params={"rid": RID}).status_code for _ in range(20)])
    assert patterns[0] == patterns[1] and 502 in patterns[0]


def test_count_limits_a_fault_and_path_filters_it(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        _fault(sandbox, api="opentable", mode="error", status=503, count=2, path="/sync/v2/guests")
        assert c.get("/sync/v2/reservations", params={"rid": RID}).status_code == 200
        codes = [c.get("/sync/v2/guests", params={"rid": RID}).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert sandbox.state()["faults"]["opentable"] == []


def test_slow_and_error_together(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        _fault(sandbox, api="opentable", mode="slow", latency_ms=300)
        began = time.perf_counter()
        assert c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1}).status_code == 200
        assert time.perf_counter() - began >= 0.3
        _fault(sandbox, api="opentable", mode="error", status=504, rate=1.0)
        began = time.perf_counter()
        assert c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1}).status_code == 504
        assert time.perf_counter() - began >= 0.3
        modes = {f["mode"] for f in http.get(f"{sandbox.urls['admin']}/_sandbox/faults").json()["opentable"]}
        assert modes == {"slow", "error"}
        with pytest.raises(httpx.ReadTimeout):
            c.get("/sync/v2/reservations", params={"rid": RID}, timeout=0.1)


# ----------------------------------------------------------------------------------------------- rate limits


def test_toast_rate_limit_fault_gives_429_with_headers(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:  # logging in is not counted against the restaurant
        _fault(sandbox, api="toast", mode="rate_limit", per_second=3)
        frac = time.time() % 1
        if frac > 0.6:  # keep the five requests inside one wall-clock second (one slice)
            time.sleep(1 - frac + 0.01)
        responses = [c.get("/config/v2/tables") for _ in range(5)]
    codes = [r.status_code for r in responses]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    assert [int(r.headers["X-Toast-RateLimit-Remaining"]) for r in responses[:3]] == [2, 1, 0]
    limited = next(r for r in responses if r.status_code == 429)
    assert_error(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1 and limited.headers["X-Toast-RateLimit-Remaining"] == "0"
    reset = int(limited.headers["X-Toast-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 2
    assert sandbox.state()["requests"]["toast"]["rate_limited"] >= 1


def test_toast_fifteen_minute_slice(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        _fault(sandbox, api="toast", mode="rate_limit", per_second=100, per_15min=3)
        codes = [c.get("/config/v2/diningOptions").status_code for _ in range(4)]
        limited = c.get("/config/v2/diningOptions")
    assert codes == [200, 200, 200, 429]
    assert 1 <= int(limited.headers["Retry-After"]) <= 900
    assert int(limited.headers["X-Toast-RateLimit-Reset"]) % 900 == 0  # fixed, aligned slices


def test_opentable_rate_limit_gives_429_and_retry_after(sandbox: SandboxServer) -> None:
    with ot_client(sandbox) as c:
        _fault(sandbox, api="opentable", mode="rate_limit", per_second=2)
        codes = []
        for _ in range(6):
            r = c.get("/sync/v2/reservations", params={"rid": RID, "limit": 1})
            codes.append(r.status_code)
            if r.status_code == 429:
                assert r.json()["error"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
    assert 429 in codes
    assert sandbox.state()["requests"]["opentable"]["by_status"]["429"] == codes.count(429)


# ----------------------------------------------------------------------------------------------- lost responses


def test_opentable_lose_response_applies_then_resets(sandbox: SandboxServer) -> None:
    request_id = str(uuid.uuid4())
    with ot_client(sandbox) as c:
        res = next(i for i in c.get("/sync/v2/reservations", params={"rid": RID, "state": "Pending"}).json()["items"]
                   if i["table_number"])
        body = {"ConfirmationNumber": res["confirmation_id"], "ReservationState": "Seated", "RID": str(RID),
                "PartySize": res["party_size"], "DateTime": res["scheduled_time"][:16].replace("T", " ")}
        _fault(sandbox, api="opentable", mode="lose_response", count=1)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.post("/resoupdate/resoupdate", json=body, headers={"X-Request-Id": request_id})
        assert c.get(f"/sync/v2/reservations/{res['id']}").json()["state"] == "Seated"  # it was applied
        retry = c.post("/resoupdate/resoupdate", json=body, headers={"X-Request-Id": request_id})
        assert retry.status_code == 200 and retry.json() == {"status": "OK"}
    record = sandbox.state()["idempotency"]["opentable"]["request_ids"][request_id]
    assert record["times_applied"] == 1 and record["times_seen"] == 2
    assert sandbox.state()["requests"]["opentable"]["dropped_connections"] == 1


def test_toast_lose_response_creates_the_order(sandbox: SandboxServer) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        _fault(sandbox, api="toast", mode="lose_response", method="POST", path="/orders/v2/orders")
        assert c.get("/config/v2/tables").status_code == 200  # GETs are not affected by the filter
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-lost"))
        _fault(sandbox, api="toast", mode="up")
        found = c.get("/orders/v2/orders/HOSTAPP-lost")
        assert found.status_code == 200  # read back before retrying: it landed
        retry = c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-lost"))
        assert_error(retry, 409)
    orders = [o for o in sandbox.state()["toast"]["orders"] if o["externalId"] == "HOSTAPP-lost"]
    assert len(orders) == 1


# ----------------------------------------------------------------------------------------------- late landing


def test_late_landing_holds_the_answer_and_lands_later(sandbox: SandboxServer, clock: ManualClock) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        _fault(sandbox, api="toast", mode="late_landing", delay_s=20)
        with pytest.raises(httpx.ReadTimeout):
            c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-late"), timeout=0.3)
        assert c.get("/orders/v2/orders/HOSTAPP-late").status_code == 404  # not yet
        pending = sandbox.state()["toast"]["late_landings"]
        assert [(p["externalId"], p["status"]) for p in pending] == [("HOSTAPP-late", "pending")]
        clock.advance(19)
        assert c.get("/orders/v2/orders/HOSTAPP-late").status_code == 404
        clock.advance(1)
        landed = c.get("/orders/v2/orders/HOSTAPP-late")
        assert landed.status_code == 200
        assert landed.json()["openedDate"] == "2026-11-27T21:00:20.000+0000"  # when it reached the POS
    assert sandbox.state()["toast"]["late_landings"][0]["status"] == "landed"


def test_late_landing_answer_is_dropped_when_it_lands(sandbox: SandboxServer, clock: ManualClock) -> None:
    """A client that waits long enough sees the connection dropped, not an answer."""
    import threading

    refs = toast_refs(sandbox)
    sandbox.set_fault("toast", "late_landing", delay_s=30)
    timer = threading.Timer(0.3, clock.advance, args=(30,))
    timer.start()
    try:
        with toast_client(sandbox) as c, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-late2"), timeout=5)
    finally:
        timer.cancel()
    with toast_client(sandbox) as c:
        assert c.get("/orders/v2/orders/HOSTAPP-late2").status_code == 200


def test_a_retry_that_lands_first_wins_and_the_late_one_is_refused(sandbox: SandboxServer,
                                                                   clock: ManualClock) -> None:
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        sandbox.set_fault("toast", "late_landing", delay_s=25, count=1)
        with pytest.raises(httpx.ReadTimeout):
            c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-race"), timeout=0.3)
        assert c.get("/orders/v2/orders/HOSTAPP-race").status_code == 404
        retry = c.post("/orders/v2/orders", json=order_body(refs, external_id="HOSTAPP-race"))
        assert retry.status_code == 200
        clock.advance(30)
        assert c.get("/orders/v2/orders/HOSTAPP-race").json()["guid"] == retry.json()["guid"]
    state = sandbox.state()
    assert state["toast"]["late_landings"][0]["status"] == "refused"
    assert len([o for o in state["toast"]["orders"] if o["externalId"] == "HOSTAPP-race"]) == 1
