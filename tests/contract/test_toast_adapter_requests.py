"""Every order body the Toast adapter sends validates against `definitions.Order` of Toast's Orders API spec.

The adapter runs for real over an in-memory transport that records what it posts; each body is checked
with `tests.contract.toast_schema.validate_order_request` (the spec, with its documented request rules).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoststand.connectors.base import Credentials, OpenTicketRequest
from hoststand.connectors.pos.toast import AllergyItem, ToastAdapter, order_request_body
from hoststand.domain.clock import ManualClock
from tests.contract.toast_schema import order_request_errors, validate_order_request

MENU = Path(__file__).resolve().parents[1] / "unit" / "connectors" / "fixtures" / "toast_menu.json"
RESTAURANT = "5ef0f7a2-1111-4c3e-9d1e-7a1d6f1a0001"
ALLERGY_ITEM = AllergyItem(guid="item-allergy", group_guid="grp-alerts", name="Allergy Alert")


def _posting_adapter(posted: list[dict]) -> ToastAdapter:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/login"):
            return httpx.Response(200, json={"token": {"accessToken": "jwt", "expiresIn": 86400}, "status": "SUCCESS"})
        if path == "/config/v2/diningOptions":
            return httpx.Response(200, json=[{"guid": "18855a26-40d4-4a8f-b484-c6af211dd597", "name": "Dine In", "behavior": "DINE_IN"}])
        if path == "/menus/v2/menus":
            return httpx.Response(200, content=MENU.read_bytes())
        if path == "/orders/v2/orders" and request.method == "POST":
            assert request.headers["Content-Type"] == "application/json"
            body = json.loads(request.content)
            posted.append(body)
            return httpx.Response(200, json={"guid": "o-1", "entityType": "Order", "externalId": body["externalId"], "checks": []})
        return httpx.Response(404, json={"status": 404, "message": "not here"})

    client = httpx.AsyncClient(base_url="http://toast.test", transport=httpx.MockTransport(handler))
    clock = ManualClock(datetime(2026, 11, 27, 23, 0, tzinfo=timezone.utc))
    return ToastAdapter("http://toast.test", Credentials("cid", "secret"), RESTAURANT, client=client, clock=clock)


def bodies_for(requests: list[OpenTicketRequest]) -> list[dict]:
    posted: list[dict] = []

    async def run():
        adapter = _posting_adapter(posted)
        try:
            for request in requests:
                await adapter.open_ticket(request)
        finally:
            await adapter.aclose()

    asyncio.run(run())
    assert len(posted) == len(requests)
    return posted


def req(**changes) -> OpenTicketRequest:
    base = dict(
        external_id="6f1c0d2e-9a7b-4c1e-8f00-1a2b3c4d5e6f",
        table_guid="table-12",
        guests=4,
        business_date=date(2026, 11, 27),
        tab_name="PEANUT, TREE NUT – EpiPen | Birthday | VIP | Smith ×4",
    )
    base.update(changes)
    return OpenTicketRequest(**base)


CASES = {
    "minimal": req(),
    "no tab name": req(tab_name=""),
    "with server": req(server_guid="c89d1e72-1888-469f-a24b-506c66eafab7"),
    "with customer": req(first_name="Ann", last_name="Smith", phone="+12125550147", email="ann.smith@example.com"),
    "incomplete customer": req(first_name="Ann", last_name="Smith", phone="+12125550147"),
    "short allergy": req(allergy_text="PEANUT, TREE NUT: “no nuts pls, epipen”"),
    "long allergy": req(allergy_text="Severe tree nut and peanut allergy; carries an EpiPen; no shared fryer. " * 10),
    "one huge word": req(allergy_text="x" * 700),
    "everything": req(
        server_guid="c89d1e72-1888-469f-a24b-506c66eafab7",
        first_name="Zoë",
        last_name="Ó Briain",
        phone="+353 1 234 5678",
        email="zoe@example.com",
        allergy_text="Coeliac (gluten) – très sévère 🌾",
        tab_name="GLUTEN – coeliac 🌾 | Anniversary | Ó Briain ×2",
        guests=2,
    ),
    "largest tab name": req(tab_name="T" * 255),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_order_body_matches_the_toast_schema(name):
    (body,) = bodies_for([CASES[name]])
    validate_order_request(body)


def test_the_allergy_case_really_carries_special_requests():
    (body,) = bodies_for([CASES["long allergy"]])
    (line,) = body["checks"][0]["selections"]
    assert len(line["modifiers"]) >= 3
    assert {m["selectionType"] for m in line["modifiers"]} == {"SPECIAL_REQUEST"}


def test_the_validator_is_not_toothless():
    (body,) = bodies_for([CASES["minimal"]])
    broken = json.loads(json.dumps(body))
    del broken["diningOption"]
    broken["checks"][0]["tabName"] = "x" * 256
    assert len(order_request_errors(broken)) >= 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    guests=st.integers(min_value=1, max_value=40),
    tab=st.text(min_size=0, max_size=120),
    allergy=st.text(min_size=0, max_size=900),
    server=st.one_of(st.none(), st.uuids().map(str)),
    names=st.tuples(st.text(max_size=20), st.text(max_size=20)),
)
def test_any_request_the_note_builder_can_make_validates(guests, tab, allergy, server, names):
    """The body builder the adapter posts with (`order_request_body`), over arbitrary text."""
    request = req(guests=guests, tab_name=tab, allergy_text=allergy, server_guid=server,
                  first_name=names[0], last_name=names[1], phone="+12125550147", email="a@example.com")
    body = order_request_body(request, dining_option_guid="18855a26-40d4-4a8f-b484-c6af211dd597", allergy_item=ALLERGY_ITEM)
    validate_order_request(body)
