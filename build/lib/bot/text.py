"""Cleans text at the boundary: whatever a network or a person sends, what we keep is valid, printable UTF-8."""

from __future__ import annotations

import re

# Lone surrogates cannot be encoded (SQLite, JSON and HTTP clients all raise on them); NUL and the
# other C0/C1 controls (tab and line breaks kept) confuse terminals, logs and Slack alike.
_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """`text` without lone surrogates, NUL or control characters; tabs and line breaks stay."""
    if not text:
        return ""
    if not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str | None) -> str:
    """`text` cleaned and folded onto one line: for names, handles and titles."""
    return _LINE_BREAKS.sub(" ", clean(text)).strip()
