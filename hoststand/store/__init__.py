"""The local cache: SQLModel rows in SQLite (WAL), schema migrations, repositories and the outbox.

Depends on `hoststand.domain` only. SQLite-only details stay in `engine.py`.
"""

from hoststand.store.engine import NewerSchemaError, Store, StoreError, open_store

__all__ = ["NewerSchemaError", "Store", "StoreError", "open_store"]
