"""The waitlist: quotes replayed in order against predicted frees, quote accuracy, walk-in entry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.domain.floor_state import TableStatus
from hoststand.domain.model import (
    Allergen,
    FloorLayout,
    Reservation,
    ReservationStatus,
    Table,
    TableState,
    WaitlistEntry,
)
from hoststand.domain.notes import build_ticket_notes
from hoststand.domain.pacing import TablePace
from hoststand.domain.turn_times import SOURCE_DEFAULT, TurnEstimate, TurnTimeModel
from hoststand.domain.waitlist import (
    QuoteAccuracy,
    WaitQuote,
    free_times,
    new_walk_in,
    quote_accuracy,
    quote_waits,
    round_up_quote,
    wait_timer,
    walk_in_allergies,
    walk_in_party,
)

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
MODEL = TurnTimeModel()


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2024, 6, 1, hh, mm, tzinfo=NY).astimezone(UTC)


NOW = at(20, 0)


def mins(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


def table(n: int, lo: int, hi: int, combos: tuple[str, ...] = ()) -> Table:
    return Table(id=f"T{n}", name=str(n), section_id="main", min_seats=lo, max_seats=hi, combinable_with=combos)


def layout(*tables: Table) -> FloorLayout:
    return FloorLayout(id="l", name="L", width=1, height=1, sections=(), tables=tables)


ROOM = layout(table(1, 1, 2), table(2, 1, 2), table(3, 3, 4), table(4, 3, 4), table(5, 5, 6))


def entry(id_, size, status="waiting", added=NOW) -> WaitlistEntry:
    return WaitlistEntry(id=id_, name=id_.title(), party_size=size, added_at=added, status=status)


def booking(id_, table_id, start, size=4) -> Reservation:
    return Reservation(id=id_, source="opentable", external_id=id_, party_size=size, start=start,
                       table_ids=(table_id,))


def quote(entries, free_at, room=ROOM, reserved=(), **kwargs):
    return quote_waits(entries, free_at, room, reserved, now=NOW, turn_model=MODEL, tz=NY, **kwargs)


def test_a_2_top_is_quoted_10_min_while_the_6_top_ahead_is_quoted_35():
    free_at = {"T1": mins(8), "T2": mins(50), "T3": mins(20), "T4": mins(25), "T5": mins(33)}
    quotes = quote([entry("six", 6), entry("two", 2)], free_at)
    assert quotes["six"] == WaitQuote(35, ("T5",), mins(33), "5 predicted free 20:33")
    assert quotes["two"] == WaitQuote(10, ("T1",), mins(8), "1 predicted free 20:08")


def test_a_free_table_is_quoted_no_wait():
    quotes = quote([entry("a", 2)], {"T1": NOW, "T2": NOW - timedelta(minutes=5)})
    assert quotes["a"] == WaitQuote(0, ("T1",), NOW, "1 free now")


@pytest.mark.parametrize(("wait", "quoted"), [(0, 0), (0.5, 5), (1, 5), (5, 5), (5.2, 10), (11, 15), (30, 30), (31, 35)])
def test_quotes_round_up_to_five_minutes(wait, quoted):
    assert round_up_quote(timedelta(minutes=wait)) == quoted


def test_a_party_behind_another_of_its_size_waits_for_the_next_table():
    free_at = {"T1": NOW, "T2": mins(20)}
    quotes = quote([entry("a", 2), entry("b", 2), entry("c", 2)], free_at)
    assert [quotes[k].minutes for k in "abc"] == [0, 20, 85]  # c waits for a's turn (85 min in prime time)
    assert quotes["c"].table_ids == ("T1",)


def test_a_party_may_take_a_bigger_table_rather_than_wait():
    quotes = quote([entry("a", 2)], {"T1": mins(40), "T3": mins(5)})
    assert quotes["a"].table_ids == ("T3",) and quotes["a"].minutes == 5


def test_a_table_held_for_a_reservation_is_not_given_when_the_turn_would_run_into_it():
    free_at = {"T3": NOW, "T4": mins(40)}
    held = [booking("r1", "T3", mins(45))]  # held from 20:15, the walk-in's 100-minute turn would not fit
    quotes = quote([entry("a", 4)], free_at, reserved=held)
    assert quotes["a"].table_ids == ("T4",) and quotes["a"].minutes == 40


def test_a_reservation_much_later_leaves_room_for_a_walk_in():
    held = [booking("r1", "T3", mins(150))]  # held from 22:00; a walk-in seated now leaves at 21:40
    assert quote([entry("a", 4)], {"T3": NOW}, reserved=held)["a"].minutes == 0


def test_the_hold_window_is_a_parameter_and_other_reservations_hold_nothing():
    held = [booking("r1", "T3", mins(110))]
    assert quote([entry("a", 4)], {"T3": NOW}, reserved=held)["a"].minutes != 0
    assert quote([entry("a", 4)], {"T3": NOW}, reserved=held, hold_window=timedelta(minutes=5))["a"].minutes == 0
    seated = Reservation(id="s", source="opentable", external_id="s", party_size=4, start=mins(10),
                         table_ids=("T3",), status=ReservationStatus.SEATED)
    assert quote([entry("a", 4)], {"T3": NOW}, reserved=[seated])["a"].minutes == 0


def test_a_big_party_is_quoted_at_a_combinable_pair():
    room = layout(table(6, 2, 4, ("T7",)), table(7, 2, 4, ("T6",)))
    quotes = quote([entry("eight", 8)], {"T6": mins(12), "T7": mins(28)}, room=room)
    assert quotes["eight"] == WaitQuote(30, ("T6", "T7"), mins(28), "6+7 predicted free 20:28")


def test_a_party_no_table_can_seat_gets_no_quote():
    quotes = quote([entry("big", 14)], {t.id: NOW for t in ROOM.tables})
    assert quotes["big"] == WaitQuote(None, (), None, "No table seats a party of 14")


def test_tables_not_in_the_free_times_are_not_available():
    quotes = quote([entry("six", 6)], {"T1": NOW, "T3": NOW})  # T5 blocked
    assert quotes["six"] == WaitQuote(None, (), None, "Every table that seats a party of 6 is blocked")


def test_only_waiting_and_notified_parties_are_quoted_and_replayed():
    entries = [entry("gone", 2, "removed"), entry("sat", 2, "seated"), entry("n", 2, "notified"), entry("w", 2)]
    quotes = quote(entries, {"T1": NOW, "T2": mins(10)})
    assert set(quotes) == {"n", "w"}
    assert (quotes["n"].minutes, quotes["w"].minutes) == (0, 10)


def test_free_times_from_the_floor_and_its_pace():
    statuses = {
        "T1": TableStatus("T1", TableState.FREE),
        "T2": TableStatus("T2", TableState.HELD),
        "T3": TableStatus("T3", TableState.MAINS),
        "T4": TableStatus("T4", TableState.BLOCKED),
        "T5": TableStatus("T5", TableState.SEATED),
    }
    pace = TablePace("T3", at(19, 30), 30, None, None, TurnEstimate(90, SOURCE_DEFAULT), mins(25), 0)
    assert free_times(statuses, {"T3": pace}, now=NOW) == {"T1": NOW, "T2": NOW, "T3": mins(25), "T5": NOW}


sizes = st.integers(min_value=1, max_value=8)


@settings(derandomize=True, max_examples=120, deadline=None)
@given(
    tables=st.lists(st.tuples(st.sampled_from([(1, 2), (2, 4), (3, 4), (4, 6), (5, 8)]), st.integers(-10, 150)),
                    min_size=1, max_size=8),
    party_sizes=st.lists(sizes, min_size=1, max_size=10),
    bookings=st.lists(st.tuples(st.integers(0, 7), st.integers(-30, 240)), max_size=4),
    combine=st.booleans(),
)
def test_quotes_are_non_negative_rounded_and_monotone_in_queue_position_for_equal_sizes(
    tables, party_sizes, bookings, combine
):
    ids = [f"T{i}" for i in range(len(tables))]
    room = layout(*(
        Table(id=ids[i], name=str(i), section_id="s", min_seats=lo, max_seats=hi,
              combinable_with=tuple(x for x in ids if x != ids[i]) if combine else ())
        for i, ((lo, hi), _) in enumerate(tables)
    ))
    free_at = {ids[i]: mins(offset) for i, (_, offset) in enumerate(tables)}
    reserved = [booking(f"r{k}", ids[i % len(ids)], mins(m)) for k, (i, m) in enumerate(bookings)]
    entries = [entry(f"e{k}", size) for k, size in enumerate(party_sizes)]
    quotes = quote(entries, free_at, room=room, reserved=reserved)
    assert set(quotes) == {e.id for e in entries}
    for q in quotes.values():
        if q.minutes is not None:
            assert q.minutes >= 0 and q.minutes % 5 == 0
            assert q.at is not None and q.at >= NOW and q.table_ids
    for i, first in enumerate(entries):
        for later in entries[i + 1:]:
            if first.party_size == later.party_size:
                a, b = quotes[first.id], quotes[later.id]
                if a.minutes is None:
                    assert b.minutes is None
                elif b.minutes is not None:
                    assert a.at <= b.at and a.minutes <= b.minutes


# the host's timer ---------------------------------------------------------------------------------------


def test_the_timer_counts_down_then_up_once_the_quote_is_passed():
    waiting = WaitlistEntry(id="a", name="A", party_size=2, added_at=at(19, 40), quoted_minutes=25)
    assert (wait_timer(waiting, now=at(19, 50)).remaining_minutes, wait_timer(waiting, now=at(19, 50)).overdue) == (15, False)
    timer = wait_timer(waiting, now=at(20, 12))
    assert (timer.waited_minutes, timer.remaining_minutes, timer.over_by_minutes, timer.overdue) == (32, 0, 7, True)
    assert wait_timer(waiting, now=at(20, 5)).overdue is False  # exactly on the quote
    assert wait_timer(WaitlistEntry(id="b", name="B", party_size=2, added_at=at(19, 40)), now=NOW).remaining_minutes is None


# quote accuracy -----------------------------------------------------------------------------------------


def seated_entry(id_, quoted, waited, status="seated") -> WaitlistEntry:
    return WaitlistEntry(id=id_, name=id_, party_size=2, added_at=at(19), quoted_minutes=quoted,
                         seated_at=at(19) + timedelta(minutes=waited), status=status)


def test_quote_accuracy_compares_quoted_with_actual_waits():
    entries = [
        seated_entry("a", 15, 12),  # 3 early
        seated_entry("b", 20, 25),  # 5 late: still within 5
        seated_entry("c", 10, 22),  # 12 late
        seated_entry("d", 30, 30),
        seated_entry("left", 10, 40, status="removed"),  # not seated: no actual wait
        WaitlistEntry(id="e", name="e", party_size=2, added_at=at(19), seated_at=at(19, 10), status="seated"),
    ]
    assert quote_accuracy(entries) == QuoteAccuracy(parties=4, mean_abs_error_min=5.0, within_5_min_pct=75.0,
                                                    mean_error_min=3.5)


def test_quote_accuracy_of_no_quoted_parties_is_unknown():
    assert quote_accuracy([]) == QuoteAccuracy(0, None, None, None)


# adding a walk-in ---------------------------------------------------------------------------------------


def test_a_walk_in_is_entered_with_a_normalised_phone_and_its_allergies_structured():
    e = new_walk_in("w1", "  Rivera ", 3, NOW, phone="(212) 555-0123", notes="window if possible, no nuts pls",
                    allergy_notes="shellfish, epipen", allergens=[Allergen.SESAME])
    assert (e.name, e.party_size, e.phone, e.status) == ("Rivera", 3, "+12125550123", "waiting")
    assert e.allergens == {Allergen.SESAME, Allergen.CRUSTACEAN, Allergen.MOLLUSC, Allergen.PEANUT, Allergen.TREE_NUT}
    assert e.allergy_notes == "shellfish, epipen"  # kept verbatim


def test_a_walk_in_without_a_phone_is_fine_but_a_wrong_one_is_refused():
    assert new_walk_in("w1", "Lee", 2, NOW).phone is None
    assert new_walk_in("w1", "Lee", 2, NOW, phone="  ").phone is None
    with pytest.raises(ValueError, match="is not a phone number"):
        new_walk_in("w1", "Lee", 2, NOW, phone="12")


@pytest.mark.parametrize(("name", "size"), [("", 2), ("Lee", 0)])
def test_a_walk_in_needs_a_name_and_a_guest(name, size):
    with pytest.raises(ValueError):
        new_walk_in("w1", name, size, NOW)


def test_seating_a_walk_in_builds_a_party_whose_ticket_puts_allergies_first():
    e = new_walk_in("w1", "Rivera", 3, at(19, 40), phone="212 555 0123", notes="birthday, no nuts pls",
                    allergy_notes="severe shellfish allergy")
    guest, party = walk_in_party(e, reservation_id="r-w1", table_ids=("T3",))
    assert (party.source, party.status, party.party_size, party.arrived_at, party.table_ids) == (
        "walk_in", ReservationStatus.ARRIVED, 3, at(19, 40), ("T3",)
    )
    assert (guest.phone, guest.allergy_notes) == ("+12125550123", "severe shellfish allergy")
    notes = build_ticket_notes(guest, party)
    assert notes.tab_name.startswith("SEVERE ALLERGY: PEANUT, TREE NUT, SHELLFISH")
    allergies = walk_in_allergies(e)
    assert allergies.severe and Allergen.PEANUT in allergies.codes and Allergen.CRUSTACEAN in allergies.codes
