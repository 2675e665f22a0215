"""The derived floor: free, held, seated and the POS stage, blocked, and the stale flag."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hoststand.domain.floor_state import TableStatus, derive_floor, is_stale
from hoststand.domain.model import CourseStage, FloorLayout, Reservation, ReservationStatus, Table, TableState, Ticket

NOW = datetime(2024, 6, 1, 23, 30, tzinfo=timezone.utc)
HOLD = timedelta(minutes=30)
STALE = timedelta(minutes=5)
S = ReservationStatus

LAYOUT = FloorLayout(
    id="l",
    name="L",
    width=1,
    height=1,
    sections=(),
    tables=tuple(Table(id=f"T{i}", name=str(i), section_id="s", min_seats=2, max_seats=4) for i in range(1, 5)),
)


def mins(n: int) -> datetime:
    return NOW + timedelta(minutes=n)


def res(id_, table, start_in, status=S.BOOKED, size=2, name="Smith", seated_at=None) -> Reservation:
    return Reservation(
        id=id_, source="opentable", external_id=id_, party_size=size, start=mins(start_in), status=status,
        guest_name=name, table_ids=(table,) if isinstance(table, str) else table, seated_at=seated_at,
    )


def ticket(id_, table, stage=CourseStage.OPENED, reservation_id=None, covers=2, opened=-30, closed=None, tab=""):
    return Ticket(
        id=id_, table_id=table, reservation_id=reservation_id, covers=covers, stage=stage,
        opened_at=mins(opened), closed_at=closed, tab_name=tab,
    )


def floor(reservations=(), tickets=(), blocked=frozenset(), heard=NOW):
    return derive_floor(
        LAYOUT, reservations, tickets, now=NOW, hold_window=HOLD, blocked=blocked,
        pos_last_heard=heard, stale_after=STALE,
    )


def test_an_empty_floor_is_all_free_in_layout_order():
    result = floor()
    assert list(result) == ["T1", "T2", "T3", "T4"]
    assert result["T1"] == TableStatus("T1", TableState.FREE)


def test_a_reservation_due_within_the_hold_window_holds_its_table():
    result = floor([res("r1", "T1", 20, size=3, name="Lee"), res("r2", "T2", 45)])
    assert result["T1"].state == TableState.HELD
    assert (result["T1"].reservation_id, result["T1"].party_name, result["T1"].covers) == ("r1", "Lee", 3)
    assert result["T2"].state == TableState.FREE  # due in 45 minutes: not yet held
    assert (result["T2"].next_reservation_id, result["T2"].next_start) == ("r2", mins(45))


def test_a_late_party_not_yet_seated_keeps_holding_until_its_turn_would_be_over():
    assert floor([res("r1", "T1", -20)])["T1"].state == TableState.HELD
    assert floor([res("r1", "T1", -20, status=S.ARRIVED)])["T1"].state == TableState.HELD
    assert floor([res("r1", "T1", -95)])["T1"].state == TableState.FREE  # 90-minute turn long over


def test_cancelled_and_finished_reservations_hold_nothing():
    result = floor([res("r1", "T1", 10, status=S.CANCELLED), res("r2", "T2", 10, status=S.FINISHED)])
    assert result["T1"].state == result["T2"].state == TableState.FREE
    assert result["T1"].next_reservation_id is None


def test_a_seated_party_without_a_ticket_yet_is_seated():
    result = floor([res("r1", "T1", -10, status=S.SEATED, size=4, seated_at=mins(-5))])
    status = result["T1"]
    assert status.state == TableState.SEATED
    assert (status.reservation_id, status.covers, status.seated_since, status.stage) == ("r1", 4, mins(-5), None)


def test_the_live_ticket_stage_refines_seated():
    for stage, state in [
        (CourseStage.OPENED, TableState.SEATED),
        (CourseStage.ORDERED, TableState.ORDERED),
        (CourseStage.MAINS, TableState.MAINS),
        (CourseStage.DESSERT, TableState.DESSERT),
        (CourseStage.CHECK_DROPPED, TableState.CHECK_DROPPED),
        (CourseStage.PAID, TableState.PAID),
    ]:
        seated = res("r1", "T1", -60, status=S.SEATED, seated_at=mins(-55))
        status = floor([seated], [ticket("k1", "T1", stage, reservation_id="r1", covers=3)])["T1"]
        assert (status.state, status.stage, status.covers) == (state, stage, 3)  # covers as the POS serves them


def test_closed_or_voided_tickets_free_the_table():
    tickets = [ticket("k1", "T1", CourseStage.CLOSED), ticket("k2", "T2", CourseStage.VOIDED)]
    result = floor(tickets=tickets)
    assert result["T1"].state == result["T2"].state == TableState.FREE


def test_a_walk_in_ticket_without_a_reservation_is_seated_with_its_covers():
    status = floor(tickets=[ticket("k1", "T3", CourseStage.MAINS, covers=5, opened=-40, tab="Bar walk-in")])["T3"]
    assert status.state == TableState.MAINS
    assert (status.covers, status.party_name, status.seated_since, status.reservation_id) == (
        5, "Bar walk-in", mins(-40), None,
    )
    unnamed = floor(tickets=[ticket("k1", "T3", covers=2)])["T3"]
    assert unnamed.party_name == "Walk-in"


def test_a_seated_table_still_shows_who_is_next():
    result = floor([res("r1", "T1", -60, status=S.SEATED, seated_at=mins(-60)), res("r2", "T1", 10, name="Next")])
    assert result["T1"].state == TableState.SEATED
    assert result["T1"].reservation_id == "r1"
    assert (result["T1"].next_reservation_id, result["T1"].next_start) == ("r2", mins(10))


def test_blocked_tables_are_blocked_unless_someone_sits_there():
    result = floor([res("r1", "T2", 10)], [ticket("k1", "T3")], blocked={"T1", "T2", "T3"})
    assert result["T1"].state == TableState.BLOCKED
    assert result["T2"].state == TableState.BLOCKED
    assert result["T3"].state == TableState.SEATED


def test_a_combined_reservation_holds_and_seats_both_tables():
    result = floor([res("r1", ("T1", "T2"), -5, status=S.SEATED, size=8, seated_at=mins(-1))])
    assert result["T1"].state == result["T2"].state == TableState.SEATED
    assert result["T1"].covers == 8


def test_the_ticket_of_the_seated_party_is_the_one_that_counts():
    tickets = [ticket("old", "T1", CourseStage.PAID, opened=-120), ticket("mine", "T1", CourseStage.ORDERED, reservation_id="r1")]
    status = floor([res("r1", "T1", -10, status=S.SEATED, seated_at=mins(-10))], tickets)["T1"]
    assert status.state == TableState.ORDERED


def test_stale_is_a_flag_beside_the_state():
    result = floor([res("r1", "T1", 10)], heard=mins(-6))
    assert result["T1"].state == TableState.HELD
    assert all(s.stale for s in result.values())
    assert not any(s.stale for s in floor(heard=mins(-5)).values())
    assert all(s.stale for s in floor(heard=None).values())


def test_is_stale():
    assert is_stale(None, NOW, STALE)
    assert not is_stale(mins(-5), NOW, STALE)
    assert is_stale(mins(-6), NOW, STALE)
