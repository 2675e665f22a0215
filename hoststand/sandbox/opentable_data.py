"""Builders for OpenTable Sync API v2 JSON (reservations, guests) and the reservation state machine.

Field names are the snake_case ones that independent Sync v2 clients agree on (vendor-contracts §3.2).
Time fields come in pairs: the plain one is restaurant-local wall time without an offset
(`scheduled_time: "2026-11-27T19:30:00"`), the `*_utc` one is UTC with `Z`.

The state words are assumed: OpenTable does not publish the Sync v2 enum; the sandbox uses the legacy
`resoupdate` set in title case (`Pending, Seated, AssumedSeated, Done, NoShow, Cancelled`).
The transitions allowed through `resoupdate` are assumed too (see `ALLOWED`): a partner may seat, finish,
no-show or cancel a booking and undo its own last step, but a cancelled booking is final.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .common import iso_z, local_naive

STATES = ("Pending", "Seated", "AssumedSeated", "Done", "NoShow", "Cancelled")

# current state -> states a resoupdate may move it to (same state = modify in place). Assumed.
ALLOWED: dict[str, frozenset[str]] = {
    "Pending": frozenset({"Pending", "Seated", "AssumedSeated", "NoShow", "Cancelled"}),
    "Seated": frozenset({"Seated", "Pending", "AssumedSeated", "Done"}),
    "AssumedSeated": frozenset({"AssumedSeated", "Seated", "Done"}),
    "Done": frozenset({"Done", "Seated"}),
    "NoShow": frozenset({"NoShow", "Pending"}),
    "Cancelled": frozenset({"Cancelled"}),
}


def set_time(record: dict[str, Any], name: str, when: datetime | None, tz: ZoneInfo) -> None:
    """Set a `<name>` / `<name>_utc` pair (both None when `when` is None)."""
    record[name] = local_naive(when, tz)
    record[f"{name}_utc"] = iso_z(when)


def reservation(
    *, rid: int, ident: str, confirmation_id: int, guest_id: str, state: str, party_size: int,
    start: datetime, created: datetime, updated: datetime, tz: ZoneInfo, sequence_id: int = 1,
    table_number: list[str] | None = None, visit_tags: list[str] | None = None, origin: str = "Network",
    guest_request: str | None = None, venue_notes: str | None = None, opentable_notes: str | None = None,
    server: str | None = None, seated: datetime | None = None, done: datetime | None = None,
    arrived: datetime | None = None,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "id": ident,
        "rid": rid,
        "sequence_id": sequence_id,
        "guest_id": guest_id,
        "confirmation_id": confirmation_id,
        "state": state,
        "table_number": list(table_number or []),
        "party_size": party_size,
        "visit_tags": list(visit_tags or []),
        "origin": origin,
        "guest_request": guest_request,
        "venue_notes": venue_notes,
        "opentable_notes": opentable_notes,
        "server": server,
        "currency_code": "USD",
        "currency_denominator": 100,
        "pos_data": None,  # what the POS closed the visit with, once a POS sent it (see opentable.pos-data)
    }
    set_time(res, "created_date", created, tz)
    set_time(res, "scheduled_time", start, tz)
    res["updated_at"] = local_naive(updated, tz, millis=True)
    res["updated_at_utc"] = iso_z(updated)
    set_time(res, "arrived_time", arrived, tz)
    set_time(res, "seated_time", seated, tz)
    set_time(res, "done_time", done, tz)
    return res


def guest(
    *, rid: int, ident: str, gpid: int, first_name: str, last_name: str, email: str | None, phone: str | None,
    phone_type: str | None, tags: list[str], created: datetime, updated: datetime, tz: ZoneInfo,
    birth_date: str | None = None, anniversary_date: str | None = None, notes: str | None = None,
    notes_special_relationship: str | None = None, notes_food_and_drink: str | None = None,
    notes_seating: str | None = None, date_first_visit: str | None = None, date_last_visit: str | None = None,
    sequence_id: int = 1, company_name: str | None = None,
) -> dict[str, Any]:
    g: dict[str, Any] = {
        "id": ident,
        "rid": rid,
        "sequence_id": sequence_id,
        "gpid": gpid,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "phone_type": phone_type,
        "tags": list(tags),
        "birth_date": birth_date,
        "anniversary_date": anniversary_date,
        "company_name": company_name,
        "notes": notes,
        "notes_special_relationship": notes_special_relationship,
        "notes_food_and_drink": notes_food_and_drink,
        "notes_seating": notes_seating,
        "date_first_visit": date_first_visit,
        "date_last_visit": date_last_visit,
    }
    set_time(g, "created_date", created, tz)
    g["updated_at"] = local_naive(updated, tz, millis=True)
    g["updated_at_utc"] = iso_z(updated)
    return g


def with_href(record: dict[str, Any], base_url: str, kind: str) -> dict[str, Any]:
    """The record as served: `href` points at this sandbox's own URL for the record."""
    out = {"id": record["id"], "href": f"{base_url.rstrip('/')}/sync/v2/{kind}/{record['id']}"}
    out.update(record)
    return out
