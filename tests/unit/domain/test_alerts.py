"""Pacing alerts: each rule at its threshold, in plain words with the table and the minutes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hoststand.domain.alerts import Alert, AlertKind, AlertSettings, Severity, evaluate_alerts
from hoststand.domain.model import CourseStage
from hoststand.domain.pacing import ArrivalForecast, TablePace
from hoststand.domain.turn_times import SOURCE_DEFAULT, TurnEstimate

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
C = CourseStage


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2024, 6, 1, hh, mm, tzinfo=NY).astimezone(UTC)


NOW = at(20, 0)


def pace(name, seated_min=30, stage=None, stage_min=None, over_by=0, reservation=None, ticket=None) -> TablePace:
    return TablePace(
        table_id=f"T{name}", seated_since=NOW - timedelta(minutes=seated_min), minutes_seated=seated_min,
        stage=stage, stage_since=NOW - timedelta(minutes=stage_min) if stage_min is not None else None,
        expected_turn=TurnEstimate(90, SOURCE_DEFAULT), predicted_free_at=NOW + timedelta(minutes=30),
        over_by_minutes=over_by, table_name=str(name), reservation_id=reservation or f"r{name}",
        ticket_id=ticket, party_name="Smith", covers=4,
    )


def arrival(start, assigned=("T12",), free_at=None, likely=None, likely_at=None, late_by=0, warning=None, size=4):
    likely = assigned if likely is None else likely
    return ArrivalForecast(
        reservation_id="r-smith", start=start, likely_table_ids=likely, likely_at=likely_at or start,
        late_by_minutes=late_by, warning=warning, party_name="Smith", party_size=size,
        assigned_table_ids=assigned, assigned_free_at=free_at, likely_tables="+".join(t[1:] for t in likely),
        assigned_tables="+".join(t[1:] for t in assigned),
    )


def alerts(paces=(), forecasts=(), settings=AlertSettings(), now=NOW):
    return evaluate_alerts(list(paces), list(forecasts), now=now, settings=settings, tz=NY)


def test_a_quiet_floor_raises_nothing():
    assert alerts([pace(1, 10), pace(2, 40, C.MAINS, 20)], [arrival(at(20, 15), free_at=at(20, 10))]) == []


@pytest.mark.parametrize(("minutes", "raised"), [(19, False), (20, True), (31, True)])
def test_seated_with_no_order(minutes, raised):
    found = alerts([pace(12, minutes)])
    assert bool(found) is raised
    if raised:
        assert found == [
            Alert(AlertKind.NO_ORDER, "T12", "r12", minutes, f"Table 12: seated {minutes} min, no order yet",
                  Severity.WARNING, ("T12",))
        ]


def test_an_opened_ticket_with_nothing_ordered_is_no_order_yet():
    [alert] = alerts([pace(12, 25, C.OPENED, 24)])
    assert alert.message == "Table 12: seated 25 min, no order yet"


def test_an_ordered_table_is_not_no_order():
    assert alerts([pace(12, 25, C.ORDERED, 20)]) == []


@pytest.mark.parametrize(("minutes", "raised"), [(44, False), (45, True), (46, True)])
def test_mains_out_46_min_raises_the_no_check_alert_44_does_not(minutes, raised):
    found = alerts([pace(14, 80, C.MAINS, minutes)])
    assert [a.message for a in found] == ([f"Table 14: mains out {minutes} min, no check yet"] if raised else [])


def test_no_check_needs_to_know_when_the_mains_fired():
    assert alerts([pace(14, 80, C.MAINS, None)]) == []


def test_a_dropped_check_is_not_no_check():
    assert alerts([pace(14, 80, C.CHECK_DROPPED, 50)]) == []


@pytest.mark.parametrize(("over_by", "raised"), [(0, False), (14, False), (15, True), (25, True)])
def test_over_the_expected_turn(over_by, raised):
    found = alerts([pace(17, 90 + over_by, C.DESSERT, 10, over_by=over_by)])
    assert [a.message for a in found] == ([f"Table 17: {over_by} min over its expected turn"] if raised else [])


def test_thresholds_are_configurable_and_a_rule_can_be_turned_off():
    table = pace(17, 120, None, over_by=30)
    assert {a.kind for a in alerts([table])} == {AlertKind.NO_ORDER, AlertKind.OVER_TURN}
    quiet = AlertSettings(no_order_after=None, over_turn_by=timedelta(minutes=40))
    assert alerts([table], settings=quiet) == []


def test_a_reservation_due_soon_whose_table_runs_late():
    fc = arrival(at(20, 15), free_at=at(20, 35), likely_at=at(20, 35), late_by=20, warning="No table free in time")
    [alert] = alerts(forecasts=[fc])
    assert alert.message == "Smith (4) due 20:15 at 12: table still occupied, predicted free 20:35"
    assert (alert.kind, alert.table_id, alert.reservation_id, alert.minutes, alert.severity) == (
        AlertKind.ARRIVAL_AT_RISK, "T12", "r-smith", 20, Severity.URGENT
    )


def test_the_arrival_alert_says_when_another_table_is_free():
    fc = arrival(at(20, 15), free_at=at(20, 35), likely=("T14",))
    [alert] = alerts(forecasts=[fc])
    assert alert.message == "Smith (4) due 20:15 at 12: table still occupied, predicted free 20:35; 14 is free"


@pytest.mark.parametrize(("due", "raised"), [(at(20, 15), True), (at(20, 16), False), (at(19, 55), True)])
def test_the_arrival_alert_looks_fifteen_minutes_ahead(due, raised):
    fc = arrival(due, free_at=due + timedelta(minutes=20))
    assert bool(alerts(forecasts=[fc])) is raised


def test_a_table_free_in_time_or_within_the_tolerance_raises_nothing():
    assert alerts(forecasts=[arrival(at(20, 15), free_at=at(20, 15))]) == []
    late_5 = arrival(at(20, 15), free_at=at(20, 20))
    assert len(alerts(forecasts=[late_5])) == 1
    assert alerts(forecasts=[late_5], settings=AlertSettings(arrival_tolerance=timedelta(minutes=5))) == []


def test_an_unassigned_party_with_no_table_free_in_time():
    fc = arrival(at(20, 10), assigned=(), likely=("T14",), likely_at=at(20, 40), late_by=30, warning="No table…")
    [alert] = alerts(forecasts=[fc])
    assert alert.message == "Smith (4) due 20:10: no table free in time, 14 predicted free 20:40"
    assert (alert.minutes, alert.table_id) == (30, "T14")


def test_a_party_no_table_can_seat():
    fc = arrival(at(20, 10), assigned=(), likely=(), late_by=0, warning="No table seats a party of 14", size=14)
    fc = replace(fc, likely_at=None)
    [alert] = alerts(forecasts=[fc])
    assert alert.message == "Smith (14) due 20:10: no table can seat them"


def test_a_party_at_combined_tables_raises_each_alert_once():
    both = [pace(6, 25, reservation="r-big"), pace(7, 25, reservation="r-big")]
    [alert] = alerts(both)
    assert alert.message == "Tables 6+7: seated 25 min, no order yet"
    assert alert.table_ids == ("T6", "T7")


def test_alerts_are_sorted_by_severity_then_most_minutes_first():
    floor = [pace(1, 22), pace(2, 40), pace(3, 100, C.MAINS, 50, over_by=10), pace(4, 135, C.DESSERT, 5, over_by=45)]
    fc = arrival(at(20, 10), free_at=at(20, 25))
    found = alerts(floor, [fc])
    assert [(a.severity, a.kind, a.minutes) for a in found] == [
        (Severity.URGENT, AlertKind.ARRIVAL_AT_RISK, 15),
        (Severity.WARNING, AlertKind.OVER_TURN, 45),
        (Severity.WARNING, AlertKind.NO_ORDER, 40),
        (Severity.WARNING, AlertKind.NO_ORDER, 22),
        (Severity.NOTICE, AlertKind.NO_CHECK, 50),
    ]


def test_severities_are_configurable():
    settings = AlertSettings(severity={AlertKind.NO_ORDER: Severity.URGENT})
    [alert] = alerts([pace(1, 22)], settings=settings)
    assert alert.severity == Severity.URGENT
