"""The pre-check in front of triage's word patterns never changes what a pattern finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import intent, sentiment, triage
from bot.config import DEFAULT_TEMPLATES
from bot.gated import Gated, required_texts
from bot.replies import ReplyTemplates

# How many examples: the Hypothesis profile loaded in conftest.py.
EXAMPLES = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Each of the 60-odd patterns is its own search: the quick profile tries a third as many texts on
# each (5, over 300 in all); the thorough one (CI) tries its full count on every pattern.
PER_PATTERN = settings(
    EXAMPLES,
    max_examples=max(5, settings().max_examples // 3)
    if settings.get_current_profile_name() == "quick"
    else settings().max_examples,
)


def every_gated() -> list[tuple[str, Gated]]:
    found = [(f"cue {i}", pattern) for i, (pattern, _) in enumerate(sentiment._CUE_RES)]
    found += [
        (name, value) for module in (intent, triage) for name, value in vars(module).items() if isinstance(value, Gated)
    ]
    found += [(f"serious {kind}", pattern) for kind, pattern in intent._SERIOUS.items()]
    found += [(f"topic {name}", pattern) for name, pattern in ReplyTemplates.load(DEFAULT_TEMPLATES).topics.items()]
    return found


GATED = every_gated()


def test_most_of_triages_patterns_are_gated():
    """A pattern that loses its gate after an edit still works; this says when most of the speed-up is gone."""
    gated = [name for name, pattern in GATED if pattern.needles is not None]
    assert len(gated) >= 0.8 * len(GATED), [name for name, pattern in GATED if pattern.needles is None]


@pytest.mark.parametrize("name,gated", GATED, ids=[name for name, _ in GATED])
def test_a_text_the_pattern_matches_is_never_skipped(name, gated):
    @PER_PATTERN
    @given(st.from_regex(gated.pattern))
    def check(text):
        assert gated.search(text), f"{name}: the pre-check skipped {text!r}"

    check()


@EXAMPLES
@given(
    st.lists(
        st.sampled_from(
            [
                "took",
                "ages",
                "not",
                "happy",
                "never",
                "again",
                "no",
                "one",
                "told",
                "us",
                "oh",
                "great",
                "#not",
                "thanks",
                "for",
                "that",
                "charged",
                "twice",
                "🙄",
                "?!",
                "sick",
                "after",
                "the",
                "chicken",
                "can",
                "i",
                "book",
                "x",
                " ",
                ".",
                ",",
            ]
        ),
        max_size=30,
    )
)
def test_gated_and_plain_patterns_agree_on_word_salad(words):
    text = " ".join(words)
    for name, gated in GATED:
        assert bool(gated.search(text)) == bool(gated.pattern.search(text)), name


def test_required_texts_of_a_few_shapes():
    # each match holds " ages" or " forever" (more telling than "took"); "forever" covers " forever"
    assert set(required_texts(re.compile(r"\b(took|takes|taking) (forever|ages)\b|\bforever\b"))) == {
        " ages",
        "forever",
    }
    assert set(required_texts(re.compile(r"(^|\s)hello (world|there)"))) == {"hello world", "hello there"}
    assert required_texts(re.compile(r"[😡🙄]")) in (("😡", "🙄"), ("🙄", "😡"))
    assert required_texts(re.compile(r"\bcancel+ed\b")) == ("cance",)
    # letters before a group join only what the group begins with: "down" is inside "let ?down", not at its start
    assert set(required_texts(re.compile(r"(bit of|such) a (let ?down|shame)"))) == {" a let", " a shame"}
    assert required_texts(re.compile(r"\b\d+ days\b")) == (" days",)
    assert required_texts(re.compile(r"\b(a|)\b")) is None  # a match may be empty
    assert required_texts(re.compile(r"hello", re.IGNORECASE)) is None  # case-blind patterns are never gated
