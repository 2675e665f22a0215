"""Benchmarks of the offline fallback (issue 3): replaying a backlog under the POS's rate limit, and checking in
while the POS is down.

- `replay_ratio`: 2,000 tickets queued while the POS was down (each its own `pos.open_ticket` action with its
  own externalId, written through the outbox as a check-in writes them), replayed by the real replayer loop
  once the POS is back, against a sandbox limited to 100 requests per second (`rate_limit` fault): elapsed
  time ÷ the ideal 20 s (2,000 requests at 100 per second). Also `replay_rps` (achieved requests per
  second, every request the replay made counted) and `replay_requests`.
- `replay_429s`: how many 429 answers that replay provoked.
- `offline_checkin_ui_ms`: check-in click → the table drawn seated on the floor plan, with the POS down
  (connection refused), in a real MainWindow under qasync; median over several parties.

The sandboxes run in their own process (`harness.sandbox_process`), on their own real-time clock; the core
follows the same time (a ScaledClock anchored alike), since a replay waits on real seconds (the vendor's
rate-limit slices).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from harness import EVENING, checkin_ui_ms, make_core, sandbox_process, summary

BACKLOG = 2000
LIMIT = 100  # requests per second at the POS


# --------------------------------------------------------------------------------------------- replay


def _queue_backlog(core, n: int) -> list[str]:
    """`n` tickets at the floor's tables, queued for the POS as a check-in queues them (ticket + action)."""
    from hoststand.domain import service_day
    from hoststand.domain.model import ActionTarget, CourseStage, Ticket
    from hoststand.store import outbox, repos

    now = core.clock.now()
    day = service_day.service_date(now, core.settings.tz, core.settings.service_day_rollover_hour)
    tables = [t.id for t in core.layout.tables]
    ids: list[str] = []
    for start in range(0, n, 200):
        with core.store.write() as s:
            for i in range(start, min(n, start + 200)):
                table = tables[i % len(tables)]
                action_id = repos.new_id()
                ticket = Ticket(id=repos.new_id(), table_id=table, reservation_id=None, covers=2, stage=CourseStage.OPENED,
                                external_id=action_id, opened_at=now, tab_name=f"Walk-in {i + 1}")
                repos.save_ticket(s, ticket, business_date=service_day.business_date_int(day))
                outbox.enqueue(
                    s, kind="pos.open_ticket", target=ActionTarget.POS, order_key=f"pos:walk-in:{i}",
                    payload={"ticket_id": ticket.id, "table_id": table, "guests": 2, "business_date": day.isoformat(),
                             "tab_name": ticket.tab_name, "allergy_text": "", "server_guid": None,
                             "first_name": "", "last_name": f"Walk-in {i + 1}", "phone": None, "email": None},
                    now=now, table_id=table, action_id=action_id,
                )
                ids.append(action_id)
    return ids


def bench_replay(backlog: int = BACKLOG, limit: int = LIMIT) -> dict:
    """The backlog replayed by the replayer's own loop (as the app runs it) once the POS answers again."""
    from hoststand.domain.clock import ScaledClock

    with sandbox_process(EVENING) as sb:
        sb.fault("toast", mode="login_limit", per_hour=10_000)
        sb.fault("toast", mode="rate_limit", per_second=limit)
        clock = ScaledClock(EVENING)  # the sandbox's own clock started at EVENING, at about the same moment
        core = make_core(sb, clock, Path(tempfile.mkdtemp(prefix="hoststand-replay-")))
        engine = core.engine

        async def scenario() -> dict:
            await engine.puller.pull_all()  # tables, servers, menu: what the app knows before the outage
            await engine.replayer.drain(timeout=60)  # whatever the pull queued (placeholders)
            ids = set(await asyncio.to_thread(_queue_backlog, core, backlog))
            before = sb.admin("/_sandbox/state")["requests"]["toast"]
            settled: dict[str, str] = {}
            done = asyncio.Event()

            def on_settled(action, result: str) -> None:
                if action.id in ids and result in ("done", "dead"):
                    settled[action.id] = result
                    if len(settled) == len(ids):
                        done.set()

            engine.replayer.on_settled = on_settled
            stop = asyncio.Event()
            t0 = time.perf_counter()
            task = asyncio.create_task(engine.replayer.run(stop))
            await asyncio.wait_for(done.wait(), timeout=600)
            elapsed = time.perf_counter() - t0
            stop.set()
            engine.replayer.wake()
            await task
            after = sb.admin("/_sandbox/state")["requests"]["toast"]
            await engine.booking.aclose()
            await engine.pos.aclose()
            requests = after["total"] - before["total"]
            return {
                "replay_ratio": round(elapsed / (backlog / limit), 3),
                "replay_s": round(elapsed, 2),
                "replay_rps": round(requests / elapsed, 1),
                "replay_requests": requests,
                "replay_429s": after["rate_limited"] - before["rate_limited"],
                "replay_dead": sum(1 for r in settled.values() if r == "dead"),
                "replay_rounds": engine.replayer.rounds,
            }

        figures = asyncio.run(scenario())
        core.store.close()
    return figures


# ---------------------------------------------------------------------------------- offline check-in


def bench_offline_checkin_ui(parties: int = 6) -> dict:
    """Click → seated on the floor plan with the POS refusing connections (the UI never waits for it)."""

    async def pos_down(sb, core) -> None:
        sb.fault("toast", mode="down")
        for _ in range(3):  # the replayer's and the prober's failures open the circuit, as in service
            core.engine.health.failure("toast", "unreachable")
        await asyncio.sleep(0.3)

    def still_down(core) -> None:
        assert core.engine.health.is_down("toast"), "measured while the POS was down"

    s = summary(checkin_ui_ms(parties, pos_down, still_down))
    return {"offline_checkin_ui_ms": round(s["median"], 1), "offline_checkin_ui_ms_max": round(s["max"], 1),
            "offline_checkin_ui_runs": s["runs"]}


BENCHMARKS = {
    "replay": bench_replay,
    "offline_checkin_ui": bench_offline_checkin_ui,
}
