"""SQLite storage: the database, its migrations, and the queries the bot needs."""
from storage.db import open_db

__all__ = ["open_db"]
