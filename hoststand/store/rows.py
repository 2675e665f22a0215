"""SQLModel rows: the shape of the local cache (schema version in engine.SCHEMA_VERSION).

Rows are storage only. Repositories (repos.py, outbox.py) turn them into domain entities; nothing outside
`store/` sees a row. Every row mirroring a vendor record keeps the vendor's id, its version or sequence
number and when it was last seen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hoststand.store.types import JSONText, UTCDateTime


def _lazy() -> ConfigDict:
    """Each row's config: pydantic builds a row's validator on first use, not when this module is imported (at
    the app's start-up, before its first paint). Table rows are never validated here (SQLModel constructs them
    without validation, and SQLAlchemy loads them), so that use does not come."""
    return ConfigDict(defer_build=True)


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json(default_factory=list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSONText, nullable=False))


class GuestRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "guest"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_guest_source_ext"),)

    id: str = Field(primary_key=True)
    source: str | None = None
    external_id: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    email: str | None = None
    allergens: list[str] = _json()
    allergy_notes: str = ""
    dietary: list[str] = _json()
    vip_tier: str | None = None
    preferred_server: str | None = None
    notes: str = ""
    visits: int = 0
    last_visit: datetime | None = _dt()
    total_spend: int = 0
    currency: str = "USD"
    version: int = 0
    last_seen: datetime | None = _dt()
    total_covers: int = 0  # v2
    items_ordered: list = _json()  # v2: [[item, times], …]


class ReservationRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "reservation"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_reservation_source_ext"),
        Index("ix_reservation_service_date", "service_date"),
        Index("ix_reservation_start", "start"),
    )

    id: str = Field(primary_key=True)
    source: str
    external_id: str
    service_date: date
    party_size: int
    booked_party_size: int | None = None
    start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    duration_min: int = 90
    status: str = "booked"
    vendor_status: str | None = None
    guest_id: str | None = Field(default=None, index=True)
    guest_name: str = ""
    table_ids: list[str] = _json()
    tags: list[str] = _json()
    occasion: str | None = None
    guest_request: str = ""
    venue_notes: str = ""
    version: int = 0
    last_seen: datetime | None = _dt()
    arrived_at: datetime | None = _dt()
    seated_at: datetime | None = _dt()
    finished_at: datetime | None = _dt()
    cancelled_at: datetime | None = _dt()
    local_change_at: datetime | None = _dt()  # the host changed it here; protects host-owned fields from older pulls
    cover_override: int | None = None  # v2
    platform_status: str | None = None  # v2: the booking platform's status as last pulled (canonical word)
    platform_covers: int | None = None  # v2: covers the platform holds from the POS (its pos-data)
    platform_spend: int | None = None  # v2: spend (minor units) the platform holds from the POS


class PosServiceAreaRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "pos_service_area"

    guid: str = Field(primary_key=True)
    name: str
    last_seen: datetime | None = _dt()


class PosTableRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "pos_table"

    guid: str = Field(primary_key=True)
    name: str
    service_area_guid: str | None = None
    revenue_center_guid: str | None = None
    last_seen: datetime | None = _dt()


class ServerRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "server"

    id: str = Field(primary_key=True)  # POS employee guid
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    last_seen: datetime | None = _dt()


class TicketRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_table", "table_id"),
        Index("ix_ticket_reservation", "reservation_id"),
    )

    id: str = Field(primary_key=True)
    table_id: str | None = None
    reservation_id: str | None = None
    covers: int = 0
    stage: str = "opened"
    pos_id: str | None = Field(default=None, unique=True)
    external_id: str | None = Field(default=None, unique=True)
    pos_table_guid: str | None = None
    server_id: str | None = None
    opened_at: datetime | None = _dt()
    closed_at: datetime | None = _dt()
    subtotal: int = 0
    total: int = 0
    comps: int = 0
    currency: str = "USD"
    tab_name: str = ""
    business_date: int | None = None
    last_seen: datetime | None = _dt()
    placeholder: bool = False  # v2
    stage_since: datetime | None = _dt()  # v2
    item_names: list[str] = _json()  # v2


class OutboxRow(SQLModel, table=True):
    """One action waiting for, being sent to, or settled with a vendor (DESIGN.md §4)."""
    model_config = _lazy()

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_key_seq", "order_key", "seq"),
        Index("ix_outbox_state_due", "state", "next_attempt_at"),
    )

    seq: int | None = Field(default=None, primary_key=True)  # enqueue order (AUTOINCREMENT-like rowid)
    id: str = Field(unique=True)  # UUID made at enqueue time: the vendor idempotency handle
    kind: str
    target: str
    order_key: str
    payload: dict = _json(dict)
    state: str = "pending"
    attempts: int = 0
    uncertain: bool = False  # last attempt may have landed: read back before re-sending
    created_at: datetime | None = _dt()
    next_attempt_at: datetime | None = _dt()
    claimed_at: datetime | None = _dt()
    settled_at: datetime | None = _dt()
    last_error: str | None = None
    outcome: dict = _json(dict)
    reservation_id: str | None = Field(default=None, index=True)
    table_id: str | None = None


class ConflictRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "conflict"

    id: str = Field(primary_key=True)
    kind: str
    summary: str
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reservation_id: str | None = None
    table_id: str | None = None
    choices: list[str] = _json()
    facts: dict = _json(dict)
    resolved_at: datetime | None = _dt()
    resolution: str | None = None


class AuditRow(SQLModel, table=True):
    model_config = _lazy()
    __tablename__ = "audit"

    id: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor: str
    action: str
    reservation_id: str | None = None
    table_id: str | None = None
    detail: dict = _json(dict)


class UndoRow(SQLModel, table=True):
    """The host's recent transitions, newest last; undo reverts the newest one not yet reverted."""
    model_config = _lazy()

    __tablename__ = "undo"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    description: str
    reservation_id: str | None = None
    before: dict = _json(dict)  # the reservation's fields before the command
    ticket_id: str | None = None  # a ticket the command created
    action_ids: list[str] = _json()  # outbox actions the command enqueued
    reverted_at: datetime | None = _dt()


class WaitlistRow(SQLModel, table=True):
    """v2: walk-in parties waiting for a table."""
    model_config = _lazy()

    __tablename__ = "waitlist"

    id: str = Field(primary_key=True)
    name: str
    party_size: int
    added_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    phone: str | None = None
    notes: str = ""
    allergens: list[str] = _json()
    allergy_notes: str = ""
    dietary: list[str] = _json()
    quoted_minutes: int | None = None
    quoted_at: datetime | None = _dt()
    status: str = "waiting"
    removed_reason: str | None = None
    seated_at: datetime | None = _dt()
    notified_at: datetime | None = _dt()
    notified_how: str | None = None
    notifications: list = _json()  # [[iso time, how], …]
    reservation_id: str | None = None
    table_ids: list[str] = _json()


class TableBlockRow(SQLModel, table=True):
    """v2: a table the manager took out of service (broken chair, private event)."""
    model_config = _lazy()

    __tablename__ = "table_block"

    table_id: str = Field(primary_key=True)
    reason: str = ""
    since: datetime = Field(sa_type=UTCDateTime, nullable=False)
    until: datetime | None = _dt()


class SyncStateRow(SQLModel, table=True):
    """Per-feed bookkeeping: the delta watermark and when the feed last succeeded."""
    model_config = _lazy()

    __tablename__ = "sync_state"

    name: str = Field(primary_key=True)  # e.g. "opentable.reservations", "toast.orders"
    watermark: datetime | None = _dt()
    last_success: datetime | None = _dt()
    last_attempt: datetime | None = _dt()
    last_error: str | None = None
