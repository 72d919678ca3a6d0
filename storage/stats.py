"""The queries behind every report: totals, response-time histograms, the queue, per-person numbers.

Percentiles come from per-minute histograms computed in SQL over one covering index. Each
local day's summary is cached in `stats_days` and redone only after a mention created that
day changed, so a 30-day report adds up 30 small summaries instead of scanning every mention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from bot.hours import BusinessHours
from bot.models import Status
from storage.db import exclusive
from storage.mentions import WAITING_COLUMNS, iso, parse_iso, row_to_waiting, touch, utc_now
from storage.records import Waiting

WAITING = (Status.NEW, Status.CLAIMED, Status.PENDING)  # waiting for an answer
_IS_WAITING = "status in (" + ", ".join(f"'{s}'" for s in WAITING) + ")"  # in SQL: "status in ('new', …)"
_RANGE = "created_at >= :since and created_at < :until and status != 'held'"


@dataclass
class Histogram:
    """How many values fell in each bucket, keyed by the bucket's first minute."""

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, other: Histogram) -> None:
        for minute, n in other.counts.items():
            self.counts[minute] = self.counts.get(minute, 0) + n

    def percentile(self, share: float) -> int | None:
        """Nearest-rank percentile in seconds, to the bucket's precision; None when empty."""
        total = self.total
        if not total:
            return None
        rank = max(1, -(-int(share * total * 1000) // 1000))  # ceil(share * total), float-safe
        seen = 0
        for minute in sorted(self.counts):
            seen += self.counts[minute]
            if seen >= rank:
                return minute * 60
        return max(self.counts) * 60


@dataclass
class Totals:
    received: int = 0
    replied: int = 0
    dismissed: int = 0
    waiting: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    response: Histogram = field(default_factory=Histogram)
    response_open: Histogram = field(default_factory=Histogram)
    pickup: Histogram = field(default_factory=Histogram)

    def add(self, other: Totals) -> None:
        self.received += other.received
        self.replied += other.replied
        self.dismissed += other.dismissed
        self.waiting += other.waiting
        for mine, theirs in ((self.labels, other.labels), (self.sources, other.sources)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        self.response.add(other.response)
        self.response_open.add(other.response_open)
        self.pickup.add(other.pickup)

    @property
    def reply_rate(self) -> float | None:
        """Replied ÷ (all mentions − dismissed): a mention the team chose not to answer does not count against them."""
        answerable = self.received - self.dismissed
        return self.replied / answerable if answerable > 0 else None


# Buckets, keyed by their first minute: whole minutes under half an hour, 5 minutes under 3 hours,
# 15 minutes under 12 hours, hours under 3 days, days beyond. Finer than anyone reads a median,
# and it keeps a histogram to at most a couple of hundred buckets however many mentions there are.
_BUCKET = (
    "case when {c} < 1800 then {c} / 60 when {c} < 10800 then ({c} / 300) * 5 "
    "when {c} < 43200 then ({c} / 900) * 15 when {c} < 259200 then ({c} / 3600) * 60 "
    "else ({c} / 86400) * 1440 end"
)


def _histogram(db: sqlite_utils.Database, column: str, params: dict, group: str = "") -> dict:
    sql = (
        f"select {group + ', ' if group else ''}{_BUCKET.format(c=column)} as minute, count(*) as n from mentions "
        f"where {_RANGE} and {column} is not null group by {group + ', ' if group else ''}minute"
    )
    found: dict = {}
    for row in db.query(sql, params):
        key = row[group] if group else None
        found.setdefault(key, Histogram()).counts[row["minute"]] = row["n"]
    return found


def totals(db: sqlite_utils.Database, since: datetime, until: datetime) -> Totals:
    params = {"since": iso(since), "until": iso(until)}
    row = next(
        db.query(
            f"select count(*) as received, count(response_secs) as replied, coalesce(sum(status = 'dismissed'), 0) as dismissed, "
            f"coalesce(sum({_IS_WAITING}), 0) as waiting from mentions where {_RANGE}",
            params,
        )
    )
    result = Totals(
        received=row["received"], replied=row["replied"], dismissed=row["dismissed"], waiting=row["waiting"]
    )
    result.labels = {
        r["label"]: r["n"]
        for r in db.query(f"select label, count(*) as n from mentions where {_RANGE} group by label", params)
    }
    result.sources = {
        r["source"]: r["n"]
        for r in db.query(f"select source, count(*) as n from mentions where {_RANGE} group by source", params)
    }
    result.response = _histogram(db, "response_secs", params).get(None, Histogram())
    result.response_open = _histogram(db, "response_open_secs", params).get(None, Histogram())
    result.pickup = _histogram(db, "pickup_secs", params).get(None, Histogram())
    return result


@dataclass
class Person:
    id: str
    name: str
    replied: int = 0
    response: Histogram = field(default_factory=Histogram)
    claimed_open: int = 0


def people(db: sqlite_utils.Database, since: datetime, until: datetime) -> list[Person]:
    """Per person: mentions they replied to first, their response times, and what they claimed but left open."""
    params = {"since": iso(since), "until": iso(until)}
    found: dict[str, Person] = {}
    names = {
        r["first_replier_id"]: r["first_replier_name"]
        for r in db.query(
            f"select first_replier_id, max(first_replier_name) as first_replier_name from mentions "
            f"where {_RANGE} and response_secs is not null group by first_replier_id",
            params,
        )
    }
    for person_id, histogram in _histogram(db, "response_secs", params, group="first_replier_id").items():
        found[person_id] = Person(person_id, names.get(person_id) or person_id, histogram.total, histogram)
    for row in db.query(
        f"select actor_id, max(actor_name) as name, count(*) as n from mentions "
        f"where {_RANGE} and status = 'claimed' group by actor_id",
        params,
    ):
        person = found.setdefault(row["actor_id"], Person(row["actor_id"], row["name"] or row["actor_id"]))
        person.claimed_open = row["n"]
    return sorted(found.values(), key=lambda p: (-p.replied, p.response.percentile(0.5) or 0, p.name))


def queue(db: sqlite_utils.Database, limit: int = 15) -> tuple[int, list[Waiting]]:
    """How many mentions wait for an answer, and the oldest `limit` of them."""
    marks = ",".join("?" * len(WAITING))
    total = next(db.query(f"select count(*) as n from mentions where status in ({marks})", list(WAITING)))["n"]
    rows = db.query(
        f"select {WAITING_COLUMNS} from mentions where status in ({marks}) order by created_at limit ?",
        [*WAITING, limit],
    )
    return total, [row_to_waiting(row) for row in rows]


def fill_business_times(db: sqlite_utils.Database, hours: BusinessHours, signature: str) -> int:
    """Cache each replied mention's business-hours response time; all are recounted when the hours change.

    Returns how many were computed. Called before reports, so only new replies cost anything.
    """
    with exclusive(db):
        stored = db.execute("select value from meta where key = 'business_hours'").fetchone()
        if stored is None or stored[0] != signature:
            db.execute("update mentions set response_open_secs = null where response_open_secs is not null")
            db.table("meta").upsert({"key": "business_hours", "value": signature}, pk="key")
        # INDEXED BY: the planner's statistics may date from before the index emptied out.
        rows = db.execute(
            "select id, created_at, first_replied_at from mentions indexed by idx_mentions_open_missing "
            "where response_secs is not null and response_open_secs is null"
        ).fetchall()
        db.conn.executemany(
            "update mentions set response_open_secs = ? where id = ?",
            [
                (int(hours.open_seconds(parse_iso(created), parse_iso(replied))), mention_id)
                for mention_id, created, replied in rows
            ],
        )
        touch(db, [created for _, created, _ in rows])
    return len(rows)


def hours_signature(hours: BusinessHours) -> str:
    return json.dumps([hours.tz.key, [[[a.isoformat(), b.isoformat()] for a, b in day] for day in hours.shifts]])


# ---- cached daily summaries ----
# Each local day is summarised into three small tables; a report adds the days up in SQL.


def _day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _fresh(db: sqlite_utils.Database, day: date, start: datetime, end: datetime, signature: str) -> bool:
    utc_days = sorted({start.date().isoformat(), (end - timedelta(microseconds=1)).date().isoformat()})
    marks = ",".join("?" * len(utc_days))
    changed = db.execute(f"select max(changed_at) from changes where utc_day in ({marks})", utc_days).fetchone()[0]
    cached = db.execute("select signature, computed_at from stats_days where day = ?", [day.isoformat()]).fetchone()
    return bool(cached) and cached[0] == signature and (changed is None or cached[1] > changed)


def _summarise_day(db: sqlite_utils.Database, day: date, start: datetime, end: datetime, signature: str) -> None:
    computed_at = iso(utc_now())  # taken before reading: a change made meanwhile leaves the day stale
    t, everyone = totals(db, start, end), people(db, start, end)
    key = day.isoformat()
    counts: list[tuple[str, str, str, str | None, int]] = [(key, "label", k, None, n) for k, n in t.labels.items()]
    counts += [(key, "source", k, None, n) for k, n in t.sources.items()]
    counts += [(key, "claimed", p.id, p.name, p.claimed_open) for p in everyone if p.claimed_open]
    counts += [(key, "replier", p.id, p.name, 0) for p in everyone if p.replied]
    buckets = [
        (key, metric, "", b, n)
        for metric, h in (("response", t.response), ("response_open", t.response_open), ("pickup", t.pickup))
        for b, n in h.counts.items()
    ]
    buckets += [(key, "person", p.id, b, n) for p in everyone for b, n in p.response.counts.items()]
    with exclusive(db):
        for table in ("stats_days", "stats_day_counts", "stats_day_buckets"):
            db.execute(f"delete from {table} where day = ?", [key])
        db.execute(
            "insert into stats_days values (?, ?, ?, ?, ?, ?, ?)",
            [key, signature, computed_at, t.received, t.replied, t.dismissed, t.waiting],
        )
        db.conn.executemany("insert into stats_day_counts values (?, ?, ?, ?, ?)", counts)
        db.conn.executemany("insert into stats_day_buckets values (?, ?, ?, ?, ?)", buckets)


def _add_days(
    db: sqlite_utils.Database, first: str, last: str, result: Totals, everyone: dict[str, Person], detail: str
) -> None:
    span = [first, last]
    row = db.execute(
        "select coalesce(sum(received), 0), coalesce(sum(replied), 0), coalesce(sum(dismissed), 0), "
        "coalesce(sum(waiting), 0) from stats_days where day between ? and ?",
        span,
    ).fetchone()
    result.add(Totals(*row))
    for kind, key, name, n in db.execute(
        "select kind, key, max(name), sum(n) from stats_day_counts where day between ? and ? group by kind, key", span
    ):
        if kind in ("label", "source"):
            target = result.labels if kind == "label" else result.sources
            target[key] = target.get(key, 0) + n
        else:
            person = everyone.setdefault(key, Person(key, name or key))
            person.claimed_open += n if kind == "claimed" else 0
    if detail == "counts":
        return
    wanted = "metric = 'person'" if detail == "people" else "metric != 'person'"
    for metric, key, bucket, n in db.execute(
        "select metric, key, bucket, sum(n) from stats_day_buckets "
        f"where day between ? and ? and {wanted} group by metric, key, bucket",
        span,
    ):
        if metric == "person":
            person = everyone.setdefault(key, Person(key, key))
            person.replied += n
            histogram = person.response
        else:
            histogram = getattr(result, metric)
        histogram.counts[bucket] = histogram.counts.get(bucket, 0) + n


def summary(
    db: sqlite_utils.Database,
    since: datetime,
    until: datetime,
    hours: BusinessHours,
    detail: str = "all",
    fill: bool = True,
) -> tuple[Totals, list[Person]]:
    """Totals and per-person numbers for [since, until), from the daily summaries where whole days allow.

    `detail` skips what a report does not show: "counts" (no time histograms), "times" (no
    per-person histograms), "people" (no overall histograms), or "all". `fill=False` when the
    caller has just run `fill_business_times` (a series of summaries needs it once).
    """
    signature = hours_signature(hours)
    if fill:
        fill_business_times(db, hours, signature)
    result, whole_days = Totals(), []
    everyone: dict[str, Person] = {}
    day, last = since.astimezone(hours.tz).date(), (until - timedelta(microseconds=1)).astimezone(hours.tz).date()
    now = utc_now()
    while day <= last:
        start, end = _day_bounds(day, hours.tz)
        if start >= since and (end <= until or until >= now):  # the rest of today has not happened yet
            if not _fresh(db, day, start, end, signature):
                _summarise_day(db, day, start, end, signature)
            whole_days.append(day.isoformat())
        else:  # a period that starts or ends mid-day: that part is counted directly
            result.add(totals(db, max(start, since), min(end, until)))
            for p in people(db, max(start, since), min(end, until)):
                mine = everyone.setdefault(p.id, Person(p.id, p.name))
                mine.replied, mine.claimed_open = mine.replied + p.replied, mine.claimed_open + p.claimed_open
                mine.response.add(p.response)
        day += timedelta(days=1)
    if whole_days:
        _add_days(db, whole_days[0], whole_days[-1], result, everyone, detail)
    ranked = sorted(everyone.values(), key=lambda p: (-p.replied, p.response.percentile(0.5) or 0, p.name))
    return result, ranked
