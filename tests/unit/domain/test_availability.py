"""When a party can sit: the earliest moment a table or a combinable pair is free for the whole turn."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hoststand.domain.availability import earliest_fit, earliest_free
from hoststand.domain.model import FloorLayout, Table
from hoststand.domain.turn_times import DayParts, TurnTimeModel

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2024, 6, 1, hh, mm, tzinfo=NY).astimezone(UTC)


def turn(minutes: int):
    return lambda _: timedelta(minutes=minutes)


def table(n: int, lo: int, hi: int, combos: tuple[str, ...] = ()) -> Table:
    return Table(id=f"T{n}", name=str(n), section_id="s", min_seats=lo, max_seats=hi, combinable_with=combos)


def layout(*tables: Table) -> FloorLayout:
    return FloorLayout(id="l", name="L", width=1, height=1, sections=(), tables=tables)


def test_a_table_with_nothing_booked_is_free_at_once():
    assert earliest_free([], at(20), turn(90)) == at(20)


def test_a_turn_must_fit_between_two_parties():
    spans = [(at(19), at(20, 10)), (at(21), at(22, 30))]
    assert earliest_free(spans, at(20), turn(30)) == at(20, 10)  # 20:10–20:40 fits before 21:00
    assert earliest_free(spans, at(20), turn(60)) == at(22, 30)  # an hour does not


def test_giving_up_at_a_moment():
    assert earliest_free([(at(19), at(21))], at(20), turn(30), give_up_at=at(21)) is None
    assert earliest_free([(at(19), at(21))], at(20), turn(30), give_up_at=at(21, 1)) == at(21)


def test_a_shorter_turn_from_a_day_part_change_may_fit_sooner():
    model = TurnTimeModel()
    two_top = lambda moment: model.estimate_at(2, moment, NY).duration  # noqa: E731  85 min in prime, 75 after
    spans = [(at(19), at(20, 55)), (at(22, 18), at(23, 30))]
    changes = DayParts().changes(at(20), NY)
    assert earliest_free(spans, at(20), two_top, changes) == at(21, 0)  # 21:00 + 75 = 22:15 fits
    assert earliest_free(spans, at(20), two_top) == at(23, 30)  # without the change it is missed


def test_day_part_changes_of_the_next_day():
    changes = DayParts(prime_start=time(18, 30), prime_end=time(21, 0)).changes(at(20), NY)
    assert [c.astimezone(NY).strftime("%d %H:%M") for c in changes] == ["01 21:00", "02 04:00", "02 18:30"]


def test_the_best_table_at_the_earliest_moment_by_the_fitting_rules():
    room = layout(table(1, 1, 2), table(2, 1, 4), table(3, 3, 4))
    busy = {"T1": [(at(19), at(20, 30))], "T3": [(at(19), at(20, 20))]}
    assert earliest_fit(2, at(20), turn(60), room, busy, now=at(20)) == (("T2",), at(20))
    busy["T2"] = [(at(19), at(20, 20))]
    assert earliest_fit(2, at(20), turn(60), room, busy, now=at(20)) == (("T2",), at(20, 20))  # fewer empty seats than 3


def test_a_big_party_waits_for_both_tables_of_a_pair():
    room = layout(table(6, 2, 4, ("T7",)), table(7, 2, 4))
    busy = {"T6": [(at(19), at(20, 10))], "T7": [(at(19), at(20, 25))]}
    assert earliest_fit(8, at(20), turn(90), room, busy, now=at(20)) == (("T6", "T7"), at(20, 25))


def test_no_table_or_pair_big_enough_or_all_blocked():
    room = layout(table(1, 1, 2), table(5, 4, 6))
    assert earliest_fit(9, at(20), turn(90), room, {}, now=at(20)) is None
    assert earliest_fit(5, at(20), turn(90), room, {}, now=at(20), blocked=frozenset({"T5"})) is None
