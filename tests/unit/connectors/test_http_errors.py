"""The one error mapper: transport failures and HTTP answers → port errors (httpx.MockTransport only)."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from hoststand.connectors.base import (
    AlreadyApplied,
    AuthFailed,
    NotFound,
    RateLimited,
    Rejected,
    Unavailable,
    UncertainOutcome,
)
from hoststand.connectors.http import (
    OPENTABLE_RULES,
    TOAST_RULES,
    USER_AGENT,
    VendorHttp,
    error_for_transport,
    make_client,
)


def send(rules, handler, method="GET", path="/x", **kwargs):
    async def run():
        client = httpx.AsyncClient(base_url="http://vendor.test", transport=httpx.MockTransport(handler))
        http = VendorHttp(rules=rules, client=client)
        try:
            return await http.send(method, path, **kwargs)
        finally:
            await http.aclose()

    return asyncio.run(run())


def answer(status, body=None, headers=None):
    def handler(request):
        return httpx.Response(status, json=body, headers=headers)

    return handler


def raising(exc_type):
    def handler(request):
        raise exc_type("boom", request=request)

    return handler


# ------------------------------------------------------------------------------------- transport


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_not_delivered_is_unavailable(exc, method):
    with pytest.raises(Unavailable):
        send(TOAST_RULES, raising(exc), method=method)


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError])
def test_after_sending_a_write_is_uncertain_a_read_unavailable(exc):
    with pytest.raises(UncertainOutcome):
        send(TOAST_RULES, raising(exc), method="POST")
    with pytest.raises(Unavailable):
        send(TOAST_RULES, raising(exc), method="GET")


def test_uncertain_is_not_a_subclass_of_unavailable():
    err = error_for_transport("toast", httpx.ReadTimeout("slow"), write=True)
    assert isinstance(err, UncertainOutcome) and not isinstance(err, Unavailable)


def test_real_refused_connection_is_unavailable():
    async def run():
        client = make_client("http://127.0.0.1:9", read_timeout=1.0)  # discard port: nothing listens
        http = VendorHttp(rules=TOAST_RULES, client=client)
        try:
            await http.send("POST", "/orders/v2/orders", json_body={})
        finally:
            await http.aclose()

    with pytest.raises(Unavailable):
        asyncio.run(run())


# ------------------------------------------------------------------------------------------ HTTP


def test_429_retry_after_seconds():
    with pytest.raises(RateLimited) as err:
        send(TOAST_RULES, answer(429, {"status": 429, "message": "Rate limit exceeded"}, {"Retry-After": "7"}))
    assert err.value.retry_after == 7.0


def test_429_falls_back_on_the_toast_reset_header():
    reset = int(time.time()) + 5
    with pytest.raises(RateLimited) as err:
        send(TOAST_RULES, answer(429, {}, {"X-Toast-RateLimit-Reset": str(reset)}))
    assert 3.0 <= err.value.retry_after <= 5.0


def test_429_http_date():
    from email.utils import formatdate

    with pytest.raises(RateLimited) as err:
        send(OPENTABLE_RULES, answer(429, {"error": "rate_limited"}, {"Retry-After": formatdate(time.time() + 30, usegmt=True)}))
    assert 25 <= err.value.retry_after <= 30


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refusals(status):
    with pytest.raises(AuthFailed):
        send(OPENTABLE_RULES, answer(status, {"error": "invalid_token", "message": "expired"}))


def test_opentable_no_rid_routing_is_a_refusal_not_an_auth_failure():
    with pytest.raises(Rejected) as err:
        send(OPENTABLE_RULES, answer(403, {"error": "no_rid_routing", "message": "No routing for RID:888"}))
    assert not isinstance(err.value, AuthFailed)
    assert (err.value.status, err.value.code, err.value.reason) == (403, "no_rid_routing", "No routing for RID:888")


def test_404_is_not_found():
    with pytest.raises(NotFound) as err:
        send(TOAST_RULES, answer(404, {"status": 404, "code": 404, "message": "No order with GUID x."}), path="/orders/v2/orders/x")
    assert err.value.reason == "No order with GUID x." and err.value.status == 404


def test_resoupdate_404_is_transient_unless_it_says_not_found():
    with pytest.raises(Unavailable):
        send(OPENTABLE_RULES, answer(404, {"message": "DB is unavailable, try again later"}), method="POST", path="/resoupdate/resoupdate")
    with pytest.raises(NotFound):
        send(OPENTABLE_RULES, answer(404, {"error": "not_found", "message": "Reservation 5 not found"}), method="POST", path="/resoupdate/resoupdate")


def test_other_4xx_is_rejected_with_the_vendors_words():
    body = {"status": 400, "code": 400, "message": "numberOfGuests must be a non-negative integer.", "developerMessage": "numberOfGuests must be a non-negative integer."}
    with pytest.raises(Rejected) as err:
        send(TOAST_RULES, answer(400, body), method="POST")
    assert type(err.value) is Rejected
    assert err.value.reason == "numberOfGuests must be a non-negative integer."
    assert err.value.status == 400 and err.value.code == "400"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (409, "A order with externalId 'hoststand:1' already exists."),
        (400, "An order with externalId hoststand:1 already exists"),
        (400, "Duplicate external ID"),
    ],
)
def test_duplicate_external_id_is_already_applied(status, message):
    with pytest.raises(AlreadyApplied):
        send(TOAST_RULES, answer(status, {"status": status, "message": message}), method="POST")


def test_opentable_409_is_a_plain_refusal():
    with pytest.raises(Rejected) as err:
        send(OPENTABLE_RULES, answer(409, {"error": "request_id_reused", "message": "X-Request-Id was already used"}), method="POST")
    assert type(err.value) is Rejected


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_uncertain_for_writes_unavailable_for_reads(status):
    with pytest.raises(UncertainOutcome):
        send(TOAST_RULES, answer(status, {"message": "internal"}), method="POST")
    with pytest.raises(Unavailable):
        send(TOAST_RULES, answer(status, {"message": "internal"}), method="GET")


def test_error_without_a_json_body():
    def handler(request):
        return httpx.Response(400, text="<html>bad</html>")

    with pytest.raises(Rejected) as err:
        send(TOAST_RULES, handler, method="POST")
    assert err.value.reason == "Bad Request"


def test_unreadable_success_body():
    async def run(method):
        client = httpx.AsyncClient(base_url="http://v.test", transport=httpx.MockTransport(lambda r: httpx.Response(200, text="not json")))
        http = VendorHttp(rules=TOAST_RULES, client=client)
        response = await http.send(method, "/x")
        try:
            http.json(response)
        finally:
            await http.aclose()

    with pytest.raises(UncertainOutcome):
        asyncio.run(run("POST"))
    with pytest.raises(Unavailable):
        asyncio.run(run("GET"))


# -------------------------------------------------------------------------------- client and logs


def test_client_setup():
    client = make_client("http://127.0.0.1:1", read_timeout=30.0)
    try:
        assert client.timeout.connect == 3.0 and client.timeout.read == 30.0
        assert client.headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("hoststand/")
        assert client.follow_redirects is False
    finally:
        asyncio.run(client.aclose())


def test_logs_method_path_status_but_no_body_or_query(caplog):
    secret_note = "Severe peanut allergy"

    def handler(request):
        return httpx.Response(200, json={"items": [{"notes_food_and_drink": secret_note}]})

    with caplog.at_level(logging.DEBUG, logger="hoststand.connectors.http"):
        send(OPENTABLE_RULES, handler, path="/sync/v2/guests", params={"email": "ann@example.com"})
    assert "GET /sync/v2/guests → 200" in caplog.text
    assert secret_note not in caplog.text and "ann@example.com" not in caplog.text
