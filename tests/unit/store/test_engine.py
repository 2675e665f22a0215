"""Opening the cache: pragmas, schema version, upgrades with a backup first, refusals that touch nothing."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from hoststand.store import NewerSchemaError, StoreError, open_store
from hoststand.store.engine import SCHEMA_VERSION


def test_a_new_cache_runs_in_wal_with_full_sync_and_records_its_schema(tmp_path):
    store = open_store(tmp_path / "c.sqlite")
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == "2"  # FULL
    assert int(store.pragma("user_version")) == SCHEMA_VERSION
    assert store.integrity_check() == "ok"
    store.close()


def test_reopening_keeps_the_data_and_makes_no_backup(tmp_path, settings):
    from hoststand.domain.model import Guest
    from hoststand.store import repos

    path = tmp_path / "c.sqlite"
    store = open_store(path)
    with store.write() as s:
        repos.save_guest(s, Guest(id="g1", first_name="Ann", last_name="Smith"))
    store.close()
    again = open_store(path)
    with again.read() as s:
        assert repos.get_guest(s, "g1").last_name == "Smith"
    assert again.backup_path is None
    again.close()


def test_a_cache_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "c.sqlite"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer version of hoststand"):
        open_store(path)
    assert path.read_bytes() == before


def test_an_older_cache_is_backed_up_then_upgraded(tmp_path):
    path = tmp_path / "c.sqlite"
    open_store(path).close()

    def add_column(conn):
        conn.execute("ALTER TABLE guest ADD COLUMN nickname TEXT")

    migrations = {1: lambda c: None, SCHEMA_VERSION + 1: add_column}
    store = open_store(path, migrations=migrations, target_version=SCHEMA_VERSION + 1)
    assert store.backup_path is not None and store.backup_path.exists()
    backup = sqlite3.connect(store.backup_path)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    backup.close()
    assert int(store.pragma("user_version")) == SCHEMA_VERSION + 1
    with store.write_engine.connect() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(guest)")]
    assert "nickname" in cols
    store.close()


def test_a_failed_upgrade_leaves_the_cache_at_its_version_with_a_backup(tmp_path):
    path = tmp_path / "c.sqlite"
    open_store(path).close()

    def broken(conn):
        conn.execute("ALTER TABLE guest ADD COLUMN nickname TEXT")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        open_store(path, migrations={SCHEMA_VERSION + 1: broken}, target_version=SCHEMA_VERSION + 1)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    cols = [r[1] for r in conn.execute("PRAGMA table_info(guest)")]
    conn.close()
    assert "nickname" not in cols
    assert list(tmp_path.glob("c.sqlite.v*.bak"))


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_cache_gets_a_clear_error_and_is_left_in_place(tmp_path, content):
    path = tmp_path / "c.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        open_store(path)
    assert "damaged" in str(info.value) or "integrity" in str(info.value)
    assert info.value.recoverable_path == path
    assert path.read_bytes() == content


def test_naive_datetimes_are_refused(store):
    from hoststand.domain.model import Guest
    from hoststand.store import repos

    with pytest.raises(Exception, match="naive"):
        with store.write() as s:
            repos.save_guest(s, Guest(id="g", first_name="A", last_name="B", last_visit=datetime(2026, 1, 1)))


def test_a_real_version_1_cache_is_backed_up_and_upgraded_with_nothing_lost(tmp_path):
    """A cache written by the first release (tests/unit/store/fixtures/cache-v1.sqlite) opens in this one."""
    import shutil
    from pathlib import Path

    from hoststand.domain.model import ActionState
    from hoststand.store import outbox, repos

    fixture = Path(__file__).parent / "fixtures" / "cache-v1.sqlite"
    path = tmp_path / "hoststand.sqlite"
    shutil.copy(fixture, path)
    store = open_store(path)
    assert store.backup_path is not None
    backup = sqlite3.connect(store.backup_path)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT allergy_notes FROM guest WHERE id='g1'").fetchone()[0] == "no nuts pls, epipen"
    backup.close()
    assert int(store.pragma("user_version")) == SCHEMA_VERSION
    with store.read() as s:
        guest = repos.get_guest(s, "g1")
        res = repos.get_reservation(s, "r1")
        ticket = repos.get_ticket(s, "t1")
        action = outbox.get(s, "a1")
    assert guest.allergy_notes == "no nuts pls, epipen" and guest.visits == 3 and guest.total_covers == 0
    assert res.table_ids == ("T12",) and res.cover_override is None
    assert ticket.covers == 4 and ticket.placeholder is False and ticket.stage_since is None
    assert action.state is ActionState.PENDING and action.payload["allergy_text"] == "no nuts pls, epipen"
    assert store.integrity_check() == "ok"
    store.close()


# --------------------------------------------------------------------- opened for the app's start-up (connect=False)


def test_a_cache_opened_for_start_up_connects_on_first_use_with_its_data(tmp_path):
    from hoststand.domain.model import Guest
    from hoststand.store import repos

    path = tmp_path / "c.sqlite"
    store = open_store(path)
    with store.write() as s:
        repos.save_guest(s, Guest(id="g1", first_name="Ann", last_name="Smith"))
    store.close()
    again = open_store(path, connect=False)
    assert not again.connected and again.backup_path is None
    with again.read() as s:  # the first read connects
        assert repos.get_guest(s, "g1").last_name == "Smith"
    assert again.connected and again.pragma("journal_mode") == "wal"
    again.close()


def test_a_new_or_upgraded_cache_opened_for_start_up_is_connected_at_once(tmp_path):
    """Its tables are made now: the first read (plain sqlite3) must find them."""
    import shutil
    from pathlib import Path

    new = open_store(tmp_path / "new.sqlite", connect=False)
    assert new.connected and int(new.pragma("user_version")) == SCHEMA_VERSION
    new.close()
    path = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).parent / "fixtures" / "cache-v1.sqlite", path)
    old = open_store(path, connect=False)
    assert old.connected and old.backup_path is not None
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"waitlist", "table_block"} <= tables  # the v2 tables, made from the rows
    old.close()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_cache_is_refused_at_start_up_too_before_any_window(tmp_path, content):
    path = tmp_path / "c.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        open_store(path, connect=False)
    assert info.value.recoverable_path == path and path.read_bytes() == content
