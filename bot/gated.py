"""Word patterns with a cheap pre-check: a text holding none of the words every match contains skips the regex.

Triage runs a few dozen patterns over every mention, most of them alternations of words
behind `\\b`. Python's regex engine tries such a pattern at every position of the text, while
`"word" in text` scans in C; checking the words first makes triage about a third cheaper
and cannot change a result, because every match contains one of them. The words are read
from the pattern itself with the standard library's own pattern parser, so they never drift.
"""

from __future__ import annotations

import re

try:  # the standard library's own parser of patterns; if a future Python moves it, nothing is gated
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _sre = _sre_parse = None

_MAX_WORDS = 150  # past this, checking every word costs as much as the regex itself


def _literals(op, av) -> set[str] | None:
    """The texts one of which every match of this one item contains, or None if unknown."""
    if op is _sre.LITERAL:
        return {chr(av)}
    if op is _sre.SUBPATTERN:
        return _needs(av[-1])
    if op is _sre.BRANCH:
        return _union(av[1], _needs)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
        return _needs(av[2])
    if op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in av):
        return {chr(code) for _, code in av}
    return None


def _needs(items) -> set[str] | None:
    """Texts one of which every match of this sequence contains: the most telling set among its
    parts (the longest shortest text), or None when no part promises any."""
    items = list(items)
    best: set[str] | None = None
    i = 0
    while i < len(items):
        op, av = items[i]
        found: set[str] | None
        if op is _sre.LITERAL:  # a run of letters is one text; the parser factors "took|takes" into "t(?:ook|akes)"
            run = ""
            while i < len(items) and items[i][0] is _sre.LITERAL:
                run += chr(items[i][1])
                i += 1
            after = _starts(*items[i]) if i < len(items) else None
            found = {run + a for a in after} if after else {run}
        else:
            found = _literals(op, av)
            i += 1
        if found and "" not in found and (best is None or _telling(found) > _telling(best)):
            best = found
    return best


def _starts(op, av) -> set[str] | None:
    """The texts one of which every match of this one item begins with, or None if unknown. Only these
    may be joined to the letters before the item: "a (let ?down|shame)" begins "a let" or "a shame",
    though "down" is the more telling text inside it."""
    if op is _sre.SUBPATTERN:
        return _leading(av[-1])
    if op is _sre.BRANCH:
        return _union(av[1], _leading)
    return None


def _union(branches, read) -> set[str] | None:
    """What `read` finds in each branch, together; None when any branch promises nothing."""
    found: set[str] = set()
    for branch in branches:
        part = read(branch)
        if not part:
            return None
        found |= part
    return found


def _leading(items) -> set[str] | None:
    """The texts one of which every match of this sequence begins with: its leading letters, and what
    the item after them begins with."""
    items = list(items)
    run, i = "", 0
    while i < len(items) and items[i][0] is _sre.LITERAL:
        run += chr(items[i][1])
        i += 1
    after = _starts(*items[i]) if i < len(items) else None
    if after:
        return {run + a for a in after}
    if i < len(items) and items[i][0] in (_sre.SUBPATTERN, _sre.BRANCH) and not run:
        return None
    return {run} if run else None


def _telling(texts: set[str]) -> tuple[int, int]:
    return min(len(t) for t in texts), -len(texts)


def required_texts(pattern: re.Pattern) -> tuple[str, ...] | None:
    """Texts one of which every match contains, or None when the pattern gives no such promise."""
    if _sre_parse is None or pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return None
    try:
        needs = _needs(_sre_parse.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unfamiliar shape only means "not gated"
        return None
    if not needs or len(needs) > _MAX_WORDS:
        return None
    # A text that contains another is redundant: "cance" already covers "cancelled".
    kept = sorted(needs, key=len)
    return tuple(s for i, s in enumerate(kept) if not any(k in s for k in kept[:i]))


class Gated:
    """A compiled pattern whose search first checks, in C, that one of the texts every match holds is there."""

    __slots__ = ("pattern", "needles")

    def __init__(self, pattern: str | re.Pattern, flags: int = 0):
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.needles = required_texts(self.pattern)

    def search(self, text: str) -> re.Match | None:
        if self.needles is not None:
            for needle in self.needles:
                if needle in text:
                    break
            else:
                return None
        return self.pattern.search(text)
