"""The sandbox's own simulated clock (used when no external clock is injected).

Simulated time is `start + (time.time() - anchor_wall) * factor`. Two processes given the same `start`,
`anchor_wall` and `factor` agree on the simulated time, so the app can follow the sandbox's night (the
app's own ScaledClock uses the same formula). Plain wall time is the special case start = anchor = now,
factor = 1. Changing the factor or setting the time re-anchors, so simulated time never jumps backwards
on a factor change.

Wall-clock things stay on the wall clock on purpose: added latency, and Toast's rate-limit slices (whose
`X-Toast-RateLimit-Reset` header is a UNIX epoch a client compares with its own wall clock).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .common import iso_z

UTC = timezone.utc

ClockFn = Callable[[], datetime]


class SandboxClock:
    """A scaled clock anchored on wall-clock seconds. Thread-safe."""

    def __init__(self, start: datetime | None = None, factor: float = 1.0, anchor_wall: float | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the sandbox clock needs a timezone-aware start")
        if factor < 0:
            raise ValueError("factor must be >= 0")
        wall = time.time()
        self._lock = threading.Lock()
        self._anchor_wall = wall if anchor_wall is None else float(anchor_wall)
        self._start = (start or datetime.fromtimestamp(self._anchor_wall, UTC)).astimezone(UTC)
        self._factor = float(factor)

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=(time.time() - self._anchor_wall) * self._factor)

    __call__ = now

    @property
    def factor(self) -> float:
        return self._factor

    def set_now(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        with self._lock:
            self._start = when.astimezone(UTC)
            self._anchor_wall = time.time()

    def set_factor(self, factor: float) -> None:
        if factor < 0:
            raise ValueError("factor must be >= 0")
        current = self.now()
        with self._lock:
            self._start = current
            self._anchor_wall = time.time()
            self._factor = float(factor)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            start, anchor, factor = self._start, self._anchor_wall, self._factor
        return {"kind": "sandbox", "start": iso_z(start), "anchor_wall": anchor, "factor": factor, "now": iso_z(self.now())}


def checked(clock: ClockFn) -> ClockFn:
    """Wrap an injected clock so every reading is an aware UTC datetime (fail loudly otherwise)."""

    def now() -> datetime:
        value = clock()
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise TypeError("the injected sandbox clock must return a timezone-aware datetime")
        return value.astimezone(UTC)

    return now
