"""Shared helpers for the sandbox tests: log in to each simulated vendor and get ready-made clients."""

from __future__ import annotations

import ssl
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hoststand.sandbox.server import SandboxServer

# Built once: a default httpx.Client loads the CA bundle anew each time (~70 ms), which dominated test time.
_TLS = ssl.create_default_context()

TZ = ZoneInfo("America/New_York")
FRIDAY = (2026, 11, 27)  # a Friday


def client(**kwargs: Any) -> httpx.Client:
    kwargs.setdefault("timeout", 5.0)
    return httpx.Client(verify=_TLS, **kwargs)


class http:  # noqa: N801 - used like the httpx module-level functions
    """One-off requests (a fresh connection each time), like httpx.get/post/delete but cheaper."""

    @staticmethod
    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        with client(timeout=kwargs.pop("timeout", 5.0)) as c:
            return c.request(method, url, **kwargs)

    @staticmethod
    def get(url: str, **kwargs: Any) -> httpx.Response:
        return http.request("GET", url, **kwargs)

    @staticmethod
    def post(url: str, **kwargs: Any) -> httpx.Response:
        return http.request("POST", url, **kwargs)


def local(hour: int, minute: int = 0, day: int = FRIDAY[2]) -> datetime:
    return datetime(FRIDAY[0], FRIDAY[1], day, hour, minute, tzinfo=TZ)


ERROR_KEYS = {"status", "code", "message", "messageKey", "fieldName", "link", "requestId", "developerMessage",
              "errors", "canRetry"}


def assert_error(r: httpx.Response, status: int) -> dict[str, Any]:
    """Assert a Toast ErrorMessage response with that status; return its body."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == ERROR_KEYS and body["status"] == status and body["errors"] == []
    assert len(body["requestId"]) == 36
    return body


def ot_token(srv: SandboxServer) -> str:
    creds = srv.credentials["opentable"]
    r = http.post(f"{srv.urls['opentable']}/api/v2/oauth/token", params={"grant_type": "client_credentials"},
                   auth=(creds["client_id"], creds["client_secret"]))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def ot_client(srv: SandboxServer, **kwargs: Any) -> httpx.Client:
    return client(base_url=srv.urls["opentable"], headers={"Authorization": f"bearer {ot_token(srv)}"}, **kwargs)


def toast_login(srv: SandboxServer) -> httpx.Response:
    creds = srv.credentials["toast"]
    return http.post(f"{srv.urls['toast']}/authentication/v1/authentication/login",
                      json={"clientId": creds["client_id"], "clientSecret": creds["client_secret"],
                            "userAccessType": "TOAST_MACHINE_CLIENT"})


def toast_token(srv: SandboxServer) -> str:
    r = toast_login(srv)
    assert r.status_code == 200, r.text
    return r.json()["token"]["accessToken"]


def toast_client(srv: SandboxServer, token: str | None = None, **kwargs: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or toast_token(srv)}",
               "Toast-Restaurant-External-ID": srv.credentials["toast"]["restaurant_guid"]}
    return client(base_url=srv.urls["toast"], headers=headers, **kwargs)


def admin(srv: SandboxServer, **kwargs: Any) -> httpx.Client:
    return client(base_url=srv.urls["admin"], **kwargs)


def toast_refs(srv: SandboxServer) -> dict[str, Any]:
    """GUIDs a test order needs, read from the sandbox state (tables by name, dine-in option, servers...)."""
    st = srv.state()["toast"]
    items = {i["name"]: (i["guid"], g["guid"]) for m in st["menu"]["menus"] for g in m["menuGroups"]
             for i in g["menuItems"]}
    return {
        "tables": {t["name"]: t["guid"] for t in st["tables"]},
        "dine_in": next(d["guid"] for d in st["dining_options"] if d["behavior"] == "DINE_IN"),
        "take_out": next(d["guid"] for d in st["dining_options"] if d["behavior"] == "TAKE_OUT"),
        "employees": {f"{e['firstName']} {e['lastName']}": e["guid"] for e in st["employees"]},
        "items": items,  # name -> (item guid, group guid)
    }


def order_body(refs: dict[str, Any], *, table: str = "12", external_id: str | None = None, guests: int = 4,
               server: str | None = "Maria Lopez", tab_name: str = "Smith party of 4 - NUT ALLERGY",
               allergy: str | None = "NUT ALLERGY (no nuts pls, epipen)", items: tuple[str, ...] = ()) -> dict[str, Any]:
    """A reservation-style dine-in order as the app's adapter would send it."""
    selections = []
    if allergy:
        item, group = refs["items"]["Allergy Alert"]
        selections.append({"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1,
                           "modifiers": [{"selectionType": "SPECIAL_REQUEST", "displayName": allergy}]})
    for name in items:
        item, group = refs["items"][name]
        selections.append({"item": {"guid": item}, "itemGroup": {"guid": group}, "quantity": 1})
    body: dict[str, Any] = {
        "diningOption": {"guid": refs["dine_in"]},
        "table": {"guid": refs["tables"][table]},
        "numberOfGuests": guests,
        "checks": [{"tabName": tab_name, "selections": selections,
                    "customer": {"firstName": "Ann", "lastName": "Smith", "phone": "(212) 555-0143",
                                 "email": "ann.smith@example.com"}}],
    }
    if external_id:
        body["externalId"] = external_id
    if server:
        body["server"] = {"guid": refs["employees"][server]}
    return body
