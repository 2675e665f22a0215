"""Fault injection and request accounting: the board of active faults and the gate every vendor port runs.

Faults are set per API through the admin API (`POST /_sandbox/faults`) or `SandboxServer.set_fault`.
Modes (several may be active at once; a new fault of the same mode and filter replaces the old one):

- `down`: the vendor's listening socket is really closed (connection refused) and open connections are
  reset; `up` clears every fault of that API and listens again on the same port. (The socket work is
  done by `server.py`; the board only records it.)
- `error` `{"status": 503, "rate": 0.3}`: that fraction of requests is answered with the status in the
  vendor's own error shape, decided by a deterministic RNG seeded from the sandbox seed.
- `slow` `{"latency_ms": 4000}`: added wall-clock latency before the request is handled.
- `rate_limit` `{"per_second": 5}`: the vendor's per-second limit is lowered (Toast: also `per_15min`).
- `lose_response`: the request is handled in full (the change is applied), then the TCP connection is
  reset without a response, so the client sees a transport error, not an HTTP status.
- `late_landing` `{"delay_s": 20}` (Toast only): a POST /orders gets no answer and the order appears
  `delay_s` seconds of sandbox time later (see toast.py).
- `login_limit` `{"per_hour": 2}` (Toast only): how many logins per client per hour before 429.

Every fault may also carry `path` (a path prefix), `method` and `count` (apply to the next N matching
requests only, then disappear). `/_sandbox/*` is never faulted, counted or rate limited.

The gate (`VendorGate`) wraps a vendor's Starlette app: it counts each request per endpoint and per
status, then applies, in this order, added latency, the vendor's rate limit, injected errors, and (after
the handler ran) a lost response; `/_sandbox/*` goes to the admin app untouched.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hoststand.sandbox")

APIS = ("opentable", "toast")
MODES = ("down", "up", "error", "slow", "rate_limit", "lose_response", "late_landing", "login_limit")
TOAST_ONLY = ("late_landing", "login_limit")


class FaultError(ValueError):
    """A fault request that makes no sense; the message is shown to the caller."""


@dataclass
class Fault:
    id: int
    api: str
    mode: str
    params: dict[str, Any]
    path: str | None = None
    method: str | None = None
    remaining: int | None = None
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method.upper():
            return False
        if self.path and not path.startswith(self.path):
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "api": self.api, "mode": self.mode, **self.params, "hits": self.hits}
        if self.path:
            d["path"] = self.path
        if self.method:
            d["method"] = self.method
        if self.remaining is not None:
            d["remaining"] = self.remaining
        return d


def _number(spec: dict[str, Any], name: str, default: float, lo: float, hi: float | None = None) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultError(f"{name} must be a number")
    if value < lo or (hi is not None and value > hi):
        raise FaultError(f"{name} must be between {lo} and {hi}" if hi is not None else f"{name} must be >= {lo}")
    return value


class FaultBoard:
    """The active faults of every API. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {api: [] for api in APIS}
        self._ids = itertools.count(1)

    def parse(self, api: str, spec: dict[str, Any]) -> Fault:
        """Validate a fault request (without activating it)."""
        if api not in APIS:
            raise FaultError(f"api must be one of {', '.join(APIS)}")
        mode = spec.get("mode")
        if mode not in MODES:
            raise FaultError(f"mode must be one of {', '.join(MODES)}")
        if mode in TOAST_ONLY and api != "toast":
            raise FaultError(f"{mode} is a Toast-only fault")
        params: dict[str, Any] = {}
        if mode == "error":
            status = spec.get("status", 503)
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise FaultError("status must be an HTTP error status (400-599)")
            params = {"status": status, "rate": float(_number(spec, "rate", 1.0, 0.0, 1.0))}
        elif mode == "slow":
            params = {"latency_ms": int(_number(spec, "latency_ms", 2000, 0, 600_000))}
        elif mode == "rate_limit":
            params = {"per_second": int(_number(spec, "per_second", 5, 1))}
            if "per_15min" in spec:
                params["per_15min"] = int(_number(spec, "per_15min", 10_000, 1))
        elif mode == "late_landing":
            params = {"delay_s": float(_number(spec, "delay_s", 20.0, 0.0, 86_400.0))}
        elif mode == "login_limit":
            params = {"per_hour": int(_number(spec, "per_hour", 2, 0))}
        path = spec.get("path")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise FaultError("path must be a path prefix starting with '/'")
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise FaultError("method must be an HTTP method")
        count = spec.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise FaultError("count must be a positive integer")
        if mode in ("down", "up") and (path or method or count):
            raise FaultError(f"{mode} takes no path, method or count")
        fid = next(self._ids)
        return Fault(id=fid, api=api, mode=mode, params=params, path=path, method=method.upper() if method else None,
                     remaining=count, rng=random.Random(f"{self.seed}:{api}:{mode}:{fid}"))

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            faults = self._faults[fault.api]
            faults[:] = [f for f in faults if not (f.mode == fault.mode and f.path == fault.path
                                                   and f.method == fault.method)]
            faults.append(fault)
        log.info("sandbox fault set: %s %s %s", fault.api, fault.mode, fault.params)
        return fault

    def clear(self, api: str | None = None) -> None:
        with self._lock:
            for name in ([api] if api else APIS):
                self._faults[name] = []
        log.info("sandbox faults cleared: %s", api or "all")

    def remove(self, api: str, mode: str) -> None:
        with self._lock:
            self._faults[api] = [f for f in self._faults[api] if f.mode != mode]

    def list(self, api: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for name in ([api] if api else APIS) for f in self._faults[name]]

    def is_down(self, api: str) -> bool:
        with self._lock:
            return any(f.mode == "down" for f in self._faults[api])

    def find(self, api: str, mode: str, method: str = "", path: str = "") -> Fault | None:
        """The active fault of that mode matching the request, without consuming it."""
        with self._lock:
            for f in self._faults[api]:
                if f.mode == mode and f.matches(method, path):
                    return f
        return None

    def take(self, api: str, mode: str, method: str, path: str, *, decide: Callable[[Fault], bool] | None = None
             ) -> Fault | None:
        """The matching fault if it applies to this request; counts a hit and consumes one of `count`."""
        with self._lock:
            for f in self._faults[api]:
                if f.mode != mode or not f.matches(method, path):
                    continue
                if decide is not None and not decide(f):
                    return None
                f.hits += 1
                if f.remaining is not None:
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._faults[api].remove(f)
                return f
        return None

    def param(self, api: str, mode: str, name: str, method: str = "", path: str = "") -> Any:
        f = self.find(api, mode, method, path)
        return f.params.get(name) if f else None


@dataclass
class ApiStats:
    """Request accounting for one vendor API."""

    total: int = 0
    by_endpoint: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    rate_limited: int = 0  # 429s served, whatever the cause
    injected: Counter = field(default_factory=Counter)  # faults applied, by mode
    dropped: int = 0  # connections reset without a response
    extra: Counter = field(default_factory=Counter)  # vendor-specific (token requests, logins, ...)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, endpoint: str) -> None:
        with self.lock:
            self.total += 1
            self.by_endpoint[endpoint] += 1

    def status(self, code: int) -> None:
        with self.lock:
            self.by_status[str(code)] += 1
            if code == 429:
                self.rate_limited += 1

    def bump(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.extra[name] += n

    def fault(self, mode: str) -> None:
        with self.lock:
            self.injected[mode] += 1

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "total": self.total,
                "by_endpoint": dict(sorted(self.by_endpoint.items())),
                "by_status": dict(sorted(self.by_status.items())),
                "rate_limited": self.rate_limited,
                "faults_injected": dict(sorted(self.injected.items())),
                "dropped_connections": self.dropped,
                **dict(sorted(self.extra.items())),
            }


class VendorHooks(Protocol):
    """What the gate needs from a vendor simulator."""

    api: str
    app: ASGIApp

    def endpoint_key(self, scope: Scope) -> str: ...

    def error_response(self, status: int, message: str) -> Response: ...

    def rate_limit(self, scope: Scope) -> tuple[Response | None, list[tuple[bytes, bytes]]]: ...


class GateContext(Protocol):
    faults: FaultBoard

    def stats_for(self, api: str) -> ApiStats: ...

    def drop_connection(self, api: str, scope: Scope) -> None: ...


class VendorGate:
    """ASGI wrapper for one vendor port: accounting, faults, rate limits, `/_sandbox` routing."""

    def __init__(self, vendor: VendorHooks, admin_app: ASGIApp, ctx: GateContext) -> None:
        self.vendor = vendor
        self.api = vendor.api
        self.admin_app = admin_app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            scope = dict(scope)
            scope["sandbox.port_api"] = self.api
            await self.admin_app(scope, receive, send)
            return
        try:
            await self._handle(scope, receive, send)
        except asyncio.CancelledError:
            # The port went down or the sandbox stopped mid-request: the connection is gone already.
            return

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        api, faults, stats = self.api, self.ctx.faults, self.ctx.stats_for(self.api)
        method: str = scope["method"]
        path: str = scope["path"]
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                break
        stats.request(self.vendor.endpoint_key(scope))

        slow = faults.take(api, "slow", method, path)
        if slow is not None:
            stats.fault("slow")
            await asyncio.sleep(slow.params["latency_ms"] / 1000)

        refusal, extra_headers = self.vendor.rate_limit(scope)
        if refusal is not None:
            stats.status(refusal.status_code)
            await refusal(scope, _replay(bytes(body), receive), send)
            return

        error = faults.take(api, "error", method, path, decide=lambda f: f.rng.random() < f.params["rate"])
        if error is not None:
            stats.fault("error")
            status = error.params["status"]
            response = self.vendor.error_response(status, "injected by the sandbox")
            for key, value in extra_headers:
                response.headers[key.decode("latin1")] = value.decode("latin1")
            if status in (429, 503):
                response.headers["Retry-After"] = "1"
            stats.status(status)
            await response(scope, _replay(bytes(body), receive), send)
            return

        lose = faults.take(api, "lose_response", method, path)
        scope = dict(scope)
        scope["sandbox.drop"] = lambda: self._drop(scope)

        async def gated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.status(int(message["status"]))
                if extra_headers:
                    message = dict(message)
                    message["headers"] = list(message.get("headers", [])) + extra_headers
            if lose is not None:
                return  # applied, but the answer never leaves the building
            await send(message)

        await self.vendor.app(scope, _replay(bytes(body), receive), gated_send)
        if lose is not None:
            stats.fault("lose_response")
            self._drop(scope)
            await settle()

    def _drop(self, scope: Scope) -> None:
        stats = self.ctx.stats_for(self.api)
        with stats.lock:
            stats.dropped += 1
        self.ctx.drop_connection(self.api, scope)


async def settle() -> None:
    """Let the event loop deliver `connection_lost` for a connection just reset, so the server knows the
    client is gone before the app returns (otherwise uvicorn reports an app that sent no response)."""
    for _ in range(2):
        await asyncio.sleep(0)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A receive channel that yields the already-read body once, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
