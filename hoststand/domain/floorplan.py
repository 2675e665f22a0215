"""Floor layouts from their JSON form (`resources/floorplans/*.json`), validated with plain-words errors.

Each table carries its place, shape and size, its seats (min, max), the tables it combines with, and its
POS identity: an optional POS guid, the name the POS uses, and aliases (matched without regard to case).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hoststand.domain.model import FloorLayout, Section, Table, TableShape


class FloorPlanError(ValueError):
    pass


def layout_from_dict(data: Mapping[str, Any]) -> FloorLayout:
    try:
        sections = tuple(
            Section(id=str(s["id"]), name=str(s["name"]), color=str(s.get("color", "#5B8DEF")))
            for s in data.get("sections", [])
        )
    except (KeyError, TypeError) as exc:
        raise FloorPlanError(f"A section of the floor plan lacks {exc}.") from exc
    section_ids = {s.id for s in sections}
    tables: list[Table] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("tables", [])):
        where = f"table #{i + 1}" + (f" ({raw.get('id')})" if isinstance(raw, Mapping) and raw.get("id") else "")
        try:
            tid = str(raw["id"])
            seats = raw.get("seats", [1, 4])
            lo, hi = (int(seats[0]), int(seats[1])) if isinstance(seats, list | tuple) else (1, int(seats))
            shape = TableShape(str(raw.get("shape", "rect")))
            pos = raw.get("pos") or {}
            table = Table(
                id=tid,
                name=str(raw.get("name", tid)),
                section_id=str(raw.get("section", "")),
                min_seats=lo,
                max_seats=hi,
                shape=shape,
                x=float(raw.get("x", 0)),
                y=float(raw.get("y", 0)),
                w=float(raw.get("w", 80)),
                h=float(raw.get("h", 80)),
                rotation=float(raw.get("rotation", 0)),
                combinable_with=tuple(str(c) for c in raw.get("combinable_with", ())),
                pos_guid=pos.get("guid"),
                pos_name=pos.get("name"),
                aliases=tuple(str(a) for a in raw.get("aliases", ())),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FloorPlanError(f"Floor plan {where} is not valid: {exc}.") from exc
        if tid in seen:
            raise FloorPlanError(f"Floor plan has two tables with id '{tid}'.")
        if table.min_seats < 1 or table.max_seats < table.min_seats:
            raise FloorPlanError(f"Floor plan {where}: seats must be [min, max] with 1 ≤ min ≤ max.")
        if section_ids and table.section_id not in section_ids:
            raise FloorPlanError(f"Floor plan {where}: unknown section '{table.section_id}'.")
        seen.add(tid)
        tables.append(table)
    for t in tables:
        for other in t.combinable_with:
            if other not in seen:
                raise FloorPlanError(f"Table {t.id} combines with unknown table '{other}'.")
    if not tables:
        raise FloorPlanError("The floor plan has no tables.")
    width = float(data.get("width", max(t.x + t.w for t in tables) + 40))
    height = float(data.get("height", max(t.y + t.h for t in tables) + 40))
    return FloorLayout(
        id=str(data.get("id", "floor")),
        name=str(data.get("name", "Floor")),
        width=width,
        height=height,
        sections=sections,
        tables=tuple(tables),
    )
