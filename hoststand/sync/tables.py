"""Table identity across the floor layout and the POS: which POS table (guid) each layout table is.

Built from the layout and the POS tables the puller stored, by `domain.table_match` (guid first, then name
and aliases without regard to case). Layout tables the POS does not know are kept and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hoststand.domain.model import FloorLayout
from hoststand.domain.table_match import match_tables

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class TableIdentity:
    guid_by_table: dict[str, str] = field(default_factory=dict)
    table_by_guid: dict[str, str] = field(default_factory=dict)
    unknown_to_pos: tuple[str, ...] = ()  # layout table ids the POS does not know
    pos_only: tuple[str, ...] = ()  # POS table names not on the layout
    pos_only_by_guid: dict[str, str] = field(default_factory=dict)  # the same, by POS guid
    pos_known: bool = False  # False until the POS's table list has been pulled once

    @classmethod
    def build(cls, layout: FloorLayout, pos_tables: list[tuple[str, str]]) -> TableIdentity:
        if not pos_tables:
            # The POS's tables have not been pulled yet: trust guids written in the layout file.
            guid_by_table = {t.id: t.pos_guid for t in layout.tables if t.pos_guid}
            return cls(guid_by_table, {g: t for t, g in guid_by_table.items()})
        m = match_tables(layout.tables, pos_tables)
        guid_by_table = {p.table_id: p.pos_guid for p in m.pairs}
        return cls(
            guid_by_table=guid_by_table,
            table_by_guid={g: t for t, g in guid_by_table.items()},
            unknown_to_pos=tuple(m.layout_only),
            pos_only=tuple(name for _, name in m.pos_only),
            pos_only_by_guid=dict(m.pos_only),
            pos_known=True,
        )

    @classmethod
    def load(cls, s: Session, layout: FloorLayout) -> TableIdentity:
        from hoststand.store import repos  # here, not above: the first screen builds identities without SQLAlchemy

        return cls.build(layout, [(r.guid, r.name) for r in repos.pos_tables(s)])

    def guid_for(self, table_id: str) -> str | None:
        return self.guid_by_table.get(table_id)

    def table_for_guid(self, guid: str | None) -> str | None:
        return self.table_by_guid.get(guid) if guid else None

    def pos_only_name(self, guid: str | None) -> str | None:
        """The name of a POS table the floor plan does not place (a bar seat, a patio), or None."""
        return self.pos_only_by_guid.get(guid) if guid else None
