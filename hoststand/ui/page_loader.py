"""Loading a page's view off the GUI thread: read the cache and compute on a worker, apply on the GUI thread.

`PageLoader(load)` runs `load()` (a service query returning a view object) on one worker thread when asked,
and emits `loaded(view)` on the GUI thread. Requests made while a load runs are merged into one more load
afterwards, so a burst of change events costs at most one extra load. A synchronous refresh (`bump()`, then
apply your own result) makes any load still running stale: its result is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(int, object)
    failed = Signal(str)


class PageLoader(QObject):
    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, load: Callable[[], Any], parent: QObject | None = None, *, name: str = "page") -> None:
        super().__init__(parent)
        self._load = load
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hoststand-{name}")
        self._running = False
        self._pending = False
        self._generation = 0
        self._closed = False
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(lambda *_: self._pool.shutdown(wait=False, cancel_futures=True))

    def request(self) -> None:
        if self._closed:
            return
        self._pending = True
        if not self._running:
            self._start()

    def bump(self) -> int:
        """A synchronous load just happened: what is loading now is older than what is on screen."""
        self._generation += 1
        return self._generation

    def idle(self) -> bool:
        return not self._running and not self._pending

    def _start(self) -> None:
        self._pending = False
        self._running = True
        generation, load, relay = self._generation, self._load, self._relay

        def job() -> None:
            try:
                view = load()
            except Exception as exc:  # reported on the GUI thread; the next request retries
                log.exception("loading a page failed")
                try:
                    relay.failed.emit(type(exc).__name__)
                except RuntimeError:
                    pass
                return
            try:
                relay.done.emit(generation, view)
            except RuntimeError:  # the page is gone
                pass

        self._pool.submit(job)

    @Slot(int, object)
    def _on_done(self, generation: int, view: Any) -> None:
        self._running = False
        if not self._closed and generation == self._generation:
            self.loaded.emit(view)
        if self._pending and not self._closed:
            self._start()

    @Slot(str)
    def _on_failed(self, what: str) -> None:
        self._running = False
        self.failed.emit(what)
        if self._pending and not self._closed:
            self._start()

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
