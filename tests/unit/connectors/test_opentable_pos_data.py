"""OpenTable pos-data: the documented read mapped to minor units, the assumed write's body."""

from __future__ import annotations

import pytest

from hoststand.connectors.base import PosCheckSummary
from hoststand.connectors.booking.opentable import pos_data_body, pos_data_from_json
from hoststand.connectors.fields import MalformedRecord


def test_a_record_is_read_in_minor_units_whatever_the_denominator():
    r = pos_data_from_json({"confirmation_id": 2611270005, "pos_total_spend": 18240, "pos_sub_total": 15200,
                            "currency_denominator": 100, "covers": 4, "updated_at_utc": "2026-11-28T01:02:03.000Z"})
    assert (r.external_id, r.total, r.subtotal, r.covers) == ("2611270005", 18240, 15200, 4)
    assert r.updated_at.isoformat().startswith("2026-11-28T01:02:03")
    tenths = pos_data_from_json({"confirmation_id": 7, "pos_total_spend": 1824, "currency_denominator": 10})
    assert tenths.total == 18240 and tenths.covers is None


@pytest.mark.parametrize("record", [{}, {"confirmation_id": True, "pos_total_spend": 1},
                                    {"confirmation_id": 1, "pos_total_spend": "lots"},
                                    {"confirmation_id": 1, "currency_denominator": 0}])
def test_a_malformed_record_is_refused_clearly(record):
    with pytest.raises(MalformedRecord):
        pos_data_from_json(record)


def test_the_write_uses_the_documented_field_names():
    body = pos_data_body(PosCheckSummary(external_id="2611270005", covers=4, subtotal=15200, total=18240, comps=900,
                                         check_ids=("c1",), items=(("Steak Frites", 2),)), rid=424242)
    assert body["confirmation_id"] == 2611270005 and body["rid"] == 424242
    assert (body["pos_sub_total"], body["pos_total_spend"], body["currency_denominator"]) == (15200, 18240, 100)
    assert body["pos_order_items"] == [{"name": "Steak Frites", "quantity": 2, "comment": None, "ticket_item_modifiers": []}]
