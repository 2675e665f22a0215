"""A real store with a few parties for tonight, and the service over it (no network: nothing is sent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoststand.domain import service_day
from hoststand.domain.events import ChangeBus
from hoststand.domain.model import Allergen, Guest, Reservation, ReservationStatus
from hoststand.services import HostService
from hoststand.store import repos


def add_party(store, settings, *, id, name, size, start, tables=(), status=ReservationStatus.BOOKED, guest=None, request=""):
    with store.write() as s:
        if guest is not None:
            repos.save_guest(s, guest)
        res = Reservation(
            id=id, source="opentable", external_id=f"ot-{id}", party_size=size, start=start, status=status,
            guest_id=guest.id if guest else None, guest_name=name, table_ids=tuple(tables), guest_request=request,
        )
        repos.save_reservation(s, res, service_date=service_day.service_date(start, settings.tz, 4))
    return res


@pytest.fixture
def service(store, layout, settings, clock):
    bus = ChangeBus()
    now = clock.now()
    smith = Guest(id="g-smith", first_name="Ann", last_name="Smith", allergens=frozenset({Allergen.PEANUT, Allergen.TREE_NUT}),
                  allergy_notes="no nuts pls, epipen", preferred_server="Maria", vip_tier="VIP")
    add_party(store, settings, id="smith", name="Ann Smith", size=4, start=now + timedelta(minutes=5), tables=["T12"], guest=smith)
    add_party(store, settings, id="jones", name="Bo Jones", size=2, start=now - timedelta(minutes=30), tables=["T1"],
              status=ReservationStatus.SEATED)
    add_party(store, settings, id="lee", name="Cy Lee", size=2, start=now + timedelta(minutes=10), tables=["T1"])
    add_party(store, settings, id="park", name="Di Park", size=3, start=now, tables=())
    add_party(store, settings, id="gone", name="Ed Gone", size=2, start=now, tables=["T20"], status=ReservationStatus.CANCELLED)
    return HostService(store, layout=layout, settings=settings, clock=clock, bus=bus)
