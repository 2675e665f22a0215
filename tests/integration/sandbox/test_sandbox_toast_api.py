"""The Toast simulator over loopback HTTP: login and its throttling, guards, config paging, labor, menus."""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer, SeedOptions

from .helpers import assert_error, http, local, toast_client, toast_login, toast_token

REPO = Path(__file__).resolve().parents[3]


# ----------------------------------------------------------------------------------------------- auth


def test_login_response_shape(sandbox: SandboxServer) -> None:
    r = toast_login(sandbox)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "SUCCESS" and "@class" in body
    token = body["token"]
    assert token["tokenType"] == "Bearer" and token["scope"] is None and token["expiresIn"] == 86400
    assert token["idToken"] is None and token["refreshToken"] is None
    header, payload, sig = token["accessToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert "orders.orders:write" in claims["scope"] and claims["exp"] - claims["iat"] == 86400
    assert not any(h.lower().startswith("x-toast-ratelimit") for h in r.headers)  # auth API: no such headers


def test_login_errors(sandbox: SandboxServer) -> None:
    url = f"{sandbox.urls['toast']}/authentication/v1/authentication/login"
    creds = sandbox.credentials["toast"]
    form = http.post(url, data={"clientId": creds["client_id"], "clientSecret": creds["client_secret"],
                                 "userAccessType": "TOAST_MACHINE_CLIENT"})
    assert_error(form, 415)
    wrong = http.post(url, json={"clientId": creds["client_id"], "clientSecret": "nope",
                                  "userAccessType": "TOAST_MACHINE_CLIENT"})
    assert_error(wrong, 401)
    no_type = http.post(url, json={"clientId": creds["client_id"], "clientSecret": creds["client_secret"]})
    assert_error(no_type, 400)


def test_third_login_within_an_hour_is_throttled(sandbox: SandboxServer, clock: ManualClock,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    assert toast_login(sandbox).status_code == 200
    clock.advance(20 * 60)
    assert toast_login(sandbox).status_code == 200
    clock.advance(20 * 60)
    with caplog.at_level(logging.WARNING, logger="hoststand.sandbox"):
        third = toast_login(sandbox)
    body = assert_error(third, 429)
    assert "twice" in body["message"]
    assert int(third.headers["Retry-After"]) == 20 * 60
    assert any("within one hour" in rec.getMessage() for rec in caplog.records)
    clock.advance(20 * 60 + 1)  # the first login is now more than an hour old
    assert toast_login(sandbox).status_code == 200
    counts = sandbox.state()["requests"]["toast"]
    assert counts["logins"] == 3 and counts["logins_throttled"] == 1 and counts["rate_limited"] == 1


def test_login_limit_fault_changes_the_allowance(sandbox: SandboxServer) -> None:
    sandbox.set_fault("toast", "login_limit", per_hour=0)
    assert toast_login(sandbox).status_code == 429
    sandbox.set_fault("toast", "up")
    assert toast_login(sandbox).status_code == 200


def test_bearer_and_restaurant_header_guards(sandbox: SandboxServer, clock: ManualClock) -> None:
    base = sandbox.urls["toast"]
    guid = sandbox.credentials["toast"]["restaurant_guid"]
    token = toast_token(sandbox)
    assert_error(http.get(f"{base}/config/v2/tables", headers={"Toast-Restaurant-External-ID": guid}), 401)
    assert_error(http.get(f"{base}/config/v2/tables",
                           headers={"Authorization": "Bearer nope", "Toast-Restaurant-External-ID": guid}), 401)
    missing = assert_error(http.get(f"{base}/config/v2/tables", headers={"Authorization": f"Bearer {token}"}), 400)
    assert missing["fieldName"] == "Toast-Restaurant-External-ID"
    assert_error(http.get(f"{base}/config/v2/tables", headers={
        "Authorization": f"Bearer {token}", "Toast-Restaurant-External-ID": "00000000-0000-0000-0000-000000000000"}), 403)
    with toast_client(sandbox, token) as c:
        assert c.get("/config/v2/tables").status_code == 200
        clock.advance(timedelta(days=1, seconds=1))
        assert_error(c.get("/config/v2/tables"), 401)  # expired after a day of sandbox time


def test_unknown_path_is_an_error_message(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        assert_error(c.get("/orders/v2/nothing/here/at/all"), 404)
        assert_error(c.delete("/config/v2/tables"), 405)


# ----------------------------------------------------------------------------------------------- config


def test_tables_match_the_floor_plan_and_carry_no_seat_count(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        r = c.get("/config/v2/tables")
        areas = {a["guid"]: a["name"] for a in c.get("/config/v2/serviceAreas").json()}
        rcs = {rc["guid"] for rc in c.get("/config/v2/revenueCenters").json()}
    assert r.status_code == 200 and "Toast-Next-Page-Token" not in r.headers
    tables = r.json()
    by_area: dict[str, list[str]] = {}
    for t in tables:
        assert set(t) >= {"guid", "entityType", "name", "serviceArea", "revenueCenter"}
        assert t["entityType"] == "Table" and not any("seat" in k.lower() for k in t)
        assert t["serviceArea"]["entityType"] == "ServiceArea" and t["revenueCenter"]["guid"] in rcs
        by_area.setdefault(areas[t["serviceArea"]["guid"]], []).append(t["name"])
    assert by_area == {"Window": ["1", "2", "3", "4"],
                       "Main Room": ["10", "11", "12", "13", "14", "15", "16", "17"],
                       "Back Room": ["20", "21", "22", "23"], "Bar": ["Bar 1", "Bar 2"]}
    plan = json.loads((REPO / "resources" / "floorplans" / "bistro.json").read_text())
    assert {t["pos"]["name"] for t in plan["tables"]} <= {t["name"] for t in tables}


def test_one_table_by_guid(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        first = c.get("/config/v2/tables").json()[0]
        assert c.get(f"/config/v2/tables/{first['guid']}").json() == first
        assert_error(c.get("/config/v2/tables/not-a-table"), 404)


def test_config_paging_with_page_tokens_and_last_modified() -> None:
    with SandboxServer(seed=SeedOptions(now=local(16), extra_tables=250)) as srv, toast_client(srv) as c:
        names: list[str] = []
        params: dict[str, str] = {}
        pages = 0
        while True:
            r = c.get("/config/v2/tables", params=params)
            assert r.status_code == 200
            pages += 1
            page = r.json()
            assert len(page) <= 100
            names += [t["name"] for t in page]
            token = r.headers.get("Toast-Next-Page-Token")
            if not token:
                break
            params = {"pageToken": token}
        assert pages == 3 and len(names) == len(set(names)) == 18 + 250
        assert_error(c.get("/config/v2/tables", params={"pageToken": "garbage"}), 400)
        assert c.get("/config/v2/tables", params={"lastModified": "2026-11-27T00:00:00.000+0000"}).json() == []
        assert len(c.get("/config/v2/tables", params={"lastModified": "2020-01-01T00:00:00Z"}).json()) == 100


def test_dining_options_employees_jobs(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        options = {d["name"]: d for d in c.get("/config/v2/diningOptions").json()}
        employees = c.get("/labor/v1/employees").json()
        jobs = {j["guid"]: j["title"] for j in c.get("/labor/v1/jobs").json()}
        one = c.get(f"/labor/v1/employees/{employees[0]['guid']}").json()
        picked = c.get("/labor/v1/employees", params=[("employeeIds", employees[0]["guid"]),
                                                      ("employeeIds", employees[1]["guid"])]).json()
    assert options["Dine In"]["behavior"] == "DINE_IN" and options["Take Out"]["behavior"] == "TAKE_OUT"
    assert all(d["entityType"] == "DiningOption" for d in options.values())
    servers = {f"{e['chosenName'] or e['firstName']} {e['lastName']}" for e in employees
               if any(jobs[j["guid"]] == "Server" for j in e["jobReferences"])}
    assert servers == {"Maria Lopez", "James Chen", "Aisha Patel", "Tom Becker"}
    managers = [e for e in employees if any(jobs[j["guid"]] == "Manager" for j in e["jobReferences"])]
    assert len(managers) == 1 and f"{managers[0]['firstName']} {managers[0]['lastName']}" not in servers
    for e in employees:
        assert e["entityType"] == "RestaurantUser" and e["deleted"] is False
        assert {"guid", "firstName", "lastName", "chosenName", "externalEmployeeId", "jobReferences"} <= set(e)
    assert one == employees[0] and len(picked) == 2


def test_menu_has_groups_and_a_zero_dollar_allergy_alert(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        r = c.get("/menus/v2/menus")
        assert r.status_code == 200 and r.headers["X-Toast-RateLimit-By"] == "ENDPOINT"
        menu = r.json()
        again = c.get("/menus/v2/menus")  # 1 request per second per location
    assert menu["restaurantGuid"] == sandbox.credentials["toast"]["restaurant_guid"]
    groups = {g["name"]: g for m in menu["menus"] for g in m["menuGroups"]}
    assert {"Starters", "Mains", "Desserts", "Drinks", "Alerts"} <= set(groups)
    alert = groups["Alerts"]["menuItems"][0]
    assert alert["name"] == "Allergy Alert" and alert["price"] == 0
    assert all(i["price"] > 0 for i in groups["Mains"]["menuItems"])
    if again.status_code == 429:  # unless the wall-clock second rolled over in between
        assert again.headers["X-Toast-RateLimit-By"] == "ENDPOINT" and int(again.headers["Retry-After"]) >= 1


def test_every_response_carries_rate_limit_headers(sandbox: SandboxServer) -> None:
    with toast_client(sandbox) as c:
        r = c.get("/config/v2/tables")
        bad = c.get("/config/v2/tables/nope")
    for resp in (r, bad):
        assert resp.headers["X-Toast-RateLimit-By"] == "GLOBAL"
        assert int(resp.headers["X-Toast-RateLimit-Remaining"]) < 20
        assert int(resp.headers["X-Toast-RateLimit-Reset"]) > 1_700_000_000
