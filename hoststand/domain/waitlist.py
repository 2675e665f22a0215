"""The waitlist: walk-in parties, the waits quoted to them, and how good those quotes were.

Quotes replay the waitlist in order against the floor: each party in turn takes the earliest table (or
combinable pair, by the table-fitting rules) that is free for its whole expected turn, after the parties
ahead of it have taken theirs. Occupied tables free at their predicted free-at; an upcoming reservation
holds its table from its start less the hold window until its expected turn is over. So a 2-top party
behind a 6-top can be quoted less: the six wait for a big table while a small one frees first.
Quotes are rounded up to 5 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from hoststand.domain import allergens as al
from hoststand.domain.availability import earliest_fit
from hoststand.domain.fitting import Interval
from hoststand.domain.floor_state import TableStatus
from hoststand.domain.model import (
    Allergen,
    FloorLayout,
    Guest,
    Reservation,
    ReservationStatus,
    TableState,
    WaitlistEntry,
)
from hoststand.domain.party import PartyAllergies, party_allergies
from hoststand.domain.pacing import OCCUPIED_STATES, TablePace, table_label
from hoststand.domain.phone import normalize_phone
from hoststand.domain.turn_times import TurnTimeModel

WAITING_STATUSES = ("waiting", "notified")
REMOVAL_REASONS = ("left", "seated elsewhere", "no answer")
QUOTE_STEP_MINUTES = 5
WALK_IN_SOURCE = "walk_in"


@dataclass(frozen=True)
class WaitQuote:
    minutes: int | None  # rounded up to 5; None when no table can take the party tonight
    table_ids: tuple[str, ...]  # the table(s) it is likely to get
    at: datetime | None  # when they are likely to sit
    reason: str = ""  # plain words: "12 predicted free 20:35", "No table seats a party of 14"


def round_up_quote(wait: timedelta, step: int = QUOTE_STEP_MINUTES) -> int:
    """A wait in minutes rounded up to `step`: 0 → 0, 1..5 → 5, 31 → 35."""
    minutes = max(0.0, wait.total_seconds() / 60)
    return int(math.ceil(round(minutes, 6) / step) * step)


def free_times(statuses: Mapping[str, TableStatus], paces: Mapping[str, TablePace], *, now: datetime) -> dict[str, datetime]:
    """When each usable table is free: `now` for free and held tables (a hold is a reservation, passed to
    `quote_waits` separately), the pace's prediction for occupied ones; blocked tables are left out."""
    result: dict[str, datetime] = {}
    for table_id, status in statuses.items():
        if status.state in (TableState.FREE, TableState.HELD):
            result[table_id] = now
        elif status.state in OCCUPIED_STATES:
            pace = paces.get(table_id)
            result[table_id] = max(now, pace.predicted_free_at) if pace is not None else now
    return result


def quote_waits(
    entries: Sequence[WaitlistEntry],
    tables_free_at: Mapping[str, datetime],
    layout: FloorLayout,
    reserved: Iterable[Reservation],
    *,
    now: datetime,
    turn_model: TurnTimeModel | None = None,
    tz: tzinfo = timezone.utc,
    hold_window: timedelta = timedelta(minutes=30),
) -> dict[str, WaitQuote]:
    """A quote for each waiting (or notified) entry, replayed in the order given.

    `tables_free_at` maps each usable table to when it is free (now or earlier: free already); a table not
    in it is not available. `reserved` are tonight's reservations; the booked and arrived ones with a table
    hold it. `turn_model` and `tz` give each party's expected turn (defaults when None).
    """
    model = turn_model or TurnTimeModel()
    unavailable = frozenset(t.id for t in layout.tables if t.id not in tables_free_at)
    busy: dict[str, list[Interval]] = {}
    for table_id, free_at in tables_free_at.items():
        if free_at > now:
            busy.setdefault(table_id, []).append((now, free_at))
    for res in reserved:
        if res.status not in (ReservationStatus.BOOKED, ReservationStatus.ARRIVED):
            continue
        end = res.start + model.estimate_at(res.party_size, res.start, tz).duration
        if end <= now:
            continue
        for table_id in res.table_ids:
            busy.setdefault(table_id, []).append((res.start - hold_window, end))

    quotes: dict[str, WaitQuote] = {}
    for entry in entries:
        if entry.status not in WAITING_STATUSES:
            continue
        quote = _first_table(entry.party_size, busy, layout, unavailable, now, model, tz)
        quotes[entry.id] = quote
        if quote.at is not None:
            end = quote.at + model.estimate_at(entry.party_size, quote.at, tz).duration
            for table_id in quote.table_ids:
                busy.setdefault(table_id, []).append((quote.at, end))
    return quotes


def _first_table(
    size: int,
    busy: Mapping[str, list[Interval]],
    layout: FloorLayout,
    unavailable: frozenset[str],
    now: datetime,
    model: TurnTimeModel,
    tz: tzinfo,
) -> WaitQuote:
    changes = model.settings.day_parts.changes(now, tz)
    turns: dict[datetime, timedelta] = {}

    def turn_at(at: datetime) -> timedelta:
        if at not in turns:
            turns[at] = model.estimate_at(size, at, tz).duration
        return turns[at]

    found = earliest_fit(
        size,
        now,
        turn_at,
        layout,
        busy,
        now=now,
        blocked=unavailable,
        changes=changes,
        tz=tz,
    )
    if found is not None:
        tables, moment = found
        label = table_label(tables, layout)
        reason = f"{label} free now" if moment == now else f"{label} predicted free {moment.astimezone(tz):%H:%M}"
        return WaitQuote(round_up_quote(moment - now), tables, moment, reason)
    if earliest_fit(size, now, lambda _: timedelta(minutes=1), layout, {}, now=now) is None:
        return WaitQuote(None, (), None, f"No table seats a party of {size}")
    return WaitQuote(None, (), None, f"Every table that seats a party of {size} is blocked")


@dataclass(frozen=True)
class WaitTimer:
    waited_minutes: int
    remaining_minutes: int | None  # counts down to 0; None without a quote
    over_by_minutes: int  # counts up once the quote is passed (shown in red)

    @property
    def overdue(self) -> bool:
        return self.over_by_minutes > 0


def wait_timer(entry: WaitlistEntry, *, now: datetime) -> WaitTimer:
    """The host's timer for a waiting party: minutes waited, minutes left on the quote, minutes over it."""
    waited = now - entry.added_at
    minutes = max(0, int(waited.total_seconds() // 60))
    if entry.quoted_minutes is None:
        return WaitTimer(minutes, None, 0)
    left = timedelta(minutes=entry.quoted_minutes) - waited
    if left > timedelta(0):
        return WaitTimer(minutes, math.ceil(left.total_seconds() / 60), 0)
    return WaitTimer(minutes, 0, int(-left.total_seconds() // 60))


@dataclass(frozen=True)
class QuoteAccuracy:
    parties: int  # seated parties that had a quote
    mean_abs_error_min: float | None
    within_5_min_pct: float | None  # share quoted within 5 minutes either way, 0–100
    mean_error_min: float | None = None  # signed: above 0, parties waited longer than quoted


def quote_accuracy(entries: Iterable[WaitlistEntry]) -> QuoteAccuracy:
    """Quoted against actual waits (added → seated) for the seated parties that were quoted."""
    errors = [
        (e.seated_at - e.added_at).total_seconds() / 60 - e.quoted_minutes
        for e in entries
        if e.status == "seated" and e.quoted_minutes is not None and e.seated_at is not None
    ]
    if not errors:
        return QuoteAccuracy(0, None, None, None)
    n = len(errors)
    within = sum(1 for err in errors if abs(err) <= 5 + 1e-9)
    return QuoteAccuracy(
        parties=n,
        mean_abs_error_min=round(sum(abs(err) for err in errors) / n, 1),
        within_5_min_pct=round(100 * within / n, 1),
        mean_error_min=round(sum(errors) / n, 1),
    )


def new_walk_in(
    entry_id: str,
    name: str,
    party_size: int,
    added_at: datetime,
    *,
    phone: str | None = None,
    notes: str = "",
    allergens: Iterable[Allergen] = (),
    allergy_notes: str = "",
    default_region: str = "US",
) -> WaitlistEntry:
    """A waitlist entry as the host typed it: the phone normalised to E.164 (ValueError in plain words when
    it cannot be one), the allergy words kept verbatim, and the allergen codes they and the notes name
    added to the ones the host ticked."""
    name = name.strip()
    if not name:
        raise ValueError("A waiting party needs a name")
    if party_size < 1:
        raise ValueError("A party has at least one guest")
    if added_at.tzinfo is None:
        raise ValueError("Times must be timezone-aware (UTC)")
    e164 = None
    if phone is not None and phone.strip():
        e164 = normalize_phone(phone, default_region)
        if e164 is None:
            raise ValueError(f"“{phone.strip()}” is not a phone number")
    codes = set(allergens) | al.detect_allergens(allergy_notes) | al.detect_allergens(notes)
    return WaitlistEntry(
        id=entry_id,
        name=name,
        party_size=party_size,
        added_at=added_at,
        phone=e164,
        notes=notes.strip(),
        allergens=frozenset(codes),
        allergy_notes=allergy_notes.strip(),
    )


def walk_in_party(
    entry: WaitlistEntry,
    *,
    reservation_id: str,
    guest_id: str | None = None,
    table_ids: tuple[str, ...] = (),
) -> tuple[Guest, Reservation]:
    """The guest and the walk-in reservation (arrived when added to the list) that seating this entry
    checks in, so its ticket notes are built exactly as a reservation's (allergies first)."""
    guest = Guest(
        id=guest_id or f"walk-in-{entry.id}",
        first_name=entry.name,
        last_name="",
        phone=entry.phone,
        allergens=entry.allergens,
        allergy_notes=entry.allergy_notes,
        source=WALK_IN_SOURCE,
    )
    reservation = Reservation(
        id=reservation_id,
        source=WALK_IN_SOURCE,
        external_id=entry.id,
        party_size=entry.party_size,
        start=entry.added_at,
        status=ReservationStatus.ARRIVED,
        guest_id=guest.id,
        guest_name=entry.name,
        table_ids=table_ids,
        guest_request=entry.notes,
        arrived_at=entry.added_at,
    )
    return guest, reservation


def walk_in_allergies(entry: WaitlistEntry) -> PartyAllergies:
    """What the host must know about a waiting party's allergies and diet (as for a reservation)."""
    guest, reservation = walk_in_party(entry, reservation_id=f"walk-in-{entry.id}")
    return party_allergies(guest, reservation)
