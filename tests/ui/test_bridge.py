"""The change bridge brings events from any thread to the GUI thread, coalesced into one refresh."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from hoststand.domain.events import Change, ChangeBus
from hoststand.ui.bridge import ChangeBridge


def test_events_from_another_thread_arrive_on_the_gui_thread_as_one(qtbot):
    bus = ChangeBus()
    bridge = ChangeBridge(bus.subscribe)
    received: list[tuple[Change, bool]] = []
    bridge.changed.connect(lambda c: received.append((c, QThread.currentThread() is bridge.thread())))

    def burst():
        for i in range(20):
            bus.publish(Change.of("reservations", reservation_ids=[f"r{i}"]))
        bus.publish(Change.of("health"))

    t = threading.Thread(target=burst)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(received) >= 1, timeout=2000)
    qtbot.wait(80)  # nothing more comes after the window closes
    assert len(received) == 1
    change, on_gui_thread = received[0]
    assert on_gui_thread
    assert change.topics == {"reservations", "health"}
    assert change.reservation_ids == {f"r{i}" for i in range(20)}
    bridge.close()


def test_a_closed_bridge_no_longer_listens(qtbot):
    bus = ChangeBus()
    bridge = ChangeBridge(bus.subscribe)
    seen = []
    bridge.changed.connect(seen.append)
    bridge.close()
    bus.publish(Change.of("tables"))
    qtbot.wait(80)
    assert seen == []


def test_a_destroyed_bridge_unsubscribes(qtbot):
    bus = ChangeBus()
    bridge = ChangeBridge(bus.subscribe)
    assert len(bus._subscribers) == 1
    bridge.deleteLater()
    qtbot.waitUntil(lambda: len(bus._subscribers) == 0, timeout=1000)
    bus.publish(Change.of("tables"))  # must not raise or log
