"""The one injectable clock. Nothing in hoststand calls datetime.now() directly.

All times are timezone-aware UTC datetimes; the restaurant's time zone is applied only for display
and for deciding the service day (see domain/service_day.py).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

UTC = timezone.utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests and scripted nights."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)


class ScaledClock:
    """Simulated time that starts at `start` and runs `factor` times faster than the wall clock.

    The demo uses it so a service night can start at 19:10 whatever the real time is, and run faster on
    request. Anchored on wall-clock seconds (`anchor_wall`, from time.time()) so that two processes given
    the same start, anchor and factor (the app and its sandboxes) agree on the simulated time.
    `set_factor` keeps the simulated time continuous.
    """

    def __init__(self, start: datetime, factor: float = 1.0, anchor_wall: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start time")
        self._lock = threading.Lock()
        self._anchor_sim = start.astimezone(UTC)
        self._anchor_wall = time.time() if anchor_wall is None else anchor_wall
        self._factor = float(factor)

    @property
    def factor(self) -> float:
        return self._factor

    @property
    def anchor(self) -> tuple[datetime, float]:
        """(simulated start, wall-clock anchor): enough for another process to follow this clock."""
        with self._lock:
            return self._anchor_sim, self._anchor_wall

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.time() - self._anchor_wall
            return self._anchor_sim + timedelta(seconds=elapsed * self._factor)

    def follow(self, anchor_sim: datetime, anchor_wall: float, factor: float) -> None:
        """Take another process's anchors and factor (see `anchor`), so both read the same simulated time."""
        with self._lock:
            self._anchor_sim = anchor_sim.astimezone(UTC)
            self._anchor_wall = anchor_wall
            self._factor = float(factor)

    def set_factor(self, factor: float) -> None:
        current = self.now()
        with self._lock:
            self._anchor_sim = current
            self._anchor_wall = time.time()
            self._factor = float(factor)
