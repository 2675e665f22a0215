"""The guest's history: a closed visit folded into the profile."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hoststand.domain.guest_history import average_spend_per_cover, favourite_items, record_visit
from hoststand.domain.model import Guest

UTC = timezone.utc
MAY = datetime(2024, 5, 3, 1, 30, tzinfo=UTC)
JUNE = datetime(2024, 6, 2, 2, 0, tzinfo=UTC)


def guest(**kwargs) -> Guest:
    return Guest(id="g1", first_name="Ana", last_name="Rivera", **kwargs)


def test_a_first_visit_starts_the_history():
    after = record_visit(guest(), closed_at=JUNE, covers=4, total=18000, items=["Burrata", "Steak", "Steak"])
    assert (after.visits, after.last_visit, after.total_spend, after.total_covers) == (1, JUNE, 18000, 4)
    assert after.items_ordered == (("Steak", 2), ("Burrata", 1))
    assert average_spend_per_cover(after) == 4500


def test_visits_add_up_and_the_average_is_per_cover():
    g = record_visit(guest(), closed_at=MAY, covers=2, total=10000, items={"Steak": 2})
    g = record_visit(g, closed_at=JUNE, covers=4, total=14000, items=["steak", "Tiramisu"])
    assert (g.visits, g.last_visit, g.total_spend, g.total_covers) == (2, JUNE, 24000, 6)
    assert average_spend_per_cover(g) == 4000
    assert g.items_ordered == (("Steak", 3), ("Tiramisu", 1))  # same item whatever the case
    assert favourite_items(g, 1) == ("Steak",)


def test_a_visit_recorded_late_does_not_move_the_last_visit_back():
    g = record_visit(guest(visits=3, last_visit=JUNE), closed_at=MAY, covers=2, total=5000)
    assert (g.visits, g.last_visit) == (4, JUNE)


def test_the_rest_of_the_profile_is_kept():
    before = guest(phone="+12125550123", vip_tier="VIP", notes="window table")
    after = record_visit(before, closed_at=JUNE, covers=2, total=5000)
    assert (after.phone, after.vip_tier, after.notes, after.id) == ("+12125550123", "VIP", "window table", "g1")


def test_no_covers_means_no_average():
    assert average_spend_per_cover(guest()) is None


def test_blank_items_are_ignored_and_spaces_folded():
    g = record_visit(guest(), closed_at=JUNE, covers=1, total=100, items=["  ", "Crème  brûlée", "Crème brûlée "])
    assert g.items_ordered == (("Crème brûlée", 2),)


def test_a_check_in_another_currency_is_refused_once_spend_is_recorded():
    g = record_visit(guest(), closed_at=MAY, covers=2, total=5000, currency="USD")
    with pytest.raises(ValueError):
        record_visit(g, closed_at=JUNE, covers=2, total=5000, currency="EUR")
    assert record_visit(guest(currency="USD"), closed_at=JUNE, covers=2, total=5000, currency="EUR").currency == "EUR"


@pytest.mark.parametrize("bad", [{"covers": -1}, {"closed_at": datetime(2024, 6, 2, 2, 0)}])
def test_bad_input_is_refused(bad):
    args = {"closed_at": JUNE, "covers": 2, "total": 5000, **bad}
    with pytest.raises(ValueError):
        record_visit(guest(), **args)
