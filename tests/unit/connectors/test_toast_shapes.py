"""Decoding an `ordersBulk` page by its shape: only the fields read are kept, and a page that does not fit
the shape is decoded in full, so that a malformed order is still skipped by itself."""

from __future__ import annotations

import json

import httpx

from hoststand.connectors.http import VendorErrorRules, VendorHttp
from hoststand.connectors.pos.toast_shapes import ORDERS_PAGE


def _response(body) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), request=httpx.Request("GET", "http://toast/orders"))


def _http() -> VendorHttp:
    return VendorHttp(VendorErrorRules("toast"), client=None)  # type: ignore[arg-type]  # json() sends nothing


def test_only_the_fields_the_adapter_reads_are_built():
    page = [{"guid": "o1", "entityType": "Order", "numberOfGuests": 4, "createdDevice": {"id": "x"},
             "checks": [{"guid": "c1", "amount": 12.5, "selections": [{"displayName": "Soup", "tax": 1.1,
                                                                       "item": {"guid": "i1", "entityType": "MenuItem"}}]}]}]
    assert _http().json(_response(page), shape=ORDERS_PAGE) == [
        {"guid": "o1", "numberOfGuests": 4,
         "checks": [{"guid": "c1", "amount": 12.5, "selections": [{"displayName": "Soup", "item": {"guid": "i1"}}]}]}
    ]


def test_a_page_that_does_not_fit_is_decoded_in_full():
    page = [{"guid": "o1", "checks": ["not a check"]}, {"guid": "o2", "checks": [], "extra": 1}]
    assert _http().json(_response(page), shape=ORDERS_PAGE) == page  # the adapter then skips o1 alone
