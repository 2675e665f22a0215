"""OpenTable simulator: OAuth client credentials, Sync API v2 reads, the (assumed) `resoupdate` and `pos-data` writes.

Documented (vendor-contracts §3.1, OpenTable's own docs): the token call
`POST /api/v2/oauth/token?grant_type=client_credentials` with HTTP Basic client credentials and its
response shape; `Authorization: bearer <token>`; the auth errors (400 `invalid_request` "oauth token is
required", 401 `invalid_token`, 403 `no_rid_routing` "No routing for RID:888"); `X-Request-Id` on every
POST/PUT/PATCH "to ensure idempotent message processing in case of a retry".
Medium confidence (§3.2, agreeing third-party clients): the Sync v2 paths, the query parameters
(`rid, limit, offset, updated_after, scheduled_time_from, scheduled_time_to, state, confirmation_id,
guest_id`), the snake_case record fields and the `{"items", "hasNextPage", ...}` envelope, max page 1000.

Assumed, and labelled so:
- In production the token comes from `oauth.opentable.com`; here every path is on one port, and the token
  call needs no `X-Request-Id` (it is an OAuth call, not a Sync write).
- Envelope extras `offset`, `limit`, `total_count`; order of items: (`updated_at_utc`, `id`);
  `updated_after` is strictly greater; a parameter without an offset is UTC for `updated_after` and
  restaurant-local for `scheduled_time_from/_to` (like `scheduled_time`); `scheduled_time_from` is
  inclusive, `scheduled_time_to` exclusive; `GET /sync/v2/reservations/{id}` and `/guests/{id}` exist
  (the records' `href` points at them).
- The write `POST /resoupdate/resoupdate` is modelled on OpenTable's documented legacy partner push
  (`ConfirmationNumber, DateTime, PartySize, ReservationState, RID, SequenceNumber, ServerName,
  UpdateDT_UTC`) with one extension, `TableNumbers` (which tables). It sets the state, party size,
  server, tables and the seated/done times (from `UpdateDT_UTC`, the moment it happened at the host
  stand), and bumps `sequence_id` / `updated_at`. Transitions: see `opentable_data.ALLOWED`.
  `SequenceNumber` is recorded, not enforced.
- `GET /sync/v2/pos-data?rid=&scheduled_time_from=` is the documented read (§3.2 field names: `id, rid,
  guest_id, confirmation_id, currency_code, currency_denominator, check_ids, pos_sub_total, pos_tax,
  pos_tip, pos_total_spend, pos_order_items[{name, quantity, comment, ticket_item_modifiers}]`); assumed:
  the envelope and filters of the reservations read (`scheduled_time_to`, `updated_after`,
  `confirmation_id`, `limit`, `offset`), and the extra fields `reservation_id`, `covers`, `comps`,
  `scheduled_time(_utc)`, `sequence_id`, `created_date(_utc)`, `updated_at(_utc)`.
- The write `POST /sync/v2/pos-data` (X-Request-Id like every write) is assumed: OpenTable publishes no
  partner write for POS data. Body: `rid`, `confirmation_id` (the confirmation number; a reservation
  `id` string is accepted in its place) or `reservation_id`, `check_ids` (strings), `pos_sub_total`,
  `pos_tax`, `pos_tip`, `pos_total_spend`, `comps` (all integers in minor units: 12345 with
  `currency_denominator` 100 is $123.45; a float is refused with 400), `covers`, `currency_code`
  (default USD), `currency_denominator` (default 100), `pos_order_items`. One record per reservation: a
  later post replaces it (same `id`, `sequence_id` + 1). The reservation's own `pos_data` field (listed in
  §3.2) then holds the totals, and the reservation's `sequence_id` / `updated_at` move. A cancelled or
  no-show reservation refuses POS data (409 `conflict`); any other state takes it.
- Idempotency: a repeated `X-Request-Id` with the same method, path and JSON body returns the stored
  original response without applying anything; with a different body, 409 `request_id_reused`.
- Rate limit: OpenTable publishes none; the sandbox allows 50 requests per second (fixed one-second
  slices) and answers 429 `{"error": "rate_limited"}` with `Retry-After`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
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

from . import opentable_data as otd
from .common import JSON, UTC, canonical_json, int_param, iso_z, local_naive, parse_iso, stable_guid
from .ratelimit import FixedWindow

if TYPE_CHECKING:
    from .core import SandboxCore

log = logging.getLogger("hoststand.sandbox")

TOKEN_TTL_S = 2419181
DEFAULT_PER_SECOND = 50
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
WRITE_METHODS = ("POST", "PUT", "PATCH")


def ot_error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> JSON:
    return JSON({"error": error, "message": message}, status_code=status, headers=headers)


_ERROR_WORDS = {400: "invalid_request", 401: "invalid_token", 403: "forbidden", 404: "not_found",
                409: "conflict", 429: "rate_limited", 500: "internal_error", 502: "bad_gateway",
                503: "service_unavailable", 504: "gateway_timeout"}


class OpenTableSim:
    api = "opentable"

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.limiter = FixedWindow(DEFAULT_PER_SECOND, 1.0)
        routes = [
            Route("/api/v2/oauth/token", self.token, methods=["POST"]),
            Route("/sync/v2/reservations", self.list_reservations, methods=["GET"]),
            Route("/sync/v2/reservations/{ident}", self.get_reservation, methods=["GET"]),
            Route("/sync/v2/guests", self.list_guests, methods=["GET"]),
            Route("/sync/v2/guests/{ident}", self.get_guest, methods=["GET"]),
            Route("/resoupdate/resoupdate", self.resoupdate, methods=["POST"]),
            Route("/sync/v2/pos-data", self.list_pos_data, methods=["GET"]),
            Route("/sync/v2/pos-data", self.post_pos_data, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_exception,
                                                                 Exception: self._crash})

    # ------------------------------------------------------------------ gate hooks

    def endpoint_key(self, scope: Scope) -> str:
        for route in self.app.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return f"{scope['method']} {route.path}"  # type: ignore[attr-defined]
        return f"{scope['method']} (unknown path)"

    def error_response(self, status: int, message: str) -> Response:
        return ot_error(status, _ERROR_WORDS.get(status, "error"), message)

    def rate_limit(self, scope: Scope) -> tuple[Response | None, list[tuple[bytes, bytes]]]:
        per_second = self.core.faults.param(self.api, "rate_limit", "per_second", scope["method"], scope["path"])
        verdict = self.limiter.hit("all", limit=per_second or DEFAULT_PER_SECOND)
        if verdict.allowed:
            return None, []
        retry = str(max(1, math.ceil(verdict.retry_after)))
        return ot_error(429, "rate_limited", "Too many requests", {"Retry-After": retry}), []

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = "No such endpoint" if status == 404 else ("Method not allowed" if status == 405 else str(exc))
        return ot_error(status, _ERROR_WORDS.get(status, "invalid_request"), detail)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.exception("opentable sandbox: unexpected error")
        return ot_error(500, "internal_error", "unexpected sandbox error")

    # ------------------------------------------------------------------ auth

    async def token(self, request: Request) -> Response:
        core = self.core
        core.stats_for(self.api).bump("token_requests")
        grant = request.query_params.get("grant_type")
        if grant is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            grant = str(form.get("grant_type") or "") or None
        if grant != "client_credentials":
            return ot_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        client_id = secret = None
        if scheme.lower() == "basic" and value:
            try:
                client_id, _, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        creds = core.credentials["opentable"]
        if client_id is None:
            return ot_error(401, "invalid_client", "HTTP Basic client credentials are required")
        if client_id != creds["client_id"] or secret != creds["client_secret"]:
            return ot_error(401, "invalid_client", "Bad client credentials")
        token = str(uuid.uuid4())
        core.tokens[self.api][token] = {"client_id": client_id, "expires": core.now() + timedelta(seconds=TOKEN_TTL_S)}
        core.stats_for(self.api).bump("tokens_issued")
        return JSON({"access_token": token, "token_type": "bearer", "expires_in": TOKEN_TTL_S, "scope": "DEFAULT"})

    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization")
        if not header:
            return ot_error(400, "invalid_request", "oauth token is required")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ot_error(400, "invalid_request", "oauth token is required")
        info = self.core.tokens[self.api].get(token.strip())
        if info is None:
            return ot_error(401, "invalid_token", "Invalid access token")
        if info["expires"] <= self.core.now():
            return ot_error(401, "invalid_token", "Access token expired")
        return None

    def _rid(self, value: Any) -> Response | None:
        if value is None or value == "":
            return ot_error(400, "invalid_request", "rid is required")
        try:
            rid = int(str(value))
        except ValueError:
            return ot_error(400, "invalid_request", "rid must be an integer")
        if rid != self.core.world.rid:
            return ot_error(403, "no_rid_routing", f"No routing for RID:{rid}")
        return None

    # ------------------------------------------------------------------ reads

    def _paging(self, request: Request) -> tuple[int, int]:
        q = request.query_params
        limit = min(int_param(q.get("limit"), DEFAULT_LIMIT, name="limit", minimum=1), MAX_LIMIT)
        offset = int_param(q.get("offset"), 0, name="offset", minimum=0)
        return limit, offset

    async def list_reservations(self, request: Request) -> Response:
        denied = self._auth(request) or self._rid(request.query_params.get("rid"))
        if denied:
            return denied
        q = request.query_params
        world = self.core.world
        try:
            limit, offset = self._paging(request)
            after = iso_z(parse_iso(q["updated_after"], UTC)) if q.get("updated_after") else None
            t_from = parse_iso(q["scheduled_time_from"], world.tz) if q.get("scheduled_time_from") else None
            t_to = parse_iso(q["scheduled_time_to"], world.tz) if q.get("scheduled_time_to") else None
            conf = int(q["confirmation_id"]) if q.get("confirmation_id") else None
        except ValueError as exc:
            return ot_error(400, "invalid_request", str(exc))
        states = None
        if q.get("state"):
            states = frozenset(s.strip().lower() for s in q["state"].split(",") if s.strip())
            unknown = states - {s.lower() for s in otd.STATES}
            if unknown:
                return ot_error(400, "invalid_request", f"unknown state: {', '.join(sorted(unknown))}")
        guest_id = q.get("guest_id") or None

        def compute() -> list[str]:
            out = []
            for ident in world.res_index.ids(after):
                res = world.reservations[ident]
                start = world.res_start[ident]
                if t_from is not None and start < t_from:
                    continue
                if t_to is not None and start >= t_to:
                    continue
                if states is not None and res["state"].lower() not in states:
                    continue
                if conf is not None and int(res["confirmation_id"]) != conf:
                    continue
                if guest_id is not None and res["guest_id"] != guest_id:
                    continue
                out.append(ident)
            return out

        base = str(request.base_url)
        with world.lock:
            ids = world.cached(("reservations", after, t_from, t_to, states, conf, guest_id), compute)
            page = ids[offset: offset + limit]
            items = [otd.with_href(world.reservations[i], base, "reservations") for i in page]
            return JSON({"items": items, "hasNextPage": offset + len(page) < len(ids), "offset": offset,
                         "limit": limit, "total_count": len(ids)})

    async def list_guests(self, request: Request) -> Response:
        denied = self._auth(request) or self._rid(request.query_params.get("rid"))
        if denied:
            return denied
        q = request.query_params
        world = self.core.world
        try:
            limit, offset = self._paging(request)
            after = iso_z(parse_iso(q["updated_after"], UTC)) if q.get("updated_after") else None
        except ValueError as exc:
            return ot_error(400, "invalid_request", str(exc))
        base = str(request.base_url)
        with world.lock:
            ids = world.cached(("guests", after), lambda: world.guest_index.ids(after))
            page = ids[offset: offset + limit]
            items = [otd.with_href(world.guests[i], base, "guests") for i in page]
            return JSON({"items": items, "hasNextPage": offset + len(page) < len(ids), "offset": offset,
                         "limit": limit, "total_count": len(ids)})

    async def get_reservation(self, request: Request) -> Response:
        return self._get_one(request, "reservations")

    async def get_guest(self, request: Request) -> Response:
        return self._get_one(request, "guests")

    def _get_one(self, request: Request, kind: str) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        world = self.core.world
        with world.lock:
            record = getattr(world, kind).get(request.path_params["ident"])
            if record is None:
                return ot_error(404, "not_found", f"No such {kind[:-1]}")
            return JSON(otd.with_href(record, str(request.base_url), kind))

    # ------------------------------------------------------------------ writes

    async def resoupdate(self, request: Request) -> Response:
        return await self._idempotent_write(request, self._apply_resoupdate, "ConfirmationNumber")

    async def post_pos_data(self, request: Request) -> Response:
        return await self._idempotent_write(request, self._apply_pos_data, "confirmation_id")

    async def _idempotent_write(self, request: Request, apply: Any, number_field: str) -> Response:
        """A write with OpenTable's `X-Request-Id`: a replay gets the stored answer, a reuse with another body 409."""
        denied = self._auth(request)
        if denied:
            return denied
        request_id = (request.headers.get("x-request-id") or "").strip()
        if not request_id:
            return ot_error(400, "invalid_request", "X-Request-Id header is required on POST, PUT and PATCH")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
            fingerprint_body = canonical_json(body)
        except ValueError:
            body, fingerprint_body = None, raw.decode("utf-8", "replace")
        endpoint = f"{request.method} {request.url.path}"
        fingerprint = hashlib.sha256(f"{endpoint}\n{fingerprint_body}".encode()).hexdigest()[:16]
        core, world = self.core, self.core.world
        now = core.now()
        with world.lock:
            records = core.idempotency
            rec = records.get(request_id)
            if rec is not None:
                rec["times_seen"] += 1
                rec["last_seen"] = iso_z(now)
                if rec["fingerprint"] != fingerprint:
                    rec["conflicts"] += 1
                    return ot_error(409, "request_id_reused",
                                    "X-Request-Id was already used for a different request")
                rec["replays"] += 1
                return JSON(rec["response"], status_code=rec["status"])
            if not isinstance(body, dict):
                status, payload, applied = 400, {"error": "invalid_request", "message": "body must be a JSON object"}, False
            else:
                status, payload, applied = apply(body, now)
            records[request_id] = {
                "request_id": request_id, "endpoint": endpoint, "fingerprint": fingerprint, "status": status,
                "response": payload, "times_seen": 1, "times_applied": 1 if applied else 0, "replays": 0,
                "conflicts": 0, "first_seen": iso_z(now), "last_seen": iso_z(now),
                "confirmation_number": body.get(number_field) if isinstance(body, dict) else None,
            }
            return JSON(payload, status_code=status)

    def _apply_resoupdate(self, body: dict[str, Any], now: datetime) -> tuple[int, dict[str, Any], bool]:
        world = self.core.world

        def bad(message: str) -> tuple[int, dict[str, Any], bool]:
            return 400, {"error": "invalid_request", "message": message}, False

        rid = body.get("RID")
        if rid is None:
            return bad("RID is required")
        if str(rid) != str(world.rid):
            return 403, {"error": "no_rid_routing", "message": f"No routing for RID:{rid}"}, False
        number = body.get("ConfirmationNumber")
        if isinstance(number, bool) or not (isinstance(number, int) or (isinstance(number, str) and number.isdigit())):
            return bad("ConfirmationNumber must be an integer")
        state = body.get("ReservationState")
        if state not in otd.STATES:
            return bad(f"ReservationState must be one of {', '.join(otd.STATES)}")
        party = body.get("PartySize")
        if party is not None and (isinstance(party, bool) or not isinstance(party, int) or party < 1):
            return bad("PartySize must be a positive integer")
        seq = body.get("SequenceNumber")
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
            return bad("SequenceNumber must be a non-negative integer")
        when_text = body.get("DateTime")
        if when_text is not None:
            try:
                datetime.strptime(str(when_text), "%Y-%m-%d %H:%M")
            except ValueError:
                return bad("DateTime must be 'YYYY-MM-DD HH:MM' (restaurant local time)")
        event_time = now
        if body.get("UpdateDT_UTC") is not None:
            try:
                event_time = min(parse_iso(str(body["UpdateDT_UTC"]), UTC), now)
            except ValueError:
                return bad("UpdateDT_UTC must be an ISO-8601 date-time")
        tables = body.get("TableNumbers")
        if tables is not None:
            if not isinstance(tables, list) or not all(isinstance(t, str) and t.strip() for t in tables):
                return bad("TableNumbers must be a list of table names")
            unknown = [t for t in tables if t not in world.ot_tables]
            if unknown:
                return bad(f"unknown table(s): {', '.join(unknown)}")
        server = body.get("ServerName")
        if server is not None and not isinstance(server, str):
            return bad("ServerName must be a string")

        res = world.reservation_by_confirmation(int(number))
        if res is None:
            return 404, {"error": "not_found", "message": f"Reservation {number} not found"}, False
        current = res["state"]
        if state not in otd.ALLOWED[current]:
            return bad(f"cannot change a {current} reservation to {state}")
        tz = world.tz
        if state == "Seated":
            if current != "Seated" or res["seated_time_utc"] is None:
                otd.set_time(res, "seated_time", event_time, tz)
            if res["arrived_time_utc"] is None:
                otd.set_time(res, "arrived_time", event_time, tz)
            otd.set_time(res, "done_time", None, tz)
        elif state in ("Done", "AssumedSeated"):
            if res["seated_time_utc"] is None:
                otd.set_time(res, "seated_time", event_time, tz)
            if state == "Done" and (current != "Done" or res["done_time_utc"] is None):
                otd.set_time(res, "done_time", event_time, tz)
        elif state == "Pending" and current in ("Seated", "AssumedSeated"):
            otd.set_time(res, "seated_time", None, tz)
        res["state"] = state
        if party is not None:
            res["party_size"] = party
        if tables is not None:
            res["table_number"] = list(tables)
        if server is not None:
            res["server"] = server or None
        world.touch_reservation(res, now)
        return 200, {"status": "OK"}, True

    # ------------------------------------------------------------------ pos-data (assumed write, documented read)

    def _apply_pos_data(self, body: dict[str, Any], now: datetime) -> tuple[int, dict[str, Any], bool]:
        """Store what the POS closed a visit with; one record per reservation, a later post replaces it."""
        world = self.core.world

        def bad(message: str) -> tuple[int, dict[str, Any], bool]:
            return 400, {"error": "invalid_request", "message": message}, False

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        rid = body.get("rid")
        if rid is None:
            return bad("rid is required")
        if str(rid) != str(world.rid):
            return 403, {"error": "no_rid_routing", "message": f"No routing for RID:{rid}"}, False
        conf, res_id = body.get("confirmation_id"), body.get("reservation_id")
        res = None
        if conf is not None:
            if is_int(conf) or (isinstance(conf, str) and conf.strip().isdigit()):
                res = world.reservation_by_confirmation(int(conf))
            elif isinstance(conf, str) and conf.strip():
                res = world.reservations.get(conf.strip())  # a reservation id given in its place
            else:
                return bad("confirmation_id must be a confirmation number")
        elif res_id is not None:
            if not isinstance(res_id, str) or not res_id.strip():
                return bad("reservation_id must be a reservation id")
            res = world.reservations.get(res_id.strip())
        else:
            return bad("confirmation_id (or reservation_id) is required")
        if res is None:
            wanted = conf if conf is not None else res_id
            return 404, {"error": "not_found", "message": f"Reservation {wanted} not found"}, False
        amounts: dict[str, int] = {}
        for key, required in (("pos_sub_total", True), ("pos_total_spend", True), ("pos_tax", False),
                              ("pos_tip", False), ("comps", False)):
            value = body.get(key)
            if value is None:
                if required:
                    return bad(f"{key} is required")
                value = 0
            if not is_int(value) or value < 0:
                return bad(f"{key} must be a non-negative integer in minor units (see currency_denominator)")
            amounts[key] = value
        covers = body.get("covers")
        if covers is not None and (not is_int(covers) or covers < 0):
            return bad("covers must be a non-negative integer")
        check_ids = body.get("check_ids", [])
        if not isinstance(check_ids, list) or not all(isinstance(c, str) and c for c in check_ids):
            return bad("check_ids must be a list of check ids (strings)")
        currency = body.get("currency_code", "USD")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            return bad("currency_code must be an ISO 4217 code such as USD")
        denominator = body.get("currency_denominator", 100)
        if denominator not in (1, 10, 100, 1000) or isinstance(denominator, bool):
            return bad("currency_denominator must be 1, 10, 100 or 1000")
        items_in = body.get("pos_order_items", [])
        if not isinstance(items_in, list):
            return bad("pos_order_items must be a list")
        items = []
        for i, item in enumerate(items_in):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
                return bad(f"pos_order_items[{i}].name is required")
            qty = item.get("quantity", 1)
            if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty <= 0:
                return bad(f"pos_order_items[{i}].quantity must be a positive number")
            comment = item.get("comment")
            if comment is not None and not isinstance(comment, str):
                return bad(f"pos_order_items[{i}].comment must be a string or null")
            mods = item.get("ticket_item_modifiers") or []
            if not isinstance(mods, list):
                return bad(f"pos_order_items[{i}].ticket_item_modifiers must be a list")
            items.append({"name": item["name"], "quantity": qty, "comment": comment, "ticket_item_modifiers": mods})
        if res["state"] in ("Cancelled", "NoShow"):
            why = f"reservation {res['confirmation_id']} is {res['state']}: no visit to attach POS data to"
            return 409, {"error": "conflict", "message": why}, False
        ident = stable_guid("opentable", "pos-data", res["id"])
        previous = world.pos_data.get(ident)
        record: dict[str, Any] = {
            "id": ident,
            "rid": world.rid,
            "guest_id": res["guest_id"],
            "confirmation_id": res["confirmation_id"],
            "reservation_id": res["id"],
            "currency_code": currency.upper(),
            "currency_denominator": denominator,
            "check_ids": list(check_ids),
            **amounts,
            "covers": covers,
            "pos_order_items": items,
            "scheduled_time": res["scheduled_time"],
            "scheduled_time_utc": res["scheduled_time_utc"],
            "sequence_id": (previous["sequence_id"] + 1) if previous else 1,
        }
        otd.set_time(record, "created_date", parse_iso(previous["created_date_utc"]) if previous else now, world.tz)
        record["updated_at"] = local_naive(now, world.tz, millis=True)
        record["updated_at_utc"] = iso_z(now)
        world.put_pos_data(record)
        res["pos_data"] = {k: record[k] for k in ("id", "check_ids", "covers", "pos_sub_total", "pos_tax", "pos_tip",
                                                   "pos_total_spend", "comps", "currency_code", "currency_denominator")}
        world.touch_reservation(res, now)
        return 200, {"status": "OK", "pos_data": record}, True

    async def list_pos_data(self, request: Request) -> Response:
        denied = self._auth(request) or self._rid(request.query_params.get("rid"))
        if denied:
            return denied
        q = request.query_params
        world = self.core.world
        try:
            limit, offset = self._paging(request)
            after = iso_z(parse_iso(q["updated_after"], UTC)) if q.get("updated_after") else None
            t_from = parse_iso(q["scheduled_time_from"], world.tz) if q.get("scheduled_time_from") else None
            t_to = parse_iso(q["scheduled_time_to"], world.tz) if q.get("scheduled_time_to") else None
            conf = int(q["confirmation_id"]) if q.get("confirmation_id") else None
        except ValueError as exc:
            return ot_error(400, "invalid_request", str(exc))
        with world.lock:
            ids = []
            for ident in world.pos_data_index.ids(after):
                rec = world.pos_data[ident]
                start = parse_iso(rec["scheduled_time_utc"])
                if (t_from is not None and start < t_from) or (t_to is not None and start >= t_to):
                    continue
                if conf is not None and int(rec["confirmation_id"]) != conf:
                    continue
                ids.append(ident)
            page = ids[offset: offset + limit]
            return JSON({"items": [world.pos_data[i] for i in page], "hasNextPage": offset + len(page) < len(ids),
                         "offset": offset, "limit": limit, "total_count": len(ids)})

    # ------------------------------------------------------------------ admin conveniences

    def admin_reservation(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Create, modify or cancel a reservation as if done online (bumps sequence_id/updated_at)."""
        world, now = self.core.world, self.core.now()
        action = body.get("action")
        if action not in ("create", "modify", "cancel"):
            return 400, {"error": "invalid_request", "message": "action must be create, modify or cancel"}
        with world.lock:
            if action == "create":
                return self._admin_create(body, now)
            res = None
            if body.get("id"):
                res = world.reservations.get(str(body["id"]))
            elif body.get("confirmation_id") is not None:
                try:
                    res = world.reservation_by_confirmation(int(body["confirmation_id"]))
                except (TypeError, ValueError):
                    res = None
            if res is None:
                return 404, {"error": "not_found", "message": "reservation not found (give id or confirmation_id)"}
            if action == "cancel":
                if res["state"] not in ("Pending", "Seated", "AssumedSeated", "NoShow", "Cancelled"):
                    return 409, {"error": "conflict", "message": f"a {res['state']} reservation cannot be cancelled"}
                res["state"] = "Cancelled"
                world.touch_reservation(res, now)
                return 200, {"reservation": res}
            if action == "modify":
                changes = body.get("changes") or {}
                if not isinstance(changes, dict):
                    return 400, {"error": "invalid_request", "message": "changes must be an object"}
                err = self._apply_changes(res, changes, now)
                if err:
                    return 400, {"error": "invalid_request", "message": err}
                world.touch_reservation(res, now)
                return 200, {"reservation": res}
        return 400, {"error": "invalid_request", "message": "action must be create, modify or cancel"}

    def _apply_changes(self, res: dict[str, Any], changes: dict[str, Any], now: datetime) -> str | None:
        """Apply a guest's online change; everything is checked first, so a refused change changes nothing."""
        world = self.core.world
        allowed = {"party_size", "scheduled_time", "guest_request", "venue_notes", "opentable_notes", "visit_tags",
                   "table_number", "server", "state"}
        unknown = set(changes) - allowed
        if unknown:
            return f"cannot change: {', '.join(sorted(unknown))}"
        start = None
        if "party_size" in changes:
            p = changes["party_size"]
            if isinstance(p, bool) or not isinstance(p, int) or p < 1:
                return "party_size must be a positive integer"
        if "scheduled_time" in changes:
            try:
                start = parse_iso(str(changes["scheduled_time"]), world.tz)
            except ValueError as exc:
                return str(exc)
        if "table_number" in changes:
            tables = changes["table_number"]
            if not isinstance(tables, list) or any(t not in world.ot_tables for t in tables):
                return "table_number must list known table names"
        if "visit_tags" in changes and not isinstance(changes["visit_tags"], list):
            return "visit_tags must be a list"
        if "state" in changes and changes["state"] not in otd.STATES:
            return f"state must be one of {', '.join(otd.STATES)}"
        for key in ("guest_request", "venue_notes", "opentable_notes", "server"):
            if key in changes and changes[key] is not None and not isinstance(changes[key], (str, int, float)):
                return f"{key} must be text or null"
        if "party_size" in changes:
            res["party_size"] = changes["party_size"]
        if start is not None:
            otd.set_time(res, "scheduled_time", start, world.tz)
            world.res_start[res["id"]] = start
        if "table_number" in changes:
            res["table_number"] = list(changes["table_number"])
        if "visit_tags" in changes:
            res["visit_tags"] = [str(t) for t in changes["visit_tags"]]
        if "state" in changes:
            res["state"] = changes["state"]
        for key in ("guest_request", "venue_notes", "opentable_notes", "server"):
            if key in changes:
                res[key] = None if changes[key] is None else str(changes[key])
        return None

    def _admin_create(self, body: dict[str, Any], now: datetime) -> tuple[int, dict[str, Any]]:
        world = self.core.world
        try:
            start = parse_iso(str(body["scheduled_time"]), world.tz)
        except (KeyError, ValueError):
            return 400, {"error": "invalid_request", "message": "scheduled_time (ISO, local if no offset) is required"}
        party = body.get("party_size", 2)
        if isinstance(party, bool) or not isinstance(party, int) or party < 1:
            return 400, {"error": "invalid_request", "message": "party_size must be a positive integer"}
        tables = body.get("table_number") or []
        if not isinstance(tables, list) or any(t not in world.ot_tables for t in tables):
            return 400, {"error": "invalid_request", "message": "table_number must list known table names"}
        g = body.get("guest") or {}
        if not isinstance(g, dict) or not g.get("last_name"):
            return 400, {"error": "invalid_request", "message": "guest.last_name is required"}
        n = len(world.reservations) + 1
        while True:
            ident = stable_guid("opentable", "reservation", "online", world.seed, world.service_date, n)
            if ident not in world.reservations:
                break
            n += 1
        confirmation = max(world.res_by_confirmation, default=0) + 1
        guest_id = g.get("id")
        if guest_id and guest_id in world.guests:
            guest = world.guests[guest_id]
        else:
            guest = otd.guest(
                rid=world.rid, ident=stable_guid("opentable", "guest", "online", ident), gpid=900_000_000_000 + n,
                first_name=str(g.get("first_name") or ""), last_name=str(g["last_name"]), email=g.get("email"),
                phone=g.get("phone"), phone_type=g.get("phone_type", "Mobile"), tags=list(g.get("tags") or []),
                created=now, updated=now, tz=world.tz, notes=g.get("notes"),
                notes_food_and_drink=g.get("notes_food_and_drink"), notes_seating=g.get("notes_seating"),
                birth_date=g.get("birth_date"), anniversary_date=g.get("anniversary_date"),
            )
            world.put_guest(guest)
        res = otd.reservation(
            rid=world.rid, ident=ident, confirmation_id=confirmation, guest_id=guest["id"], state="Pending",
            party_size=party, start=start, created=now, updated=now, tz=world.tz, table_number=tables,
            visit_tags=list(body.get("visit_tags") or []), origin=str(body.get("origin") or "Network"),
            guest_request=body.get("guest_request"), venue_notes=body.get("venue_notes"),
            server=body.get("server"),
        )
        world.put_reservation(res, start)
        return 201, {"reservation": res, "guest": guest}
