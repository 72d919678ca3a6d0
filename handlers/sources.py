"""`/listen sources`: each network on or off, its last good poll, mentions in the last 7 days, and its last problem."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from bot.report import Bold, Line, Report, line, report
from bot.sources import registry
from bot.wording import age
from storage import mentions as store


def sources_report(db: sqlite_utils.Database, networks: dict[str, str | None], now: datetime) -> Report:
    """`networks` maps each network to None when it is set up, or to how to set it up."""
    received = store.recent_by_source(db, now - timedelta(days=7))
    lines: list[Line | str] = []
    for name, how_to_enable in networks.items():
        label = Bold(registry.name(name))
        if how_to_enable:
            lines.append(line("⚪ ", label, f" — off ({how_to_enable})"))
            continue
        status = store.source_status(db, name)
        good, problem = status.last_success_at, status.last_error
        said = (
            f" — last good poll {age(good, now) if good else 'never'}"
            f" · {received.get(name, 0)} mention{'s' if received.get(name, 0) != 1 else ''} in the last 7 days"
        )
        if status.retry_at and status.retry_at > now:
            said += f" · paused until {status.retry_at:%H:%M} UTC"
        lines.append(line(f"{'🔴' if problem else '🟢'} ", label, said))
        if problem and status.last_error_at:  # written together
            lines.append(f"      last problem, {age(status.last_error_at, now)}: {problem}")
    return report(line(Bold("Sources")), lines)
