"""Hostile input for every card and report builder: what a network or a person might send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import strategies as st

from bot.models import Handling, Mention, Triage
from bot.sources import registry

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)

BITS = [
    "<!channel>",
    "<!here>",
    "<@U0OWNER>",
    "*bold*",
    "_it_",
    "~s~",
    "`c`",
    "```",
    "<http://x|y>",
    "&",
    "<",
    ">",
    "&amp;",
    "&lt;",
    "\u202e",
    "\u200f",
    "\u2066",
    "🙂",
    "👩‍👩‍👧",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ud800",
    "\udfff",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "a",
    "word ",
    "é",
    "|",
    "@here",
    ":smile:",
    "> ",
    "\u00a0",
    "\u2028",
]


@cache  # built once: a new strategy object at every draw has Hypothesis work out its properties again (4x slower)
def hostile(max_repeat: int = 5000) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(BITS), max_size=60).map("".join),
        st.text(max_size=300),
        st.builds(lambda bit, n: bit * n, st.sampled_from(BITS), st.integers(0, max_repeat)),
        st.builds(
            lambda head, n, tail: head + "x" * n + tail,
            st.sampled_from(["@bramblecafe ", "", "a & b "]),
            st.integers(0, 5000),
            st.sampled_from(["", " end", "&"]),
        ),
    )


@cache
def urls() -> st.SearchStrategy[str]:
    return st.one_of(
        hostile(300),
        st.builds(lambda s: "https://x.com/" + s, hostile(3000)),
        st.builds(lambda n: "https://example.com/" + "a" * n, st.integers(0, 5000)),
    )


@st.composite
def mentions(draw, max_id: int = 2500) -> Mention:
    source = draw(st.sampled_from(registry.KEYS))
    raw = {"feed_title": draw(hostile()), "feed": draw(urls())} if source == "rss" else {}
    return Mention(
        source=source,
        external_id=draw(st.text(min_size=1, max_size=40) | st.just("7" * max_id)),
        author_handle=draw(hostile()),
        author_name=draw(hostile()),
        text=draw(hostile()),
        url=draw(urls()),
        created_at=NOW - timedelta(minutes=draw(st.integers(0, 100000))),
        author_followers=draw(st.none() | st.integers(0, 10**12)),
        raw=raw,
    )


triages = st.builds(
    Triage,
    sentiment=st.floats(-1, 1),
    label=st.sampled_from(["negative", "neutral", "positive"]),
    intent=st.sampled_from(["question", "complaint", "praise", "other"]),
    urgency=st.sampled_from(["low", "normal", "high"]),
    suggestions=st.one_of(
        st.lists(hostile(), max_size=5).map(tuple), st.just(tuple(f"suggestion {i}" for i in range(150)))
    ),
    scored=st.booleans(),
)

handlings = st.builds(
    Handling,
    status=st.sampled_from(["new", "claimed", "pending", "replied", "dismissed"]),
    actor_name=hostile(),
    at=st.just(NOW),
    note=hostile(),
    via=st.sampled_from(["button", "modal", "approval", "outside", "platform"]),
    reply_url=urls(),
    approved_by=hostile(),
    response_secs=st.none() | st.integers(0, 10**8),
    posted_at=st.just(NOW),
)
