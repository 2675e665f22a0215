"""The sandbox's shared state behind all ports: world, clock, faults, tokens, idempotency records, counters.

`SandboxCore` is what the vendor simulators, the admin API and `SandboxServer` all hold. It knows nothing
about sockets: `server.py` plugs in `controls` (take a port down or up, reset one connection).

What a reset does: reseeds the world (at the given `now`, else the clock's current time; with the own
clock, a given `now` also sets the clock) and clears idempotency records, held orders, request counters
and the service driver's night (its configuration stays: a running driver keeps running). Tokens, login
history and faults survive a reset: they belong to the vendors' auth and to the test, not to the
restaurant.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime
from typing import Any, Protocol

from starlette.types import Scope

from .clock import ClockFn, SandboxClock, checked
from .common import iso_z, stable_guid
from .driver import ServiceDriver
from .faults import APIS, ApiStats, FaultBoard
from .seed import RESTAURANT_NAME, RID, SeedOptions, build_world
from .world import World

log = logging.getLogger("hoststand.sandbox")


class Controls(Protocol):
    """Socket-level operations, provided by the server."""

    urls: dict[str, str]

    def drop(self, api: str, scope: Scope) -> None: ...


def demo_credentials() -> dict[str, dict[str, Any]]:
    """Fixed demo credentials: printed by the CLI, used by the demo; they open nothing real."""
    return {
        "opentable": {"client_id": "hoststand-sandbox-opentable", "client_secret": "sandbox-secret-opentable",
                      "rid": RID},
        "toast": {"client_id": "hoststand-sandbox-toast", "client_secret": "sandbox-secret-toast",
                  "restaurant_guid": stable_guid("toast", "restaurant", RESTAURANT_NAME)},
    }


class SandboxCore:
    def __init__(self, options: SeedOptions, clock: ClockFn, own_clock: SandboxClock | None = None) -> None:
        self.options = options
        self.now = checked(clock)
        self.own_clock = own_clock
        self.faults = FaultBoard(options.seed)
        self.stats: dict[str, ApiStats] = {api: ApiStats() for api in APIS}
        self.credentials = demo_credentials()
        self.tokens: dict[str, dict[str, dict[str, Any]]] = {api: {} for api in APIS}
        self.toast_logins: dict[str, list[datetime]] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}  # OpenTable X-Request-Id -> record
        self.external_ids: dict[str, dict[str, Any]] = {}  # Toast order externalId -> attempts/outcome
        self.held: dict[str, tuple[dict[str, Any], datetime, dict[str, Any]]] = {}  # late landings
        self.controls: Controls | None = None
        self._reset_lock = threading.Lock()
        self.world: World = build_world(options, options.now or self.now())
        self.driver = ServiceDriver(self)

    # ------------------------------------------------------------------ gate context

    def stats_for(self, api: str) -> ApiStats:
        return self.stats[api]

    def drop_connection(self, api: str, scope: Scope) -> None:
        if self.controls is not None:
            self.controls.drop(api, scope)

    # ------------------------------------------------------------------ Toast idempotency & late landings

    def note_external(self, ext: Any, outcome: str, order_guid: str | None) -> None:
        if not isinstance(ext, str) or not ext:
            return
        rec = self.external_ids.setdefault(ext, {"attempts": 0, "created": 0, "refused_duplicate": 0,
                                                 "held": 0, "order_guid": None})
        rec["attempts"] += 1
        if outcome == "created":
            rec["created"] += 1
            rec["order_guid"] = order_guid
        elif outcome == "refused":
            rec["refused_duplicate"] += 1
        elif outcome == "held":
            rec["held"] += 1
            rec["order_guid"] = order_guid

    def hold_order(self, body: dict[str, Any], order_guid: str, lands_at: datetime) -> dict[str, Any]:
        """Record a POST /orders that will land later (the `late_landing` fault). Call under the world lock."""
        entry = {"order_guid": order_guid, "externalId": body.get("externalId"), "posted_at": iso_z(self.now()),
                 "lands_at": iso_z(lands_at), "status": "pending"}
        self.world.late_landings.append(entry)
        self.held[order_guid] = (body, lands_at, entry)
        self.note_external(body.get("externalId"), "held", order_guid)
        return entry

    def land_due(self) -> int:
        """Land every held order whose time has come (by the sandbox clock). Returns how many landed."""
        if not self.held:
            return 0
        from .toast import land  # local import: toast imports core for typing only

        world, now, landed = self.world, self.now(), 0
        with world.lock:
            for guid, (body, when, entry) in list(self.held.items()):
                if when <= now and entry["status"] == "pending":
                    land(world, entry, body, now)
                    del self.held[guid]
                    landed += entry["status"] == "landed"
                    log.info("toast sandbox: a held order %s", entry["status"])
        return landed

    # ------------------------------------------------------------------ reset, state

    def reset(self, now: datetime | None = None, seed: int | None = None) -> None:
        with self._reset_lock, self.driver.lock:
            if now is not None and self.own_clock is not None:
                self.own_clock.set_now(now)
            at = now or self.now()
            self.options = dataclasses.replace(self.options, now=at, seed=self.options.seed if seed is None else seed)
            world = build_world(self.options, at)
            self.idempotency.clear()
            self.external_ids.clear()
            self.held.clear()
            for api in APIS:
                self.stats[api] = ApiStats()
            self.world = world
            self.driver.reset()
        log.info("sandbox reset: seed %s, %d reservations", self.options.seed, len(world.reservations))

    def clock_info(self) -> dict[str, Any]:
        if self.own_clock is not None:
            return self.own_clock.describe()
        return {"kind": "external", "now": iso_z(self.now())}

    def state(self) -> dict[str, Any]:
        self.land_due()
        snap = self.world.snapshot()
        world = self.world
        with world.lock:
            idem = {k: {kk: vv for kk, vv in v.items() if kk != "response"} for k, v in self.idempotency.items()}
            ext = {k: dict(v) for k, v in self.external_ids.items()}
        return {
            "sandbox": {
                "now": iso_z(self.now()),
                "clock": self.clock_info(),
                "seed": self.options.describe(),
                "urls": dict(self.controls.urls) if self.controls else {},
                "world_version": world.version,
            },
            "restaurant": snap["restaurant"],
            "service_date": snap["service_date"],
            "seeded_at": snap["seeded_at"],
            "opentable": snap["opentable"],
            "toast": snap["toast"],
            "driver": self.driver.describe(events=False),
            "faults": {api: self.faults.list(api) for api in APIS},
            "requests": {api: self.stats[api].to_json() for api in APIS},
            "idempotency": {"opentable": {"request_ids": idem}, "toast": {"external_ids": ext}},
            "auth": {
                "opentable": {"tokens": len(self.tokens["opentable"])},
                "toast": {"tokens": len(self.tokens["toast"]),
                          "logins": {c: [iso_z(t) for t in ts] for c, ts in list(self.toast_logins.items())}},
            },
        }
