"""Which language a mention is in: the network's tag first, else py3langid's shipped model; unsure is "und"."""
from __future__ import annotations

import pytest

from bot import language


@pytest.mark.parametrize("text, expected", [
    ("¿A qué hora abrís el domingo por la mañana?", "es"),
    ("Le café était froid et le service très lent", "fr"),
    ("Der Kaffee war heute leider kalt", "de"),
    ("Il caffè era freddo, che peccato davvero", "it"),
    ("O café estava frio hoje de manhã", "pt"),
    ("De koffie was koud en het personeel onbeleefd", "nl"),
    ("my latte was cold again this morning", "en"),
    ("Отличный кофе и очень вежливый персонал", "ru"),
])
def test_a_post_long_enough_is_identified(text, expected):
    assert language.identify(text) == expected


@pytest.mark.parametrize("text", ["lol", "@bramblecafe 😍😍😍", "https://example.com/x #coffee", ""])
def test_too_little_text_is_undetermined(text):
    assert language.identify(text) == "und"


def test_the_networks_own_tag_wins_and_an_empty_or_undetermined_tag_does_not():
    assert language.of("es", "my latte was cold again this morning") == "es"
    assert language.of("en-GB", "anything") == "en"
    assert language.of("und", "Le café était froid et le service très lent") == "fr"
    assert language.of(None, "Le café était froid et le service très lent") == "fr"
