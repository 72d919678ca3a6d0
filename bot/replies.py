"""Suggested replies: the owner's TOML templates, filled and fitted to the network's limits."""

from __future__ import annotations

import re
import string
import tomllib
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import regex

from bot.config import ConfigError
from bot.gated import Gated
from bot.models import Intent
from bot.sources import registry

PLACEHOLDERS = {"handle", "first_name", "topic", "business"}
SECTIONS = (Intent.COMPLAINT, Intent.QUESTION, Intent.PRAISE, Intent.OTHER, "not_english")
# Sad news (a death, a closing, someone much loved leaving) gets a kind word, not "thanks for the
# mention". A templates file without a `sad` list borrows the built-in one.
SAD = "sad"
# Complaints of harm get careful replies of their own kind ([serious] in the templates): apologise,
# take it private, say who will follow up. A templates file without them borrows the built-in ones.
SERIOUS_KINDS = ("health", "allergy", "injury", "safety", "legal", "money")
_BUILT_IN = Path(__file__).with_name("reply_templates.toml")
_URL = re.compile(r"\s*(https?://|www\.)\S+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
# A reply that asks the person to write privately, in the built-in templates' languages: never offered where
# nobody can be sent a message (a Google review), as a reply naming @handle is never offered without one.
_ASKS_FOR_A_MESSAGE = re.compile(
    r"\bDMs?\b|direct message|message us|private message|privately|mensaje privado|message privé|"
    r"Direktnachricht|in privato|mensagem privada|privébericht",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyTemplates:
    replies: dict[str, list[str]]
    topics: dict[str, Gated]  # topic name -> one pattern for all its (lower-case) words
    serious: dict[str, list[str]] = field(default_factory=dict)  # kind of harm -> careful replies
    languages: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # "es" -> question/other replies

    @classmethod
    def load(cls, path: str | Path) -> ReplyTemplates:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Could not read the reply templates at {path}: {exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The reply templates at {path} are not valid TOML ({exc}).") from None
        replies = data.get("replies", {})
        for section in SECTIONS:
            _checked(path, "[replies]", section, replies.get(section))
        sad = _checked(path, "[replies]", SAD, replies[SAD]) if SAD in replies else _built_in_replies(SAD)
        topics = {
            str(name): Gated(r"\b(?:" + "|".join(re.escape(str(w).lower()) for w in words) + r")\b")
            for name, words in data.get("topics", {}).items()
            if isinstance(words, list) and words
        }
        serious = data.get("serious", {})
        if not isinstance(serious, dict) or not all(
            isinstance(v, list) and v and all(isinstance(e, str) for e in v) for v in serious.values()
        ):
            raise ConfigError(f"{path}: [serious] needs each kind ({', '.join(SERIOUS_KINDS)}) as a list of replies.")
        for kind, entries in serious.items():
            _checked(path, "[serious]", kind, entries)
        missing = [k for k in SERIOUS_KINDS if k not in serious]
        if missing and path.resolve() != _BUILT_IN.resolve():
            built_in = _built_in_serious()
            serious = {**{k: built_in[k] for k in missing if k in built_in}, **serious}
        return cls(
            replies={**{s: list(replies[s]) for s in SECTIONS}, SAD: sad},
            topics=topics,
            serious={str(k): list(v) for k, v in serious.items()},
            languages=_languages(path, data.get("languages", {})),
        )

    def in_language(self, language: str, intent: str) -> list[str]:
        """Replies written in `language` for a question, or for anything else; [] when it has none."""
        written = self.languages.get(language) or {}
        return written.get(Intent.QUESTION if intent == Intent.QUESTION else Intent.OTHER) or []

    def topic_of(self, text: str) -> str | None:
        lowered = text.lower()  # topic words are lower case: IGNORECASE would double the cost
        return next((name for name, pattern in self.topics.items() if pattern.search(lowered)), None)

    def suggest(
        self,
        *,
        intent: str,
        handle: str,
        name: str,
        text: str,
        business: str,
        network: str,
        english: bool = True,
        count: int = 3,
        serious: str | None = None,
        language: str = "",
    ) -> list[str]:
        """Up to `count` replies that fit the network's length limit and conventions. A complaint of
        harm (`serious`: health, allergy, injury…) gets only the careful replies for that kind; a post
        in another language gets replies written in it, where the templates have some."""
        where = registry.network(network)
        if where is None or where.reply_limit is None:
            return []  # a feed entry cannot be answered from here, so there is nothing to suggest
        section = intent if english else "not_english"
        templates = self.replies.get(section) or self.replies[Intent.OTHER]
        if not english and self.in_language(language, intent):
            templates = self.in_language(language, intent)
        if english and intent == Intent.COMPLAINT and serious and self.serious.get(serious):
            templates = self.serious[serious]
        limit, allow_links = where.reply_limit, where.links
        values = {
            "handle": handle or None,  # no handle: replies that address one by @handle are left out
            "first_name": first_name(name, handle),
            "topic": self.topic_of(text),
            "business": business,
        }
        # Start at a place that depends on the text, so a busy channel doesn't show
        # the same three replies on every card, yet a card's suggestions never change.
        start = zlib.crc32(text.encode("utf-8")) % len(templates)
        chosen: list[str] = []
        for template in templates[start:] + templates[:start]:
            if not where.messages and _ASKS_FOR_A_MESSAGE.search(template):
                continue
            reply = fill(template.replace("@{handle}", where.address), values, allow_links)
            if reply and where.length(reply) <= limit and reply not in chosen:
                chosen.append(reply)
            if len(chosen) == count:
                break
        return chosen


# --- Names: address someone by first name only when the display name is plainly a person's ---

# Words that make a display name an organisation, a place, a role or a theme, not a person.
_NOT_A_PERSON = frozenset(
    """
    ltd limited inc llc llp plc co corp company group holdings gmbh sa srl bv pty
    official team staff crew hq support help helpdesk care service services customer customers
    news newsroom times post daily weekly journal gazette herald tribune press media magazine mag radio tv
    blog blogger vlog vlogger podcast channel network reviews review reviewer guide guides insider updates
    foodie foodies eats eat bites food foods kitchen kitchens cafe café coffee tea bakery bakes bakehouse
    bar pub inn bistro brasserie deli diner restaurant pizza pizzeria burger burgers grill brewery brewing
    wine wines shop store stores boutique market mart supermarket express direct online outlet
    salon spa barber barbers beauty hair nails studio studios gallery club society association trust
    foundation council committee school academy college university institute hospital clinic pharmacy
    hotel hotels travel travels tours airline airlines airways rail railway trains bus taxi cars motors
    agency solutions consulting labs tech digital marketing design designs creative events photography
    fans fan lovers lover life living local community city town village world global international
    uk usa us eu nyc
    bot bots app apps account accounts alerts alert feed deals offers giveaway giveaways promo
    church ministry mission project campaign party games gaming sports fc united
    """.split()
)
# Words that say who someone is without saying their given name.
_TITLES = frozenset(
    """
    mr mrs ms miss mx dr doc prof professor sir dame lady lord rev revd reverend fr father sister brother
    capt captain chef coach officer judge hon cllr councillor mp auntie aunty aunt uncle nana grandma grandpa
    mum mom mama dad papa madame mme mlle monsieur herr frau sr sra srta señor señora signor signora
    """.split()
)
_SUFFIXES = frozenset("jr jnr sr snr ii iii iv phd md mbe obe cbe dds esq".split())
_PARTICLES = frozenset("de da di do dos das del della der den van von la le du ten ter bin binti ibn al el y e".split())
# Places that also read like names at the start of a display name ("Paris …", "Chelsea …").
_PLACES = frozenset(
    """
    london paris berlin madrid rome milan dublin edinburgh glasgow manchester liverpool leeds bristol
    birmingham cardiff belfast brighton oxford cambridge york bath leith newcastle sheffield nottingham
    chelsea camden hackney soho brooklyn manhattan boston chicago dallas houston austin denver phoenix
    seattle portland atlanta miami orlando vegas nashville memphis detroit toronto vancouver montreal
    sydney melbourne brisbane perth adelaide auckland wellington tokyo osaka seoul beijing shanghai
    delhi mumbai bangalore dubai lagos nairobi cairo lisbon porto barcelona valencia seville amsterdam
    brussels vienna prague warsaw budapest athens oslo stockholm copenhagen helsinki zurich geneva
    florence venice naples munich hamburg cologne lyon marseille nice bordeaux
    england scotland wales ireland britain america canada australia india china japan korea france
    germany spain italy portugal holland mexico brazil texas california florida georgia virginia carolina
    jersey kent devon cornwall yorkshire surrey essex sussex italia españa
    north south east west new old saint st
    """.split()
)
# Family names that come first in Chinese, Korean, Japanese and Vietnamese order: with one of
# these first, the given name cannot be told ("Zhang Wei", "Kim Min-jun", "Tanaka Yuki").
_FAMILY_FIRST = frozenset(
    """
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie
    song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu
    ding ren shen yao wong chan leung cheung lau ng ho tse lam chow tsang chu fung kwok
    kim lee park choi jung jeong kang cho yoon yun jang lim oh seo shin kwon hwang ahn yoo hong jeon
    ko moon son bae baek heo nam
    sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki
    yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa ogawa
    fujita okada goto hasegawa murakami kondo ishii saito sakamoto endo aoki fujii nishimura fukuda
    nguyen tran le pham hoang huynh phan vu vo dang bui ngo duong ly
    """.split()
)
# Given names that are also everyday English words; any other common word cannot start a name.
_WORD_NAMES = frozenset(
    """
    mark rose grace jack will bill frank amber faith hope joy dawn max art guy ray hunter miles angel
    daisy ivy lily poppy willow sienna holly ruby iris violet hazel pearl jasmine heather robin summer
    autumn april may june chase grant dean drew jay pat sue don peter john harry william charlotte
    louis mason penny sandy crystal melody cliff glen rod wade lance rob nick pete gene kit rich cole
    reed eve faye olive sage river brooke august maria lucy raj
    """.split()
)
_SEPARATORS = regex.compile(r"\s+[|•·~–—-]\s+|[|•·,:;/()\[\]{}]|\s@")
_DECORATION = regex.compile(r"[\p{So}\p{Sk}\p{Cn}\p{Co}\p{Mn}\u200d\ufe0f]+")
_NAME_WORD = regex.compile(r"\p{Latin}+(?:['’-]\p{Latin}+)*\.?")
_INITIAL = regex.compile(r"\p{Lu}\.?|(?:\p{Lu}\.){2,}")
_INNER_CAPITAL = regex.compile(r"\p{Ll}\p{Lu}")
_SURNAME_PREFIX = regex.compile(r"^(?:Mc|Mac|O['’]|D['’]|De|Di|Da|La|Le|Van|Von|Fitz)\p{Lu}")


@lru_cache(maxsize=4096)  # the same people write again and again; the rules take ~0.2 ms a name
def first_name(name: str, handle: str = "") -> str | None:
    """The person's first name when the display name is plainly a person's, else None.

    "Maria López" → "Maria"; "Edinburgh Foodie", "The Bramble", "Mrs. Patel", "BBC News",
    "J. R. Smith", "Zhang Wei", "maria_eats_88" → None. When in doubt, no name: a reply
    without a name reads fine, one with the wrong name does not.
    """
    words = _person_words(name, handle)
    if not words:
        return None
    given = words[0]
    return "-".join(part[:1].upper() + part[1:] for part in given.split("-"))


def _person_words(name: str, handle: str) -> list[str] | None:
    name = _DECORATION.sub(" ", name or "")
    name = _SEPARATORS.split(name, maxsplit=1)[0].strip()  # "Maria López | Pastry chef" → "Maria López"
    words = name.split()
    if not words or not all(_NAME_WORD.fullmatch(w) for w in words):
        return None  # digits, underscores, "&", "'s", other scripts: a handle, a business, or not sure
    squashed = "".join(words).replace(".", "").casefold()
    if handle and squashed == regex.sub(r"[\W_]", "", handle).casefold():
        return None  # the handle used as the display name
    if all(w.islower() for w in words):
        words = [w.capitalize() for w in words]  # "maria lopez" is still a name
    # Titles before and letters after the name say nothing about the given name.
    while words and words[-1].rstrip(".").casefold() in _SUFFIXES:
        words.pop()
    if len(words) >= 3 and words[0].rstrip(".").casefold() in _TITLES:
        words = words[1:]  # "Dr Sarah Jones" → "Sarah Jones"; "Mrs. Patel" stays a title alone
    core = [w for w in words if w.casefold() not in _PARTICLES or w is words[0]]
    if not 2 <= len(core) <= 4:
        return None  # one word could be anything ("Bramble", "Edinburgh"); five is a slogan
    given, rest = core[0], core[1:]
    if given.endswith(".") or _INITIAL.fullmatch(given) or len(given) < 2:
        return None  # "J. Smith", "JR Smith"
    for word in core:
        plain = word.rstrip(".")
        if len(plain) > 1 and plain.isupper():
            return None  # "BBC News", "NHS Trust": an acronym
        if _INNER_CAPITAL.search(plain) and not _SURNAME_PREFIX.match(plain):
            return None  # "MariaEats": a handle written as a name
        if plain.endswith(("'s", "’s")):
            return None  # "Joe's Diner"
        if any(_fold(part) in _NOT_A_PERSON for part in regex.split(r"['’-]", plain)):
            return None
    key = _fold(given.split("-")[0])
    if key in _TITLES or key in _PLACES or key in _FAMILY_FIRST:
        return None
    if key not in _WORD_NAMES and _is_common_word(key):
        return None  # "Urban Outfitters", "Sunny Side", "Happy Cow", "Little Chef"
    for word in rest:
        if _INITIAL.fullmatch(word) and word is not rest[-1]:
            continue  # a middle initial
        if not _INITIAL.fullmatch(word) and _is_plain_word(word.rstrip(".")):
            return None  # "Sarah Bakes", "Leith Local": a common word where a family name would be
    return core


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _lexicon():
    from textblob.en import lexicon  # TextBlob's tagger lexicon (94k words), shipped in the package

    return lexicon


def _is_common_word(lowered: str) -> bool:
    """An everyday English word (tagged, but never as a proper noun)."""
    tag = _lexicon().get(lowered)
    return tag is not None and tag not in ("NNP", "NNPS")


def _is_plain_word(word: str) -> bool:
    """A word English writes only in lower case: verbs, adjectives, plurals ("Bakes", "Local")."""
    lexicon = _lexicon()
    capitalised = lexicon.get(word[:1].upper() + word[1:].lower())
    lowered = lexicon.get(word.lower())
    return lowered is not None and capitalised not in ("NNP", "NNPS")


@lru_cache(maxsize=1)
def _built_in_serious() -> dict[str, list[str]]:
    return tomllib.loads(_BUILT_IN.read_text(encoding="utf-8")).get("serious", {})


def _built_in_replies(section: str) -> list[str]:
    return list(tomllib.loads(_BUILT_IN.read_text(encoding="utf-8"))["replies"][section])


@lru_cache(maxsize=512)
def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


_GREETING_NAME = re.compile(r"\b(Hi|Hello|Hey|Hiya|Morning|Evening|Afternoon)\s+\{first_name\}", re.IGNORECASE)
_LEADING_NAME = re.compile(r"^\{first_name\}[\s,!.]*")
_NAME = re.compile(r"[\s,]*\{first_name\}")


def without_name(template: str) -> str:
    """The template reworded for someone whose first name we don't know.

    "Hi {first_name}," becomes "Hi there,"; anywhere else the name and the comma before it go:
    "Thank you so much, {first_name}!" becomes "Thank you so much!".
    """
    template = _GREETING_NAME.sub(lambda m: f"{m.group(1)} there", template)
    template = _LEADING_NAME.sub("", template)
    template = template[:1].upper() + template[1:]
    return _NAME.sub("", template)


def fill(template: str, values: dict[str, str | None], allow_links: bool) -> str | None:
    """The filled reply, or None when it needs a placeholder we have no value for."""
    if "first_name" in placeholders(template) and not values.get("first_name"):
        template = without_name(template)
    if any(not values.get(n) for n in placeholders(template)):
        return None
    reply = template.format(**values)
    if not allow_links and ("http" in reply or "www." in reply):
        reply = _URL.sub("", reply)
        reply = _SPACES.sub(" ", reply)
    return reply.strip()


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def _languages(path: Path, table) -> dict[str, dict[str, list[str]]]:
    """[languages.xx] tables: replies in that language for a question and for anything else."""
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path}: write replies in another language as [languages.es] with question = [...] and other = [...]."
        )
    found: dict[str, dict[str, list[str]]] = {}
    for code, sections in table.items():
        if not _LANGUAGE_CODE.match(str(code)) or not isinstance(sections, dict):
            raise ConfigError(f"{path}: [languages.{code}] must be a two-letter language code, like [languages.es].")
        found[str(code)] = {
            s: _checked(path, f"[languages.{code}]", s, sections.get(s)) for s in (Intent.QUESTION, Intent.OTHER)
        }
    return found


def _checked(path: Path, table: str, name: str, entries) -> list[str]:
    """One list of replies from the templates file, or a ConfigError naming what to fix."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        raise ConfigError(f"{path}: {table} needs '{name}' as a list of at least one reply.")
    for entry in entries:
        unknown = placeholders(entry) - PLACEHOLDERS
        if unknown:
            raise ConfigError(
                f'{path}: the reply "{entry[:60]}" uses {{{sorted(unknown)[0]}}}; '
                f"the placeholders are {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}."
            )
    return list(entries)
