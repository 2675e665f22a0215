"""A reusable night for the chaos tests: one sandbox (driven by a manual clock), adapters that are kept, and a
fresh cache per run copied from a template that already holds the first pull.

Setting up the sandboxes and signing in is the slow part of a night; a Hypothesis example or a soak needs
it only once. Between runs the sandbox is reset to the same seeded night at the same moment (same GUIDs,
same reservations), its request books and idempotency records cleared; each run gets new adapters (an
adapter's caches, e.g. Toast's snapshot of live orders, rightly assume that time and the vendor's data
only move forward, which a reset breaks); the cache is a copy of a template made by one pull, so each run
starts from the same state in milliseconds.

The vendors' per-second rate limits are real-time; a run in accelerated time would meet them after a few
simulated seconds, so the rig lifts them (`rate_limit` to `LIFTED` requests per second) except where a test
injects a rate limit on purpose. Short HTTP time-outs keep injected slowness cheap.

The sandbox runs in its own process (`RemoteSandbox`, spawned), so simulating the vendors does not compete
with hoststand for the interpreter lock: on two cores a run is about twice as fast. Its clock reads a
shared-memory number that the test's manual clock writes whenever it moves (`MirroredClock`), so both sides
agree on the simulated time exactly as with an injected clock, and moving time costs no request.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hoststand.app import Core, build_core, load_layout
import httpx

from hoststand.connectors.base import Credentials
from hoststand.connectors.http import make_client
from hoststand.connectors.pacing import RatePacer
from hoststand.connectors.registry import make_booking, make_pos
from hoststand.domain.clock import ManualClock
from hoststand.domain.settings import RestaurantSettings
from hoststand.sandbox.server import SandboxServer, SeedOptions
from hoststand.store import open_store

from tests.conftest import NY, ROOT

OPENING = datetime(2026, 11, 27, 16, 40, tzinfo=NY)  # doors open: every table free, the first parties due
LIFTED = 100_000  # requests per second: "no rate limit" for accelerated runs
_SSL = ssl.create_default_context()  # made once: httpx builds one per client otherwise (~60 ms each), even for http://
TZ = "America/New_York"


def _serve(conn, start_iso: str, extra_reservations: int, extra_tables: int, seed: int, shared_now) -> None:
    """The sandbox process: serve until told to stop. Its clock reads `shared_now` (UNIX seconds, shared memory
    written by the test's clock), so moving time costs no request."""
    start = datetime.fromisoformat(start_iso)

    def now() -> datetime:
        return datetime.fromtimestamp(shared_now.value, UTC)

    srv = SandboxServer(booking="opentable", pos="toast",
                        seed=SeedOptions(now=start, timezone=TZ, seed=seed, extra_reservations=extra_reservations,
                                         extra_tables=extra_tables),
                        clock=now)
    srv.start()
    conn.send({"urls": srv.urls, "credentials": srv.credentials})
    conn.recv()
    srv.stop()


class RemoteSandbox:
    """The sandboxes in a separate process, driven through their admin API (`/_sandbox/…`)."""

    def __init__(self, start: datetime, *, extra_reservations: int = 0, extra_tables: int = 0, seed: int = 7) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._now = ctx.Value("d", start.timestamp(), lock=False)  # the sandbox's clock (one writer: this process)
        self._proc = ctx.Process(target=_serve, args=(child, start.isoformat(), extra_reservations, extra_tables, seed,
                                                      self._now),
                                 daemon=True)
        self._proc.start()
        if not self._conn.poll(120):
            self._proc.kill()
            raise RuntimeError("the sandbox process did not start")
        info = self._conn.recv()
        self.urls: dict[str, str] = info["urls"]
        self.credentials: dict[str, Any] = info["credentials"]
        self._http = httpx.Client(base_url=self.urls["admin"], timeout=30, verify=_SSL)

    def post(self, path: str, body: dict) -> dict:
        r = self._http.post(path, json=body)
        r.raise_for_status()
        return r.json()

    def set_fault(self, api: str, mode: str, **params: Any) -> dict:
        return self.post("/_sandbox/faults", {"api": api, "mode": mode, **params})

    def reset(self, now: datetime) -> None:
        self.set_now(now)
        self.post("/_sandbox/reset", {"now": now.isoformat()})

    def set_now(self, now: datetime) -> None:
        self._now.value = now.timestamp()

    def state(self) -> dict:
        r = self._http.get("/_sandbox/state")
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        self._http.close()
        try:
            self._conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(15)
        if self._proc.is_alive():
            self._proc.kill()


class MirroredClock(ManualClock):
    """A manual clock whose every move is also made on the (remote) sandbox's frozen clock."""

    def __init__(self, start: datetime, sandbox: RemoteSandbox) -> None:
        super().__init__(start)
        self._sandbox = sandbox

    def advance(self, delta: timedelta | float) -> datetime:
        now = super().advance(delta)
        self._sandbox.set_now(now)
        return now

    def set(self, when: datetime) -> None:
        super().set(when)
        self._sandbox.set_now(self.now())


@dataclass
class Rig:
    sandbox: RemoteSandbox
    clock: MirroredClock
    loop: asyncio.AbstractEventLoop
    read_timeout: float
    settings: RestaurantSettings
    layout: object
    start: datetime
    template: Path
    workdir: Path
    layout_path: Path
    runs: int = 0
    cores: list = field(default_factory=list)
    clients: dict = field(default_factory=dict)  # id(core) → the httpx clients its adapters use
    faulted: set = field(default_factory=set)  # APIs with faults set since they were last healed
    _terminal: tuple | None = None  # a POS terminal's sign-in, dining option and tables (stable across resets)
    _pos_terminal: httpx.Client | None = None

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    # ------------------------------------------------------------------ faults

    def lift_limits(self, api: str | None = None) -> None:
        for name in ([api] if api else ["toast", "opentable"]):
            self.sandbox.set_fault(name, "rate_limit", per_second=LIFTED, **({"per_15min": 10_000_000} if name == "toast" else {}))
            if name == "toast":
                self.sandbox.set_fault("toast", "login_limit", per_hour=100_000)

    def fault(self, api: str, mode: str, **params: Any) -> None:
        self.sandbox.set_fault(api, mode, **params)
        self.faulted.add(api)

    def heal(self, api: str | None = None) -> None:
        """All faults off (a port that is down listens again), limits lifted again."""
        for name in ([api] if api else ["toast", "opentable"]):
            if name in self.faulted:
                self.sandbox.set_fault(name, "up")
                self.lift_limits(name)
                self.faulted.discard(name)

    # ------------------------------------------------------------------ a server at the POS terminal

    def hand_open(self, table_name: str, guests: int = 2) -> dict | None:
        """A server opens a ticket at a table on the POS itself (no externalId), as during an outage.
        None when the POS does not take it (it is down, or answering errors)."""
        toast = self.sandbox.credentials["toast"]
        base = self.sandbox.urls["toast"]
        if self._pos_terminal is None:
            self._pos_terminal = httpx.Client(base_url=base, timeout=5, verify=_SSL)
        http = self._pos_terminal
        try:
            if self._terminal is None:
                token = http.post("/authentication/v1/authentication/login", json={
                    "clientId": toast["client_id"], "clientSecret": toast["client_secret"],
                    "userAccessType": "TOAST_MACHINE_CLIENT"}).raise_for_status().json()["token"]["accessToken"]
                headers = {"Authorization": f"Bearer {token}", "Toast-Restaurant-External-ID": toast["restaurant_guid"]}
                dine_in = next(d["guid"] for d in http.get("/config/v2/diningOptions", headers=headers).json()
                               if d.get("behavior") == "DINE_IN")
                tables = {t["name"]: t["guid"] for t in http.get("/config/v2/tables", headers=headers).json()}
                self._terminal = (headers, dine_in, tables)
            headers, dine_in, tables = self._terminal
            r = http.post("/orders/v2/orders", headers=headers, json={
                "diningOption": {"guid": dine_in}, "table": {"guid": tables[table_name]}, "numberOfGuests": guests,
                "checks": [{"selections": [], "tabName": "opened at the terminal"}]})
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def close_order(self, guid: str) -> None:
        """The party pays: the server closes its check (the sandbox's admin call)."""
        self.sandbox.post(f"/_sandbox/toast/orders/{guid}/close", {})

    # ------------------------------------------------------------------ a fresh night

    def fresh(self) -> Core:
        """Reset the sandbox to the seeded night, the clock to its start, and open a copy of the template cache."""
        for core in self.cores:
            self._close(core)
        self.cores.clear()
        self.heal()
        self.sandbox.reset(now=self.start)  # also sets its clock
        self.clock.set(self.start)
        self.runs += 1
        path = self.workdir / f"run-{self.runs}.sqlite"
        shutil.copyfile(self.template, path)
        core = self._core(path)
        self.cores.append(core)
        return core

    def client(self, api: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(retries=0, verify=_SSL, limits=httpx.Limits(max_connections=32))
        return make_client(self.sandbox.urls[api], read_timeout=self.read_timeout, transport=transport)

    def ports(self):
        """New adapters for the sandbox, with pacers that start fast (the limits are lifted)."""
        srv, clock, timeout = self.sandbox, self.clock, self.read_timeout
        ot, toast = srv.credentials["opentable"], srv.credentials["toast"]
        booking = make_booking("opentable", base_url=srv.urls["opentable"],
                               credentials=Credentials(ot["client_id"], ot["client_secret"]), rid=ot["rid"], clock=clock,
                               tz=TZ, client=(b_client := self.client("opentable")), pacer=RatePacer(rate=5000.0))
        pos = make_pos("toast", base_url=srv.urls["toast"], credentials=Credentials(toast["client_id"], toast["client_secret"]),
                       restaurant_guid=toast["restaurant_guid"], clock=clock, tz=TZ, client=(p_client := self.client("toast")),
                       orders_read_timeout=timeout, pacer=RatePacer(rate=5000.0))
        return booking, pos, (b_client, p_client)

    def _core(self, path: Path) -> Core:
        booking, pos, clients = self.ports()
        core = build_core(settings=self.settings, layout=self.layout, store=open_store(path), booking=booking,
                          pos=pos, clock=self.clock)
        self.clients[id(core)] = clients
        return core

    def _close(self, core: Core, *, delete: bool = True) -> None:
        core.engine._unsubscribe()

        async def aclose() -> None:
            clients = self.clients.pop(id(core), ())
            await asyncio.gather(core.engine.booking.aclose(), core.engine.pos.aclose(), *(c.aclose() for c in clients),
                                 return_exceptions=True)

        self.run(aclose())
        core.store.close()
        if delete:
            for p in core.store.path.parent.glob(core.store.path.name + "*"):
                p.unlink(missing_ok=True)

    def close(self) -> None:
        for core in self.cores:
            self._close(core)
        self.cores.clear()
        if self._pos_terminal is not None:
            self._pos_terminal.close()
        self.sandbox.stop()
        self.loop.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def floor_plan(extra_tables: int = 0) -> dict:
    """The bistro's floor plan, plus `extra_tables` tables named like the sandbox's "Annex" ("100", "101", …)."""
    plan = json.loads((ROOT / "resources" / "floorplans" / "bistro.json").read_text())
    if extra_tables:
        plan["sections"].append({"id": "annex", "name": "Annex", "color": "#999999"})
        for i in range(extra_tables):
            name = str(100 + i)
            plan["tables"].append({"id": f"A{name}", "name": name, "section": "annex", "seats": [1, 8],
                                   "shape": "square", "x": 20 + (i % 20) * 55, "y": 820 + (i // 20) * 55,
                                   "w": 50, "h": 50, "pos": {"name": name}})
    return plan


def _scratch() -> str | None:
    """Where the runs' caches live: memory-backed (/dev/shm) where there is one, so each commit's fsync
    (`synchronous=FULL`, one per host command and replay round) costs nothing. These tests are about what is
    sent and recorded, in what order, through faults and restarts; a SIGKILL (the kill tests, which keep the
    disk) never loses what the OS already holds, so the fsync guards only against power loss, which no test
    here simulates. `HOSTSTAND_CHAOS_TMP` overrides it."""
    chosen = os.environ.get("HOSTSTAND_CHAOS_TMP")
    if chosen:
        return chosen
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def open_rig(*, start: datetime = OPENING, read_timeout: float = 0.5, extra_reservations: int = 0,
             extra_tables: int = 0, sandbox_seed: int = 7) -> Rig:
    """Start the sandbox process, pull once into a template cache."""
    workdir = Path(tempfile.mkdtemp(prefix="hoststand-chaos-", dir=_scratch()))
    srv = RemoteSandbox(start, extra_reservations=extra_reservations, extra_tables=extra_tables, seed=sandbox_seed)
    clock = MirroredClock(start, srv)
    loop = asyncio.new_event_loop()
    plan = floor_plan(extra_tables)
    layout_path = workdir / "floor.json"
    layout_path.write_text(json.dumps(plan))
    rig = Rig(sandbox=srv, clock=clock, loop=loop, read_timeout=read_timeout,
              settings=RestaurantSettings(name="The Corner Bistro", timezone=TZ), layout=load_layout(layout_path),
              start=start, template=workdir / "template.sqlite", workdir=workdir, layout_path=layout_path)
    rig.lift_limits()
    core = rig._core(rig.template)
    report = rig.run(core.engine.puller.pull_all())
    assert report.errors == 0, "the template night could not be pulled"
    # What the pull queued (placeholders for the first parties) stays queued: each run sends it itself,
    # since each run starts from a freshly reset sandbox.
    rig._close(core, delete=False)
    return rig
