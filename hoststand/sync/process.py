"""The sync engine in a child process, so that pulling and replaying never compete with the screen.

The puller parses megabytes of vendor JSON and writes hundreds of rows per round; in the app's own process
that work holds the interpreter lock often enough to freeze the floor plan for a few hundred milliseconds
on a two-core terminal. So the app runs the very same `SyncEngine` (through `sync.worker`) in a child
process over the same cache file (SQLite in WAL mode serves both), and the two talk over the child's
standard streams, one JSON object per line:

- app → child: first the `WorkerConfig` (the vendors' secrets travel only here: never in a file, on a
  command line or in the environment), then commands: `{"wake": true}` (the outbox changed),
  `{"refresh": true}` (pull now), `{"drain": n, "timeout": s}`, `{"clock": [start, anchor, factor]}`
  (the demo's clock changed speed). End of input means stop.
- child → app: `{"ready": {...}}`, `{"change": {...}}` (what the child committed: the app's screens
  refresh from the store), `{"health": {...}}` (every API's state, mirrored into the app's monitor, so the
  banner stays true), `{"first_pull_done": true}`, `{"drained": n, "ok": bool}`, `{"fatal": "words"}`.

`SyncProcess` is the app's side: it starts the child, relays its changes onto the app's bus, wakes its
replayer when a host action lands in the outbox, and starts a new child (with backoff) if one dies; the
actions a dead child left in flight are recovered and read back by the next (`outbox.recover_in_flight`).
`child_main` is the child's side (`hoststand sync-worker`). Tests and benchmarks that want one process
keep using `SyncEngine` directly: both run the same code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, TextIO

from hoststand.domain.clock import Clock
from hoststand.domain.events import Change, ChangeBus
from hoststand.sync.health import ApiHealth, HealthMonitor, HealthState

log = logging.getLogger(__name__)

RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
SYNC_NICENESS = 10  # the child's scheduling priority below the window's (POSIX nice; Windows: below normal)


def lower_priority() -> bool:
    """Run this process below normal priority: on a two-core terminal the screen's thread must get a core
    the moment it has a frame to draw, and a pull can wait a few milliseconds. False where it failed."""
    try:
        if sys.platform == "win32":
            import ctypes

            below_normal = 0x00004000  # BELOW_NORMAL_PRIORITY_CLASS
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            return bool(kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal))
        os.nice(SYNC_NICENESS)
        return True
    except (OSError, AttributeError):
        log.info("could not lower the sync process's priority; it runs at normal priority")
        return False


# ------------------------------------------------------------------------------------- messages


def change_to_json(change: Change) -> dict[str, Any]:
    return {"topics": sorted(change.topics), "reservation_ids": sorted(change.reservation_ids), "table_ids": sorted(change.table_ids)}


def change_from_json(data: dict[str, Any]) -> Change:
    return Change.of(*data.get("topics", ()), reservation_ids=data.get("reservation_ids", ()), table_ids=data.get("table_ids", ()))


def health_to_json(states: dict[str, ApiHealth]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for api, h in states.items():
        d = asdict(h)
        d["state"] = h.state.value
        for k, v in d.items():
            if isinstance(v, datetime):
                d[k] = v.isoformat()
        out[api] = d
    return out


_HEALTH_TIMES = ("since", "last_success", "last_failure", "next_probe_at")


def health_from_json(data: dict[str, Any]) -> dict[str, ApiHealth]:
    out: dict[str, ApiHealth] = {}
    for api, d in data.items():
        values = dict(d)
        values["state"] = HealthState(values["state"])
        for k in _HEALTH_TIMES:
            if values.get(k):
                values[k] = datetime.fromisoformat(values[k])
        out[api] = ApiHealth(**values)
    return out


class LineWriter:
    """One JSON object per line on a text stream, from any thread; a closed pipe is ignored (the other end
    is gone, and its reader has seen it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass


# ------------------------------------------------------------------------------------- app side


class SyncProcess:
    """The app's handle on the sync engine running in a child process (same duties as `SyncEngine`:
    `start`, `stop`, `refresh_now`, `drain`, `first_pull_done`)."""

    def __init__(
        self,
        worker_config: dict[str, Any],
        *,
        bus: ChangeBus,
        health: HealthMonitor,
        clock: Clock,
        command: Sequence[str] | None = None,
        on_ready: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._config = worker_config
        self.bus = bus
        self.health = health
        self.clock = clock
        self._command = list(command) if command is not None else child_command()
        self._on_ready = on_ready
        self._proc: subprocess.Popen | None = None
        self._out: LineWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._relaying = False
        self._stopping = False
        self._restarts = 0
        self._restart_task: asyncio.Task | None = None
        self._drains: dict[int, asyncio.Future] = {}
        self._next_drain = 0
        self._unsubscribe: Callable[[], None] | None = None
        self.first_pull_done: asyncio.Event | None = None
        self.last_fatal = ""
        self.generation = 0  # how many children have been started (tests: a restart happened)
        # the banner knows both APIs from the start, so a child that cannot start still shows as trouble
        for role in ("booking", "pos"):
            kind = str((worker_config.get(role) or {}).get("kind", "")).strip().lower()
            if kind:
                health.register(kind, role)

    # lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.first_pull_done = asyncio.Event()
        self._stopping = False
        self._unsubscribe = self.bus.subscribe(self._on_local_change)
        self._spawn()

    def _spawn(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the child logs where the app logs
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.generation += 1
        proc = self._proc
        self._out = LineWriter(proc.stdin)
        self._send({**self._config})
        threading.Thread(target=self._read, args=(proc,), name="sync-process-reader", daemon=True).start()

    async def stop(self) -> None:
        self._stopping = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._restart_task is not None:
            self._restart_task.cancel()
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # end of input: the child stops its engine and exits
        except OSError:
            pass
        try:
            await asyncio.to_thread(proc.wait, 10)
        except subprocess.TimeoutExpired:
            log.warning("the sync process did not stop within 10 s; ending it")
            proc.kill()
            await asyncio.to_thread(proc.wait)
        for fut in self._drains.values():
            if not fut.done():
                fut.set_result(False)
        self._drains.clear()

    # commands

    def refresh_now(self) -> None:
        self._send({"refresh": True})

    def wake(self) -> None:
        self._send({"wake": True})

    def follow_clock(self, anchor_sim: datetime, anchor_wall: float, factor: float) -> None:
        self._send({"clock": [anchor_sim.isoformat(), anchor_wall, factor]})

    async def drain(self, timeout: float = 5.0) -> bool:
        """Ask the child to replay until its queue is empty; True when it was, False at `timeout`."""
        assert self._loop is not None
        self._next_drain += 1
        n = self._next_drain
        fut: asyncio.Future = self._loop.create_future()
        self._drains[n] = fut
        self._send({"drain": n, "timeout": timeout})
        try:
            return await asyncio.wait_for(fut, timeout + 5)
        except TimeoutError:
            return False
        finally:
            self._drains.pop(n, None)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _send(self, message: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.send(message)  # a dead child's pipe swallows it; a restart is on its way

    def _on_local_change(self, change: Change) -> None:
        """A host action committed in the app: the child's replayer must look at the outbox."""
        if self._relaying:
            return
        if "outbox" in change.topics:
            self.wake()

    # the child's messages (read in a thread, handled on the loop)

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None and self._loop is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("the sync process wrote a line that is not a message; ignored")
                continue
            self._loop.call_soon_threadsafe(self._handle, message)
        proc.wait()
        try:
            self._loop.call_soon_threadsafe(self._exited, proc)
        except RuntimeError:
            pass  # the loop has closed (the app is quitting)

    def _handle(self, message: dict[str, Any]) -> None:
        if "change" in message:
            self._relay(change_from_json(message["change"]))
        if "health" in message:
            self._relaying = True
            try:
                self.health.mirror(health_from_json(message["health"]))
            finally:
                self._relaying = False
        if "ready" in message:
            self._restarts = 0
            if self._on_ready is not None:
                self._on_ready(message["ready"])
        if message.get("first_pull_done") and self.first_pull_done is not None:
            self.first_pull_done.set()
        if "drained" in message:
            fut = self._drains.get(message["drained"])
            if fut is not None and not fut.done():
                fut.set_result(bool(message.get("ok")))
        if "fatal" in message:
            self.last_fatal = str(message["fatal"])
            log.error("the sync process could not run: %s", self.last_fatal)

    def _relay(self, change: Change) -> None:
        self._relaying = True
        try:
            self.bus.publish(change)
        finally:
            self._relaying = False

    def _exited(self, proc: subprocess.Popen) -> None:
        if self._stopping or proc is not self._proc:
            return
        why = self.last_fatal or f"the sync process stopped (exit code {proc.returncode})"
        log.warning("%s; starting it again", why)
        states = self.health.snapshot()
        now = self.clock.now()
        self.health.mirror(
            {
                api: ApiHealth(
                    api=h.api, role=h.role, state=HealthState.DOWN, since=h.since or now, last_success=h.last_success,
                    last_failure=now, consecutive_failures=h.consecutive_failures + 1, last_error=why,
                )
                for api, h in states.items()
            }
        )
        for fut in self._drains.values():
            if not fut.done():
                fut.set_result(False)
        delay = RESTART_BACKOFF[min(self._restarts, len(RESTART_BACKOFF) - 1)]
        self._restarts += 1
        self._restart_task = asyncio.ensure_future(self._restart_after(delay))

    async def _restart_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        if not self._stopping:
            self.last_fatal = ""
            self._spawn()


def self_command() -> list[str]:
    """How to run this program's own CLI in a child process: the bundle's executable when frozen
    (PyInstaller: `sys.executable` is hoststand itself and knows no `-m`), else this Python with `-m hoststand`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "hoststand"]


def child_command() -> list[str]:
    """How to start the sync process."""
    return [*self_command(), "sync-worker"]


# ----------------------------------------------------------------------------------- child side


def child_main(stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the sync engine for the app on the other end of the standard streams (see the module docstring)."""
    from hoststand.sync.worker import WorkerConfig

    stdin = stdin or sys.stdin
    out = LineWriter(stdout or sys.stdout)
    sys.stdout = sys.stderr  # a stray print must not break the protocol
    lower_priority()
    first = stdin.readline()
    try:
        config = WorkerConfig.from_dict(json.loads(first))
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        out.send({"fatal": f"the sync process was given no usable settings ({type(exc).__name__})"})
        return 2
    try:
        return asyncio.run(_serve_app(config, stdin, out))
    except KeyboardInterrupt:
        return 0


async def _serve_app(config, stdin: TextIO, out: LineWriter) -> int:
    from hoststand.store.engine import StoreError
    from hoststand.sync.worker import open_worker

    loop = asyncio.get_running_loop()
    commands: asyncio.Queue = asyncio.Queue()

    def read_commands() -> None:
        for line in stdin:
            try:
                loop.call_soon_threadsafe(commands.put_nowait, json.loads(line))
            except json.JSONDecodeError:
                continue
            except RuntimeError:
                return
        try:
            loop.call_soon_threadsafe(commands.put_nowait, None)
        except RuntimeError:
            pass

    try:
        worker = await open_worker(config)
    except (StoreError, OSError, ValueError, KeyError) as exc:
        out.send({"fatal": f"the sync process could not start: {exc}"})
        return 2
    engine = worker.engine

    def on_change(change: Change) -> None:
        out.send({"change": change_to_json(change)})
        if "health" in change.topics:
            out.send({"health": health_to_json(engine.health.snapshot())})

    unsubscribe = worker.bus.subscribe(on_change)
    out.send({"ready": {"tab_name_max": engine.pos.limits.tab_name_max}, "health": health_to_json(engine.health.snapshot())})
    threading.Thread(target=read_commands, name="sync-commands", daemon=True).start()
    await engine.start()

    async def report_first_pull() -> None:
        assert engine.first_pull_done is not None
        await engine.first_pull_done.wait()
        out.send({"first_pull_done": True})

    async def drain(n: int, timeout: float) -> None:
        out.send({"drained": n, "ok": await engine.drain(timeout=timeout)})

    tasks = {asyncio.create_task(report_first_pull())}
    try:
        while True:
            message = await commands.get()
            if message is None or message.get("stop"):
                break
            if message.get("wake"):
                engine.replayer.wake()
            if message.get("refresh"):
                engine.refresh_now()
            if "drain" in message:
                task = asyncio.create_task(drain(int(message["drain"]), float(message.get("timeout", 5.0))))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if "clock" in message and hasattr(worker.clock, "follow"):
                start, anchor, factor = message["clock"]
                worker.clock.follow(datetime.fromisoformat(start), float(anchor), float(factor))
    finally:
        for task in tasks:
            task.cancel()
        unsubscribe()
        await engine.stop()
        await worker.close()
    return 0
