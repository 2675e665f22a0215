"""Fixed-window rate limiters on the wall clock (the vendors count real requests per real second).

Toast documents fixed time slices: 20 requests per second **and** 10,000 per 15 minutes per restaurant,
with `X-Toast-RateLimit-Reset` as a UNIX epoch. Windows here are aligned to whole multiples of the
window length on the wall clock (`floor(time.time())` for one second), so the reset a client reads is
the real moment the slice ends.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: float  # epoch seconds when the current window ends
    retry_after: float  # seconds until the window ends (when refused)


class FixedWindow:
    """`limit` requests per `window` seconds, per key, in aligned fixed windows."""

    def __init__(self, limit: int, window: float, wall: Callable[[], float] = time.time) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self._wall = wall
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def hit(self, key: str, *, limit: int | None = None) -> Verdict:
        """Count one request for `key` and say whether it is within the limit (refusals count too)."""
        cap = self.limit if limit is None else int(limit)
        now = self._wall()
        idx = math.floor(now / self.window)
        reset = (idx + 1) * self.window
        with self._lock:
            win, count = self._counts.get(key, (idx, 0))
            if win != idx:
                count = 0
            count += 1
            self._counts[key] = (idx, count)
        allowed = count <= cap
        return Verdict(allowed, cap, max(0, cap - count), reset, max(0.0, reset - now))
