"""The change bridge: `HostService` change events, which arrive on any thread, brought to the GUI thread.

The callback given to `HostService.subscribe` only emits a signal of a relay object; Qt queues it to the
GUI thread. There the bridge gathers what changed over a short window (a single-shot timer, 40 ms) so a
burst of events (a pull that touched fifty reservations) becomes one refresh, and emits `changed` once
with the union of the topics and ids.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from hoststand.domain.events import Change

COALESCE_MS = 40


class _Relay(QObject):
    """Lives in the GUI thread; its signal may be emitted from any thread."""

    arrived = Signal(object)


class ChangeBridge(QObject):
    """Subscribe to a change source and re-emit its events, coalesced, on the GUI thread.

    `subscribe` is `HostService.subscribe` (or any callable taking a callback and returning an
    unsubscribe function). Call `close()` (done automatically when the bridge is destroyed) to stop.
    """

    changed = Signal(object)  # Change: the union of what changed during the coalescing window

    def __init__(
        self,
        subscribe: Callable[[Callable[[Change], None]], Callable[[], None]],
        parent: QObject | None = None,
        *,
        coalesce_ms: int = COALESCE_MS,
    ) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._closed = False
        self._topics: set[str] = set()
        self._reservation_ids: set[str] = set()
        self._table_ids: set[str] = set()
        self._relay = _Relay(self)
        self._relay.arrived.connect(self._collect, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self._flush)
        self._unsubscribe = subscribe(self._on_change)
        self.destroyed.connect(self._unsubscribe)

    def _on_change(self, change: Change) -> None:
        """Called by the publisher, on its own thread: only hand the event over."""
        with self._lock:
            if self._closed:
                return
            try:
                self._relay.arrived.emit(change)
            except RuntimeError:  # the Qt object is already gone (window closing)
                self._closed = True

    @Slot(object)
    def _collect(self, change: Change) -> None:
        self._topics |= change.topics
        self._reservation_ids |= change.reservation_ids
        self._table_ids |= change.table_ids
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _flush(self) -> None:
        if not self._topics:
            return
        change = Change(frozenset(self._topics), frozenset(self._reservation_ids), frozenset(self._table_ids))
        self._topics.clear()
        self._reservation_ids.clear()
        self._table_ids.clear()
        self.changed.emit(change)

    def flush_now(self) -> None:
        """Emit what has been gathered without waiting for the window to end."""
        self._timer.stop()
        self._flush()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._timer.stop()
        self._unsubscribe()
