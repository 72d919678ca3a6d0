"""A Report as Slack mrkdwn: plain text escaped, the marked pieces drawn, and cut to a limit at a line's end."""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.slack.blocks import ELLIPSIS, cut, escape, link
from bot.report import Bold, CardLink, Code, Line, Link, Piece, Report, plain

_QUOTE = "'"
CardLinks = Callable[[str, str], str]  # (channel, ts) -> the card's permalink; '' when it cannot be made


def _piece(piece: Piece, card_link: CardLinks | None) -> str:
    if isinstance(piece, str):
        return escape(piece)
    # A customer's `*` or backtick inside a marked piece would end its mark early.
    if isinstance(piece, Bold):
        return f"*{escape(piece.text).replace('*', '')}*" if piece.text else ""
    if isinstance(piece, Code):
        return f"`{escape(piece.text).replace('`', _QUOTE)}`" if piece.text else ""
    if isinstance(piece, Link):
        return link(piece.url, piece.text)
    if isinstance(piece, CardLink) and piece.platform == "slack" and card_link:
        url = card_link(piece.channel, piece.message_id)
        return escape(piece.before) + link(url, piece.text) if url else ""
    return ""  # a card on another platform: Slack cannot link to it


def _draw(line: Line, card_link: CardLinks | None) -> str:
    return "".join(_piece(piece, card_link) for piece in line)


def mrkdwn(report: Report, card_link: CardLinks | None, limit: int) -> str:
    """`report` as mrkdwn in at most `limit` characters.

    Lines are kept whole while they fit, with room kept for a last "…" line that marks a cut, so
    no mark or link is ever split. A line too long for the room (longer than the whole limit, or
    the first line) is drawn as its plain words, escaped and cut to the room left.
    """
    lines = report.all_lines
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        drawn = _draw(line, card_link)
        room = limit - used - (1 if out else 0)
        if len(drawn) <= (room if i == len(lines) - 1 else room - 2):
            out.append(drawn)
            used += len(drawn) + (1 if len(out) > 1 else 0)
            continue
        too_long = not out or len(drawn) > limit
        out.append(cut(escape(plain(line)), room, force=True) if too_long else ELLIPSIS)
        break
    return "\n".join(out)
