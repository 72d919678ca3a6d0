"""SQLite storage: the database, its migrations, and the queries the bot needs."""

from storage.db import DatabaseFile, DatabaseProblem, open_db

__all__ = ["DatabaseFile", "DatabaseProblem", "open_db"]
