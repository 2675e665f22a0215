"""Domain entities from stored rows: the one place a cache row becomes a `Guest`, `Reservation`, `Ticket` or
`OutboxAction`; and the stored form of a datetime (`utc_text`, `from_utc_text`), shared by the column type
(`types.UTCDateTime`) and the first read.

A row here is anything with the columns as attributes, typed (datetimes aware, JSON decoded): a SQLModel row,
a SQLAlchemy Core row, or the first read's plain rows (`first_read.py`). Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from hoststand.domain.model import (
    ActionState,
    ActionTarget,
    Allergen,
    CourseStage,
    Guest,
    OutboxAction,
    Reservation,
    ReservationStatus,
    Ticket,
)


def utc_text(value: datetime) -> str:
    """An aware datetime as stored: 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' (fixed width, so text order is time order)."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def allergens_of(codes: Iterable[str]) -> frozenset[Allergen]:
    out = set()
    for c in codes:
        try:
            out.add(Allergen(c))
        except ValueError:
            continue
    return frozenset(out)


def guest_from_row(r: Any) -> Guest:
    return Guest(
        id=r.id,
        first_name=r.first_name,
        last_name=r.last_name,
        phone=r.phone,
        email=r.email,
        allergens=allergens_of(r.allergens),
        allergy_notes=r.allergy_notes,
        dietary=tuple(r.dietary),
        vip_tier=r.vip_tier,
        preferred_server=r.preferred_server,
        notes=r.notes,
        visits=r.visits,
        last_visit=r.last_visit,
        total_spend=r.total_spend,
        currency=r.currency,
        source=r.source,
        external_id=r.external_id,
        version=r.version,
        last_seen=r.last_seen,
        total_covers=r.total_covers,
        items_ordered=tuple((str(i), int(n)) for i, n in (r.items_ordered or [])),
    )


def reservation_from_row(r: Any) -> Reservation:
    return Reservation(
        id=r.id,
        source=r.source,
        external_id=r.external_id,
        party_size=r.party_size,
        start=r.start,
        duration=timedelta(minutes=r.duration_min),
        status=ReservationStatus(r.status),
        guest_id=r.guest_id,
        guest_name=r.guest_name,
        table_ids=tuple(r.table_ids),
        tags=tuple(r.tags),
        occasion=r.occasion,
        guest_request=r.guest_request,
        venue_notes=r.venue_notes,
        booked_party_size=r.booked_party_size,
        cover_override=r.cover_override,
        version=r.version,
        last_seen=r.last_seen,
        arrived_at=r.arrived_at,
        seated_at=r.seated_at,
        finished_at=r.finished_at,
        cancelled_at=r.cancelled_at,
    )


def ticket_from_row(r: Any) -> Ticket:
    return Ticket(
        id=r.id,
        table_id=r.table_id,
        reservation_id=r.reservation_id,
        covers=r.covers,
        stage=CourseStage(r.stage),
        pos_id=r.pos_id,
        external_id=r.external_id,
        pos_table_guid=r.pos_table_guid,
        server_id=r.server_id,
        opened_at=r.opened_at,
        closed_at=r.closed_at,
        subtotal=r.subtotal,
        total=r.total,
        comps=r.comps,
        currency=r.currency,
        tab_name=r.tab_name,
        last_seen=r.last_seen,
        placeholder=bool(r.placeholder),
        stage_since=r.stage_since,
        item_names=tuple(r.item_names or ()),
    )


def action_from_row(r: Any) -> OutboxAction:
    return OutboxAction(
        id=r.id,
        kind=r.kind,
        target=ActionTarget(r.target),
        order_key=r.order_key,
        payload=dict(r.payload),
        state=ActionState(r.state),
        attempts=r.attempts,
        created_at=r.created_at,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        reservation_id=r.reservation_id,
        table_id=r.table_id,
        seq=int(r.seq or 0),
    )
