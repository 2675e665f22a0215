"""The simulated world both vendors see: one restaurant's bookings (OpenTable) and POS (Toast).

Records are kept in the vendors' own JSON shapes (dicts), so what a handler returns is what is stored.
Private facts the vendors do not publish (a table's seat count, which order a busy table hides) sit in
side maps and appear only in `/_sandbox/state`.

One re-entrant lock guards everything: the vendor handlers and the admin API run on the sandbox's
event-loop thread, but tests call `SandboxServer` methods from their own thread. No handler awaits while
holding it.

Listings are served from sorted indexes (`SortedKeys`) plus a small per-version cache of filtered
results, so paging through 1,000 reservations is linear overall, not quadratic.
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from .common import iso_z, local_naive


class SortedKeys:
    """Keys `(sort_value, id)` kept in order with bisect; ids map back to their current key."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, str]] = []
        self._by_id: dict[str, tuple[str, str]] = {}

    def put(self, ident: str, sort_value: str) -> None:
        old = self._by_id.get(ident)
        if old is not None:
            i = bisect.bisect_left(self._keys, old)
            if i < len(self._keys) and self._keys[i] == old:
                del self._keys[i]
        key = (sort_value, ident)
        bisect.insort(self._keys, key)
        self._by_id[ident] = key

    def ids(self, after: str | None = None) -> list[str]:
        """Ids in order; with `after`, only those whose sort value is strictly greater."""
        start = 0 if after is None else bisect.bisect_right(self._keys, (after, "\uffff"))
        return [k[1] for k in self._keys[start:]]

    def ids_between(self, lo: str | None, hi: str | None) -> list[str]:
        """Ids with lo <= sort value < hi (either bound optional)."""
        i = 0 if lo is None else bisect.bisect_left(self._keys, (lo, ""))
        j = len(self._keys) if hi is None else bisect.bisect_left(self._keys, (hi, ""))
        return [k[1] for k in self._keys[i:j]]

    def __len__(self) -> int:
        return len(self._keys)


@dataclass
class World:
    """Everything the two simulated vendors know. Built by `seed.build_world`."""

    tz: ZoneInfo
    seeded_at: datetime
    service_date: date
    seed: int
    restaurant: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    version: int = 0

    # ---- OpenTable
    rid: int = 424242
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    guests: dict[str, dict[str, Any]] = field(default_factory=dict)
    res_start: dict[str, datetime] = field(default_factory=dict)  # id -> scheduled start (UTC)
    res_by_confirmation: dict[int, str] = field(default_factory=dict)
    ot_tables: dict[str, int] = field(default_factory=dict)  # table names OpenTable's floor plan knows -> seats
    res_index: SortedKeys = field(default_factory=SortedKeys)
    guest_index: SortedKeys = field(default_factory=SortedKeys)
    pos_data: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> pos-data record (one per reservation)
    pos_data_index: SortedKeys = field(default_factory=SortedKeys)

    # ---- Toast
    restaurant_guid: str = ""
    revenue_centers: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_areas: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    dining_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_modified: dict[str, datetime] = field(default_factory=dict)  # config guid -> last modified
    table_seats: dict[str, int] = field(default_factory=dict)  # Toast table name -> seats (private)
    restaurant_service: dict[str, Any] = field(default_factory=dict)
    menu: dict[str, Any] = field(default_factory=dict)  # the Menus v2 document
    menu_items: dict[str, dict[str, Any]] = field(default_factory=dict)  # item guid -> {name, price, group}
    menu_groups: dict[str, str] = field(default_factory=dict)  # group guid -> name
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    order_index: SortedKeys = field(default_factory=SortedKeys)  # by modifiedDate (UTC, +0000)
    order_by_external: dict[str, str] = field(default_factory=dict)
    check_by_external: dict[str, str] = field(default_factory=dict)  # check externalId -> order guid
    selection_by_external: dict[str, str] = field(default_factory=dict)  # selection externalId -> order guid
    hidden_orders: dict[str, str] = field(default_factory=dict)  # order guid -> the open order it waits behind
    late_landings: list[dict[str, Any]] = field(default_factory=list)
    display_numbers: dict[int, int] = field(default_factory=dict)  # businessDate -> last display number

    _cache: dict[Any, tuple[int, list[str]]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ generic

    def changed(self) -> None:
        self.version += 1

    def cached(self, key: Any, compute: Callable[[], list[str]]) -> list[str]:
        """A filtered id list, recomputed only when the world changed since it was cached."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        value = compute()
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = (self.version, value)
        return value

    # ------------------------------------------------------------------ OpenTable

    def put_reservation(self, res: dict[str, Any], start_utc: datetime) -> None:
        self.reservations[res["id"]] = res
        self.res_start[res["id"]] = start_utc
        self.res_by_confirmation[int(res["confirmation_id"])] = res["id"]
        self.res_index.put(res["id"], res["updated_at_utc"])
        self.changed()

    def touch_reservation(self, res: dict[str, Any], now: datetime) -> None:
        """A change OpenTable records: bump `sequence_id` and `updated_at`."""
        res["sequence_id"] = int(res["sequence_id"]) + 1
        res["updated_at"] = local_naive(now, self.tz, millis=True)
        res["updated_at_utc"] = iso_z(now)
        self.res_index.put(res["id"], res["updated_at_utc"])
        self.changed()

    def put_guest(self, guest: dict[str, Any]) -> None:
        self.guests[guest["id"]] = guest
        self.guest_index.put(guest["id"], guest["updated_at_utc"])
        self.changed()

    def touch_guest(self, guest: dict[str, Any], now: datetime) -> None:
        guest["sequence_id"] = int(guest["sequence_id"]) + 1
        guest["updated_at"] = local_naive(now, self.tz, millis=True)
        guest["updated_at_utc"] = iso_z(now)
        self.guest_index.put(guest["id"], guest["updated_at_utc"])
        self.changed()

    def put_pos_data(self, record: dict[str, Any]) -> None:
        self.pos_data[record["id"]] = record
        self.pos_data_index.put(record["id"], record["updated_at_utc"])
        self.changed()

    def reservation_by_confirmation(self, number: int) -> dict[str, Any] | None:
        rid = self.res_by_confirmation.get(number)
        return self.reservations.get(rid) if rid else None

    # ------------------------------------------------------------------ Toast

    def put_order(self, order: dict[str, Any]) -> None:
        self.orders[order["guid"]] = order
        self.order_index.put(order["guid"], order["modifiedDate"])
        if order.get("externalId"):
            self.order_by_external[order["externalId"]] = order["guid"]
        for check in order["checks"]:
            if check.get("externalId"):
                self.check_by_external[check["externalId"]] = order["guid"]
            for sel in _all_selections(check["selections"]):
                if sel.get("externalId"):
                    self.selection_by_external[sel["externalId"]] = order["guid"]
        self.changed()

    def reindex_order(self, order: dict[str, Any]) -> None:
        self.put_order(order)

    def next_display_number(self, business_date: int) -> str:
        n = self.display_numbers.get(business_date, 0) + 1
        self.display_numbers[business_date] = n
        return str(n)

    def open_orders_at_table(self, table_guid: str, exclude: str | None = None) -> list[dict[str, Any]]:
        out = []
        for order in self.orders.values():
            if order["guid"] == exclude or not order.get("table") or order["table"]["guid"] != table_guid:
                continue
            if is_open_order(order):
                out.append(order)
        return out

    def release_hidden(self, closed_guid: str) -> None:
        """An order closed or was voided: orders hidden behind it show at the table again."""
        self.hidden_orders.pop(closed_guid, None)  # a hidden order that closes is no longer waiting
        for hidden, behind in list(self.hidden_orders.items()):
            if behind == closed_guid:
                order = self.orders.get(hidden)
                still = [o for o in self.open_orders_at_table(order["table"]["guid"], exclude=hidden)] if order else []
                still = [o for o in still if o["guid"] not in self.hidden_orders]
                if still:
                    self.hidden_orders[hidden] = still[0]["guid"]
                else:
                    del self.hidden_orders[hidden]
        self.changed()

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> dict[str, Any]:
        """A copy of the world as JSON-able dicts, in a stable order (the deterministic part of the state)."""
        with self.lock:
            return json.loads(json.dumps(self._snapshot_live()))

    def _snapshot_live(self) -> dict[str, Any]:
        with self.lock:
            res_ids = self.res_index.ids()
            guest_ids = self.guest_index.ids()
            order_ids = self.order_index.ids()
            return {
                "restaurant": dict(self.restaurant),
                "service_date": self.service_date.isoformat(),
                "seeded_at": iso_z(self.seeded_at),
                "opentable": {
                    "rid": self.rid,
                    "reservations": [self.reservations[i] for i in res_ids],
                    "guests": [self.guests[i] for i in guest_ids],
                    "tables": [{"name": n, "seats": s} for n, s in self.ot_tables.items()],
                    "pos_data": [self.pos_data[i] for i in self.pos_data_index.ids()],
                },
                "toast": {
                    "restaurant_guid": self.restaurant_guid,
                    "revenue_centers": list(self.revenue_centers.values()),
                    "service_areas": list(self.service_areas.values()),
                    "tables": list(self.tables.values()),
                    "table_seats": dict(self.table_seats),
                    "dining_options": list(self.dining_options.values()),
                    "jobs": list(self.jobs.values()),
                    "employees": list(self.employees.values()),
                    "menu": self.menu,
                    "orders": [self.orders[i] for i in order_ids],
                    "hidden_orders": dict(self.hidden_orders),
                    "late_landings": [dict(x) for x in self.late_landings],
                },
            }


def _all_selections(selections: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for sel in selections:
        yield sel
        yield from _all_selections(sel.get("modifiers") or [])


def all_selections(selections: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Every selection including nested modifiers."""
    return _all_selections(selections)


def is_open_order(order: dict[str, Any]) -> bool:
    """Open = not voided/deleted and some check not yet CLOSED (PAID still holds the table)."""
    if order.get("voided") or order.get("deleted"):
        return False
    return any(c.get("paymentStatus") != "CLOSED" and not c.get("voided") for c in order["checks"])
