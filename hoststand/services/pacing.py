"""Floor pacing for the manager: per table (seated since, course stage and its time, expected turn with where
the estimate comes from, predicted free-at, over by), alerts in plain words, covers per 15-minute slot,
parties due in the next hour against the tables predicted free, kitchen load, and tonight's timeline.

Reads only, from one WAL snapshot (`read()`); the arithmetic is the domain's (`domain.pacing`, `alerts`,
`covers`, `turn_times`). What it adds is the call pattern that keeps a refresh inside one frame:

- The turn-time model is learned from the local history (finished visits of the last `history_days`
  service days, tonight's included) at most every `relearn_every`; past days are read once and kept.
- The arrival forecast (the costly replay of the next hour) is kept until the clock's minute changes or a
  change event arrives (`invalidate()`, wired to the bus when one is given).
- Everything else (floor state, paces, alerts, covers, timeline) is recomputed on every `view()`.

Moving a timeline bar is not done here: the page calls `HostService.move`, the normal write path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil

from hoststand.domain import service_day
from hoststand.domain.alerts import Alert, AlertKind, AlertSettings, Severity, evaluate_alerts
from hoststand.domain.clock import Clock
from hoststand.domain.covers import cover_slots, cover_totals
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.floor_state import TableStatus, derive_floor
from hoststand.domain.model import (
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
    TableState,
    Ticket,
)
from hoststand.domain.pacing import (
    OCCUPIED_STATES,
    ArrivalForecast,
    PaceSettings,
    TablePace,
    forecast_arrivals,
    kitchen_load,
    pace_floor,
    table_label,
)
from hoststand.domain.settings import RestaurantSettings
from hoststand.domain.turn_times import (
    DEFAULT_MIN_SAMPLES,
    SOURCE_DEFAULT,
    DayPart,
    FinishedVisit,
    TurnEstimate,
    TurnTimeModel,
    TurnTimeSettings,
    finished_visits,
)
from hoststand.store import repos
from hoststand.store import waitlist as waitlist_store
from hoststand.store.engine import Store
from hoststand.sync.puller import FEED_POS_ORDERS

S = ReservationStatus
PACING_TOPICS = frozenset({"reservations", "tickets", "tables"})

STAGE_WORDS: Mapping[CourseStage | None, str] = {
    None: "Seated, no ticket yet",
    CourseStage.OPENED: "Seated, nothing ordered",
    CourseStage.ORDERED: "Ordered",
    CourseStage.MAINS: "Mains out",
    CourseStage.DESSERT: "Dessert",
    CourseStage.CHECK_DROPPED: "Check dropped",
    CourseStage.PAID: "Paid",
}


# ------------------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class PacingOptions:
    """What a manager can tune. Defaults follow the issue: alerts at 20 / 45 / 15 / 15 minutes."""

    turn_settings: TurnTimeSettings = TurnTimeSettings()
    min_samples: int = DEFAULT_MIN_SAMPLES  # finished visits needed before a learned turn is trusted
    history_days: int = 28  # service days of history to learn from (tonight's included)
    alerts: AlertSettings = AlertSettings()
    pace: PaceSettings = PaceSettings()
    fire_window: timedelta = timedelta(minutes=20)  # the kitchen's "next fire window"
    arrivals_horizon: timedelta = timedelta(minutes=60)
    relearn_every: timedelta = timedelta(minutes=5)
    forecast_every: timedelta = timedelta(seconds=10)  # after a change, the forecast is at most this old
    timeline_before: timedelta = timedelta(hours=1)  # the timeline shows at least this much before now
    timeline_after: timedelta = timedelta(hours=2)  # … and this much after


# ------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TablePaceRow:
    """One layout table as the manager sees it. Times are local (the restaurant's wall clock)."""

    table_id: str
    name: str
    section_id: str
    seats: str  # "2–4"
    state: TableState
    party_name: str = ""
    covers: int = 0
    reservation_id: str | None = None
    seated_since_local: datetime | None = None
    minutes_seated: int | None = None
    stage: CourseStage | None = None
    stage_label: str = ""  # "Mains out"
    stage_minutes: int | None = None  # minutes in the current stage, when known
    stage_assumed: bool = False  # the POS did not say when the stage began
    expected_turn_min: int | None = None
    turn_source: str = ""  # "learned from 12 visits", "default"
    turn_label: str = ""  # "95 min (learned from 12 visits)"
    predicted_free_local: datetime | None = None
    free_in_minutes: int | None = None
    over_by_minutes: int = 0
    note: str = ""
    next_label: str = ""  # "next 20:30 Smith (2)"
    alert: Severity | None = None  # the most severe alert naming this table
    alert_text: str = ""

    @property
    def occupied(self) -> bool:
        return self.state in OCCUPIED_STATES


@dataclass(frozen=True)
class AlertView:
    kind: AlertKind
    severity: Severity
    message: str  # "Table 12: seated 24 min, no order yet"
    minutes: int
    table_ids: tuple[str, ...] = ()
    reservation_id: str | None = None


@dataclass(frozen=True)
class CoverSlotView:
    start_local: datetime
    booked: int
    seated: int
    rung_in: int
    now: bool = False  # the slot holding the current time
    past: bool = False


@dataclass(frozen=True)
class CoverTotalsView:
    booked: int
    seated: int
    rung_in: int


@dataclass(frozen=True)
class ArrivalView:
    reservation_id: str
    time_local: datetime
    party_name: str
    party_size: int
    status: ReservationStatus
    assigned: str  # "12" or ""
    likely: str  # "14" or ""
    likely_at_local: datetime | None
    late_by_minutes: int
    warning: str = ""  # "No table free in time: 12 predicted free 20:35, 10 min late"
    note: str = ""

    @property
    def in_time(self) -> bool:
        return not self.warning


@dataclass(frozen=True)
class KitchenLoadView:
    window_minutes: int
    covers: int  # covers likely to fire mains within the window
    tables: tuple[str, ...] = ()  # the tables behind them, by name

    def if_seated(self, party_size: int) -> int:
        """Covers in the next fire window if a party of `party_size` sits now."""
        return self.covers + max(0, party_size)

    def sentence(self, party_size: int) -> str:
        return (
            f"Seating a {party_size} now puts {self.if_seated(party_size)} covers "
            f"in the next {self.window_minutes}-minute fire window"
        )


@dataclass(frozen=True)
class TimelineRow:
    table_id: str
    name: str
    seats: str
    min_seats: int
    max_seats: int
    section_id: str


@dataclass(frozen=True)
class TimelineBar:
    """A reservation (or a POS ticket with no party) on the timeline, in minutes from the timeline's start."""

    key: str  # reservation id, or "ticket:<id>"
    reservation_id: str | None
    table_ids: tuple[str, ...]  # () → the "no table yet" lane
    label: str  # "Smith (4)"
    party_size: int
    status: ReservationStatus | None
    start_min: float
    end_min: float
    start_local: datetime
    end_local: datetime
    predicted: bool = False  # the end is a prediction (seated now) or an expected turn (not yet seated)
    over: bool = False  # seated past its expected turn
    stage: CourseStage | None = None
    movable: bool = False  # may be dragged to another table (booked, arrived or seated)
    late: bool = False  # booked, its time passed, not arrived


@dataclass(frozen=True)
class TimelineView:
    start_local: datetime
    end_local: datetime
    now_min: float
    rows: tuple[TimelineRow, ...]
    bars: tuple[TimelineBar, ...]

    @property
    def minutes(self) -> float:
        return (self.end_local - self.start_local).total_seconds() / 60


@dataclass(frozen=True)
class TurnCell:
    band: str  # "3–4"
    day_part: DayPart
    minutes: int
    source: str  # "learned", "learned (all day parts)", "default"
    samples: int


@dataclass(frozen=True)
class TurnSourceView:
    visits: int  # finished visits in the local history
    min_samples: int
    cells: tuple[TurnCell, ...]
    summary: str  # "Learned from 143 finished visits" / "Defaults: 5 finished visits so far, 8 needed per …"

    @property
    def learned(self) -> bool:
        return any(c.source != SOURCE_DEFAULT for c in self.cells)


@dataclass(frozen=True)
class PacingView:
    now_local: datetime
    tables: tuple[TablePaceRow, ...]
    alerts: tuple[AlertView, ...]
    slots: tuple[CoverSlotView, ...]
    totals: CoverTotalsView
    arrivals: tuple[ArrivalView, ...]
    kitchen: KitchenLoadView
    timeline: TimelineView | None  # None when asked for without it
    turns: TurnSourceView
    occupied: int
    free: int
    blocked: int
    covers_in_room: int
    over_turn: int  # tables past their expected turn
    forecast_local: datetime | None = None  # when the arrival forecast was computed
    stale: bool = False  # the POS has not been heard from lately


# ------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class PacingData:
    """One consistent read of what pacing needs."""

    day: date
    now: datetime
    reservations: list[Reservation]
    tickets: list[Ticket]  # tonight's business date, plus any other live ticket
    blocked: frozenset[str]
    pos_last_heard: datetime | None


@dataclass(frozen=True)
class FloorPace:
    """The floor at `now` with each occupied table's pace: what waitlist quotes replay against."""

    now: datetime
    statuses: dict[str, TableStatus]
    paces: dict[str, TablePace]
    model: TurnTimeModel
    reservations: list[Reservation]
    blocked: frozenset[str]


@dataclass(frozen=True)
class _Slow:
    forecast_at: datetime
    arrival_alerts: tuple[Alert, ...]
    arrivals: tuple[ArrivalView, ...]
    slots: tuple[CoverSlotView, ...]
    totals: CoverTotalsView
    range: tuple[datetime, datetime]


# ------------------------------------------------------------------------------------------- queries


class PacingQueries:
    def __init__(
        self,
        store: Store,
        *,
        layout: FloorLayout,
        settings: RestaurantSettings,
        clock: Clock,
        options: PacingOptions = PacingOptions(),
        bus: ChangeBus | None = None,
    ) -> None:
        self.store = store
        self.layout = layout
        self.settings = settings
        self.clock = clock
        self.options = options
        self._tz = settings.tz
        self._names = {t.id: t.name for t in layout.tables}
        self._rows = tuple(
            TimelineRow(t.id, t.name, _seats(t.min_seats, t.max_seats), t.min_seats, t.max_seats, t.section_id)
            for t in layout.tables
        )
        self._lock = threading.Lock()
        self._view_lock = threading.RLock()
        self._generation = 0
        self._forecast_key: tuple | None = None
        self._forecast: list[ArrivalForecast] = []
        self._forecast_at: datetime | None = None
        self._model = TurnTimeModel(settings=options.turn_settings, min_samples=options.min_samples)
        self._model_at: datetime | None = None
        self._visits = 0
        self._past_visits: dict[date, list[FinishedVisit]] = {}
        self._slow_cache: tuple[tuple, _Slow] | None = None
        self._forced = 0  # the generation a forced invalidation asked for
        self._row_cache: dict[str, tuple[tuple, TablePaceRow]] = {}  # by table id: (what it was built from, row)
        self._next_labels: dict[tuple, str] = {}  # "next 20:30 Smith (2)", by what it is made of
        self._alert_views: dict[Alert, AlertView] = {}
        self._sources: tuple[TurnTimeModel, int, TurnSourceView] | None = None
        self._bars: dict[tuple, TimelineBar] = {}  # bars of parties not seated, by what they depend on
        self._estimates: dict[tuple[int, datetime], TurnEstimate] = {}
        self._estimates_model: int | None = None
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self._on_change) if bus is not None else None

    # ----------------------------------------------------------------------------- invalidation

    def _on_change(self, change: Change) -> None:
        if change.topics & PACING_TOPICS:
            self.invalidate()

    def invalidate(self, *, force: bool = False) -> None:
        """The floor changed. The next view recomputes the arrival forecast if it is `forecast_every` old
        (a burst of pulls costs one forecast), or at once with `force` (the manager's own move)."""
        with self._lock:
            self._generation += 1
            if force:
                self._forced = self._generation

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # ------------------------------------------------------------------------------------ reads

    def service_date(self, now: datetime | None = None) -> date:
        return service_day.service_date(now or self.clock.now(), self._tz, self.settings.service_day_rollover_hour)

    def read(self) -> PacingData:
        now = self.clock.now()
        with self.store.read() as s:
            day = self.service_date(now)
            if not repos.has_reservations_for_day(s, day):
                day = repos.latest_service_date(s) or day  # offline start: the last night the cache holds
            reservations = repos.reservations_for_day(s, day)
            tickets = {t.id: t for t in repos.tickets_for_business_date(s, service_day.business_date_int(day))}
            for t in repos.live_tickets(s):
                tickets.setdefault(t.id, t)
            feed = repos.get_sync_state(s, FEED_POS_ORDERS)
            blocked = waitlist_store.blocked_tables(s, now)
        return PacingData(day, now, reservations, list(tickets.values()), blocked, feed.last_success)

    # ------------------------------------------------------------------------------- turn model

    def turn_model(self, data: PacingData | None = None, *, force: bool = False) -> TurnTimeModel:
        """The turn-time model, relearned from the history at most every `relearn_every`."""
        now = data.now if data is not None else self.clock.now()
        with self._lock:
            fresh = self._model_at is not None and now - self._model_at < self.options.relearn_every
            if fresh and not force:
                return self._model
        visits = self._history(data)
        model = TurnTimeModel(settings=self.options.turn_settings).learn(visits, self.options.min_samples)
        with self._lock:
            self._model, self._model_at, self._visits = model, now, len(visits)
        return model

    def _history(self, data: PacingData | None) -> list[FinishedVisit]:
        day = data.day if data is not None else self.service_date()
        parts = self.options.turn_settings.day_parts
        tz = self._tz
        visits: list[FinishedVisit] = []
        past = [day - timedelta(days=n) for n in range(1, max(1, self.options.history_days))]
        missing = [d for d in past if d not in self._past_visits]
        if missing or data is None:
            with self.store.read() as s:
                for d in missing:
                    self._past_visits[d] = finished_visits(
                        repos.reservations_for_day(s, d),
                        repos.tickets_for_business_date(s, service_day.business_date_int(d)),
                        tz=tz,
                        day_parts=parts,
                    )
                if data is None:
                    tonight = finished_visits(
                        repos.reservations_for_day(s, day),
                        repos.tickets_for_business_date(s, service_day.business_date_int(day)),
                        tz=tz,
                        day_parts=parts,
                    )
        if data is not None:
            tonight = finished_visits(data.reservations, data.tickets, tz=tz, day_parts=parts)
        for d in past:
            visits.extend(self._past_visits.get(d, ()))
        visits.extend(tonight)
        for d in [d for d in self._past_visits if d not in past]:
            del self._past_visits[d]
        return visits

    def turn_sources(self, model: TurnTimeModel | None = None) -> TurnSourceView:
        model = model or self.turn_model()
        cached = self._sources
        if cached is not None and cached[0] is model and cached[1] == self._visits:
            return cached[2]
        view = self._turn_sources(model)
        self._sources = (model, self._visits, view)
        return view

    def _turn_sources(self, model: TurnTimeModel) -> TurnSourceView:
        ts = self.options.turn_settings
        cells = []
        for band in ts.bands:
            for part in DayPart:
                est = model.estimate(band.smallest, part)
                cells.append(TurnCell(band.label, part, est.minutes, est.source, est.samples))
        visits = self._visits
        need = self.options.min_samples
        learned = sum(1 for c in cells if c.source != SOURCE_DEFAULT)
        if learned == 0:
            summary = (
                f"Default turn times: {visits} finished {_plural(visits, 'visit')} in the history so far; "
                f"a turn is learned once {need} visits share a party size and day part"
            )
        elif learned == len(cells):
            summary = f"Turn times learned from {visits} finished {_plural(visits, 'visit')}"
        else:
            summary = (
                f"Turn times learned from {visits} finished {_plural(visits, 'visit')} where there are "
                f"{need} or more; defaults elsewhere"
            )
        return TurnSourceView(visits, need, tuple(cells), summary)

    # ------------------------------------------------------------------------------------ floor

    def floor_pace(self, data: PacingData | None = None) -> FloorPace:
        data = data or self.read()
        model = self.turn_model(data)
        statuses = derive_floor(
            self.layout,
            data.reservations,
            data.tickets,
            now=data.now,
            hold_window=self.settings.hold_window,
            blocked=data.blocked,
            pos_last_heard=data.pos_last_heard,
            stale_after=self.settings.stale_after,
        )
        stage_times = {t.id: t.stage_since for t in data.tickets if t.stage_since is not None}
        paces = pace_floor(
            statuses,
            data.tickets,
            data.reservations,
            now=data.now,
            turn_model=model,
            tz=self._tz,
            stage_times=stage_times,
            settings=self.options.pace,
            layout=self.layout,
        )
        return FloorPace(data.now, statuses, paces, model, data.reservations, data.blocked)

    def arrivals(self, fp: FloorPace) -> tuple[list[ArrivalForecast], datetime]:
        """The next hour's arrivals against the floor (the costly replay). Kept while the minute is the same and
        either nothing changed or the last one is younger than `forecast_every` (unless forced)."""
        minute = fp.now.replace(second=0, microsecond=0)
        with self._lock:
            key = self._forecast_key
            # a different set of parties (e.g. the first pull landing) always recomputes
            same_parties = key is not None and key[3:] == (len(fp.reservations),)
            if key is not None and self._forecast_at is not None and key[1] == minute and key[2] == id(fp.model) and same_parties:
                unchanged = key[0] == self._generation
                young = fp.now - self._forecast_at < self.options.forecast_every and self._forced <= key[0]
                if unchanged or young:
                    return self._forecast, self._forecast_at
            generation = self._generation
        forecast = forecast_arrivals(
            fp.reservations,
            fp.paces,
            self.layout,
            now=fp.now,
            horizon=self.options.arrivals_horizon,
            turn_model=fp.model,
            tz=self._tz,
            blocked=fp.blocked,
        )
        with self._lock:
            self._forecast_key = (generation, minute, id(fp.model), len(fp.reservations))
            self._forecast, self._forecast_at = forecast, fp.now
        return forecast, fp.now

    def kitchen(self, fp: FloorPace | None = None) -> KitchenLoadView:
        fp = fp or self.floor_pace()
        window = self.options.fire_window
        covers = kitchen_load(fp.paces, now=fp.now, window=window)
        firing = [
            p.table_name for p in fp.paces.values()
            if p.stage is CourseStage.ORDERED and p.mains_due_at is not None and p.mains_due_at <= fp.now + window
        ]
        return KitchenLoadView(int(window.total_seconds() // 60), covers, tuple(dict.fromkeys(firing)))

    # ------------------------------------------------------------------------------------ view

    def view(self, data: PacingData | None = None, *, timeline: bool = True) -> PacingView:
        """Everything the pacing page shows, from one read (without the timeline's bars when `timeline` is
        False: the page is not showing it). Thread-safe (one view is computed at a time)."""
        data = data or self.read()
        with self._view_lock:
            return self._view(data, timeline)

    def _view(self, data: PacingData, with_timeline: bool = True) -> PacingView:
        fp = self.floor_pace(data)
        now, tz = data.now, self._tz
        slow = self._slow(data, fp)
        raw_alerts = sorted(
            [*evaluate_alerts(fp.paces, (), now=now, settings=self.options.alerts, tz=tz), *slow.arrival_alerts],
            key=lambda a: (a.severity.rank, -a.minutes, a.message),
        )
        alerts = tuple(self._alert_view(a) for a in raw_alerts)
        by_id = {r.id: r for r in data.reservations}
        tables = self._table_rows(fp, raw_alerts, by_id)
        timeline = self._timeline(data, fp, slow.range) if with_timeline else None
        occupied = sum(1 for r in tables if r.occupied)
        blocked = sum(1 for r in tables if r.state is TableState.BLOCKED)
        in_room = {p.party_key: p.covers for p in fp.paces.values()}
        stale = any(st.stale for st in fp.statuses.values())
        return PacingView(
            now_local=now.astimezone(tz),
            tables=tables,
            alerts=alerts,
            slots=slow.slots,
            totals=slow.totals,
            arrivals=slow.arrivals,
            kitchen=self.kitchen(fp),
            timeline=timeline,
            turns=self.turn_sources(fp.model),
            occupied=occupied,
            free=len(tables) - occupied - blocked,
            blocked=blocked,
            covers_in_room=sum(in_room.values()),
            over_turn=len({p.party_key for p in fp.paces.values() if p.over_by_minutes > 0}),
            forecast_local=slow.forecast_at.astimezone(tz),
            stale=stale,
        )

    def _alert_view(self, a: Alert) -> AlertView:
        view = self._alert_views.get(a)
        if view is None:
            if len(self._alert_views) > 2000:
                self._alert_views.clear()
            view = self._alert_views[a] = AlertView(a.kind, a.severity, a.message, a.minutes, a.table_ids,
                                                    a.reservation_id)
        return view

    def _slow(self, data: PacingData, fp: FloorPace) -> _Slow:
        """What changes only when the floor changes or the minute turns: the arrival forecast and what is
        read from it (arrivals, arrival alerts), and covers per slot."""
        forecast, forecast_at = self.arrivals(fp)
        minute = data.now.replace(second=0, microsecond=0)
        with self._lock:
            key = (self._generation, minute, id(fp.model), data.day, id(forecast))
            if self._slow_cache is not None and self._slow_cache[0] == key:
                return self._slow_cache[1]
        now, tz = data.now, self._tz
        by_id = {r.id: r for r in data.reservations}
        horizon = now + self.options.arrivals_horizon
        lo, hi = self._range(data)
        slots, totals = self._covers(data, lo, hi)
        slow = _Slow(
            forecast_at=forecast_at,
            arrival_alerts=tuple(evaluate_alerts({}, forecast, now=now, settings=self.options.alerts, tz=tz)),
            arrivals=tuple(self._arrival(f, by_id) for f in forecast if f.start <= horizon),
            slots=slots,
            totals=totals,
            range=(lo, hi),
        )
        with self._lock:
            self._slow_cache = (key, slow)
        return slow

    def _table_rows(
        self, fp: FloorPace, alerts: list[Alert], by_id: Mapping[str, Reservation]
    ) -> tuple[TablePaceRow, ...]:
        tz, now = self._tz, fp.now
        worst: dict[str, Alert] = {}
        for a in alerts:  # already most severe first
            for t in a.table_ids:
                worst.setdefault(t, a)
        rows: list[TablePaceRow] = []
        kept: dict[str, tuple[tuple, TablePaceRow]] = {}
        for table in self.layout.tables:
            st = fp.statuses[table.id]
            nxt = by_id.get(st.next_reservation_id) if st.next_reservation_id else None
            next_label = ""
            if nxt is not None and st.state is not TableState.BLOCKED:
                next_label = self._next_label(nxt, st.state is TableState.HELD)
            alert = worst.get(table.id)
            pace = fp.paces.get(table.id)
            stage_minutes = None
            if pace is not None and pace.stage_since is not None:
                stage_minutes = max(0, int((now - pace.stage_since).total_seconds() // 60))
            free_in = max(0, ceil((pace.predicted_free_at - now).total_seconds() / 60)) if pace is not None else None
            key = (st, pace, next_label, alert, stage_minutes, free_in)
            seen = self._row_cache.get(table.id)
            if seen is not None and seen[0] == key:  # as last time: the same object (the page redraws nothing)
                rows.append(seen[1])
                kept[table.id] = seen
                continue
            common = dict(
                table_id=table.id,
                name=table.name,
                section_id=table.section_id,
                seats=_seats(table.min_seats, table.max_seats),
                state=st.state,
                next_label=next_label,
                alert=alert.severity if alert else None,
                alert_text=alert.message if alert else "",
            )
            if pace is None:
                held = st.state is TableState.HELD
                row = TablePaceRow(
                    **common,
                    party_name=st.party_name if held else "",
                    covers=st.covers if held else 0,
                    reservation_id=st.reservation_id if held else None,
                )
                rows.append(row)
                kept[table.id] = (key, row)
                continue
            turn = pace.expected_turn
            rows.append(
                TablePaceRow(
                    **common,
                    party_name=pace.party_name,
                    covers=pace.covers,
                    reservation_id=pace.reservation_id,
                    seated_since_local=pace.seated_since.astimezone(tz),
                    minutes_seated=pace.minutes_seated,
                    stage=pace.stage,
                    stage_label=STAGE_WORDS.get(pace.stage, str(pace.stage)),
                    stage_minutes=stage_minutes,
                    stage_assumed=pace.stage_since is None and pace.stage not in (None, CourseStage.OPENED),
                    expected_turn_min=turn.minutes,
                    turn_source=_source_words(turn),
                    turn_label=turn.label,
                    predicted_free_local=pace.predicted_free_at.astimezone(tz),
                    free_in_minutes=free_in,
                    over_by_minutes=pace.over_by_minutes,
                    note=pace.note,
                )
            )
            kept[table.id] = (key, rows[-1])
        self._row_cache = kept
        return tuple(rows)

    def _next_label(self, nxt: Reservation, held: bool) -> str:
        """"due 20:30" for the party holding the table, else "next 20:30 Smith (2)" (remembered: converting the
        time to the wall clock on every refresh of every table costs more than the rest of the row)."""
        key = (nxt.start, nxt.guest_name, nxt.party_size, held)
        label = self._next_labels.get(key)
        if label is None:
            if len(self._next_labels) > 5000:
                self._next_labels.clear()
            at = hhmm(nxt.start.astimezone(self._tz))
            label = f"due {at}" if held else f"next {at} {_short(nxt.guest_name)} ({nxt.party_size})"
            self._next_labels[key] = label
        return label

    def _arrival(self, f: ArrivalForecast, by_id: Mapping[str, Reservation]) -> ArrivalView:
        res = by_id.get(f.reservation_id)
        return ArrivalView(
            reservation_id=f.reservation_id,
            time_local=service_day.local(f.start, self._tz),
            party_name=f.party_name,
            party_size=f.party_size,
            status=res.status if res else S.BOOKED,
            assigned=f.assigned_tables,
            likely=f.likely_tables,
            likely_at_local=service_day.local(f.likely_at, self._tz) if f.likely_at else None,
            late_by_minutes=f.late_by_minutes,
            warning=f.warning or "",
            note=f.note,
        )

    # --------------------------------------------------------------------------------- timeline

    def _range(self, data: PacingData) -> tuple[datetime, datetime]:
        """The timeline's span: tonight's reservations and the hours around now, on whole hours."""
        now, o = data.now, self.options
        starts = [r.start for r in data.reservations if r.status not in (S.CANCELLED, S.NO_SHOW)]
        first = min([*starts, now - o.timeline_before])
        last = max([*(s + timedelta(hours=2) for s in starts), now + o.timeline_after])
        lo = service_day.local(first, self._tz).replace(minute=0, second=0, microsecond=0)
        hi_local = service_day.local(last, self._tz)
        hi = hi_local.replace(minute=0, second=0, microsecond=0)
        if hi < hi_local:
            hi += timedelta(hours=1)
        window = service_day.service_window(data.day, self._tz, self.settings.service_day_rollover_hour)
        lo = max(lo, service_day.local(window[0], self._tz))
        hi = min(hi, service_day.local(window[1], self._tz))
        return lo, hi

    def _timeline(self, data: PacingData, fp: FloorPace, span: tuple[datetime, datetime]) -> TimelineView:
        lo, hi = span
        tz, now, model = self._tz, data.now, fp.model
        origin = lo.timestamp()
        if self._estimates_model != id(model):
            self._estimates, self._estimates_model = {}, id(model)
            self._bars = {}
        pace_of: dict[str, TablePace] = {}
        for p in fp.paces.values():
            pace_of.setdefault(p.party_key, p)
        bars: list[TimelineBar] = []
        kept: dict[tuple, TimelineBar] = {}
        names = self._names

        def minutes(at: datetime) -> float:
            return (at.timestamp() - origin) / 60

        seen_parties: set[str] = set()
        for r in data.reservations:
            status = r.status
            if status is S.CANCELLED or status is S.NO_SHOW:
                continue
            seen_parties.add(r.id)
            if status is not S.SEATED:  # nothing about it moves with the clock but lateness: cached
                late = status is S.BOOKED and r.start < now
                key = (r.id, status, r.start, r.party_size, r.table_ids, r.guest_name, r.seated_at, r.finished_at,
                       r.duration, origin, late)
                bar = self._bars.get(key)
                if bar is None:
                    bar = self._still_bar(r, model, minutes, late)
                kept[key] = bar
                bars.append(bar)
                continue
            pace = pace_of.get(r.id)
            begin = r.seated_at or r.start
            over = False
            stage = None
            if pace is not None:
                end, over, stage = pace.predicted_free_at, pace.over_by_minutes > 0, pace.stage
            else:
                end = max(begin + self._estimate(model, r.party_size, begin).duration, now)
            bars.append(
                TimelineBar(
                    key=r.id,
                    reservation_id=r.id,
                    table_ids=tuple(t for t in r.table_ids if t in names),
                    label=f"{_short(r.guest_name) or 'Party'} ({r.party_size})",
                    party_size=r.party_size,
                    status=status,
                    start_min=minutes(begin),
                    end_min=minutes(max(end, begin + timedelta(minutes=5))),
                    start_local=begin.astimezone(tz),
                    end_local=end.astimezone(tz),
                    predicted=True,
                    over=over,
                    stage=stage,
                    movable=True,
                )
            )
        self._bars = kept
        for pace in fp.paces.values():  # POS tickets with no party (walk-ins rung straight in)
            if pace.party_key in seen_parties or (pace.reservation_id is not None and pace.reservation_id in seen_parties):
                continue
            seen_parties.add(pace.party_key)
            tables = tuple(p.table_id for p in fp.paces.values() if p.party_key == pace.party_key)
            bars.append(
                TimelineBar(
                    key=f"ticket:{pace.party_key}",
                    reservation_id=None,
                    table_ids=tables,
                    label=f"{pace.party_name or 'Walk-in'} ({pace.covers})",
                    party_size=pace.covers,
                    status=None,
                    start_min=minutes(pace.seated_since),
                    end_min=minutes(max(pace.predicted_free_at, pace.seated_since + timedelta(minutes=5))),
                    start_local=pace.seated_since.astimezone(tz),
                    end_local=pace.predicted_free_at.astimezone(tz),
                    predicted=True,
                    over=pace.over_by_minutes > 0,
                    stage=pace.stage,
                )
            )
        return TimelineView(lo, hi, minutes(now), self._rows, tuple(bars))

    def _still_bar(self, r: Reservation, model: TurnTimeModel, minutes: Callable[[datetime], float],
                   late: bool) -> TimelineBar:
        """The bar of a party that is not seated: booked or arrived (its expected turn from its time), or
        finished (seated to finished)."""
        tz = self._tz
        if r.status is S.FINISHED:
            begin = r.seated_at or r.start
            end = r.finished_at or (begin + r.duration)
            predicted = False
        else:
            begin = r.start
            end = begin + self._estimate(model, r.party_size, begin).duration
            predicted = True
        return TimelineBar(
            key=r.id,
            reservation_id=r.id,
            table_ids=tuple(t for t in r.table_ids if t in self._names),
            label=f"{_short(r.guest_name) or 'Party'} ({r.party_size})",
            party_size=r.party_size,
            status=r.status,
            start_min=minutes(begin),
            end_min=minutes(max(end, begin + timedelta(minutes=5))),
            start_local=begin.astimezone(tz),
            end_local=end.astimezone(tz),
            predicted=predicted,
            movable=r.status in (S.BOOKED, S.ARRIVED),
            late=late,
        )

    def _estimate(self, model: TurnTimeModel, size: int, at: datetime) -> TurnEstimate:
        key = (size, at)
        est = self._estimates.get(key)
        if est is None:
            est = self._estimates[key] = model.estimate_at(max(1, size), at, self._tz)
        return est

    # ------------------------------------------------------------------------------------ covers

    def _covers(self, data: PacingData, lo: datetime, hi: datetime) -> tuple[tuple[CoverSlotView, ...], CoverTotalsView]:
        utc = data.now.tzinfo
        slots = cover_slots(data.reservations, data.tickets, day_start=lo.astimezone(utc), day_end=hi.astimezone(utc),
                            tz=self._tz)
        now_local = data.now.astimezone(self._tz)
        views = []
        for slot in slots:
            slot_end = slot.start_local + timedelta(minutes=15)
            views.append(
                CoverSlotView(
                    slot.start_local,
                    slot.booked,
                    slot.seated,
                    slot.rung_in,
                    now=slot.start_local <= now_local < slot_end,
                    past=slot_end <= now_local,
                )
            )
        window = service_day.service_window(data.day, self._tz, self.settings.service_day_rollover_hour)
        totals = cover_totals(data.reservations, data.tickets, day_start=window[0], day_end=window[1])
        return tuple(views), CoverTotalsView(totals.booked, totals.seated, totals.rung_in)

    # ------------------------------------------------------------------------------------ helpers

    def label(self, table_ids: Iterable[str]) -> str:
        return table_label(table_ids, self._names)


def hhmm(at: datetime) -> str:
    """"19:05": the wall-clock time as the host reads it (no strftime: it imports `time` on every call)."""
    return f"{at.hour:02d}:{at.minute:02d}"


def _seats(lo: int, hi: int) -> str:
    return str(hi) if lo == hi else f"{lo}–{hi}"


@lru_cache(maxsize=4096)
def _short(name: str) -> str:
    """"Ann Smith" → "Smith": the name a manager says; single names and walk-ins stay as they are."""
    name = (name or "").strip()
    if not name or name.lower().startswith("walk"):
        return name
    parts = name.split()
    return parts[-1] if len(parts) > 1 else name


def _plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def _source_words(turn: TurnEstimate) -> str:
    """"learned from 12 visits", "learned from 30 visits (all day parts)", "default"."""
    if turn.source == SOURCE_DEFAULT:
        return "default"
    scope = " (all day parts)" if turn.source != "learned" else ""
    return f"learned from {turn.samples} {_plural(turn.samples, 'visit')}{scope}"


__all__ = [
    "AlertView",
    "ArrivalView",
    "CoverSlotView",
    "CoverTotalsView",
    "FloorPace",
    "KitchenLoadView",
    "PacingData",
    "PacingOptions",
    "PacingQueries",
    "PacingView",
    "STAGE_WORDS",
    "TablePaceRow",
    "TimelineBar",
    "TimelineRow",
    "TimelineView",
    "TurnCell",
    "TurnSourceView",
    "hhmm",
]
