"""The canonical reservation lifecycle (DESIGN.md §3) and the host's undo.

Forward: booked → arrived → seated → finished; booked → seated (check-in with a free table);
booked | arrived → cancelled | no_show.
Undo (the host's last step, within the undo window): seated → arrived | booked, arrived → booked,
finished → seated, cancelled | no_show → booked | arrived.

Each step sets or clears the matching timestamp, so the reservation itself tells what its last step was:
cancelled_at also records when a party was marked a no-show (the model has no separate field), and a
check-in straight from booked sets arrived_at and seated_at to the same instant.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hoststand.domain.model import Reservation, ReservationStatus

S = ReservationStatus

FORWARD: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.BOOKED: frozenset({S.ARRIVED, S.SEATED, S.CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.SEATED, S.CANCELLED, S.NO_SHOW}),
    S.SEATED: frozenset({S.FINISHED}),
    S.FINISHED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

UNDO: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.BOOKED: frozenset(),
    S.ARRIVED: frozenset({S.BOOKED}),
    S.SEATED: frozenset({S.ARRIVED, S.BOOKED}),
    S.FINISHED: frozenset({S.SEATED}),
    S.CANCELLED: frozenset({S.BOOKED, S.ARRIVED}),
    S.NO_SHOW: frozenset({S.BOOKED, S.ARRIVED}),
}

_ACTION = {
    S.BOOKED: "return {what} to booked",
    S.ARRIVED: "mark {what} as arrived",
    S.SEATED: "seat {what}",
    S.FINISHED: "finish {what}",
    S.CANCELLED: "cancel {what}",
    S.NO_SHOW: "mark {what} as a no-show",
}

_WHAT = {
    S.BOOKED: "a booked reservation",
    S.ARRIVED: "a party that has arrived",
    S.SEATED: "a seated party",
    S.FINISHED: "a finished reservation",
    S.CANCELLED: "a cancelled reservation",
    S.NO_SHOW: "a no-show",
}


class InvalidTransition(ValueError):
    """A status change the lifecycle does not allow; the message is in plain words for the host."""

    def __init__(self, frm: ReservationStatus, to: ReservationStatus, message: str | None = None) -> None:
        self.frm = frm
        self.to = to
        super().__init__(message or describe_refusal(frm, to))


def describe_refusal(frm: ReservationStatus, to: ReservationStatus) -> str:
    """Plain words for a refused change: "Cannot seat a cancelled reservation"."""
    if frm == to:
        return f"The reservation is already {_status_words(frm)}"
    return "Cannot " + _ACTION[to].format(what=_WHAT[frm])


def _status_words(status: ReservationStatus) -> str:
    return "a no-show" if status == S.NO_SHOW else status.value


def can_transition(frm: ReservationStatus, to: ReservationStatus, *, undo: bool = False) -> bool:
    """Whether `frm` → `to` is a forward step, or (with undo=True) a forward step or an undo step."""
    return to in FORWARD[frm] or (undo and to in UNDO[frm])


def is_undo(frm: ReservationStatus, to: ReservationStatus) -> bool:
    return to in UNDO[frm]


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Transition times must be timezone-aware")


def transition(
    res: Reservation, to: ReservationStatus, at: datetime, *, undo: bool = False
) -> Reservation:
    """`res` moved to `to` at `at`, with its timestamps set (forward) or cleared (undo).

    Raises InvalidTransition when the lifecycle does not allow it; undo steps need undo=True.
    """
    _aware(at)
    frm = res.status
    if to in FORWARD[frm]:
        return _forward(res, to, at)
    if undo and to in UNDO[frm]:
        return _backward(res, to)
    raise InvalidTransition(frm, to)


def _forward(res: Reservation, to: ReservationStatus, at: datetime) -> Reservation:
    if to == S.ARRIVED:
        return replace(res, status=to, arrived_at=at)
    if to == S.SEATED:
        return replace(res, status=to, arrived_at=res.arrived_at or at, seated_at=at)
    if to == S.FINISHED:
        return replace(res, status=to, finished_at=at)
    return replace(res, status=to, cancelled_at=at)  # cancelled or no-show


def _backward(res: Reservation, to: ReservationStatus) -> Reservation:
    frm = res.status
    if frm == S.FINISHED:
        return replace(res, status=to, finished_at=None)
    if frm in (S.CANCELLED, S.NO_SHOW):
        arrived_at = res.arrived_at if to == S.ARRIVED else None
        return replace(res, status=to, cancelled_at=None, arrived_at=arrived_at)
    if to == S.BOOKED:  # from seated or arrived
        return replace(res, status=to, arrived_at=None, seated_at=None)
    return replace(res, status=to, seated_at=None)  # seated → arrived


def last_step_at(res: Reservation) -> datetime | None:
    """When `res` reached its current status, as its timestamps tell."""
    return {
        S.BOOKED: None,
        S.ARRIVED: res.arrived_at,
        S.SEATED: res.seated_at,
        S.FINISHED: res.finished_at,
        S.CANCELLED: res.cancelled_at,
        S.NO_SHOW: res.cancelled_at,
    }[res.status]


def undo_target(res: Reservation) -> ReservationStatus | None:
    """The status `res` was in before its last step, or None when there is nothing to undo.

    A seated party whose arrival and seating share one instant was checked in straight from booked.
    """
    status = res.status
    if status == S.BOOKED:
        return None
    if status == S.ARRIVED:
        return S.BOOKED
    if status == S.SEATED:
        waited = res.arrived_at is not None and res.seated_at is not None and res.arrived_at < res.seated_at
        return S.ARRIVED if waited else S.BOOKED
    if status == S.FINISHED:
        return S.SEATED
    return S.ARRIVED if res.arrived_at is not None else S.BOOKED  # cancelled or no-show


def can_undo(res: Reservation, now: datetime, window: timedelta) -> bool:
    """Whether the last step of `res` can still be undone at `now`."""
    _aware(now)
    at = last_step_at(res)
    return undo_target(res) is not None and at is not None and now - at <= window


def undo(res: Reservation, now: datetime, window: timedelta) -> Reservation:
    """`res` with its last step undone; InvalidTransition when there is none or the window has passed."""
    _aware(now)
    target = undo_target(res)
    if target is None:
        raise InvalidTransition(res.status, res.status, "There is nothing to undo on a booked reservation")
    at = last_step_at(res)
    if at is None or now - at > window:
        minutes = max(1, round(window.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        raise InvalidTransition(
            res.status, target, f"Too late to undo: a change can only be undone within {minutes} {unit}"
        )
    return _backward(res, target)
