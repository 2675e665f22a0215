"""A tiny publish/subscribe bus for "the store changed" notifications.

Sync and services publish after they commit; the UI (through services) subscribes and refreshes from the
store. Events carry what changed, never vendor data. Subscribers run synchronously in the publisher's
thread; a UI subscriber must hop to its own thread (ui/bridge.py does).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What changed: topics such as "reservations", "tables", "tickets", "outbox", "health", "conflicts"."""

    topics: frozenset[str]
    reservation_ids: frozenset[str] = field(default_factory=frozenset)
    table_ids: frozenset[str] = field(default_factory=frozenset)

    @staticmethod
    def of(*topics: str, reservation_ids=(), table_ids=()) -> Change:
        return Change(frozenset(topics), frozenset(reservation_ids), frozenset(table_ids))


class ChangeBus:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[Change], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Callable[[Change], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, change: Change) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(change)
            except Exception:  # a broken subscriber must not break the publisher's commit path
                log.exception("change subscriber failed")
