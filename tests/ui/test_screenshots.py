"""The main window rendered offscreen at the two screen sizes a host stand has, saved as PNGs to look at.

The pictures go to the test's tmp dir (and to $HOSTSTAND_UI_SHOTS when set); the assertions only check
that a real picture was made. Looking at them is the point.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.domain.events import Change


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)], ids=["1440x900", "1280x800"])
def test_main_window_renders_at_host_stand_sizes(window, qtbot, shot, size):
    window.resize(*size)
    qtbot.wait(30)
    window.reservation_list.type_into_search("smi")
    qtbot.wait(20)
    path = shot(window, f"main-{size[0]}x{size[1]}")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)], ids=["1440x900", "1280x800"])
def test_seated_during_an_outage(window, qtbot, night, shot, size):
    window.resize(*size)
    window.check_in(night.ids["smith"])
    night.clock.advance(timedelta(minutes=6))
    for _ in range(3):
        night.health.failure("toast", "Connection timed out")
    night.bus.publish(Change.of("health", "tables"))
    qtbot.waitUntil(lambda: window.header.chip("toast").state == "down", timeout=2000)
    window.select_reservation(night.ids["smith"])
    path = shot(window, f"outage-{size[0]}x{size[1]}")
    assert path.stat().st_size > 10_000


def test_table_picker(window, qtbot, night, shot):
    window.select_reservation(night.ids["jones"])
    window.check_in(night.ids["jones"])
    assert window.picker is not None
    qtbot.waitExposed(window.picker)
    shot(window.picker, "picker")
    shot(window, "picker-behind")
