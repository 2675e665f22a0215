"""Kill tests (issue 3, "Tests"): the host stand's process, SIGKILLed at each dangerous moment and restarted,
loses no action and sends none twice; the cache stays intact.

Each cycle is a real subprocess (tests/chaos/kill_child.py: open the cache, pull, let the host act, replay)
with one crash point armed (`store.outbox.kill_point`); the next cycle restarts on what the killed one left.
The points, and what "killed there" means:

- `command`:    inside the host's command transaction (check-in, arrival, cancel, move, resize, undo), with
                some of its rows written but not committed: nothing of it may survive;
- `claimed`:    after the claim committed, before the request is sent;
- `applied`:    the vendor applied the change and answered, before hoststand read the answer;
- `before_ack`: hoststand read the answer, inside the acknowledgement's transaction, before its commit;
- `pull`:       during a pull: at a page's answer, or inside one of the pull's transactions before its commit.

After at least `KILLS` kills at a point (20 in CI), a last clean cycle drains the queue, and the vendors' books
are held against the cache (tests/chaos/truth.py): every action settled and applied exactly once (or dead
with a reason, or cancelled before it was sent and never applied), no party with two open orders, and
`PRAGMA integrity_check` = ok after every kill. Every command the journal says was accepted has its actions
in the cache. The kill counts per point are printed.

The sandboxes run in this process on their own real-time clock (the worker follows it with the same anchor);
their rate limits are lifted, so a cycle never waits on a real-time second.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from hoststand.sandbox.server import SandboxServer, SeedOptions
from hoststand.store import open_store

from tests.chaos import kill_child, truth
from tests.chaos.rig import LIFTED, OPENING, ROOT, TZ

pytestmark = pytest.mark.chaos

KILLS = int(os.environ.get("HOSTSTAND_KILLS_PER_POINT", "20"))
POINTS = [p for p in ["command", "claimed", "applied", "before_ack", "pull"] if p in os.environ.get("HOSTSTAND_KILL_POINTS", "command,claimed,applied,before_ack,pull").split(",")]
NTH = {"command": (1, 2), "claimed": (1, 3), "applied": (1, 3), "before_ack": (1, 3), "pull": (1, 12)}


@pytest.fixture(scope="module")
def forkserver():
    """A fork server that has imported everything a life needs (Python 3.11's fork server ignores the
    parent's sys.path, so the project root goes in through PYTHONPATH while it starts)."""
    from multiprocessing import forkserver as fs  # noqa: PLC0415

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.chaos.kill_child"])
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved]))
    try:
        fs.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return ctx


@pytest.fixture(scope="module")
def sandbox():
    srv = SandboxServer(booking="opentable", pos="toast", seed=SeedOptions(now=OPENING, timezone=TZ, seed=7),
                        start=OPENING, speed=1.0)
    srv.start()
    yield srv
    srv.stop()


def _lift(srv: SandboxServer) -> None:
    for api in ("toast", "opentable"):
        srv.set_fault(api, "up")
        srv.set_fault(api, "rate_limit", per_second=LIFTED)
    srv.set_fault("toast", "login_limit", per_hour=100_000)


def _worker_config(srv: SandboxServer, cache: Path) -> dict:
    clock = srv.own_clock.describe()
    ot, toast = srv.credentials["opentable"], srv.credentials["toast"]
    return {
        "cache": str(cache),
        "layout": str(ROOT / "resources" / "floorplans" / "bistro.json"),
        "restaurant": "The Corner Bistro",
        "timezone": TZ,
        "booking": {"kind": "opentable", "base_url": srv.urls["opentable"], "client_id": ot["client_id"],
                    "client_secret": ot["client_secret"], "rid": ot["rid"]},
        "pos": {"kind": "toast", "base_url": srv.urls["toast"], "client_id": toast["client_id"],
                "client_secret": toast["client_secret"], "restaurant_guid": toast["restaurant_guid"]},
        "clock_start": clock["start"].replace("Z", "+00:00"),
        "clock_anchor": clock["anchor_wall"],
        "clock_speed": clock["factor"],
        "drain_timeout": 30.0,
        "read_timeout": 5.0,
        "base_backoff": 0.05,
        "max_backoff": 0.5,
        "probe_base": 0.05,
        "probe_max": 0.2,
    }


def truth_layout():
    from hoststand.app import load_layout  # noqa: PLC0415

    return load_layout(ROOT / "resources" / "floorplans" / "bistro.json")


def _integrity(cache: Path) -> str:
    conn = sqlite3.connect(cache)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:] if path.exists() else "(no log)"


def _close_a_check(srv: SandboxServer, rng: random.Random) -> None:
    """Between lives, a party pays: the server closes one of the open orders we opened."""
    orders = [o for o in srv.state()["toast"]["orders"]
              if str(o.get("externalId") or "").startswith(truth.PREFIX) and truth._live(o)]
    if orders:
        guid = rng.choice(orders)["guid"]
        httpx.post(f"{srv.urls['admin']}/_sandbox/toast/orders/{guid}/close", json={}, timeout=10).raise_for_status()


@pytest.mark.parametrize("point", POINTS)
def test_a_process_killed_at_this_point_loses_nothing_and_sends_nothing_twice(point, sandbox, forkserver, tmp_path):
    srv = sandbox
    srv.reset(now=OPENING)
    _lift(srv)
    cache, journal = tmp_path / "cache.sqlite", tmp_path / "journal.jsonl"
    rng = random.Random(f"kill:{point}")
    config = _worker_config(srv, cache)
    kills = misses = cycles = 0
    started = time.perf_counter()
    while kills < KILLS:
        cycles += 1
        assert cycles <= KILLS * 3, f"only {kills} kills at {point!r} in {cycles - 1} cycles: the point is rarely reached"
        log = tmp_path / f"cycle-{cycles}.log"
        job = {"worker": config, "point": point, "nth": rng.randint(*NTH[point]), "commands": 3,
               "seed": rng.randrange(1 << 30), "journal": str(journal), "log": str(log), "pull_first": cycles % 2 == 1}
        proc = forkserver.Process(target=kill_child.cycle, args=(job,), name=f"kill-{point}-{cycles}")
        proc.start()
        proc.join(60)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
            pytest.fail(f"cycle {cycles} ({point}) hung for 60 s:\n{_tail(log)}")
        if proc.exitcode == -signal.SIGKILL:
            kills += 1
            assert "kill point" in _tail(log), f"cycle {cycles} was SIGKILLed, but not by its armed point:\n{_tail(log)}"
            assert _integrity(cache) == "ok", f"after kill {kills} at {point!r}: PRAGMA integrity_check = {_integrity(cache)}"
            if point == "command":
                _assert_command_left_nothing(cache, journal, kills)
        elif proc.exitcode == 0:
            misses += 1  # the point was not reached this time (e.g. nothing to send)
        else:
            pytest.fail(f"cycle {cycles} ({point}) exited with {proc.exitcode}:\n{_tail(log)}")
        if cycles % 3 == 0:
            _close_a_check(srv, rng)

    # The last life: nothing armed, the queue drains.
    log = tmp_path / "final.log"
    job = {"worker": config, "point": None, "nth": 1, "commands": 0, "seed": 0, "journal": str(journal), "log": str(log)}
    proc = forkserver.Process(target=kill_child.cycle, args=(job,))
    proc.start()
    proc.join(90)
    assert proc.exitcode == 0, f"the last, clean process did not drain the queue (exit {proc.exitcode}):\n{_tail(log)}"
    assert _integrity(cache) == "ok"

    store = open_store(cache)
    try:
        view = truth.read_cache(store)
        found, known = truth.check(store, srv.state(), truth_layout())
    finally:
        store.close()
    queued = {a.id for a in view.actions}
    accepted = [e for e in _journal(journal) if e["phase"] == "after" and e["ok"]]
    lost = [(e["kind"], a) for e in accepted for a in e["actions"] if a not in queued]
    assert not lost, f"actions of accepted commands are missing from the cache: {lost}"
    assert not found, f"after {kills} kills at {point!r}:\n  " + "\n  ".join(found)
    print(f"\nkill point {point!r}: {kills} kills in {cycles} lives ({misses} not reached), "
          f"{len(view.actions)} actions, {len(accepted)} accepted commands, {time.perf_counter() - started:.1f} s; "
          f"{truth.vendor_counts(srv.state())}")
    if known:
        print(truth.known_report(known))


def _assert_command_left_nothing(cache: Path, journal: Path, kills: int) -> None:
    """The killed command's transaction left no trace: the cache is as its "before" line describes."""
    entries = _journal(journal)
    assert entries and entries[-1]["phase"] == "before", (
        f"kill {kills} at 'command': the journal does not end inside a command: {entries[-2:]}"
    )
    last = entries[-1]
    store = open_store(cache)
    try:
        now = kill_child.snapshot(store, last["party"])
    finally:
        store.close()
    assert now == last["snapshot"], (
        f"kill {kills} inside a {last['kind']} command left part of it behind:\n before: {last['snapshot']}\n after:  {now}"
    )
