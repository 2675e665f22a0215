"""Per-API health: degraded after a failure, down (circuit open) after three, probes spaced with backoff."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.events import ChangeBus
from hoststand.sync.health import HealthMonitor, HealthState


def _monitor(clock):
    bus = ChangeBus()
    seen = []
    bus.subscribe(lambda c: seen.append(c.topics))
    m = HealthMonitor(clock, bus, failures_to_open=3)
    m.register("toast", "pos")
    return m, seen


def test_one_failure_degrades_three_open_the_circuit(clock):
    m, seen = _monitor(clock)
    start = clock.now()
    m.failure("toast", "unreachable")
    assert m.get("toast").state is HealthState.DEGRADED
    clock.advance(5)
    m.failure("toast", "unreachable")
    m.failure("toast", "unreachable")
    h = m.get("toast")
    assert h.state is HealthState.DOWN
    assert h.since == start  # "down since" the first failure of the streak
    assert seen  # the UI is told


def test_while_down_only_one_probe_at_a_time_and_spaced_by_backoff(clock):
    m, _ = _monitor(clock)
    for _ in range(3):
        m.failure("toast", "unreachable")
    assert not m.allow("toast")  # the first probe waits for its backoff
    clock.advance(timedelta(seconds=2))
    assert m.allow("toast")
    assert not m.allow("toast")  # one probe in flight
    m.failure("toast", "unreachable")
    clock.advance(timedelta(seconds=2))
    assert not m.allow("toast")  # backoff doubled
    clock.advance(timedelta(seconds=2))
    assert m.allow("toast")
    m.success("toast")
    h = m.get("toast")
    assert h.state is HealthState.UP and h.since is None and m.allow("toast")


def test_backoff_is_capped(clock):
    m, _ = _monitor(clock)
    for _ in range(3):
        m.failure("toast", "x")
    for _ in range(20):
        clock.advance(timedelta(seconds=61))
        assert m.allow("toast")
        m.failure("toast", "x")
    clock.advance(timedelta(seconds=60))
    assert m.allow("toast")


def test_rate_limiting_degrades_without_opening_the_circuit(clock):
    m, _ = _monitor(clock)
    for _ in range(10):
        m.rate_limited("toast")
    assert m.get("toast").state is HealthState.DEGRADED
    assert m.allow("toast")


def test_refused_credentials_take_the_api_down_at_once_and_say_so(clock):
    m, _ = _monitor(clock)
    m.failure("toast", "credentials refused", auth=True)
    h = m.get("toast")
    assert h.state is HealthState.DOWN and h.auth_failed
