"""A client-side rate pacer: keeps a burst of requests under a vendor's rate limit without provoking 429s.

Callers do `ticket = await pacer.acquire()` before each request and `pacer.observe(ticket, status, headers)`
after it (`pacer.observe(ticket)` when no response came back). Until the first answer arrives, one request
goes at a time: that answer says whether, and how, the vendor counts. Then one of two modes:

- **Spacing** (the vendor sends no rate-limit headers): requests start at most `rate` per second. A 429
  halves the rate (down to `min_rate`); successes bring it back up to `rate`, never above it.
- **Window budget** (the vendor reports its fixed time slice: Toast's `X-Toast-RateLimit-Remaining` and
  `X-Toast-RateLimit-Reset`, or the generic `X-RateLimit-*` / `RateLimit-*` headers): each answer says how
  many requests the current slice still allows and when it resets. The budget for new requests is that
  number less the requests started *after* the one answered (those are in flight, not yet counted by the
  server). When the budget is spent, callers wait for the reset. The slice's size is whatever the server
  says, so the pacer slows down when the limit is lower than `rate` and uses all of it when it is higher
  (`rate` is only the starting guess; `ceiling`, if set, a hard cap on requests per second).

The server's reset time is read against our own clock through bounds learnt from every answer (the request
was counted between our send and our receipt, inside a slice of known length), so a skewed clock or a reset
rounded to the second neither stalls the pacer nor sends a burst early. After a spent slice the first
request of the next goes alone (a probe) until its answer confirms the turnover. A 429 blocks every caller
until `Retry-After` (else the reset header) has passed.

A wait longer than `max_wait` is not slept: `acquire` raises `PacingWait(seconds)` so that the caller (the
outbox replayer) can reschedule instead of holding a worker. Callers are served first come, first served.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TOAST_REMAINING = "X-Toast-RateLimit-Remaining"
TOAST_RESET = "X-Toast-RateLimit-Reset"
DEFAULT_REMAINING_HEADERS = (TOAST_REMAINING, "X-RateLimit-Remaining", "RateLimit-Remaining")
DEFAULT_RESET_HEADERS = (TOAST_RESET, "X-RateLimit-Reset", "RateLimit-Reset")

_EPOCH_SECONDS_MIN = 1_000_000_000  # a reset value below this is "seconds from now", not a UNIX time
_EPOCH_MILLIS_MIN = 100_000_000_000  # a reset value above this is in milliseconds


class PacingWait(Exception):
    """The next request slot is further away than the pacer's `max_wait`."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"next request slot in {wait:.1f} s")
        self.wait = wait


@dataclass(frozen=True)
class PacerStats:
    granted: int
    in_flight: int
    throttled: int  # 429s observed
    mode: str  # "spacing" or "window"
    rate: float  # current spacing rate (req/s)
    window_limit: int | None  # learned requests per slice
    window_seconds: float | None  # learned slice length
    budget: int | None  # requests still allowed in the current slice


def parse_retry_after(value: str | None, *, now_wall: float) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_wall)


def reset_at(value: str | None, *, now_wall: float) -> float | None:
    """A rate-limit reset header as an absolute wall-clock time (UNIX seconds).

    Toast sends a UNIX epoch in seconds; some vendors send milliseconds, and the IETF `RateLimit-Reset` sends
    delta-seconds (a number below 10^9 is taken as seconds from now).
    """
    if not value:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number >= _EPOCH_MILLIS_MIN:
        return number / 1000.0
    if number >= _EPOCH_SECONDS_MIN:
        return number
    return now_wall + max(0.0, number)


def _header(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is None and not hasattr(headers, "get_list"):
            # plain dicts are case-sensitive; httpx.Headers is not
            lowered = name.lower()
            value = next((v for k, v in headers.items() if k.lower() == lowered), None)
        if value is not None:
            return value
    return None


class RatePacer:
    """Paces one vendor account's requests (see the module docstring). One instance per API and restaurant."""

    def __init__(
        self,
        rate: float = 10.0,
        *,
        ceiling: float | None = None,
        min_rate: float = 0.5,
        max_wait: float = 30.0,
        learn_from_headers: bool = True,
        remaining_headers: tuple[str, ...] = DEFAULT_REMAINING_HEADERS,
        reset_headers: tuple[str, ...] = DEFAULT_RESET_HEADERS,
        probe_grace: float = 0.25,
        assumed_window: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._base_rate = float(rate if ceiling is None else min(rate, ceiling))
        self._rate = self._base_rate
        self._ceiling = ceiling
        self._min_rate = min(min_rate, self._base_rate)
        self.max_wait = max_wait
        self._learn = learn_from_headers
        self._remaining_headers = remaining_headers
        self._reset_headers = reset_headers
        self._probe_grace = probe_grace
        self._assumed_window = assumed_window  # slice length to assume until two slices have been seen
        self._mono = monotonic
        self._wall = wall

        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._granted = 0
        self._in_flight: dict[int, float] = {}  # ticket → wall-clock time it was granted
        self._in_flight_mono: dict[int, float] = {}  # ticket → monotonic time it was granted
        self._answered = False  # any response seen yet
        self._throttled = 0
        self._successes = 0
        self._next_slot = 0.0  # earliest start of the next request when spacing (monotonic)
        self._blocked_until = 0.0  # after a 429 (monotonic)

        # Window-budget mode, entered on the first response that carries rate-limit headers.
        self._budget: int | None = None  # requests we may still start in the current slice; None = spacing mode
        self._confirmed = False  # the budget came from the server, not from our prediction
        self._win_key: float | None = None  # the server's reset time of the latest slice it told us about
        self._win_end: float | None = None  # end of the current slice on our monotonic clock
        self._win_len: float | None = None  # learned slice length (seconds)
        self._win_max_remaining = -1  # highest Remaining seen in the latest slice
        self._limit: int | None = None  # learned requests per slice
        self._probe: int | None = None  # the ticket sent alone to discover a new slice
        self._probe_started_at: float | None = None
        self._slice_first_ticket = 1  # first ticket granted since the last predicted turnover
        # Offset of the server's reset times against our wall clock (clock skew, or a reset rounded down to
        # the second): bounds learned from every answer. A slice with reset time T ends at T - offset for us.
        self._offset_lo: float | None = None
        self._offset_hi: float | None = None

    # ------------------------------------------------------------------------------------------ public

    @property
    def stats(self) -> PacerStats:
        return PacerStats(
            granted=self._granted,
            in_flight=len(self._in_flight),
            throttled=self._throttled,
            mode="spacing" if self._budget is None else "window",
            rate=self._rate,
            window_limit=self._limit,
            window_seconds=self._win_len,
            budget=self._budget,
        )

    async def acquire(self) -> int:
        """Wait for a request slot; returns the ticket to pass to `observe`. Raises `PacingWait`."""
        async with self._lock:
            while True:
                now = self._mono()
                wait = self._wait_needed(now)
                if wait <= 0:
                    return self._grant(now)
                if wait > self.max_wait:
                    raise PacingWait(wait)
                await self._wait_for_change(wait)

    def observe(self, ticket: int | None, status: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        """Record how request `ticket` ended: its status and headers, or nothing when no response came back."""
        granted_wall = self._in_flight.pop(ticket, None) if ticket is not None else None
        if ticket is not None:
            self._in_flight_mono.pop(ticket, None)
        if ticket is not None and ticket == self._probe:
            self._probe = None
            self._probe_started_at = None
        if status is not None:
            self._answered = True
            now = self._mono()
            now_wall = self._wall()
            headers = headers or {}
            learned = self._learn and self._on_window_headers(ticket, granted_wall, now, now_wall, headers, status)
            if status == 429:
                self._on_throttled(now, now_wall, headers)
            elif not learned and status < 400 and self._budget is None:
                self._on_spacing_success()
        self._notify()

    # --------------------------------------------------------------------------------------- granting

    def _wait_needed(self, now: float) -> float:
        if now < self._blocked_until:
            return self._blocked_until - now
        spacing = max(0.0, self._next_slot - now)
        if self._budget is None:
            if self._learn and not self._answered and self._in_flight:
                # Until the first answer says whether (and how) the vendor counts, one request at a time.
                started = min(self._in_flight_mono.values(), default=now)
                return max(spacing, self._probe_grace - (now - started))
            return spacing
        if self._win_end is not None and now >= self._win_end:
            self._roll_window(now)
        if self._budget > 0:
            return spacing
        if self._confirmed and self._win_end is not None:
            return self._win_end - now
        # Spent, and the new slice is not confirmed yet: a probe is out. Wait for its answer, but if it is
        # slow (a Toast order can take 30 s), let one more probe go after `probe_grace`.
        started = self._probe_started_at
        if started is None or now - started >= self._probe_grace:
            self._budget = 1
            self._probe = None
            self._probe_started_at = None
            return spacing
        return self._probe_grace - (now - started)

    def _grant(self, now: float) -> int:
        self._granted += 1
        ticket = self._granted
        self._in_flight[ticket] = self._wall()
        self._in_flight_mono[ticket] = now
        rate = self._rate if self._budget is None else self._ceiling
        if rate:
            self._next_slot = max(self._next_slot, now) + 1.0 / rate
        if self._budget is not None:
            self._budget -= 1
            if not self._confirmed and self._probe is None:
                self._probe = ticket
                self._probe_started_at = now
        return ticket

    def _roll_window(self, now: float) -> None:
        """The slice has ended by our clock: predict the next one until an answer confirms it."""
        spent = (self._budget or 0) <= 0
        if self._win_len and self._win_end is not None:
            end = self._win_end
            while end <= now:
                end += self._win_len
            self._win_end = end
        else:
            self._win_end = None
        self._confirmed = False
        self._probe = None
        self._probe_started_at = None
        self._slice_first_ticket = self._granted + 1
        self._budget = 1 if spent or self._limit is None else self._limit

    # -------------------------------------------------------------------------------------- learning

    def _slice_end_wall(self, reset_key: float) -> float:
        """When the slice that the server says resets at `reset_key` ends, on our wall clock.

        Take the server at its word unless what we learnt rules that out (its clock is behind ours, or it
        rounds its reset time down): then the latest end still possible, which is the safe side.
        """
        latest = reset_key - self._offset_lo if self._offset_lo is not None else reset_key
        earliest = reset_key - self._offset_hi if self._offset_hi is not None else reset_key
        if earliest <= reset_key <= latest:
            return reset_key
        return latest

    def _learn_offset(self, reset_key: float, granted_wall: float | None, now_wall: float) -> None:
        # The server counted the request somewhere between our grant and our observe, inside a slice that
        # ends at reset_key (server time) and lasts win_len: so offset < reset_key - granted and
        # offset > reset_key - win_len - observed.
        hi = reset_key - granted_wall if granted_wall is not None else None
        lo = reset_key - (self._win_len or self._assumed_window) - now_wall
        if self._offset_lo is None or lo > self._offset_lo:
            self._offset_lo = lo
        if hi is not None:
            self._offset_hi = hi if self._offset_hi is None else min(self._offset_hi, hi)
        if self._offset_lo is not None and self._offset_hi is not None and self._offset_lo > self._offset_hi + 1e-3:
            # the server's phase or slice length changed: start learning again from this answer
            self._offset_lo, self._offset_hi = lo, hi

    def _on_window_headers(
        self,
        ticket: int | None,
        granted_wall: float | None,
        now: float,
        now_wall: float,
        headers: Mapping[str, str],
        status: int,
    ) -> bool:
        remaining_raw = _header(headers, self._remaining_headers)
        reset_raw = _header(headers, self._reset_headers)
        if remaining_raw is None or reset_raw is None:
            return False
        try:
            remaining = max(0, int(float(remaining_raw.strip())))
        except ValueError:
            return False
        reset_key = reset_at(reset_raw, now_wall=now_wall)
        if reset_key is None:
            return False
        tolerance = 0.05
        new_slice = self._win_key is None or reset_key > self._win_key + tolerance
        if new_slice and self._win_key is not None:
            length = reset_key - self._win_key
            if self._win_len is None or length < self._win_len - tolerance:
                self._win_len = length
                self._offset_lo = self._offset_hi = None  # learnt with the wrong slice length: learn again
        self._learn_offset(reset_key, granted_wall, now_wall)
        if status == 429:
            return True
        if (
            not new_slice
            and not self._confirmed
            and ticket is not None
            and ticket < self._slice_first_ticket
        ):
            return True  # a late answer from before our predicted turnover: it says nothing about the new slice
        if not new_slice and self._win_key is not None and reset_key < self._win_key - tolerance:
            return True  # a late answer from an older slice

        # requests started after this one are most likely not counted in `remaining` yet
        started_later = self._granted - ticket if ticket is not None else len(self._in_flight)
        estimate = max(0, remaining - started_later)
        end_mono = now + max(0.0, self._slice_end_wall(reset_key) - now_wall)
        if new_slice:
            if self._win_max_remaining >= 0:
                self._limit = self._win_max_remaining + 1  # the last slice's size: adapts down as well as up
            elif self._limit is None:
                self._limit = remaining + 1
            self._win_key = reset_key
            self._win_max_remaining = remaining
            self._budget = estimate
        else:
            self._win_max_remaining = max(self._win_max_remaining, remaining)
            self._limit = max(self._limit or 0, remaining + 1)
            self._budget = estimate if self._budget is None or not self._confirmed else min(self._budget, estimate)
            if remaining == 0 and end_mono <= now:
                end_mono = now + self._probe_grace  # the server has not turned over yet, whatever our clock says
        self._win_end = end_mono
        self._confirmed = True
        return True

    def _on_throttled(self, now: float, now_wall: float, headers: Mapping[str, str]) -> None:
        self._throttled += 1
        wait = parse_retry_after(_header(headers, ("Retry-After",)), now_wall=now_wall)
        if wait is None:
            reset = reset_at(_header(headers, self._reset_headers), now_wall=now_wall)
            wait = None if reset is None else max(0.0, self._slice_end_wall(reset) - now_wall)
        if wait is None:
            wait = self._win_len or 1.0
        self._blocked_until = max(self._blocked_until, now + wait)
        if self._budget is None:
            self._rate = max(self._min_rate, self._rate / 2)
            self._successes = 0
        else:
            self._budget = 0
            self._confirmed = False
            self._win_end = self._blocked_until
            self._probe = None
            self._probe_started_at = None

    def _on_spacing_success(self) -> None:
        self._successes += 1
        if self._rate < self._base_rate and self._successes >= max(5, int(self._rate)):
            self._rate = min(self._base_rate, self._rate * 1.25)
            self._successes = 0

    # --------------------------------------------------------------------------------------- waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=timeout)
        except TimeoutError:
            pass
