"""The reservation lifecycle: allowed steps, their timestamps, plain-words refusals and the host's undo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hoststand.domain.lifecycle import (
    InvalidTransition,
    can_transition,
    can_undo,
    describe_refusal,
    is_undo,
    transition,
    undo,
    undo_target,
)
from hoststand.domain.model import Reservation
from hoststand.domain.model import ReservationStatus as S

T0 = datetime(2024, 6, 1, 23, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=5)


def res(status: S = S.BOOKED) -> Reservation:
    return Reservation(id="r1", source="opentable", external_id="x", party_size=2, start=T0, status=status)


FORWARD_STEPS = [
    (S.BOOKED, S.ARRIVED),
    (S.BOOKED, S.SEATED),
    (S.BOOKED, S.CANCELLED),
    (S.BOOKED, S.NO_SHOW),
    (S.ARRIVED, S.SEATED),
    (S.ARRIVED, S.CANCELLED),
    (S.ARRIVED, S.NO_SHOW),
    (S.SEATED, S.FINISHED),
]
UNDO_STEPS = [
    (S.SEATED, S.ARRIVED),
    (S.SEATED, S.BOOKED),
    (S.ARRIVED, S.BOOKED),
    (S.FINISHED, S.SEATED),
    (S.CANCELLED, S.BOOKED),
    (S.CANCELLED, S.ARRIVED),
    (S.NO_SHOW, S.BOOKED),
    (S.NO_SHOW, S.ARRIVED),
]


def test_exactly_the_canonical_forward_steps_are_allowed():
    allowed = {(a, b) for a in S for b in S if can_transition(a, b)}
    assert allowed == set(FORWARD_STEPS)


def test_undo_steps_are_allowed_only_when_asked_for():
    for frm, to in UNDO_STEPS:
        assert not can_transition(frm, to)
        assert can_transition(frm, to, undo=True)
        assert is_undo(frm, to)
    allowed = {(a, b) for a in S for b in S if can_transition(a, b, undo=True)}
    assert allowed == set(FORWARD_STEPS) | set(UNDO_STEPS)


@pytest.mark.parametrize(
    ("frm", "to", "message"),
    [
        (S.CANCELLED, S.SEATED, "Cannot seat a cancelled reservation"),
        (S.FINISHED, S.ARRIVED, "Cannot mark a finished reservation as arrived"),
        (S.NO_SHOW, S.SEATED, "Cannot seat a no-show"),
        (S.BOOKED, S.FINISHED, "Cannot finish a booked reservation"),
        (S.SEATED, S.CANCELLED, "Cannot cancel a seated party"),
        (S.SEATED, S.NO_SHOW, "Cannot mark a seated party as a no-show"),
        (S.SEATED, S.SEATED, "The reservation is already seated"),
    ],
)
def test_refusals_are_in_plain_words(frm, to, message):
    with pytest.raises(InvalidTransition) as error:
        transition(res(frm), to, T0)
    assert str(error.value) == message
    assert (error.value.frm, error.value.to) == (frm, to)
    assert describe_refusal(frm, to) == message


def test_arrive_then_seat_then_finish_sets_each_time():
    arrived = transition(res(), S.ARRIVED, T0)
    seated = transition(arrived, S.SEATED, T0 + timedelta(minutes=10))
    finished = transition(seated, S.FINISHED, T0 + timedelta(minutes=100))
    assert (arrived.status, arrived.arrived_at) == (S.ARRIVED, T0)
    assert (seated.arrived_at, seated.seated_at) == (T0, T0 + timedelta(minutes=10))
    assert finished.status == S.FINISHED and finished.finished_at == T0 + timedelta(minutes=100)
    assert res().status == S.BOOKED  # the original is untouched


def test_check_in_straight_to_a_table_sets_arrival_and_seating_together():
    seated = transition(res(), S.SEATED, T0)
    assert seated.arrived_at == seated.seated_at == T0


@pytest.mark.parametrize("to", [S.CANCELLED, S.NO_SHOW])
def test_cancel_and_no_show_record_when(to):
    assert transition(res(), to, T0).cancelled_at == T0


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        transition(res(), S.ARRIVED, datetime(2024, 6, 1, 23, 0))


def test_undo_of_a_direct_check_in_returns_to_booked_and_clears_the_times():
    seated = transition(res(), S.SEATED, T0)
    assert undo_target(seated) == S.BOOKED
    back = undo(seated, T0 + timedelta(minutes=2), WINDOW)
    assert (back.status, back.arrived_at, back.seated_at) == (S.BOOKED, None, None)


def test_undo_of_seating_after_a_wait_returns_to_arrived():
    arrived = transition(res(), S.ARRIVED, T0)
    seated = transition(arrived, S.SEATED, T0 + timedelta(minutes=15))
    assert undo_target(seated) == S.ARRIVED
    back = undo(seated, T0 + timedelta(minutes=16), WINDOW)
    assert (back.status, back.arrived_at, back.seated_at) == (S.ARRIVED, T0, None)


def test_undo_of_arrival_and_finish():
    arrived = transition(res(), S.ARRIVED, T0)
    assert undo(arrived, T0, WINDOW) == res()
    finished = transition(transition(res(), S.SEATED, T0), S.FINISHED, T0 + timedelta(hours=1))
    back = undo(finished, T0 + timedelta(hours=1, minutes=1), WINDOW)
    assert (back.status, back.finished_at, back.seated_at) == (S.SEATED, None, T0)


def test_undo_of_a_cancellation_returns_to_where_it_was():
    cancelled = transition(res(), S.CANCELLED, T0)
    assert undo(cancelled, T0, WINDOW) == res()
    no_show = transition(transition(res(), S.ARRIVED, T0), S.NO_SHOW, T0 + timedelta(minutes=1))
    back = undo(no_show, T0 + timedelta(minutes=2), WINDOW)
    assert (back.status, back.arrived_at, back.cancelled_at) == (S.ARRIVED, T0, None)


def test_undo_after_the_window_is_refused_in_plain_words():
    seated = transition(res(), S.SEATED, T0)
    assert can_undo(seated, T0 + WINDOW, WINDOW)
    assert not can_undo(seated, T0 + WINDOW + timedelta(seconds=1), WINDOW)
    with pytest.raises(InvalidTransition, match="Too late to undo: a change can only be undone within 5 minutes"):
        undo(seated, T0 + timedelta(minutes=6), WINDOW)


def test_nothing_to_undo_on_a_booked_reservation():
    assert undo_target(res()) is None
    assert not can_undo(res(), T0, WINDOW)
    with pytest.raises(InvalidTransition, match="nothing to undo"):
        undo(res(), T0, WINDOW)


def test_explicit_undo_transition_clears_times():
    seated = transition(transition(res(), S.ARRIVED, T0), S.SEATED, T0 + timedelta(minutes=3))
    back = transition(seated, S.BOOKED, T0 + timedelta(minutes=4), undo=True)
    assert (back.status, back.arrived_at, back.seated_at) == (S.BOOKED, None, None)
    with pytest.raises(InvalidTransition):
        transition(seated, S.BOOKED, T0 + timedelta(minutes=4))
