"""A Report (stats, the queue, the digest, a reminder) as an Adaptive Card for Teams: words as written, cut to fit.

Every piece is a TextRun, so plain words are never read as markdown; bold and code are the run's
own weight and font, and a link is a run that opens its (http or https) address when clicked.
Lines are kept whole while the card fits Teams' message size; a cut is marked with a last "…" line.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from microsoft_teams.cards import CardElement, Image, OpenUrlAction, TextRun

from bot.chat.teams.cards import CARD_LIMIT, ELLIPSIS, adaptive_card, as_json, cut, is_web, size, text_line
from bot.report import Bold, CardLink, Code, Line, Link, Piece, Report, plain
from bot.text import clean

CardLinks = Callable[[str, str], str]  # (channel, message id) -> the card's address; '' when it cannot be made
LINE_LIMIT = 2000  # characters of one line's words; a longer line is cut
CHART_WIDTHS = (800, 700, 600, 480)  # pixels: the widest that fits is sent
BOT_NAME = "Listening Post"  # the app's name in its package: what a person types after @ in Teams


def report_card(report: Report, card_link: CardLinks | None = None) -> dict[str, Any]:
    """`report` as a card within Teams' size: its title in bold, then its lines while they fit."""
    body: list[CardElement] = []
    used = size(as_json(adaptive_card([], []))) + 200  # room kept for the "…" line
    drawn = [(report.title, True)] if report.title else []
    for line, title in drawn + [(line, False) for line in report.lines]:
        block = text_line(*_runs(line, card_link, title)) if plain(line).strip() else text_line(TextRun(text=" "))
        used += size(block.model_dump(exclude_none=True, by_alias=True)) + 1
        if used > CARD_LIMIT:
            body.append(text_line(TextRun(text=ELLIPSIS)))
            break
        body.append(block)
    return as_json(adaptive_card(body, []))


def chart_card(png: bytes, title: str) -> dict[str, Any]:
    """A chart as an image in a card, made small enough for Teams' message size (a data: address holds it)."""
    for width in CHART_WIDTHS:
        image = Image(
            url=f"data:image/png;base64,{base64.b64encode(_shrunk(png, width)).decode()}", alt_text=cut(title, 200)
        )
        content = as_json(adaptive_card([text_line(TextRun(text=cut(title, 200), weight="Bolder")), image], []))
        if size(content) <= CARD_LIMIT:
            return content
    return report_card(Report((title,), (("The chart is too detailed to send in Teams; try a shorter period.",),)))


def _shrunk(png: bytes, width: int) -> bytes:
    """The picture `width` pixels wide in a 32-colour palette: a bar chart loses nothing a person sees."""
    from PIL import Image as Picture  # matplotlib's own dependency

    with Picture.open(io.BytesIO(png)) as picture:
        height = max(1, round(picture.height * width / picture.width))
        small = picture.convert("RGB").resize((width, height), Picture.Resampling.LANCZOS)
        out = io.BytesIO()
        small.convert("P", palette=Picture.Palette.ADAPTIVE, colors=32).save(out, "PNG", optimize=True)
    return out.getvalue()


def _runs(line: Line, card_link: CardLinks | None, title: bool = False) -> list[TextRun]:
    runs = [run for piece in line for run in _piece(piece, card_link)]
    left = LINE_LIMIT
    kept: list[TextRun] = []
    for run in runs:
        text = clean(run.text)
        if left <= 0 or not text:
            continue
        kept.append(run.with_text(cut(text, left)))
        left -= len(text)
    if title:
        kept = [run.with_weight("Bolder").with_size("Medium") for run in kept]
    return kept


def _piece(piece: Piece, card_link: CardLinks | None) -> list[TextRun]:
    if isinstance(piece, str):
        return [TextRun(text=piece)]
    if isinstance(piece, Bold):
        return [TextRun(text=piece.text, weight="Bolder")]
    if isinstance(piece, Code):
        return [TextRun(text=typed(piece.text), font_type="Monospace")]
    if isinstance(piece, Link):
        url = clean(piece.url)
        return [TextRun(text=piece.text, select_action=OpenUrlAction(url=url) if is_web(url) else None)]
    if isinstance(piece, CardLink) and piece.platform == "teams" and card_link:
        url = clean(card_link(piece.channel, piece.message_id))
        if is_web(url):
            return [TextRun(text=piece.before), TextRun(text=piece.text, select_action=OpenUrlAction(url=url))]
    return []  # a card on another platform: Teams cannot link to it


def typed(command: str) -> str:
    """A command as it is typed in Teams: `/listen stats` is `@Listening Post stats`, in the channel or a chat."""
    return f"@{BOT_NAME}{command[7:]}" if command == "/listen" or command.startswith("/listen ") else command
