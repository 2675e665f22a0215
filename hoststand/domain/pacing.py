"""Floor pacing for managers: when each seated table will free up, which parties due soon will find
their table, covers per 15-minute slot, and how many covers the kitchen is about to fire.

Predicted free-at. A seated party with no order yet is expected to stay its whole expected turn from its
seating. From a course stage on, what is left is read from the stage and when it began: after the first
order 75% of the turn is left, after mains fire 45%, at dessert 20%, 10 minutes once the check is dropped,
5 once paid (`PaceSettings`). When the POS did not say when the stage began, it is assumed to have begun on
schedule, or now if the party is ahead of schedule. A prediction never falls before now plus a couple of
minutes; a table already past its expected turn is predicted to free a few minutes from now, and its note
says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from types import MappingProxyType

from hoststand.domain.covers import CoverSlot, cover_slots  # noqa: F401  (part of this module's API)
from hoststand.domain.availability import earliest_fit
from hoststand.domain.fitting import Interval
from hoststand.domain.floor_state import TableStatus
from hoststand.domain.model import CourseStage, FloorLayout, Reservation, ReservationStatus, TableState, Ticket
from hoststand.domain.turn_times import TurnEstimate, TurnTimeModel

__all__ = [
    "ArrivalForecast",
    "CoverSlot",
    "PaceSettings",
    "TablePace",
    "cover_slots",
    "forecast_arrivals",
    "kitchen_load",
    "pace_floor",
    "table_label",
]

OCCUPIED_STATES = frozenset(
    {
        TableState.SEATED,
        TableState.ORDERED,
        TableState.MAINS,
        TableState.DESSERT,
        TableState.CHECK_DROPPED,
        TableState.PAID,
    }
)
_LIVE_STAGES = frozenset(
    {
        CourseStage.OPENED,
        CourseStage.ORDERED,
        CourseStage.MAINS,
        CourseStage.DESSERT,
        CourseStage.CHECK_DROPPED,
        CourseStage.PAID,
    }
)
_WAITING = (ReservationStatus.BOOKED, ReservationStatus.ARRIVED)


@dataclass(frozen=True)
class PaceSettings:
    """How much of the meal is left at each course stage, and the floor under every prediction."""

    fraction_left: Mapping[CourseStage, float] = field(
        default_factory=lambda: MappingProxyType(
            {CourseStage.ORDERED: 0.75, CourseStage.MAINS: 0.45, CourseStage.DESSERT: 0.20}
        )
    )
    minutes_left: Mapping[CourseStage, int] = field(
        default_factory=lambda: MappingProxyType({CourseStage.CHECK_DROPPED: 10, CourseStage.PAID: 5})
    )
    min_ahead: timedelta = timedelta(minutes=2)  # no table is predicted to free sooner than this
    over_turn_ahead: timedelta = timedelta(minutes=5)  # a table past its turn: predicted free in this long


@dataclass(frozen=True)
class TablePace:
    table_id: str
    seated_since: datetime
    minutes_seated: int
    stage: CourseStage | None  # None: no POS ticket yet
    stage_since: datetime | None  # when the stage began, if the POS said (or the ticket opened)
    expected_turn: TurnEstimate
    predicted_free_at: datetime
    over_by_minutes: int  # minutes past the expected turn, 0 when within it
    table_name: str = ""
    reservation_id: str | None = None
    ticket_id: str | None = None
    party_name: str = ""
    covers: int = 0
    mains_due_at: datetime | None = None  # at ORDERED: when the mains are expected to fire
    note: str = ""  # plain words when the prediction was floored or assumed

    @property
    def party_key(self) -> str:
        """One key per party, so a party at combined tables counts once."""
        return self.reservation_id or self.ticket_id or self.table_id


def table_label(table_ids: Iterable[str], layout: FloorLayout | Mapping[str, str] | None) -> str:
    """The tables as the host names them: "12", "12+13". `layout` may be a layout or a map id → name."""
    if isinstance(layout, FloorLayout):
        layout = _names(layout)
    names = layout or {}
    return "+".join(names.get(t, t) for t in table_ids)


def _names(layout: FloorLayout | None) -> dict[str, str]:
    return {t.id: t.name for t in layout.tables} if layout is not None else {}


def _minutes(delta: timedelta) -> int:
    """Whole minutes elapsed, never negative."""
    return max(0, int(delta.total_seconds() // 60))


def _minutes_up(delta: timedelta) -> int:
    """Minutes of waiting, rounded up, never negative."""
    return max(0, math.ceil(delta.total_seconds() / 60))


def _live_index(tickets: Iterable[Ticket]) -> tuple[dict[str, list[Ticket]], dict[str, list[Ticket]]]:
    """Live tickets by table and by reservation, each list earliest opened first."""
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    live = sorted(
        (t for t in tickets if t.table_id is not None and t.closed_at is None and t.stage in _LIVE_STAGES),
        key=lambda t: (t.opened_at or far_past, t.id),
    )
    by_table: dict[str, list[Ticket]] = {}
    by_reservation: dict[str, list[Ticket]] = {}
    for ticket in live:
        by_table.setdefault(ticket.table_id, []).append(ticket)  # type: ignore[arg-type]
        if ticket.reservation_id is not None:
            by_reservation.setdefault(ticket.reservation_id, []).append(ticket)
    return by_table, by_reservation


def _table_ticket(
    table_id: str,
    reservation_id: str | None,
    by_table: Mapping[str, list[Ticket]],
    by_reservation: Mapping[str, list[Ticket]],
) -> Ticket | None:
    """The live ticket of the party at the table: its own (even if the POS rang it at the other table of a
    combined pair), else the earliest live ticket at the table."""
    here = by_table.get(table_id, [])
    if reservation_id is not None:
        own = [t for t in here if t.reservation_id == reservation_id] or by_reservation.get(reservation_id, [])
        if own:
            return own[0]
    return here[0] if here else None


def pace_floor(
    statuses: Mapping[str, TableStatus],
    tickets: Iterable[Ticket],
    reservations: Iterable[Reservation],
    *,
    now: datetime,
    turn_model: TurnTimeModel,
    tz: tzinfo,
    stage_times: Mapping[str, datetime] | None = None,
    settings: PaceSettings = PaceSettings(),
    layout: FloorLayout | None = None,
) -> dict[str, TablePace]:
    """The pace of every occupied table in `statuses` (from `derive_floor`), keyed by table id, in order.

    `stage_times` maps a ticket id to when its current stage began; `layout` only names the tables.
    """
    stage_times = stage_times or {}
    by_table, by_reservation = _live_index(tickets)
    by_id = {r.id: r for r in reservations}
    names = _names(layout)
    result: dict[str, TablePace] = {}
    for table_id, status in statuses.items():
        if status.state not in OCCUPIED_STATES:
            continue
        ticket = _table_ticket(table_id, status.reservation_id, by_table, by_reservation)
        res = by_id.get(status.reservation_id) if status.reservation_id else None
        seated_since = status.seated_since or (res.seated_at if res else None)
        notes: list[str] = []
        if seated_since is None:
            seated_since = now
            notes.append("seating time unknown, counted from now")
        covers = max(status.covers, 1)
        turn = turn_model.estimate_at(covers, seated_since, tz)
        stage = ticket.stage if ticket is not None else status.stage
        stage_since = stage_times.get(ticket.id) if ticket is not None else None
        if stage_since is None and ticket is not None and stage == CourseStage.OPENED:
            stage_since = ticket.opened_at
        predicted, mains_due, assumed = _predict(seated_since, turn.duration, stage, stage_since, now, settings)
        if assumed:
            notes.append("stage time unknown, assumed on schedule")
        over_by = _minutes(now - seated_since - turn.duration)
        floor_at = now + (settings.over_turn_ahead if over_by > 0 else settings.min_ahead)
        if predicted < floor_at:
            predicted = floor_at
            ahead = _minutes_up(floor_at - now)
            if over_by > 0:
                notes.append(f"{over_by} min over its expected turn: predicted to free in {ahead} min")
            else:
                notes.append(f"running behind: predicted to free in {ahead} min")
        result[table_id] = TablePace(
            table_id=table_id,
            seated_since=seated_since,
            minutes_seated=_minutes(now - seated_since),
            stage=stage,
            stage_since=stage_since,
            expected_turn=turn,
            predicted_free_at=predicted,
            over_by_minutes=over_by,
            table_name=names.get(table_id, table_id),
            reservation_id=status.reservation_id,
            ticket_id=ticket.id if ticket is not None else None,
            party_name=status.party_name,
            covers=status.covers,
            mains_due_at=mains_due,
            note="; ".join(notes),
        )
    return result


def _predict(
    seated_since: datetime,
    turn: timedelta,
    stage: CourseStage | None,
    stage_since: datetime | None,
    now: datetime,
    settings: PaceSettings,
) -> tuple[datetime, datetime | None, bool]:
    """(predicted free-at before flooring, mains due at (ORDERED only), whether the stage start was assumed)."""
    if stage in settings.fraction_left:
        left = turn * settings.fraction_left[stage]  # type: ignore[index]
    elif stage in settings.minutes_left:
        left = timedelta(minutes=settings.minutes_left[stage])  # type: ignore[index]
    else:  # no ticket yet, or nothing ordered: the whole turn from seating
        return seated_since + turn, None, False
    assumed = stage_since is None
    if stage_since is None:
        on_schedule = max(seated_since, seated_since + turn - left)
        stage_since = min(now, on_schedule)
    mains_due = None
    if stage == CourseStage.ORDERED and CourseStage.MAINS in settings.fraction_left:
        mains_due = stage_since + left - turn * settings.fraction_left[CourseStage.MAINS]
    return stage_since + left, mains_due, assumed


def kitchen_load(
    paces: Mapping[str, TablePace] | Iterable[TablePace],
    *,
    now: datetime,
    window: timedelta = timedelta(minutes=20),
    extra_covers: int = 0,
) -> int:
    """Covers likely to fire mains within `window` from `now`: tables at ORDERED whose mains are due by
    then (overdue ones included), each party once, plus `extra_covers` (a party being seated now)."""
    items = paces.values() if isinstance(paces, Mapping) else paces
    seen: set[str] = set()
    total = max(extra_covers, 0)
    for pace in items:
        if pace.stage != CourseStage.ORDERED or pace.mains_due_at is None or pace.party_key in seen:
            continue
        if pace.mains_due_at <= now + window:
            seen.add(pace.party_key)
            total += max(pace.covers, 0)
    return total


@dataclass(frozen=True)
class ArrivalForecast:
    reservation_id: str
    start: datetime
    likely_table_ids: tuple[str, ...]  # () when no table can take the party
    likely_at: datetime | None  # when it is likely to sit
    late_by_minutes: int  # minutes it would wait past its time (or past now, if already late)
    warning: str | None  # "No table free in time: …"
    party_name: str = ""
    party_size: int = 0
    assigned_table_ids: tuple[str, ...] = ()
    assigned_free_at: datetime | None = None  # when its own table is predicted free (None: unassigned)
    likely_tables: str = ""  # names, "12+13"
    assigned_tables: str = ""
    note: str = ""  # e.g. "12 occupied until 20:35; 14 is free"


def _available_from(intervals: Iterable[Interval], at: datetime) -> datetime:
    """The first instant from `at` at which none of `intervals` covers the table."""
    spans = sorted(intervals)
    moved = True
    while moved:
        moved = False
        for start, end in spans:
            if start <= at < end:
                at, moved = end, True
    return at


def forecast_arrivals(
    upcoming_reservations: Iterable[Reservation],
    paces: Mapping[str, TablePace],
    layout: FloorLayout,
    *,
    now: datetime,
    horizon: timedelta = timedelta(minutes=60),
    turn_model: TurnTimeModel | None = None,
    tz: tzinfo = timezone.utc,
    blocked: Set[str] = frozenset(),
    late_grace: timedelta = timedelta(minutes=15),
) -> list[ArrivalForecast]:
    """For each party due within `horizon` (or up to `late_grace` late, or arrived and waiting), the
    table it is likely to get and when, in order of arrival.

    Parties are replayed in order of their time: each takes its assigned table if that is predicted
    free by its time (occupied tables free at their pace's predicted free-at; earlier arrivals keep the
    table for their expected turn); else the best other table free for its whole turn by then, by the
    fitting rules (tables held for other reservations do not count); else whichever frees first, with a
    warning that no table will be free in time.
    """
    model = turn_model or TurnTimeModel()
    names = _names(layout)
    known = set(names)
    settled: dict[str, list[Interval]] = {}  # occupied now, then the arrivals already placed
    for table_id, pace in paces.items():
        if pace.predicted_free_at > now:
            settled.setdefault(table_id, []).append((now, pace.predicted_free_at))
    waiting = sorted(
        (r for r in upcoming_reservations if r.status in _WAITING),
        key=lambda r: (r.start, r.guest_name, r.id),  # as the list shows them (ids differ from one pull to the next)
    )
    due = [
        r
        for r in waiting
        if r.start <= now + horizon and (r.status == ReservationStatus.ARRIVED or r.start >= now - late_grace)
    ]
    busy = {t: list(spans) for t, spans in settled.items()}  # also every reservation not yet placed
    holds: dict[str, Interval] = {}
    for r in waiting:
        begin = max(r.start, now)
        holds[r.id] = (begin, begin + model.estimate_at(r.party_size, r.start, tz).duration)
        for t in dict.fromkeys(r.table_ids):
            if t in known:
                busy.setdefault(t, []).append(holds[r.id])
    forecasts: list[ArrivalForecast] = []
    for res in due:
        hold = holds[res.id]
        own = tuple(dict.fromkeys(t for t in res.table_ids if t in known))
        for t in own:
            busy[t].remove(hold)
        turn = hold[1] - hold[0]
        target = max(res.start, now)
        own_free = None
        if own and not any(t in blocked for t in own):
            own_free = max(_available_from(settled.get(t, ()), target) for t in own)
        choice: tuple[tuple[str, ...], datetime] | None = None
        note = ""
        if own_free is not None and own_free <= target:
            choice = (own, target)
        else:
            choice = earliest_fit(
                res.party_size, target, lambda _: turn, layout, busy, now=now, blocked=blocked, tz=tz
            )
            if own_free is not None and (choice is None or own_free <= choice[1]):
                choice = (own, own_free)
            if own and choice is not None and choice[0] != own:
                why = "blocked" if own_free is None else f"occupied until {own_free.astimezone(tz):%H:%M}"
                note = f"{table_label(own, names)} {why}; {table_label(choice[0], names)} likely instead"
        if choice is not None:
            for t in choice[0]:
                claim = (choice[1], choice[1] + turn)
                settled.setdefault(t, []).append(claim)
                busy.setdefault(t, []).append(claim)
        warning = None
        late_by = 0
        if choice is None:
            warning = f"No table seats a party of {res.party_size}"
        else:
            tables, at = choice
            late_by = _minutes_up(at - target)
            if late_by > 0:
                warning = (
                    f"No table free in time: {table_label(tables, names)} predicted free "
                    f"{at.astimezone(tz):%H:%M}, {late_by} min late"
                )
        forecasts.append(
            ArrivalForecast(
                reservation_id=res.id,
                start=res.start,
                likely_table_ids=choice[0] if choice else (),
                likely_at=choice[1] if choice else None,
                late_by_minutes=late_by,
                warning=warning,
                party_name=res.guest_name,
                party_size=res.party_size,
                assigned_table_ids=own,
                assigned_free_at=own_free,
                likely_tables=table_label(choice[0], names) if choice else "",
                assigned_tables=table_label(own, names),
                note=note,
            )
        )
    return forecasts
