"""One life of the host-stand process in the kill tests: what runs in each real subprocess before it is killed.

A cycle opens the cache (recovering what the previous, killed process left in flight), pulls as the app
does at start-up, lets the host act (a few commands picked from tonight's book, each journaled before and
after), and replays the queue until it is empty. One crash point is armed (`store.outbox.kill_point`); when
the process reaches it for the `nth` time it is SIGKILLed right there. Nothing else is changed for the test:
this is the real cache, the real commands, the real replayer and adapters over real loopback HTTP.

The journal (JSON lines, fsynced) lets the test check the command point: before each command it records the
cache's counts (queue, audit, undo, tickets) and the party's row; after it, the outcome and the ids of the
actions the command queued. A process killed inside a command's transaction must leave the cache exactly
as the last "before" line describes.

The test runs cycles through a fork server that imported all of this once (`multiprocessing` "forkserver"
with this module preloaded), so a cycle costs milliseconds to start instead of seconds of imports.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from typing import Any

from sqlalchemy import text

from hoststand.domain.model import ReservationStatus
from hoststand.services.commands import HostCommands
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.sync import worker

S = ReservationStatus
worker.ssl_context()  # made once in the fork server: every life inherits it instead of building its own


def snapshot(store: Store, reservation_id: str | None) -> dict[str, Any]:
    """What a command may change: the row counts it adds to and the party's own row."""
    with store.read() as s:
        conn = s.connection()
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("outbox", "audit", "undo", "ticket")}
        counts["outbox_max_seq"] = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM outbox")).scalar()
        row = None
        if reservation_id:
            r = conn.execute(
                text("SELECT status, table_ids, party_size, cover_override FROM reservation WHERE id = :id"), {"id": reservation_id}
            ).first()
            row = list(r) if r else None
    return {"counts": counts, "party": row}


def _journal(path: str, entry: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _new_actions(store: Store, after_seq: int) -> list[str]:
    with store.read() as s:
        return [r[0] for r in s.connection().execute(text("SELECT id FROM outbox WHERE seq > :s ORDER BY seq"), {"s": after_seq})]


def _act(commands: HostCommands, store: Store, rng: random.Random, journal: str, n: int) -> None:
    """`n` host commands, picked like a host on a busy evening would, each journaled."""
    with store.read() as s:
        day = repos.latest_service_date(s)
        parties = sorted(repos.reservations_for_day(s, day), key=lambda r: (r.start, r.id))
    tables = [t.id for t in commands.layout.tables]
    done = 0
    for _ in range(n * 6):
        if done >= n:
            return
        kind = rng.choice(["check_in", "check_in", "check_in", "arrive", "cancel", "move", "undo", "resize"])
        wanted = {
            "check_in": (S.BOOKED, S.ARRIVED), "arrive": (S.BOOKED,), "cancel": (S.BOOKED, S.ARRIVED),
            "move": (S.SEATED,), "resize": (S.BOOKED, S.ARRIVED, S.SEATED), "undo": None,
        }[kind]
        with store.read() as s:
            fresh = {p.id: repos.get_reservation(s, p.id) for p in parties}
        pool = [r for r in fresh.values() if r is not None and (wanted is None or r.status in wanted)]
        if kind == "check_in":
            pool = [r for r in pool if r.table_ids]
        if wanted is not None and not pool:
            continue
        party = rng.choice(pool) if pool else None
        before = snapshot(store, party.id if party else None)
        _journal(journal, {"phase": "before", "kind": kind, "party": party.id if party else None, "snapshot": before})
        if kind == "check_in":
            result = commands.check_in(party.id)
        elif kind == "arrive":
            result = commands.mark_arrived(party.id)
        elif kind == "cancel":
            result = commands.cancel(party.id) if rng.random() < 0.7 else commands.no_show(party.id)
        elif kind == "move":
            result = commands.move(party.id, (rng.choice(tables),))
        elif kind == "resize":
            result = commands.resize(party.id, rng.randint(1, 8))
        else:
            result = commands.undo()
        _journal(journal, {"phase": "after", "kind": kind, "ok": result.ok, "message": result.message,
                           "actions": _new_actions(store, before["counts"]["outbox_max_seq"])})
        done += result.ok


async def _cycle(job: dict[str, Any]) -> int:
    point, nth = job.get("point"), int(job.get("nth") or 1)
    config = worker.WorkerConfig.from_dict(job["worker"])
    if point and point != "command":
        config.kill_at = f"{point}:{nth}"
    w = await worker.open_worker(config)
    try:
        if point == "pull":
            # Half the lives die in the start-up pull (tables, servers, menu, tonight's book, orders); the others
            # live a little first (pull, act, replay) so that the pull that is killed has something to bring in:
            # checks closed meanwhile finish their parties, queueing statuses inside the pull's transactions.
            if job.get("pull_first"):
                outbox.arm_kill_point("pull", nth)
                await w.pull()
                outbox.disarm_kill_points()
                return 0 if await w.replay() else 3
            outbox.disarm_kill_points()
            await w.pull()
            if job.get("commands"):
                commands = HostCommands(w.store, layout=w.layout, settings=w.settings, clock=w.clock, bus=w.bus)
                _act(commands, w.store, random.Random(job["seed"]), job["journal"], int(job["commands"]))
            await w.replay()
            outbox.arm_kill_point("pull", nth)
            await w.pull()
            outbox.disarm_kill_points()
            return 0 if await w.replay() else 3
        await w.pull()
        if job.get("commands"):
            commands = HostCommands(w.store, layout=w.layout, settings=w.settings, clock=w.clock, bus=w.bus)
            if point == "command":
                outbox.arm_kill_point("command", nth)
            _act(commands, w.store, random.Random(job["seed"]), job["journal"], int(job["commands"]))
            outbox.disarm_kill_points()
            if point and point != "command":
                outbox.arm_kill_point(point, nth)  # still armed for the replay (disarm cleared it)
        drained = await w.replay()
    finally:
        await w.close()
    return 0 if drained else 3


def cycle(job: dict[str, Any]) -> None:
    """The subprocess's entry point. stderr goes to `job["log"]` so the test can show it on failure."""
    fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.dup2(fd, 1)
    outbox.disarm_kill_points()
    sys.exit(asyncio.run(_cycle(job)))

