"""The service driver: the sandbox's floor staff on the Toast side, so the POS lives through a night.

Once a party sits at a table with an open ticket, the driver rings it in course by course, the way a
server does: drinks a few minutes after sitting, starters soon after, mains fired 15–25 minutes later,
desserts 50–70 minutes into the meal (not every table has them), then it drops the check, takes a card
(`paymentStatus` PAID, `paidDate`) and, a few minutes later, adjusts the tip and closes it (CLOSED,
`closedDate`, the order's `closedDate` and `duration`). Bigger parties take longer (times scale by about
6 % per guest over two). Items are real selections of the seeded menu, quantities follow the covers,
and now and then a manager comps an item (a selection-level `appliedDiscount`). Every step updates the
order's and the check's `modifiedDate`, so `ordersBulk` with `startDate`/`endDate` sees it. A table at the
bar gets rounds of drinks only. The driver can also open walk-in tickets by itself (no `externalId`,
`source` "In Store", party sizes a host sees at the door) at tables that are free on both systems.

Which tickets it serves (the placeholder rule):
- an open dine-in order at a table, visible at that table (Toast hides an order posted to a table that
  already has one until that one closes: the driver does not see it either), not voided or deleted;
- except a *placeholder*: an order whose first check's `tabName` starts with the placeholder marker
  (`RESERVED` by default, any case, e.g. "RESERVED 19:30 · Smith party of 4"). A placeholder is the
  reservation's ticket posted ahead of the party; the staff leave it alone until the party sits, which the
  driver learns like the floor does: the booking platform shows that party Seated (or AssumedSeated) at
  the placeholder's table — the reservation scheduled at the tab's `HH:MM` when the tab carries one,
  otherwise one seated no earlier than 2 minutes before the placeholder opened — or a test says so
  (`seat`). When it starts serving a placeholder it sets the order's `numberOfGuests` to the seated party
  size, as a server re-counts heads at the table.
- an order hoststand opens at seating (no marker) is served from its `openedDate`; the seed's staff-opened
  orders are carried on from the courses they already hold.
Orders that close, are voided or deleted by anyone else are dropped at the next step, never touched.

Time: the driver keeps its own cursor (the simulated time it has run to).
- Live (`running`): a background task on the sandbox loop runs it up to the sandbox clock a few times a
  second, so its speed follows the clock factor (`POST /_sandbox/clock {"factor": F}`). Changes are
  stamped with the clock's time when they happen, so a delta puller never misses one.
- Step by step (tests): `step(until)` runs every event up to `until`, stamped with its own simulated
  time. With the sandbox's own clock the clock is moved to `until` first; with an injected clock (a
  test's manual clock) the test moves its clock itself. Simulated time never goes back: a step planned
  before the start of a run (a ticket discovered late, the seed's tickets) happens at the start of the
  run, and the next ones keep a minimum spacing; a ticket that was hidden behind the table's previous one
  is served from when it shows.
Randomness is seeded: each ticket's plan comes from (seed, table, openedDate, guests, externalId), walk-ins
from (seed, service date), so the same seed and the same calls give the same night, whatever the steps.

Per table, for tests: `linger(table, stage, minutes)` holds the table's current (or next) ticket once it
has reached `stage` (or at once, where it already is, if it is past it) for `minutes` (None = until
released). Walk-ins: `walk_ins_per_hour` arrive at random (a Poisson process) between 17:00 and 22:00
local; each takes the smallest free table that fits, or is turned away. A table is free when Toast has
no open order at it (placeholders and hidden orders count) and OpenTable has no party seated there
(unless that party's ticket has since closed) and no booking there from 45 minutes ago until the
walk-in's expected turn (plus 15 minutes) from now. `walk_in(table, party_size)` opens one on demand.

Nothing here is a vendor contract: it is the restaurant, not an API.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import toast_data as td
from .common import UTC, business_date_int, iso_z, parse_iso, stable_guid, toast_ts
from .seed import STAFF
from .world import World, is_open_order

if TYPE_CHECKING:
    from .core import SandboxCore

log = logging.getLogger("hoststand.sandbox")

STAGES = ("seated", "drinks", "starters", "mains", "desserts", "check", "paid", "closed")
COURSE_GROUPS = {"Drinks": "drinks", "Starters": "starters", "Mains": "mains", "Desserts": "desserts"}
DEFAULT_PLACEHOLDER_PREFIX = "RESERVED"
SEATED_SLACK = timedelta(minutes=2)  # a party seated this long before its placeholder opened still counts
WALK_IN_HOURS = (17 * 60, 22 * 60)  # local minutes after midnight when walk-ins come in
WALK_IN_SIZES = ((1, 2), (2, 12), (3, 3), (4, 6), (5, 1), (6, 1))  # (party size, weight)
BOOKED_BEFORE = timedelta(minutes=45)  # a booking this late may still turn up: its table is not offered
BOOKED_MARGIN = timedelta(minutes=15)
MAX_EVENTS = 5000
LIVE_EVERY_S = 0.2  # how often the live task runs the driver (wall seconds)
# minimum spacing (minutes) before each step, when a late-discovered ticket catches up
MIN_GAP = {"drinks": 1, "starters": 3, "mains": 10, "desserts": 20, "check": 8, "paid": 3, "closed": 2}
DRINK_WEIGHTS = (("House Red (glass)", 3), ("House White (glass)", 3), ("Old Fashioned", 2),
                 ("Sparkling Water", 2), ("Lemonade", 1))
WINES = ("House Red (glass)", "House White (glass)")
CARDS = ("VISA", "MASTERCARD", "AMEX", "VISA", "MASTERCARD")
COMP_REASONS = ("Guest recovery", "Manager comp", "Regular guest")


class DriverError(ValueError):
    """A driver request that cannot be done; `status` is the HTTP status the admin API answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _minutes(m: float) -> timedelta:
    return timedelta(seconds=round(m * 60))


def scale(covers: int) -> float:
    """How much longer a party of `covers` takes than a two-top (bigger parties are slower)."""
    return min(1.4, max(0.9, 1 + 0.06 * (covers - 2)))


def expected_turn(covers: int) -> timedelta:
    return _minutes(80 * scale(covers) + 10)


@dataclass
class Step:
    stage: str
    at: float  # planned minutes after the anchor
    items: list[tuple[str, int]] = field(default_factory=list)  # (menu item name, quantity)


@dataclass
class Service:
    """One ticket the driver is serving."""

    order_guid: str
    table: str
    covers: int
    kind: str  # "reservation" (opened at seating), "placeholder" (its party sat), "staff", "walk_in", "bar"
    anchor: datetime  # when the party sat
    steps: list[Step]
    rng: random.Random
    comp: tuple[str, str] | None = None  # (course to comp in, reason)
    tip_rate: float = 0.2
    split: bool = False
    index: int = 0
    stage: str = "seated"
    stage_at: datetime | None = None
    last_at: datetime | None = None

    def next_step(self) -> Step | None:
        return self.steps[self.index] if self.index < len(self.steps) else None

    def describe(self, next_at: datetime | None) -> dict[str, Any]:
        nxt = self.next_step()
        return {"order_guid": self.order_guid, "table": self.table, "covers": self.covers, "kind": self.kind,
                "seated_at": iso_z(self.anchor), "stage": self.stage, "stage_at": iso_z(self.stage_at),
                "next_stage": nxt.stage if nxt else None, "next_at": iso_z(next_at)}


@dataclass
class Linger:
    table: str
    stage: str
    minutes: float | None  # None: until released
    requested_at: datetime
    order_guid: str | None = None  # bound to the first ticket served at the table after the request

    def describe(self) -> dict[str, Any]:
        return {"table": self.table, "stage": self.stage, "minutes": self.minutes,
                "requested_at": iso_z(self.requested_at), "order_guid": self.order_guid}


class ServiceDriver:
    """Plays the servers. All methods take the world lock; call them from any thread."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.lock = threading.RLock()  # taken before the world lock; a reset holds it while it swaps worlds
        self.running = False
        self.walk_ins_per_hour = 0.0
        self.explicit_seed: int | None = None
        self.placeholder_prefix = DEFAULT_PLACEHOLDER_PREFIX
        self.reset()

    # ------------------------------------------------------------------ configuration

    @property
    def world(self) -> World:
        return self.core.world

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self.lock, self.core.world.lock:
            yield

    @property
    def seed(self) -> int:
        return self.core.options.seed if self.explicit_seed is None else self.explicit_seed

    def reset(self) -> None:
        """Forget the night (after a world reset); the configuration stays."""
        world = self.world
        with self._locked():
            self.cursor: datetime = world.seeded_at
            self.services: dict[str, Service] = {}
            self.finished: set[str] = set()  # orders the driver will never touch again
            self.waiting: dict[str, str] = {}  # placeholder order guid -> table, until its party sits
            self.seat_signals: dict[str, datetime] = {}
            self.hidden_seen: set[str] = set()  # orders seen hidden behind another at their table
            self.lingers: dict[str, Linger] = {}
            self.events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
            self.counts = {"served": 0, "closed": 0, "walk_ins": 0, "turned_away": 0, "dropped": 0}
            self.walk_in_number = 0
            self._walk_rng = random.Random(f"hoststand-driver:walk-ins:{self.seed}:{world.service_date.isoformat()}")
            self.next_walk_in: datetime | None = None
            self._draw_next_walk_in(self.cursor)

    def configure(self, *, running: bool | None = None, walk_ins_per_hour: float | None = None,
                  seed: int | None = None, placeholder_prefix: str | None = None) -> dict[str, Any]:
        if walk_ins_per_hour is not None and (walk_ins_per_hour < 0 or walk_ins_per_hour > 120):
            raise DriverError("walk_ins_per_hour must be between 0 and 120")
        with self._locked():
            redraw = False
            if seed is not None and seed != self.seed:
                self.explicit_seed = seed
                self._walk_rng = random.Random(
                    f"hoststand-driver:walk-ins:{self.seed}:{self.world.service_date.isoformat()}")
                redraw = True
            elif seed is not None:
                self.explicit_seed = seed
            if walk_ins_per_hour is not None and walk_ins_per_hour != self.walk_ins_per_hour:
                self.walk_ins_per_hour = float(walk_ins_per_hour)
                redraw = True
            if placeholder_prefix is not None:
                self.placeholder_prefix = placeholder_prefix.strip()
            if running is not None:
                if running and not self.running:
                    now = self.core.now()
                    if now > self.cursor:  # live time starts now: no burst of everything missed
                        self.cursor = now
                        redraw = True
                self.running = bool(running)
            if redraw:
                self._draw_next_walk_in(self.cursor)
            return self.describe()

    # ------------------------------------------------------------------ running

    def tick(self) -> list[dict[str, Any]]:
        """The live task: run up to the sandbox clock (stamping changes with the clock's time)."""
        if not self.running:
            return []
        with self._locked():
            now = self.core.now()
            if now <= self.cursor:
                return []
            return self._run(now, live=True)

    def step(self, until: datetime | None = None, minutes: float | None = None) -> dict[str, Any]:
        """Run the simulation to `until` (or `minutes` past the driver's time; else to the sandbox clock)."""
        with self._locked():
            start = self.cursor
            if until is not None and minutes is not None:
                raise DriverError("give until or minutes, not both")
            if minutes is not None:
                if minutes < 0 or minutes > 24 * 60:
                    raise DriverError("minutes must be between 0 and 1440")
                until = self.cursor + _minutes(minutes)
            elif until is None:
                until = self.core.now()
            until = until.astimezone(UTC)
            if until < self.cursor:
                raise DriverError(f"until {iso_z(until)} is before the driver's time {iso_z(self.cursor)}")
            if until - self.cursor > timedelta(hours=24):
                raise DriverError("a step may cover at most 24 hours")
            own = self.core.own_clock
            if own is not None and until > own.now():
                own.set_now(until)
            events = self._run(until, live=False)
            return {"from": iso_z(start), "until": iso_z(until), "events": events, "driver": self.describe()}

    def _run(self, until: datetime, *, live: bool) -> list[dict[str, Any]]:
        world = self.world
        floor = self.cursor  # simulated time never goes back within a run: nothing happens before this
        out: list[dict[str, Any]] = []
        self._discover(floor, until, out, live=live)
        while True:
            best: tuple[datetime, str, str] | None = None
            for guid, svc in self.services.items():
                at = self._due(svc, floor)
                if at is not None and at <= until:
                    key = (at, svc.table, guid)
                    if best is None or key < best:
                        best = key
            walk = self.next_walk_in if self.next_walk_in is not None and self.next_walk_in <= until else None
            if walk is not None and walk < floor:
                walk = floor
            if best is None and walk is None:
                break
            if walk is not None and (best is None or walk <= best[0]):
                floor = walk
                self._walk_in_arrives(until if live else walk, out)
                self._draw_next_walk_in(walk)
                continue
            assert best is not None
            at, _, guid = best
            floor = at
            stamp = until if live else at
            if self._perform(self.services[guid], stamp, out):
                self._discover(floor, until, out, live=live)  # an order hidden behind it may show now
        self.cursor = until
        return out

    # ------------------------------------------------------------------ which tickets

    def is_placeholder(self, order: dict[str, Any]) -> bool:
        prefix = self.placeholder_prefix
        if not prefix:
            return False
        check = next((c for c in order["checks"] if not c.get("voided")), None)
        tab = (check or {}).get("tabName") or ""
        return tab.lstrip().upper().startswith(prefix.upper())

    def _table_names(self) -> dict[str, str]:
        return {guid: t["name"] for guid, t in self.world.tables.items()}

    def _discover(self, floor: datetime, until: datetime, out: list[dict[str, Any]], *, live: bool) -> None:
        """Pick up the tickets to serve: open, at a table, visible there, and not a placeholder still waiting."""
        world = self.world
        names = self._table_names()
        by_table: dict[str, list[dict[str, Any]]] | None = None
        for guid in sorted(world.orders):
            if guid in self.services or guid in self.finished:
                continue
            order = world.orders[guid]
            if order.get("voided") or order.get("deleted") or not is_open_order(order):
                self.finished.add(guid)
                self.waiting.pop(guid, None)
                continue
            table = names.get((order.get("table") or {}).get("guid") or "")
            if table is None:
                self.finished.add(guid)  # take-out, counter: not the floor's business
                continue
            if guid in world.hidden_orders:
                self.hidden_seen.add(guid)
                continue  # not visible at the table yet
            opened = parse_iso(order["openedDate"])
            if opened > until:
                continue
            kind = "reservation" if order.get("externalId") else "staff"
            # a ticket that was hidden behind the table's previous one is served from when it showed
            anchor = max(opened, floor) if guid in self.hidden_seen else opened
            if self.is_placeholder(order):
                if by_table is None:
                    by_table = self._reservations_by_table()
                seated = self._party_seated(order, table, opened, by_table)
                if seated is None or seated[0] > until:
                    self.waiting[guid] = table
                    continue
                self.waiting.pop(guid, None)
                anchor, party = seated
                kind = "placeholder"
                if party and party != order.get("numberOfGuests"):
                    stamp = until if live else max(anchor, floor)
                    before = order.get("numberOfGuests")
                    order["numberOfGuests"] = party
                    td.touch(order, stamp)
                    world.reindex_order(order)
                    self._event(out, stamp, table, order, "seated", f"guest count {before} → {party}, as seated",
                                kind="placeholder")
            if table not in world.ot_tables:
                kind = "bar"
            if order.get("createdDevice") and str(order["createdDevice"].get("id", "")).startswith("sandbox-driver"):
                kind = "walk_in"
            self.services[guid] = self._plan(order, table, anchor, kind)
            self.counts["served"] += 1

    def _reservations_by_table(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for res in self.world.reservations.values():
            for t in res.get("table_number") or []:
                out.setdefault(t, []).append(res)
        return out

    def _party_seated(self, order: dict[str, Any], table: str, opened: datetime,
                      by_table: dict[str, list[dict[str, Any]]]) -> tuple[datetime, int | None] | None:
        """When (and how many) the placeholder's party sat, or None while it has not."""
        signal = self.seat_signals.get(order["guid"])
        if signal is not None:
            return max(signal, opened), None
        check = next((c for c in order["checks"] if not c.get("voided")), None)
        tab = ((check or {}).get("tabName") or "").lstrip()
        m = re.match(re.escape(self.placeholder_prefix) + r"\W*(\d{1,2}):(\d{2})\b", tab, re.IGNORECASE)
        hhmm = f"{int(m.group(1)):02d}:{m.group(2)}" if m else None
        best: tuple[datetime, int | None] | None = None
        for res in by_table.get(table, []):
            if res["state"] not in ("Seated", "AssumedSeated") or not res.get("seated_time_utc"):
                continue
            seated = parse_iso(res["seated_time_utc"])
            if hhmm is not None:
                if (res.get("scheduled_time") or "")[11:16] != hhmm:
                    continue
            elif seated < opened - SEATED_SLACK:
                continue
            cand = (max(seated, opened), int(res["party_size"]))
            if best is None or cand[0] > best[0]:
                best = cand
        return best

    # ------------------------------------------------------------------ plans

    def _rng_for(self, order: dict[str, Any], table: str) -> random.Random:
        key = f"{self.seed}:{table}:{order['openedDate']}:{order.get('numberOfGuests')}:{order.get('externalId') or ''}"
        return random.Random(f"hoststand-driver:{key}")

    def _plan(self, order: dict[str, Any], table: str, anchor: datetime, kind: str) -> Service:
        rng = self._rng_for(order, table)
        covers = max(1, int(order.get("numberOfGuests") or 2))
        s = scale(covers)
        starters_names, mains_names, desserts_names, _ = (
            [name for name, _, _ in td.MENU[k][1]] for k in range(4))

        def pick(names: list[str] | tuple[str, ...], n: int, weights: list[int] | None = None) -> list[tuple[str, int]]:
            counts: dict[str, int] = {}
            for _ in range(n):
                name = rng.choices(list(names), weights=weights)[0] if weights else rng.choice(list(names))
                counts[name] = counts.get(name, 0) + 1
            return sorted(counts.items())

        # every draw happens whatever is skipped later, so one ticket's plan never depends on another's
        drinks = pick([d for d, _ in DRINK_WEIGHTS], covers, [w for _, w in DRINK_WEIGHTS])
        t_drinks = rng.uniform(2, 6)
        has_starters = rng.random() < (0.9 if covers >= 3 else 0.8)
        starters = pick(starters_names, max(1, round(covers * rng.uniform(0.4, 0.9))))
        t_starters = t_drinks + rng.uniform(5, 10) * s
        n_mains = covers - 1 if covers >= 5 and rng.random() < 0.15 else covers
        mains = pick(mains_names, n_mains)
        t_mains = (t_starters if has_starters else t_drinks) + rng.uniform(15, 25) * s
        second_round = pick(WINES, max(1, round(covers * rng.uniform(0.3, 0.7)))) if rng.random() < 0.5 else []
        has_desserts = rng.random() < 0.7
        desserts = pick(desserts_names, max(1, round(covers * rng.uniform(0.3, 0.7))))
        espressos = round(covers * rng.uniform(0, 0.5))
        if espressos:
            desserts = sorted(desserts + [("Espresso", espressos)])
        t_desserts = max(rng.uniform(50, 70) * s, t_mains + 25)
        t_check = (t_desserts if has_desserts else t_mains + rng.uniform(30, 40) * s) + rng.uniform(10, 18) * s
        t_paid = t_check + rng.uniform(3, 8)
        t_closed = t_paid + rng.uniform(2, 6)
        tab = " ".join((c.get("tabName") or "") for c in order["checks"]).lower()
        celebrating = any(w in tab for w in ("birthday", "anniversary"))
        comp_roll = rng.random()
        reason = rng.choice(COMP_REASONS)
        tip_rate = rng.uniform(0.15, 0.25)
        split = covers >= 4 and rng.random() < 0.3
        bar_round = rng.uniform(25, 35)
        bar_check = rng.uniform(45, 80)

        if kind == "bar":
            steps = [Step("drinks", t_drinks, drinks)]
            if comp_roll < 0.6:
                steps.append(Step("drinks", bar_round, pick(["Old Fashioned", *WINES], covers)))
            steps += [Step("check", bar_check), Step("paid", bar_check + 4), Step("closed", bar_check + 8)]
            comp = None
        else:
            steps = [Step("drinks", t_drinks, drinks)]
            if has_starters:
                steps.append(Step("starters", t_starters, starters))
            steps.append(Step("mains", t_mains, mains + second_round))
            if has_desserts:
                steps.append(Step("desserts", t_desserts, desserts))
            steps += [Step("check", t_check), Step("paid", t_paid), Step("closed", t_closed)]
            comp = None
            if celebrating and has_desserts and comp_roll < 0.6:
                comp = ("desserts", "Birthday" if "birthday" in tab else "Anniversary")
            elif comp_roll < 0.1:
                comp = ("desserts" if has_desserts else "drinks", reason)
        svc = Service(order_guid=order["guid"], table=table, covers=covers, kind=kind, anchor=anchor, steps=steps,
                      rng=rng, comp=comp, tip_rate=tip_rate, split=split, stage_at=anchor, last_at=anchor)
        self._skip_done(svc, order)
        return svc

    def _skip_done(self, svc: Service, order: dict[str, Any]) -> None:
        """A ticket that already holds courses (a staff ticket of the seed) goes on from the last one."""
        live = [c for c in order["checks"] if not c.get("voided")]
        if live and all(c["paymentStatus"] in ("PAID", "CLOSED") for c in live):
            svc.index = next(i for i, st in enumerate(svc.steps) if st.stage == "closed")
            svc.stage = "paid"
            return
        present = set()
        for c in live:
            for sel in c["selections"]:
                item = self.world.menu_items.get((sel.get("item") or {}).get("guid") or "")
                if item and not sel.get("voided") and item["group"] in COURSE_GROUPS:
                    present.add(COURSE_GROUPS[item["group"]])
        if not present:
            return
        last = max(STAGES.index(p) for p in present)
        svc.stage_at = svc.last_at = max(svc.anchor, parse_iso(order["modifiedDate"]))
        while svc.index < len(svc.steps) and STAGES.index(svc.steps[svc.index].stage) <= last:
            svc.index += 1
        svc.stage = STAGES[last]
        if svc.kind == "bar" and svc.index < len(svc.steps) and svc.steps[svc.index].stage == "drinks":
            svc.index += 1  # one round at the bar is enough to move on

    # ------------------------------------------------------------------ doing

    def _due(self, svc: Service, floor: datetime) -> datetime | None:
        """When the ticket's next step happens, not before `floor` (None: nothing left, or held indefinitely)."""
        step = svc.next_step()
        if step is None:
            return None
        at = svc.anchor + _minutes(step.at)
        if svc.last_at is not None:
            at = max(at, svc.last_at + _minutes(MIN_GAP.get(step.stage, 1)))
        at = max(at, floor)
        linger = self.lingers.get(svc.table)
        if linger is not None and linger.order_guid in (None, svc.order_guid):
            if STAGES.index(svc.stage) >= STAGES.index(linger.stage):
                if linger.minutes is None:
                    return None
                held_from = max(svc.stage_at or svc.anchor, linger.requested_at)
                at = max(at, held_from + _minutes(linger.minutes))
        return at

    def _perform(self, svc: Service, at: datetime, out: list[dict[str, Any]]) -> bool:
        """Do the ticket's next step at `at`; True when the ticket closed (its table may show another)."""
        world = self.world
        step = svc.steps[svc.index]
        order = world.orders.get(svc.order_guid)
        live_checks = [c for c in (order or {}).get("checks", []) if not c.get("voided")]
        if order is None or order.get("voided") or order.get("deleted") or not live_checks:
            self._drop(svc, at, out, "voided or deleted on the POS: left alone")
            return False
        if all(c["paymentStatus"] == "CLOSED" for c in live_checks):
            self._drop(svc, at, out, "closed on the POS by someone else")
            return False
        linger = self.lingers.get(svc.table)
        if linger is not None and linger.order_guid in (None, svc.order_guid):
            linger.order_guid = svc.order_guid
            if STAGES.index(svc.stage) >= STAGES.index(linger.stage):
                del self.lingers[svc.table]  # the hold is over: the table moves on
        paid_already = all(c["paymentStatus"] in ("PAID", "CLOSED") for c in live_checks)
        if paid_already and step.stage not in ("paid", "closed"):
            svc.index = next(i for i, st in enumerate(svc.steps) if st.stage == "closed")
            svc.stage = "paid"
            return False
        target = next((c for c in live_checks if c["paymentStatus"] == "OPEN"), live_checks[0])
        stamp = toast_ts(at)
        detail = ""
        amount: float | None = None
        if step.items:
            for name, qty in step.items:
                item_guid = td.menu_item_guid(name)
                n = len(target["selections"])
                sel = td.selection(guid=stable_guid("toast", "driver-selection", order["guid"], target["guid"], n),
                                   item_guid=item_guid, item=world.menu_items[item_guid], quantity=float(qty),
                                   now=at, dining_option=order["diningOption"], fulfillment_status="SENT")
                target["selections"].append(sel)
            td.recompute(target)
            detail = ", ".join(f"{q}× {n}" for n, q in step.items)
            if step.stage == "mains":
                detail = "fired " + detail
        elif step.stage == "check":
            if svc.comp is not None:
                comped = self._apply_comp(svc, order, target, at)
                if comped:
                    detail = f"comp: {comped}; "
            amount = round(sum(c["totalAmount"] for c in live_checks), 2)
            detail += f"check dropped: ${amount:.2f}"
        elif step.stage == "paid":
            amount = self._take_payment(svc, order, live_checks, at)
            detail = f"paid by card: ${amount:.2f} (tip not yet adjusted)"
        elif step.stage == "closed":
            tips = self._close(svc, order, live_checks, at)
            amount = round(sum(c["totalAmount"] for c in live_checks), 2)
            detail = f"tip ${tips:.2f} adjusted, check closed"
        target["modifiedDate"] = stamp
        td.touch(order, at)
        world.reindex_order(order)
        svc.index += 1
        svc.stage = step.stage
        svc.stage_at = at
        svc.last_at = at
        self._event(out, at, svc.table, order, step.stage, detail, amount=amount)
        if step.stage == "closed":
            world.release_hidden(order["guid"])
            del self.services[svc.order_guid]
            self.finished.add(svc.order_guid)
            self.counts["closed"] += 1
            linger = self.lingers.get(svc.table)
            if linger is not None and linger.order_guid == svc.order_guid:
                del self.lingers[svc.table]
            return True
        return False

    def _drop(self, svc: Service, at: datetime, out: list[dict[str, Any]], why: str) -> None:
        self.services.pop(svc.order_guid, None)
        self.finished.add(svc.order_guid)
        self.counts["dropped"] += 1
        order = self.world.orders.get(svc.order_guid)
        out_event = {"at": iso_z(at), "table": svc.table, "order_guid": svc.order_guid, "stage": "dropped",
                     "detail": why, "covers": svc.covers, "kind": svc.kind,
                     "external_id": (order or {}).get("externalId")}
        out.append(out_event)
        self.events.append(out_event)

    def _apply_comp(self, svc: Service, order: dict[str, Any], check: dict[str, Any], at: datetime) -> str | None:
        course, reason = svc.comp or ("", "")
        groups = {v: k for k, v in COURSE_GROUPS.items()}
        lines = [s for s in check["selections"] if not s.get("voided") and not s.get("appliedDiscounts")
                 and (self.world.menu_items.get((s.get("item") or {}).get("guid") or "") or {}).get("group")
                 == groups.get(course) and s["price"] > 0]
        if not lines:
            return None
        sel = max(lines, key=lambda s: (s["receiptLinePrice"], s["guid"]))
        unit = sel["receiptLinePrice"]
        manager = next((e for e in self.world.employees.values() if e["firstName"] == "Grace"), None)
        sel["appliedDiscounts"] = [{
            "guid": stable_guid("toast", "driver-discount", sel["guid"]),
            "entityType": "AppliedDiscount",
            "externalId": None,
            "name": "Comp",
            "discountAmount": unit,
            "nonTaxDiscountAmount": unit,
            "discount": td.ref(stable_guid("toast", "discount", "Comp"), "Discount"),
            "triggers": [],
            "approver": td.ref(manager["guid"], "RestaurantUser") if manager else None,
            "processingState": None,
            "appliedDiscountReason": {"name": reason, "description": None, "comment": None, "discountReason": None},
            "loyaltyDetails": None,
            "comboItems": [],
            "appliedPromoCode": None,
            "discountType": "OPEN_FIXED",
            "discountPercent": None,
        }]
        sel["price"] = td.money(sel["preDiscountPrice"] - unit)
        sel["tax"] = td.money(sel["price"] * td.TAX_RATE)
        sel["modifiedDate"] = toast_ts(at)
        td.recompute(check)
        return f"1× {sel['displayName']} (${unit:.2f}, {reason})"

    def _take_payment(self, svc: Service, order: dict[str, Any], checks: list[dict[str, Any]], at: datetime) -> float:
        world, stamp, total = self.world, toast_ts(at), 0.0
        for c in checks:
            if c["paymentStatus"] != "OPEN":
                continue
            due = td.money(c["totalAmount"] - sum(p["amount"] for p in c["payments"]
                                                  if p.get("paymentStatus") != "VOIDED"))
            parts = [due]
            if svc.split and due > 1:
                half = td.money(math.floor(due * 50) / 100)
                parts = [half, td.money(due - half)]
            for part in parts:
                if part <= 0:
                    continue
                n = len(c["payments"])
                p = td.payment(guid=stable_guid("toast", "driver-payment", c["guid"], n), order_guid=order["guid"],
                               check_guid=c["guid"], amount=part, tip=0.0, now=at, tz=world.tz,
                               server=order.get("server"), card_type=svc.rng.choice(CARDS),
                               last4=f"{svc.rng.randrange(10000):04d}")
                p["paymentStatus"] = "AUTHORIZED"
                c["payments"].append(p)
                total += part
            c["paymentStatus"] = "PAID"
            c["paidDate"] = stamp
            c["modifiedDate"] = stamp
        order["paidDate"] = stamp
        return td.money(total)

    def _close(self, svc: Service, order: dict[str, Any], checks: list[dict[str, Any]], at: datetime) -> float:
        stamp, tips = toast_ts(at), 0.0
        for c in checks:
            if c["paymentStatus"] == "CLOSED":
                continue
            live = [p for p in c["payments"] if p.get("paymentStatus") == "AUTHORIZED"]
            tip_total = td.money(c["amount"] * svc.tip_rate)
            shares = [td.money(tip_total / len(live))] * (len(live) - 1) if live else []
            shares.append(td.money(tip_total - sum(shares)))
            for p, share in zip(live, shares):
                p["tipAmount"] = share
                p["paymentStatus"] = "CAPTURED"
                tips += share
            c["paymentStatus"] = "CLOSED"
            c["paidDate"] = c.get("paidDate") or stamp
            c["closedDate"] = stamp
            c["modifiedDate"] = stamp
        order["paidDate"] = order.get("paidDate") or stamp
        order["closedDate"] = stamp
        order["duration"] = int((at - parse_iso(order["openedDate"])).total_seconds())
        return td.money(tips)

    def _event(self, out: list[dict[str, Any]], at: datetime, table: str, order: dict[str, Any], stage: str,
               detail: str, *, amount: float | None = None, kind: str | None = None) -> None:
        svc = self.services.get(order["guid"])
        event = {"at": iso_z(at), "table": table, "order_guid": order["guid"], "stage": stage, "detail": detail,
                 "covers": order.get("numberOfGuests"), "kind": kind or (svc.kind if svc else None),
                 "external_id": order.get("externalId")}
        if amount is not None:
            event["amount"] = amount
        out.append(event)
        self.events.append(event)

    # ------------------------------------------------------------------ walk-ins

    def _walk_in_window(self, around: datetime) -> tuple[datetime, datetime]:
        d = self.world.service_date
        base = datetime(d.year, d.month, d.day)
        lo = (base + timedelta(minutes=WALK_IN_HOURS[0])).replace(tzinfo=self.world.tz).astimezone(UTC)
        hi = (base + timedelta(minutes=WALK_IN_HOURS[1])).replace(tzinfo=self.world.tz).astimezone(UTC)
        return lo, hi

    def _draw_next_walk_in(self, after: datetime) -> None:
        rate = self.walk_ins_per_hour
        if rate <= 0:
            self.next_walk_in = None
            return
        lo, hi = self._walk_in_window(after)
        base = max(after, lo)
        at = base + timedelta(seconds=round(self._walk_rng.expovariate(rate / 3600.0)))
        self.next_walk_in = at if at < hi else None

    def _walk_in_arrives(self, at: datetime, out: list[dict[str, Any]]) -> None:
        rng = self._walk_rng
        size = rng.choices([s for s, _ in WALK_IN_SIZES], weights=[w for _, w in WALK_IN_SIZES])[0]
        tie = rng.random()
        table = self._free_table_for(size, at, tie)
        if table is None:
            self.counts["turned_away"] += 1
            event = {"at": iso_z(at), "table": None, "order_guid": None, "stage": "turned_away",
                     "detail": f"walk-in party of {size}: no free table", "covers": size, "kind": "walk_in",
                     "external_id": None}
            out.append(event)
            self.events.append(event)
            return
        self._open_walk_in(table, size, at, out)

    def _free_table_for(self, size: int, at: datetime, tie: float) -> str | None:
        world = self.world
        cands = [(seats, name) for name, seats in world.ot_tables.items()
                 if size <= seats <= max(size + 2, 2) and self.table_free(name, at, size) is None]
        if not cands:
            return None
        smallest = min(s for s, _ in cands)
        names = sorted((n for s, n in cands if s == smallest), key=lambda n: (len(n), n))
        return names[min(len(names) - 1, int(tie * len(names)))]

    def table_free(self, name: str, at: datetime, size: int = 2) -> str | None:
        """None when a walk-in of `size` may sit at table `name` at `at`; else why not (plain words)."""
        world = self.world
        guid = next((g for g, t in world.tables.items() if t["name"] == name), None)
        if guid is None:
            return f"no table {name}"
        if world.open_orders_at_table(guid):
            return f"table {name} has an open ticket"
        if any((body.get("table") or {}).get("guid") == guid for body, _, entry in self.core.held.values()
               if entry.get("status") == "pending"):
            return f"table {name} has a ticket on its way"
        turn = expected_turn(size)
        closed_here = [o for o in world.orders.values() if (o.get("table") or {}).get("guid") == guid
                       and not o.get("voided") and o.get("closedDate")]
        for res in world.reservations.values():
            if name not in (res.get("table_number") or []):
                continue
            state = res["state"]
            if state in ("Seated", "AssumedSeated"):
                seated = parse_iso(res["seated_time_utc"]) if res.get("seated_time_utc") else None
                left = seated is not None and any(parse_iso(o["openedDate"]) >= seated - timedelta(minutes=10)
                                                  for o in closed_here)
                if not left:
                    return f"a party is seated at table {name} on the booking platform"
            elif state == "Pending":
                start = world.res_start[res["id"]]
                if at - BOOKED_BEFORE <= start <= at + turn + BOOKED_MARGIN:
                    return f"table {name} is booked at {res['scheduled_time'][11:16]}"
        return None

    def walk_in(self, table: str | None = None, party_size: int | None = None) -> dict[str, Any]:
        """Open a walk-in ticket now (at a given table, or the smallest free one that fits)."""
        if party_size is not None and (isinstance(party_size, bool) or not isinstance(party_size, int)
                                       or not 1 <= party_size <= 20):
            raise DriverError("party_size must be an integer from 1 to 20")
        world = self.world
        with self._locked():
            at = max(self.core.now(), self.cursor)
            if table is not None:
                if table not in world.ot_tables and not any(t["name"] == table for t in world.tables.values()):
                    raise DriverError(f"no table {table}", 404)
                seats = world.table_seats.get(table, 2)
                size = party_size or min(seats, 2 if seats <= 2 else seats - 1)
                why = self.table_free(table, at, size)
                if why:
                    raise DriverError(why, 409)
            else:
                size = party_size or 2
                table = self._free_table_for(size, at, 0.0)
                if table is None:
                    raise DriverError(f"no free table for a party of {size}", 409)
            out: list[dict[str, Any]] = []
            order = self._open_walk_in(table, size, at, out)
            world.changed()
            return {"order": order, "events": out}

    def _open_walk_in(self, table: str, size: int, at: datetime, out: list[dict[str, Any]]) -> dict[str, Any]:
        world = self.world
        self.walk_in_number += 1
        guid = stable_guid("toast", "order", "walk-in", self.seed, world.service_date, self.walk_in_number)
        tbl = next(t for t in world.tables.values() if t["name"] == table)
        server = self._server_for(table)
        server_ref = td.ref(server["guid"], "RestaurantUser") if server else None
        dining = next(d for d in world.dining_options.values() if d["behavior"] == "DINE_IN")
        dining_ref = td.ref(dining["guid"], "DiningOption")
        bdate = business_date_int(at, world.tz)
        number = world.next_display_number(bdate)
        chk = td.check(guid=stable_guid("toast", "check", guid, 0), now=at, display_number=number, opened_by=server_ref)
        order = td.order(
            guid=guid, now=at, tz=world.tz, display_number=number, dining_option=dining_ref, checks=[chk],
            table=td.ref(tbl["guid"], "Table"), service_area=td.ref(tbl["serviceArea"]["guid"], "ServiceArea"),
            revenue_center=td.ref(tbl["revenueCenter"]["guid"], "RevenueCenter"), server=server_ref,
            restaurant_service=world.restaurant_service, number_of_guests=size, source="In Store",
            created_device={"id": "sandbox-driver-host"},
        )
        world.put_order(order)
        svc = self._plan(order, table, at, "walk_in" if table in world.ot_tables else "bar")
        self.services[guid] = svc
        self.counts["served"] += 1
        self.counts["walk_ins"] += 1
        self._event(out, at, table, order, "seated", f"walk-in party of {size} opened at table {table}")
        return order

    def _server_for(self, table: str) -> dict[str, Any] | None:
        world = self.world
        for first, last, _, job, section, _ in STAFF:
            if job == "Server" and table in section:
                return world.employees.get(stable_guid("toast", "employee", first, last))
        servers = [stable_guid("toast", "employee", f, l) for f, l, _, j, _, _ in STAFF if j == "Server"]
        return world.employees.get(servers[sum(map(ord, table)) % len(servers)])

    # ------------------------------------------------------------------ per-table controls

    def linger(self, table: str, stage: str, minutes: float | None) -> dict[str, Any]:
        if stage not in STAGES[:-1]:
            raise DriverError(f"stage must be one of {', '.join(STAGES[:-1])}")
        if minutes is not None and (minutes < 0 or minutes > 24 * 60):
            raise DriverError("minutes must be between 0 and 1440 (or null: until released)")
        world = self.world
        with self._locked():
            if not any(t["name"] == table for t in world.tables.values()):
                raise DriverError(f"no table {table}", 404)
            if minutes == 0:
                self.lingers.pop(table, None)
                return {"table": table, "released": True}
            current = next((s.order_guid for s in self.services.values() if s.table == table), None)
            if current is None:  # a ticket the driver has not picked up yet
                tguid = next(g for g, t in world.tables.items() if t["name"] == table)
                visible = sorted((o["openedDate"], o["guid"]) for o in world.open_orders_at_table(tguid)
                                 if o["guid"] not in world.hidden_orders and not self.is_placeholder(o))
                current = visible[0][1] if visible else None
            linger = Linger(table=table, stage=stage, minutes=minutes, requested_at=max(self.core.now(), self.cursor),
                            order_guid=current)
            self.lingers[table] = linger
            return linger.describe()

    def release(self, table: str) -> dict[str, Any]:
        with self._locked():
            return {"table": table, "released": self.lingers.pop(table, None) is not None}

    def seat(self, order: str | None = None, table: str | None = None) -> dict[str, Any]:
        """Tell the staff a placeholder's party has sat (when the booking platform cannot say so)."""
        world = self.world
        with self._locked():
            at = max(self.core.now(), self.cursor)
            if order is None and table is None:
                raise DriverError("give order (a GUID) or table (a name)")
            if order is None:
                guid = next((g for g, t in sorted(self.waiting.items()) if t == table), None)
                if guid is None:
                    tguid = next((g for g, t in world.tables.items() if t["name"] == table), None)
                    if tguid is None:
                        raise DriverError(f"no table {table}", 404)
                    visible = [o for o in world.open_orders_at_table(tguid)
                               if o["guid"] not in world.hidden_orders and self.is_placeholder(o)]
                    guid = visible[0]["guid"] if visible else None
                if guid is None:
                    raise DriverError(f"no placeholder is waiting at table {table}", 404)
                order = guid
            if order not in world.orders:
                raise DriverError(f"no order {order}", 404)
            self.seat_signals[order] = at
            return {"order_guid": order, "seated_at": iso_z(at)}

    # ------------------------------------------------------------------ state

    def describe(self, events: bool = True) -> dict[str, Any]:
        """The driver's configuration, time, tickets being served, lingers, counts (and its event log)."""
        with self._locked():
            tables = []
            for svc in sorted(self.services.values(), key=lambda s: (s.table, s.order_guid)):
                tables.append(svc.describe(self._due(svc, self.cursor)))
            return {
                "running": self.running,
                "walk_ins_per_hour": self.walk_ins_per_hour,
                "seed": self.seed,
                "placeholder_prefix": self.placeholder_prefix,
                "time": iso_z(self.cursor),
                "next_walk_in": iso_z(self.next_walk_in),
                "serving": tables,
                "waiting_placeholders": [{"order_guid": g, "table": t} for g, t in sorted(self.waiting.items())],
                "lingers": [lg.describe() for _, lg in sorted(self.lingers.items())],
                "counts": dict(self.counts),
                **({"events": list(self.events)} if events else {}),
            }

