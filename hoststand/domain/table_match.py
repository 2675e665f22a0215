"""Matching the layout's tables to the POS's tables, and the booking platform's table names to layout ids.

A layout table matches a POS table by the POS guid it already knows, else by name: its `name`,
`pos_name`, `aliases` or layout `id`, compared without case or whitespace ("Table 12" ~ "table12"). When that
finds nothing, a looser key that drops a leading "Table"/"Tbl"/"T"/"#" before a number and leading
zeros is tried ("Table 05" ~ "5"). A name that fits two tables matches neither: it is reported, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hoststand.domain.model import FloorLayout, Table

_LOOSE_PREFIX = re.compile(r"^(?:table|tbl|tab|t|no|nr|#)\.?(?=\d)")
_SEPARATORS = re.compile(r"\s*(?:,|\+|&|/|\band\b)\s*", re.IGNORECASE)


def name_key(name: str) -> str:
    """A table name compared without case or whitespace: "Table 12" → "table12"."""
    return "".join(name.casefold().split())


def loose_key(name: str) -> str:
    """A looser key: also without a "table"/"t"/"#" prefix before a number, or leading zeros."""
    key = _LOOSE_PREFIX.sub("", name_key(name))
    return re.sub(r"\d+", lambda m: str(int(m.group())), key)


def _names(table: Table, *, with_id: bool) -> list[str]:
    names = [table.name, table.pos_name or "", *table.aliases, table.id if with_id else ""]
    return [n for n in names if n.strip()]


@dataclass(frozen=True)
class MatchedTable:
    table_id: str
    pos_guid: str
    pos_name: str
    by: str  # "guid", "name" or "loose"


@dataclass(frozen=True)
class TableMatch:
    pairs: tuple[MatchedTable, ...]
    layout_only: tuple[str, ...]  # layout table ids the POS does not know: flag them to the manager
    pos_only: tuple[tuple[str, str], ...]  # (guid, name) of POS tables not on the layout
    ambiguous: tuple[str, ...] = ()  # POS or layout names that fit more than one table


def _index(tables: Iterable[Table], key: Callable[[str], str]) -> dict[str, set[str]]:
    """key → ids of the tables with a name of that key. Layout ids count only for the strict key:
    loosely, "T1" would read as "1" and collide with the table the host calls "1"."""
    index: dict[str, set[str]] = {}
    for table in tables:
        for name in _names(table, with_id=key is name_key):
            index.setdefault(key(name), set()).add(table.id)
    return index


def match_tables(layout_tables: Sequence[Table], pos_tables: Iterable[tuple[str, str]]) -> TableMatch:
    """Pair layout tables with POS tables given as (guid, name): guid first, then name, then loose name."""
    pos = list(dict.fromkeys(pos_tables))
    pos_by_guid = {guid: name for guid, name in pos}
    pairs: list[MatchedTable] = []
    unmatched = {t.id: t for t in layout_tables}
    for table in layout_tables:
        if table.pos_guid and table.pos_guid in pos_by_guid:
            pairs.append(MatchedTable(table.id, table.pos_guid, pos_by_guid.pop(table.pos_guid), "guid"))
            del unmatched[table.id]

    ambiguous: list[str] = []
    for how, key in (("name", name_key), ("loose", loose_key)):
        index = _index(unmatched.values(), key)
        by_key: dict[str, list[tuple[str, str]]] = {}
        for guid, name in pos_by_guid.items():
            by_key.setdefault(key(name), []).append((guid, name))
        for k, candidates in by_key.items():
            tables = index.get(k, set()) & set(unmatched)
            if not tables:
                continue
            if len(candidates) > 1 or len(tables) > 1:
                ambiguous.extend(name for _, name in candidates if name not in ambiguous)
                continue
            (guid, name), table_id = candidates[0], next(iter(tables))
            pairs.append(MatchedTable(table_id, guid, name, how))
            del unmatched[table_id]
            del pos_by_guid[guid]

    order = {t.id: i for i, t in enumerate(layout_tables)}
    pairs.sort(key=lambda p: order[p.table_id])
    return TableMatch(
        pairs=tuple(pairs),
        layout_only=tuple(t.id for t in layout_tables if t.id in unmatched),
        pos_only=tuple((guid, name) for guid, name in pos if guid in pos_by_guid),
        ambiguous=tuple(ambiguous),
    )


def _resolve_one(name: str, strict: dict[str, set[str]], loose: dict[str, set[str]]) -> str | None:
    for index, key in ((strict, name_key), (loose, loose_key)):
        ids = index.get(key(name), set())
        if len(ids) == 1:
            return next(iter(ids))
        if len(ids) > 1:
            return None  # fits two tables: do not guess
    return None


_INDEXES: dict[int, tuple[FloorLayout, dict[str, set[str]], dict[str, set[str]]]] = {}


def _layout_indexes(layout: FloorLayout) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The strict and loose name indexes of a layout, built once per layout object (a pull resolves
    a thousand reservations against the same layout)."""
    entry = _INDEXES.get(id(layout))
    if entry is None or entry[0] is not layout:
        entry = (layout, _index(layout.tables, name_key), _index(layout.tables, loose_key))
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        _INDEXES[id(layout)] = entry
    return entry[1], entry[2]


def resolve_table_names(
    names: Iterable[str] | str, layout: FloorLayout
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(layout table ids, names not resolved) for booking-platform table names.

    OpenTable gives `table_number` as a list; a combined table may also come as one string such as
    "12+14" or "12, 14", which is split when the whole string is not a table's name.
    """
    if isinstance(names, str):
        names = [names]
    strict, loose = _layout_indexes(layout)
    resolved: list[str] = []
    unresolved: list[str] = []
    for raw in names:
        if not raw or not raw.strip():
            continue
        found = _resolve_one(raw, strict, loose)
        parts = [raw] if found else [p for p in _SEPARATORS.split(raw) if p.strip()]
        for part in parts:
            table_id = found or _resolve_one(part, strict, loose)
            if table_id is None:
                if part.strip() not in unresolved:
                    unresolved.append(part.strip())
            elif table_id not in resolved:
                resolved.append(table_id)
    return tuple(resolved), tuple(unresolved)
