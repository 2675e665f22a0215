"""The first read's typed columns (`store.first_read`, plain sqlite3) are the rows' own: a datetime, JSON or date
column added to a row without being listed there would reach the first screen as raw text.

That both reads draw the same screens is checked over a seeded night in tests/ui/test_first_screen.py."""

from __future__ import annotations

from sqlalchemy import Date

from hoststand.store import first_read
from hoststand.store.rows import SQLModel
from hoststand.store.types import JSONText, UTCDateTime


def _columns_of_type(table: str, kind: type) -> frozenset[str]:
    return frozenset(c.name for c in SQLModel.metadata.tables[table].columns if isinstance(c.type, kind))


def test_every_typed_column_of_the_tables_read_first_is_converted():
    for table in first_read.DATETIMES:
        assert first_read.DATETIMES[table] == _columns_of_type(table, UTCDateTime), table
        assert first_read.JSON[table] == _columns_of_type(table, JSONText), table
        assert first_read.DATES.get(table, frozenset()) == _columns_of_type(table, Date), table

