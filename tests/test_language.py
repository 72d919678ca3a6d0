"""Which language a mention is in: the network's tag first, else py3langid's shipped model; unsure is "und"."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot import language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("¿A qué hora abrís el domingo por la mañana?", "es"),
        ("Le café était froid et le service très lent", "fr"),
        ("Der Kaffee war heute leider kalt", "de"),
        ("Il caffè era freddo, che peccato davvero", "it"),
        ("O café estava frio hoje de manhã", "pt"),
        ("De koffie was koud en het personeel onbeleefd", "nl"),
        ("my latte was cold again this morning", "en"),
        ("Отличный кофе и очень вежливый персонал", "ru"),
    ],
)
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


def _triage(text: str, lang: str | None, network: str = "mastodon"):
    from datetime import datetime

    from bot import config, wiring
    from bot.models import Mention

    mention = Mention(network, "1", "maria", "Maria López", text, "", datetime.now(UTC), lang=lang)
    return wiring.triager(config.load({})).triage(mention)


def test_a_question_in_spanish_gets_replies_in_spanish():
    result = _triage("¿A qué hora abrís el domingo?", "es")
    assert not result.scored and result.intent == "question"
    assert result.suggestions[0].startswith(("¡Hola Maria!", "@maria ¡gracias por preguntar!"))


def test_an_untagged_post_is_answered_in_the_language_it_is_written_in():
    assert "merci" in _triage("Le café était froid et le service très lent", None, "reddit").suggestions[0].lower()
    assert "danke" in _triage("Danke schön für alles, bis bald", None, "x").suggestions[0].lower()
    assert _triage("my latte was cold again this morning", None, "reddit").scored  # English is still scored


def test_a_language_without_replies_of_its_own_gets_the_short_general_ones():
    result = _triage("Отличный кофе и очень вежливый персонал", None, "reddit")
    assert not result.scored and any("thank you" in s.lower() or "thanks" in s.lower() for s in result.suggestions)


def test_replies_in_another_language_are_checked_when_loaded(tmp_path):
    from bot.config import DEFAULT_TEMPLATES, ConfigError
    from bot.replies import ReplyTemplates

    broken = (
        DEFAULT_TEMPLATES.read_text(encoding="utf-8") + '\n[languages.xyzw]\nquestion = ["Hola"]\nother = ["Hola"]\n'
    )
    path = tmp_path / "replies.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        ReplyTemplates.load(path)
    assert "[languages.xyzw] must be a two-letter language code" in str(raised.value)
