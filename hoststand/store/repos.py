"""Repositories: read and write domain entities through a session (rows never leave this package).

Functions take an open `Session` (from `Store.write()` or `Store.read()`), so a command can change several
entities and enqueue its outbox actions in one transaction.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, insert, type_coerce
from sqlalchemy.types import NullType
from sqlmodel import Session, col, func, select

from hoststand.domain.model import (
    AuditEntry,
    ConflictRecord,
    CourseStage,
    Guest,
    Reservation,
    ReservationStatus,
    Server,
    Ticket,
)
from hoststand.store.entities import guest_from_row, reservation_from_row, ticket_from_row
from hoststand.store.rows import (
    AuditRow,
    ConflictRow,
    GuestRow,
    PosServiceAreaRow,
    PosTableRow,
    ReservationRow,
    ServerRow,
    SyncStateRow,
    TicketRow,
    UndoRow,
)


def new_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------- guests


def _guest_values(g: Guest) -> dict:
    return dict(
        source=g.source,
        external_id=g.external_id,
        first_name=g.first_name,
        last_name=g.last_name,
        phone=g.phone,
        email=g.email,
        allergens=sorted(a.value for a in g.allergens),
        allergy_notes=g.allergy_notes,
        dietary=list(g.dietary),
        vip_tier=g.vip_tier,
        preferred_server=g.preferred_server,
        notes=g.notes,
        visits=g.visits,
        last_visit=g.last_visit,
        total_spend=g.total_spend,
        currency=g.currency,
        version=g.version,
        last_seen=g.last_seen,
        total_covers=g.total_covers,
        items_ordered=[[i, n] for i, n in g.items_ordered],
    )


def save_guest(s: Session, g: Guest) -> None:
    row = s.get(GuestRow, g.id)
    values = _guest_values(g)
    if row is None:
        s.add(GuestRow(id=g.id, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def upsert_guests(s: Session, guests: Sequence[Guest]) -> None:
    """Insert or update many guests in two statements (executemany): the puller's bulk path."""
    _upsert(s, GuestRow, [{"id": g.id, **_guest_values(g)} for g in guests])


def _upsert(s: Session, row_type, values: list[dict], key: str = "id") -> None:
    if not values:
        return
    ids = [v[key] for v in values]
    pk = getattr(row_type, key)
    existing: set = set()
    for chunk in _chunks(ids, 500):
        existing.update(s.exec(select(pk).where(col(pk).in_(chunk))))
    new = [v for v in values if v[key] not in existing]
    old = [v for v in values if v[key] in existing]
    s.flush()  # pending ORM changes first, so the bulk statements see them
    # One executemany each, straight to the driver with the columns' own conversions applied here: the ORM's
    # bulk paths cost several times more per row for the same SQL, and even Core's parameter handling was a
    # tenth of a big pull
    table = row_type.__table__
    conn = s.connection()
    if new:
        sql, convert, defaults = _insert_sql(table, tuple(new[0]))
        conn.exec_driver_sql(sql, [convert({**defaults, **v}) for v in new])
    if old:
        columns = [c for c in old[0] if c != key]
        sql, convert = _bulk_sql(table, "update", tuple(columns), key)
        conn.exec_driver_sql(sql, [convert({**v, "_key": v[key]}) for v in old])
    s.expire_all()  # objects loaded earlier in this session must not hide the new values


def insert_row(s: Session, row_type, values: dict) -> int:  # noqa: ANN001
    """Insert one row with a plain statement (no ORM object, no unit-of-work flush), after flushing what
    the session holds; returns its rowid. For rows written many times in one transaction (a pull's
    placeholder tickets and their outbox actions)."""
    s.flush()
    sql, convert, defaults = _insert_sql(row_type.__table__, tuple(values))
    return s.connection().exec_driver_sql(sql, convert({**defaults, **values})).lastrowid


def _insert_sql(table, given: tuple[str, ...]):  # noqa: ANN001, ANN202
    """`_bulk_sql` for an insert of the `given` columns; a column left out takes its default, as a Core insert
    would give it (all the tables' defaults are plain values): (sql, convert, those defaults)."""
    defaults = _defaults(table, given)
    sql, convert = _bulk_sql(table, "insert", (*given, *defaults), "")
    return sql, convert, defaults


@functools.lru_cache(maxsize=64)
def _defaults(table, given: tuple[str, ...]) -> dict:  # noqa: ANN001
    return {c.name: c.default.arg for c in table.c
            if c.name not in given and c.default is not None and not c.default.is_callable}


@functools.lru_cache(maxsize=64)
def _bulk_sql(table, kind: str, columns: tuple[str, ...], key: str):  # noqa: ANN001, ANN202
    """The driver-level SQL of a bulk insert (of `columns`) or update (of `columns`, by `key`, given as
    "_key") of `table`, and a function turning one row's values (a dict by column name) into the driver's
    parameters, in the statement's order, through each column type's own bind conversion (UTC datetimes as
    text, JSON as text)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect(paramstyle="qmark")
    if kind == "insert":
        stmt = table.insert().values({c: bindparam(c) for c in columns})
    else:
        stmt = table.update().where(table.c[key] == bindparam("_key")).values({c: bindparam(c) for c in columns})
    compiled = stmt.compile(dialect=dialect)
    names = list(compiled.positiontup)
    if set(names) != {*columns, *(["_key"] if kind == "update" else [])}:
        raise RuntimeError(f"unexpected parameters for a bulk {kind} of {table.name}: {names}")
    procs = [table.c[key if n == "_key" else n].type.bind_processor(dialect) for n in names]
    pairs = list(zip(names, procs, strict=True))

    def convert(row: dict) -> tuple:
        return tuple([row[n] if p is None else p(row[n]) for n, p in pairs])

    return str(compiled), convert


def get_guest(s: Session, guest_id: str | None) -> Guest | None:
    if guest_id is None:
        return None
    row = s.get(GuestRow, guest_id)
    return guest_from_row(row) if row else None


def guests_by_external(s: Session, source: str, external_ids: Iterable[str]) -> dict[str, Guest]:
    ids = list(set(external_ids))
    out: dict[str, Guest] = {}
    for chunk in _chunks(ids, 500):
        stmt = select(GuestRow).where(GuestRow.source == source, col(GuestRow.external_id).in_(chunk))
        for r in s.exec(stmt):
            out[r.external_id] = guest_from_row(r)
    return out


def guests_by_ids(s: Session, ids: Iterable[str]) -> dict[str, Guest]:
    ids = [i for i in set(ids) if i]
    out: dict[str, Guest] = {}
    table = GuestRow.__table__
    for chunk in _chunks(ids, 500):
        for g in _GUESTS.read(s, (table.c.id.in_(chunk),)):
            out[g.id] = g
    return out


# -------------------------------------------------------------------------------------- reservations


def _reservation_values(res: Reservation, service_date: date) -> dict:
    return dict(
        source=res.source,
        external_id=res.external_id,
        service_date=service_date,
        party_size=res.party_size,
        booked_party_size=res.booked_party_size,
        cover_override=res.cover_override,
        start=res.start,
        duration_min=int(res.duration.total_seconds() // 60),
        status=res.status.value,
        guest_id=res.guest_id,
        guest_name=res.guest_name,
        table_ids=list(res.table_ids),
        tags=list(res.tags),
        occasion=res.occasion,
        guest_request=res.guest_request,
        venue_notes=res.venue_notes,
        version=res.version,
        last_seen=res.last_seen,
        arrived_at=res.arrived_at,
        seated_at=res.seated_at,
        finished_at=res.finished_at,
        cancelled_at=res.cancelled_at,
    )


def save_reservation(
    s: Session,
    res: Reservation,
    *,
    service_date: date,
    vendor_status: str | None = None,
    platform_status: str | None = None,
    local_change_at: datetime | None = None,
) -> None:
    """Insert or update. `local_change_at` marks a change the host made here (host-owned fields)."""
    row = s.get(ReservationRow, res.id)
    values = _reservation_values(res, service_date)
    if vendor_status is not None:
        values["vendor_status"] = vendor_status
    if platform_status is not None:
        values["platform_status"] = platform_status
    if local_change_at is not None:
        values["local_change_at"] = local_change_at
    if row is None:
        s.add(ReservationRow(id=res.id, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def upsert_reservations(s: Session, items: Sequence[tuple]) -> None:
    """Insert or update many reservations in bulk: (entity, service date, vendor status word[, platform
    status as a canonical word])."""
    values = []
    for item in items:
        res, day, vendor_status = item[:3]
        v = {"id": res.id, **_reservation_values(res, day)}
        if vendor_status is not None:
            v["vendor_status"] = vendor_status
        if len(item) > 3 and item[3] is not None:
            v["platform_status"] = item[3]
        values.append(v)
    _upsert(s, ReservationRow, values)


def set_platform_status(s: Session, reservation_id: str, status: str) -> None:
    table = ReservationRow.__table__
    s.execute(table.update().where(table.c.id == reservation_id).values(platform_status=status))


def set_platform_pos_data(s: Session, source: str, external_id: str, covers: int | None, spend: int) -> bool:
    """Record what the booking platform holds of a party's closed check; False when the party is unknown."""
    table = ReservationRow.__table__
    result = s.execute(
        table.update()
        .where(table.c.source == source, table.c.external_id == external_id)
        .values(platform_covers=covers, platform_spend=spend)
    )
    return bool(result.rowcount)


def set_platform_pos_data_many(s: Session, source: str, records: Sequence[tuple[str, int | None, int]]) -> int:
    """`set_platform_pos_data` for many (external id, covers, spend) at once, in one executemany; returns how
    many of them matched a party."""
    if not records:
        return 0
    table = ReservationRow.__table__
    stmt = (
        table.update()
        .where(table.c.source == source, table.c.external_id == bindparam("_external_id"))
        .values(platform_covers=bindparam("_covers"), platform_spend=bindparam("_spend"))
    )
    result = s.connection().execute(
        stmt, [{"_external_id": e, "_covers": c, "_spend": t} for e, c, t in records]
    )
    return max(result.rowcount, 0)


def platform_records(s: Session, reservation_ids: Iterable[str]) -> dict[str, tuple[str | None, int | None, int | None]]:
    """(status, covers, spend) the booking platform holds, as last pulled, per reservation id."""
    table = ReservationRow.__table__
    out: dict[str, tuple[str | None, int | None, int | None]] = {}
    for chunk in _chunks(list(set(reservation_ids)), 500):
        stmt = select(table.c.id, table.c.platform_status, table.c.platform_covers, table.c.platform_spend).where(
            table.c.id.in_(chunk)
        )
        for rid, status, covers, spend in _rows(s, stmt):
            out[rid] = (status, covers, spend)
    return out


def platform_statuses(s: Session, reservation_ids: Iterable[str]) -> dict[str, str]:
    """The booking platform's last pulled status (canonical word) per reservation id."""
    table = ReservationRow.__table__
    out: dict[str, str] = {}
    for chunk in _chunks(list(set(reservation_ids)), 500):
        stmt = select(table.c.id, table.c.platform_status).where(table.c.id.in_(chunk))
        for rid, status in _rows(s, stmt):
            if status:
                out[rid] = status
    return out


def get_reservation(s: Session, reservation_id: str) -> Reservation | None:
    row = s.get(ReservationRow, reservation_id)
    return reservation_from_row(row) if row else None


def delete_reservation(s: Session, reservation_id: str) -> None:
    row = s.get(ReservationRow, reservation_id)
    if row is not None:
        s.delete(row)


def reservation_local_change(s: Session, reservation_id: str) -> datetime | None:
    row = s.get(ReservationRow, reservation_id)
    return row.local_change_at if row else None


def reservations_by_external(s: Session, source: str, external_ids: Iterable[str]) -> dict[str, ReservationRow]:
    """Rows (not entities) keyed by external id: the puller needs `local_change_at` too."""
    ids = list(set(external_ids))
    out: dict[str, ReservationRow] = {}
    for chunk in _chunks(ids, 500):
        stmt = select(ReservationRow).where(ReservationRow.source == source, col(ReservationRow.external_id).in_(chunk))
        for r in s.exec(stmt):
            out[r.external_id] = r
    return out


def reservations_for_day(
    s: Session,
    service_date: date,
    statuses: Iterable[ReservationStatus] | None = None,
    *,
    starting_by: datetime | None = None,
    ids: Iterable[str] | None = None,
    source: str | None = None,
) -> list[Reservation]:
    """The day's reservations by time; only those in `statuses`, starting at or before `starting_by`, among
    `ids` or from `source` when given (a check-in needs the seated few, not the whole night mapped)."""
    table = ReservationRow.__table__
    stmt = table.select().where(table.c.service_date == service_date)
    if statuses is not None:
        stmt = stmt.where(table.c.status.in_([st.value for st in statuses]))
    if starting_by is not None:
        stmt = stmt.where(table.c.start <= starting_by)
    if source is not None:
        stmt = stmt.where(table.c.source == source)
    if ids is not None:
        wanted = list(set(ids))
        if not wanted:
            return []
        stmt = stmt.where(table.c.id.in_(wanted))
    return _RESERVATIONS.read(s, (stmt.whereclause,), (table.c.start, table.c.guest_name))


def service_dates(s: Session) -> list[date]:
    table = ReservationRow.__table__
    return [r[0] for r in _rows(s, select(table.c.service_date).distinct())]


def finished_reservations(s: Session, *, limit: int = 2000) -> list[Reservation]:
    """The most recent finished parties (the local history turn times are learned from)."""
    table = ReservationRow.__table__
    stmt = table.select().where(table.c.status == ReservationStatus.FINISHED.value).order_by(table.c.start.desc()).limit(limit)
    return [reservation_from_row(r) for r in _rows(s, stmt)]


def has_reservations_for_day(s: Session, service_date: date) -> bool:
    stmt = select(ReservationRow.id).where(ReservationRow.service_date == service_date).limit(1)
    return s.exec(stmt).first() is not None


def latest_service_date(s: Session) -> date | None:
    stmt = select(ReservationRow.service_date).order_by(col(ReservationRow.service_date).desc()).limit(1)
    return s.exec(stmt).first()


# ------------------------------------------------------------------------------------------- tickets


def _ticket_values(t: Ticket) -> dict:
    return dict(
        table_id=t.table_id,
        reservation_id=t.reservation_id,
        covers=t.covers,
        stage=t.stage.value,
        pos_id=t.pos_id,
        external_id=t.external_id,
        pos_table_guid=t.pos_table_guid,
        server_id=t.server_id,
        opened_at=t.opened_at,
        closed_at=t.closed_at,
        subtotal=t.subtotal,
        total=t.total,
        comps=t.comps,
        currency=t.currency,
        tab_name=t.tab_name,
        last_seen=t.last_seen,
        placeholder=t.placeholder,
        stage_since=t.stage_since,
        item_names=list(t.item_names),
    )


def upsert_tickets(s: Session, items: Sequence[tuple[Ticket, int | None]]) -> None:
    """Insert or update many tickets (entity, business date) in bulk."""
    values = []
    for t, bdate in items:
        v = {"id": t.id, **_ticket_values(t)}
        if bdate is not None:
            v["business_date"] = bdate
        values.append(v)
    _upsert(s, TicketRow, values)


def save_ticket(s: Session, t: Ticket, *, business_date: int | None = None) -> None:
    row = s.get(TicketRow, t.id)
    values = _ticket_values(t)
    if business_date is not None:
        values["business_date"] = business_date
    if row is None:
        s.add(TicketRow(id=t.id, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def insert_ticket(s: Session, t: Ticket, *, business_date: int | None = None) -> None:
    """A new ticket (its id unknown to the store), written with a plain insert (`insert_row`)."""
    values = {"id": t.id, **_ticket_values(t)}
    if business_date is not None:
        values["business_date"] = business_date
    insert_row(s, TicketRow, values)


def get_ticket(s: Session, ticket_id: str) -> Ticket | None:
    row = s.get(TicketRow, ticket_id)
    return ticket_from_row(row) if row else None


def delete_ticket(s: Session, ticket_id: str) -> None:
    row = s.get(TicketRow, ticket_id)
    if row is not None:
        s.delete(row)


def ticket_by_pos_id(s: Session, pos_id: str) -> Ticket | None:
    row = s.exec(select(TicketRow).where(TicketRow.pos_id == pos_id)).first()
    return ticket_from_row(row) if row else None


def ticket_by_external_id(s: Session, external_id: str) -> Ticket | None:
    row = s.exec(select(TicketRow).where(TicketRow.external_id == external_id)).first()
    return ticket_from_row(row) if row else None


def tickets_for_reservation(s: Session, reservation_id: str) -> list[Ticket]:
    stmt = select(TicketRow).where(TicketRow.reservation_id == reservation_id).order_by(TicketRow.opened_at)
    return [ticket_from_row(r) for r in s.exec(stmt)]


def tickets_for_reservations(s: Session, reservation_ids: Iterable[str]) -> list[Ticket]:
    table = TicketRow.__table__
    out: list[Ticket] = []
    for chunk in _chunks(list(set(reservation_ids)), 500):
        out.extend(ticket_from_row(r) for r in _rows(s, table.select().where(table.c.reservation_id.in_(chunk))))
    return out


def tickets_for_business_date(s: Session, business_date: int) -> list[Ticket]:
    table = TicketRow.__table__
    return _TICKETS.read(s, (table.c.business_date == business_date,))


def live_tickets(s: Session, table_ids: Iterable[str] | None = None) -> list[Ticket]:
    """Tickets still open at the POS (only at `table_ids` when given)."""
    live = [st.value for st in CourseStage if st.is_live]
    table = TicketRow.__table__
    stmt = table.select().where(table.c.stage.in_(live))
    if table_ids is not None:
        stmt = stmt.where(table.c.table_id.in_(list(table_ids)))
    return _TICKETS.read(s, (stmt.whereclause,))


# ------------------------------------------------------------------------------- POS configuration


def replace_pos_tables(s: Session, tables: Sequence[tuple[str, str, str | None, str | None]], now: datetime) -> None:
    """Replace the POS's table list: (guid, name, service_area_guid, revenue_center_guid)."""
    existing = {r.guid: r for r in s.exec(select(PosTableRow))}
    seen = set()
    for guid, name, area, rc in tables:
        seen.add(guid)
        row = existing.get(guid) or PosTableRow(guid=guid, name=name)
        row.name, row.service_area_guid, row.revenue_center_guid, row.last_seen = name, area, rc, now
        s.add(row)
    for guid, row in existing.items():
        if guid not in seen:
            s.delete(row)


def pos_tables(s: Session) -> list[PosTableRow]:
    return list(s.exec(select(PosTableRow).order_by(PosTableRow.name)))


def replace_service_areas(s: Session, areas: Sequence[tuple[str, str]], now: datetime) -> None:
    existing = {r.guid: r for r in s.exec(select(PosServiceAreaRow))}
    seen = set()
    for guid, name in areas:
        seen.add(guid)
        row = existing.get(guid) or PosServiceAreaRow(guid=guid, name=name)
        row.name, row.last_seen = name, now
        s.add(row)
    for guid, row in existing.items():
        if guid not in seen:
            s.delete(row)


def replace_servers(s: Session, servers: Sequence[Server], now: datetime) -> None:
    existing = {r.id: r for r in s.exec(select(ServerRow))}
    seen = set()
    for sv in servers:
        seen.add(sv.id)
        row = existing.get(sv.id) or ServerRow(id=sv.id)
        row.first_name, row.last_name, row.display_name, row.last_seen = (
            sv.first_name,
            sv.last_name,
            sv.display_name,
            now,
        )
        s.add(row)
    for sid, row in existing.items():
        if sid not in seen:
            s.delete(row)


def servers(s: Session) -> list[Server]:
    return [
        Server(id=r.id, first_name=r.first_name, last_name=r.last_name, display_name=r.display_name)
        for r in s.exec(select(ServerRow).order_by(ServerRow.first_name))
    ]


# ------------------------------------------------------------------------------ conflicts and audit


def conflict_from_row(r: ConflictRow) -> ConflictRecord:
    return ConflictRecord(
        id=r.id,
        kind=r.kind,
        summary=r.summary,
        created_at=r.created_at,
        reservation_id=r.reservation_id,
        table_id=r.table_id,
        choices=tuple(r.choices),
        facts=dict(r.facts),
        resolved_at=r.resolved_at,
        resolution=r.resolution,
    )


def add_conflict(s: Session, c: ConflictRecord) -> None:
    s.add(
        ConflictRow(
            id=c.id,
            kind=c.kind,
            summary=c.summary,
            created_at=c.created_at,
            reservation_id=c.reservation_id,
            table_id=c.table_id,
            choices=list(c.choices),
            facts=dict(c.facts),
        )
    )


def open_conflicts(s: Session) -> list[ConflictRecord]:
    stmt = select(ConflictRow).where(col(ConflictRow.resolved_at).is_(None)).order_by(ConflictRow.created_at)
    return [conflict_from_row(r) for r in s.exec(stmt)]


def count_open_conflicts(s: Session) -> int:
    return int(s.exec(select(func.count()).select_from(ConflictRow).where(col(ConflictRow.resolved_at).is_(None))).one())


def conflicts_by_reservation(s: Session, reservation_ids: Iterable[str]) -> dict[tuple[str, str], list[ConflictRecord]]:
    """Every conflict (open or resolved) about these reservations, keyed by (kind, reservation id)."""
    table = ConflictRow.__table__
    out: dict[tuple[str, str], list[ConflictRecord]] = {}
    for chunk in _chunks(list(set(reservation_ids)), 500):
        for r in _rows(s, table.select().where(table.c.reservation_id.in_(chunk)).order_by(table.c.created_at)):
            out.setdefault((r.kind, r.reservation_id), []).append(conflict_from_row(r))
    return out


def add_conflicts(s: Session, records: Sequence[ConflictRecord]) -> None:
    """Insert many conflicts in one statement."""
    if records:
        s.flush()
        s.execute(insert(ConflictRow), [
            dict(id=c.id, kind=c.kind, summary=c.summary, created_at=c.created_at, reservation_id=c.reservation_id,
                 table_id=c.table_id, choices=list(c.choices), facts=dict(c.facts))
            for c in records
        ])


def conflicts_for(s: Session, kind: str, reservation_id: str | None) -> list[ConflictRecord]:
    """Every conflict of `kind` about a reservation, open or resolved, oldest first."""
    stmt = select(ConflictRow).where(ConflictRow.kind == kind, ConflictRow.reservation_id == reservation_id)
    return [conflict_from_row(r) for r in s.exec(stmt.order_by(ConflictRow.created_at))]


def open_conflict_for(s: Session, kind: str, reservation_id: str | None, table_id: str | None) -> ConflictRecord | None:
    stmt = select(ConflictRow).where(
        ConflictRow.kind == kind,
        ConflictRow.reservation_id == reservation_id,
        ConflictRow.table_id == table_id,
        col(ConflictRow.resolved_at).is_(None),
    )
    row = s.exec(stmt).first()
    return conflict_from_row(row) if row else None


def resolve_conflict(s: Session, conflict_id: str, resolution: str, at: datetime) -> ConflictRecord | None:
    row = s.get(ConflictRow, conflict_id)
    if row is None:
        return None
    row.resolved_at, row.resolution = at, resolution
    s.add(row)
    return conflict_from_row(row)


def add_audit(s: Session, entry: AuditEntry) -> None:
    s.add(
        AuditRow(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            reservation_id=entry.reservation_id,
            table_id=entry.table_id,
            detail=dict(entry.detail),
        )
    )


def audit_since(s: Session, since: datetime) -> list[AuditEntry]:
    stmt = select(AuditRow).where(AuditRow.at >= since).order_by(AuditRow.at)
    return [
        AuditEntry(
            id=r.id, at=r.at, actor=r.actor, action=r.action, reservation_id=r.reservation_id,
            table_id=r.table_id, detail=dict(r.detail),
        )
        for r in s.exec(stmt)
    ]


# -------------------------------------------------------------------------------------------- undo


def push_undo(
    s: Session,
    *,
    at: datetime,
    description: str,
    reservation_id: str | None,
    before: dict,
    ticket_id: str | None,
    action_ids: Sequence[str],
) -> int:
    row = UndoRow(
        at=at,
        description=description,
        reservation_id=reservation_id,
        before=before,
        ticket_id=ticket_id,
        action_ids=list(action_ids),
    )
    s.add(row)
    s.flush()
    return int(row.seq)


def last_undoable(s: Session, since: datetime) -> UndoRow | None:
    stmt = (
        select(UndoRow)
        .where(col(UndoRow.reverted_at).is_(None), UndoRow.at >= since)
        .order_by(col(UndoRow.seq).desc())
        .limit(1)
    )
    return s.exec(stmt).first()


def mark_undone(s: Session, seq: int, at: datetime) -> None:
    row = s.get(UndoRow, seq)
    if row is not None:
        row.reverted_at = at
        s.add(row)


# ------------------------------------------------------------------------------------- sync state


def get_sync_state(s: Session, name: str) -> SyncStateRow:
    row = s.get(SyncStateRow, name)
    return row if row is not None else SyncStateRow(name=name)


def record_sync(
    s: Session,
    name: str,
    *,
    attempt_at: datetime,
    ok: bool,
    watermark: datetime | None = None,
    error: str | None = None,
) -> None:
    row = s.get(SyncStateRow, name) or SyncStateRow(name=name)
    row.last_attempt = attempt_at
    if ok:
        row.last_success = attempt_at
        row.last_error = None
        if watermark is not None and (row.watermark is None or watermark > row.watermark):
            row.watermark = watermark
    else:
        row.last_error = error
    s.add(row)


def all_sync_states(s: Session) -> dict[str, SyncStateRow]:
    return {r.name: r for r in s.exec(select(SyncStateRow))}


class _Built:
    """Domain objects by the raw row they were built from, so that a screen reading the night again gets back
    the very objects it had for every row that did not change, for the cost of one raw read (no type
    conversion) and a dictionary look-up: rows that changed or are new are read again, typed, and built.
    (The objects are frozen; keys are whole raw rows, so any change to a row is a new key.) Thread-safe."""

    LIMIT = 20_000  # forgotten all at once beyond this: a long night does not grow without bound

    def __init__(self, table, build) -> None:  # noqa: ANN001
        self.table = table
        self.build = build
        self._raw = [type_coerce(c, NullType()).label(c.name) for c in table.c]
        self._by_raw: dict[tuple, object] = {}

    def read(self, s: Session, where: tuple, order_by: tuple = ()) -> list:
        """The rows matching `where` (in `order_by`), as domain objects."""
        raw = s.connection().execute(select(*self._raw).where(*where).order_by(*order_by)).all()
        known = self._by_raw
        out: list = [None] * len(raw)
        missing: dict[str, tuple[int, tuple]] = {}
        for i, row in enumerate(raw):
            key = tuple(row)
            obj = known.get(key)
            if obj is None:
                missing[row.id] = (i, key)
            else:
                out[i] = obj
        if missing:
            if len(known) + len(missing) > self.LIMIT:
                known.clear()
            table = self.table
            for chunk in _chunks(list(missing), 500):
                for r in _rows(s, table.select().where(table.c.id.in_(chunk))):
                    i, key = missing[r.id]
                    out[i] = known[key] = self.build(r)
            out = [o for o in out if o is not None]  # (one snapshot: every row is found again)
        return out


_GUESTS = _Built(GuestRow.__table__, guest_from_row)
_RESERVATIONS = _Built(ReservationRow.__table__, reservation_from_row)
_TICKETS = _Built(TicketRow.__table__, ticket_from_row)


def _rows(s: Session, stmt):
    """Plain Core rows (attribute access by column name, types processed) without building ORM objects:
    several times cheaper for the big reads the screens make."""
    return s.connection().execute(stmt)


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i : i + n]
