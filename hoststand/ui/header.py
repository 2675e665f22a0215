"""The header bar: where and when (restaurant, service date, local time), tonight's covers as big figures,
and how the connections are (one health chip per API, queued actions, a stale-data marker).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from hoststand.services.views import ApiHealthView, HeaderView
from hoststand.ui import marks

_STATE_WORDS = {"up": "", "degraded": "slow", "down": "down"}
_ROLE_WORDS = {"booking": "booking platform", "pos": "POS"}


def health_text(a: ApiHealthView) -> str:
    """The chip's words: "OpenTable", "Toast · down since 19:42"."""
    if a.auth_failed:
        return f"{a.label} · sign-in refused"
    words = _STATE_WORDS.get(a.state, a.state)
    if not words:
        return a.label
    since = f" since {a.since_local.strftime('%H:%M')}" if a.since_local else ""
    return f"{a.label} · {words}{since}"


def health_tooltip(a: ApiHealthView) -> str:
    role = _ROLE_WORDS.get(a.role, a.role)
    lines = [f"{a.label} ({role}): {'up' if a.state == 'up' else a.state}"]
    if a.since_local and a.state != "up":
        lines[0] += f" since {a.since_local.strftime('%H:%M')}"
    if a.auth_failed:
        lines.append("The credentials were refused: a manager must sign in again.")
    if a.detail:
        lines.append(a.detail)
    if a.last_success_local:
        lines.append(f"Last heard from {a.last_success_local.strftime('%H:%M:%S')}")
    if a.state != "up":
        lines.append("You can keep working: changes wait in the queue and are sent when it is back.")
    return "\n".join(lines)


def stale_text(h: HeaderView) -> str:
    if h.data_age_s is None:
        return "Showing cached data · not synced yet"
    since: datetime = h.now_local - timedelta(seconds=h.data_age_s)
    return f"Showing cached data from {since.strftime('%H:%M')}"


class _Figure(QWidget):
    """A big number with a small caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.value = QLabel("0")
        self.value.setObjectName("figureValue")
        self.caption = QLabel(caption)
        self.caption.setObjectName("figureCaption")
        for w in (self.value, self.caption):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            col.addWidget(w)

    def set_value(self, text: str) -> None:
        self.value.setText(text)


class HealthChip(QFrame):
    """One API: a coloured dot (green up, amber degraded, red down) and its words."""

    def __init__(self, api: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.state = "up"
        self.setObjectName("healthChip")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 12, 4)
        row.setSpacing(7)
        self.dot = QLabel()
        self.dot.setObjectName("healthDot")
        self.dot.setFixedSize(10, 10)
        self.label = QLabel()
        self.label.setObjectName("healthText")
        row.addWidget(self.dot)
        row.addWidget(self.label)

    def set_health(self, a: ApiHealthView) -> None:
        self.state = "down" if a.auth_failed else a.state
        self.label.setText(health_text(a))
        self.setToolTip(health_tooltip(a))
        self.setAccessibleName(health_text(a))
        for w in (self, self.dot):
            if w.property("state") != self.state:
                w.setProperty("state", self.state)
                w.style().unpolish(w)
                w.style().polish(w)

    def text(self) -> str:
        return self.label.text()


class _Notice(QFrame):
    """A chip with a mark and words: queued actions, failures, conflicts, stale data. Tapping it opens
    the page that explains it."""

    clicked = Signal(str)

    def __init__(self, kind: str, tone: str, mark: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setObjectName("noticeChip")
        self.setProperty("tone", tone)
        self.kind = kind
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 12, 4)
        row.setSpacing(6)
        if mark:
            icon = QLabel()
            icon.setPixmap(marks.mark_pixmap(mark, 16, self.devicePixelRatioF()))
            icon.setFixedSize(16, 16)
            row.addWidget(icon)
        self.label = QLabel()
        self.label.setObjectName("noticeText")
        row.addWidget(self.label)
        self.hide()

    def show_text(self, text: str | None, tooltip: str = "") -> None:
        self.label.setText(text or "")
        self.setToolTip(tooltip)
        self.setVisible(bool(text))

    def text(self) -> str:
        return self.label.text()

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.kind)
        super().mouseReleaseEvent(event)


def outage_text(h: HeaderView) -> str:
    """The banner's words when an API is in trouble: what is down since when, and that work goes on."""
    parts = []
    for a in h.apis:
        role = _ROLE_WORDS.get(a.role, a.role)
        since = f" since {a.since_local.strftime('%H:%M')}" if a.since_local else ""
        if a.auth_failed:
            parts.append(f"{a.label} ({role}) refused our sign-in{since}: a manager must sign in again")
        elif a.state == "down":
            parts.append(f"{a.label} ({role}) is unreachable{since}")
        elif a.state == "degraded":
            parts.append(f"{a.label} ({role}) is slow{since}")
    if not parts and not h.stale:
        return ""
    head = ". ".join(parts) + "." if parts else "No recent word from the booking platform."
    return f"{head} Keep working: everything you do is saved here and sent when it is back."


class OutageBanner(QFrame):
    """A strip under the header while an API is down or slow, or the data is old: what, since when."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outageBanner")
        self.setProperty("tone", "warn")
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 7, 20, 7)
        row.setSpacing(10)
        icon = QLabel()
        icon.setPixmap(marks.mark_pixmap(marks.WARNING, 20, self.devicePixelRatioF()))
        icon.setFixedSize(20, 20)
        self.message = QLabel()
        self.message.setObjectName("bannerText")
        self.message.setWordWrap(True)
        self.stale = QLabel()
        self.stale.setObjectName("bannerStale")
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.message, 1)
        row.addWidget(self.stale, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def set_header(self, h: HeaderView) -> None:
        text = outage_text(h)
        self.message.setText(text)
        self.stale.setText(stale_text(h) if h.stale else "")
        self.stale.setVisible(h.stale)
        tone = "down" if any(a.state == "down" or a.auth_failed for a in h.apis) else "warn"
        if self.property("tone") != tone:
            self.setProperty("tone", tone)
            self.style().unpolish(self)
            self.style().polish(self)
        self.setVisible(bool(text))


class HeaderBar(QFrame):
    """The dark bar across the top of the window, and the outage banner under it."""

    notice_clicked = Signal(str)  # "queued", "dead" or "conflicts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        bar = QWidget()
        bar.setObjectName("headerBar")
        outer.addWidget(bar)
        self.banner = OutageBanner()
        outer.addWidget(self.banner)
        row = QHBoxLayout(bar)
        row.setContentsMargins(20, 10, 16, 10)
        row.setSpacing(14)

        where = QVBoxLayout()
        where.setSpacing(2)
        self.restaurant = QLabel()
        self.restaurant.setObjectName("restaurantName")
        self.date = QLabel()
        self.date.setObjectName("serviceDate")
        where.addWidget(self.restaurant)
        where.addWidget(self.date)
        row.addLayout(where)

        self.clock = QLabel()
        self.clock.setObjectName("clock")
        row.addWidget(self.clock)

        self.booked = _Figure("covers booked")
        self.arrived = _Figure("waiting")
        self.seated = _Figure("seated")
        self.parties = _Figure("parties seated")
        for i, fig in enumerate((self.booked, self.arrived, self.seated, self.parties)):
            if i:
                sep = QFrame()
                sep.setObjectName("headerRule")
                sep.setFixedWidth(1)
                row.addWidget(sep)
            row.addWidget(fig)
        row.addStretch(1)

        self.status_row = QHBoxLayout()
        self.status_row.setSpacing(8)
        self.conflicts = _Notice("conflicts", "warn", marks.WARNING)
        self.dead = _Notice("dead", "bad", marks.WARNING)
        self.queued = _Notice("queued", "info", marks.PENDING)
        for w in (self.conflicts, self.dead, self.queued):
            self.status_row.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
            w.clicked.connect(self.notice_clicked)
        self.chips_row = QHBoxLayout()
        self.chips_row.setSpacing(8)
        self.status_row.addLayout(self.chips_row)
        row.addLayout(self.status_row)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("menuButton")
        self.menu_button.setText("☰")
        self.menu_button.setToolTip("Menu")
        self.menu_button.setAccessibleName("Menu")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(self.menu_button)
        self._chips: dict[str, HealthChip] = {}

    @property
    def stale(self) -> QLabel:
        """The "Showing cached data from 19:41" marker (in the banner)."""
        return self.banner.stale

    def set_menu(self, menu: QMenu) -> None:
        self.menu_button.setMenu(menu)

    def chip(self, api: str) -> HealthChip | None:
        return self._chips.get(api)

    def chips(self) -> list[HealthChip]:
        return list(self._chips.values())

    def set_header(self, h: HeaderView) -> None:
        self.restaurant.setText(h.restaurant)
        self.date.setText(f"{h.service_date.strftime('%A')} {h.service_date.day} {h.service_date.strftime('%B')}")
        self.set_time(h.now_local)
        self.booked.set_value(str(h.covers_booked))
        self.arrived.set_value(str(h.covers_arrived))
        self.seated.set_value(str(h.covers_seated))
        self.parties.set_value(f"{h.parties_seated}/{h.parties_total}")

        seen = set()
        for a in h.apis:
            seen.add(a.api)
            chip = self._chips.get(a.api)
            if chip is None:
                chip = self._chips[a.api] = HealthChip(a.api)
                self.chips_row.addWidget(chip, 0, Qt.AlignmentFlag.AlignVCenter)
            chip.set_health(a)
        for api in [k for k in self._chips if k not in seen]:
            self._chips.pop(api).deleteLater()

        self.banner.set_header(h)
        n = h.queued_actions
        self.queued.show_text(
            f"{n} queued" if n > 0 else None,
            f"{n} change{'s' if n != 1 else ''} saved here, waiting to reach the POS or the booking platform.",
        )
        d = h.dead_actions
        self.dead.show_text(
            f"{d} failed" if d > 0 else None,
            "A vendor refused these changes for good: a manager should look at the queue.",
        )
        c = h.open_conflicts
        self.conflicts.show_text(f"{c} conflict{'s' if c != 1 else ''}" if c > 0 else None, "Open conflicts to resolve.")

    def set_time(self, now_local: datetime) -> None:
        self.clock.setText(now_local.strftime("%H:%M"))
