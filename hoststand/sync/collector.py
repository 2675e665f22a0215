"""Pausing Python's cyclic garbage collector while a pull round runs.

A full pull parses megabytes of vendor JSON into hundreds of thousands of dictionaries and lists, every one
of them tracked by the collector. Almost none of them form cycles: they are freed by reference counting when
the round ends. Yet the allocations keep triggering collections (about 120 young and a dozen middle-aged
ones, and sometimes a full one, per pull of 1,000 reservations and 550 orders), which on the two-core
terminal cost 150–240 ms of a 1.2 s pull. So the collector waits while a round runs and resumes after it;
cycles made meanwhile (an exception's traceback, say) are collected then. Rounds may overlap (a pull and a
forced refresh): the collector resumes when the last one ends, and only if it was running before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


__all__ = ["collector_paused"]
