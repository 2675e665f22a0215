"""Payloads of outbox actions, captured when the host acts (what the vendor will be told)."""

from __future__ import annotations

from hoststand.domain.model import FloorLayout, Reservation, Ticket


def status_payload(res: Reservation, layout: FloorLayout, server_name: str | None = None) -> dict:
    """What `booking.set_status` sends, captured when the host acted."""
    names = []
    for tid in res.table_ids:
        try:
            names.append(layout.table(tid).name)
        except KeyError:
            names.append(tid)
    return {
        "reservation_id": res.id,
        "external_id": res.external_id,
        "status": res.status.value,
        "party_size": res.party_size,
        "start": res.start.isoformat(),
        "table_names": names,
        "server_name": server_name,
        "sequence": res.version,
    }


def pos_data_payload(res: Reservation, ticket: Ticket, covers: int) -> dict:
    """What `booking.send_pos_data` sends: the check the party closed with, for its guest profile."""
    counts: dict[str, int] = {}
    for name in ticket.item_names:
        counts[name] = counts.get(name, 0) + 1
    return {
        "reservation_id": res.id,
        "external_id": res.external_id,
        "covers": covers,
        "subtotal": ticket.subtotal,
        "total": ticket.total,
        "comps": ticket.comps,
        "currency": ticket.currency,
        "check_ids": [ticket.pos_id] if ticket.pos_id else [],
        "items": [[name, n] for name, n in counts.items()],
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }
