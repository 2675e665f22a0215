"""The sync process's messages (sync/process.py) and the app's mirror of the child's health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hoststand.domain.clock import ManualClock
from hoststand.domain.events import Change, ChangeBus
from hoststand.sync.health import ApiHealth, HealthMonitor, HealthState
from hoststand.sync.process import change_from_json, change_to_json, health_from_json, health_to_json
from hoststand.sync.worker import settings_from_dict, settings_to_dict
from hoststand.domain.settings import RestaurantSettings

T0 = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


def test_a_change_crosses_the_pipe_unchanged():
    change = Change.of("reservations", "tables", reservation_ids={"r1", "r2"}, table_ids={"t9"})
    assert change_from_json(change_to_json(change)) == change


def test_health_crosses_the_pipe_with_its_times_and_words():
    states = {
        "toast": ApiHealth(api="toast", role="pos", state=HealthState.DOWN, since=T0, last_failure=T0 + timedelta(seconds=5),
                           consecutive_failures=3, last_error="unreachable", next_probe_at=T0 + timedelta(seconds=9)),
        "opentable": ApiHealth(api="opentable", role="booking", last_success=T0),
    }
    assert health_from_json(health_to_json(states)) == states


def test_restaurant_settings_cross_the_pipe_whole():
    settings = RestaurantSettings(name="Chez Nous", timezone="Europe/Paris", service_day_rollover_hour=5,
                                  hold_window=timedelta(minutes=20), placeholders=False, currency="EUR")
    assert settings_from_dict(settings_to_dict(settings)) == settings


def test_the_mirror_publishes_only_real_changes_and_tells_of_recoveries():
    bus = ChangeBus()
    seen: list[Change] = []
    bus.subscribe(seen.append)
    monitor = HealthMonitor(ManualClock(T0), bus)
    recovered: list[str] = []
    monitor.on_recovery(recovered.append)
    up = ApiHealth(api="toast", role="pos")
    down = ApiHealth(api="toast", role="pos", state=HealthState.DOWN, since=T0, last_error="unreachable")
    monitor.mirror({"toast": up})
    monitor.mirror({"toast": up})
    assert len(seen) == 1  # the first sight is news; the same state again is not
    monitor.mirror({"toast": down})
    assert monitor.is_down("toast") and monitor.get("toast").since == T0 and len(seen) == 2
    monitor.mirror({"toast": up})
    assert recovered == ["toast"] and len(seen) == 3
