"""Matching layout tables to POS tables, and booking-platform table names to layout ids."""

from __future__ import annotations

from hoststand.domain.model import FloorLayout, Table
from hoststand.domain.table_match import (
    MatchedTable,
    loose_key,
    match_tables,
    name_key,
    resolve_table_names,
)


def table(id_, name, **kw) -> Table:
    return Table(id=id_, name=name, section_id="main", min_seats=2, max_seats=4, **kw)


TABLES = (
    table("T1", "Table 1"),
    table("T12", "Table 12", pos_guid="guid-12"),
    table("T14", "14", aliases=("Window 14",)),
    table("B1", "Bar 1", pos_name="BAR-01"),
    table("P1", "Patio"),
)
LAYOUT = FloorLayout(id="l", name="Main", width=1000, height=800, sections=(), tables=TABLES)


def test_keys_ignore_case_and_whitespace():
    assert name_key("Table 12") == name_key("table12") == name_key(" TABLE  12 ")
    assert loose_key("Table 05") == loose_key("5") == loose_key("#5") == loose_key("T5")


def test_matches_by_guid_first_then_by_name():
    result = match_tables(
        TABLES,
        [("guid-12", "Renamed in POS"), ("g1", "table 1"), ("gb", "bar-01"), ("g14", "WINDOW 14")],
    )
    assert result.pairs == (
        MatchedTable("T1", "g1", "table 1", "name"),
        MatchedTable("T12", "guid-12", "Renamed in POS", "guid"),
        MatchedTable("T14", "g14", "WINDOW 14", "name"),
        MatchedTable("B1", "gb", "bar-01", "name"),
    )
    assert result.layout_only == ("P1",)
    assert result.pos_only == ()


def test_reports_tables_on_one_side_only():
    result = match_tables(TABLES, [("g99", "Table 99"), ("g1", "Table 1")])
    assert [p.table_id for p in result.pairs] == ["T1"]
    assert result.layout_only == ("T12", "T14", "B1", "P1")
    assert result.pos_only == (("g99", "Table 99"),)


def test_a_stale_guid_falls_back_to_the_name():
    result = match_tables(TABLES, [("new-guid", "Table 12")])
    assert result.pairs == (MatchedTable("T12", "new-guid", "Table 12", "name"),)


def test_loose_names_match_when_nothing_stricter_does():
    result = match_tables(TABLES, [("g", "12"), ("h", "Table 014")])
    assert {(p.table_id, p.by) for p in result.pairs} == {("T12", "loose"), ("T14", "loose")}


def test_a_name_that_fits_two_tables_is_reported_not_guessed():
    result = match_tables(TABLES, [("a", "Patio"), ("b", "patio")])
    assert result.pairs == ()
    assert result.ambiguous == ("Patio", "patio")
    assert result.pos_only == (("a", "Patio"), ("b", "patio"))
    assert "P1" in result.layout_only


def test_layout_ids_do_not_collide_loosely_with_other_names():
    tables = (table("T1", "12"), table("T12", "Bar"))
    # "T12" is the second table's id; loosely it would read "12", the first table's name.
    assert resolve_table_names(["12"], FloorLayout("l", "L", 1, 1, (), tables)) == (("T1",), ())
    assert resolve_table_names(["T12"], FloorLayout("l", "L", 1, 1, (), tables)) == (("T12",), ())


def test_resolves_booking_platform_table_numbers():
    assert resolve_table_names(["12"], LAYOUT) == (("T12",), ())
    assert resolve_table_names(["table 12", "14"], LAYOUT) == (("T12", "T14"), ())
    assert resolve_table_names("patio", LAYOUT) == (("P1",), ())


def test_resolves_combined_tables_in_one_string():
    assert resolve_table_names(["12+14"], LAYOUT) == (("T12", "T14"), ())
    assert resolve_table_names(["12, 14 & Patio"], LAYOUT) == (("T12", "T14", "P1"), ())


def test_unknown_names_come_back_unresolved_and_duplicates_once():
    assert resolve_table_names(["77", "12", "Table 12", "", "77"], LAYOUT) == (("T12",), ("77",))
