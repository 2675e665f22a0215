"""Expected turn times: how long a party of a given size sits, by day part, from defaults or learned.

A day part is read from the restaurant's wall clock: "early" before prime time, "prime" (18:30–21:00 by
default), "late" after it, and also late for the small hours before the service-day rollover (a party at
00:30 belongs to the late part of the night before). The defaults are a table per party-size band
(`DEFAULT_TURN_TABLE`) plus extra minutes per day part (prime adds 10). Once the local history holds
enough finished visits for a (size band, day part), their median turn is used; failing that, the median
of the band across all day parts; failing that, the default. Each estimate says which one it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from types import MappingProxyType

from hoststand.domain.model import CourseStage, Reservation, ReservationStatus, Ticket


class DayPart(StrEnum):
    EARLY = "early"
    PRIME = "prime"
    LATE = "late"


SOURCE_LEARNED = "learned"
SOURCE_LEARNED_ALL_DAY_PARTS = "learned (all day parts)"
SOURCE_DEFAULT = "default"

# Visits shorter or longer than these are data errors (a ticket opened and closed at once, a check left
# open overnight) and are not learned from.
MIN_PLAUSIBLE_TURN = timedelta(minutes=15)
MAX_PLAUSIBLE_TURN = timedelta(hours=6)

DEFAULT_MIN_SAMPLES = 8


@dataclass(frozen=True)
class DayParts:
    """Where prime time begins and ends on the wall clock; before `rollover_hour` counts as late."""

    prime_start: time = time(18, 30)
    prime_end: time = time(21, 0)
    rollover_hour: int = 4

    def __post_init__(self) -> None:
        if not self.prime_start < self.prime_end:
            raise ValueError("Prime time must begin before it ends")
        if not 0 <= self.rollover_hour <= 23:
            raise ValueError("The rollover hour must be between 0 and 23")
        if self.rollover_hour and self.prime_start < time(self.rollover_hour):
            raise ValueError("Prime time must begin after the service-day rollover hour")

    def of_wall_time(self, wall: time) -> DayPart:
        if wall < time(self.rollover_hour) or wall >= self.prime_end:
            return DayPart.LATE
        if wall < self.prime_start:
            return DayPart.EARLY
        return DayPart.PRIME

    def changes(self, after: datetime, tz: tzinfo, within: timedelta = timedelta(days=1)) -> list[datetime]:
        """The instants in (after, after + within] at which the day part changes, sorted (UTC)."""
        first = after.astimezone(tz).date() - timedelta(days=1)
        days = within.days + 3
        walls = sorted({self.prime_start, self.prime_end, time(self.rollover_hour)})
        instants = {
            datetime.combine(first + timedelta(days=d), wall, tzinfo=tz).astimezone(timezone.utc)
            for d in range(days)
            for wall in walls
        }
        return sorted(i for i in instants if after < i <= after + within)

    def of(self, at_utc: datetime, tz: tzinfo) -> DayPart:
        """The day part of the instant `at_utc`, read on the restaurant's wall clock in `tz`."""
        if at_utc.tzinfo is None:
            raise ValueError("Times must be timezone-aware (UTC)")
        return self.of_wall_time(at_utc.astimezone(tz).time().replace(tzinfo=None))


@dataclass(frozen=True)
class SizeBand:
    """Parties of `smallest`..`largest` guests (`largest` None: and more) turn in `minutes` by default."""

    smallest: int
    largest: int | None
    minutes: int

    @property
    def label(self) -> str:
        if self.largest is None:
            return f"{self.smallest}+"
        if self.largest == self.smallest:
            return str(self.smallest)
        return f"{self.smallest}–{self.largest}"

    def holds(self, party_size: int) -> bool:
        return party_size >= self.smallest and (self.largest is None or party_size <= self.largest)


DEFAULT_TURN_TABLE: tuple[SizeBand, ...] = (
    SizeBand(1, 2, 75),
    SizeBand(3, 4, 90),
    SizeBand(5, 6, 105),
    SizeBand(7, None, 120),
)
DEFAULT_DAY_PART_EXTRA: Mapping[DayPart, int] = MappingProxyType(
    {DayPart.EARLY: 0, DayPart.PRIME: 10, DayPart.LATE: 0}
)


@dataclass(frozen=True)
class TurnTimeSettings:
    """The default table and the day parts. Bands must start at 1, be contiguous, and end open (`N+`)."""

    bands: tuple[SizeBand, ...] = DEFAULT_TURN_TABLE
    day_part_extra: Mapping[DayPart, int] = field(default_factory=lambda: DEFAULT_DAY_PART_EXTRA)
    day_parts: DayParts = DayParts()

    def __post_init__(self) -> None:
        if not self.bands:
            raise ValueError("The turn-time table needs at least one party-size band")
        expected = 1
        for band in self.bands:
            if band.smallest != expected:
                raise ValueError(f"Party-size band {band.label} should start at {expected}")
            if band.minutes <= 0:
                raise ValueError(f"The turn time for parties of {band.label} must be longer than zero")
            if band.largest is None:
                if band is not self.bands[-1]:
                    raise ValueError(f"Only the last party-size band may be open-ended ({band.label})")
                break
            if band.largest < band.smallest:
                raise ValueError(f"Party-size band {band.smallest}–{band.largest} is empty")
            expected = band.largest + 1
        if self.bands[-1].largest is not None:
            raise ValueError("The last party-size band must be open-ended (e.g. 7+)")

    def band(self, party_size: int) -> SizeBand:
        if party_size < 1:
            raise ValueError("A party has at least one guest")
        return next(b for b in self.bands if b.holds(party_size))

    def default_minutes(self, party_size: int, day_part: DayPart) -> int:
        return self.band(party_size).minutes + int(self.day_part_extra.get(day_part, 0))


@dataclass(frozen=True)
class FinishedVisit:
    party_size: int
    seated_at: datetime
    finished_at: datetime
    day_part: DayPart

    @classmethod
    def at(
        cls, party_size: int, seated_at: datetime, finished_at: datetime, tz: tzinfo, day_parts: DayParts = DayParts()
    ) -> FinishedVisit:
        """A visit whose day part is read from its seating time on the restaurant's wall clock."""
        return cls(party_size, seated_at, finished_at, day_parts.of(seated_at, tz))

    @property
    def turn(self) -> timedelta:
        return self.finished_at - self.seated_at


@dataclass(frozen=True)
class TurnEstimate:
    minutes: int
    source: str  # SOURCE_LEARNED | SOURCE_LEARNED_ALL_DAY_PARTS | SOURCE_DEFAULT
    samples: int = 0  # finished visits behind a learned figure; 0 for a default

    @cached_property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def label(self) -> str:
        """Plain words for the UI: "95 min (learned from 12 visits)", "90 min (default)"."""
        if self.source == SOURCE_DEFAULT:
            return f"{self.minutes} min (default)"
        visits = "visit" if self.samples == 1 else "visits"
        scope = " across all day parts" if self.source == SOURCE_LEARNED_ALL_DAY_PARTS else ""
        return f"{self.minutes} min (learned from {self.samples} {visits}{scope})"


@dataclass(frozen=True)
class TurnTimeModel:
    """Turn-time estimates. `learn` returns a new model; the model itself never changes."""

    settings: TurnTimeSettings = TurnTimeSettings()
    min_samples: int = DEFAULT_MIN_SAMPLES
    by_part: Mapping[tuple[int, DayPart], tuple[int, int]] = field(default_factory=dict)  # → (minutes, n)
    by_band: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # band index → (minutes, n)
    # estimates already given, by (party size, instant, zone): the model never changes, and a floor asks the
    # same questions on every refresh (a fresh, empty memo for each learned model; not compared)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def learn(self, visits: Iterable[FinishedVisit], min_samples: int = DEFAULT_MIN_SAMPLES) -> TurnTimeModel:
        """A model that uses the median of `visits` wherever at least `min_samples` of them agree in
        size band (and day part). Implausible visits (under 15 minutes, over 6 hours) are left out."""
        if min_samples < 1:
            raise ValueError("At least one finished visit is needed to learn a turn time")
        part_turns: dict[tuple[int, DayPart], list[float]] = {}
        band_turns: dict[int, list[float]] = {}
        bands = self.settings.bands
        for visit in visits:
            turn = visit.turn
            if visit.party_size < 1 or not MIN_PLAUSIBLE_TURN <= turn <= MAX_PLAUSIBLE_TURN:
                continue
            index = next(i for i, b in enumerate(bands) if b.holds(visit.party_size))
            minutes = turn.total_seconds() / 60
            part_turns.setdefault((index, DayPart(visit.day_part)), []).append(minutes)
            band_turns.setdefault(index, []).append(minutes)
        return replace(
            self,
            min_samples=min_samples,
            by_part={k: _median(v) for k, v in part_turns.items() if len(v) >= min_samples},
            by_band={k: _median(v) for k, v in band_turns.items() if len(v) >= min_samples},
        )

    def estimate(self, party_size: int, day_part: DayPart) -> TurnEstimate:
        band = self.settings.band(party_size)
        index = self.settings.bands.index(band)
        learned = self.by_part.get((index, DayPart(day_part)))
        if learned is not None:
            return TurnEstimate(learned[0], SOURCE_LEARNED, learned[1])
        learned = self.by_band.get(index)
        if learned is not None:
            return TurnEstimate(learned[0], SOURCE_LEARNED_ALL_DAY_PARTS, learned[1])
        return TurnEstimate(self.settings.default_minutes(party_size, day_part), SOURCE_DEFAULT, 0)

    def estimate_at(self, party_size: int, at_utc: datetime, tz: tzinfo = timezone.utc) -> TurnEstimate:
        """The estimate for a party seated (or due) at `at_utc`, its day part read in `tz`."""
        key = (party_size, at_utc, tz)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) > 20_000:  # a long-running night: forget, rather than grow without bound
                self._memo.clear()
            found = self._memo[key] = self.estimate(party_size, self.settings.day_parts.of(at_utc, tz))
        return found


def finished_visits(
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    *,
    tz: tzinfo,
    day_parts: DayParts = DayParts(),
) -> list[FinishedVisit]:
    """The visits to learn from: finished reservations (seated → finished, with the covers of their
    closed ticket when there is one) and closed walk-in tickets that have no reservation (opened → closed).
    Voided tickets are ignored."""
    closed: dict[str, Ticket] = {}
    visits: list[FinishedVisit] = []
    for ticket in tickets:
        if ticket.stage == CourseStage.VOIDED or ticket.closed_at is None:
            continue
        if ticket.reservation_id is not None:
            closed.setdefault(ticket.reservation_id, ticket)
        elif ticket.opened_at is not None and ticket.covers > 0:
            visits.append(FinishedVisit.at(ticket.covers, ticket.opened_at, ticket.closed_at, tz, day_parts))
    for res in reservations:
        ticket = closed.get(res.id)
        finished_at = res.finished_at or (ticket.closed_at if ticket is not None else None)
        if res.status != ReservationStatus.FINISHED or res.seated_at is None or finished_at is None:
            continue
        size = ticket.covers if ticket is not None and ticket.covers > 0 else res.party_size
        visits.append(FinishedVisit.at(size, res.seated_at, finished_at, tz, day_parts))
    return visits


def _median(minutes: list[float]) -> tuple[int, int]:
    return max(1, round(statistics.median(minutes))), len(minutes)
