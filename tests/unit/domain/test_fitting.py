"""Table fitting: the smallest free table for the whole turn, pairs only when no table fits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.domain.fitting import suggest_tables
from hoststand.domain.model import FloorLayout, Table

UTC = timezone.utc
NOW = datetime(2024, 6, 1, 23, 0, tzinfo=UTC)  # 19:00 in New York
TURN = timedelta(minutes=90)
NY = ZoneInfo("America/New_York")


def table(id_, min_seats, max_seats, combinable=()) -> Table:
    return Table(id=id_, name=id_, section_id="s", min_seats=min_seats, max_seats=max_seats, combinable_with=combinable)


def layout(*tables: Table) -> FloorLayout:
    return FloorLayout(id="l", name="L", width=1, height=1, sections=(), tables=tables)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


FLOOR = layout(
    table("A2", 1, 2),
    table("B4", 2, 4),
    table("C4", 2, 4),
    table("D6", 4, 6),
    table("E8", 6, 8),
)


def ids(fits):
    return [f.table_ids for f in fits]


def test_smallest_table_that_fits_comes_first():
    fits = suggest_tables(3, NOW, TURN, FLOOR, {}, now=NOW)
    assert ids(fits) == [("B4",), ("C4",), ("D6",), ("E8",)]  # A2 too small; E8 below its minimum, last
    assert fits[0].seats == 4 and fits[0].waste == 1


def test_a_table_busy_during_the_turn_is_not_offered():
    busy = {"B4": [(at(60), at(150))]}  # the next party sits at 20:00, before our turn ends
    assert ids(suggest_tables(3, NOW, TURN, FLOOR, busy, now=NOW))[0] == ("C4",)


def test_among_equal_tables_the_one_free_longest_wins_and_the_reason_says_until_when():
    busy = {"B4": [(at(120), at(210))], "C4": [(at(100), at(190))]}
    fits = suggest_tables(4, NOW, TURN, FLOOR, busy, now=NOW, tz=NY)
    assert ids(fits)[:2] == [("B4",), ("C4",)]
    assert fits[0].free_until == at(120)
    assert fits[0].reason == "4-top, free until 21:00"
    assert fits[1].reason == "4-top, free until 20:40"


def test_free_all_night_beats_free_until_later():
    busy = {"B4": [(at(300), at(400))]}
    fits = suggest_tables(4, NOW, TURN, FLOOR, busy, now=NOW)
    assert ids(fits)[:2] == [("C4",), ("B4",)]
    assert fits[0].reason == "4-top, free for the rest of the night"
    assert fits[0].free_until is None


def test_a_busy_interval_that_ended_before_the_turn_does_not_matter():
    busy = {"B4": [(at(-120), at(0))]}  # half-open: it ends exactly as the turn starts
    assert ids(suggest_tables(4, NOW, TURN, FLOOR, busy, now=NOW))[0] == ("B4",)


def test_a_late_party_is_fitted_from_now_not_from_its_booking():
    booked_for = at(-30)
    busy = {"B4": [(at(70), at(160))]}  # free for 90 min from the booking, not from now
    assert ("B4",) not in ids(suggest_tables(4, booked_for, TURN, FLOOR, busy, now=NOW))


def test_blocked_tables_are_never_offered():
    assert ("B4",) not in ids(suggest_tables(4, NOW, TURN, FLOOR, {}, now=NOW, blocked={"B4"}))


def test_a_party_below_a_table_minimum_is_a_worse_fit_with_a_reason():
    fits = suggest_tables(2, NOW, TURN, layout(table("D6", 4, 6), table("A2", 1, 2)), {}, now=NOW)
    assert ids(fits) == [("A2",), ("D6",)]
    assert fits[1].reason == "6-top (meant for 4+), free for the rest of the night"


def test_two_combinable_tables_when_no_single_table_fits():
    floor = layout(table("B4", 2, 4, ("C4",)), table("C4", 2, 4), table("A2", 1, 2, ("B4",)))
    fits = suggest_tables(6, NOW, TURN, floor, {}, now=NOW)
    assert ids(fits) == [("B4", "A2"), ("B4", "C4")]  # 6 seats (no waste) before 8
    assert fits[0].seats == 6 and fits[0].waste == 0
    assert fits[0].reason == "B4 + A2 together (6 seats), free for the rest of the night"


def test_pairs_are_not_offered_when_a_single_table_fits():
    floor = layout(table("B4", 2, 4, ("C4",)), table("C4", 2, 4), table("D8", 5, 8))
    assert ids(suggest_tables(6, NOW, TURN, floor, {}, now=NOW)) == [("D8",)]


def test_pairs_need_both_tables_free_and_combinable():
    floor = layout(table("B4", 2, 4, ("C4",)), table("C4", 2, 4), table("X4", 2, 4))
    assert suggest_tables(6, NOW, TURN, floor, {"C4": [(at(10), at(20))]}, now=NOW) == []


def test_a_pair_is_free_until_the_earlier_of_its_tables():
    floor = layout(table("B4", 2, 4, ("C4",)), table("C4", 2, 4))
    fits = suggest_tables(6, NOW, TURN, floor, {"B4": [(at(200), at(300))], "C4": [(at(150), at(200))]}, now=NOW)
    assert fits[0].free_until == at(150)


def test_limit_and_no_fit():
    assert len(suggest_tables(1, NOW, TURN, FLOOR, {}, now=NOW, limit=2)) == 2
    assert suggest_tables(20, NOW, TURN, FLOOR, {}, now=NOW) == []


def test_bad_requests_are_refused_in_plain_words():
    with pytest.raises(ValueError, match="at least one guest"):
        suggest_tables(0, NOW, TURN, FLOOR, {}, now=NOW)
    with pytest.raises(ValueError, match="longer than zero"):
        suggest_tables(2, NOW, timedelta(0), FLOOR, {}, now=NOW)


# --- properties ------------------------------------------------------------------------------------


@st.composite
def floors(draw):
    count = draw(st.integers(1, 6))
    tables = []
    for i in range(count):
        low = draw(st.integers(1, 6))
        high = draw(st.integers(low, 10))
        partners = tuple(f"t{j}" for j in draw(st.sets(st.integers(0, count - 1), max_size=2)) if j != i)
        tables.append(table(f"t{i}", low, high, partners))
    busy = {}
    for t in tables:
        spans = draw(st.lists(st.tuples(st.integers(-200, 400), st.integers(10, 150)), max_size=2))
        busy[t.id] = [(at(s), at(s + d)) for s, d in spans]
    return layout(*tables), busy


def overlaps(busy, table_id, start, end):
    return any(s < end and e > start for s, e in busy.get(table_id, []))


@settings(derandomize=True, max_examples=150, deadline=None)
@given(floors(), st.integers(1, 14), st.integers(-60, 120), st.sets(st.sampled_from([f"t{i}" for i in range(6)]), max_size=2))
def test_property_suggestions_are_free_big_enough_and_ranked(floor_and_busy, party, offset, blocked):
    floor, busy = floor_and_busy
    start = at(offset)
    fits = suggest_tables(party, start, TURN, floor, busy, now=NOW, blocked=blocked, limit=50)
    turn_start = max(start, NOW)
    turn_end = turn_start + TURN
    by_id = {t.id: t for t in floor.tables}
    for fit in fits:
        assert not set(fit.table_ids) & blocked
        assert fit.seats == sum(by_id[i].max_seats for i in fit.table_ids) >= party
        assert fit.waste == fit.seats - party
        for table_id in fit.table_ids:
            assert not overlaps(busy, table_id, turn_start, turn_end)
    # A proper single fit exists exactly when the best suggestion is one, and then it wastes least.
    proper = [
        t for t in floor.tables
        if t.id not in blocked and t.min_seats <= party <= t.max_seats and not overlaps(busy, t.id, turn_start, turn_end)
    ]
    if proper:
        assert len(fits[0].table_ids) == 1
        assert fits[0].waste == min(t.max_seats for t in proper) - party
        assert all(len(f.table_ids) == 1 for f in fits)  # no pairs when a table fits
    # Every free single table big enough is offered.
    singles = {f.table_ids[0] for f in fits if len(f.table_ids) == 1}
    assert singles == {
        t.id for t in floor.tables
        if t.id not in blocked and party <= t.max_seats and not overlaps(busy, t.id, turn_start, turn_end)
    }
