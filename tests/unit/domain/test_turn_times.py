"""Expected turn times: defaults per party size and day part, learned medians, and their fallbacks."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hoststand.domain.model import CourseStage, Reservation, ReservationStatus, Ticket
from hoststand.domain.turn_times import (
    DEFAULT_TURN_TABLE,
    SOURCE_DEFAULT,
    SOURCE_LEARNED,
    SOURCE_LEARNED_ALL_DAY_PARTS,
    DayPart,
    DayParts,
    FinishedVisit,
    SizeBand,
    TurnEstimate,
    TurnTimeModel,
    TurnTimeSettings,
    finished_visits,
)

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def local(hh: int, mm: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 6, day, hh, mm, tzinfo=NY).astimezone(UTC)


def visits(size: int, part: DayPart, minutes: list[int]) -> list[FinishedVisit]:
    start = local(19)
    return [FinishedVisit(size, start, start + timedelta(minutes=m), part) for m in minutes]


@pytest.mark.parametrize(
    ("size", "early", "prime"),
    [(1, 75, 85), (2, 75, 85), (3, 90, 100), (4, 90, 100), (5, 105, 115), (6, 105, 115), (7, 120, 130), (14, 120, 130)],
)
def test_the_default_table_by_party_size_with_ten_more_minutes_in_prime_time(size, early, prime):
    model = TurnTimeModel()
    assert model.estimate(size, DayPart.EARLY) == TurnEstimate(early, SOURCE_DEFAULT, 0)
    assert model.estimate(size, DayPart.PRIME) == TurnEstimate(prime, SOURCE_DEFAULT, 0)
    assert model.estimate(size, DayPart.LATE).minutes == early


def test_the_default_table_is_a_plain_constant():
    assert [(b.label, b.minutes) for b in DEFAULT_TURN_TABLE] == [("1–2", 75), ("3–4", 90), ("5–6", 105), ("7+", 120)]


@pytest.mark.parametrize(
    ("wall", "part"),
    [
        (time(17, 0), DayPart.EARLY),
        (time(18, 29), DayPart.EARLY),
        (time(18, 30), DayPart.PRIME),
        (time(20, 59), DayPart.PRIME),
        (time(21, 0), DayPart.LATE),
        (time(23, 45), DayPart.LATE),
        (time(0, 30), DayPart.LATE),  # after midnight: the late part of the night before
        (time(3, 59), DayPart.LATE),
        (time(11, 30), DayPart.EARLY),  # lunch
    ],
)
def test_day_parts_read_on_the_wall_clock(wall, part):
    assert DayParts().of_wall_time(wall) == part


def test_day_part_of_an_instant_uses_the_restaurants_time_zone():
    parts = DayParts()
    assert parts.of(local(18, 45), NY) == DayPart.PRIME
    assert parts.of(local(18, 45), UTC) == DayPart.LATE  # 22:45 UTC


def test_day_part_boundaries_are_configurable():
    parts = DayParts(prime_start=time(19, 0), prime_end=time(22, 0))
    assert parts.of_wall_time(time(18, 45)) == DayPart.EARLY
    assert parts.of_wall_time(time(21, 30)) == DayPart.PRIME


def test_the_default_table_is_configurable():
    settings = TurnTimeSettings(
        bands=(SizeBand(1, 4, 60), SizeBand(5, None, 100)),
        day_part_extra={DayPart.PRIME: 15},
    )
    model = TurnTimeModel(settings)
    assert model.estimate(4, DayPart.EARLY).minutes == 60
    assert model.estimate(4, DayPart.PRIME).minutes == 75
    assert model.estimate(9, DayPart.LATE).minutes == 100


@pytest.mark.parametrize(
    "bands",
    [
        (),
        (SizeBand(2, None, 60),),  # does not start at 1
        (SizeBand(1, 2, 60), SizeBand(4, None, 90)),  # gap
        (SizeBand(1, 2, 60), SizeBand(3, 6, 90)),  # not open-ended
        (SizeBand(1, None, 60), SizeBand(3, None, 90)),  # open band not last
        (SizeBand(1, 2, 0), SizeBand(3, None, 90)),  # zero minutes
    ],
)
def test_a_broken_default_table_is_refused(bands):
    with pytest.raises(ValueError):
        TurnTimeSettings(bands=bands)


def test_a_party_of_zero_has_no_turn_time():
    with pytest.raises(ValueError):
        TurnTimeModel().estimate(0, DayPart.EARLY)


def test_enough_visits_in_a_band_and_day_part_give_their_median():
    model = TurnTimeModel().learn(visits(4, DayPart.PRIME, [80, 95, 100, 110, 200]), min_samples=5)
    assert model.estimate(3, DayPart.PRIME) == TurnEstimate(100, SOURCE_LEARNED, 5)
    assert model.estimate(4, DayPart.PRIME).label == "100 min (learned from 5 visits)"


def test_an_even_number_of_visits_takes_the_middle_of_the_two_middle_turns():
    model = TurnTimeModel().learn(visits(2, DayPart.EARLY, [60, 70, 80, 91]), min_samples=4)
    assert model.estimate(2, DayPart.EARLY).minutes == 75  # (70 + 80) / 2


def test_too_few_visits_fall_back_to_the_band_over_all_day_parts():
    history = visits(4, DayPart.PRIME, [100, 100]) + visits(4, DayPart.EARLY, [80, 80, 90])
    model = TurnTimeModel().learn(history, min_samples=3)
    assert model.estimate(4, DayPart.PRIME) == TurnEstimate(90, SOURCE_LEARNED_ALL_DAY_PARTS, 5)
    assert model.estimate(4, DayPart.EARLY) == TurnEstimate(80, SOURCE_LEARNED, 3)
    assert "across all day parts" in model.estimate(4, DayPart.PRIME).label


def test_too_few_visits_in_the_band_fall_back_to_the_default():
    model = TurnTimeModel().learn(visits(6, DayPart.PRIME, [150, 160]), min_samples=3)
    assert model.estimate(6, DayPart.PRIME) == TurnEstimate(115, SOURCE_DEFAULT, 0)
    assert model.estimate(6, DayPart.PRIME).label == "115 min (default)"


def test_other_bands_learn_nothing_from_a_band():
    model = TurnTimeModel().learn(visits(2, DayPart.PRIME, [50] * 10), min_samples=3)
    assert model.estimate(2, DayPart.PRIME).source == SOURCE_LEARNED
    assert model.estimate(3, DayPart.PRIME).source == SOURCE_DEFAULT


def test_implausible_visits_are_not_learned_from():
    history = visits(2, DayPart.EARLY, [1, 5, 60, 60, 60, 60 * 9])
    model = TurnTimeModel().learn(history, min_samples=4)
    assert model.estimate(2, DayPart.EARLY).source == SOURCE_DEFAULT
    model = TurnTimeModel().learn(history, min_samples=3)
    assert model.estimate(2, DayPart.EARLY) == TurnEstimate(60, SOURCE_LEARNED, 3)


def test_learning_returns_a_new_model_and_keeps_the_old_one():
    model = TurnTimeModel()
    learned = model.learn(visits(2, DayPart.EARLY, [60] * 8))
    assert model.estimate(2, DayPart.EARLY).source == SOURCE_DEFAULT
    assert learned.estimate(2, DayPart.EARLY).source == SOURCE_LEARNED


def test_min_samples_must_be_at_least_one():
    with pytest.raises(ValueError):
        TurnTimeModel().learn([], min_samples=0)


def test_estimate_at_reads_the_day_part_from_the_time():
    model = TurnTimeModel()
    assert model.estimate_at(2, local(19), NY).minutes == 85
    assert model.estimate_at(2, local(17), NY).minutes == 75


def test_an_estimate_asked_again_is_the_same_and_a_learned_model_does_not_reuse_the_old_answers():
    model = TurnTimeModel()
    first = model.estimate_at(2, local(17), NY)
    assert model.estimate_at(2, local(17), NY) is first  # remembered: a refresh asks the same questions
    assert model.estimate_at(2, local(19), NY).minutes == 85  # 19:00 in New York: prime time
    assert model.estimate_at(2, local(19), UTC).minutes == 75  # the same instant read in UTC (23:00): the zone counts
    learned = model.learn(visits(2, DayPart.EARLY, [60] * 8))
    assert learned.estimate_at(2, local(17), NY) == TurnEstimate(60, SOURCE_LEARNED, 8)
    assert model.estimate_at(2, local(17), NY).source == SOURCE_DEFAULT
    assert learned == TurnTimeModel().learn(visits(2, DayPart.EARLY, [60] * 8))  # the memo is not compared


def test_a_visit_reads_its_day_part_from_its_seating():
    visit = FinishedVisit.at(4, local(18, 40), local(20, 10), NY)
    assert visit.day_part == DayPart.PRIME
    assert visit.turn == timedelta(minutes=90)


def test_finished_visits_come_from_finished_reservations_and_closed_walk_in_tickets():
    finished = Reservation(
        id="r1", source="opentable", external_id="1", party_size=4, start=local(18),
        status=ReservationStatus.FINISHED, seated_at=local(18, 5), finished_at=local(19, 35),
    )
    seated = Reservation(id="r2", source="opentable", external_id="2", party_size=2, start=local(19),
                         status=ReservationStatus.SEATED, seated_at=local(19))
    tickets = [
        Ticket(id="t1", table_id="T1", reservation_id="r1", covers=5, stage=CourseStage.CLOSED,
               opened_at=local(18, 5), closed_at=local(19, 30)),
        Ticket(id="t2", table_id="T2", reservation_id=None, covers=3, stage=CourseStage.CLOSED,
               opened_at=local(20), closed_at=local(21, 10)),
        Ticket(id="t3", table_id="T3", reservation_id=None, covers=2, stage=CourseStage.VOIDED,
               opened_at=local(20), closed_at=local(20, 1)),
        Ticket(id="t4", table_id="T4", reservation_id=None, covers=2, opened_at=local(20)),  # still open
    ]
    found = finished_visits([finished, seated], tickets, tz=NY)
    assert sorted((v.party_size, v.turn, v.day_part) for v in found) == [
        (3, timedelta(minutes=70), DayPart.PRIME),
        (5, timedelta(minutes=90), DayPart.EARLY),  # the POS covers, the host stand's finish time
    ]
