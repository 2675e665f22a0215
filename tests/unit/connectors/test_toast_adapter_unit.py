"""Toast adapter behaviour that needs no sandbox: sign-in allowance, token reuse, headers, paging, caching."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from hoststand.connectors.base import AuthFailed, Credentials, OpenTicketRequest, PosPort, Rejected
from hoststand.connectors.pos.toast import ToastAdapter
from hoststand.connectors.registry import make_booking, make_pos
from hoststand.domain.clock import ManualClock

UTC = timezone.utc
FIXTURES = Path(__file__).parent / "fixtures"
RESTAURANT = "5ef0f7a2-1111-4c3e-9d1e-7a1d6f1a0001"


class FakeToast:
    """Answers like Toast; `refuse_tokens` makes every API call a 401."""

    def __init__(self, *, expires_in: int = 86400, refuse_tokens: bool = False) -> None:
        self.expires_in = expires_in
        self.refuse_tokens = refuse_tokens
        self.logins = 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/authentication/v1/authentication/login":
            body = json.loads(request.content)
            assert body["userAccessType"] == "TOAST_MACHINE_CLIENT"
            if body["clientSecret"] != "secret":
                return httpx.Response(401, json={"status": 401, "code": 401, "message": "Authentication failed"})
            self.logins += 1
            token = {"tokenType": "Bearer", "scope": None, "expiresIn": self.expires_in, "accessToken": f"jwt-{self.logins}"}
            return httpx.Response(200, json={"token": token, "status": "SUCCESS"})
        assert request.headers["Toast-Restaurant-External-ID"] == RESTAURANT
        if self.refuse_tokens:
            return httpx.Response(401, json={"status": 401, "message": "token expired"})
        if request.url.path == "/config/v2/tables":
            page = request.url.params.get("pageToken")
            if page is None:
                return httpx.Response(200, json=[{"guid": "t1", "name": "1"}], headers={"Toast-Next-Page-Token": "p2"})
            return httpx.Response(200, json=[{"guid": "t2", "name": "2", "serviceArea": {"guid": "sa"}}, {"name": "no guid"}])
        if request.url.path == "/config/v2/diningOptions":
            return httpx.Response(200, json=[
                {"guid": "to-go", "name": "Take Out", "behavior": "TAKE_OUT"},
                {"guid": "bar", "name": "Bar", "behavior": "DINE_IN"},
                {"guid": "dine", "name": "Dine In", "behavior": "DINE_IN"},
            ])
        if request.url.path == "/menus/v2/menus":
            return httpx.Response(200, content=(FIXTURES / "toast_menu.json").read_bytes())
        if request.url.path == "/labor/v1/employees":
            return httpx.Response(200, json=[
                {"guid": "e1", "firstName": "Maria", "lastName": "Lopez", "chosenName": "Mari", "externalEmployeeId": "42"},
                {"guid": "e2", "firstName": "Gone", "lastName": "Away", "deleted": True},
            ])
        return httpx.Response(200, json=[])


def adapter(fake: FakeToast, clock: ManualClock, secret: str = "secret") -> ToastAdapter:
    client = httpx.AsyncClient(base_url="http://toast.test", transport=httpx.MockTransport(fake))
    return ToastAdapter("http://toast.test", Credentials("cid", secret), RESTAURANT, client=client, clock=clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 27, 21, 0, tzinfo=UTC))


def test_is_a_pos_port(clock):
    assert isinstance(adapter(FakeToast(), clock), PosPort)


def test_token_is_reused_until_near_expiry(clock):
    fake = FakeToast(expires_in=3600)

    async def run():
        a = adapter(fake, clock)
        for _ in range(5):
            await a.pull_employees()
        clock.advance(3000)  # 50 min: still inside the token's life less its margin
        await a.pull_employees()
        assert fake.logins == 1
        clock.advance(300)  # 55 min: within the last 10 % → renew before it runs out
        await a.pull_employees()
        assert fake.logins == 2
        await a.aclose()

    asyncio.run(run())


def test_never_more_than_two_sign_ins_an_hour(clock):
    fake = FakeToast(refuse_tokens=True)

    async def run():
        a = adapter(fake, clock)
        with pytest.raises(AuthFailed, match="freshly issued"):
            await a.pull_employees()  # sign in, refused, sign in again, refused again
        assert fake.logins == 2
        with pytest.raises(AuthFailed, match="2 sign-ins an hour"):
            await a.pull_employees()  # a third would be needed: refused here, without asking Toast
        assert fake.logins == 2
        clock.advance(timedelta(minutes=61))
        fake.refuse_tokens = False
        await a.pull_employees()
        assert fake.logins == 3
        await a.aclose()

    asyncio.run(run())


def test_wrong_secret_says_so(clock):
    async def run():
        a = adapter(FakeToast(), clock, secret="wrong")
        try:
            await a.pull_tables()
        finally:
            await a.aclose()

    with pytest.raises(AuthFailed, match="refused the client ID and secret"):
        asyncio.run(run())


def test_config_paging_and_malformed_rows(clock):
    fake = FakeToast()

    async def run():
        a = adapter(fake, clock)
        tables = await a.pull_tables()
        employees = await a.pull_employees()
        await a.aclose()
        return a, tables, employees

    a, tables, employees = asyncio.run(run())
    assert [t.guid for t in tables] == ["t1", "t2"]
    assert tables[1].service_area_guid == "sa"
    assert [(e.guid, e.chosen_name, e.external_id) for e in employees] == [("e1", "Mari", "42")]
    assert a.limits.supports_special_request  # pull_tables read the menu
    paths = [r.url.path for r in fake.requests]
    assert paths.count("/config/v2/tables") == 2 and paths.count("/menus/v2/menus") == 1


def test_dining_option_prefers_dine_in_and_is_cached_for_the_day(clock):
    fake = FakeToast()

    async def run():
        a = adapter(fake, clock)
        first = await a._dining_option_guid()
        again = await a._dining_option_guid()
        clock.advance(timedelta(days=1))
        await a._dining_option_guid()
        await a.aclose()
        return first, again

    assert asyncio.run(run()) == ("dine", "dine")
    assert [r.url.path for r in fake.requests].count("/config/v2/diningOptions") == 2


def test_a_tab_name_over_the_limit_is_refused_before_any_request(clock):
    fake = FakeToast()
    request = OpenTicketRequest(external_id="a1", table_guid="t1", guests=2, business_date=date(2026, 11, 27), tab_name="x" * 300)

    async def run():
        a = adapter(fake, clock)
        try:
            await a.open_ticket(request)
        finally:
            await a.aclose()

    with pytest.raises(Rejected, match="255"):
        asyncio.run(run())
    assert fake.requests == []


def test_registry():
    booking = make_booking("opentable", base_url="http://127.0.0.1:1", client_id="a", client_secret="b", rid=7)
    pos = make_pos("Toast", base_url="http://127.0.0.1:1", credentials=Credentials("a", "b"), restaurant_guid="g", tz="Europe/Paris")
    assert booking.vendor == "opentable" and pos.vendor == "toast"
    with pytest.raises(ValueError, match="known: toast"):
        make_pos("square", base_url="http://127.0.0.1:1", client_id="a", client_secret="b")
    with pytest.raises(ValueError, match="client_id"):
        make_booking("opentable", base_url="http://127.0.0.1:1", rid=7)
    asyncio.run(booking.aclose())
    asyncio.run(pos.aclose())
