"""The pacing service on a real SQLite cache: per-table pace with the estimate's source, turn times learned
once the history is long enough, alerts in plain words, covers per slot, arrivals against predicted frees,
kitchen load, the timeline and a move through the write path, and the forecast's cadence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from hoststand.domain import service_day
from hoststand.domain.alerts import AlertKind, Severity
from hoststand.domain.clock import ManualClock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.model import CourseStage, Reservation, ReservationStatus, TableState, Ticket
from hoststand.services.commands import HostCommands
from hoststand.services.pacing import PacingOptions, PacingQueries
from hoststand.store import repos
from hoststand.store.rows import TableBlockRow
from tests.conftest import NY

S = ReservationStatus
TONIGHT = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 19, 30, tzinfo=NY).astimezone(timezone.utc)


def at(hh: int, mm: int = 0, day: date = TONIGHT) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


def mins(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


class Floor:
    """Parties and tickets written straight into the cache, as the puller would leave them."""

    def __init__(self, store, settings) -> None:
        self.store = store
        self.settings = settings
        self.n = 0

    def party(self, name: str, size: int, start: datetime, *, status: S = S.BOOKED, tables=(), seated_at=None,
              finished_at=None, source: str = "opentable") -> Reservation:
        self.n += 1
        rid = f"r{self.n}-{name.lower()}"
        res = Reservation(id=rid, source=source, external_id=f"ext-{rid}", party_size=size, start=start, status=status,
                          guest_name=name, table_ids=tuple(tables), seated_at=seated_at, finished_at=finished_at,
                          arrived_at=seated_at)
        day = service_day.service_date(start, self.settings.tz, 4)
        with self.store.write() as s:
            repos.save_reservation(s, res, service_date=day)
        return res

    def seated(self, name: str, size: int, table: str, seated_at: datetime, stage: CourseStage = CourseStage.OPENED,
               stage_since: datetime | None = None) -> tuple[Reservation, Ticket]:
        res = self.party(name, size, seated_at, status=S.SEATED, tables=(table,), seated_at=seated_at)
        ticket = Ticket(id=f"t-{res.id}", table_id=table, reservation_id=res.id, covers=size, stage=stage,
                        pos_id=f"pos-{res.id}", external_id=f"x-{res.id}", opened_at=seated_at, stage_since=stage_since)
        self.ticket(ticket, seated_at)
        return res, ticket

    def ticket(self, ticket: Ticket, when: datetime) -> None:
        day = service_day.service_date(when, self.settings.tz, 4)
        with self.store.write() as s:
            repos.save_ticket(s, ticket, business_date=service_day.business_date_int(day))


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
def bus():
    return ChangeBus()


@pytest.fixture
def floor(store, settings):
    return Floor(store, settings)


@pytest.fixture
def pacing(store, layout, settings, clock, bus):
    q = PacingQueries(store, layout=layout, settings=settings, clock=clock, bus=bus,
                      options=PacingOptions(min_samples=3))
    yield q
    q.close()


def row(view, table_id):
    return next(r for r in view.tables if r.table_id == table_id)


# ------------------------------------------------------------------------------------------ per table


def test_a_seated_table_shows_its_course_with_its_time_the_expected_turn_and_its_source(pacing, floor):
    floor.seated("Okafor", 4, "T12", mins(-40), CourseStage.MAINS, stage_since=mins(-12))
    v = pacing.view()
    r = row(v, "T12")
    assert r.state is TableState.MAINS and r.party_name == "Okafor" and r.covers == 4
    assert r.minutes_seated == 40 and r.seated_since_local.strftime("%H:%M") == "18:50"
    assert r.stage_label == "Mains out" and r.stage_minutes == 12 and not r.stage_assumed
    # 3-4 guests seated at 18:50 (prime time): 90 + 10 minutes by default
    assert r.expected_turn_min == 100 and r.turn_source == "default" and r.turn_label == "100 min (default)"
    # at mains 45 % of the turn is left from when they fired: 19:18 + 45 min
    assert r.predicted_free_local.strftime("%H:%M") == "20:03" and r.free_in_minutes == 33
    assert r.over_by_minutes == 0
    assert row(v, "T13").state is TableState.FREE and not row(v, "T13").occupied


def test_a_stage_without_a_time_is_assumed_on_schedule_and_says_so(pacing, floor):
    floor.seated("Lee", 2, "T1", mins(-30), CourseStage.ORDERED)
    r = row(pacing.view(), "T1")
    assert r.stage_minutes is None and r.stage_assumed
    assert "assumed on schedule" in r.note


def test_a_table_past_its_turn_is_over_by_the_minutes_and_predicted_to_free_soon(pacing, floor):
    floor.seated("Brown", 2, "T2", mins(-110), CourseStage.DESSERT, stage_since=mins(-30))
    r = row(pacing.view(), "T2")
    assert r.expected_turn_min == 75 and r.over_by_minutes == 35
    assert r.free_in_minutes == 5 and "over its expected turn" in r.note


def test_a_held_table_names_its_party_and_when_it_is_due(pacing, floor):
    floor.party("Smith", 4, mins(20), tables=("T14",))
    r = row(pacing.view(), "T14")
    assert r.state is TableState.HELD and r.party_name == "Smith" and r.next_label == "due 19:50"


def test_a_blocked_table_is_out_of_the_forecast(pacing, floor, store):
    with store.write() as s:
        s.add(TableBlockRow(table_id="T17", reason="broken chair", since=mins(-60)))
    floor.party("Big", 8, mins(20))  # only 17 seats eight alone
    v = pacing.view()
    assert row(v, "T17").state is TableState.BLOCKED and v.blocked == 1
    fc = next(a for a in v.arrivals if a.party_name == "Big")
    assert "17" not in fc.likely


# ------------------------------------------------------------------------------------------ turn times


def _history(floor, n: int, size: int, minutes: int, *, days_back: int = 1, hour: int = 19) -> None:
    for i in range(n):
        day = TONIGHT - timedelta(days=days_back + i // 4)
        seated = at(hour, 5 * (i % 4), day)
        floor.party(f"H{i}", size, seated, status=S.FINISHED, tables=("T12",), seated_at=seated,
                    finished_at=seated + timedelta(minutes=minutes))


def test_turn_times_are_defaults_until_the_history_holds_enough_visits(pacing, floor):
    _history(floor, 2, 4, 120)
    floor.seated("Now", 4, "T12", mins(-10))
    v = pacing.view()
    assert not v.turns.learned and "Default turn times" in v.turns.summary
    assert row(v, "T12").turn_source == "default"


def test_turn_times_are_learned_from_enough_finished_visits_with_the_source_visible(pacing, floor, clock):
    _history(floor, 4, 4, 120, hour=19)  # prime time, 3-4 guests, two hours each
    floor.seated("Now", 4, "T12", at(19, 20))
    v = pacing.view(pacing.read())
    r = row(v, "T12")
    assert r.expected_turn_min == 120 and r.turn_source == "learned from 4 visits"
    assert r.turn_label == "120 min (learned from 4 visits)"
    assert v.turns.learned and v.turns.visits == 4
    cells = {(c.band, c.day_part.value): c for c in v.turns.cells}
    assert cells[("3–4", "prime")].source == "learned" and cells[("3–4", "prime")].minutes == 120
    assert cells[("3–4", "early")].source == "learned (all day parts)"
    assert cells[("1–2", "prime")].source == "default"


def test_the_model_is_relearned_on_its_cadence_not_on_every_refresh(pacing, floor, clock):
    pacing.view()
    _history(floor, 4, 2, 60)
    assert pacing.view().turns.visits == 0  # within relearn_every: the old model
    clock.advance(timedelta(minutes=6))
    assert pacing.view().turns.visits == 4


# ------------------------------------------------------------------------------------------ alerts


def test_each_alert_rule_in_plain_words(pacing, floor):
    floor.seated("Idle", 2, "T1", mins(-25))  # nothing ordered for 25 min
    floor.seated("Slow", 4, "T14", mins(-80), CourseStage.MAINS, stage_since=mins(-50))  # mains 50 min ago
    floor.seated("Late", 2, "T3", mins(-100), CourseStage.CHECK_DROPPED, stage_since=mins(-5))  # 75 + 25
    floor.seated("Sits", 4, "T12", mins(-30), CourseStage.ORDERED, stage_since=mins(-25))
    floor.party("Due", 4, mins(10), tables=("T12",))  # their table frees well after 19:40
    alerts = pacing.view().alerts
    text = [a.message for a in alerts]
    assert "Table 1: seated 25 min, no order yet" in text
    assert "Table 14: mains out 50 min, no check yet" in text
    assert "Table 3: 25 min over its expected turn" in text
    risk = next(a for a in alerts if a.kind is AlertKind.ARRIVAL_AT_RISK)
    assert risk.severity is Severity.URGENT and alerts[0] is risk
    assert risk.message.startswith("Due (4) due 19:40 at 12: table still occupied, predicted free")
    assert row(pacing.view(), "T12").alert is Severity.URGENT


def test_configured_thresholds_turn_rules_off(store, layout, settings, clock, floor):
    from hoststand.domain.alerts import AlertSettings

    q = PacingQueries(store, layout=layout, settings=settings, clock=clock,
                      options=PacingOptions(alerts=AlertSettings(no_order_after=None)))
    floor.seated("Idle", 2, "T1", mins(-25))
    assert [a for a in q.view().alerts if a.kind is AlertKind.NO_ORDER] == []


# ------------------------------------------------------------------------------------------ covers


def test_covers_per_15_minutes_booked_seated_and_rung_in(pacing, floor):
    floor.party("Book", 4, at(20, 0), tables=("T14",))
    res, _ = floor.seated("Sat", 2, "T1", at(19, 5), CourseStage.ORDERED, stage_since=at(19, 10))
    floor.ticket(Ticket(id="t-walk", table_id="T22", reservation_id=None, covers=3, stage=CourseStage.ORDERED,
                        opened_at=at(19, 20)), at(19, 20))
    v = pacing.view()
    slots = {s.start_local.strftime("%H:%M"): s for s in v.slots}
    assert slots["20:00"].booked == 4
    assert slots["19:00"].booked == 2 and slots["19:00"].seated == 2 and slots["19:00"].rung_in == 2
    assert slots["19:15"].seated == 3 and slots["19:15"].rung_in == 3  # the walk-in rung straight in
    assert slots["19:30"].now and not slots["19:30"].past and slots["19:15"].past
    assert v.totals.booked == 6 and v.totals.seated == 5 and v.totals.rung_in == 5


# ------------------------------------------------------------------------------------------ arrivals & kitchen


def test_arrivals_in_the_next_hour_get_a_likely_table_and_time(pacing, floor):
    floor.party("Free", 2, mins(20), tables=("T20",))
    floor.party("Loose", 3, mins(40))
    floor.party("Later", 2, mins(90), tables=("T21",))  # beyond the hour
    v = pacing.view()
    names = [a.party_name for a in v.arrivals]
    assert names == ["Free", "Loose"]
    free = v.arrivals[0]
    assert free.likely == "20" and free.assigned == "20" and free.in_time
    assert v.arrivals[1].likely and v.arrivals[1].late_by_minutes == 0


def test_no_table_free_in_time_is_a_warning(store, layout, settings, clock, floor):
    q = PacingQueries(store, layout=layout, settings=settings, clock=clock)
    for t in ("T17",):
        floor.seated("Occupier", 8, t, mins(-20), CourseStage.ORDERED, stage_since=mins(-15))
    floor.party("Eight", 8, mins(15))  # only 17 (5-8) seats eight; 10+11 seats eight together
    floor.party("Ten", 8, mins(15), tables=("T10", "T11"))
    floor.party("Other", 8, mins(16))
    v = q.view()
    fc = next(a for a in v.arrivals if a.party_name == "Other")
    assert fc.warning.startswith("No table free in time") and fc.late_by_minutes > 0


def test_kitchen_load_counts_covers_about_to_fire_and_what_seating_a_party_adds(pacing, floor):
    floor.seated("Soon", 4, "T12", mins(-30), CourseStage.ORDERED, stage_since=mins(-20))  # mains due in ~7 min
    floor.seated("Fired", 2, "T1", mins(-50), CourseStage.MAINS, stage_since=mins(-10))
    k = pacing.view().kitchen
    assert k.covers == 4 and k.tables == ("12",) and k.window_minutes == 20
    assert k.if_seated(4) == 8
    assert k.sentence(4) == "Seating a 4 now puts 8 covers in the next 20-minute fire window"


# ------------------------------------------------------------------------------------------ timeline & move


def test_the_timeline_has_every_table_and_a_bar_per_reservation(pacing, floor):
    floor.party("Book", 4, at(20, 0), tables=("T14",))
    floor.party("Loose", 3, at(20, 15))
    floor.seated("Sat", 2, "T1", at(19, 0), CourseStage.ORDERED, stage_since=at(19, 5))
    floor.party("Done", 2, at(18, 0), status=S.FINISHED, tables=("T20",), seated_at=at(18, 0), finished_at=at(19, 10))
    floor.party("Gone", 2, at(19, 0), status=S.CANCELLED, tables=("T21",))
    tl = pacing.view().timeline
    assert [r.table_id for r in tl.rows] == [t.id for t in pacing.layout.tables]
    bars = {b.label: b for b in tl.bars}
    assert set(bars) == {"Book (4)", "Loose (3)", "Sat (2)", "Done (2)"}
    assert tl.start_local.strftime("%H:%M") == "18:00" and tl.now_min == 90
    assert bars["Book (4)"].start_min == 120 and bars["Book (4)"].end_min == 120 + 100  # prime: 90 + 10
    assert bars["Loose (3)"].table_ids == () and bars["Loose (3)"].movable
    assert bars["Sat (2)"].predicted and bars["Sat (2)"].stage is CourseStage.ORDERED
    assert not bars["Done (2)"].movable and bars["Done (2)"].end_min == 70


def test_moving_a_bar_reassigns_through_the_write_path(pacing, floor, store, layout, settings, clock, bus):
    book = floor.party("Book", 4, at(20, 0), tables=("T14",))
    commands = HostCommands(store, layout=layout, settings=settings, clock=clock, bus=bus)
    assert pacing.view().timeline.bars[0].table_ids == ("T14",)
    result = commands.move(book.id, ("T15",))
    assert result.ok and result.undo_label
    bar = next(b for b in pacing.view().timeline.bars if b.reservation_id == book.id)
    assert bar.table_ids == ("T15",)
    with store.read() as s:
        assert [a.action for a in repos.audit_since(s, NOW - timedelta(minutes=1))] == ["moved"]


# ------------------------------------------------------------------------------------------ cadence


def test_the_forecast_is_kept_for_the_minute_and_recomputed_on_a_change(pacing, floor, clock, bus, monkeypatch):
    import hoststand.services.pacing as module

    calls = []
    real = module.forecast_arrivals
    monkeypatch.setattr(module, "forecast_arrivals", lambda *a, **k: calls.append(1) or real(*a, **k))
    floor.party("Book", 4, mins(20), tables=("T14",))
    pacing.view()
    pacing.view()
    assert len(calls) == 1
    bus.publish(Change.of("tickets"))  # a pull: the forecast just made is young enough
    pacing.view()
    assert len(calls) == 1
    clock.advance(timedelta(seconds=11))  # … until it is ten seconds old
    pacing.view()
    assert len(calls) == 2
    bus.publish(Change.of("health"))  # not about the floor
    clock.advance(timedelta(seconds=11))
    pacing.view()
    assert len(calls) == 2
    pacing.invalidate(force=True)  # the manager's own move: at once
    pacing.view()
    assert len(calls) == 3
    clock.advance(timedelta(seconds=61))  # the minute turned
    v = pacing.view()
    assert len(calls) == 4 and v.forecast_local == service_day.local(clock.now(), NY)


def test_an_empty_night_still_has_a_view(pacing):
    v = pacing.view()
    assert v.alerts == () and v.arrivals == () and v.occupied == 0 and v.free == len(v.tables)
    assert v.timeline.bars == () and v.kitchen.covers == 0
    assert replace(v.totals) == v.totals
