"""Opens the SQLite database (WAL, busy timeout) and applies its migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations

BUSY_TIMEOUT = 10.0  # seconds a writer waits for another's write lock before giving up with "busy"


@contextmanager
def exclusive(db: sqlite_utils.Database) -> Iterator[None]:
    """A transaction that holds the write lock from its first statement; use it for every write.

    BEGIN IMMEDIATE makes two writers (two threads or processes, two connections) run one
    after the other: the second waits (busy timeout) and then sees what the first wrote.
    A plain BEGIN, as sqlite-utils' atomic() uses, reads first and fails at once with
    "database is locked" when another connection wrote meanwhile (WAL mode cannot upgrade a
    stale snapshot). Inside a transaction already, it is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


class DatabaseProblem(Exception):
    """The database file is missing, replaced, full, read-only or damaged; the message says what to do."""


def explain(exc: sqlite3.Error, path: str | Path) -> DatabaseProblem:
    """SQLite's error, in words for the owner."""
    text = str(exc).lower()
    if "disk is full" in text or "disk i/o" in text:
        return DatabaseProblem(
            f"The disk holding the database {path} is full (or failing). Nothing more is posted until "
            "there is space again; free some space and Listening Post carries on by itself."
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseProblem(
            f"The database {path} cannot be written (read-only). Give the user running Listening "
            "Post write permission on it and its folder."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseProblem(
            f"The database {path} is damaged or is not a Listening Post database. Nothing more is "
            "posted: restore it from a backup, or move it aside and restart to begin a new one."
        )
    if "locked" in text or "busy" in text:
        return DatabaseProblem(
            "The database is busy (another part of Listening Post is writing). Try again in a few seconds."
        )
    if "unable to open" in text:
        return DatabaseProblem(
            f"The database {path} cannot be opened. Check that its folder exists and can be written."
        )
    return DatabaseProblem(f"The database {path} failed ({exc}).")


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("select value from meta where key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str | None) -> None:
    """Write one `meta` value (inside the caller's transaction, if any)."""
    db.execute(
        "insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
        [key, value],
    )


def belongs_to_another_program(path: str | Path) -> bool:
    """A SQLite file with tables of its own but no record of Listening Post's migrations (read only, never changed)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
            if not tables:
                return False
            if "_sqlite_migrations" not in tables:
                return True
            return not conn.execute(
                "select 1 from _sqlite_migrations where migration_set = 'listening_post' limit 1"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # damaged or busy: opening it says so in its own words


def database_id(db: sqlite_utils.Database) -> str:
    row = db.execute("select value from meta where key = 'database_id'").fetchone()
    return row[0] if row else ""


def open_db(path: str | Path, create: bool = True, expect_id: str | None = None) -> sqlite_utils.Database:
    """Open and migrate the database, creating it only when `create` is true.

    `expect_id` is the id of the database this process started with: a different file at the
    same path (deleted and made anew, or swapped) raises DatabaseProblem instead of being used.
    A connection belongs to the thread that made it: call this once per thread.
    """
    path = Path(path)
    in_memory = str(path) == ":memory:"
    if not in_memory and not create and not path.is_file():
        raise DatabaseProblem(
            f"The database {path} has gone (deleted or moved while Listening Post was running). "
            "Nothing more is posted, so no card is posted twice: put the file back, or restart "
            "Listening Post to begin a new, empty one."
        )
    try:
        if not in_memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        # timeout= sets SQLite's busy timeout: a writer in another thread waits, not fails.
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
        db = sqlite_utils.Database(conn, execute_plugins=False)
        if not in_memory:
            db.enable_wal()
        with db.ensure_autocommit_on():
            # With WAL, NORMAL survives an application crash; only a power cut may drop the last commits.
            db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
        found = database_id(db)
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    except OSError as exc:
        raise DatabaseProblem(
            f"The database folder {path.parent} cannot be made or written ({exc.strerror})."
        ) from None
    if expect_id is not None and found != expect_id:
        db.close()
        raise DatabaseProblem(
            f"The database {path} was replaced by another file while Listening Post was running. "
            "Nothing more is posted, so no card is posted twice: put the original back, or restart "
            "Listening Post to use the new one."
        )
    return db


class DatabaseFile:
    """The one database of a running service: created (if need be) when it starts, after that only opened.

    So a database deleted, swapped or broken while the service runs stops the work with a clear
    message, instead of a new empty one being made silently (which would post every card again).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._id: str | None = None

    def open(self) -> sqlite_utils.Database:
        if self._id is None:
            db = open_db(self.path)
            self._id = database_id(db)
            return db
        return open_db(self.path, create=False, expect_id=self._id)
