"""Which language a mention is in, with py3langid's model (shipped in the package, nothing downloaded).

A language the network tagged the post with is trusted; for the rest (networks that tag none,
feeds, an untagged post) the text is identified here. A short text, or one the model is unsure
of, is "und" (undetermined): triage then treats it as English only if it looks English.
"""

from __future__ import annotations

import copy
import re
import threading

# The languages replies can be suggested in. Between these, a short post is told apart well once
# the model is asked to choose among them only; any other language must stand out on its own.
TEMPLATED = ("en", "es", "fr", "de", "it", "pt", "nl")
CONFIDENT = 0.90  # the probability needed among TEMPLATED
STANDS_OUT = 0.50  # the probability another language needs among all the model knows
MIN_LETTERS = 12  # below this a post is too short to tell ("lol", "😍😍")
_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+|[^\w\s'’.,!?¿¡-]", re.UNICODE)
_models: dict[str, object] = {}
_lock = threading.Lock()


def _model(restricted: bool):
    """The identifier (all 97 languages, or TEMPLATED only), loaded once: 1 s and numpy, so only when needed."""
    key = "templated" if restricted else "all"
    with _lock:
        if not _models:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # the model in the package
            # Reading the file is most of the cost (LZMA): the restricted one is a copy that narrows its
            # own columns; set_languages replaces the arrays it narrows, never writes into them.
            templated = copy.copy(identifier)
            templated.set_languages(list(TEMPLATED))
            _models.update(all=identifier, templated=templated)
    return _models[key]


def identify(text: str) -> str:
    """The post's language as an ISO 639-1 code, or "und" when it cannot be told."""
    cleaned = " ".join(_NOISE.sub(" ", text or "").split())
    if sum(c.isalpha() for c in cleaned) < MIN_LETTERS:
        return "und"
    language, probability = _model(restricted=False).classify(cleaned)
    if language not in TEMPLATED and probability >= STANDS_OUT:
        return language
    language, probability = _model(restricted=True).classify(cleaned)
    return language if probability >= CONFIDENT else "und"


def of(mention_lang: str | None, text: str) -> str:
    """The network's own tag when it has a real one, else what the text says."""
    tag = (mention_lang or "").lower().split("-")[0]
    if tag and tag not in ("und", "qme", "zxx", "qht", "qam", "art"):
        return tag
    return identify(text)
