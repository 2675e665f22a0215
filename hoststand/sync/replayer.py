"""The replayer: outbox → vendors, in the background (DESIGN.md §4).

Online, an action leaves a few milliseconds after the host's click; offline, when the API returns. Each
round claims the ready actions (the head of each order key) for every API whose circuit allows it, runs
them concurrently, and settles each one in a transaction together with what it changed in the cache:

- success → done (with the vendor's ids recorded);
- `Unavailable` / `UncertainOutcome` / 5xx → failed, retried with exponential backoff and full jitter;
  uncertain ones are read back from the vendor before any resend;
- `RateLimited` → failed, retried no earlier than the vendor's `Retry-After`;
- `Rejected` → dead, with the vendor's reason; it never blocks the actions behind it;
- `AuthFailed` → failed with a long wait; the health banner asks a person to fix the credentials.

While an API is down, no action is attempted: the runner's prober tests the API with one cheap request at
a time (with backoff), and the queue resumes when it answers. When an API comes back (its health turns *up*),
its failed actions become due at once rather than each sitting out the rest of its backoff.

Waiting: the loop sleeps until the next action it could claim is due (the head of its order key, for an API
that is not down) or until woken (a command enqueued something, an API came back). It never spins on
actions that are due but blocked behind a predecessor or behind a down API.

`drain(timeout, advance)` runs rounds until the queue is empty; it also probes down APIs (through `prober`,
set by the runner) so that a test with a manual clock can heal an API and watch the queue empty.

Crash points for the kill tests (`store.outbox.kill_point`, off unless armed): `claimed` (the claim is
committed, nothing sent yet) and `before_ack` (the vendor answered; inside the acknowledgement's transaction,
before its commit).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from hoststand.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
    UncertainOutcome,
)
from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.domain.model import ActionState, ActionTarget, OutboxAction
from hoststand.store import outbox
from hoststand.store.engine import Store
from hoststand.sync.handlers import HANDLERS, Dead, Done, HandlerContext, NotYet
from hoststand.sync.health import HealthMonitor

log = logging.getLogger(__name__)


def backoff_delay(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's "full jitter"): U(0, min(cap, base·2^n))."""
    return rng.uniform(0, min(cap, base * (2 ** max(0, attempts - 1))))


class Replayer:
    def __init__(
        self,
        ctx: HandlerContext,
        *,
        clock: Clock,
        bus: ChangeBus,
        health: HealthMonitor,
        concurrency: int = 16,
        base_backoff: float = 1.0,
        max_backoff: float = 60.0,
        auth_backoff: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.clock = clock
        self.bus = bus
        self.health = health
        self.concurrency = concurrency
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.auth_backoff = auth_backoff
        self.rng = rng or random.Random()
        self._apis = {ActionTarget.BOOKING: ctx.booking.vendor, ActionTarget.POS: ctx.pos.vendor}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: set[asyncio.Task] = set()
        self._in_flight_by_target: dict[ActionTarget, int] = {t: 0 for t in ActionTarget}
        self.on_settled: Callable[[OutboxAction, str], None] | None = None  # for tests and benchmarks
        # Probes APIs that are down (one request each, when due); set by the runner. Used by `drain`.
        self.prober: Callable[[], Awaitable[None]] | None = None
        self._targets = {api: target for target, api in self._apis.items()}
        self._recovered: set[ActionTarget] = set()
        health.on_recovery(self._on_recovery)

    # ---------------------------------------------------------------------------------- waking up

    def wake(self) -> None:
        """Ask for a round now (thread-safe; called when a command enqueued something or an API came back)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def on_change(self, change: Change) -> None:
        if "outbox" in change.topics or "health" in change.topics:
            self.wake()

    def _on_recovery(self, api: str) -> None:
        target = self._targets.get(api)
        if target is not None:
            self._recovered.add(target)
            self.wake()

    async def _release_recovered(self) -> None:
        """APIs that came back since the last round: their failed actions are due now."""
        while self._recovered:
            target = self._recovered.pop()
            n = await asyncio.to_thread(outbox.release_failed, self.store, target=target, now=self.clock.now())
            if n:
                log.info("%s is back: %d waiting action(s) released", self._apis[target], n)

    # ---------------------------------------------------------------------------------------- loop

    async def run(self, stop: asyncio.Event, idle_poll: float = 1.0) -> None:
        self._loop = asyncio.get_running_loop()
        outbox.recover_in_flight(self.store, now=self.clock.now())
        while not stop.is_set():
            started = await self.step()
            if started:
                continue
            self._wake.clear()
            wait = await asyncio.to_thread(self._seconds_until_due, idle_poll)
            if wait <= 0 and self._running:
                wait = idle_poll  # every free slot is taken: a settling action wakes us
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.001))
            except TimeoutError:
                pass
        await self.join()

    def _seconds_until_due(self, cap: float, *, with_probes: bool = False) -> float:
        """Seconds until something could be started: the next claimable action of an API that is not down,
        or (`with_probes`) the next probe of a down API that has actions waiting. At most `cap`."""
        with self.store.read() as s:
            due = outbox.next_due_by_target(s)
        now = self.clock.now()
        waits = [cap]
        for target, when in due.items():
            api = self._apis[target]
            if self.health.is_down(api):
                if with_probes:
                    probe = self.health.probe_due_in(api)
                    waits.append(cap if probe is None else probe)
                continue
            if self._in_flight_by_target[target] >= self.concurrency:
                continue
            waits.append((when - now).total_seconds())
        return max(0.0, min(waits))

    async def step(self) -> int:
        """Claim and start what is ready now; returns how many actions were started."""
        self._loop = self._loop or asyncio.get_running_loop()
        if self._recovered:
            await self._release_recovered()
        started = 0
        for target, api in self._apis.items():
            free = self.concurrency - self._in_flight_by_target[target]
            if free <= 0:
                continue
            if self.health.is_down(api):
                continue  # the prober tests it with one cheap request; actions wait untouched
            claimed = await asyncio.to_thread(outbox.claim, self.store, now=self.clock.now(), limit=free, target=target)
            for action in claimed:
                self._start(action)
                started += 1
        return started

    def _start(self, action: OutboxAction) -> None:
        self._in_flight_by_target[action.target] += 1
        task = asyncio.create_task(self._run_action(action), name=f"outbox:{action.kind}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def join(self) -> None:
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def drain(self, *, timeout: float = 30.0, advance: Callable[[float], None] | None = None) -> bool:
        """Run rounds until nothing is pending or in flight (True), or `timeout` real seconds pass (False).

        Down APIs are probed when their probe is due (through `prober`). `advance(seconds)` lets a test with
        a manual clock move time forward to the next due action or probe instead of waiting for it.
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.prober is not None and any(self.health.is_down(api) for api in self._apis.values()):
                await self.prober()
            started = await self.step()
            if self._running:
                await asyncio.wait(list(self._running), return_when=asyncio.FIRST_COMPLETED)
                continue
            if started:
                continue
            with self.store.read() as s:
                counts = outbox.counts(s)
            if not any(counts[st] for st in (ActionState.PENDING, ActionState.IN_FLIGHT, ActionState.FAILED)):
                return True
            wait = self._seconds_until_due(60.0, with_probes=self.prober is not None)
            if advance is not None:
                advance(max(wait, 0.05))
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(min(max(wait, 0.01), 0.25))
        return False

    # ------------------------------------------------------------------------------- one action

    async def _run_action(self, action: OutboxAction) -> None:
        api = self._apis[action.target]
        handler = HANDLERS.get(action.kind)
        result = "done"
        try:
            if handler is None:
                await self._settle_dead(action, f"hoststand does not know how to send '{action.kind}'")
                result = "dead"
                return
            outbox.kill_point("claimed")  # test hook: claimed and committed, nothing sent yet
            try:
                outcome = await handler(self.ctx, action)
            except NotYet as exc:
                await self._settle_retry(action, str(exc), delay=5.0, uncertain=False)
                self.health.release_probe(api)
                result = "retry"
                return
            except RateLimited as exc:
                self.health.rate_limited(api)
                await self._settle_retry(action, outbox.RATE_LIMITED, delay=max(exc.retry_after, 0.05), uncertain=False)
                result = "rate_limited"
                return
            except AuthFailed:
                self.health.failure(api, "credentials refused", auth=True)
                await self._settle_retry(action, "credentials refused by the vendor", delay=self.auth_backoff, uncertain=False)
                result = "retry"
                return
            except UncertainOutcome as exc:
                self.health.failure(api, "no answer")
                await self._settle_retry(action, f"no answer from {api} ({exc.message})", delay=None, uncertain=True)
                result = "retry"
                return
            except Unavailable as exc:
                self.health.failure(api, "unreachable")
                await self._settle_retry(action, f"{api} unreachable ({exc.message})", delay=None, uncertain=False)
                result = "retry"
                return
            except Rejected as exc:
                self.health.success(api)  # it answered: the API is up
                await self._settle_dead(action, f"{api} refused it: {exc.reason}")
                result = "dead"
                return
            except ConnectorError as exc:
                self.health.failure(api, type(exc).__name__)
                await self._settle_retry(action, exc.message, delay=None, uncertain=True)
                result = "retry"
                return
            self.health.success(api)
            if isinstance(outcome, Dead):
                await self._settle_dead(action, outcome.reason)
                result = "dead"
            else:
                await self._settle_done(action, outcome)
        except Exception:
            log.exception("outbox action %s (%s) crashed; it will be retried", action.id, action.kind)
            self.health.release_probe(api)
            try:
                await self._settle_retry(action, "internal error; will retry", delay=30.0, uncertain=True)
            except Exception:
                log.exception("could not record the failure of %s", action.id)
            result = "error"
        finally:
            self._in_flight_by_target[action.target] -= 1
            if self.on_settled is not None:
                self.on_settled(action, result)
            self.wake()

    async def _settle_done(self, action: OutboxAction, outcome: Done) -> None:
        now = self.clock.now()

        def write() -> None:
            with self.store.write() as s:
                if outcome.apply is not None:
                    outcome.apply(s)
                outbox.ack(s, action.id, now=now, outcome=outcome.outcome)
                outbox.kill_point("before_ack")  # test hook: the vendor answered; the ack is not committed

        await asyncio.to_thread(write)
        self._publish(action)

    async def _settle_dead(self, action: OutboxAction, reason: str) -> None:
        now = self.clock.now()

        def write() -> None:
            with self.store.write() as s:
                outbox.dead(s, action.id, reason=reason, now=now)

        await asyncio.to_thread(write)
        log.warning("outbox action %s (%s) rejected for good", action.id, action.kind)
        self._publish(action)

    async def _settle_retry(self, action: OutboxAction, error: str, *, delay: float | None, uncertain: bool) -> None:
        if delay is None:
            delay = backoff_delay(action.attempts, base=self.base_backoff, cap=self.max_backoff, rng=self.rng)
        next_at: datetime = self.clock.now() + timedelta(seconds=delay)

        def write() -> None:
            with self.store.write() as s:
                outbox.fail(s, action.id, error=error, next_attempt_at=next_at, uncertain=uncertain)

        await asyncio.to_thread(write)
        self._publish(action)

    def _publish(self, action: OutboxAction) -> None:
        self.bus.publish(
            Change.of(
                "outbox",
                "tickets",
                "tables",
                "reservations",
                reservation_ids=[action.reservation_id] if action.reservation_id else (),
                table_ids=[action.table_id] if action.table_id else (),
            )
        )
