"""The window's first read at start-up, through Python's own `sqlite3`: tonight as the repositories read it,
without importing SQLAlchemy and SQLModel (about half of a launch before this read existed).

`hoststand run` opens the cache unconnected (`open_store(..., connect=False)`), the host stand's queries read
the first screen from here, the window paints it, and then the store connects: every later read and every
write goes through the repositories. So this module only reads, and only what the first screen shows:

- `night(path, today)`: the day shown (tonight, or the last night the cache holds), its reservations in list
  order with their guests, the live tickets, the outbox's unsettled actions and counts, open conflicts, the
  feeds' bookkeeping and the POS tables, in one snapshot (one read transaction);
- `undo_description(path, since)`: what Undo would revert.

Each table's typed columns are listed here (`DATETIMES`, `JSON`, `DATES`); `tests/unit/store/test_first_read.py`
checks them against the rows' own column types and that both reads draw the same screens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import orjson

from hoststand.domain.model import ActionState, CourseStage, Guest, OutboxAction, Reservation, Ticket
from hoststand.store.entities import (
    action_from_row,
    from_utc_text,
    guest_from_row,
    reservation_from_row,
    ticket_from_row,
    utc_text,
)

# The typed columns of the tables read here (every other column is an int, a str or None as stored).
DATETIMES: dict[str, frozenset[str]] = {
    "reservation": frozenset({"start", "last_seen", "arrived_at", "seated_at", "finished_at", "cancelled_at", "local_change_at"}),
    "guest": frozenset({"last_visit", "last_seen"}),
    "ticket": frozenset({"opened_at", "closed_at", "last_seen", "stage_since"}),
    "outbox": frozenset({"created_at", "next_attempt_at", "claimed_at", "settled_at"}),
    "sync_state": frozenset({"watermark", "last_success", "last_attempt"}),
}
JSON: dict[str, frozenset[str]] = {
    "reservation": frozenset({"table_ids", "tags"}),
    "guest": frozenset({"allergens", "dietary", "items_ordered"}),
    "ticket": frozenset({"item_names"}),
    "outbox": frozenset({"payload", "outcome"}),
    "sync_state": frozenset(),
}
DATES: dict[str, frozenset[str]] = {"reservation": frozenset({"service_date"})}

_UNSETTLED = (ActionState.PENDING.value, ActionState.IN_FLIGHT.value, ActionState.FAILED.value)
_LIVE = tuple(st.value for st in CourseStage if st.is_live)


@dataclass(frozen=True)
class FirstNight:
    """What `FloorQueries.read_night` reads, as the repositories would return it."""

    day: date
    reservations: list[Reservation]
    guests: dict[str, Guest]
    live_tickets: list[Ticket]
    pending: dict[str, list[OutboxAction]]
    counts: dict[ActionState, int]
    open_conflicts: int
    feeds: dict[str, SimpleNamespace]  # by feed name: the sync_state columns as attributes
    pos_tables: list[tuple[str, str]]  # (guid, name), by name


def night(path: Path, today: date) -> FirstNight:
    with _snapshot(path) as db:
        day = today
        if db.execute("SELECT 1 FROM reservation WHERE service_date = ? LIMIT 1", (today.isoformat(),)).fetchone() is None:
            latest = db.execute("SELECT service_date FROM reservation ORDER BY service_date DESC LIMIT 1").fetchone()
            if latest is not None:
                day = date.fromisoformat(latest[0])
        reservations = [
            reservation_from_row(r)
            for r in _typed(db, "reservation", "SELECT * FROM reservation WHERE service_date = ? ORDER BY start, guest_name", (day.isoformat(),))
        ]
        guest_ids = sorted({r.guest_id for r in reservations if r.guest_id})
        guests: dict[str, Guest] = {}
        for chunk in _chunks(guest_ids, 500):
            for r in _typed(db, "guest", f"SELECT * FROM guest WHERE id IN ({_marks(chunk)})", chunk):
                guests[r.id] = guest_from_row(r)
        tickets = [ticket_from_row(r) for r in _typed(db, "ticket", f"SELECT * FROM ticket WHERE stage IN ({_marks(_LIVE)})", _LIVE)]
        pending: dict[str, list[OutboxAction]] = {}
        query = f"SELECT * FROM outbox WHERE state IN ({_marks(_UNSETTLED)}) AND reservation_id IS NOT NULL ORDER BY seq"
        for r in _typed(db, "outbox", query, _UNSETTLED):
            pending.setdefault(r.reservation_id, []).append(action_from_row(r))
        counts = {st: 0 for st in ActionState}
        for state, n in db.execute("SELECT state, count(*) FROM outbox GROUP BY state"):
            counts[ActionState(state)] = n
        conflicts = db.execute("SELECT count(*) FROM conflict WHERE resolved_at IS NULL").fetchone()[0]
        feeds = {r.name: r for r in _typed(db, "sync_state", "SELECT * FROM sync_state", ())}
        pos_tables = [(g, n) for g, n in db.execute("SELECT guid, name FROM pos_table ORDER BY name")]
    return FirstNight(day, reservations, guests, tickets, pending, counts, int(conflicts), feeds, pos_tables)


def undo_description(path: Path, since: datetime) -> str | None:
    """The description of the newest change not reverted, made at or after `since` (as `repos.last_undoable`)."""
    with _snapshot(path) as db:
        row = db.execute(
            "SELECT description FROM undo WHERE reverted_at IS NULL AND at >= ? ORDER BY seq DESC LIMIT 1",
            (utc_text(since),),
        ).fetchone()
    return row[0] if row else None


# --------------------------------------------------------------------------------------------- helpers


@contextmanager
def _snapshot(path: Path) -> Iterator[sqlite3.Connection]:
    """One read transaction on a connection of its own (WAL: a consistent snapshot that blocks no writer)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _typed(db: sqlite3.Connection, table: str, query: str, params: Iterable) -> list[SimpleNamespace]:
    """The rows of `query` with their columns as attributes, typed as `store.types` reads them back."""
    cur = db.execute(query, tuple(params))
    names = [d[0] for d in cur.description]
    datetimes, json, dates = DATETIMES[table], JSON[table], DATES.get(table, frozenset())
    convert = [
        (i, from_utc_text if n in datetimes else orjson.loads if n in json else date.fromisoformat)
        for i, n in enumerate(names)
        if n in datetimes or n in json or n in dates
    ]
    out = []
    for raw in cur:
        values = list(raw)
        for i, fn in convert:
            if values[i] is not None:
                values[i] = fn(values[i])
        out.append(SimpleNamespace(**dict(zip(names, values))))
    return out


def _marks(items: Iterable) -> str:
    return ",".join("?" * len(tuple(items)))


def _chunks(items: list, n: int):  # noqa: ANN202
    for i in range(0, len(items), n):
        yield items[i : i + n]
