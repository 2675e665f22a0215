"""Pacing alerts for the manager, each in plain words with the table and the minutes.

Rules (thresholds in `AlertSettings`; set one to None to turn its rule off):
- no order: seated this long with nothing ordered ("Table 12: seated 20 min, no order yet");
- no check: mains fired this long ago and no check yet ("Table 14: mains out 45 min, no check yet"),
  only when the POS said when the mains fired;
- over turn: this far past the expected turn ("Table 17: 25 min over its expected turn");
- arrival at risk: a party due within the lead time whose table is still occupied and predicted to free
  after its time ("Smith (4) due 20:15 at 12: table still occupied, predicted free 20:35"), or with no
  table free in time at all.
A party at combined tables raises each alert once. Sorted most severe first, then most minutes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from types import MappingProxyType

from hoststand.domain.model import CourseStage
from hoststand.domain.pacing import ArrivalForecast, TablePace


class AlertKind(StrEnum):
    NO_ORDER = "no_order"
    NO_CHECK = "no_check"
    OVER_TURN = "over_turn"
    ARRIVAL_AT_RISK = "arrival_at_risk"


class Severity(StrEnum):
    URGENT = "urgent"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return list(Severity).index(self)


DEFAULT_SEVERITY: Mapping[AlertKind, Severity] = MappingProxyType(
    {
        AlertKind.ARRIVAL_AT_RISK: Severity.URGENT,
        AlertKind.NO_ORDER: Severity.WARNING,
        AlertKind.OVER_TURN: Severity.WARNING,
        AlertKind.NO_CHECK: Severity.NOTICE,
    }
)


@dataclass(frozen=True)
class AlertSettings:
    no_order_after: timedelta | None = timedelta(minutes=20)
    no_check_after_mains: timedelta | None = timedelta(minutes=45)
    over_turn_by: timedelta | None = timedelta(minutes=15)
    arrival_lead: timedelta | None = timedelta(minutes=15)  # look at parties due within this long
    arrival_tolerance: timedelta = timedelta(0)  # a table predicted free this late still counts in time
    severity: Mapping[AlertKind, Severity] = field(default_factory=lambda: DEFAULT_SEVERITY)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    table_id: str | None  # the first table of the party
    reservation_id: str | None
    minutes: int
    message: str
    severity: Severity
    table_ids: tuple[str, ...] = ()


def _whole_minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _late_minutes(delta: timedelta) -> int:
    return max(0, -int(-delta.total_seconds() // 60))


def _parties(paces: Iterable[TablePace]) -> list[tuple[TablePace, tuple[str, ...], str]]:
    """(first pace, table ids, "Table 12" / "Tables 12+13") per party, in floor order."""
    groups: dict[str, list[TablePace]] = {}
    for pace in paces:
        groups.setdefault(pace.party_key, []).append(pace)
    result = []
    for group in groups.values():
        names = "+".join(p.table_name or p.table_id for p in group)
        label = f"Tables {names}" if len(group) > 1 else f"Table {names}"
        result.append((group[0], tuple(p.table_id for p in group), label))
    return result


def evaluate_alerts(
    paces: Mapping[str, TablePace] | Iterable[TablePace],
    forecasts: Iterable[ArrivalForecast],
    *,
    now: datetime,
    settings: AlertSettings = AlertSettings(),
    tz: tzinfo = timezone.utc,
) -> list[Alert]:
    """Every alert that holds at `now`, most severe first, then most minutes first. `tz` writes the times."""
    items = paces.values() if isinstance(paces, Mapping) else paces
    alerts: list[Alert] = []

    def add(kind: AlertKind, tables: tuple[str, ...], reservation_id: str | None, minutes: int, text: str) -> None:
        alerts.append(
            Alert(
                kind,
                tables[0] if tables else None,
                reservation_id,
                minutes,
                text,
                settings.severity.get(kind, Severity.WARNING),
                tables,
            )
        )

    for pace, tables, label in _parties(items):
        seated_for = now - pace.seated_since
        if (
            settings.no_order_after is not None
            and pace.stage in (None, CourseStage.OPENED)
            and seated_for >= settings.no_order_after
        ):
            minutes = _whole_minutes(seated_for)
            add(AlertKind.NO_ORDER, tables, pace.reservation_id, minutes,
                f"{label}: seated {minutes} min, no order yet")
        if (
            settings.no_check_after_mains is not None
            and pace.stage == CourseStage.MAINS
            and pace.stage_since is not None
            and now - pace.stage_since >= settings.no_check_after_mains
        ):
            minutes = _whole_minutes(now - pace.stage_since)
            add(AlertKind.NO_CHECK, tables, pace.reservation_id, minutes,
                f"{label}: mains out {minutes} min, no check yet")
        if (
            settings.over_turn_by is not None
            and pace.over_by_minutes > 0
            and timedelta(minutes=pace.over_by_minutes) >= settings.over_turn_by
        ):
            add(AlertKind.OVER_TURN, tables, pace.reservation_id, pace.over_by_minutes,
                f"{label}: {pace.over_by_minutes} min over its expected turn")

    if settings.arrival_lead is not None:
        for fc in forecasts:
            alert = _arrival_alert(fc, now, settings, tz)
            if alert is not None:
                alerts.append(alert)

    alerts.sort(key=lambda a: (a.severity.rank, -a.minutes, a.message))
    return alerts


def _arrival_alert(fc: ArrivalForecast, now: datetime, settings: AlertSettings, tz: tzinfo) -> Alert | None:
    assert settings.arrival_lead is not None
    if fc.start - now > settings.arrival_lead:
        return None
    due = max(fc.start, now)
    who = f"{fc.party_name or 'Party'} ({fc.party_size}) due {fc.start.astimezone(tz):%H:%M}"
    severity = settings.severity.get(AlertKind.ARRIVAL_AT_RISK, Severity.URGENT)
    if fc.assigned_table_ids:
        if fc.assigned_free_at is not None and fc.assigned_free_at <= due + settings.arrival_tolerance:
            return None
        at = f"{who} at {fc.assigned_tables}"
        if fc.assigned_free_at is None:
            text, minutes = f"{at}: table blocked", fc.late_by_minutes
        else:
            minutes = _late_minutes(fc.assigned_free_at - due)
            text = f"{at}: table still occupied, predicted free {fc.assigned_free_at.astimezone(tz):%H:%M}"
        if fc.likely_table_ids and fc.likely_table_ids != fc.assigned_table_ids and fc.likely_at is not None:
            if fc.late_by_minutes == 0:
                text += f"; {fc.likely_tables} is free"
            else:
                text += f"; {fc.likely_tables} may free first, {fc.likely_at.astimezone(tz):%H:%M}"
        return Alert(AlertKind.ARRIVAL_AT_RISK, fc.assigned_table_ids[0], fc.reservation_id, minutes, text,
                     severity, fc.assigned_table_ids)
    if fc.warning is None:
        return None
    if not fc.likely_table_ids or fc.likely_at is None:
        text = f"{who}: no table can seat them"
        return Alert(AlertKind.ARRIVAL_AT_RISK, None, fc.reservation_id, 0, text, severity, ())
    text = f"{who}: no table free in time, {fc.likely_tables} predicted free {fc.likely_at.astimezone(tz):%H:%M}"
    return Alert(AlertKind.ARRIVAL_AT_RISK, fc.likely_table_ids[0], fc.reservation_id, fc.late_by_minutes, text,
                 severity, fc.likely_table_ids)
