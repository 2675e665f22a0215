"""Toast simulator: authentication, configuration, labor, menus and orders, on Toast's own paths.

Documented (vendor-contracts §1, Toast's published specs in `contracts/toast/`):
- `POST /authentication/v1/authentication/login` with a JSON body (`clientId`, `clientSecret`,
  `userAccessType: TOAST_MACHINE_CLIENT`) → `{"token": {"tokenType": "Bearer", "scope": null,
  "expiresIn": 86400, "accessToken": <JWT>, ...}, "status": "SUCCESS"}`; tokens last a day; asking for a
  new one "more than twice in a one-hour period" is throttled (429 here, plus a logged warning).
  The auth API sends no rate-limit headers.
- `Authorization: Bearer` and `Toast-Restaurant-External-ID` on every other call; errors in the
  `ErrorMessage` shape; 20 req/s **and** 10,000 per 15 min per restaurant in fixed slices, reported in
  `X-Toast-RateLimit-By/-Remaining/-Reset` on every response, with `Retry-After` on a 429;
  `GET /menus/v2/menus` limited to 1 req/s per location (reported with `By: ENDPOINT`).
- Config paging with `pageToken` / `Toast-Next-Page-Token` (no header on the last page), `lastModified`.
- Orders API 2.x paths and semantics: `POST /orders/v2/orders` (415 unless `application/json`, 404 for a
  missing referenced entity, 413 for too many checks), `GET /orders/v2/orders/{guid}`, `GET
  /orders/v2/ordersBulk` (`startDate` inclusive / `endDate` exclusive on the modified date, or
  `businessDate`; `pageSize` max 100, `page` 1-based; no total), the deprecated `GET /orders/v2/orders`
  (GUID list), `POST .../void`, `POST .../checks/{checkGuid}/selections`. `externalId` must be unique on
  orders, checks and selections ("the request will fail"). A dine-in order posted to a table that already
  has an open order is created but "not visible at the table until the previous order is closed" (kept in
  `/_sandbox/state` as `hidden_orders`). Special requests ride as `SPECIAL_REQUEST` modifiers with
  `displayName`; on GET their `item`/`itemGroup` are null, as Toast documents.

Assumed, and labelled so:
- A duplicate `externalId` is refused with **409** and an ErrorMessage saying the externalId already exists.
- ErrorMessage `code` equals the HTTP status; `canRetry` and `messageKey` are null; Toast's real codes
  are not published.
- An unknown `Toast-Restaurant-External-ID` gets 403 ("no access to restaurant"); a missing one 400.
- Config pages hold 100 objects (the spec allows up to 300); `lastModified` is strictly-after.
- Every selection must name an `item` and its `itemGroup` (Toast: "all selections must have valid item
  and itemGroup fields" on POST); the sandbox's menu has no modifier groups, so the only modifiers it
  accepts are `SPECIAL_REQUEST` ones. An order may carry up to 20 checks (413 beyond).
- `GET /orders/v2/orders/{id}` also accepts the order's `externalId` in place of the GUID (the spec says
  an order can be fetched by its externalId without saying how).
- Voiding requires no body; `{"selections": {"voidAll": true}}` voids the items too; voiding twice is
  harmless; an order paid by card (not `OTHER`) cannot be voided (Toast: "Only Orders with OTHER payment
  types can be voided").
- The `late_landing` fault holds a POST /orders without an answer; the order lands `delay_s` seconds of
  sandbox time later unless its externalId exists by then (then it is dropped, as Toast would refuse it).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import math
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from . import toast_data as td
from .common import JSON, UTC, business_date_int, int_param, iso_z, parse_iso, toast_ts
from .faults import settle
from .ratelimit import FixedWindow, Verdict
from .world import World, all_selections

if TYPE_CHECKING:
    from .core import SandboxCore

log = logging.getLogger("hoststand.sandbox")

TOKEN_TTL_S = 86400
PER_SECOND = 20
PER_15_MIN = 10_000
MENUS_PER_SECOND = 1
CONFIG_PAGE = 100
BULK_PAGE_MAX = 100
MAX_CHECKS = 20
TAB_NAME_MAX = 255
SCOPES = ("orders.orders:write orders:read orders.channel:read orders.items:write orders:void config:read "
          "menus:read restaurants:read labor:read labor.employees:read")


class Refusal(Exception):
    """A request the Toast sandbox refuses: becomes an ErrorMessage response."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def error_message(status: int, message: str, *, field: str | None = None, developer: str | None = None,
                  headers: dict[str, str] | None = None) -> JSON:
    body = {
        "status": status,
        "code": status,
        "message": message,
        "messageKey": None,
        "fieldName": field,
        "link": None,
        "requestId": str(uuid.uuid4()),
        "developerMessage": developer or message,
        "errors": [],
        "canRetry": None,
    }
    return JSON(body, status_code=status, headers=headers)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


class ToastSim:
    api = "toast"

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.per_second = FixedWindow(PER_SECOND, 1.0)
        self.per_15min = FixedWindow(PER_15_MIN, 900.0)
        self.menus_limit = FixedWindow(MENUS_PER_SECOND, 1.0)
        self._secret = hashlib.sha256(f"toast-sandbox:{core.options.seed}".encode()).digest()
        routes = [
            Route("/authentication/v1/authentication/login", self.login, methods=["POST"]),
            Route("/config/v2/tables", self.config_list("tables"), methods=["GET"]),
            Route("/config/v2/tables/{guid}", self.config_one("tables"), methods=["GET"]),
            Route("/config/v2/serviceAreas", self.config_list("service_areas"), methods=["GET"]),
            Route("/config/v2/serviceAreas/{guid}", self.config_one("service_areas"), methods=["GET"]),
            Route("/config/v2/revenueCenters", self.config_list("revenue_centers"), methods=["GET"]),
            Route("/config/v2/revenueCenters/{guid}", self.config_one("revenue_centers"), methods=["GET"]),
            Route("/config/v2/diningOptions", self.config_list("dining_options"), methods=["GET"]),
            Route("/config/v2/diningOptions/{guid}", self.config_one("dining_options"), methods=["GET"]),
            Route("/labor/v1/employees", self.employees, methods=["GET"]),
            Route("/labor/v1/employees/{employeeId}", self.employee, methods=["GET"]),
            Route("/labor/v1/jobs", self.jobs, methods=["GET"]),
            Route("/menus/v2/menus", self.menus, methods=["GET"]),
            Route("/orders/v2/orders", self.post_order, methods=["POST"]),
            Route("/orders/v2/orders", self.order_guids, methods=["GET"]),
            Route("/orders/v2/ordersBulk", self.orders_bulk, methods=["GET"]),
            Route("/orders/v2/orders/{guid}", self.get_order, methods=["GET"]),
            Route("/orders/v2/orders/{guid}/void", self.void_order, methods=["POST"]),
            Route("/orders/v2/orders/{guid}/checks/{checkGuid}/selections", self.add_selections, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_exception,
                                                                 Exception: self._crash})

    # ------------------------------------------------------------------ gate hooks

    def endpoint_key(self, scope: Scope) -> str:
        partial = None
        for route in self.app.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return f"{scope['method']} {route.path}"  # type: ignore[attr-defined]
            if match is Match.PARTIAL and partial is None:
                partial = route.path  # type: ignore[attr-defined]
        return f"{scope['method']} {partial or '(unknown path)'}"

    def error_response(self, status: int, message: str) -> Response:
        return error_message(status, message)

    def rate_limit(self, scope: Scope) -> tuple[Response | None, list[tuple[bytes, bytes]]]:
        path: str = scope["path"]
        if path.startswith("/authentication/"):
            return None, []  # the auth API sends no rate-limit headers
        headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope["headers"]}
        key = headers.get("toast-restaurant-external-id") or f"ip:{(scope.get('client') or ('?',))[0]}"
        faults = self.core.faults
        per_s = faults.param(self.api, "rate_limit", "per_second", scope["method"], path) or PER_SECOND
        per_15 = faults.param(self.api, "rate_limit", "per_15min", scope["method"], path) or PER_15_MIN
        v1 = self.per_second.hit(key, limit=per_s)
        v15 = self.per_15min.hit(key, limit=per_15)
        # The binding limit: a refused 15-minute slice outweighs everything (its reset is furthest away).
        binding: Verdict
        if not v15.allowed:
            binding = v15
        elif not v1.allowed:
            binding = v1
        else:
            binding = v15 if v15.remaining < v1.remaining else v1
        by = "GLOBAL"
        if path.startswith("/menus/"):
            vm = self.menus_limit.hit(key)
            if not vm.allowed or (binding.allowed and vm.remaining < binding.remaining):
                binding, by = vm, "ENDPOINT"
        out = {
            "X-Toast-RateLimit-By": by,
            "X-Toast-RateLimit-Remaining": str(binding.remaining),
            "X-Toast-RateLimit-Reset": str(int(math.ceil(binding.reset))),
        }
        if binding.allowed:
            return None, [(k.lower().encode("latin1"), v.encode("latin1")) for k, v in out.items()]
        out["Retry-After"] = str(max(1, math.ceil(binding.retry_after)))
        return error_message(429, "Rate limit exceeded. Retry after the time given in Retry-After.",
                             headers=out), []

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        message = "The requested resource was not found" if status == 404 else (
            "Method not allowed" if status == 405 else str(getattr(exc, "detail", exc)))
        return error_message(status, message)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.exception("toast sandbox: unexpected error")
        return error_message(500, "An unexpected internal error occurred.")

    # ------------------------------------------------------------------ auth

    async def login(self, request: Request) -> Response:
        core = self.core
        stats = core.stats_for(self.api)
        stats.bump("login_requests")
        if not _is_json(request):
            return error_message(415, "The request did not have \"application/json\" in the Content-Type header.")
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return error_message(400, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return error_message(400, "The request body must be an AuthenticationRequest object.")
        creds = core.credentials["toast"]
        if body.get("userAccessType") != "TOAST_MACHINE_CLIENT":
            return error_message(400, "userAccessType must be TOAST_MACHINE_CLIENT", field="userAccessType")
        if body.get("clientId") != creds["client_id"] or body.get("clientSecret") != creds["client_secret"]:
            return error_message(401, "Authentication failed: unknown client or wrong secret.")
        client = str(body["clientId"])
        now = core.now()
        per_hour = core.faults.param(self.api, "login_limit", "per_hour")
        per_hour = 2 if per_hour is None else per_hour
        history = [t for t in core.toast_logins.get(client, []) if t > now - timedelta(hours=1)]
        if len(history) >= per_hour:
            wait = (min(history) + timedelta(hours=1) - now).total_seconds() if history else 3600
            log.warning("toast sandbox: client requested %d tokens within one hour (limit %d); refusing. "
                        "Reuse a token for at least 30 minutes.", len(history) + 1, per_hour)
            stats.bump("logins_throttled")
            return error_message(429, "Too many authentication token requests. Reuse your token: request a new "
                                      "one no more than twice in a one-hour period.",
                                 headers={"Retry-After": str(max(1, math.ceil(wait)))})
        history.append(now)
        core.toast_logins[client] = history
        iat = int(now.timestamp())
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "toast-sandbox"}).encode())
        payload = _b64url(json.dumps({
            "iss": "https://toast-sandbox.invalid", "sub": client, "aud": "https://toast-api.invalid",
            "iat": iat, "exp": iat + TOKEN_TTL_S, "scope": SCOPES, "jti": str(uuid.uuid4()),
            "https://toasttab.com/client_name": "hoststand-sandbox", "https://toasttab.com/access_type": "TOAST_MACHINE_CLIENT",
        }, separators=(",", ":")).encode())
        sig = _b64url(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        token = f"{header}.{payload}.{sig}"
        core.tokens[self.api][token] = {"client_id": client, "expires": now + timedelta(seconds=TOKEN_TTL_S)}
        stats.bump("logins")
        return JSON({
            "@class": ".SuccessfulResponse",
            "token": {"tokenType": "Bearer", "scope": None, "expiresIn": TOKEN_TTL_S, "accessToken": token,
                      "idToken": None, "refreshToken": None},
            "status": "SUCCESS",
        })

    def _guard(self, request: Request) -> Response | None:
        """Bearer token, then the restaurant header. Also lands any late orders that are due."""
        self.core.land_due()
        header = request.headers.get("authorization", "")
        scheme, _, token = header.strip().partition(" ")
        info = self.core.tokens[self.api].get(token.strip()) if scheme.lower() == "bearer" else None
        if info is None:
            return error_message(401, "Authentication failed: a valid Bearer token is required.")
        if info["expires"] <= self.core.now():
            return error_message(401, "Authentication failed: the token has expired.")
        guid = request.headers.get("toast-restaurant-external-id")
        if not guid:
            return error_message(400, "The Toast-Restaurant-External-ID header is required.",
                                 field="Toast-Restaurant-External-ID")
        if guid.strip() != self.core.world.restaurant_guid:
            return error_message(403, f"The API client does not have access to restaurant {guid.strip()}.")
        return None

    # ------------------------------------------------------------------ config, labor, menus

    def config_list(self, collection: str):  # noqa: ANN201 - Starlette endpoint factory
        async def endpoint(request: Request) -> Response:
            denied = self._guard(request)
            if denied:
                return denied
            world = self.core.world
            q = request.query_params
            since = None
            if q.get("lastModified"):
                try:
                    since = parse_iso(q["lastModified"], UTC)
                except ValueError as exc:
                    return error_message(400, str(exc), field="lastModified")
            offset = 0
            if q.get("pageToken"):
                offset = self._decode_page_token(q["pageToken"], collection)
                if offset is None:
                    return error_message(400, "Invalid pageToken.", field="pageToken")
            with world.lock:
                items = [obj for guid, obj in getattr(world, collection).items()
                         if since is None or world.config_modified.get(guid, world.seeded_at) > since]
                page = items[offset: offset + CONFIG_PAGE]
                headers = {}
                if offset + CONFIG_PAGE < len(items):
                    headers["Toast-Next-Page-Token"] = self._page_token(collection, offset + CONFIG_PAGE)
                return JSON(page, headers=headers)

        return endpoint

    def config_one(self, collection: str):  # noqa: ANN201
        async def endpoint(request: Request) -> Response:
            denied = self._guard(request)
            if denied:
                return denied
            world = self.core.world
            with world.lock:
                obj = getattr(world, collection).get(request.path_params["guid"])
                if obj is None:
                    return error_message(404, f"No {collection.rstrip('s')} with GUID {request.path_params['guid']}.")
                return JSON(obj)

        return endpoint

    @staticmethod
    def _page_token(collection: str, offset: int) -> str:
        return _b64url(f"{collection}:{offset}".encode())

    @staticmethod
    def _decode_page_token(token: str, collection: str) -> int | None:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            name, _, offset = text.partition(":")
            return int(offset) if name == collection and int(offset) >= 0 else None
        except (ValueError, UnicodeDecodeError):
            return None

    async def employees(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        wanted = set(request.query_params.getlist("employeeIds"))
        world = self.core.world
        with world.lock:
            out = [e for e in world.employees.values()
                   if not wanted or e["guid"] in wanted or (e.get("externalId") and e["externalId"] in wanted)]
            return JSON(out)

    async def employee(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        world = self.core.world
        ident = request.path_params["employeeId"]
        with world.lock:
            for e in world.employees.values():
                if e["guid"] == ident or e.get("externalId") == ident:
                    return JSON(e)
        return error_message(404, f"No employee {ident}.")

    async def jobs(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        world = self.core.world
        with world.lock:
            return JSON(list(world.jobs.values()))

    async def menus(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        world = self.core.world
        with world.lock:
            return JSON(world.menu)

    # ------------------------------------------------------------------ orders: reads

    def _find_order(self, world: World, ident: str) -> dict[str, Any] | None:
        order = world.orders.get(ident)
        if order is None and ident in world.order_by_external:
            order = world.orders.get(world.order_by_external[ident])
        return order

    async def get_order(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        world = self.core.world
        ident = request.path_params["guid"]
        with world.lock:
            order = self._find_order(world, ident)
            if order is None:
                return error_message(404, f"No order with GUID or externalId {ident}.")
            return JSON(order)

    def _select(self, request: Request) -> list[str] | Response:
        world = self.core.world
        q = request.query_params
        start, end, bdate = q.get("startDate"), q.get("endDate"), q.get("businessDate")
        if bdate:
            if start or end:
                return error_message(400, "Give either startDate and endDate, or businessDate.")
            if len(bdate) != 8 or not bdate.isdigit():
                return error_message(400, "businessDate must be yyyyMMdd.", field="businessDate")
            wanted = int(bdate)
            return world.cached(("orders-bd", wanted),
                                lambda: [g for g in world.order_index.ids() if world.orders[g]["businessDate"] == wanted])
        if not (start and end):
            return error_message(400, "startDate and endDate (or businessDate) are required.")
        try:
            t0, t1 = parse_iso(start, UTC), parse_iso(end, UTC)
        except ValueError as exc:
            return error_message(400, str(exc))
        if t1 <= t0:
            return error_message(400, "endDate must be later than startDate.", field="endDate")
        return world.cached(("orders-range", t0, t1), lambda: world.order_index.ids_between(toast_ts(t0), toast_ts(t1)))

    async def orders_bulk(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        q = request.query_params
        try:
            size = min(int_param(q.get("pageSize"), BULK_PAGE_MAX, name="pageSize", minimum=1), BULK_PAGE_MAX)
            page = int_param(q.get("page"), 1, name="page", minimum=1)
        except ValueError as exc:
            return error_message(400, str(exc))
        world = self.core.world
        with world.lock:
            ids = self._select(request)
            if isinstance(ids, Response):
                return ids
            chunk = ids[(page - 1) * size: page * size]
            return JSON([world.orders[g] for g in chunk])

    async def order_guids(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        world = self.core.world
        with world.lock:
            ids = self._select(request)
            if isinstance(ids, Response):
                return ids
            return JSON(list(ids))

    # ------------------------------------------------------------------ orders: writes

    async def _json_body(self, request: Request) -> Any:
        if not _is_json(request):
            raise Refusal(415, "The request did not have \"application/json\" in the Content-Type header.")
        raw = await request.body()
        try:
            return json.loads(raw)
        except ValueError:
            raise Refusal(400, "The request body is not valid JSON.") from None

    async def post_order(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        core = self.core
        body: Any = None
        try:
            body = await self._json_body(request)
            if not isinstance(body, dict):
                raise Refusal(400, "The request body must be an Order object.")
            world, now = core.world, core.now()
            with world.lock:
                order = build_order(world, body, now)
                ext = body.get("externalId")
                late = core.faults.take(self.api, "late_landing", request.method, request.url.path)
                if late is None:
                    store_order(world, order)
                    core.note_external(ext, "created", order["guid"])
                    return JSON(order)
                core.stats_for(self.api).fault("late_landing")
                entry = core.hold_order(body, order["guid"], now + timedelta(seconds=late.params["delay_s"]))
        except Refusal as r:
            if r.status == 409:
                core.note_external(body.get("externalId") if isinstance(body, dict) else None, "refused", None)
            return error_message(r.status, r.message, field=r.field)
        return await self._hold(request, entry)

    async def _hold(self, request: Request, entry: dict[str, Any]) -> Response:
        """Give no answer: wait until the held order lands or the client gives up, then drop the connection."""
        disconnect = asyncio.ensure_future(request.receive())
        try:
            while entry["status"] == "pending":
                done, _ = await asyncio.wait({disconnect}, timeout=0.05)
                if done:
                    break
                self.core.land_due()
        finally:
            if not disconnect.done():
                disconnect.cancel()
        drop = request.scope.get("sandbox.drop")
        if drop is not None:
            drop()
            await settle()
        return Response(status_code=204)  # never reaches the client: the connection is gone

    async def add_selections(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        try:
            body = await self._json_body(request)
            if not isinstance(body, list) or not body:
                raise Refusal(400, "The request body must be a non-empty array of Selection objects.")
            world, now = self.core.world, self.core.now()
            with world.lock:
                order = world.orders.get(request.path_params["guid"])
                if order is None:
                    raise Refusal(404, f"No order with GUID {request.path_params['guid']}.")
                chk = next((c for c in order["checks"] if c["guid"] == request.path_params["checkGuid"]), None)
                if chk is None:
                    raise Refusal(404, f"No check {request.path_params['checkGuid']} on order {order['guid']}.")
                if order.get("voided") or order.get("deleted"):
                    raise Refusal(400, "Cannot add items to a voided or deleted order.")
                seen: set[str] = set()
                new = [build_selection(world, s, now, order["diningOption"], seen, f"selections[{i}]")
                       for i, s in enumerate(body)]
                chk["selections"].extend(new)
                td.recompute(chk)
                if chk["paymentStatus"] == "CLOSED" and chk["totalAmount"] > sum(p["amount"] for p in chk["payments"]):
                    chk["paymentStatus"] = "OPEN"  # Toast lets a CLOSED check go back to OPEN
                    chk["closedDate"] = None
                chk["modifiedDate"] = toast_ts(now)
                td.touch(order, now)
                world.reindex_order(order)
                return JSON(order)
        except Refusal as r:
            return error_message(r.status, r.message, field=r.field)

    async def void_order(self, request: Request) -> Response:
        denied = self._guard(request)
        if denied:
            return denied
        try:
            raw = await request.body()
            body: Any = {}
            if raw.strip():
                body = await self._json_body(request)
                if not isinstance(body, dict):
                    raise Refusal(400, "The request body must be an object.")
            world, now = self.core.world, self.core.now()
            with world.lock:
                order = world.orders.get(request.path_params["guid"])
                if order is None:
                    raise Refusal(404, f"No order with GUID {request.path_params['guid']}.")
                if order.get("voided"):
                    return JSON(order)
                paid_by_card = [p for c in order["checks"] for p in c["payments"]
                                if p.get("type") != "OTHER" and p.get("paymentStatus") != "VOIDED"]
                if paid_by_card:
                    raise Refusal(400, "Only orders with OTHER payment types can be voided.")
                void_all = bool((body.get("selections") or {}).get("voidAll"))
                void_payments = bool((body.get("payments") or {}).get("voidAll"))
                bdate = business_date_int(now, world.tz)
                for c in order["checks"]:
                    c["voided"], c["voidDate"], c["voidBusinessDate"] = True, toast_ts(now), bdate
                    c["modifiedDate"] = toast_ts(now)
                    if void_all:
                        for s in all_selections(c["selections"]):
                            s["voided"], s["voidDate"], s["voidBusinessDate"] = True, toast_ts(now), bdate
                    if void_payments:
                        for p in c["payments"]:
                            p["paymentStatus"] = "VOIDED"
                order["voided"], order["voidDate"], order["voidBusinessDate"] = True, toast_ts(now), bdate
                td.touch(order, now)
                world.reindex_order(order)
                world.release_hidden(order["guid"])
                return JSON(order)
        except Refusal as r:
            return error_message(r.status, r.message, field=r.field)

    # ------------------------------------------------------------------ admin conveniences

    def admin_close(self, guid: str, total: float | None, tip: float | None) -> tuple[int, dict[str, Any]]:
        """Pay and close an order (as if the server ran the card), optionally reaching a given total."""
        world, now = self.core.world, self.core.now()
        with world.lock:
            order = world.orders.get(guid) or self._find_order(world, guid)
            if order is None:
                return 404, {"error": "not_found", "message": f"no order {guid}"}
            if order.get("voided"):
                return 409, {"error": "conflict", "message": "order is voided"}
            open_checks = [c for c in order["checks"] if not c.get("voided")]
            if not open_checks:
                return 409, {"error": "conflict", "message": "order has no open check"}
            if total is not None:
                current = sum(c["totalAmount"] for c in open_checks)
                missing = round(total - current, 2)
                if missing < -0.005:
                    return 400, {"error": "invalid_request",
                                 "message": f"total {total:.2f} is below the checks' total {current:.2f}"}
                if missing > 0.005:
                    item_guid = td.menu_item_guid("Open Food")
                    net = round(missing / (1 + td.TAX_RATE), 2)
                    sel = td.selection(guid=str(uuid.uuid4()), item_guid=item_guid, item=world.menu_items[item_guid],
                                       quantity=1.0, now=now, dining_option=order["diningOption"],
                                       selection_type="OPEN_ITEM", unit_price=net, fulfillment_status="SENT")
                    sel["tax"] = round(missing - net, 2)
                    open_checks[0]["selections"].append(sel)
                    td.recompute(open_checks[0])
            td.close_order(order, now, world.tz, tip=tip)
            world.reindex_order(order)
            world.release_hidden(order["guid"])
            return 200, {"order": order}


# ------------------------------------------------------------------------------------ validation/build


def _ref_guid(value: Any, name: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise Refusal(400, f"{name} is required.", field=name)
        return None
    if not isinstance(value, dict) or not isinstance(value.get("guid"), str) or not value["guid"]:
        raise Refusal(400, f"{name} must be a reference with a guid.", field=name)
    return value["guid"]


def _check_external(world: World, ext: Any, kind: str, seen: set[str], field: str) -> str | None:
    if ext is None:
        return None
    if not isinstance(ext, str) or not ext:
        raise Refusal(400, f"{field}.externalId must be a non-empty string.", field=f"{field}.externalId")
    index = {"order": world.order_by_external, "check": world.check_by_external,
             "selection": world.selection_by_external}[kind]
    key = f"{kind}:{ext}"
    if ext in index or key in seen:
        raise Refusal(409, f"A {kind} with externalId '{ext}' already exists.", field=f"{field}.externalId")
    seen.add(key)
    return ext


def build_selection(world: World, body: Any, now: datetime, dining_option: dict[str, Any], seen: set[str],
                    field: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refusal(400, f"{field} must be a Selection object.", field=field)
    sel_type = body.get("selectionType") or "NONE"
    if sel_type == "SPECIAL_REQUEST":
        raise Refusal(400, f"{field}: a special request must be a modifier of a menu item selection.", field=field)
    if sel_type not in ("NONE", "OPEN_ITEM"):
        raise Refusal(400, f"{field}: selectionType {sel_type} is not supported by this API.", field=field)
    item_guid = _ref_guid(body.get("item"), f"{field}.item", required=True)
    item = world.menu_items.get(item_guid or "")
    if item is None:
        raise Refusal(404, f"Menu item {item_guid} does not exist at this restaurant.", field=f"{field}.item")
    group_guid = _ref_guid(body.get("itemGroup"), f"{field}.itemGroup", required=True)
    if group_guid not in world.menu_groups:
        raise Refusal(404, f"Menu group {group_guid} does not exist at this restaurant.", field=f"{field}.itemGroup")
    if group_guid != item["group_guid"]:
        raise Refusal(400, f"Menu item {item_guid} is not in menu group {group_guid}.", field=f"{field}.itemGroup")
    qty = body.get("quantity")
    if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty <= 0:
        raise Refusal(400, f"{field}.quantity is required and must be positive.", field=f"{field}.quantity")
    ext = _check_external(world, body.get("externalId"), "selection", seen, field)
    unit = None
    if item["group"] == "Open Items":
        amount = body.get("openPriceAmount", 0.0)
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            raise Refusal(400, f"{field}.openPriceAmount must be a non-negative amount.", field=field)
        unit = float(amount)
    mods_in = body.get("modifiers") or []
    if not isinstance(mods_in, list):
        raise Refusal(400, f"{field}.modifiers must be an array.", field=f"{field}.modifiers")
    mods = []
    for j, m in enumerate(mods_in):
        mfield = f"{field}.modifiers[{j}]"
        if not isinstance(m, dict):
            raise Refusal(400, f"{mfield} must be a Selection object.", field=mfield)
        if m.get("selectionType") != "SPECIAL_REQUEST":
            raise Refusal(400, f"{mfield}: this menu item has no modifier groups; only SPECIAL_REQUEST modifiers "
                               "are accepted.", field=mfield)
        text = m.get("displayName")
        if not isinstance(text, str) or not text.strip():
            raise Refusal(400, f"{mfield}.displayName is required for a special request.", field=f"{mfield}.displayName")
        mext = _check_external(world, m.get("externalId"), "selection", seen, mfield)
        mods.append(td.selection(guid=str(uuid.uuid4()), item_guid=None, item=None, quantity=float(m.get("quantity") or 1),
                                 now=now, dining_option=dining_option, external_id=mext,
                                 selection_type="SPECIAL_REQUEST", display_name=text, unit_price=0.0))
    return td.selection(guid=str(uuid.uuid4()), item_guid=item_guid, item=item, quantity=float(qty), now=now,
                        dining_option=dining_option, external_id=ext, modifiers=mods,
                        selection_type=sel_type, unit_price=unit)


def build_order(world: World, body: dict[str, Any], now: datetime, guid: str | None = None) -> dict[str, Any]:
    """Validate a POST /orders body against the world and build the Order Toast would return."""
    seen: set[str] = set()
    ext = _check_external(world, body.get("externalId"), "order", seen, "order")
    dining_guid = _ref_guid(body.get("diningOption"), "diningOption", required=True)
    dining = world.dining_options.get(dining_guid or "")
    if dining is None:
        raise Refusal(404, f"Dining option {dining_guid} does not exist at this restaurant.", field="diningOption")
    table = None
    table_guid = _ref_guid(body.get("table"), "table", required=False)
    if table_guid is not None:
        table = world.tables.get(table_guid)
        if table is None:
            raise Refusal(404, f"Table {table_guid} does not exist at this restaurant.", field="table")
    server_guid = _ref_guid(body.get("server"), "server", required=False)
    if server_guid is not None and server_guid not in world.employees:
        raise Refusal(404, f"Employee {server_guid} does not exist at this restaurant.", field="server")
    rc_guid = _ref_guid(body.get("revenueCenter"), "revenueCenter", required=False)
    if rc_guid is not None and rc_guid not in world.revenue_centers:
        raise Refusal(404, f"Revenue center {rc_guid} does not exist at this restaurant.", field="revenueCenter")
    guests = body.get("numberOfGuests", 1)
    if guests is not None and (isinstance(guests, bool) or not isinstance(guests, int) or guests < 0):
        raise Refusal(400, "numberOfGuests must be a non-negative integer.", field="numberOfGuests")
    checks_in = body.get("checks")
    if not isinstance(checks_in, list) or not checks_in:
        raise Refusal(400, "checks is required and must hold at least one Check.", field="checks")
    if len(checks_in) > MAX_CHECKS:
        raise Refusal(413, f"The number of checks exceeds the limit of {MAX_CHECKS}.", field="checks")
    dining_ref = td.ref(dining["guid"], "DiningOption")
    server_ref = td.ref(server_guid, "RestaurantUser") if server_guid else None
    bdate = business_date_int(now, world.tz)
    checks = []
    for i, c in enumerate(checks_in):
        field = f"checks[{i}]"
        if not isinstance(c, dict):
            raise Refusal(400, f"{field} must be a Check object.", field=field)
        cext = _check_external(world, c.get("externalId"), "check", seen, field)
        tab = c.get("tabName")
        if tab is not None and (not isinstance(tab, str) or len(tab) > TAB_NAME_MAX):
            raise Refusal(400, f"{field}.tabName must be a string of at most {TAB_NAME_MAX} characters.",
                          field=f"{field}.tabName")
        if "selections" not in c or not isinstance(c["selections"], list):
            raise Refusal(400, f"{field}.selections is required (it may be empty).", field=f"{field}.selections")
        cust = c.get("customer")
        cust_obj = None
        if cust is not None:
            if not isinstance(cust, dict):
                raise Refusal(400, f"{field}.customer must be a Customer object.", field=f"{field}.customer")
            for key in ("firstName", "lastName", "phone", "email"):
                if not isinstance(cust.get(key), str) or not cust[key].strip():
                    raise Refusal(400, f"{field}.customer.{key} is required.", field=f"{field}.customer.{key}")
            cust_obj = td.customer(str(uuid.uuid4()), cust)
        sels = [build_selection(world, s, now, dining_ref, seen, f"{field}.selections[{j}]")
                for j, s in enumerate(c["selections"])]
        display = c.get("displayNumber") if isinstance(c.get("displayNumber"), str) else None
        checks.append(td.check(guid=str(uuid.uuid4()), now=now, display_number=display or "", external_id=cext,
                               tab_name=tab, customer_obj=cust_obj, selections=sels, opened_by=server_ref))
    number = world.next_display_number(bdate)
    for chk in checks:
        if not chk["displayNumber"]:
            chk["displayNumber"] = number
    area_ref = rc_ref = None
    if table is not None:
        area_ref = td.ref(table["serviceArea"]["guid"], "ServiceArea")
        rc_ref = td.ref(table["revenueCenter"]["guid"], "RevenueCenter")
    if rc_guid is not None:
        rc_ref = td.ref(rc_guid, "RevenueCenter")
    return td.order(
        guid=guid or str(uuid.uuid4()), now=now, tz=world.tz, display_number=number, dining_option=dining_ref,
        checks=checks, table=td.ref(table["guid"], "Table") if table else None, service_area=area_ref,
        revenue_center=rc_ref, server=server_ref, restaurant_service=world.restaurant_service,
        number_of_guests=guests, external_id=ext, source="API",
    )


def store_order(world: World, order: dict[str, Any]) -> None:
    """Persist a new order; hide it behind an open order already at its table (Toast's documented rule)."""
    if order.get("table"):
        ahead = [o for o in world.open_orders_at_table(order["table"]["guid"], exclude=order["guid"])
                 if o["guid"] not in world.hidden_orders]
        if ahead:
            world.hidden_orders[order["guid"]] = ahead[0]["guid"]
    world.put_order(order)


def land(world: World, entry: dict[str, Any], body: dict[str, Any], now: datetime) -> None:
    """A held (late-landing) order reaches the POS now, unless Toast would now refuse it."""
    try:
        order = build_order(world, body, now, guid=entry["order_guid"])
    except Refusal as r:
        entry["status"] = "refused"
        entry["reason"] = r.message
        return
    store_order(world, order)
    entry["status"] = "landed"
    entry["landed_at"] = iso_z(now)
