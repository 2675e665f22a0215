"""The replayer: outbox → vendors, in the background (DESIGN.md §4).

Online, an action leaves a few milliseconds after the host's click; offline, when the API returns. Each
round claims the ready actions (the head of each order key) for every API whose circuit allows it, runs
them concurrently, and settles each one together with what it changed in the cache:

- success → done (with the vendor's ids recorded);
- `Unavailable` / `UncertainOutcome` / 5xx → failed, retried with exponential backoff and full jitter;
  uncertain ones are read back from the vendor before any resend;
- `RateLimited` → failed, retried no earlier than the vendor's `Retry-After`;
- `Rejected` → dead, with the vendor's reason; it never blocks the actions behind it;
- `AuthFailed` → failed with a long wait; the health banner asks a person to fix the credentials.

One transaction per round (group commit): the settlements of every action that finished since the last
round, then the claim of what is ready now. With `synchronous=FULL` each commit is an fsync, so a busy
replay pays one per round instead of two per action; an action's successor (same order key) is claimed in
the very transaction that settles it. A process killed between an action's answer and that commit leaves
it in flight: it is recovered as uncertain and read back from the vendor before anything is re-sent.

While an API is down, no action is attempted: the runner's prober tests the API with one cheap request at
a time (with backoff), and the queue resumes when it answers. When an API comes back (its health turns *up*),
its failed actions become due at once rather than each sitting out the rest of its backoff.

Waiting: the loop sleeps until the next action it could claim is due (the head of its order key, for an API
that is not down) or until woken (a command enqueued something, an action finished, an API came back). It
never spins on actions that are due but blocked behind a predecessor or behind a down API.

`drain(timeout, advance)` runs rounds until the queue is empty; it also probes down APIs (through `prober`,
set by the runner) so that a test with a manual clock can heal an API and watch the queue empty.

Handlers ask two questions of every action: which POS table a layout table is, and whether the action's last
attempt may have landed. The replayer answers both without a database round trip on the event loop (the
table identity is read at most once a second and again whenever the POS's tables may have changed; the
uncertainty comes with the claim), so a replay after an outage is limited by the vendor, not by us.

Crash points for the kill tests (`store.outbox.kill_point`, off unless armed): `claimed` (the claim is
committed, nothing sent yet) and `before_ack` (the vendor answered; inside the acknowledgement's transaction,
before its commit).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlmodel import Session

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
from hoststand.sync.handlers import HANDLERS, Dead, Done, HandlerContext, NotYet
from hoststand.sync.health import HealthMonitor
from hoststand.sync.tables import TableIdentity

log = logging.getLogger(__name__)

IDENTITY_MAX_AGE = 1.0  # seconds a table identity is reused without reading the POS's tables again


class ReplayContext(HandlerContext):
    """The handlers' context as the replayer gives it: `identity()` cached briefly, `uncertain()` from the claim."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003 (the dataclass fields of HandlerContext)
        super().__init__(**kwargs)
        self._identity: tuple[float, TableIdentity] | None = None
        self._uncertain: dict[str, bool] = {}

    @classmethod
    def of(cls, ctx: HandlerContext) -> ReplayContext:
        if isinstance(ctx, cls):
            return ctx
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(ctx) if f.init})

    def identity(self) -> TableIdentity:
        cached = self._identity
        if cached is not None and time.monotonic() - cached[0] < IDENTITY_MAX_AGE:
            return cached[1]
        identity = super().identity()
        if identity.pos_known:  # "not loaded yet" is not worth remembering
            self._identity = (time.monotonic(), identity)
        return identity

    def forget_identity(self) -> None:
        self._identity = None

    def uncertain(self, action: OutboxAction) -> bool:
        flag = self._uncertain.get(action.id)
        return super().uncertain(action) if flag is None else flag

    def note_claimed(self, flags: dict[str, bool]) -> None:
        self._uncertain.update(flags)

    def forget(self, action_id: str) -> None:
        self._uncertain.pop(action_id, None)


def backoff_delay(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's "full jitter"): U(0, min(cap, base·2^n))."""
    return rng.uniform(0, min(cap, base * (2 ** max(0, attempts - 1))))


@dataclass
class _Settlement:
    """How one action ended, waiting for the round's transaction to record it."""

    action: OutboxAction
    result: str  # "done", "dead", "retry", "rate_limited", "error"
    write: Callable[[Session], None]


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
        self.ctx = ReplayContext.of(ctx)
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
        self._settled: list[_Settlement] = []  # finished, not yet committed
        self._round = asyncio.Lock()
        self.on_settled: Callable[[OutboxAction, str], None] | None = None  # for tests and benchmarks
        # Probes APIs that are down (one request each, when due); set by the runner. Used by `drain`.
        self.prober: Callable[[], Awaitable[None]] | None = None
        self._targets = {api: target for target, api in self._apis.items()}
        self._recovered: set[ActionTarget] = set()
        self.rounds = 0  # transactions run (for tests and benchmarks)
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
        if "tables" in change.topics and not change.reservation_ids:
            self.ctx.forget_identity()  # the puller read the POS's tables (a command's change names its party)
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
            if started or self._settled:
                continue
            self._wake.clear()
            wait = await asyncio.to_thread(self._seconds_until_due, idle_poll)
            if wait <= 0 and self._running:
                wait = idle_poll  # every free slot is taken: a finishing action wakes us
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
        """One round: record what finished, claim and start what is ready now. Returns how many started."""
        self._loop = self._loop or asyncio.get_running_loop()
        async with self._round:
            if self._recovered:
                await self._release_recovered()
            wanted: dict[ActionTarget, int] = {}
            for target, api in self._apis.items():
                free = self.concurrency - self._in_flight_by_target[target]
                if free > 0 and not self.health.is_down(api):  # a down API is left to the prober's single probe
                    wanted[target] = free
            settled, self._settled = self._settled, []
            if not settled and not wanted:
                return 0
            now = self.clock.now()
            try:
                claimed = await asyncio.to_thread(self._transaction, settled, wanted, now)
            except Exception:
                log.exception("could not record %d outcome(s) and claim; retrying them one by one", len(settled))
                claimed = []
                await asyncio.to_thread(self._settle_one_by_one, settled)
            self._after_commit(settled)
            for action in claimed:
                self._start(action)
            return len(claimed)

    def _transaction(
        self, settled: list[_Settlement], wanted: dict[ActionTarget, int], now: datetime
    ) -> list[OutboxAction]:
        self.rounds += 1
        with self.store.write() as s:
            for item in settled:
                item.write(s)
            if settled:
                s.flush()
            claimed: list[OutboxAction] = []
            flags: dict[str, bool] = {}
            for target, limit in wanted.items():
                claimed += outbox.claim_in(s, now=now, limit=limit, target=target, uncertain=flags)
        self.ctx.note_claimed(flags)
        return claimed

    def _settle_one_by_one(self, settled: list[_Settlement]) -> None:
        """A round's transaction failed (e.g. one action's cache change could not be written): record each
        outcome alone, and an outcome that still fails as an internal error to retry after a read-back."""
        for item in settled:
            try:
                with self.store.write() as s:
                    item.write(s)
            except Exception:
                log.exception("outbox action %s (%s): its outcome could not be recorded", item.action.id, item.action.kind)
                item.result = "error"
                try:
                    with self.store.write() as s:
                        self._retry_write(item.action, "internal error; will retry", delay=30.0, uncertain=True)(s)
                except Exception:
                    log.exception("could not record the failure of %s; it is recovered at the next start", item.action.id)

    def _after_commit(self, settled: list[_Settlement]) -> None:
        if not settled:
            return
        reservations = {i.action.reservation_id for i in settled if i.action.reservation_id}
        tables = {i.action.table_id for i in settled if i.action.table_id}
        self.bus.publish(
            Change.of("outbox", "tickets", "tables", "reservations", reservation_ids=reservations, table_ids=tables)
        )
        for item in settled:
            if item.result == "dead":
                log.warning("outbox action %s (%s) rejected for good", item.action.id, item.action.kind)
            if self.on_settled is not None:
                self.on_settled(item.action, item.result)

    def _start(self, action: OutboxAction) -> None:
        self._in_flight_by_target[action.target] += 1
        task = asyncio.create_task(self._run_action(action), name=f"outbox:{action.kind}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def join(self) -> None:
        """Wait for every running action, and record how each ended."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
        if self._settled:
            async with self._round:
                settled, self._settled = self._settled, []
                try:
                    await asyncio.to_thread(self._transaction, settled, {}, self.clock.now())
                except Exception:
                    log.exception("could not record %d outcome(s); retrying them one by one", len(settled))
                    await asyncio.to_thread(self._settle_one_by_one, settled)
                self._after_commit(settled)

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
            if started or self._settled:
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
        """Send one action and queue its settlement for the next round's transaction."""
        api = self._apis[action.target]
        try:
            item = await self._attempt(action, api)
        except Exception:
            log.exception("outbox action %s (%s) crashed; it will be retried", action.id, action.kind)
            self.health.release_probe(api)
            item = _Settlement(action, "error", self._retry_write(action, "internal error; will retry", delay=30.0, uncertain=True))
        self._in_flight_by_target[action.target] -= 1
        self.ctx.forget(action.id)
        self._settled.append(item)
        self.wake()

    async def _attempt(self, action: OutboxAction, api: str) -> _Settlement:
        handler = HANDLERS.get(action.kind)
        if handler is None:
            return self._dead(action, f"hoststand does not know how to send '{action.kind}'")
        outbox.kill_point("claimed")  # test hook: claimed and committed, nothing sent yet
        try:
            outcome = await handler(self.ctx, action)
        except NotYet as exc:
            self.health.release_probe(api)
            return self._retry(action, str(exc), delay=5.0, uncertain=False)
        except RateLimited as exc:
            self.health.rate_limited(api)
            return self._retry(action, outbox.RATE_LIMITED, delay=max(exc.retry_after, 0.05), uncertain=False, result="rate_limited")
        except AuthFailed:
            self.health.failure(api, "credentials refused", auth=True)
            return self._retry(action, "credentials refused by the vendor", delay=self.auth_backoff, uncertain=False)
        except UncertainOutcome as exc:
            self.health.failure(api, "no answer")
            return self._retry(action, f"no answer from {api} ({exc.message})", delay=None, uncertain=True)
        except Unavailable as exc:
            self.health.failure(api, "unreachable")
            return self._retry(action, f"{api} unreachable ({exc.message})", delay=None, uncertain=False)
        except Rejected as exc:
            self.health.success(api)  # it answered: the API is up
            return self._dead(action, f"{api} refused it: {exc.reason}")
        except ConnectorError as exc:
            self.health.failure(api, type(exc).__name__)
            return self._retry(action, exc.message, delay=None, uncertain=True)
        self.health.success(api)
        if isinstance(outcome, Dead):
            return self._dead(action, outcome.reason)
        return self._done(action, outcome)

    def _done(self, action: OutboxAction, outcome: Done) -> _Settlement:
        now = self.clock.now()

        def write(s: Session) -> None:
            if outcome.apply is not None:
                outcome.apply(s)
            outbox.ack(s, action.id, now=now, outcome=outcome.outcome)
            outbox.kill_point("before_ack")  # test hook: the vendor answered; the ack is not committed

        return _Settlement(action, "done", write)

    def _dead(self, action: OutboxAction, reason: str) -> _Settlement:
        now = self.clock.now()
        return _Settlement(action, "dead", lambda s: outbox.dead(s, action.id, reason=reason, now=now))

    def _retry(
        self, action: OutboxAction, error: str, *, delay: float | None, uncertain: bool, result: str = "retry"
    ) -> _Settlement:
        return _Settlement(action, result, self._retry_write(action, error, delay=delay, uncertain=uncertain))

    def _retry_write(
        self, action: OutboxAction, error: str, *, delay: float | None, uncertain: bool
    ) -> Callable[[Session], None]:
        if delay is None:
            delay = backoff_delay(action.attempts, base=self.base_backoff, cap=self.max_backoff, rng=self.rng)
        next_at: datetime = self.clock.now() + timedelta(seconds=delay)
        return lambda s: outbox.fail(s, action.id, error=error, next_attempt_at=next_at, uncertain=uncertain)
