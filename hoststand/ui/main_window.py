"""The main window: header on top; tonight's list on the left; the floor plan and the selected party on the
right; transient command messages at the bottom.

Every command goes through `HostService` (a local transaction of a few milliseconds) and its
`CommandResult` is shown in plain words; nothing here waits on the network. The window refreshes from the
service's queries when a change event arrives (through `ChangeBridge`), refreshing only what the event's
topics name.

The service is `hoststand.services.HostService`. It is not imported here, not even for type checking: the
layering contract counts indirect imports, and the services package imports the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hoststand.domain.events import Change
from hoststand.domain.model import ReservationStatus, TableState
from hoststand.services.views import CommandResult
from hoststand.ui import theme
from hoststand.ui.bridge import ChangeBridge
from hoststand.ui.pages import Page, PageBar
from hoststand.ui.sheet import add_print_action
from hoststand.ui.view_loader import ALL_TOPICS, Snapshot, ViewLoader, load_snapshot
from hoststand.ui.details_panel import DetailsPanel
from hoststand.ui.floor_plan import FloorPlanView
from hoststand.ui.header import HeaderBar
from hoststand.ui.reservation_list import ReservationListPanel, is_typing_key
from hoststand.ui.table_picker import TablePicker

log = logging.getLogger(__name__)

LIST_SHARE = 0.44  # the plan is limited by its height at 16:10, so the list can have the width
TICK_MS = 20_000  # minutes seated, lateness and the clock move on even when nothing else changes
MESSAGE_MS = 8_000
ERROR_MS = 15_000
DEFERRED_PAGE_GAP_MS = 30  # between two pages built after the first paint
_STAGES = (("header", "undo_label"), ("rows",), ("floor",), ("party",))  # a background snapshot: a stage per turn
_PARTS = tuple(part for stage in _STAGES for part in stage)  # what a snapshot may carry, in drawing order
STAGE_GAP_MS = 8  # between two stages: a zero-delay timer runs before the paint the stage before asked for



def _offers(service, name: str) -> bool:  # noqa: ANN001
    """Whether the service has that part, without building it (`HostService` builds the services of the other
    screens on first use)."""
    if name in getattr(service, "__dict__", {}):
        return service.__dict__[name] is not None
    return getattr(type(service), name, None) is not None


def _queue_page(ops) -> Page:  # noqa: ANN001 - an OperationsService
    from hoststand.ui.queue_page import QueuePage

    return QueuePage(ops)


def _conflicts_page(ops) -> Page:  # noqa: ANN001
    from hoststand.ui.conflicts_page import ConflictsPage

    return ConflictsPage(ops)


def _report_page(report, on_result: Callable) -> Page:  # noqa: ANN001 - a ReconciliationService
    from hoststand.ui.reconciliation_page import ReconciliationPage

    return ReconciliationPage(report, on_result=on_result)


class MessageBar(QWidget):
    """The status bar's transient message, with an Undo button while an undo is possible."""

    undo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.setSpacing(10)
        self.label = QLabel()
        self.label.setObjectName("statusMessage")
        self.label.setProperty("tone", "info")
        row.addWidget(self.label, 1)
        self.undo = QPushButton("Undo")
        self.undo.setObjectName("statusUndo")
        self.undo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.undo.clicked.connect(self.undo_clicked)
        self.undo.hide()
        row.addWidget(self.undo)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)

    def show_message(self, text: str, *, error: bool = False) -> None:
        tone = "error" if error else "ok"
        self.label.setText(text)
        if self.label.property("tone") != tone:
            self.label.setProperty("tone", tone)
            self.label.style().unpolish(self.label)
            self.label.style().polish(self.label)
        self.label.show()
        self._timer.start(ERROR_MS if error else MESSAGE_MS)

    def clear(self) -> None:
        self.label.clear()
        self.label.hide()

    def text(self) -> str:
        return self.label.text()

    def is_error(self) -> bool:
        return self.label.property("tone") == "error"

    def set_undo_label(self, label: str | None) -> None:
        self.undo.setText((label or "Undo").replace("&", "&&"))
        self.undo.setVisible(bool(label))


class MainWindow(QMainWindow):
    first_paint = Signal()  # once, after the floor plan has painted for the first time
    command_done = Signal(object)  # the CommandResult of every command the host ran

    def __init__(
        self,
        service: "HostService",  # noqa: F821 (see the module docstring)
        *,
        title: str = "hoststand",
        extra_menus: list[QMenu] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.picker: TablePicker | None = None
        self._focus: tuple[str, str] | None = None  # ("reservation", id) or ("table", id) in the details panel
        self._syncing = False
        self._sized = False

        self.setWindowTitle(title)
        self.setObjectName("mainWindow")
        self.setStyleSheet(theme.stylesheet())
        self.resize(1440, 900)
        self.setMinimumSize(1024, 680)

        self.header = HeaderBar()
        self.reservation_list = ReservationListPanel()
        self.floor_view = FloorPlanView()
        self.details = DetailsPanel()

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("rightSplitter")
        self.right.addWidget(self.floor_view)
        self.right.addWidget(self.details)
        self.right.setChildrenCollapsible(False)
        self.right.setStretchFactor(0, 3)
        self.right.setStretchFactor(1, 2)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("mainSplitter")
        self.split.addWidget(self.reservation_list)
        self.split.addWidget(self.right)
        self.split.setChildrenCollapsible(False)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)

        self.page_bar = PageBar()
        self.page_bar.add("host", "Tonight")
        self.page_bar.selected.connect(self.show_page)
        self.header.notice_clicked.connect(lambda kind: self.show_page("conflicts" if kind == "conflicts" else "queue"))
        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        self.pages.addWidget(self.split)
        self._pages: dict[str, Page] = {}
        self._deferred: dict[str, Callable[[], Page]] = {}  # pages built after the first paint (_add_pages)
        self._deferred_started = False
        self._closed = False

        central = QWidget()
        central.setObjectName("central")
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.header)
        col.addWidget(self.page_bar)
        col.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.messages = MessageBar()
        self.statusBar().setObjectName("statusBar")
        self.statusBar().setSizeGripEnabled(False)
        self.statusBar().addWidget(self.messages, 1)

        self._build_menus(extra_menus or [])
        self._connect()
        self._add_pages()

        self.loader = ViewLoader(service, lambda: self._focus, self)
        self.loader.loaded.connect(self._apply_in_stages)
        self._staged: dict[str, Snapshot] = {}  # parts of background snapshots not drawn yet, by part
        self.loader.failed.connect(self._on_load_failed)
        self.bridge = ChangeBridge(service.subscribe, self)
        self.bridge.changed.connect(self._on_change)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self.refresh_all()

    # -------------------------------------------------------------------------------- set-up

    def _build_menus(self, extra: list[QMenu]) -> None:
        """The header's ☰ menu (no menu bar: this is a touch screen); shortcuts work without opening it."""
        self.menu = QMenu("Menu", self)
        self.menu.setObjectName("mainMenu")
        self.find_action = QAction("Find a party", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self.reservation_list.focus_search)
        self.seat_action = QAction("Check in && seat selected", self)
        self.seat_action.triggered.connect(self._seat_selected)
        self.arrived_action = QAction("Arrived – waiting", self)
        self.arrived_action.triggered.connect(self._arrived_selected)
        self.undo_action = QAction("Undo", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo)
        self.refresh_action = QAction("Refresh now", self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.triggered.connect(self.refresh_now)
        self.fit_action = QAction("Fit floor plan", self)
        self.fit_action.triggered.connect(self.floor_view.fit)
        for a in (self.find_action, self.seat_action, self.arrived_action):
            self.menu.addAction(a)
        self.menu.addSeparator()
        self.menu.addAction(self.undo_action)
        self.menu.addSeparator()
        self.menu.addAction(self.refresh_action)
        self.menu.addAction(self.fit_action)
        if extra:
            self.menu.addSeparator()
            for m in extra:
                self.menu.addMenu(m)
        self.extra_menus = list(extra)
        for a in (self.find_action, self.undo_action, self.refresh_action):
            self.addAction(a)  # window-wide shortcuts
        self.header.set_menu(self.menu)
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._escape.activated.connect(self.reservation_list.clear_search)

    def _connect(self) -> None:
        rl = self.reservation_list
        rl.check_in_requested.connect(self.check_in)
        rl.arrived_requested.connect(self.mark_arrived)
        rl.reservation_selected.connect(self._on_reservation_selected)
        rl.search.installEventFilter(self)
        self.floor_view.table_selected.connect(self._on_table_selected)
        self.floor_view.table_activated.connect(self._on_table_activated)
        self.floor_view.first_painted.connect(self.first_paint)
        self.details.check_in_requested.connect(self.check_in)
        self.details.arrived_requested.connect(self.mark_arrived)
        self.details.undo_requested.connect(self.undo)
        self.details.no_show_requested.connect(self.confirm_no_show)
        self.details.cancel_requested.connect(self.confirm_cancel)
        self.details.resize_requested.connect(self.ask_party_size)
        self.details.move_requested.connect(self.ask_move)
        self.messages.undo_clicked.connect(self.undo)

    # ------------------------------------------------------------------------------ refresh

    def finish_drawing(self) -> None:
        """Draw now what is left to the next frames (the list fills over a few after a big refresh): before a
        screenshot."""
        self.reservation_list.view.finish_drawing()

    def refresh_all(self) -> None:
        """Re-read everything from the service now (start-up, F5, tests)."""
        self._refresh(set(ALL_TOPICS))

    def refresh_now(self) -> None:
        """F5: ask sync for fresh data (in the background) and redraw from the cache at once."""
        self._guard("refresh", self.service.refresh_now)
        self.refresh_all()

    def _on_change(self, change: Change) -> None:
        self.loader.request(set(change.topics))  # read off the GUI thread; applied in _apply
        page = self.current_page()
        if page is not None and page.topics & change.topics:
            self._refresh_page(page)

    # -------------------------------------------------------------------------------- pages

    def _add_pages(self) -> None:
        """The screens besides the host stand, each over its part of the service.

        Their buttons are placed now; the pages themselves (and their modules) are built once the floor plan
        has painted for the first time, or at once when one is asked for (`page`, `show_page`), so that they
        never delay the first paint."""
        if _offers(self.service, "waitlist"):
            self._defer_page("waitlist", "Waitlist", self._waitlist_page)
        if _offers(self.service, "pacing"):
            self._defer_page("pacing", "Pacing", self._pacing_page)
        if _offers(self.service, "operations"):  # built on first use too: it writes through SQLAlchemy
            self._defer_page("queue", "Sync queue", lambda: _queue_page(self.service.operations))
            self._defer_page("conflicts", "Conflicts", lambda: _conflicts_page(self.service.operations))
            add_print_action(self, lambda: self.service.operations)
        if _offers(self.service, "reconciliation"):
            self._defer_page("report", "Night report", lambda: _report_page(self.service.reconciliation, self._after))
        self.floor_view.first_painted.connect(self._start_deferred_pages)

    def _waitlist_page(self) -> Page:
        from hoststand.ui.waitlist_page import WaitlistPage

        page = WaitlistPage(self.service.waitlist, self.service)
        page.command_done.connect(lambda _result: self.refresh_all())
        return page

    def _pacing_page(self) -> Page:
        from hoststand.ui.pacing_page import PacingPage

        page = PacingPage(self.service.pacing, self.service)
        page.command_done.connect(lambda _result: self.refresh_all())
        return page

    def _defer_page(self, key: str, title: str, build: Callable[[], Page]) -> None:
        self._deferred[key] = build
        self.page_bar.add(key, title)

    def _build_page(self, key: str) -> None:
        build = self._deferred.pop(key, None)
        if build is not None:
            page = build()
            self._pages[key] = page
            self.pages.addWidget(page)

    def pages_pending(self) -> bool:
        """Whether some of the other screens are still to be built (see `_add_pages`)."""
        return bool(self._deferred)

    def _start_deferred_pages(self) -> None:
        if not self._deferred_started:
            self._deferred_started = True
            QTimer.singleShot(0, self, self._build_deferred_pages)

    def _build_deferred_pages(self) -> None:
        """One page per turn of the event loop (each takes 15-40 ms), so the host can already act between."""
        if self._closed or not self._deferred:  # a page built now would start workers that nothing stops
            return
        self._build_page(next(iter(self._deferred)))
        if self._deferred:
            QTimer.singleShot(DEFERRED_PAGE_GAP_MS, self, self._build_deferred_pages)

    def add_page(self, key: str, title: str, page: Page) -> None:
        """Add a screen (waitlist, pacing, …) with its button under the header."""
        self._deferred.pop(key, None)
        self._pages[key] = page
        self.pages.addWidget(page)
        self.page_bar.add(key, title)

    def page(self, key: str) -> Page | None:
        self._build_page(key)
        return self._pages.get(key)

    def current_page(self) -> Page | None:
        w = self.pages.currentWidget()
        return w if isinstance(w, Page) else None

    def current_page_key(self) -> str:
        page = self.current_page()
        return next((k for k, p in self._pages.items() if p is page), "host")

    def show_page(self, key: str) -> None:
        self._build_page(key)
        page = self._pages.get(key)
        self.page_bar.set_current(key if page is not None else "host")
        if page is None:
            self.pages.setCurrentWidget(self.split)
            return
        self._refresh_page(page)
        self.pages.setCurrentWidget(page)

    def _refresh_page(self, page: Page) -> None:
        try:
            page.refresh()
        except Exception:  # a page that cannot read its data must not take the window down
            log.exception("refreshing %s failed", type(page).__name__)
            self._on_load_failed("page")

    def _on_tick(self) -> None:
        self.loader.request({"reservations", "tables"})

    def _refresh(self, topics: set[str]) -> None:
        """Synchronous refresh (start-up, F5, after the host's own command): read and draw now."""
        try:
            snap = load_snapshot(self.service, topics, self._focus, self.loader.bump())
        except Exception:  # a failed read must not take the window down; the next event retries
            log.exception("refresh failed")
            self._on_load_failed("refresh")
            return
        self._apply(snap)

    def _apply(self, snap: Snapshot) -> None:
        """Draw all of `snap` now (a synchronous refresh: the host's own command shows at once)."""
        for part in _PARTS:
            if snap.has(part):
                self._staged.pop(part, None)  # older than this
                self._apply_part(part, snap)

    def _apply_in_stages(self, snap: Snapshot) -> None:
        """Draw a background snapshot a part per turn of the event loop (header and undo, the list, the floor,
        the details), so the screen paints between them: during a big pull the list's thousand rows and the
        plan's hundred and fifty tables in one go held the screen for 50-70 ms on a two-core terminal."""
        start = not self._staged
        for part in _PARTS:
            if snap.has(part):
                self._staged[part] = snap  # a newer snapshot's part replaces the older one not drawn yet
        if start and self._staged:
            QTimer.singleShot(STAGE_GAP_MS, self, self._apply_next_stage)

    def _apply_next_stage(self) -> None:
        if self._closed:
            self._staged.clear()
            return
        for stage in _STAGES:
            parts = [(part, self._staged.pop(part)) for part in stage if part in self._staged]
            if parts:
                for part, snap in parts:
                    if snap.generation == self.loader.generation:  # nothing newer was drawn meanwhile
                        self._apply_part(part, snap)
                break
        if self._staged:
            QTimer.singleShot(STAGE_GAP_MS, self, self._apply_next_stage)

    def _apply_part(self, part: str, snap: Snapshot) -> None:
        if part == "header":
            self.header.set_header(snap.header)
        elif part == "rows":
            self.reservation_list.set_rows(snap.rows)
        elif part == "floor":
            self.floor_view.set_floor(snap.floor)
        elif part == "party":
            if snap.focus == self._focus:
                self._show_details(snap.party)
        elif part == "undo_label":
            self._set_undo_label(snap.undo_label)

    def _on_load_failed(self, _what: str) -> None:
        self.messages.show_message("Could not read the local cache just now; retrying on the next change.", error=True)

    def _refresh_details(self) -> None:
        party = None
        if self._focus is not None:
            kind, ident = self._focus
            party = self.service.party(ident) if kind == "reservation" else self.service.party_at_table(ident)
        self._show_details(party)

    def _show_details(self, party) -> None:  # noqa: ANN001
        if self._focus is None:
            self.details.clear()
            return
        kind, ident = self._focus
        if kind == "reservation":
            if party is None:
                self._focus = None
                self.details.clear()
                return
            self.details.show_party(party)
            row = self.reservation_list.model.get(ident)
            self.floor_view.highlight_tables(row.table_ids if row else ())
        else:
            item = self.floor_view.table_item(ident)
            table = item.view if item is not None else None
            self.details.show_party(party, table=table)

    def _refresh_undo(self) -> None:
        self._set_undo_label(self.service.undo_label())

    def _set_undo_label(self, label: str | None) -> None:
        self.details.set_undo_label(label)
        self.messages.set_undo_label(label)
        self.undo_action.setText(label or "Undo")
        self.undo_action.setEnabled(bool(label))

    # ---------------------------------------------------------------------------- selection

    def _on_reservation_selected(self, reservation_id: str | None) -> None:
        if self._syncing:
            return
        if reservation_id is None:
            return
        self._focus = ("reservation", reservation_id)
        self.floor_view.select_table(None)
        self._refresh_details()

    def _on_table_selected(self, table_id: str) -> None:
        self._focus = ("table", table_id)
        self._refresh_details()
        rid = self.details.reservation_id
        self._syncing = True
        try:
            if rid is not None:
                self.reservation_list.select_reservation(rid)
                row = self.reservation_list.model.get(rid)
                self.floor_view.highlight_tables(row.table_ids if row else ())
            else:
                self.reservation_list.select_reservation(None)
                self.floor_view.highlight_tables(())
        finally:
            self._syncing = False

    def _on_table_activated(self, table_id: str) -> None:
        """Double-tap: check in the party the table is held for; for any other table, show its party."""
        self.floor_view.select_table(table_id, notify=True)
        item = self.floor_view.table_item(table_id)
        party = self.details.party
        if item is not None and party is not None and item.view.state is TableState.HELD:
            if party.status in (ReservationStatus.BOOKED, ReservationStatus.ARRIVED):
                self.check_in(party.reservation_id)

    def select_reservation(self, reservation_id: str) -> bool:
        """Select a party as if the host tapped its row."""
        return self.reservation_list.select_reservation(reservation_id)

    def select_table(self, table_id: str) -> None:
        """Select a table as if the host tapped it."""
        self.floor_view.select_table(table_id, notify=True)

    def _seat_selected(self) -> None:
        rid = self.details.reservation_id or self.reservation_list.selected_id()
        if rid:
            self.check_in(rid)

    def _arrived_selected(self) -> None:
        rid = self.details.reservation_id or self.reservation_list.selected_id()
        if rid:
            self.mark_arrived(rid)

    # ------------------------------------------------------------------------------ commands

    def check_in(self, reservation_id: str, table_ids: tuple[str, ...] | None = None) -> CommandResult | None:
        """Check the party in and seat it (at the size the host set, when changed); when it needs a table, open
        the picker."""
        size = self.details.party_size_at_seating(reservation_id)
        result = self._guard("check in", lambda: self.service.check_in(reservation_id, table_ids, size))
        if result is None:
            return None
        if result.needs_table:
            self._open_picker(result)
            self.messages.show_message(result.message)
        self._after(result)
        if result.ok:
            self.reservation_list.search.selectAll()  # the next name typed replaces the last search
        return result

    def mark_arrived(self, reservation_id: str) -> CommandResult | None:
        result = self._guard("mark arrived", lambda: self.service.mark_arrived(reservation_id))
        if result is not None:
            self._after(result)
        return result

    def undo(self) -> CommandResult | None:
        result = self._guard("undo", self.service.undo)
        if result is not None:
            self._after(result)
        return result

    # ------------------------------------------------------------------- the host's other actions

    def _party_words(self, reservation_id: str) -> str:
        row = self.reservation_list.model.get(reservation_id)
        return f"{row.name} ({row.party_size})" if row else "this party"

    def _confirm(self, title: str, text: str, yes: str) -> bool:
        from PySide6.QtWidgets import QMessageBox  # here: a dialog is never needed for the first paint

        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(ok)
        box.exec()
        return box.clickedButton() is ok

    def confirm_no_show(self, reservation_id: str, *, ask: bool = True) -> CommandResult | None:
        """The no-show assistant's one click (with a confirmation): platform told, table released."""
        if ask and not self._confirm(
            "Mark as a no-show?",
            f"Mark {self._party_words(reservation_id)} as a no-show? The booking platform is told and the table is "
            "released. You can undo it for a few minutes.",
            "Mark no-show",
        ):
            return None
        result = self._guard("mark the no-show", lambda: self.service.no_show(reservation_id))
        if result is not None:
            self._after(result)
        return result

    def confirm_cancel(self, reservation_id: str, *, ask: bool = True) -> CommandResult | None:
        if ask and not self._confirm(
            "Cancel the reservation?",
            f"Cancel {self._party_words(reservation_id)}? The booking platform is told and the table is released.",
            "Cancel reservation",
        ):
            return None
        result = self._guard("cancel", lambda: self.service.cancel(reservation_id))
        if result is not None:
            self._after(result)
        return result

    def ask_party_size(self, reservation_id: str, size: int | None = None) -> CommandResult | None:
        row = self.reservation_list.model.get(reservation_id)
        if size is None:
            from PySide6.QtWidgets import QInputDialog  # here: a dialog is never needed for the first paint

            value, ok = QInputDialog.getInt(
                self, "Party size", f"How many in {row.name if row else 'the party'}?", row.party_size if row else 2, 1, 50
            )
            if not ok:
                return None
            size = value
        result = self._guard("change the party size", lambda: self.service.resize(reservation_id, size))
        if result is not None:
            self._after(result)
        return result

    def ask_move(self, reservation_id: str) -> None:
        """Offer the best-fitting free tables; choosing one moves the party (and its ticket)."""
        suggestions = self._guard("find tables", lambda: self.service.suggest_tables(reservation_id)) or ()
        result = CommandResult(
            False,
            "Move to which table?" if suggestions else "No free table fits this party right now.",
            reservation_id,
            needs_table=True,
            suggestions=tuple(suggestions),
        )
        if self.picker is not None:
            self.picker.reject()
        picker = TablePicker(result, party_name=self._party_words(reservation_id), parent=self)
        picker.table_chosen.connect(lambda ids, rid=reservation_id: self.move(rid, tuple(ids)))
        picker.finished.connect(lambda _code, p=picker: self._picker_closed(p))
        self.picker = picker
        picker.open()

    def move(self, reservation_id: str, table_ids: tuple[str, ...]) -> CommandResult | None:
        result = self._guard("move", lambda: self.service.move(reservation_id, table_ids))
        if result is not None:
            self._after(result)
        return result

    def _after(self, result: CommandResult) -> None:
        if not result.needs_table:
            self.messages.show_message(result.message, error=not result.ok)
        self.refresh_all()
        self.command_done.emit(result)

    def _guard(self, verb: str, fn: Callable):
        try:
            return fn()
        except Exception as exc:  # never a traceback on the host's screen
            log.exception("%s failed", verb)
            self.messages.show_message(
                f"Could not {verb}: something went wrong on this terminal ({type(exc).__name__}). "
                "Nothing was sent; please try again.",
                error=True,
            )
            return None

    def _open_picker(self, result: CommandResult) -> None:
        rid = result.reservation_id
        if rid is None:
            return
        if self.picker is not None:
            self.picker.reject()
        row = self.reservation_list.model.get(rid)
        picker = TablePicker(result, party_name=f"{row.name} ({row.party_size})" if row else "", parent=self)
        picker.table_chosen.connect(lambda ids, rid=rid: self.check_in(rid, tuple(ids)))
        picker.wait_chosen.connect(lambda rid=rid: self.mark_arrived(rid))
        picker.finished.connect(lambda _code, p=picker: self._picker_closed(p))
        self.picker = picker
        picker.open()

    def _picker_closed(self, picker: TablePicker) -> None:
        if self.picker is picker:
            self.picker = None
        picker.deleteLater()

    # -------------------------------------------------------------------------------- events

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Typing anywhere (outside a text field) types into the search field."""
        if is_typing_key(event):
            self.reservation_list.type_into_search(event.text())
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: ANN001
        # Ctrl+Z in the search field means "undo the last check-in", not "undo my typing".
        if obj is self.reservation_list.search and event.type() == QEvent.Type.ShortcutOverride:
            if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo):
                event.ignore()
                return True
        return super().eventFilter(obj, event)

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self._size_panes()
        if not self.floor_view.table_ids():  # an empty cache (a first start): no plan to paint first, and the
            self._start_deferred_pages()    # pages must be built before the first pull, not in its middle

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        if not self._sized:
            self._size_panes()

    def _size_panes(self) -> None:
        w = max(self.split.width(), self.width())
        h = max(self.right.height(), self.height() - 110)
        left = round(w * LIST_SHARE)
        self.split.setSizes([left, w - left])
        floor = round(h * 0.62)
        self.right.setSizes([floor, h - floor])
        self._sized = self.isVisible()

    def closeEvent(self, event) -> None:  # noqa: ANN001
        self._closed = True
        self.bridge.close()
        self.loader.close()
        for page in self._pages.values():  # pages reading off the GUI thread stop their workers
            loader = getattr(page, "loader", None)
            if loader is not None:
                loader.close()
        self._tick.stop()
        super().closeEvent(event)
