"""Benchmark of the pacing page: recompute and repaint the manager's view of a big floor.

- `pacing_refresh_ms`: recompute the manager's view from a fresh snapshot of the cache (floor state, paces,
  alerts, covers, the timeline: `PacingQueries.view(data)`), apply it to the page's models and widgets and
  repaint the whole page synchronously, offscreen at 1440×800 under the app's style sheet, for 150 tables and 600 reservations, in steady
  state (the arrival forecast from its cache: same minute, or a change less than 10 s after the last one).
  Median of the runs. The read of the cache is not in it: the page reads on its worker thread
  (`pacing_read_ms`).
- `pacing_refresh_cold_ms`: the same with the arrival forecast recomputed (a forced invalidation: the
  manager's own move, or the minute turning); `pacing_refresh_minute_ms`: the minute turned (every seated
  row's cells are drawn again); `pacing_refresh_sync_ms`: read + recompute + apply + repaint in one go on the
  GUI thread (`refresh_now`, used when the page opens and after the manager's own move).
- `pacing_gui_thread_ms`: what the GUI thread does when a background load arrives (apply + repaint).
- The breakdown (`pacing_read_ms`, `pacing_compute_ms`, `pacing_forecast_ms`, `pacing_apply_ms`,
  `pacing_paint_ms`, `pacing_timeline_paint_ms`) says where the time goes.

The floor is synthetic: 150 tables in six rooms (2-, 4-, 6- and 8-tops, some combinable), 600 reservations
for tonight between 17:00 and 22:45 and a fortnight of finished visits to learn turn times from; at 20:00 a
third of tonight has finished, about a hundred parties are seated with tickets at every course stage.

    python tests/benchmarks/run.py --only pacing
    python tests/benchmarks/bench_pacing.py            # this one alone, with the figures
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from harness import qt_app, summary  # noqa: E402

NY = ZoneInfo("America/New_York")
TONIGHT = date(2026, 11, 27)
TABLES = 150
RESERVATIONS = 600


def at(hh: int, mm: int = 0, day: date = TONIGHT) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


NOW = at(20, 0)


def big_layout():
    from hoststand.domain.model import FloorLayout, Section, Table, TableShape

    sections = tuple(Section(f"s{i}", f"Room {i + 1}") for i in range(6))
    sizes = [(1, 2), (2, 4), (2, 4), (4, 6), (5, 8)]
    tables = []
    for n in range(TABLES):
        lo, hi = sizes[n % len(sizes)]
        tid = f"T{n + 1}"
        combo = ()
        if hi <= 4 and n % 2 == 0 and n + 1 < TABLES:
            combo = (f"T{n + 2}",)
        elif hi <= 4 and n % 2 == 1:
            combo = (f"T{n}",)
        tables.append(Table(id=tid, name=str(n + 1), section_id=sections[n % 6].id, min_seats=lo, max_seats=hi,
                            shape=TableShape.SQUARE, x=(n % 15) * 100, y=(n // 15) * 100, combinable_with=combo))
    return FloorLayout(id="big", name="Big room", width=1600, height=1100, sections=sections, tables=tuple(tables))


def fill(store, layout, rng: random.Random) -> None:
    """Tonight's 600 reservations and tickets, and two weeks of finished visits."""
    from hoststand.domain import service_day
    from hoststand.domain.model import CourseStage, Reservation, ReservationStatus as S, Ticket
    from hoststand.store import repos
    from hoststand.sync.puller import FEED_POS_ORDERS

    stages = [CourseStage.OPENED, CourseStage.ORDERED, CourseStage.MAINS, CourseStage.DESSERT,
              CourseStage.CHECK_DROPPED, CourseStage.PAID]
    tables = list(layout.tables)
    busy_until: dict[str, datetime] = {}
    res_rows, tickets = [], []
    starts = sorted(at(17, 0) + timedelta(minutes=rng.randrange(0, 23 * 15)) for _ in range(RESERVATIONS))
    for i, start in enumerate(starts):
        size = rng.choice([2, 2, 2, 3, 4, 4, 5, 6, 8])
        fits = [t for t in tables if t.min_seats <= size <= t.max_seats and busy_until.get(t.id, at(0)) <= start]
        table = rng.choice(fits) if fits and rng.random() > 0.1 else None  # one in ten booked without a table
        turn = timedelta(minutes=rng.randrange(60, 130))
        rid = f"r{i}"
        kw: dict = {}
        status = S.BOOKED
        if start + turn <= NOW and table is not None:
            status = S.FINISHED
            kw = dict(arrived_at=start, seated_at=start + timedelta(minutes=2), finished_at=start + turn)
        elif start <= NOW and table is not None:
            status = S.SEATED
            kw = dict(arrived_at=start, seated_at=start + timedelta(minutes=2))
        elif start <= NOW + timedelta(minutes=5) and rng.random() < 0.3:
            status = S.ARRIVED
            kw = dict(arrived_at=start)
        elif rng.random() < 0.04:
            status = S.CANCELLED
        if table is not None and status is not S.CANCELLED:
            busy_until[table.id] = start + turn
        res = Reservation(id=rid, source="opentable", external_id=f"ot-{i}", party_size=size, start=start,
                          status=status, guest_name=f"Guest{i} Name{i % 37}",
                          table_ids=(table.id,) if table else (), **kw)
        res_rows.append((res, TONIGHT, None))
        if status in (S.SEATED, S.FINISHED):
            seated = kw["seated_at"]
            if status is S.FINISHED:
                stage, closed = CourseStage.CLOSED, kw["finished_at"]
            else:
                elapsed = (NOW - seated) / turn
                stage, closed = stages[min(len(stages) - 1, int(elapsed * len(stages)))], None
            tickets.append((Ticket(id=f"t{i}", table_id=table.id, reservation_id=rid, covers=size, stage=stage,
                                   pos_id=f"p{i}", external_id=f"x{i}", opened_at=seated, closed_at=closed,
                                   stage_since=NOW - timedelta(minutes=rng.randrange(1, 40)) if closed is None else None),
                            service_day.business_date_int(TONIGHT)))
    for d in range(1, 15):  # history to learn from
        day = TONIGHT - timedelta(days=d)
        for j in range(40):
            seated = at(17, 30, day) + timedelta(minutes=rng.randrange(0, 270))
            size = rng.choice([2, 2, 4, 4, 6, 8])
            res = Reservation(id=f"h{d}-{j}", source="opentable", external_id=f"oth-{d}-{j}", party_size=size,
                              start=seated, status=S.FINISHED, guest_name="History", table_ids=(tables[j].id,),
                              arrived_at=seated, seated_at=seated,
                              finished_at=seated + timedelta(minutes=rng.randrange(55, 140)))
            res_rows.append((res, day, None))
    with store.write() as s:
        repos.upsert_reservations(s, res_rows)
        repos.upsert_tickets(s, tickets)
        repos.record_sync(s, FEED_POS_ORDERS, attempt_at=NOW - timedelta(seconds=10), ok=True)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def bench_pacing(runs: int = 60) -> dict:
    app = qt_app()
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from hoststand.domain.clock import ManualClock
    from hoststand.domain.events import ChangeBus
    from hoststand.domain.settings import RestaurantSettings
    from hoststand.services import HostService
    from hoststand.services.pacing import PacingQueries
    from hoststand.store import open_store
    from hoststand.ui import theme
    from hoststand.ui.pacing_page import PacingPage

    work = Path(tempfile.mkdtemp(prefix="hoststand-pacing-"))
    store = open_store(work / "cache.sqlite")
    layout = big_layout()
    fill(store, layout, random.Random(5))
    clock = ManualClock(NOW)
    bus = ChangeBus()
    settings = RestaurantSettings(name="Big room")
    service = HostService(store, layout=layout, settings=settings, clock=clock, bus=bus)
    pacing = PacingQueries(store, layout=layout, settings=settings, clock=clock, bus=bus)
    # the page as the app shows it: under the main window's style sheet (`MainWindow` sets `theme.stylesheet()`,
    # whose rules, e.g. its slim scroll bars, the page inherits), 1440×800
    host = QWidget()
    host.setStyleSheet(theme.stylesheet())
    QVBoxLayout(host).setContentsMargins(0, 0, 0, 0)
    page = PacingPage(pacing, service)
    host.layout().addWidget(page)
    host.resize(1440, 800)
    host.show()
    for _ in range(3):
        app.processEvents()
    page.refresh_now()  # first refresh: learns turn times from the history (read once), warms caches
    page.repaint()
    app.processEvents()

    gc.collect()
    gc.freeze()  # as the app does once its window is up (app.tune_runtime)

    data0 = pacing.read()
    view0 = pacing.view(data0)
    assert len(view0.tables) == TABLES and sum(1 for b in view0.timeline.bars) >= RESERVATIONS * 0.9, "floor too small"

    cpu: dict[bool, list[float]] = {False: [], True: []}

    def measure(cold: bool) -> list[float]:
        """Recompute (from a fresh snapshot of the cache) and repaint; the read itself is not counted here
        (the page reads on its worker thread). Wall time; the process's CPU time is kept beside it (on a shared
        machine, other processes inflate the wall time)."""
        out = []
        for _ in range(runs):
            data = pacing.read()
            if cold:
                pacing.invalidate(force=True)
            c0 = time.process_time()
            t0 = time.perf_counter()
            page.set_view(pacing.view(data, timeline=False))
            page.repaint()
            out.append(_ms(t0))
            cpu[cold].append((time.process_time() - c0) * 1000)
        return out

    steady = measure(cold=False)
    cold = measure(cold=True)

    sync = []  # everything on one thread: read + recompute + apply + repaint (refresh_now)
    for _ in range(runs):
        t0 = time.perf_counter()
        page.refresh_now()
        page.repaint()
        sync.append(_ms(t0))

    read, compute, forecast, apply, paint = [], [], [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        data = pacing.read()
        read.append(_ms(t0))
        t0 = time.perf_counter()
        view = pacing.view(data, timeline=False)
        compute.append(_ms(t0))
        fp = pacing.floor_pace(data)
        pacing.invalidate(force=True)
        t0 = time.perf_counter()
        pacing.arrivals(fp)
        forecast.append(_ms(t0))
        t0 = time.perf_counter()
        page.set_view(view)
        apply.append(_ms(t0))
        t0 = time.perf_counter()
        page.repaint()
        paint.append(_ms(t0))

    gui = [a + b for a, b in zip(apply, paint, strict=True)]
    minute_turn = []  # the minute turns: minutes seated change on every occupied row (cells drawn again)
    for _ in range(runs // 3):
        clock.advance(timedelta(minutes=1))
        data = pacing.read()
        t0 = time.perf_counter()
        page.set_view(pacing.view(data, timeline=False))
        page.repaint()
        minute_turn.append(_ms(t0))
    clock.set(NOW)

    page.show_view(1)
    for _ in range(3):
        app.processEvents()
    timeline_paint, timeline_refresh = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        page.repaint()
        timeline_paint.append(_ms(t0))
        data = pacing.read()
        t0 = time.perf_counter()
        page.set_view(pacing.view(data))
        page.repaint()
        timeline_refresh.append(_ms(t0))

    host.close()
    pacing.close()
    store.close()
    gc.unfreeze()

    figures = {
        "pacing_refresh_ms": statistics.median(steady),
        "pacing_refresh_max_ms": max(steady),
        "pacing_refresh_cpu_ms": statistics.median(cpu[False]),
        "pacing_refresh_cold_ms": statistics.median(cold),
        "pacing_refresh_cold_cpu_ms": statistics.median(cpu[True]),
        "pacing_refresh_minute_ms": statistics.median(minute_turn),
        "pacing_refresh_sync_ms": statistics.median(sync),
        "pacing_gui_thread_ms": statistics.median(gui),
        "pacing_timeline_refresh_ms": statistics.median(timeline_refresh),
        "pacing_read_ms": statistics.median(read),
        "pacing_compute_ms": statistics.median(compute),
        "pacing_forecast_ms": statistics.median(forecast),
        "pacing_apply_ms": statistics.median(apply),
        "pacing_paint_ms": statistics.median(paint),
        "pacing_timeline_paint_ms": statistics.median(timeline_paint),
        "pacing_floor": f"{TABLES} tables, {RESERVATIONS} reservations, {runs} runs",
    }
    for name, values in (("recompute+repaint (steady)", steady), ("  same, CPU time", cpu[False]),
                         ("recompute+repaint (cold)", cold), ("  same, CPU time", cpu[True]),
                         ("recompute+repaint (minute)", minute_turn), ("read+all (refresh_now)", sync),
                         ("GUI thread (apply+paint)", gui), ("read", read), ("compute", compute),
                         ("forecast", forecast), ("apply", apply), ("paint (now)", paint),
                         ("paint (timeline)", timeline_paint), ("recompute+repaint (timeline)", timeline_refresh)):
        s = summary(values)
        print(f"  {name:<30} median {s['median']:7.2f} ms   max {s['max']:7.2f} ms   min {s['min']:7.2f} ms",
              flush=True)
    return figures


BENCHMARKS = {"pacing": bench_pacing}


if __name__ == "__main__":
    for key, value in bench_pacing().items():
        print(f"{key:<30} {value}")
