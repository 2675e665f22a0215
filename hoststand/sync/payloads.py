"""Payloads of outbox actions, captured when the host acts (what the vendor will be told)."""

from __future__ import annotations

from hoststand.domain.model import FloorLayout, Reservation


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
