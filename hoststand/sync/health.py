"""Per-API health (up, degraded, down) with a circuit breaker (DESIGN.md §5).

- Every call to a vendor reports its outcome here. One or two consecutive failures make the API *degraded*;
  `failures_to_open` in a row make it *down* and open the circuit.
- While down, nothing is sent to that API except a single probe request, spaced with exponential backoff
  (2 s, 4 s, 8 s, then every 15 s), so a dead API is never hammered yet is noticed soon after it returns (the
  queue must drain within a minute of the API coming back). A success closes the circuit: the API is up.
- `on_recovery(callback)`: called with the API's name whenever it becomes *up* again after trouble (the
  replayer then makes that API's failed actions due at once instead of letting each sit out its backoff).
- `since` is when the current trouble began (the first failure of the streak), which is what the banner says:
  "POS unreachable since 19:42".
- Rate limiting is not a failure: the API is up, just busy; it is reported as degraded without opening the circuit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus

log = logging.getLogger(__name__)


class HealthState(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class ApiHealth:
    api: str  # "opentable", "toast"
    role: str  # "booking" or "pos"
    state: HealthState = HealthState.UP
    since: datetime | None = None  # start of the current trouble (None when up)
    last_success: datetime | None = None
    last_failure: datetime | None = None
    consecutive_failures: int = 0
    last_error: str = ""  # plain words, no guest data
    next_probe_at: datetime | None = None
    auth_failed: bool = False  # credentials refused: a person must act


class HealthMonitor:
    def __init__(
        self,
        clock: Clock,
        bus: ChangeBus | None = None,
        *,
        failures_to_open: int = 3,
        probe_base: timedelta = timedelta(seconds=2),
        probe_max: timedelta = timedelta(seconds=15),
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._failures_to_open = failures_to_open
        self._probe_base = probe_base
        self._probe_max = probe_max
        self._apis: dict[str, ApiHealth] = {}
        self._probe_in_flight: set[str] = set()
        self._probe_attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._recovery: list[Callable[[str], None]] = []

    def on_recovery(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(api)` whenever an API becomes up again after trouble; returns an unsubscribe function."""
        self._recovery.append(callback)
        return lambda: self._recovery.remove(callback) if callback in self._recovery else None

    def register(self, api: str, role: str) -> None:
        with self._lock:
            self._apis.setdefault(api, ApiHealth(api=api, role=role))

    def get(self, api: str) -> ApiHealth:
        with self._lock:
            return self._apis[api]

    def snapshot(self) -> dict[str, ApiHealth]:
        with self._lock:
            return dict(self._apis)

    def is_down(self, api: str) -> bool:
        return self.get(api).state is HealthState.DOWN

    def allow(self, api: str) -> bool:
        """May a request be sent now? While down, True only for the one probe that is due."""
        now = self._clock.now()
        with self._lock:
            h = self._apis[api]
            if h.state is not HealthState.DOWN:
                return True
            if api in self._probe_in_flight:
                return False
            if h.next_probe_at is not None and now < h.next_probe_at:
                return False
            self._probe_in_flight.add(api)
            return True

    def probe_due_in(self, api: str) -> float | None:
        """Seconds until the next probe may go (None when the API is not down)."""
        with self._lock:
            h = self._apis[api]
            if h.state is not HealthState.DOWN or h.next_probe_at is None:
                return None
            return max(0.0, (h.next_probe_at - self._clock.now()).total_seconds())

    def release_probe(self, api: str) -> None:
        """The probe slot was taken but nothing was sent (nothing to send, or not possible yet)."""
        with self._lock:
            self._probe_in_flight.discard(api)

    def success(self, api: str) -> None:
        now = self._clock.now()
        changed = False
        with self._lock:
            h = self._apis[api]
            self._probe_in_flight.discard(api)
            self._probe_attempts.pop(api, None)
            if h.state is not HealthState.UP or h.auth_failed:
                changed = True
            self._apis[api] = replace(
                h,
                state=HealthState.UP,
                since=None,
                last_success=now,
                consecutive_failures=0,
                last_error="",
                next_probe_at=None,
                auth_failed=False,
            )
        if changed:
            for callback in list(self._recovery):
                try:
                    callback(api)
                except Exception:  # a listener must never break the health monitor
                    log.exception("recovery listener for %s failed", api)
            self._publish()

    def rate_limited(self, api: str) -> None:
        """The API answered 429: it is up but busy."""
        now = self._clock.now()
        with self._lock:
            h = self._apis[api]
            self._probe_in_flight.discard(api)
            if h.state is HealthState.UP:
                self._apis[api] = replace(h, state=HealthState.DEGRADED, since=h.since or now, last_error="rate limited")
                changed = True
            else:
                changed = False
        if changed:
            self._publish()

    def failure(self, api: str, error: str, *, auth: bool = False) -> None:
        now = self._clock.now()
        with self._lock:
            h = self._apis[api]
            was_probe = api in self._probe_in_flight
            self._probe_in_flight.discard(api)
            failures = h.consecutive_failures + 1
            state = HealthState.DOWN if (failures >= self._failures_to_open or auth) else HealthState.DEGRADED
            next_probe = h.next_probe_at
            if state is HealthState.DOWN:
                attempt = self._probe_attempts.get(api, 0) + (1 if was_probe or h.state is not HealthState.DOWN else 0)
                self._probe_attempts[api] = attempt
                # capped before multiplying: 2**n seconds overflows a timedelta after ~46 failed probes (minutes
                # of outage at the probe cap), which used to crash the prober and leave the API "down" for good
                delay = min(self._probe_max, self._probe_base * (2 ** min(max(0, attempt - 1), 20)))
                next_probe = now + delay
            new = replace(
                h,
                state=state,
                since=h.since or now,
                last_failure=now,
                consecutive_failures=failures,
                last_error=error,
                next_probe_at=next_probe,
                auth_failed=h.auth_failed or auth,
            )
            changed = new.state is not h.state or new.auth_failed != h.auth_failed
            self._apis[api] = new
        if changed:
            self._publish()

    def mirror(self, states: dict[str, ApiHealth]) -> None:
        """Take another monitor's states as they are (the sync process's, relayed to the app): publish when
        any state changed, and tell the recovery listeners about each API that is up again."""
        recovered: list[str] = []
        with self._lock:
            before = dict(self._apis)
            self._apis.update(states)
        changed = False
        for api, new in states.items():
            old = before.get(api)
            if old is None or old.state is not new.state or old.auth_failed != new.auth_failed or old.last_error != new.last_error:
                changed = True
                if old is not None and old.state is not HealthState.UP and new.state is HealthState.UP:
                    recovered.append(api)
        for api in recovered:
            for callback in list(self._recovery):
                try:
                    callback(api)
                except Exception:
                    log.exception("recovery listener for %s failed", api)
        if changed:
            self._publish()

    def _publish(self) -> None:
        if self._bus is not None:
            self._bus.publish(Change.of("health"))
