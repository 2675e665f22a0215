"""A service night for the UI tests, built from real parts: a real SQLite cache in the test's tmp dir, the demo
floor plan, a dozen parties for Friday 27 November 2026 written through the store's repositories, and a
`HostService` on a manual clock stopped at 19:42.

Also: a `window` fixture (the main window at 1440×900, shown offscreen) and `save_shot`, which saves a
widget's picture into the test's tmp dir (and, when HOSTSTAND_UI_SHOTS names a folder, a copy there).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hoststand.domain.clock import ManualClock
from hoststand.domain.events import ChangeBus
from hoststand.domain.floorplan import layout_from_dict
from hoststand.domain.model import (
    Allergen,
    CourseStage,
    FloorLayout,
    Guest,
    Reservation,
    ReservationStatus,
    Ticket,
)
from hoststand.domain.settings import RestaurantSettings
from hoststand.services import HostService
from hoststand.store import open_store, repos
from hoststand.store.engine import Store
from hoststand.sync.health import HealthMonitor
from hoststand.sync.puller import FEED_POS_ORDERS, FEED_RESERVATIONS

ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")
TONIGHT = date(2026, 11, 27)  # a Friday
S = ReservationStatus


def at(hour: int, minute: int = 0, day: date = TONIGHT) -> datetime:
    """A local wall-clock time tonight, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY).astimezone(timezone.utc)


NOW = at(19, 42)


@dataclass
class Night:
    service: HostService
    store: Store
    clock: ManualClock
    bus: ChangeBus
    health: HealthMonitor
    layout: FloorLayout
    ids: dict[str, str] = field(default_factory=dict)  # short name → reservation id

    def reservation(self, key: str) -> Reservation:
        with self.store.read() as s:
            r = repos.get_reservation(s, self.ids[key])
        assert r is not None
        return r


def _guest(gid: str, first: str, last: str, **kw) -> Guest:
    return Guest(id=gid, first_name=first, last_name=last, source="opentable", external_id=f"g-{gid}", **kw)


def _res(rid: str, name: str, size: int, start: datetime, status: S = S.BOOKED, **kw) -> Reservation:
    return Reservation(id=rid, source="opentable", external_id=f"ot-{rid}", party_size=size, start=start,
                       status=status, guest_name=name, **kw)


def _seed(store: Store) -> dict[str, str]:
    guests = [
        _guest("g-smith", "Ann", "Smith", phone="+12125550123", allergens=frozenset({Allergen.PEANUT, Allergen.TREE_NUT}),
               allergy_notes="no nuts pls, epipen", visits=3, last_visit=at(20, 0, date(2026, 10, 12)),
               total_spend=48_600, notes="Likes a quiet corner"),
        _guest("g-garcia", "Maria", "Garcia", phone="+13475550188", visits=1),
        _guest("g-okafor", "Chidi", "Okafor", phone="+19175550142", vip_tier="VIP", preferred_server="Jess",
               visits=11, last_visit=at(19, 0, date(2026, 11, 6)), total_spend=412_000, notes="Owner's friend"),
        _guest("g-chen", "Wei", "Chen", phone="+16465550101"),
        _guest("g-brown", "Tom", "Brown", phone="+12015550177", visits=2),
        _guest("g-jones", "Sam", "Jones", phone="+17185550199"),
        _guest("g-smithers", "Paul", "Smithers", phone="+12125550456"),
        _guest("g-nguyen", "Linh", "Nguyen"),
        _guest("g-patel", "Priya", "Patel"),
        _guest("g-rossi", "Marco", "Rossi", phone="+393471234567"),
        _guest("g-kim", "Min-ji", "Kim", vip_tier="VVIP", preferred_server="Alex", visits=24),
        _guest("g-lefevre", "Claire", "Lefèvre", dietary=("vegetarian",)),
        _guest("g-dubois", "Luc", "Dubois"),
    ]
    res = [
        _res("r-smith", "Ann Smith", 4, at(19, 45), guest_id="g-smith", table_ids=("T12",),
             guest_request="Quiet table if possible"),
        _res("r-garcia", "Maria Garcia", 2, at(19, 0), S.SEATED, guest_id="g-garcia", table_ids=("T1",),
             arrived_at=at(19, 3), seated_at=at(19, 4)),
        _res("r-okafor", "Chidi Okafor", 6, at(19, 15), S.SEATED, guest_id="g-okafor", table_ids=("T16",),
             arrived_at=at(19, 14), seated_at=at(19, 17), tags=("VIP",)),
        _res("r-chen", "Wei Chen", 4, at(19, 30), S.ARRIVED, guest_id="g-chen", table_ids=("T14",),
             arrived_at=at(19, 36), occasion="Birthday", guest_request="It's my wife's birthday, candle on dessert?"),
        _res("r-brown", "Tom Brown", 8, at(20, 0), guest_id="g-brown", table_ids=("T10", "T11"),
             occasion="Anniversary", venue_notes="Combine 10+11; flowers delivered at 19:30"),
        _res("r-jones", "Sam Jones", 3, at(20, 15), guest_id="g-jones"),
        _res("r-smithers", "Paul Smithers", 2, at(20, 30), guest_id="g-smithers", table_ids=("T13",)),
        _res("r-nguyen", "Linh Nguyen", 2, at(18, 0), S.FINISHED, guest_id="g-nguyen", table_ids=("T20",),
             arrived_at=at(18, 0), seated_at=at(18, 2), finished_at=at(19, 25)),
        _res("r-patel", "Priya Patel", 4, at(19, 0), S.CANCELLED, guest_id="g-patel", table_ids=("T15",),
             cancelled_at=at(16, 10)),
        _res("r-rossi", "Marco Rossi", 2, at(19, 20), guest_id="g-rossi", table_ids=("T21",)),
        _res("r-kim", "Min-ji Kim", 5, at(20, 45), guest_id="g-kim", table_ids=("T23",)),
        _res("r-lefevre", "Claire Lefèvre", 2, at(21, 0), guest_id="g-lefevre", table_ids=("T2",),
             guest_request="Gluten free please, coeliac"),
        _res("r-dubois", "Luc Dubois", 2, at(18, 30), S.SEATED, guest_id="g-dubois", table_ids=("T3",),
             arrived_at=at(18, 31), seated_at=at(18, 33)),
    ]
    tickets = [
        Ticket(id="t-garcia", table_id="T1", reservation_id="r-garcia", covers=2, stage=CourseStage.ORDERED,
               pos_id="pos-1", external_id="x-1", opened_at=at(19, 4), tab_name="Garcia"),
        Ticket(id="t-okafor", table_id="T16", reservation_id="r-okafor", covers=6, stage=CourseStage.MAINS,
               pos_id="pos-2", external_id="x-2", opened_at=at(19, 17), tab_name="Okafor"),
        Ticket(id="t-dubois", table_id="T3", reservation_id="r-dubois", covers=2, stage=CourseStage.CHECK_DROPPED,
               pos_id="pos-3", external_id="x-3", opened_at=at(18, 33), tab_name="Dubois"),
        Ticket(id="t-walkin", table_id="T22", reservation_id=None, covers=3, stage=CourseStage.DESSERT,
               pos_id="pos-4", external_id=None, opened_at=at(18, 50), tab_name=""),
    ]
    with store.write() as s:
        for g in guests:
            repos.save_guest(s, g)
        for r in res:
            repos.save_reservation(s, r, service_date=TONIGHT)
        for t in tickets:
            repos.save_ticket(s, t, business_date=20261127)
        repos.record_sync(s, FEED_RESERVATIONS, attempt_at=NOW - timedelta(seconds=20), ok=True)
        repos.record_sync(s, FEED_POS_ORDERS, attempt_at=NOW - timedelta(seconds=15), ok=True)
    return {r.id.removeprefix("r-"): r.id for r in res}


def load_layout() -> FloorLayout:
    with open(ROOT / "resources" / "floorplans" / "bistro.json", encoding="utf-8") as f:
        return layout_from_dict(json.load(f))


# The offscreen platform (no window manager) says this whenever a shown window's size limits change: it is
# about the test platform, not about hoststand. Every other Qt warning still fails a test.
_OFFSCREEN_NOISE = r"^This plugin does not support propagateSizeHints\(\)$"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(_OFFSCREEN_NOISE))


@pytest.fixture
def night(tmp_path) -> Night:
    store = open_store(tmp_path / "cache.sqlite")
    ids = _seed(store)
    clock = ManualClock(NOW)
    bus = ChangeBus()
    health = HealthMonitor(clock, bus)
    health.register("opentable", "booking")
    health.register("toast", "pos")
    health.success("opentable")
    health.success("toast")
    layout = load_layout()
    service = HostService(
        store,
        layout=layout,
        settings=RestaurantSettings(name="The Corner Bistro"),
        clock=clock,
        bus=bus,
        health=health,
    )
    yield Night(service=service, store=store, clock=clock, bus=bus, health=health, layout=layout, ids=ids)
    store.close()


@pytest.fixture
def window(qtbot, night):
    from hoststand.ui.main_window import MainWindow

    w = MainWindow(night.service, title="hoststand — test")
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def shot(tmp_path):
    """`shot(widget, name)` saves the widget's picture into the test's tmp dir and returns the path."""
    return lambda widget, name: save_shot(widget, tmp_path, name)


def save_shot(widget, tmp_path: Path, name: str) -> Path:
    """Save `widget`'s picture as tmp_path/name.png (and a copy in $HOSTSTAND_UI_SHOTS when set)."""
    from PySide6.QtWidgets import QApplication

    QApplication.sendPostedEvents()  # pending layouts and repaints, as the event loop would
    QApplication.processEvents()
    path = tmp_path / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    copy_to = os.environ.get("HOSTSTAND_UI_SHOTS")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path
