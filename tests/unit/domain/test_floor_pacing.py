"""Floor pacing: predicted free-at from the course stage, arrivals against predicted frees, kitchen load."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hoststand.domain.floor_state import derive_floor
from hoststand.domain.model import (
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
    Table,
    Ticket,
)
from hoststand.domain.pacing import (
    PaceSettings,
    TablePace,
    forecast_arrivals,
    kitchen_load,
    pace_floor,
    table_label,
)
from hoststand.domain.turn_times import SOURCE_DEFAULT, TurnEstimate, TurnTimeModel

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
S = ReservationStatus
C = CourseStage
MODEL = TurnTimeModel()


def at(hh: int, mm: int = 0) -> datetime:
    """A local time on the night of 1 June 2024, as UTC (after midnight rolls to 2 June)."""
    day = 2 if hh < 4 else 1
    return datetime(2024, 6, day, hh, mm, tzinfo=NY).astimezone(UTC)


NOW = at(20, 0)


def table(n: int, lo: int, hi: int, combos: tuple[str, ...] = ()) -> Table:
    return Table(id=f"T{n}", name=str(n), section_id="main", min_seats=lo, max_seats=hi, combinable_with=combos)


LAYOUT = FloorLayout(
    id="l", name="Main", width=1000, height=1000, sections=(),
    tables=(table(1, 1, 2), table(2, 1, 2), table(3, 3, 4), table(4, 3, 4), table(5, 5, 6)),
)


def res(id_, tables=(), start=NOW, size=4, status=S.BOOKED, seated_at=None, name="Smith") -> Reservation:
    return Reservation(
        id=id_, source="opentable", external_id=id_, party_size=size, start=start, status=status,
        guest_name=name, table_ids=tuple(tables), seated_at=seated_at,
    )


def seated(id_, table_id, seated_at, size=4, name="Smith") -> Reservation:
    return res(id_, (table_id,), seated_at, size, S.SEATED, seated_at, name)


def ticket(id_, table_id, reservation_id, stage=C.OPENED, covers=4, opened=None) -> Ticket:
    return Ticket(id=id_, table_id=table_id, reservation_id=reservation_id, covers=covers, stage=stage,
                  opened_at=opened)


def paces(reservations, tickets, stage_times=None, now=NOW, layout=LAYOUT, settings=PaceSettings()):
    statuses = derive_floor(layout, reservations, tickets, now=now, hold_window=timedelta(minutes=30),
                            pos_last_heard=now, stale_after=timedelta(minutes=5))
    return pace_floor(statuses, tickets, reservations, now=now, turn_model=MODEL, tz=NY,
                      stage_times=stage_times, settings=settings, layout=layout)


def one(reservation, ticket_=None, stage_since=None, now=NOW):
    tickets = [ticket_] if ticket_ else []
    times = {ticket_.id: stage_since} if ticket_ and stage_since else None
    return paces([reservation], tickets, times, now=now)[reservation.table_ids[0]]


# predicted free-at ------------------------------------------------------------------------------------


def test_seated_with_no_order_is_expected_to_stay_the_whole_turn():
    pace = one(seated("r1", "T1", at(19, 30), size=2))
    assert pace.stage is None
    assert pace.minutes_seated == 30
    assert pace.expected_turn == TurnEstimate(85, SOURCE_DEFAULT, 0)  # a 2-top seated in prime time
    assert pace.predicted_free_at == at(20, 55)
    assert pace.over_by_minutes == 0
    assert pace.note == ""


@pytest.mark.parametrize(
    ("stage", "since", "free_at"),
    [
        (C.ORDERED, at(19, 40), at(20, 55)),  # 75% of 100 min left
        (C.MAINS, at(19, 50), at(20, 35)),  # 45%
        (C.DESSERT, at(19, 55), at(20, 15)),  # 20%
        (C.CHECK_DROPPED, at(19, 58), at(20, 8)),  # 10 minutes
        (C.PAID, at(19, 59), at(20, 4)),  # 5 minutes
    ],
)
def test_the_course_stage_and_when_it_began_predict_when_the_table_frees(stage, since, free_at):
    party = seated("r1", "T3", at(19, 30))  # a 4-top in prime time: 100 minutes
    pace = one(party, ticket("t1", "T3", "r1", stage, opened=at(19, 31)), since)
    assert (pace.stage, pace.stage_since, pace.predicted_free_at) == (stage, since, free_at)
    assert pace.ticket_id == "t1"


def test_an_opened_ticket_counts_from_its_opening_and_waits_the_whole_turn():
    pace = one(seated("r1", "T3", at(19, 30)), ticket("t1", "T3", "r1", C.OPENED, opened=at(19, 32)))
    assert pace.stage == C.OPENED
    assert pace.stage_since == at(19, 32)
    assert pace.predicted_free_at == at(21, 10)


def test_a_prediction_never_falls_before_now_plus_the_minimum():
    pace = one(seated("r1", "T3", at(19, 30)), ticket("t1", "T3", "r1", C.PAID), at(19, 50))
    assert pace.predicted_free_at == NOW + timedelta(minutes=2)
    assert pace.note == "running behind: predicted to free in 2 min"


def test_a_table_over_its_turn_is_predicted_to_free_in_a_few_minutes_and_says_so():
    party = seated("r1", "T3", at(17, 30))  # early: 90 minutes, so due out at 19:00
    pace = one(party, ticket("t1", "T3", "r1", C.DESSERT), at(19, 0))
    assert pace.over_by_minutes == 60
    assert pace.predicted_free_at == NOW + timedelta(minutes=5)
    assert pace.note == "60 min over its expected turn: predicted to free in 5 min"


def test_a_late_stage_still_pushes_an_over_turn_table_out_when_it_just_began():
    party = seated("r1", "T3", at(17, 30))
    pace = one(party, ticket("t1", "T3", "r1", C.DESSERT), at(19, 58))
    assert pace.over_by_minutes == 60
    assert pace.predicted_free_at == at(19, 58) + timedelta(minutes=18)  # 20% of 90 minutes
    assert pace.note == ""


def test_an_unknown_stage_time_is_assumed_on_schedule_or_now_when_ahead_of_it():
    ahead = one(seated("r1", "T3", at(19, 30)), ticket("t1", "T3", "r1", C.MAINS))
    assert ahead.stage_since is None
    assert ahead.predicted_free_at == NOW + timedelta(minutes=45)  # mains were due at 20:25: fired early
    assert ahead.note == "stage time unknown, assumed on schedule"
    behind = one(seated("r1", "T3", at(19, 0)), ticket("t1", "T3", "r1", C.ORDERED))  # due to order at 19:25
    assert behind.predicted_free_at == at(19, 25) + timedelta(minutes=75)


def test_the_stage_fractions_are_configurable():
    settings = PaceSettings(fraction_left={C.MAINS: 0.5}, minutes_left={})
    party = seated("r1", "T3", at(19, 30))
    tickets = [ticket("t1", "T3", "r1", C.MAINS)]
    pace = paces([party], tickets, {"t1": at(19, 50)}, settings=settings)["T3"]
    assert pace.predicted_free_at == at(20, 40)


def test_only_occupied_tables_are_paced_in_layout_order_with_their_names():
    reservations = [seated("r3", "T3", at(19, 30)), seated("r1", "T1", at(19, 45), size=2),
                    res("r2", ("T2",), at(20, 10), size=2)]
    result = paces(reservations, [])
    assert list(result) == ["T1", "T3"]  # T2 is only held
    assert result["T3"].table_name == "3"
    assert result["T1"].party_name == "Smith"
    assert (result["T1"].reservation_id, result["T1"].covers) == ("r1", 2)


def test_a_walk_in_ticket_is_paced_from_its_opening_with_its_covers():
    walk_in = ticket("w1", "T5", None, C.ORDERED, covers=6, opened=at(19, 40))
    pace = paces([], [walk_in], {"w1": at(19, 45)})["T5"]
    assert pace.seated_since == at(19, 40)
    assert pace.covers == 6
    assert pace.expected_turn.minutes == 115  # 5–6 in prime time
    assert pace.party_name == "Walk-in"


def test_a_party_at_combined_tables_is_paced_at_both_as_one_party():
    layout = FloorLayout(id="l", name="L", width=1, height=1, sections=(),
                         tables=(table(6, 2, 4, ("T7",)), table(7, 2, 4, ("T6",))))
    party = res("r1", ("T6", "T7"), at(19, 30), 8, S.SEATED, at(19, 30))
    result = paces([party], [ticket("t1", "T6", "r1", C.ORDERED, covers=8)], {"t1": at(19, 40)}, layout=layout)
    assert set(result) == {"T6", "T7"}
    assert result["T6"].party_key == result["T7"].party_key == "r1"
    assert result["T7"].stage == C.ORDERED and result["T7"].ticket_id == "t1"  # the POS rang it at 6
    assert result["T6"].predicted_free_at == result["T7"].predicted_free_at


def test_table_label_names_tables_as_the_host_does():
    assert table_label(("T3", "T4"), LAYOUT) == "3+4"
    assert table_label(("T99",), LAYOUT) == "T99"
    assert table_label(("T3",), None) == "T3"


# kitchen load -----------------------------------------------------------------------------------------


def pace(table_id, stage, covers, mains_due=None, key=None, free_at=NOW + timedelta(minutes=60)) -> TablePace:
    return TablePace(
        table_id=table_id, seated_since=at(19, 30), minutes_seated=30, stage=stage, stage_since=None,
        expected_turn=TurnEstimate(100, SOURCE_DEFAULT), predicted_free_at=free_at, over_by_minutes=0,
        table_name=table_id.lstrip("T"), ticket_id=key or f"t-{table_id}", covers=covers, mains_due_at=mains_due,
        reservation_id=f"r-{table_id}", party_name="Smith",
    )


def test_kitchen_load_counts_ordered_tables_whose_mains_are_due_in_the_window():
    floor = [
        pace("T1", C.ORDERED, 4, NOW + timedelta(minutes=10)),
        pace("T2", C.ORDERED, 2, NOW + timedelta(minutes=30)),  # later than the window
        pace("T3", C.ORDERED, 3, NOW - timedelta(minutes=5)),  # overdue: fires any minute
        pace("T4", C.MAINS, 5),  # already fired
        pace("T5", None, 6),  # not ordered yet
    ]
    assert kitchen_load(floor, now=NOW) == 7
    assert kitchen_load(floor, now=NOW, window=timedelta(minutes=30)) == 9
    assert kitchen_load(floor, now=NOW, extra_covers=6) == 13  # seating a six now


def test_kitchen_load_counts_a_party_at_combined_tables_once():
    floor = {t: pace(t, C.ORDERED, 8, NOW + timedelta(minutes=5)) for t in ("T6", "T7")}
    floor = {t: replace(p, reservation_id="r1") for t, p in floor.items()}
    assert kitchen_load(floor, now=NOW) == 8


def test_pace_floor_gives_mains_due_from_the_order_time():
    party = seated("r1", "T3", at(19, 30))
    result = paces([party], [ticket("t1", "T3", "r1", C.ORDERED)], {"t1": at(19, 40)})
    assert result["T3"].mains_due_at == at(20, 10)  # 30% of 100 minutes after ordering
    assert kitchen_load(result, now=NOW, window=timedelta(minutes=9)) == 0
    assert kitchen_load(result, now=NOW, window=timedelta(minutes=10)) == 4


# arrivals against predicted frees ---------------------------------------------------------------------


def occupied(**free_at: datetime) -> dict[str, TablePace]:
    return {t: pace(t, C.MAINS, 4, free_at=f) for t, f in free_at.items()}


def forecast(upcoming, floor, **kwargs):
    return forecast_arrivals(upcoming, floor, LAYOUT, now=NOW, turn_model=MODEL, tz=NY, **kwargs)


def test_a_party_gets_its_own_table_when_it_frees_by_its_time():
    [fc] = forecast([res("r1", ("T3",), at(20, 15))], occupied(T3=at(20, 5)))
    assert (fc.likely_table_ids, fc.likely_at, fc.late_by_minutes, fc.warning) == (("T3",), at(20, 15), 0, None)
    assert fc.assigned_free_at == at(20, 15)
    assert fc.likely_tables == "3"


def test_parties_due_at_the_same_time_come_in_name_order_whatever_their_ids():
    """As the reservation list shows them: ids are not stable from one pull to the next."""
    parties = [res("r9", (), at(20, 15), name="Abbott"), res("r1", (), at(20, 15), name="Zeller"),
               res("r5", (), at(20, 15), name="Moreau")]
    assert [fc.reservation_id for fc in forecast(parties, {})] == ["r9", "r5", "r1"]
    assert [fc.reservation_id for fc in forecast(list(reversed(parties)), {})] == ["r9", "r5", "r1"]


def test_a_party_whose_table_runs_late_gets_another_free_table():
    [fc] = forecast([res("r1", ("T3",), at(20, 15), name="Smith")], occupied(T3=at(20, 35)))
    assert (fc.likely_table_ids, fc.likely_at, fc.late_by_minutes, fc.warning) == (("T4",), at(20, 15), 0, None)
    assert fc.assigned_free_at == at(20, 35)
    assert fc.note == "3 occupied until 20:35; 4 likely instead"


def test_when_nothing_frees_in_time_the_first_table_to_free_is_likely_with_a_warning():
    floor = occupied(T3=at(20, 35), T4=at(20, 50), T5=at(21, 30))
    [fc] = forecast([res("r1", ("T3",), at(20, 15))], floor)
    assert (fc.likely_table_ids, fc.likely_at, fc.late_by_minutes) == (("T3",), at(20, 35), 20)
    assert fc.warning == "No table free in time: 3 predicted free 20:35, 20 min late"


def test_another_table_that_frees_sooner_than_the_own_one_is_preferred():
    floor = occupied(T3=at(20, 50), T4=at(20, 25), T5=at(21, 30))
    [fc] = forecast([res("r1", ("T3",), at(20, 15))], floor)
    assert (fc.likely_table_ids, fc.likely_at, fc.late_by_minutes) == (("T4",), at(20, 25), 10)
    assert fc.warning == "No table free in time: 4 predicted free 20:25, 10 min late"


def test_a_table_held_for_a_later_reservation_is_not_offered_to_an_earlier_party():
    floor = occupied(T3=at(20, 40), T5=at(22, 0))
    upcoming = [res("r1", ("T3",), at(20, 15)), res("r2", ("T4",), at(20, 45), name="Lee")]
    first, second = forecast(upcoming, floor)
    assert first.likely_table_ids == ("T3",)  # T4 is needed at 20:45, the turn would not fit
    assert first.late_by_minutes == 25
    assert second.likely_table_ids == ("T4",) and second.warning is None


def test_earlier_arrivals_keep_their_table_for_their_turn():
    upcoming = [res("r1", ("T1",), at(20, 5), size=2), res("r2", ("T1",), at(20, 30), size=2, name="Lee")]
    first, second = forecast(upcoming, {})
    assert first.likely_table_ids == ("T1",)
    assert second.assigned_free_at == at(20, 5) + timedelta(minutes=85)
    assert (second.likely_table_ids, second.warning) == (("T2",), None)


def test_an_unassigned_party_gets_the_best_free_table():
    [fc] = forecast([res("r1", (), at(20, 20), size=2)], occupied(T1=at(21, 0)))
    assert (fc.likely_table_ids, fc.assigned_table_ids, fc.assigned_free_at) == (("T2",), (), None)


def test_a_party_no_table_can_seat_is_warned():
    [fc] = forecast([res("r1", (), at(20, 20), size=12)], {})
    assert fc.likely_table_ids == () and fc.likely_at is None
    assert fc.warning == "No table seats a party of 12"


def test_only_parties_due_within_the_horizon_late_grace_or_waiting_are_forecast():
    upcoming = [
        res("soon", ("T1",), at(20, 50), size=2),
        res("later", ("T2",), at(21, 5), size=2),  # beyond the hour
        res("late", ("T3",), at(19, 50)),  # 10 minutes late: still expected
        res("gone", ("T4",), at(19, 40)),  # 20 minutes late: the no-show assistant's business
        res("waiting", ("T5",), at(19, 30), size=6, status=S.ARRIVED),
        res("sat", ("T4",), at(19, 45), status=S.SEATED, seated_at=at(19, 45)),
        res("off", ("T4",), at(20, 10), status=S.CANCELLED),
    ]
    result = forecast(upcoming, {})
    assert [f.reservation_id for f in result] == ["waiting", "late", "soon"]
    assert forecast(upcoming, {}, horizon=timedelta(minutes=90))[-1].reservation_id == "later"


def test_a_late_or_waiting_party_is_late_only_by_the_wait_from_now():
    [fc] = forecast([res("r1", ("T3",), at(19, 50), status=S.ARRIVED)], occupied(T3=at(20, 10), T4=at(20, 30), T5=at(21, 0)))
    assert (fc.likely_at, fc.late_by_minutes) == (at(20, 10), 10)


def test_a_blocked_assigned_table_is_not_expected_to_free():
    [fc] = forecast([res("r1", ("T3",), at(20, 15))], {}, blocked=frozenset({"T3"}))
    assert fc.assigned_free_at is None
    assert fc.likely_table_ids == ("T4",)
    assert fc.note == "3 blocked; 4 likely instead"


def test_forecasting_a_floor_end_to_end_from_derived_statuses():
    reservations = [seated("r1", "T3", at(19, 0)), res("r2", ("T3",), at(20, 15), name="Lee")]
    tickets = [ticket("t1", "T3", "r1", C.DESSERT)]
    floor = paces(reservations, tickets, {"t1": at(19, 55)})
    assert floor["T3"].predicted_free_at == at(20, 15)  # 20% of 100 min after 19:55
    [fc] = forecast_arrivals(reservations, floor, LAYOUT, now=NOW, turn_model=MODEL, tz=NY)
    assert (fc.reservation_id, fc.likely_table_ids, fc.warning) == ("r2", ("T3",), None)
