"""Merge rules: how a record pulled from a vendor updates the local cache (DESIGN.md §4, "who owns what").

- The booking platform owns the booking: time, party size as booked, guest, notes, tags.
- The host stand owns arrival, seating and table choice until the POS confirms; while the host's own
  change is still on its way to the platform (unsettled outbox actions), the platform's older view of the
  status does not overwrite it.
- A disagreement no rule settles becomes a conflict record; nothing is overwritten silently.

Functions here are pure: they take entities and return entities plus what to record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo

from hoststand.connectors.base import RemoteGuest, RemoteReservation
from hoststand.domain.allergens import detect_allergens, detect_dietary
from hoststand.domain.model import FloorLayout, Guest, Reservation, ReservationStatus
from hoststand.domain.occasions import occasion_from, vip_tier_from
from hoststand.domain.phone import normalize_phone
from hoststand.domain.table_match import resolve_table_names

log = logging.getLogger(__name__)

S = ReservationStatus
# How far along the evening a status is; a pulled status "behind" the local one is the platform lagging.
_PROGRESS = {S.BOOKED: 0, S.ARRIVED: 1, S.SEATED: 2, S.FINISHED: 3, S.CANCELLED: 3, S.NO_SHOW: 3}


@dataclass(frozen=True)
class ConflictDraft:
    kind: str
    summary: str
    choices: tuple[str, ...]
    facts: dict


@dataclass(frozen=True)
class ReservationMerge:
    reservation: Reservation | None  # the new local state, or None when nothing changes
    conflict: ConflictDraft | None = None
    unresolved_tables: tuple[str, ...] = ()


def guest_from_remote(remote: RemoteGuest, *, local: Guest | None, new_id: str, now: datetime, source: str) -> Guest:
    """A local guest from the platform's profile, keeping what only the host stand knows (visits, spend)."""
    words = remote.food_and_drink_notes.strip()
    tag_text = " ".join(remote.tags)
    allergens = detect_allergens(words) | detect_allergens(tag_text)
    dietary = tuple(dict.fromkeys(detect_dietary(words) + detect_dietary(tag_text)))
    base = local or Guest(id=new_id, first_name="", last_name="")
    last_visit = base.last_visit
    return replace(
        base,
        first_name=remote.first_name,
        last_name=remote.last_name,
        phone=normalize_phone(remote.phone) if remote.phone else None,
        email=remote.email,
        allergens=frozenset(allergens),
        allergy_notes=words,
        dietary=dietary,
        vip_tier=remote.vip_tier or vip_tier_from(remote.tags),
        preferred_server=remote.preferred_server or base.preferred_server,
        notes=remote.notes,
        last_visit=last_visit,
        source=source,
        external_id=remote.external_id,
        version=remote.version,
        last_seen=now,
    )


def merge_reservation(
    remote: RemoteReservation,
    local: Reservation | None,
    *,
    new_id: str,
    guest: Guest | None,
    layout: FloorLayout,
    now: datetime,
    host_change_pending: bool,
    source: str,
    default_duration: timedelta,
    tz: tzinfo = timezone.utc,
) -> ReservationMerge:
    table_ids, unresolved = resolve_table_names(remote.table_names, layout)
    duration = timedelta(minutes=remote.duration_minutes) if remote.duration_minutes else default_duration
    guest_name = guest.display_name if guest else (
        " ".join(p for p in ((remote.guest.first_name, remote.guest.last_name) if remote.guest else ()) if p)
    )
    booking_fields = dict(
        party_size=remote.party_size,
        start=remote.start,
        duration=duration,
        guest_id=guest.id if guest else (local.guest_id if local else None),
        guest_name=guest_name or (local.guest_name if local else ""),
        tags=remote.tags,
        occasion=occasion_from(remote.tags, remote.guest_request, remote.venue_notes),
        guest_request=remote.guest_request,
        venue_notes=remote.venue_notes,
        version=remote.version,
        last_seen=now,
    )
    if local is None:
        res = Reservation(
            id=new_id,
            source=source,
            external_id=remote.external_id,
            status=remote.status,
            table_ids=tuple(table_ids),
            arrived_at=remote.arrived_at,
            seated_at=remote.seated_at,
            finished_at=remote.done_at,
            cancelled_at=now if remote.status in (S.CANCELLED, S.NO_SHOW) else None,
            **booking_fields,
        )
        return ReservationMerge(res, unresolved_tables=tuple(unresolved))

    if remote.version < local.version:
        return ReservationMerge(None)  # an older copy of what we already have

    conflict = None
    # Host-owned once the party is here: a seated party is never moved by an online change. A change of
    # time, size or table after seating becomes a conflict for a person; notes and tags still update.
    if local.status in (S.SEATED, S.FINISHED):
        booked_size = local.booked_party_size or local.party_size
        changed = []
        if remote.party_size != booked_size:
            changed.append(f"party of {remote.party_size}")
        if remote.start != local.start:
            changed.append(f"time {remote.start.astimezone(tz):%H:%M}")
        if table_ids and tuple(table_ids) != local.table_ids:
            changed.append("table " + "+".join(_table_name(layout, t) for t in table_ids))
        if changed and remote.version > local.version:
            conflict = _changed_after_seating(remote, local, layout, changed)
        booking_fields["party_size"] = local.party_size
        booking_fields["start"] = local.start
        booking_fields["duration"] = local.duration
    merged = replace(local, **booking_fields)
    status = local.status
    if remote.status != local.status:
        if remote.status in (S.CANCELLED, S.NO_SHOW) and local.status in (S.ARRIVED, S.SEATED):
            conflict = _cancelled_while_here(remote, local, layout)
        elif host_change_pending:
            pass  # our own change is on its way to the platform
        elif remote.status in (S.CANCELLED, S.NO_SHOW):
            status = remote.status  # cancelled online before the party came
        elif _PROGRESS[remote.status] > _PROGRESS[local.status]:
            status = remote.status  # e.g. seated or finished through the platform's own screens
        elif local.status is S.BOOKED and remote.status is S.BOOKED:
            pass
        # else: the platform lags behind the host (e.g. still "Pending" while the party is seated): keep ours.
    merged = replace(merged, status=status)
    if status is not local.status:
        if status is S.SEATED and merged.seated_at is None:
            merged = replace(merged, seated_at=remote.seated_at or now)
        if status is S.FINISHED and merged.finished_at is None:
            merged = replace(merged, finished_at=remote.done_at or now)
        if status in (S.CANCELLED, S.NO_SHOW) and merged.cancelled_at is None:
            merged = replace(merged, cancelled_at=now)
    # Tables: the platform's choice until the party is seated; then the host's.
    if local.status in (S.BOOKED, S.ARRIVED) and not host_change_pending and table_ids:
        merged = replace(merged, table_ids=tuple(table_ids))
    elif local.status in (S.BOOKED, S.ARRIVED) and not host_change_pending and not remote.table_names:
        merged = replace(merged, table_ids=())
    if merged == local:
        return ReservationMerge(None, conflict, tuple(unresolved))
    return ReservationMerge(merged, conflict, tuple(unresolved))


def _cancelled_while_here(remote: RemoteReservation, local: Reservation, layout: FloorLayout) -> ConflictDraft:
    word = "cancelled online" if remote.status is S.CANCELLED else "marked a no-show online"
    tables = "+".join(_table_name(layout, t) for t in local.table_ids) or "no table"
    where = f"seated at {tables}" if local.status is S.SEATED else "checked in (waiting)"
    summary = f"{local.guest_name or 'Guest'} ({local.party_size}) was {word}, but is {where} here."
    return ConflictDraft(
        kind="cancelled_while_here",
        summary=summary,
        choices=("Keep them and re-confirm the booking", "Release the table"),
        facts={
            "remote_status": remote.vendor_status,
            "local_status": local.status.value,
            "tables": list(local.table_ids),
            "remote_updated_at": remote.updated_at.isoformat() if remote.updated_at else None,
        },
    )


def _changed_after_seating(remote: RemoteReservation, local: Reservation, layout: FloorLayout, changed: list[str]) -> ConflictDraft:
    tables = "+".join(_table_name(layout, t) for t in local.table_ids) or "no table"
    return ConflictDraft(
        kind="changed_after_seating",
        summary=(
            f"{local.guest_name or 'Guest'} ({local.party_size}) was changed online ({', '.join(changed)}) "
            f"after being seated at {tables}. The party stays where it is."
        ),
        choices=("Keep the party as seated", "Take the new party size"),
        facts={
            "remote_updated_at": remote.updated_at.isoformat() if remote.updated_at else None,
            "remote_party_size": remote.party_size,
            "remote_start": remote.start.isoformat(),
            "remote_tables": list(remote.table_names),
            "local_tables": list(local.table_ids),
        },
    )


def _table_name(layout: FloorLayout, table_id: str) -> str:
    try:
        return layout.table(table_id).name
    except KeyError:
        return table_id
