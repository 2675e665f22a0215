"""Outage soak in accelerated time (issue 3, "Tests"): a whole service of 2,000 host actions over 300 reservations
through more than 50 outages of the POS, the booking platform or both; nothing lost, nothing sent twice, and
the queue empty within one simulated minute of the last heal.

The night runs on a manual clock (the sandboxes, in their own process, follow it): between the host's actions
the clock moves on by seconds to minutes, the replayer runs a round (as it does a few milliseconds after each
click), the puller pulls every few minutes, and servers close checks as parties finish. Outages come and go on
a fixed-seed schedule: an API (or both) refuses connections, and in between one
answers errors or loses responses now and then (one to eight minutes down, half a minute to three up). The host keeps working throughout: every accepted command
shows at once.

At the end both APIs heal; from that moment the queue must be empty within 60 simulated seconds (the probe
backoff is capped at 15 s and a returning API releases its waiting actions at once). The vendors' books are
then held against the queue (tests/chaos/truth.py). Figures (actions, outages, real and simulated time) are
printed.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from hoststand.store import outbox, repos

from tests.chaos import truth
from tests.chaos.rig import OPENING, open_rig

pytestmark = pytest.mark.chaos

ACTIONS = int(os.environ.get("HOSTSTAND_SOAK_ACTIONS", "2000"))
OUTAGES = int(os.environ.get("HOSTSTAND_SOAK_OUTAGES", "50"))
EXTRA_RESERVATIONS = 240  # + the demo night's ~60 = ~300
EXTRA_TABLES = 44
NOISE = [
    {"mode": "error", "status": 503, "rate": 0.3, "count": 6},
    {"mode": "lose_response", "count": 2},
    {"mode": "error", "status": 500, "rate": 1.0, "count": 2},
]


@pytest.fixture(scope="module")
def rig():
    r = open_rig(start=OPENING.replace(hour=16, minute=0), extra_reservations=EXTRA_RESERVATIONS,
                 extra_tables=EXTRA_TABLES, read_timeout=1.0)
    yield r
    r.close()


@pytest.mark.timeout(1200)  # minutes by design (the suite-wide limit is 300 s)
def test_a_night_of_outages_loses_nothing_and_sends_nothing_twice(rig):
    core = rig.fresh()
    service, engine, store, clock = core.service, core.engine, core.store, rig.clock
    rng = random.Random(20261127)
    with store.read() as s:
        day = repos.latest_service_date(s)
        by_id = {r.id: r for r in repos.reservations_for_day(s, day)}
        parties = list(by_id)
    tables = [t.id for t in core.layout.tables]
    assert len(parties) >= 300, f"the soak needs 300 reservations, the sandbox seeded {len(parties)}"
    seeded = len(parties)

    def reload_parties() -> None:
        """New online bookings reach the cache with a pull: the host can act on them from then on."""
        with store.read() as s:
            for r in repos.reservations_for_day(s, day):
                if r.id not in by_id:
                    by_id[r.id] = r
                    parties.append(r.id)

    booked_online = 0

    def book_online(n: int) -> None:
        """Guests keep booking for later tonight on OpenTable's own site (a full night never runs out of parties)."""
        nonlocal booked_online
        for _ in range(n):
            booked_online += 1
            when = clock.now() + timedelta(minutes=rng.choice([30, 45, 60, 75, 90]))
            rig.sandbox.post("/_sandbox/opentable/reservations", {
                "action": "create", "scheduled_time": when.astimezone(OPENING.tzinfo).replace(tzinfo=None).isoformat(timespec="minutes"),
                "party_size": rng.randint(2, 6),
                "guest": {"first_name": "Soak", "last_name": f"Guest {booked_online}", "phone": f"+1212555{booked_online:04d}"},
            })

    def floor() -> tuple[dict[str, str], set[str]]:
        """Each party's status, and the tables seated parties occupy (one cheap query, as a glance at the floor)."""
        with store.read() as s:
            rows = s.connection().execute(text("SELECT id, status, table_ids FROM reservation")).all()
        taken = {t for _, status, tables in rows if status == "seated" for t in json.loads(tables or "[]")}
        return {rid: status for rid, status, _ in rows}, taken

    def open_checks() -> list[str]:
        with store.read() as s:
            return [t.pos_id for t in repos.live_tickets(s) if t.pos_id and not t.placeholder]

    accepted = outages = 0
    by_kind: dict[str, int] = {}
    attempts: dict[str, int] = {}  # (kind: result) → how many attempts ended so
    engine.replayer.on_settled = lambda a, result: attempts.__setitem__(f"{a.kind}: {result}", attempts.get(f"{a.kind}: {result}", 0) + 1)
    down: set[str] = set()
    outage_ends = clock.now()
    next_outage = clock.now() + timedelta(minutes=rng.uniform(1, 5))
    last_pull = clock.now()
    started = time.perf_counter()
    # One outage (or a quiet spell) at a time; the schedule packs OUTAGES of them into the evening.
    spacing = 2000 / max(ACTIONS, 1)
    idle = 0  # rounds in a row in which the host could do nothing
    while accepted < ACTIONS or outages < OUTAGES:
        assert idle < 200, f"the soak ran out of things for the host to do after {accepted} actions ({by_kind})"
        clock.advance(rng.uniform(3, 20) * spacing)
        now = clock.now()
        accepted_before = accepted

        # outages: start one when its time comes, end it when it has lasted
        if down and now >= outage_ends:
            for api in down:
                rig.heal(api)
            down = set()
            next_outage = now + timedelta(minutes=rng.uniform(0.5, 3))
            if rng.random() < 0.5:  # a flaky spell before the next outage
                api = rng.choice(["toast", "opentable"])
                rig.fault(api, **rng.choice(NOISE))
        elif not down and now >= next_outage and outages < OUTAGES:
            down = {"toast", "opentable"} if rng.random() < 0.25 else {rng.choice(["toast", "opentable"])}
            for api in down:
                rig.fault(api, "down")
            outages += 1
            outage_ends = now + timedelta(minutes=rng.uniform(1, 8))

        # the host: one to three actions
        for _ in range(rng.randint(1, 3)):
            if accepted >= ACTIONS:
                break
            st, taken = floor()
            free = [t for t in tables if t not in taken]
            kind = rng.choices(["check_in", "arrive", "move", "resize", "undo", "cancel", "no_show"],
                               weights=[6, 3, 2, 2, 2, 1, 1])[0]
            wanted = {"check_in": ("booked", "arrived"), "arrive": ("booked",), "move": ("seated", "booked"),
                      "resize": ("booked", "arrived", "seated"), "cancel": ("booked", "arrived"),
                      "no_show": ("booked", "arrived"), "undo": None}[kind]
            pool = [p for p in parties if wanted is None or st.get(p) in wanted]
            if wanted is not None and not pool:
                continue
            party = rng.choice(pool) if pool else None
            if kind == "check_in":  # at its own table when free, else at a free one (as a host would choose)
                own = [t for t in by_id[party].table_ids] if party in by_id else []
                if own and not set(own) & taken:
                    result = service.check_in(party)
                elif free:
                    result = service.check_in(party, (rng.choice(free),))
                else:
                    continue
            elif kind == "arrive":
                result = service.mark_arrived(party)
            elif kind == "move":
                if not free:
                    continue
                result = service.move(party, (rng.choice(free),))
            elif kind == "resize":
                result = service.resize(party, rng.randint(1, 8))
            elif kind == "cancel":
                result = service.cancel(party)
            elif kind == "no_show":
                result = service.no_show(party)
            else:
                result = service.undo()
            if result.ok:
                accepted += 1
                by_kind[kind] = by_kind.get(kind, 0) + 1

        # the restaurant: a party pays now and then (only while the POS is up: its terminal syncs later)
        if "toast" not in down and rng.random() < 0.15:
            checks = open_checks()
            if checks:
                rig.close_order(rng.choice(checks))

        idle = 0 if accepted > accepted_before else idle + 1

        # the app in the background
        rig.run(_round(engine))
        if (now - last_pull).total_seconds() >= 300:  # (the app pulls every 15 s; accelerated, every 5 minutes)
            st, _ = floor()
            if sum(status in ("booked", "arrived") for status in st.values()) < 40 and "opentable" not in down:
                book_online(4)
            rig.run(engine.puller.pull_all())
            reload_parties()
            last_pull = now

    # the last heal; from here the queue must empty within a simulated minute
    for api in ("toast", "opentable"):
        rig.heal(api)
    healed_at = clock.now()
    drained = rig.run(engine.replayer.drain(timeout=120, advance=clock.advance))
    emptied_after = (clock.now() - healed_at).total_seconds()
    with store.read() as s:
        left = outbox.unsettled(s)
    assert drained and not left, f"{len(left)} action(s) still queued {emptied_after:.0f} s after the last heal: {left[:5]}"
    assert emptied_after <= 60, f"the queue took {emptied_after:.0f} simulated seconds to empty after the last heal"

    rig.run(engine.puller.pull_all())  # checks closed meanwhile finish their parties
    assert rig.run(engine.replayer.drain(timeout=60, advance=clock.advance))
    state = rig.sandbox.state()
    view = truth.read_cache(store)
    found, known = truth.check(store, state, core.layout)
    elapsed = time.perf_counter() - started
    counts = {k.value: v for k, v in _counts(store).items() if v}
    print(f"\noutage soak: {accepted} host actions {by_kind} over {len(parties)} reservations ({seeded} seeded, "
          f"{booked_online} booked online during the night), {outages} outages, "
          f"{len(view.actions)} queued actions ({counts}); {elapsed:.1f} s real for "
          f"{(clock.now() - rig.start).total_seconds() / 3600:.1f} h simulated; queue empty {emptied_after:.0f} s "
          f"(simulated) after the last heal; {truth.vendor_counts(state)}; attempts {attempts}")
    dead_reasons: dict[str, int] = {}
    for a in view.actions:
        if a.state == "dead":
            reason = f"{a.kind}: {(a.last_error or '')[:90]}"
            dead_reasons[reason] = dead_reasons.get(reason, 0) + 1
    print("refused for good:", dead_reasons)
    if known:
        print(truth.known_report(known))
    assert not found, f"after the soak ({len(found)} problems):\n  " + "\n  ".join(found[:40])
    assert accepted >= ACTIONS and outages >= OUTAGES


async def _round(engine) -> None:
    await engine.probe_due()
    await engine.replayer.step()
    await engine.replayer.join()


def _counts(store):
    with store.read() as s:
        return outbox.counts(s)
