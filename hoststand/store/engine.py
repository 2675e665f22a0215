"""Opening the cache: the SQLite file, its pragmas, schema version and migrations (the only SQLite-specific module).

- WAL journal, `synchronous=FULL` (the outbox must survive a power cut), foreign keys on, a busy timeout.
- Two engines on one file: writes begin with `BEGIN IMMEDIATE` (so two writers never deadlock upgrading a
  read lock), reads with a plain deferred `BEGIN` (a consistent WAL snapshot that never blocks writers).
  Writers of one process also queue on a lock of the process: SQLite's busy handler polls in sleeps of up
  to 100 ms, so a writer that met a busy file would start well after the file was free again.
- SQLAlchemy is imported when the store connects, not with this module: the app opens its cache unconnected
  (the file checked and upgraded through plain sqlite3), reads its first screen with `first_read.py`, and
  connects once that screen has painted.
- The schema version lives in `PRAGMA user_version`. Opening an older file backs it up first
  (`<name>.v<N>.bak`, via SQLite's online backup) and then upgrades it step by step; a file from a newer
  hoststand is refused, untouched. A file that is not a database, or fails its integrity check, is refused
  with a clear message and left exactly where it is (`StoreError.recoverable_path`): nothing is deleted.

A restaurant with several terminals would point the same repositories at PostgreSQL; only this module
would change.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy is imported when the store connects (see `Store`), not with this module
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2


class StoreError(Exception):
    """The cache cannot be opened. The message says why and what to do, in plain words."""

    def __init__(self, message: str, *, recoverable_path: Path | None = None) -> None:
        super().__init__(message)
        self.recoverable_path = recoverable_path


class NewerSchemaError(StoreError):
    """The file was written by a newer hoststand."""


Migration = Callable[[sqlite3.Connection], None]


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    """Version 1: the first schema, created from the SQLModel rows."""
    # create_all runs through SQLAlchemy in open_store(); nothing to do on the raw connection.


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Version 2: guest visit history, placeholder tickets and course-stage times, manual cover overrides.
    (New tables — waitlist, table_block — are created from the rows after the upgrade.)"""
    for statement in (
        "ALTER TABLE guest ADD COLUMN total_covers INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE guest ADD COLUMN items_ordered TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE reservation ADD COLUMN cover_override INTEGER",
        "ALTER TABLE reservation ADD COLUMN platform_status VARCHAR",
        "ALTER TABLE reservation ADD COLUMN platform_covers INTEGER",
        "ALTER TABLE reservation ADD COLUMN platform_spend INTEGER",
        "ALTER TABLE ticket ADD COLUMN placeholder BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE ticket ADD COLUMN stage_since VARCHAR(32)",
        "ALTER TABLE ticket ADD COLUMN item_names TEXT NOT NULL DEFAULT '[]'",
    ):
        conn.execute(statement)


# Each entry upgrades from version N-1 to N, on a raw sqlite3 connection inside one transaction.
MIGRATIONS: dict[int, Migration] = {1: _migrate_0_to_1, 2: _migrate_1_to_2}


def _configure(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _begin_*)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _make_engine(path: Path, begin: str) -> Engine:
    from sqlalchemy import event
    from sqlalchemy.pool import QueuePool
    from sqlmodel import create_engine

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
    )
    event.listen(engine, "connect", _configure)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql(begin)

    return engine


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _check_readable(path: Path) -> None:
    """Refuse a file that is not an intact SQLite database, leaving it where it is."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"The local cache {path} is damaged or is not a hoststand cache ({exc}). "
            f"It has been left untouched. Move it aside (or restore a .bak copy beside it) and start "
            f"hoststand again: a fresh cache will be pulled from the booking platform and the POS.",
            recoverable_path=path,
        ) from exc
    if result != "ok":
        raise StoreError(
            f"The local cache {path} failed its integrity check ({result}). It has been left untouched. "
            f"Move it aside (or restore a .bak copy beside it) and start hoststand again.",
            recoverable_path=path,
        )


def backup_file(path: Path, suffix: str) -> Path:
    """Copy a live SQLite file with the online backup API (consistent even in WAL mode)."""
    target = path.with_name(f"{path.name}.{suffix}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{suffix}.{n}.bak")
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def _upgrade(path: Path, current: int, migrations: dict[int, Migration], target_version: int) -> Path | None:
    if current == target_version:
        return None
    backup = backup_file(path, f"v{current}")
    log.info("cache schema v%d → v%d; backup at %s", current, target_version, backup)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for version in range(current + 1, target_version + 1):
            step = migrations.get(version)
            if step is None:
                raise StoreError(f"No upgrade from cache schema v{version - 1} to v{version}.")
            conn.execute("BEGIN IMMEDIATE")
            try:
                step(conn)
                conn.execute(f"PRAGMA user_version={version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.close()
    return backup


class Store:
    """The cache. Use `write()` for a transaction that changes data, `read()` for a snapshot.

    Its SQLAlchemy engines are made when it connects: at once from `open_store`; from `open_store(...,
    connect=False)` (the app's start-up) at `connect()` or the first `read()` or `write()`, so that the window's
    first read (`first_read.py`, plain sqlite3) and first paint do not wait for SQLAlchemy's import."""

    def __init__(self, path: Path, *, backup_path: Path | None = None, target_version: int = SCHEMA_VERSION) -> None:
        self.path = path
        self.backup_path = backup_path  # set when opening upgraded the file
        self._target_version = target_version
        self._engines: tuple[Engine, Engine] | None = None
        self._connect_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._session: type[Session] | None = None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, connected={self.connected})"

    @property
    def connected(self) -> bool:
        return self._engines is not None

    def connect(self) -> None:
        """Make the engines (importing SQLAlchemy and the rows) and create any missing table. Idempotent."""
        if self._engines is not None:
            return
        with self._connect_lock:
            if self._engines is not None:
                return
            from sqlmodel import Session, SQLModel

            from hoststand.store import rows as _rows  # noqa: F401  (registers the tables on SQLModel.metadata)

            write_engine = _make_engine(self.path, "BEGIN IMMEDIATE")
            read_engine = _make_engine(self.path, "BEGIN")
            SQLModel.metadata.create_all(write_engine)
            with write_engine.begin() as conn:
                if int(conn.exec_driver_sql("PRAGMA user_version").scalar()) == 0:
                    conn.exec_driver_sql(f"PRAGMA user_version={self._target_version}")
            self._session = Session
            self._engines = (write_engine, read_engine)

    @property
    def write_engine(self) -> Engine:
        self.connect()
        return self._engines[0]

    @property
    def read_engine(self) -> Engine:
        self.connect()
        return self._engines[1]

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE); committed on normal exit, rolled back on error."""
        engine = self.write_engine
        with self._write_lock, self._session(engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        engine = self.read_engine  # (connects first: `_session` is set by `connect`)
        with self._session(engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    def integrity_check(self) -> str:
        with self.write_engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    def pragma(self, name: str) -> str:
        with self.write_engine.connect() as conn:
            return str(conn.exec_driver_sql(f"PRAGMA {name}").scalar())

    def close(self) -> None:
        if self._engines is not None:
            for engine in self._engines:
                engine.dispose()


def open_store(
    path: Path | str,
    *,
    migrations: dict[int, Migration] | None = None,
    target_version: int | None = None,
    connect: bool = True,
) -> Store:
    """Open (creating if needed) the cache at `path`, upgrading an older schema after a backup.

    With `connect=False` the file is checked (and upgraded) through plain sqlite3 only and the store connects
    later (see `Store`); a new or never-initialised file still connects at once, to create its tables."""
    path = Path(path)
    migrations = MIGRATIONS if migrations is None else migrations
    target = SCHEMA_VERSION if target_version is None else target_version
    path.parent.mkdir(parents=True, exist_ok=True)
    backup: Path | None = None
    current = 0
    if path.exists() and path.stat().st_size > 0:
        _check_readable(path)
        current = _user_version(path)
        if current > target:
            raise NewerSchemaError(
                f"The local cache {path} was written by a newer version of hoststand (schema v{current}; "
                f"this version understands up to v{target}). It has been left untouched: update hoststand, "
                f"or start this version with another --data-dir."
            )
        if current == 0:
            # Created but never initialised (e.g. an interrupted first start): initialise in place.
            pass
        else:
            backup = _upgrade(path, current, migrations, target)
    store = Store(path, backup_path=backup, target_version=target)
    if connect or current == 0 or backup is not None:  # a new or just-upgraded file gets its new tables now
        store.connect()
    return store


def move_aside(path: Path, reason: str) -> Path:
    """Rename a refused cache (and its WAL files) so a fresh one can start; returns the new name."""
    target = path.with_name(f"{path.name}.{reason}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{reason}.{n}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.move(side, target.with_name(target.name + suffix))
    shutil.move(path, target)
    return target
