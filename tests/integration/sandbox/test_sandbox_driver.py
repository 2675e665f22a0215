"""The service driver over loopback HTTP: courses at realistic times, ordersBulk windows, the live clock factor,
walk-ins at free tables only, placeholders left alone until their party sits, lingering tables, determinism."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.common import parse_iso
from hoststand.sandbox.server import SandboxServer, SeedOptions
from tests.contract.toast_schema import validate_order_response

from .helpers import TZ, admin, http, local, order_body, ot_client, toast_client, toast_refs

REPO = Path(__file__).resolve().parents[3]
RID = 424242
COURSES = ("drinks", "starters", "mains", "desserts")


def at(text: str) -> datetime:
    return parse_iso(text)


def toast_stamp(dt: datetime) -> str:
    return dt.astimezone(TZ).isoformat(timespec="milliseconds")


def courses_of(order: dict[str, Any], refs: dict[str, Any]) -> dict[str, float]:
    """Quantity rung in per menu group (Drinks, Starters, Mains, Desserts, Alerts, ...)."""
    out: dict[str, float] = {}
    for c in order["checks"]:
        for s in c["selections"]:
            if s.get("itemGroup") and not s.get("voided"):
                group = refs["group_names"][s["itemGroup"]["guid"]]
                out[group] = out.get(group, 0) + s["quantity"]
    return out


def refs_with_groups(srv: SandboxServer) -> dict[str, Any]:
    refs = toast_refs(srv)
    st = srv.state()["toast"]
    refs["group_names"] = {g["guid"]: g["name"] for m in st["menu"]["menus"] for g in m["menuGroups"]}
    return refs


def events_of(srv: SandboxServer, guid: str) -> list[dict[str, Any]]:
    return [e for e in srv.driver_state()["events"] if e["order_guid"] == guid]


def post_order(c: httpx.Client, refs: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POST a dine-in order as hoststand's adapter would (one Toast client per test: Toast throttles logins)."""
    kwargs.setdefault("allergy", None)
    r = c.post("/orders/v2/orders", json=order_body(refs, **kwargs))
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------------------- one table


def test_a_table_of_four_is_served_course_by_course(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = refs_with_groups(sandbox)
    seen: list[tuple[str, dict[str, float], str, dict[str, Any]]] = []  # (stage, courses, payment status, order)
    with toast_client(sandbox) as c, admin(sandbox) as a:
        order = post_order(c, refs, table="12", external_id="hoststand:res-42", guests=4, tab_name="Ng party of 4",
                           allergy="NUT ALLERGY")
        guid = order["guid"]
        last = at(order["modifiedDate"])
        for _ in range(10):
            serving = {t["order_guid"]: t for t in a.get("/_sandbox/driver").json()["serving"]}
            if guid not in serving:
                r = a.post("/_sandbox/driver/step", json={"until": (last + timedelta(minutes=1)).isoformat()}).json()
                serving = {t["order_guid"]: t for t in r["driver"]["serving"]}
                if guid not in serving:
                    break  # closed: nothing left to do
            nxt = at(serving[guid]["next_at"])
            quiet = c.get("/orders/v2/ordersBulk", params={"startDate": toast_stamp(last + timedelta(milliseconds=1)),
                                                           "endDate": toast_stamp(nxt)})
            r = a.post("/_sandbox/driver/step", json={"until": nxt.isoformat()})
            assert r.status_code == 200, r.text
            clock.set(nxt)
            # nothing changed before the step's moment; the window that holds it shows the order
            assert guid not in {o["guid"] for o in quiet.json()}
            bulk = c.get("/orders/v2/ordersBulk", params={"startDate": toast_stamp(nxt),
                                                          "endDate": toast_stamp(nxt + timedelta(milliseconds=1))})
            mine = [o for o in bulk.json() if o["guid"] == guid]
            assert len(mine) == 1 and at(mine[0]["modifiedDate"]) == nxt
            step = [e for e in r.json()["events"] if e["order_guid"] == guid]
            assert len(step) == 1
            seen.append((step[0]["stage"], courses_of(mine[0], refs), mine[0]["checks"][0]["paymentStatus"], mine[0]))
            last = nxt
    stages = [st for st, _, _, _ in seen]
    assert stages == ["drinks", "starters", "mains", "desserts", "check", "paid", "closed"]
    minutes = {e["stage"]: (at(e["at"]) - local(19, 0)).total_seconds() / 60 for e in events_of(sandbox, guid)}
    assert 2 <= minutes["drinks"] <= 7
    assert minutes["drinks"] < minutes["starters"] <= 25
    assert 15 <= minutes["mains"] - minutes["starters"] <= 30 and minutes["mains"] <= 60
    assert 50 <= minutes["desserts"] <= 100
    assert minutes["desserts"] < minutes["check"] < minutes["paid"] < minutes["closed"] <= 130
    # what the POS showed at each step: courses accumulate, then PAID, then CLOSED
    groups = [set(cs) - {"Alerts"} for _, cs, _, _ in seen]
    assert groups[:4] == [{"Drinks"}, {"Drinks", "Starters"}, {"Drinks", "Starters", "Mains"},
                          {"Drinks", "Starters", "Mains", "Desserts"}]
    assert [ps for _, _, ps, _ in seen] == ["OPEN"] * 5 + ["PAID", "CLOSED"]
    paid = seen[5][3]["checks"][0]
    assert paid["paidDate"] and paid["closedDate"] is None and all(p["tipAmount"] == 0 for p in paid["payments"])
    final = seen[6][3]
    validate_order_response(final)
    chk = final["checks"][0]
    assert chk["paymentStatus"] == "CLOSED" and chk["closedDate"] == final["closedDate"] == final["modifiedDate"]
    assert final["paidDate"] == chk["paidDate"] < chk["closedDate"]
    assert final["duration"] == round(minutes["closed"] * 60)
    assert sum(p["amount"] for p in chk["payments"]) == pytest.approx(chk["totalAmount"])
    assert all(p["paymentStatus"] == "CAPTURED" for p in chk["payments"])
    tip = sum(p["tipAmount"] for p in chk["payments"])
    assert 0.14 * chk["amount"] <= tip <= 0.26 * chk["amount"]
    assert 4 * 35 <= chk["totalAmount"] <= 4 * 110  # a realistic check for four at a bistro
    courses = courses_of(final, refs)
    assert courses["Mains"] == 4 and courses["Drinks"] >= 4 and courses["Alerts"] == 1  # the allergy alert stays
    assert final["numberOfGuests"] == 4 and final["externalId"] == "hoststand:res-42"


def test_bigger_parties_take_longer_and_ring_in_more(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = refs_with_groups(sandbox)
    with toast_client(sandbox) as c:
        twos = [post_order(c, refs, table=t, guests=2, server=None) for t in ("1", "2", "3", "4", "20")]
        bigs = [post_order(c, refs, table=t, guests=g, server=None) for t, g in (("16", 6), ("17", 8), ("23", 6))]
    sandbox.driver_step(until=local(23, 30))
    orders = {o["guid"]: o for o in sandbox.state()["toast"]["orders"]}

    def minutes(o: dict[str, Any]) -> float:
        done = orders[o["guid"]]
        assert done["checks"][0]["paymentStatus"] == "CLOSED"
        return done["duration"] / 60

    small = sum(minutes(o) for o in twos) / len(twos)
    big = sum(minutes(o) for o in bigs) / len(bigs)
    assert 60 <= small <= 110 and big > small + 10
    for o in bigs:
        done = orders[o["guid"]]
        assert courses_of(done, refs)["Mains"] >= o["numberOfGuests"] - 1
        assert done["checks"][0]["amount"] / o["numberOfGuests"] >= 35


def test_comps_are_item_discounts_and_the_check_adds_up(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = refs_with_groups(sandbox)
    with toast_client(sandbox) as c:
        orders = [post_order(c, refs, table=t, guests=2, tab_name="Lee party of 2 - Birthday", server=None)
                  for t in ("1", "2", "3", "4", "10", "11", "12", "13", "14", "15", "20", "21", "22")]
    out = sandbox.driver_step(until=local(23, 0))
    comps = [e for e in out["events"] if e["stage"] == "check" and e["detail"].startswith("comp:")]
    assert comps and all("Birthday" in e["detail"] for e in comps)
    final = {o["guid"]: o for o in sandbox.state()["toast"]["orders"]}
    for e in comps:
        chk = final[e["order_guid"]]["checks"][0]
        comped = [s for s in chk["selections"] if s["appliedDiscounts"]]
        assert len(comped) == 1 and refs["group_names"][comped[0]["itemGroup"]["guid"]] == "Desserts"
        d = comped[0]["appliedDiscounts"][0]
        assert d["discountAmount"] == comped[0]["preDiscountPrice"] - comped[0]["price"] > 0
        assert d["appliedDiscountReason"]["name"] == "Birthday" and d["approver"]["entityType"] == "RestaurantUser"
        assert chk["amount"] == pytest.approx(sum(s["price"] for s in chk["selections"]))
        assert chk["totalAmount"] == pytest.approx(chk["amount"] + chk["taxAmount"])
        validate_order_response(final[e["order_guid"]])
    assert len(comps) < len(orders)  # occasionally, not always


def test_voided_and_take_out_orders_are_never_touched(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = refs_with_groups(sandbox)
    with toast_client(sandbox) as c:
        voided = post_order(c, refs, table="14")
        assert c.post(f"/orders/v2/orders/{voided['guid']}/void").status_code == 200
        body = order_body(refs, allergy=None)
        body.pop("table")
        body["diningOption"] = {"guid": refs["take_out"]}
        take_out = c.post("/orders/v2/orders", json=body).json()
    before = {o["guid"]: o for o in sandbox.state()["toast"]["orders"]}
    sandbox.driver_step(until=local(22, 0))
    after = {o["guid"]: o for o in sandbox.state()["toast"]["orders"]}
    assert after[voided["guid"]] == before[voided["guid"]]
    assert after[take_out["guid"]] == before[take_out["guid"]]


def test_it_drops_an_order_voided_or_closed_mid_meal(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = refs_with_groups(sandbox)
    with toast_client(sandbox) as c:
        one = post_order(c, refs, table="12")
        two = post_order(c, refs, table="13")
        sandbox.driver_step(until=local(19, 20))
        clock.set(local(19, 20))
        assert c.post(f"/orders/v2/orders/{one['guid']}/void").status_code == 200
    assert http.post(f"{sandbox.urls['admin']}/_sandbox/toast/orders/{two['guid']}/close").status_code == 200
    before = {o["guid"]: o["modifiedDate"] for o in sandbox.state()["toast"]["orders"]}
    out = sandbox.driver_step(until=local(22, 0))
    dropped = {e["order_guid"]: e["detail"] for e in out["events"] if e["stage"] == "dropped"}
    assert set(dropped) == {one["guid"], two["guid"]}
    after = {o["guid"]: o["modifiedDate"] for o in sandbox.state()["toast"]["orders"]}
    assert after[one["guid"]] == before[one["guid"]] and after[two["guid"]] == before[two["guid"]]


# --------------------------------------------------------------------------------------- live


def test_live_driver_follows_the_clock_factor() -> None:
    # the sandbox's own clock: 16:00 seed, time starts at 19:00 and runs 1200× (20 simulated minutes a second)
    with SandboxServer(seed=SeedOptions(now=local(16, 0), seed=7), start=local(19, 0), speed=1200, drive=True) as srv:
        refs = toast_refs(srv)
        with toast_client(srv) as c:
            order = post_order(c, refs, table="13", external_id="hoststand:live")
        wall0, opened = time.time(), at(order["openedDate"])
        deadline = time.time() + 5
        while time.time() < deadline and len(events_of(srv, order["guid"])) < 2:
            time.sleep(0.02)
        wall = time.time() - wall0
        state = srv.driver_state()
        evs = [e for e in state["events"] if e["order_guid"] == order["guid"]]
        # (the plan depends on the opening time, which the wall clock decides here: starters may be skipped)
        assert evs[0]["stage"] == "drinks" and evs[1]["stage"] in ("starters", "mains")
        # live steps land within a tick (0.2 s wall = 4 simulated minutes here) of their planned time
        assert timedelta(minutes=2) <= at(evs[0]["at"]) - opened <= timedelta(minutes=15)
        # the driver's time runs at the clock's factor: 1200 simulated seconds per wall second
        ran = (at(state["time"]) - opened).total_seconds()
        assert 1200 * (wall - 0.6) <= ran <= 1200 * (wall + 0.1)
        with admin(srv) as a:
            assert a.post("/_sandbox/clock", json={"factor": 0}).status_code == 200  # paused
            frozen = srv.now()
            time.sleep(0.25)  # let a tick that was under way finish
            count = len(srv.driver_state()["events"])
            time.sleep(0.25)
            state = a.get("/_sandbox/driver").json()
        assert state["running"] is True and at(state["time"]) <= frozen and len(state["events"]) == count
        # every change is stamped with the clock's time when it happened, never in the future
        for o in srv.state()["toast"]["orders"]:
            assert at(o["modifiedDate"]) <= frozen
        with admin(srv) as a:
            assert a.post("/_sandbox/driver", json={"running": False}).json()["running"] is False


def test_cli_drive_flags(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hoststand.sandbox", "--start", "2026-11-27T19:00:00-05:00", "--speed", "1",
         "--drive", "--walk-ins-per-hour", "5", "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(REPO))
    try:
        deadline = time.time() + 20
        while not ready.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), proc.stderr.read() if proc.poll() is not None else "no ready file"
        urls = json.loads(ready.read_text())["urls"]
        driver = http.get(f"{urls['admin']}/_sandbox/driver").json()
        assert driver["running"] is True and driver["walk_ins_per_hour"] == 5
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


# --------------------------------------------------------------------------------------- walk-ins


def test_walk_ins_appear_at_free_tables_only(sandbox: SandboxServer) -> None:
    with admin(sandbox) as a:
        r = a.post("/_sandbox/driver", json={"walk_ins_per_hour": 10})
        assert r.status_code == 200 and r.json()["walk_ins_per_hour"] == 10
        out = a.post("/_sandbox/driver/step", json={"until": local(23, 59).isoformat()}).json()
    state = sandbox.state()
    tables = {t["guid"]: t["name"] for t in state["toast"]["tables"]}
    seats = state["toast"]["table_seats"]
    bookable = {t["name"] for t in state["opentable"]["tables"]}
    orders = state["toast"]["orders"]
    walk_ins = [o for o in orders if o["guid"] in {e["order_guid"] for e in out["events"] if e["kind"] == "walk_in"}]
    assert len(walk_ins) >= 3 and out["driver"]["counts"]["walk_ins"] == len(walk_ins)
    assert out["driver"]["counts"]["turned_away"] >= 1  # a busy night: not everyone gets in
    for o in walk_ins:
        validate_order_response(o)
        name = tables[o["table"]["guid"]]
        opened, closed = at(o["openedDate"]), at(o["closedDate"])
        assert o["externalId"] is None and o["source"] == "In Store" and o["server"] is not None
        assert name in bookable and 1 <= o["numberOfGuests"] <= seats[name]
        assert local(17, 0) <= opened < local(22, 0)
        assert o["checks"][0]["paymentStatus"] == "CLOSED"
        # nobody else on that table meanwhile, and no booking there that could turn up
        for other in orders:
            if other["guid"] != o["guid"] and other["table"] and other["table"]["guid"] == o["table"]["guid"]:
                o_open, o_close = at(other["openedDate"]), at(other["closedDate"] or "2100-01-01T00:00Z")
                assert o_close <= opened or o_open >= closed, (name, other["guid"])
        for res in state["opentable"]["reservations"]:
            if name in res["table_number"] and res["state"] == "Pending":
                start = at(res["scheduled_time_utc"])
                assert not opened - timedelta(minutes=45) <= start <= opened + timedelta(minutes=90), res["id"]


def test_a_walk_in_on_demand(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(18, 0))
    with admin(sandbox) as a:  # early evening: table 3 is booked at 19:00
        r = a.post("/_sandbox/driver/walk-in", json={"table": "3"})
        assert r.status_code == 409 and r.json()["error"] == "table 3 is booked at 19:00"
    clock.set(local(23, 15))  # late: no booking left that could turn up
    refs = toast_refs(sandbox)
    with admin(sandbox) as a, toast_client(sandbox) as c:
        busy = post_order(c, refs, table="21", server=None)
        r = a.post("/_sandbox/driver/walk-in", json={"table": "21", "party_size": 2})
        assert r.status_code == 409 and "open ticket" in r.json()["error"]
        r = a.post("/_sandbox/driver/walk-in", json={"table": "3", "party_size": 2})
        assert r.status_code == 201, r.text
        order = r.json()["order"]
        assert order["numberOfGuests"] == 2 and order["externalId"] is None and order["source"] == "In Store"
        assert at(order["openedDate"]) == local(23, 15)
        anywhere = a.post("/_sandbox/driver/walk-in", json={"party_size": 5})
        assert anywhere.status_code == 201 and anywhere.json()["order"]["table"]["guid"] == refs["tables"]["16"]
        assert a.post("/_sandbox/driver/walk-in", json={"table": "99"}).status_code == 404
        assert a.post("/_sandbox/driver/walk-in", json={"party_size": 0}).status_code == 400
    out = sandbox.driver_step(until=local(23, 59) + timedelta(hours=2))
    assert "closed" in [e["stage"] for e in out["events"] if e["order_guid"] == order["guid"]]
    assert busy["guid"] in {e["order_guid"] for e in out["events"]}


# --------------------------------------------------------------------------------------- placeholders


def _pending_at_table(srv: SandboxServer, after: datetime) -> dict[str, Any]:
    rows = [r for r in srv.state()["opentable"]["reservations"]
            if r["state"] == "Pending" and r["table_number"] and at(r["scheduled_time_utc"]) >= after]
    return min(rows, key=lambda r: (r["scheduled_time_utc"], r["id"]))


def test_placeholders_are_left_alone_until_their_party_sits(sandbox: SandboxServer, clock: ManualClock) -> None:
    res = _pending_at_table(sandbox, local(19, 30))
    start = at(res["scheduled_time_utc"])
    table = res["table_number"][0]
    clock.set(start - timedelta(minutes=30))
    refs = toast_refs(sandbox)
    hhmm = res["scheduled_time"][11:16]
    with toast_client(sandbox) as c:
        placeholder = post_order(c, refs, table=table, guests=res["party_size"],
                                 tab_name=f"RESERVED {hhmm} · Test party of {res['party_size']}",
                                 external_id="hoststand:placeholder-1", allergy="SHELLFISH")
    out = sandbox.driver_step(until=start + timedelta(minutes=10))
    assert [e for e in out["events"] if e["order_guid"] == placeholder["guid"]] == []
    waiting = out["driver"]["waiting_placeholders"]
    assert {"order_guid": placeholder["guid"], "table": table} in waiting
    untouched = next(o for o in sandbox.state()["toast"]["orders"] if o["guid"] == placeholder["guid"])
    assert untouched["modifiedDate"] == placeholder["modifiedDate"]
    assert len(untouched["checks"][0]["selections"]) == 1  # only the allergy alert

    # the host seats the party (one more than booked) and tells OpenTable, as hoststand does
    clock.set(start + timedelta(minutes=10))
    with ot_client(sandbox) as c:
        r = c.post("/resoupdate/resoupdate", headers={"X-Request-Id": str(uuid.uuid4())}, json={
            "RID": str(RID), "ConfirmationNumber": res["confirmation_id"], "ReservationState": "Seated",
            "PartySize": res["party_size"] + 1, "TableNumbers": [table], "SequenceNumber": 1,
            "DateTime": res["scheduled_time"][:16].replace("T", " ")})
        assert r.status_code == 200, r.text
    out = sandbox.driver_step(until=start + timedelta(minutes=60))
    mine = [e for e in out["events"] if e["order_guid"] == placeholder["guid"]]
    assert mine[0]["stage"] == "seated" and "guest count" in mine[0]["detail"]
    assert [e["stage"] for e in mine][1] == "drinks"
    assert at(mine[1]["at"]) >= start + timedelta(minutes=12)  # served from the seating, not from the placeholder
    served = next(o for o in sandbox.state()["toast"]["orders"] if o["guid"] == placeholder["guid"])
    assert served["numberOfGuests"] == res["party_size"] + 1
    assert out["driver"]["waiting_placeholders"] == []


def test_a_placeholder_waits_for_its_own_party_not_the_one_before(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = toast_refs(sandbox)
    # an earlier party seated at table 22 on OpenTable (without a ticket), then a placeholder without a time
    with ot_client(sandbox) as c:
        earlier = next(r for r in sandbox.state()["opentable"]["reservations"] if r["state"] == "Pending")
        r = c.post("/resoupdate/resoupdate", headers={"X-Request-Id": str(uuid.uuid4())}, json={
            "RID": RID, "ConfirmationNumber": earlier["confirmation_id"], "ReservationState": "Seated",
            "TableNumbers": ["22"]})
        assert r.status_code == 200
    clock.set(local(19, 30))
    with toast_client(sandbox) as c:
        placeholder = post_order(c, refs, table="22", tab_name="reserved – Late party of 2", guests=2)
        other = post_order(c, refs, table="23", tab_name="RESERVED 21:45 · Kim party of 6", guests=6)
    out = sandbox.driver_step(until=local(20, 30))
    assert {e["order_guid"] for e in out["events"]} & {placeholder["guid"], other["guid"]} == set()
    with admin(sandbox) as a:
        r = a.post("/_sandbox/driver/seat", json={"table": "22"})
        assert r.status_code == 200 and r.json()["order_guid"] == placeholder["guid"]
        assert a.post("/_sandbox/driver/seat", json={"table": "4"}).status_code == 404
        assert a.post("/_sandbox/driver/seat", json={}).status_code == 400
    out = sandbox.driver_step(until=local(21, 0))
    assert "drinks" in [e["stage"] for e in out["events"] if e["order_guid"] == placeholder["guid"]]
    assert other["guid"] not in {e["order_guid"] for e in out["events"]}
    # a different marker, configured: then the old tab is an ordinary ticket
    sandbox.configure_driver(placeholder_prefix="HOLD")
    out = sandbox.driver_step(until=local(21, 30))
    assert "drinks" in [e["stage"] for e in out["events"] if e["order_guid"] == other["guid"]]


# --------------------------------------------------------------------------------------- linger


def test_linger_holds_a_table_at_a_stage(sandbox: SandboxServer, clock: ManualClock) -> None:
    clock.set(local(19, 0))
    refs = toast_refs(sandbox)
    with toast_client(sandbox) as c:
        held = post_order(c, refs, table="12")
        forever = post_order(c, refs, table="13")
    with admin(sandbox) as a:
        r = a.post("/_sandbox/driver/linger", json={"table": "12", "stage": "mains", "minutes": 60})
        assert r.status_code == 200 and r.json()["stage"] == "mains" and r.json()["order_guid"] == held["guid"]
        def linger(body: dict[str, Any]) -> int:
            return a.post("/_sandbox/driver/linger", json=body).status_code

        assert linger({"table": "13", "stage": "drinks", "minutes": None}) == 200  # until released
        assert linger({"table": "12", "stage": "nap", "minutes": 5}) == 400
        assert linger({"table": "99", "stage": "mains", "minutes": 5}) == 404
        assert linger({"table": "12", "stage": "mains"}) == 400
        state = a.get("/_sandbox/driver").json()
    assert [lg["table"] for lg in state["lingers"]] == ["12", "13"]
    sandbox.driver_step(until=local(23, 0))
    ev = {e["stage"]: at(e["at"]) for e in events_of(sandbox, held["guid"])}
    after_mains = min(t for s, t in ev.items() if s in ("desserts", "check"))
    assert after_mains - ev["mains"] >= timedelta(minutes=60)
    assert "closed" in ev  # then it moves on
    stuck = [e["stage"] for e in events_of(sandbox, forever["guid"])]
    assert stuck == ["drinks"]  # held at drinks until released
    sandbox.driver_release("13")
    out = sandbox.driver_step(until=local(23, 59))
    assert "mains" in [e["stage"] for e in out["events"] if e["order_guid"] == forever["guid"]]
    assert sandbox.driver_state()["lingers"] == []


# --------------------------------------------------------------------------------------- the seeded night, determinism


def test_seeded_staff_tickets_are_carried_to_payment(evening: SandboxServer, evening_clock: ManualClock) -> None:
    before = evening.state()
    open_before = [o for o in before["toast"]["orders"] if not o["closedDate"]]
    assert len(open_before) >= 5  # seated parties with staff-opened tickets, and the bar tab
    out = evening.driver_step(until=local(23, 59))
    after = {o["guid"]: o for o in evening.state()["toast"]["orders"]}
    for o in open_before:
        done = after[o["guid"]]
        assert done["checks"][0]["paymentStatus"] == "CLOSED", done["guid"]
        assert at(done["modifiedDate"]) >= evening_clock.now()  # never back-dated into what a puller already read
        validate_order_response(done)
    assert all(at(e["at"]) >= evening_clock.now() for e in out["events"])
    bar = next(o for o in open_before if o["table"]["guid"] in
               {t["guid"] for t in before["toast"]["tables"] if t["name"] == "Bar 1"})
    assert courses_of(after[bar["guid"]], refs_with_groups(evening)).keys() == {"Drinks"}


def _night(srv: SandboxServer, *, seed: int | None = None, steps: int = 1) -> tuple[list[Any], list[Any]]:
    srv.reset(now=local(16, 0))
    srv.configure_driver(walk_ins_per_hour=8, seed=seed)
    end = local(23, 59)
    span = (end - local(16, 0)) / steps
    for k in range(1, steps + 1):
        srv.driver_step(until=local(16, 0) + span * k)
    events = [(e["at"], e["table"], e["stage"], e["detail"]) for e in srv.driver_state()["events"]]
    return events, srv.state()["toast"]["orders"]


def test_the_same_seed_gives_the_same_night(sandbox: SandboxServer) -> None:
    events, orders = _night(sandbox, seed=7)
    assert sum(1 for e in events if e[2] == "seated") >= 3
    again, orders_again = _night(sandbox, seed=7, steps=48)  # in ten-minute steps: the same night
    assert again == events and orders_again == orders
    other, _ = _night(sandbox, seed=8)
    assert other != events


def test_driver_requests_are_checked(sandbox: SandboxServer) -> None:
    with admin(sandbox) as a:
        assert a.post("/_sandbox/driver/step", json={"minutes": 30}).json()["until"] == "2026-11-27T21:30:00.000Z"
        assert a.post("/_sandbox/driver/step", json={"until": local(16, 15).isoformat()}).status_code == 400  # back
        assert a.post("/_sandbox/driver/step", json={"until": local(18).isoformat(), "minutes": 3}).status_code == 400
        assert a.post("/_sandbox/driver/step", json={"until": "tonight"}).status_code == 400
        assert a.post("/_sandbox/driver/step", json={"minutes": "ten"}).status_code == 400
        assert a.post("/_sandbox/driver", json={"colour": "red"}).status_code == 400
        assert a.post("/_sandbox/driver", json={"walk_ins_per_hour": -1}).status_code == 400
        assert a.post("/_sandbox/driver", json={"running": "yes"}).status_code == 400
        # naive `until` is restaurant-local time
        r = a.post("/_sandbox/driver/step", json={"until": "2026-11-27T17:00:00"})
        assert r.status_code == 200 and r.json()["until"] == "2026-11-27T22:00:00.000Z"
    # the same API on a vendor port, and the driver's summary in the state
    assert http.get(f"{sandbox.urls['toast']}/_sandbox/driver").json()["time"] == "2026-11-27T22:00:00.000Z"
    summary = sandbox.state()["driver"]
    assert summary["placeholder_prefix"] == "RESERVED" and "events" not in summary
