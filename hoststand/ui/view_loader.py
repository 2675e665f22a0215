"""Reading the views off the GUI thread, so a large pull never freezes the screen.

A change event (a pull, the replayer) asks the loader for the views its topics name. One worker thread runs
the service's queries (each a short read transaction on its own connection) and hands a `Snapshot` back
to the GUI thread through a queued signal; the window only applies it, which takes a few milliseconds.
Requests made while a load runs are merged into the next one, so a burst of events costs one extra load.

The host's own commands still refresh synchronously (`MainWindow.refresh_all`) so a check-in is drawn at
once; every synchronous refresh bumps the generation, and a background snapshot older than it is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

log = logging.getLogger(__name__)

SETTLE_MS = 80  # pause between two background loads, for the screen to paint the first (see _next_later)
HEADER_TOPICS = frozenset({"reservations", "tables", "tickets", "outbox", "health", "conflicts"})
LIST_TOPICS = frozenset({"reservations", "guests", "outbox"})
FLOOR_TOPICS = frozenset({"tables", "tickets", "reservations", "outbox", "guests"})
DETAILS_TOPICS = frozenset({"reservations", "guests", "tickets", "outbox", "tables"})
UNDO_TOPICS = frozenset({"reservations", "outbox"})
ALL_TOPICS = HEADER_TOPICS | LIST_TOPICS | FLOOR_TOPICS | DETAILS_TOPICS | UNDO_TOPICS

_UNSET: Any = object()


@dataclass
class Snapshot:
    """What one load read. A field left `_UNSET` was not asked for."""

    generation: int
    focus: tuple[str, str] | None
    header: Any = _UNSET
    rows: Any = _UNSET
    floor: Any = _UNSET
    party: Any = _UNSET
    undo_label: Any = _UNSET
    extras: dict = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return getattr(self, name) is not _UNSET


def load_snapshot(service, topics: set[str] | frozenset[str], focus: tuple[str, str] | None, generation: int) -> Snapshot:
    """Run the queries `topics` call for (thread-safe: the service reads through its own sessions)."""
    snap = Snapshot(generation=generation, focus=focus)
    night = service.night() if topics & (HEADER_TOPICS | LIST_TOPICS | FLOOR_TOPICS) else None
    if topics & HEADER_TOPICS:
        snap.header = service.header(night)
    if topics & LIST_TOPICS:
        snap.rows = service.reservations(night)
    if topics & FLOOR_TOPICS:
        snap.floor = service.floor(night)
    if topics & DETAILS_TOPICS and focus is not None:
        kind, ident = focus
        snap.party = service.party(ident) if kind == "reservation" else service.party_at_table(ident)
    if topics & UNDO_TOPICS:
        snap.undo_label = service.undo_label()
    return snap


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(str)


class ViewLoader(QObject):
    """Loads snapshots on one worker thread and emits `loaded(Snapshot)` on the GUI thread."""

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, service, focus: Callable[[], tuple[str, str] | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._focus = focus
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hoststand-views")
        self._lock = threading.Lock()
        self._running = False
        self._pending: set[str] = set()
        self._generation = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._closed = False

    @property
    def generation(self) -> int:
        return self._generation

    def bump(self) -> int:
        """A synchronous refresh just happened: anything loading now is older than what is on screen."""
        self._generation += 1
        return self._generation

    def request(self, topics: set[str] | frozenset[str]) -> None:
        if self._closed or not topics:
            return
        self._pending |= set(topics)
        if not self._running:
            self._start()

    def idle(self) -> bool:
        return not self._running and not self._pending

    def _start(self) -> None:
        topics, self._pending = frozenset(self._pending), set()
        self._running = True
        generation = self._generation
        focus = self._focus()
        service, relay = self._service, self._relay

        def job() -> None:
            try:
                snap = load_snapshot(service, topics, focus, generation)
            except Exception as exc:  # reported on the GUI thread; the next change retries
                log.exception("loading the views failed")
                try:
                    relay.failed.emit(type(exc).__name__)
                except RuntimeError:
                    pass
                return
            try:
                relay.done.emit(snap)
            except RuntimeError:  # the window is gone
                pass

        self._pool.submit(job)

    @Slot(object)
    def _on_done(self, snap: Snapshot) -> None:
        self._running = False
        if not self._closed and snap.generation == self._generation:
            self.loaded.emit(snap)
        self._next_later()

    @Slot(str)
    def _on_failed(self, what: str) -> None:
        self._running = False
        self.failed.emit(what)
        self._next_later()

    def _next_later(self) -> None:
        """What changed meanwhile is loaded after a short pause, not at once: the screen first paints what
        it was just given. Loading while it paints would make the two threads take turns on the
        interpreter lock, and during a big pull that turns one 20 ms paint into a frozen screen for a
        few hundred milliseconds."""
        if self._pending and not self._closed:
            self._running = True  # nothing else starts a load during the pause
            QTimer.singleShot(SETTLE_MS, self._start_pending)

    @Slot()
    def _start_pending(self) -> None:
        self._running = False
        if self._pending and not self._closed:
            self._start()

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
