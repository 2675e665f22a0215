"""The sandbox's own control API under `/_sandbox/…`, served on every vendor port and on the admin port.

- `GET  /_sandbox/state`                      the whole world and the sandbox's books (see core.state)
- `GET  /_sandbox/info`                       base URLs, demo credentials, clock
- `POST /_sandbox/reset`                      reseed; body optional `{"now": ISO, "seed": n}`
- `GET  /_sandbox/faults`                     active faults of every API
- `POST /_sandbox/faults`                     `{"api": "toast"|"opentable", "mode": ..., ...}` (see faults.py);
                                              on a vendor port `api` defaults to that port's API
- `DELETE /_sandbox/faults[?api=]`            clear faults without touching sockets (a `down` port stays down)
- `GET/POST /_sandbox/clock`                  `{"now": ISO}` or `{"factor": F}`; only for the sandbox's own clock
- `POST /_sandbox/toast/orders/{guid}/close`  pay and close an order; body optional `{"total": 123.45, "tip": 20}`
- `POST /_sandbox/opentable/reservations`     a guest's own change on OpenTable, each bumping `sequence_id` and
                                              `updated_at` (the sync sees it as a delta):
    `{"action": "create", "scheduled_time": ISO (local if no offset), "party_size": n, "table_number": [names],
      "guest": {"last_name", "first_name", "phone", "email", "notes_food_and_drink", ... | "id": guest id},
      "visit_tags", "guest_request", "venue_notes", "origin", "server"}` → 201 `{reservation, guest}`;
    `{"action": "modify", "id" | "confirmation_id", "changes": {"scheduled_time", "party_size", "table_number",
      "guest_request", "venue_notes", "opentable_notes", "visit_tags", "server", "state"}}` → 200 `{reservation}`
      (any state, a seated party included; a refused change changes nothing);
    `{"action": "cancel", "id" | "confirmation_id"}` → 200 (409 for a Done reservation).
- `GET  /_sandbox/driver`                     the service driver (driver.py): config, time, tickets served, events
- `POST /_sandbox/driver`                     `{"running": bool, "walk_ins_per_hour": n, "seed": s,
                                              "placeholder_prefix": "RESERVED"}` (any subset)
- `POST /_sandbox/driver/step`                `{"until": ISO}` or `{"minutes": n}` (neither: to the sandbox clock);
                                              → `{"from", "until", "events": [...], "driver": {...}}`
- `POST /_sandbox/driver/linger`              `{"table": "12", "stage": "mains", "minutes": 60}` (`null`: until
                                              released; `0` releases)
- `POST /_sandbox/driver/seat`                `{"order": guid}` or `{"table": "12"}`: a placeholder's party sat
- `POST /_sandbox/driver/walk-in`             `{"table": "21"?, "party_size": 2?}`: open a walk-in ticket now

`down` closes the vendor's listening socket before answering; asked on the very port that goes down, the
answer is sent on the asking connection (with `Connection: close`) and that connection closes after it.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .common import JSON, parse_iso
from .driver import DriverError
from .faults import APIS, FaultError

if TYPE_CHECKING:
    from .core import SandboxCore
    from .opentable import OpenTableSim
    from .toast import ToastSim


class PortControls:
    """What the admin API needs from the server to take ports down and up (async, on the loop)."""

    go_down: Callable[[str, Any], Awaitable[None]]
    go_up: Callable[[str], Awaitable[None]]


def _err(status: int, message: str) -> JSON:
    return JSON({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPException(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "body must be a JSON object")
    return body


def build_admin_app(core: SandboxCore, ports: PortControls, opentable: OpenTableSim | None,
                    toast: ToastSim | None) -> Starlette:
    async def state(request: Request) -> Response:
        return JSON(core.state())

    async def info(request: Request) -> Response:
        urls = dict(core.controls.urls) if core.controls else {}
        return JSON({"urls": urls, "credentials": core.credentials, "clock": core.clock_info()})

    async def reset(request: Request) -> Response:
        body = await _body(request)
        now = None
        if body.get("now") is not None:
            try:
                now = parse_iso(str(body["now"]), timezone.utc)
            except ValueError as exc:
                return _err(400, str(exc))
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return _err(400, "seed must be an integer")
        core.reset(now=now, seed=seed)
        world = core.world
        return JSON({"ok": True, "service_date": world.service_date.isoformat(),
                     "reservations": len(world.reservations), "orders": len(world.orders)})

    async def list_faults(request: Request) -> Response:
        return JSON({api: core.faults.list(api) for api in APIS})

    async def clear_faults(request: Request) -> Response:
        api = request.query_params.get("api")
        if api is not None and api not in APIS:
            return _err(400, f"api must be one of {', '.join(APIS)}")
        for name in ([api] if api else APIS):
            down = core.faults.is_down(name)
            core.faults.clear(name)
            if down:  # sockets are untouched: the port stays down until "up"
                core.faults.add(core.faults.parse(name, {"mode": "down"}))
        return JSON({a: core.faults.list(a) for a in APIS})

    async def set_fault(request: Request) -> Response:
        body = await _body(request)
        port_api = request.scope.get("sandbox.port_api")
        api = body.get("api") or port_api
        if api is None:
            return _err(400, "api is required on the admin port (\"toast\" or \"opentable\")")
        if api not in APIS or (api == "opentable" and opentable is None) or (api == "toast" and toast is None):
            return _err(400, f"api {api!r} is not simulated here")
        try:
            fault = core.faults.parse(api, body)
        except FaultError as exc:
            return _err(400, str(exc))
        if fault.mode == "up":
            core.faults.clear(api)
            try:
                await ports.go_up(api)
            except OSError as exc:
                return _err(409, f"could not listen again on the same port: {exc}")
            return JSON({"api": api, "mode": "up", "faults": core.faults.list(api)})
        if fault.mode == "down":
            core.faults.add(fault)
            same_port = port_api == api
            await ports.go_down(api, request.scope.get("client") if same_port else None)
            headers = {"Connection": "close"} if same_port else None
            return JSON({"api": api, "mode": "down", "fault": fault.to_json()}, headers=headers)
        core.faults.add(fault)
        return JSON({"api": api, "fault": fault.to_json(), "faults": core.faults.list(api)})

    async def get_clock(request: Request) -> Response:
        return JSON(core.clock_info())

    async def set_clock(request: Request) -> Response:
        body = await _body(request)
        if core.own_clock is None:
            return _err(409, "this sandbox follows an injected clock; set that clock instead")
        try:
            factor = body.get("factor")
            if factor is not None and (isinstance(factor, bool) or not isinstance(factor, (int, float))):
                return _err(400, "factor must be a number")
            when = parse_iso(str(body["now"]), timezone.utc) if body.get("now") is not None else None
            if factor is not None:  # factor first, so a given `now` is exact
                core.own_clock.set_factor(float(factor))
            if when is not None:
                core.own_clock.set_now(when)
        except ValueError as exc:
            return _err(400, str(exc))
        return JSON(core.clock_info())

    async def close_order(request: Request) -> Response:
        if toast is None:
            return _err(404, "no Toast sandbox here")
        body = await _body(request)
        total, tip = body.get("total"), body.get("tip")
        for name, value in (("total", total), ("tip", tip)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                return _err(400, f"{name} must be a non-negative amount")
        status, payload = toast.admin_close(request.path_params["guid"], total, tip)
        return JSON(payload, status_code=status)

    async def ot_reservations(request: Request) -> Response:
        if opentable is None:
            return _err(404, "no OpenTable sandbox here")
        status, payload = opentable.admin_reservation(await _body(request))
        return JSON(payload, status_code=status)

    def _number(body: dict[str, Any], key: str, *, allow_null: bool = False) -> float | None:
        value = body.get(key)
        if value is None:
            if key in body and not allow_null:
                raise DriverError(f"{key} must be a number")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DriverError(f"{key} must be a number")
        return float(value)

    async def driver_state(request: Request) -> Response:
        return JSON(core.driver.describe())

    async def driver_config(request: Request) -> Response:
        body = await _body(request)
        try:
            unknown = set(body) - {"running", "walk_ins_per_hour", "seed", "placeholder_prefix"}
            if unknown:
                raise DriverError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            running = body.get("running")
            if running is not None and not isinstance(running, bool):
                raise DriverError("running must be true or false")
            seed = body.get("seed")
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise DriverError("seed must be an integer")
            prefix = body.get("placeholder_prefix")
            if prefix is not None and not isinstance(prefix, str):
                raise DriverError("placeholder_prefix must be text")
            return JSON(core.driver.configure(running=running, walk_ins_per_hour=_number(body, "walk_ins_per_hour"),
                                              seed=seed, placeholder_prefix=prefix))
        except DriverError as exc:
            return _err(exc.status, str(exc))

    async def driver_step(request: Request) -> Response:
        body = await _body(request)
        try:
            until = None
            if body.get("until") is not None:
                try:
                    until = parse_iso(str(body["until"]), core.world.tz)
                except ValueError as exc:
                    raise DriverError(str(exc)) from None
            return JSON(core.driver.step(until=until, minutes=_number(body, "minutes")))
        except DriverError as exc:
            return _err(exc.status, str(exc))

    async def driver_linger(request: Request) -> Response:
        body = await _body(request)
        try:
            table, stage = body.get("table"), body.get("stage", "seated")
            if not isinstance(table, str) or not table:
                raise DriverError("table (a table name) is required")
            if body.get("release"):
                return JSON(core.driver.release(table))
            if "minutes" not in body:
                raise DriverError("minutes is required (null: until released, 0: release)")
            if not isinstance(stage, str):
                raise DriverError("stage must be text")
            return JSON(core.driver.linger(table, stage, _number(body, "minutes", allow_null=True)))
        except DriverError as exc:
            return _err(exc.status, str(exc))

    async def driver_seat(request: Request) -> Response:
        body = await _body(request)
        try:
            order, table = body.get("order"), body.get("table")
            if (order is not None and not isinstance(order, str)) or (table is not None and not isinstance(table, str)):
                raise DriverError("order and table are text")
            return JSON(core.driver.seat(order=order, table=table))
        except DriverError as exc:
            return _err(exc.status, str(exc))

    async def driver_walk_in(request: Request) -> Response:
        body = await _body(request)
        try:
            table, size = body.get("table"), body.get("party_size")
            if table is not None and not isinstance(table, str):
                raise DriverError("table must be a table name")
            return JSON(core.driver.walk_in(table=table, party_size=size), status_code=201)
        except DriverError as exc:
            return _err(exc.status, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        return _err(getattr(exc, "status_code", 500), str(getattr(exc, "detail", exc)))

    routes = [
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/info", info, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/faults", set_fault, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", set_clock, methods=["POST"]),
        Route("/_sandbox/toast/orders/{guid}/close", close_order, methods=["POST"]),
        Route("/_sandbox/opentable/reservations", ot_reservations, methods=["POST"]),
        Route("/_sandbox/driver", driver_state, methods=["GET"]),
        Route("/_sandbox/driver", driver_config, methods=["POST"]),
        Route("/_sandbox/driver/step", driver_step, methods=["POST"]),
        Route("/_sandbox/driver/linger", driver_linger, methods=["POST"]),
        Route("/_sandbox/driver/seat", driver_seat, methods=["POST"]),
        Route("/_sandbox/driver/walk-in", driver_walk_in, methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
