"""The local cache: SQLModel rows in SQLite (WAL), schema migrations, repositories and the outbox.

Depends on `hoststand.domain` only. SQLite-only details stay in `engine.py`. Importing this package does not
import SQLAlchemy: the store connects when first used, and the app's first screen is read before that through
plain sqlite3 (`first_read.py`).
"""

from hoststand.store.engine import NewerSchemaError, Store, StoreError, open_store

__all__ = ["NewerSchemaError", "Store", "StoreError", "open_store"]
