"""The look in one place: the colours of table states and marks, the fonts, and the style sheet loader.

Widgets take colours from here (never hard-coded elsewhere); the style sheet lives in
`resources/style/hoststand.qss` and uses the same colours.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QFont

from hoststand.domain.model import CourseStage, ReservationStatus, TableState

log = logging.getLogger(__name__)

FONT_FAMILY = "DejaVu Sans"

# Base colours of the interface.
INK = QColor("#1D2330")  # body text
MUTED = QColor("#6B7385")  # secondary text
LINE = QColor("#D9DDE5")  # hairlines, free table outline
PAPER = QColor("#FFFFFF")  # panels
CANVAS = QColor("#EEF0F4")  # behind the floor plan
PRIMARY = QColor("#1F6FEB")  # the main action, selection
SELECTION = QColor("#1F6FEB")

# Marks.
ALLERGY = QColor("#D92D20")
ALLERGY_TINT = QColor("#FDECEA")
VIP = QColor("#C99A06")
OCCASION = QColor("#D6336C")
PENDING = QColor("#4B5B76")
WARNING = QColor("#D92D20")
LATE = QColor("#B54708")

# API health.
HEALTH = {"up": QColor("#2EA043"), "degraded": QColor("#E3A008"), "down": QColor("#E5484D")}


@dataclass(frozen=True)
class StateStyle:
    fill: QColor
    border: QColor
    text: QColor
    label: str  # plain words for the legend and tooltips


_DARK_TEXT = QColor("#1D2330")
_LIGHT_TEXT = QColor("#FFFFFF")

TABLE_STATES: dict[TableState, StateStyle] = {
    TableState.FREE: StateStyle(QColor("#FFFFFF"), QColor("#BFC6D1"), _DARK_TEXT, "Free"),
    TableState.HELD: StateStyle(QColor("#FFF3D6"), QColor("#E09A00"), QColor("#6B4700"), "Held"),
    TableState.SEATED: StateStyle(QColor("#3E7BE6"), QColor("#2C63C4"), _LIGHT_TEXT, "Seated"),
    TableState.ORDERED: StateStyle(QColor("#2456B8"), QColor("#1B4596"), _LIGHT_TEXT, "Ordered"),
    TableState.MAINS: StateStyle(QColor("#6A4BC4"), QColor("#553AA6"), _LIGHT_TEXT, "Mains"),
    TableState.DESSERT: StateStyle(QColor("#A8449A"), QColor("#8C3580"), _LIGHT_TEXT, "Dessert"),
    TableState.CHECK_DROPPED: StateStyle(QColor("#0F8577"), QColor("#0B6B60"), _LIGHT_TEXT, "Check dropped"),
    TableState.PAID: StateStyle(QColor("#2E9E5B"), QColor("#237D47"), _LIGHT_TEXT, "Paid"),
    TableState.BLOCKED: StateStyle(QColor("#E4E7EC"), QColor("#98A1AE"), QColor("#5B6373"), "Blocked"),
    TableState.STALE: StateStyle(QColor("#E9EBEF"), QColor("#A3AAB6"), QColor("#5B6373"), "No recent POS data"),
}

STAGE_LABELS: dict[CourseStage, str] = {
    CourseStage.OPENED: "Just seated",
    CourseStage.ORDERED: "Ordered",
    CourseStage.MAINS: "Mains out",
    CourseStage.DESSERT: "Dessert",
    CourseStage.CHECK_DROPPED: "Check dropped",
    CourseStage.PAID: "Paid",
    CourseStage.CLOSED: "Closed",
    CourseStage.VOIDED: "Voided",
}

STATUS_LABELS: dict[ReservationStatus, str] = {
    ReservationStatus.BOOKED: "Booked",
    ReservationStatus.ARRIVED: "Waiting",
    ReservationStatus.SEATED: "Seated",
    ReservationStatus.FINISHED: "Done",
    ReservationStatus.CANCELLED: "Cancelled",
    ReservationStatus.NO_SHOW: "No-show",
}

# Reservation status pills in the list: (background, text).
STATUS_PILLS: dict[ReservationStatus, tuple[QColor, QColor]] = {
    ReservationStatus.BOOKED: (QColor("#EEF1F6"), QColor("#3A4252")),
    ReservationStatus.ARRIVED: (QColor("#FFF3D6"), QColor("#7A5200")),
    ReservationStatus.SEATED: (QColor("#E2ECFD"), QColor("#1B4596")),
    ReservationStatus.FINISHED: (QColor("#E6F4EA"), QColor("#1E6B3A")),
    ReservationStatus.CANCELLED: (QColor("#F1F2F4"), QColor("#8A91A0")),
    ReservationStatus.NO_SHOW: (QColor("#F1F2F4"), QColor("#8A91A0")),
}
LATE_PILL = (QColor("#FDEBD8"), QColor("#9A3B06"))


def table_style(state: TableState) -> StateStyle:
    return TABLE_STATES.get(state, TABLE_STATES[TableState.FREE])


def font(point_px: float, *, bold: bool = False, weight: QFont.Weight | None = None) -> QFont:
    """The interface font at a pixel size."""
    f = QFont(FONT_FAMILY)
    f.setPixelSize(max(1, round(point_px)))
    if weight is not None:
        f.setWeight(weight)
    elif bold:
        f.setBold(True)
    return f


def resources_dir() -> Path:
    """`resources/` beside the package, or inside a frozen (PyInstaller) bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@cache
def stylesheet() -> str:
    path = resources_dir() / "style" / "hoststand.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet not found at %s; using the plain Qt look", path)
        return ""
