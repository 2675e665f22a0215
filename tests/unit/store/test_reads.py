"""Reading the night again: rows that did not change come back as the very objects read before, and a row
that changed, appeared or went is read as it now is (repos._Built), on a real SQLite file."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hoststand.domain.model import Guest, Reservation, ReservationStatus
from hoststand.store import repos
from hoststand.store.rows import ReservationRow


def _reservation(i: int, clock, **kw) -> Reservation:
    return Reservation(id=f"r{i}", source="opentable", external_id=f"ot{i}", party_size=2,
                       start=clock.now() + timedelta(minutes=15 * i), guest_name=f"Guest {i}", **kw)


def _night(store, clock):
    with store.read() as s:
        return repos.reservations_for_day(s, clock.now().date())


def test_a_second_read_returns_the_same_objects_for_unchanged_rows_and_fresh_ones_for_changed(store, clock):
    day = clock.now().date()
    with store.write() as s:
        for i in range(5):
            repos.save_reservation(s, _reservation(i, clock), service_date=day)
    first = _night(store, clock)
    assert [r.id for r in first] == ["r0", "r1", "r2", "r3", "r4"]
    again = _night(store, clock)
    assert all(a is b for a, b in zip(first, again, strict=True))  # nothing rebuilt

    with store.write() as s:  # r2 is seated, r4 cancelled and removed, r5 booked
        repos.save_reservation(s, replace(first[2], status=ReservationStatus.SEATED, seated_at=clock.now()),
                               service_date=day)
        s.delete(s.get(ReservationRow, "r4"))
        repos.save_reservation(s, _reservation(5, clock), service_date=day)
    now = _night(store, clock)
    assert [r.id for r in now] == ["r0", "r1", "r2", "r3", "r5"]
    assert now[2].status is ReservationStatus.SEATED and now[2] is not first[2]
    assert now[0] is first[0] and now[3] is first[3]

    with store.write() as s:  # back as it was: equal to the first object, whichever object it is
        repos.save_reservation(s, first[2], service_date=day)
    assert _night(store, clock)[2] == first[2]


def test_guests_read_by_id_follow_their_rows(store):
    with store.write() as s:
        repos.upsert_guests(s, [Guest(id="g1", first_name="Ann", last_name="Lee"),
                                Guest(id="g2", first_name="Bo", last_name="Ng")])
    with store.read() as s:
        first = repos.guests_by_ids(s, ["g1", "g2", "nobody"])
    assert set(first) == {"g1", "g2"}
    with store.write() as s:
        repos.upsert_guests(s, [replace(first["g1"], allergy_notes="peanuts")])
    with store.read() as s:
        now = repos.guests_by_ids(s, ["g1", "g2"])
    assert now["g1"].allergy_notes == "peanuts"
    assert now["g2"] is first["g2"]
