"""JSON columns: what is stored reads back as the standard library's encoding of it would (store/types.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from hoststand.store.types import JSONText


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [1, 2.5, "Crème brûlée", None, True]},
    {3: "table three", 12: "table twelve"},
    {"when": datetime(2026, 11, 27, 19, 30, tzinfo=timezone.utc), "total": Decimal("84.10")},
    ["T12", "T13"],
    {"big": 2**70},  # past 64 bits: the standard library writes it
])
def test_a_json_column_reads_back_as_the_standard_librarys_encoding(value):
    column = JSONText()
    stored = column.process_bind_param(value, None)
    expected = json.loads(json.dumps(value, separators=(",", ":"), sort_keys=True, default=str))
    assert column.process_result_value(stored, None) == expected
