"""Covers: the cover policy, spend per cover, and covers booked/arrived/seated/rung in per 15-minute slot."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from hoststand.domain.covers import (
    CoverPolicy,
    CoverSlot,
    CoverTotals,
    cover_slots,
    cover_totals,
    covers_of,
    is_placeholder,
    spend_per_cover,
)
from hoststand.domain.model import CourseStage, Reservation, ReservationStatus, Ticket
from hoststand.domain.service_day import service_window

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
S = ReservationStatus
C = CourseStage


def at(hh: int, mm: int = 0) -> datetime:
    day = 2 if hh < 4 else 1
    return datetime(2024, 6, day, hh, mm, tzinfo=NY).astimezone(UTC)


def res(id_, size=4, start=None, status=S.BOOKED, arrived=None, seated=None, booked_size=None, source="opentable"):
    return Reservation(id=id_, source=source, external_id=id_, party_size=size, start=start or at(19),
                       status=status, arrived_at=arrived, seated_at=seated, booked_party_size=booked_size)


def ticket(id_, reservation_id=None, covers=4, opened=None, stage=C.ORDERED, closed=None):
    return Ticket(id=id_, table_id="T1", reservation_id=reservation_id, covers=covers, stage=stage,
                  opened_at=opened, closed_at=closed)


# the cover policy ------------------------------------------------------------------------------------


def test_before_seating_the_booking_counts():
    assert covers_of(res("r", 4, status=S.ARRIVED), ticket("t", "r", covers=6)) == 4


def test_once_seated_the_pos_wins_by_default():
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=5)) == 5
    assert covers_of(res("r", 4, status=S.FINISHED), ticket("t", "r", covers=3), "pos_wins") == 3


def test_host_wins_keeps_the_hosts_count():
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=5), CoverPolicy.HOST_WINS) == 4
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=5), "host_wins") == 4


def test_a_manual_override_wins_over_both():
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=5), override=7) == 7
    assert covers_of(None, None, override=0) == 0
    with pytest.raises(ValueError):
        covers_of(None, None, override=-1)


def test_a_ticket_without_covers_or_voided_leaves_the_hosts_count():
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=0)) == 4
    assert covers_of(res("r", 4, status=S.SEATED), ticket("t", "r", covers=6, stage=C.VOIDED)) == 4
    assert covers_of(res("r", 4, status=S.SEATED), None) == 4


def test_a_walk_in_ticket_counts_its_own_covers():
    assert covers_of(None, ticket("t", None, covers=3)) == 3


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        covers_of(None, None, "guest_wins")


@pytest.mark.parametrize(
    ("total", "covers", "per_cover"),
    [(10000, 4, 2500), (10001, 3, 3334), (10000, 3, 3333), (5, 2, 3), (0, 2, 0), (-1000, 3, -333), (1000, 0, None)],
)
def test_spend_per_cover_in_minor_units(total, covers, per_cover):
    assert spend_per_cover(total, covers) == per_cover


def test_a_placeholder_is_an_empty_opened_ticket_for_a_party_not_yet_seated():
    booked = res("r", status=S.BOOKED)
    assert is_placeholder(ticket("t", "r", stage=C.OPENED), booked)
    assert is_placeholder(ticket("t", "r", stage=C.OPENED), res("r", status=S.CANCELLED))
    assert not is_placeholder(ticket("t", "r", stage=C.ORDERED), booked)
    assert not is_placeholder(ticket("t", "r", stage=C.OPENED), res("r", status=S.SEATED, seated=at(19)))
    assert not is_placeholder(ticket("t", None, stage=C.OPENED), None)


# per slot ---------------------------------------------------------------------------------------------


def slots_of(reservations, tickets):
    start, end = service_window(date(2024, 6, 1), NY, 4)
    return {s.start_local.strftime("%H:%M"): s for s in cover_slots(reservations, tickets, day_start=start, day_end=end, tz=NY)}


def test_a_service_day_has_ninety_six_quarter_hours_on_the_wall_clock():
    slots = slots_of([], [])
    assert len(slots) == 96
    assert list(slots)[:2] == ["04:00", "04:15"]
    assert slots["19:00"] == CoverSlot(datetime(2024, 6, 1, 19, 0, tzinfo=NY), 0, 0, 0, 0)


def test_booked_counts_reservations_by_start_as_booked_except_cancelled_and_no_shows():
    reservations = [
        res("a", 4, at(19, 0)),
        res("b", 2, at(19, 14)),
        res("c", 5, at(19, 15), status=S.SEATED, seated=at(19, 20), booked_size=4),  # resized at seating
        res("x", 6, at(19, 0), status=S.CANCELLED),
        res("y", 2, at(19, 0), status=S.NO_SHOW),
        res("w", 3, at(19, 0), status=S.SEATED, seated=at(19, 0), source="walk_in"),
    ]
    slots = slots_of(reservations, [])
    assert (slots["19:00"].booked, slots["19:15"].booked) == (6, 4)
    assert (slots["19:00"].seated, slots["19:15"].seated) == (3, 5)


def test_arrived_and_seated_count_by_their_own_times():
    party = res("a", 4, at(19, 0), status=S.SEATED, arrived=at(18, 58), seated=at(19, 17))
    slots = slots_of([party], [])
    assert (slots["18:45"].arrived, slots["19:00"].booked, slots["19:15"].seated) == (4, 4, 4)


def test_rung_in_counts_pos_tickets_by_opening_and_never_voided_ones():
    party = res("a", 4, at(19, 0), status=S.SEATED, seated=at(19, 5))
    tickets = [
        ticket("t1", "a", covers=5, opened=at(19, 6)),
        ticket("t2", None, covers=2, opened=at(19, 40)),  # a walk-in opened on the POS
        ticket("t3", None, covers=3, opened=at(19, 40), stage=C.VOIDED),
    ]
    slots = slots_of([party], tickets)
    assert (slots["19:00"].rung_in, slots["19:30"].rung_in) == (5, 2)
    assert (slots["19:30"].arrived, slots["19:30"].seated) == (2, 2)  # the walk-in sat when its ticket opened


def test_a_placeholder_counts_only_once_its_party_sits_and_from_then():
    waiting = res("a", 4, at(20, 0))
    sat = res("b", 2, at(19, 0), status=S.SEATED, seated=at(19, 20))
    tickets = [
        ticket("p1", "a", covers=4, opened=at(19, 30), stage=C.OPENED),  # still a placeholder
        ticket("p2", "b", covers=2, opened=at(18, 30), stage=C.ORDERED),  # a placeholder turned ticket
    ]
    slots = slots_of([waiting, sat], tickets)
    assert slots["19:30"].rung_in == 0
    assert slots["18:30"].rung_in == 0 and slots["19:15"].rung_in == 2


def test_totals_add_up_the_service():
    start, end = service_window(date(2024, 6, 1), NY, 4)
    reservations = [
        res("a", 4, at(19, 0), status=S.FINISHED, arrived=at(19, 0), seated=at(19, 2)),
        res("b", 2, at(23, 50), status=S.SEATED, arrived=at(0, 5), seated=at(0, 10)),  # after midnight: same night
        res("c", 2, at(3, 59)),
        res("d", 8, datetime(2024, 6, 2, 19, tzinfo=NY)),  # tomorrow
    ]
    tickets = [ticket("t1", "a", 4, at(19, 3), C.CLOSED, at(20, 30)), ticket("t2", "b", 3, at(0, 12))]
    totals = cover_totals(reservations, tickets, day_start=start, day_end=end)
    assert totals == CoverTotals(booked=8, arrived=6, seated=6, rung_in=7)
    slots = cover_slots(reservations, tickets, day_start=start, day_end=end, tz=NY)
    assert sum(s.booked for s in slots) == totals.booked
    assert sum(s.rung_in for s in slots) == totals.rung_in


def test_slots_follow_the_wall_clock_across_a_dst_change():
    start, end = service_window(date(2024, 11, 2), NY, 4)  # clocks fall back at 02:00 on 3 November
    slots = cover_slots([], [], day_start=start, day_end=end, tz=NY)
    assert len(slots) == 100
    labels = [s.start_local.strftime("%H:%M") for s in slots]
    assert labels.count("01:00") == 2


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError):
        cover_slots([], [], day_start=at(19), day_end=at(19), tz=NY)
