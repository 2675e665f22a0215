"""The reservation list's rows over a real store: read again, an unchanged party is the same row object (the
list then redraws nothing), and a party whose status, queue or late minutes moved is a new row."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.model import ReservationStatus


def _rows(service):
    return {r.id: r for r in service.reservations()}


def test_unchanged_parties_come_back_as_the_same_rows_and_changed_ones_as_new(service, clock):
    first = _rows(service)
    again = _rows(service)
    assert all(again[i] is first[i] for i in first)

    result = service.mark_arrived("smith")
    assert result.ok
    now = _rows(service)
    assert now["smith"].status is ReservationStatus.ARRIVED and now["smith"] is not first["smith"]
    assert now["smith"].pending  # its status change waits in the outbox
    assert now["lee"] is first["lee"] and now["jones"] is first["jones"]


def test_the_minute_turning_moves_the_late_and_seated_minutes(service, clock):
    first = _rows(service)
    assert first["park"].minutes_late == 0  # due now
    clock.advance(timedelta(minutes=3))
    later = _rows(service)
    assert later["park"].minutes_late == 3 and later["park"] is not first["park"]
    assert later["lee"] is first["lee"]  # due in 7 minutes: nothing on its row moved
