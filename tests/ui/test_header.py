"""The header: tonight's figures, one health chip per API, queued actions, and the stale-data marker."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.events import Change


def test_header_shows_the_night(window):
    h = window.header
    assert h.restaurant.text() == "The Corner Bistro"
    assert h.date.text() == "Friday 27 November"
    assert h.clock.text() == "19:42"
    # booked: every party not cancelled (13 parties, 44 covers, less Patel's 4); waiting: Chen's 4
    assert h.booked.value.text() == "42"
    assert h.arrived.value.text() == "4"
    assert h.seated.value.text() == str(2 + 6 + 2 + 3)  # Garcia, Okafor, Dubois, and the walk-in at 22
    assert h.parties.value.text() == "3/12"
    assert not h.stale.isVisible() and not h.queued.isVisible()


def test_health_chips_follow_the_monitor(window, qtbot, night):
    chips = {c.api: c for c in window.header.chips()}
    assert set(chips) == {"opentable", "toast"}
    assert chips["toast"].state == "up" and chips["toast"].text() == "Toast"

    night.clock.advance(timedelta(seconds=30))
    for _ in range(3):
        night.health.failure("toast", "Connection refused by the POS")
    night.health.rate_limited("opentable")
    qtbot.waitUntil(lambda: window.header.chip("toast").state == "down", timeout=2000)
    toast = window.header.chip("toast")
    assert toast.text() == "Toast · down since 19:42"
    assert "Connection refused by the POS" in toast.toolTip()
    assert window.header.chip("opentable").state == "degraded"
    assert "slow since" in window.header.chip("opentable").text()
    banner = window.header.banner
    assert banner.isVisible() and banner.property("tone") == "down"
    assert "Toast (POS) is unreachable since 19:42" in banner.message.text()
    assert "Keep working" in banner.message.text()

    night.health.success("toast")
    qtbot.waitUntil(lambda: window.header.chip("toast").state == "up", timeout=2000)


def test_queued_actions_and_stale_data_are_shown(window, qtbot, night):
    window.check_in(night.ids["smith"])
    assert window.header.queued.isVisible()
    assert window.header.queued.text() == "2 queued"
    assert not window.header.banner.isVisible()

    night.clock.advance(timedelta(minutes=10))  # no pull for ten minutes
    night.bus.publish(Change.of("health"))
    qtbot.waitUntil(window.header.stale.isVisible, timeout=2000)
    assert window.header.stale.text() == "Showing cached data from 19:41"
    assert window.header.banner.isVisible()
