"""Local simulators of the vendor APIs (OpenTable, Toast) for the demo and the tests.

The sandbox plays the vendor: it speaks only the vendors' own JSON, on their own paths, and imports
nothing from the rest of hoststand, so mapping mistakes in the app's adapters show up against it.
Start it with `hoststand.sandbox.server.SandboxServer` (or `python -m hoststand.sandbox`).

Modules: clock (own simulated clock), common (formats, ids), seed (the demo restaurant), world (the
state), opentable / toast (the simulators) with opentable_data / toast_data (their JSON builders),
faults (fault injection and the per-port gate), ratelimit, admin (`/_sandbox/…`), driver (the service
driver: the floor staff ringing in courses, taking payment and seating walk-ins on the Toast side), core
(shared state behind all ports), server (ports, threads, CLI).
"""

from .seed import SeedOptions
from .server import SandboxServer

__all__ = ["SandboxServer", "SeedOptions"]
