"""Frame matcher: the second understanding stage, for sentences no template matched.

Templates say *how* a command is phrased; frames only say *which words matter*. A frame
matcher finds cue words (grammar data: the `frames:` section of a language file, see
grammars/README.md) and accepts a sentence only under strict rules, because the sentence
was never seen in that shape:

* a read-only question (regime, performance, SHAP…) when the cues of exactly one topic are
  present and nothing else competes (no order word, no number, no negation, no chit-chat);
* an order when there is exactly one side, one symbol, one whole number of contracts, every
  number explained, and nothing that changes its meaning (negation, "if", money amounts,
  another asset, a price, "reduce"…); a clear side and symbol without a number is handed to
  the follow-up question (`missing_quantity`);
* a close with one close cue and one symbol or an "all" cue; halt / resume with one cue and
  no negation; confirm / cancel, where any negation makes it a cancel (the safe side).

Anything else is refused. The parser calls it only after the exact and fuzzy stages failed,
and what it accepts goes through the same read-back and confirmation as every command.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.nlu.compiled import NUMBER_KIND, PERCENT_KIND, CompiledLanguage, ScannedValue
from assistant.nlu.normalize import normalize
from assistant.nlu.not_given import NOT_GIVEN_KEYS
from assistant.nlu.order_extras import EXTRAS_KEYS
from assistant.nlu.restate import RESTATE_KEYS
from assistant.nlu.slot_reader import SLOT_KEYS
from assistant.nlu.told import TOLD_KEYS, ToldPast
from assistant.nlu.answer_then import ANSWER_THEN_KEYS, AnswerThen
from assistant.nlu.order_shapes import SHAPE_KEYS
from assistant.nlu.intent_words import INTENT_WORDS_KEYS, foreign_cue, intent_cues
from assistant.nlu.preference import PREFERENCE_KEYS, Preference
from assistant.nlu.trader_price import PRICE_KEYS
from assistant.nlu.request_verbs import REQUEST_KEYS
from assistant.nlu.spoken_marks import SPOKEN_MARK_KEYS
from assistant.nlu.typos import TYPO_KEYS

__all__ = ["ANSWER_OBJECT_KINDS", "FrameError", "FrameMatcher", "FrameOutcome", "FRAME_KEYS", "STATE_INTENTS",
           "SWITCH_QUESTION", "UNCLEAR_ANSWER"]

#: Keys of a `frames:` section (every value a list of cue phrases, except `topics`,
#: `weak_topics` and `sides`: mappings of intent / side value to cue phrases).
FRAME_KEYS = frozenset({
    "topics", "weak_topics", "sides", "contracts", "articles", "close", "all", "halt", "resume", "yes",
    "yes_typed", "no", "cancel", "negations", "conditionals", "questions", "money",
    "other_assets", "modifiers", "order_modifiers", "past", "elsewhen", "others", "chit_chat", "neutral", "unclear",
    "period", "period_topics", "numeric_topics", "pronouns", "risk", "relative", "to_markers", "price_markers", "limit_words",
    "requests", "question_starts", "explain_questions", "mechanism", "states", "opinions",
    "reduce_only", "reduce_only_extras", "autopilot", "autopilot_names", "autopilot_modes", "switch_on", "switch_off",
    "halt_extras", "forecast_days", "forecast_topics", "addressees", "polite", "lead_ins", "change_verbs", "change_auxiliaries", "no_new",
    "market_lookalikes", "market_lookalikes_next", "stress_words", "name_only", "not_state_before", "answer_fillers", "answer_objects",
    "negating_prefixes", "hedges", "greetings", "why_words", "causatives", "quotes",
    "market_opinions", "index_markets", "counted_sides", "negated_mode_glue", "negated_mode_nouns",
    "number_alternatives", "period_nouns", "side_neighbours",
    "others_possessives", "autopilot_only_modes", "side_bound_closes", "mode_asked", "mechanism_tails", "approximate",
    "how_words", "how_quantities", "method_verbs", "mode_moves", "wish_openers", "value_hedges", "quote_nouns",
    "check_tags", "help_requests",
}) | RESTATE_KEYS | SLOT_KEYS | TYPO_KEYS | EXTRAS_KEYS | TOLD_KEYS | NOT_GIVEN_KEYS | PRICE_KEYS | SHAPE_KEYS \
    | ANSWER_THEN_KEYS | INTENT_WORDS_KEYS | PREFERENCE_KEYS | REQUEST_KEYS | SPOKEN_MARK_KEYS



_SYMBOL = "symbol"
#: A year said in digits ("le drawdown de 2025"): another period than the figures MIA reports.
_YEAR = re.compile(r"(?:19|20)\d\d")
#: A story told before a command (`plain_commentary`) whose negation comes within its first words ("don't, …",
#: "pas maintenant, …") may be said of the command.
_STORY_NEGATION = 3
#: Words before a side word that make it a position ("my short"), not an order's side.
_POSSESSIVES = frozenset({"my", "our", "the", "mon", "ma", "mes", "notre", "nos", "le", "la", "ce", "cette"})
#: Plural possessives right before an order's quantity ("sell *my* 3 ES"): contracts already held,
#: so the order is a close or a new one? (flat, it would open a short the trader never meant). A
#: demonstrative points at one already there too ("sell *that* one ES": which one?).
_HELD = frozenset({"my", "our", "mes", "nos", "that", "this", "those", "these", "ce", "cet", "cette", "ces"})
#: Topics a close may name as its object ("close every open position").
_CLOSE_OBJECTS = frozenset({"positions"})
_SIDE = "side"
#: One-letter words ("E S *à* 5 000") and elisions ("M N Q *s*'il te plaît", never last); any other
#: letter right after a spelled market makes the market unclear ("E S P", "E S T").
_WORD_LETTERS = frozenset("aydjlmnstci")

Status = Literal["accept", "missing", "refuse", "none"]

#: Words whose candidate cues are memoised before the memo is emptied.
_CACHE_LIMIT = 20_000
#: Signs that make a sentence's number money ("$5,000"): one C-level pass over the raw text's characters (a
#: generator of four `in` tests cost as much as the rest of `mentions_money`, run on every order understood).
_CURRENCY_SIGNS = frozenset("$€£¥")


class FrameError(ValueError):
    """A malformed `frames:` section (raised when the parser is built)."""


@dataclass(frozen=True, slots=True)
class FrameOutcome:
    status: Status
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    slot_text: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    detail: str | None = None
    missing: tuple[str, ...] = ()
    typed_only: bool = False
    language: str | None = None


_NONE = FrameOutcome("none")


def _refuse(reason: str, detail: str, intent: str | None = None) -> FrameOutcome:
    return FrameOutcome("refuse", intent, reason=reason, detail=detail)


@dataclass(frozen=True, slots=True)
class _Cue:
    words: tuple[str, ...]
    """Normalised words; a word ending in "*" matches any word starting with it."""
    category: str
    plain: bool = False
    """No stem among the words: compared as a whole."""

    def match(self, tokens: Sequence[str], start: int) -> bool:
        if start + len(self.words) > len(tokens):
            return False
        if self.plain:
            return tuple(tokens[start:start + len(self.words)]) == self.words
        for offset, word in enumerate(self.words):
            token = tokens[start + offset]
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif token != word:
                return False
        return True


def _longest(words: Sequence[str]) -> str:
    """The longest of a cue's words (the first of equals): the one a gate looks for."""
    return max(words, key=lambda word: len(word.rstrip("*")))


class _CueTable:
    """Longest-match lookup of cue phrases, indexed by first word (exact) or stem."""

    def __init__(self) -> None:
        self._exact: dict[str, list[_Cue]] = {}
        self._stems: dict[str, list[_Cue]] = {}
        self._stem_lengths: set[int] = set()
        self._seen: set[tuple[tuple[str, ...], str]] = set()
        # Candidate cues per first word, memoised per category order (the parser calls `at`
        # for every word of every sentence the frames read).
        self._cache: dict[int, dict[tuple[str, str | None], tuple[tuple[_Cue, ...], _Cue | None]]] = {}
        # The first words and stems of each category's cues (`may_start`, memoised).
        self._starts: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}

    def add(self, phrase: str, category: str) -> None:
        star = phrase.rstrip().endswith("*")
        words = normalize(phrase.replace("*", " STEMMARK ")).split()
        # normalize() lowers "STEMMARK"; glue it back onto the word it followed.
        joined: list[str] = []
        for word in words:
            if word == "stemmark" and joined:
                joined[-1] += "*"
            else:
                joined.append(word)
        if not joined or (star and not joined[-1].endswith("*")):
            raise FrameError(f"cue '{phrase}' of '{category}' is empty after normalisation")
        key = (tuple(joined), category)
        if key in self._seen:
            return
        self._seen.add(key)
        cue = _Cue(tuple(joined), category, not any(w.endswith("*") for w in joined))
        self._cache.clear()
        self._starts.clear()
        first = joined[0]
        if first.endswith("*"):
            self._stems.setdefault(first[:-1], []).append(cue)
            self._stem_lengths.add(len(first) - 1)
        else:
            self._exact.setdefault(first, []).append(cue)

    def cues(self, category: str) -> list[_Cue]:
        return [cue for cues in list(self._exact.values()) + list(self._stems.values())
                for cue in cues if cue.category == category]

    def may_start(self, tokens: Sequence[str], category: str) -> bool:
        """Some token may begin a cue of `category` (its first word, or a word its first stem
        begins): False rules out `at` returning one of them anywhere in `tokens`."""
        starts = self._starts.get(category)
        if starts is None:
            firsts = [cue.words[0] for cue in self.cues(category)]
            starts = self._starts[category] = (frozenset(w for w in firsts if not w.endswith("*")),
                                               tuple(w[:-1] for w in firsts if w.endswith("*")))
        words, stems = starts
        if not words.isdisjoint(tokens):
            return True
        return bool(stems) and any(token.startswith(stems) for token in tokens)

    def key_words(self, categories: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
        """(words, stems): the longest word of each cue of `categories` (said whenever the cue is)."""
        wanted = set(categories)
        keys = [_longest(cue.words) for cues in list(self._exact.values()) + list(self._stems.values())
                for cue in cues if cue.category.split(":")[0] in wanted]
        return (frozenset(k for k in keys if not k.endswith("*")), frozenset(k[:-1] for k in keys if k.endswith("*")))

    def words(self) -> set[str]:
        """Whole words (not stems) of the cues: one-word cues, and words of three letters or
        more of longer ones (the "re" of "re enable" is no word on its own)."""
        out: set[str] = set()
        for cues in list(self._exact.values()) + list(self._stems.values()):
            for cue in cues:
                out.update(w for w in cue.words if not w.endswith("*")
                           and (len(cue.words) == 1 or len(w) >= 3))
        return out

    def _candidates(self, token: str, order: Mapping[str, int]) -> tuple[_Cue, ...]:
        """Cues that may start at `token`, best first (longest, then by category order)."""
        candidates = list(self._exact.get(token, ()))
        for size in self._stem_lengths:
            if len(token) >= size:
                candidates.extend(self._stems.get(token[:size], ()))
        # A stable sort: among equals, the first found wins (as the cue lists are written).
        candidates.sort(key=lambda cue: (-len(cue.words), order.get(cue.category.split(":")[0], 99)))
        return tuple(candidates)

    def at(self, tokens: Sequence[str], start: int, order: Mapping[str, int]) -> _Cue | None:
        token = tokens[start]
        following = tokens[start + 1] if start + 1 < len(tokens) else None
        cache = self._cache.get(id(order))
        if cache is None:
            cache = self._cache[id(order)] = {}
        key = (token, following)
        entry = cache.get(key)
        if entry is None:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()  # typed text may hold any word: keep the memo bounded
            # Only the cues whose second word fits the next word ("hold off *on*") are tried.
            candidates = [
                cue for cue in self._candidates(token, order)
                if len(cue.words) == 1 or (following is not None and (
                    following == cue.words[1] or (cue.words[1].endswith("*")
                                                  and following.startswith(cue.words[1][:-1]))))]
            # A cue of one or two words kept here matches for sure (its first word is the token
            # or its stem, its second was just checked): the first one ends the list, and only
            # the longer cues before it are matched word by word.
            longer: list[_Cue] = []
            sure: _Cue | None = None
            for cue in candidates:
                if len(cue.words) <= 2:
                    sure = cue
                    break
                longer.append(cue)
            entry = cache[key] = (tuple(longer), sure)
        for cue in entry[0]:
            if cue.match(tokens, start):
                return cue
        return entry[1]


# When two cues of the same length start at the same word, the category listed first wins
# (a cancel word over a plain negation, a topic over chit-chat).
_PRIORITY = {name: rank for rank, name in enumerate((
    "hedges", "neutral", "reduce_only", "reduce_only_extras", "halt_extras", "autopilot", "autopilot_names", "mode", "switch_off",
    "switch_on",
    "unclear", "no", "cancel", "yes_typed", "yes", "halt", "resume", "close", "all", "topic", "weak",
    "side", "contracts", "price_markers", "limit_words", "risk", "relative", "to_markers", "money", "other_assets",
    "modifiers", "order_modifiers", "conditionals", "questions", "past", "elsewhen", "period", "pronouns", "others",
    "chit_chat",
    "articles", "negations",
))}


#: Cue categories of the answer `FrameMatcher.after_answer` reads before a join.
_ANSWER_CUES = ("yes", "yes_typed", "no")
#: The cues a run of opening answers is made of (`FrameMatcher.opening_answers`).
_OPENING_CUES = (*_ANSWER_CUES, "neutral")
#: Cue categories an answer is made of (see `FrameMatcher._answer_words`).
#: Words of a `no` cue that negate the verb said right before it ("annule *surtout pas*": spoken French drops "ne").
_VERB_NEGATIONS = frozenset({"pas", "jamais"})
_ANSWER_PARTS = frozenset({"yes", "yes_typed", "no", "cancel", "unclear", "negations"})
#: What an answer may name as its object (`answer_objects`): the read-back kinds of the
#: dialogue ("" or `any`: whatever is read back).
ANSWER_OBJECT_KINDS = frozenset({"", "any", "order", "close", "halt", "reduce_only", "autopilot_mode"})
#: The refusal of an answer that is not a clean yes or no: the dialogue asks again.
UNCLEAR_ANSWER = "unclear_answer"
#: Refusal reason of an order on contracts already held ("vends mes 3 ES"): the dialogue says how
#: to close them or to place a new order, instead of a generic "not understood".
HELD_CONTRACTS = "held_contracts"

#: Cue categories of a switch's own phrases (see `_Analysis.opens_with_switch`).
_SWITCH_PHRASES = frozenset({"reduce_only", "reduce_only_extras", "mode", "halt", "resume"})

#: Cue categories of a command's words (see `FrameMatcher.command_end`).
_COMMAND_CATEGORIES = ("close", "halt", "resume", "risk", "autopilot", "reduce_only", "mode", "switch_on", "switch_off")

#: Cue categories of an action or an answer (see `FrameMatcher.says_something`).
_ACTION_CATEGORIES = ("close", "all", "halt", "resume", "yes", "yes_typed", "no", "cancel", "risk", "autopilot",
                      "reduce_only", "mode", "switch_on", "switch_off")

#: Intents whose keywords mark a sentence as a mode switch (see `_Analysis.switch_words`), and
#: their keywords too common to mark anything ("only", "seulement").
SWITCH_INTENTS = ("autopilot_mode", "reduce_only")
#: Intents that flip a switch: an approximate match of one asked as a question is vetoed unless
#: the question is a request (the frames' `requests` words).
FLIP_INTENTS = frozenset({"autopilot_mode", "halt", "resume", "reduce_only"})
GENERIC_SWITCH_WORDS = frozenset({"only", "seulement", "uniquement", "off"})
#: The fuzzy veto of a switch asked about; the parser then lets the frames answer with its state.
SWITCH_QUESTION = "a question about a switch, not a request"
#: Approximate matches opened by a question word ("is", "what", "quel") that are a question, not a setting: the
#: switches, and the risk ("quel risque à 0,5 %", "what risk at 0.5%" set the risk to 0.5 %, session 14).
_ASKED_WHEN_OPENED_SO = frozenset(SWITCH_INTENTS) | {"set_risk"}
#: What a switch asked about may be answered with (read-only).
STATE_INTENTS = frozenset({"status", "autopilot_status"})
#: Cue categories of the questions about a switch's state (`vetoes`).
_STATE_TOPICS = frozenset(f"topic:{intent}" for intent in STATE_INTENTS)


def _punctuated(raw: str, first: str, second: str) -> bool:
    """True when the raw text says `first` then `second` with a punctuation mark between them ("l'ES, tu")."""
    return re.search(rf"(?i)(?<![\w]){re.escape(first)}\s*[,;:.!?…]+\s*{re.escape(second)}(?![\w])", raw) is not None


#: One word, then a punctuation mark that cuts it off ("ne, …", "not! …").
_FIRST_WORD_CUT = re.compile(r"^\s*\w+\s*[,;!:…]")


@dataclass(slots=True)
class _Analysis:
    categories: dict[str, int] = field(default_factory=dict)
    topics: set[str] = field(default_factory=set)
    weak_topics: set[str] = field(default_factory=set)
    """Topics said with a generic word ("portefeuille", "book"): only when no other topic is."""
    sides: list[tuple[str, str]] = field(default_factory=list)
    symbols: list[tuple[str, str]] = field(default_factory=list)
    numbers: list[tuple[ScannedValue, int]] = field(default_factory=list)
    percents: int = 0
    stray_numbers: int = 0
    question_mark: bool = False
    first_word_cut: bool = False
    """The sentence opens with one word cut off by punctuation ("ne, yes please"): Korean "ne" is a yes; a
    negation says nothing alone, so the answer after it is doubt, not its negation."""
    unknown_words: int = 0
    """Words no grammar and no cue knows ("envoie un *mail* à *Jean*")."""
    stray_letters: int = 0
    """Known lone letters no cue or value explains ("buy 2 ES *q*": known from a spelled name, "q r d q n"):
    maybe a misheard or mistyped word, never passed over in an order or a close."""
    unknown_after_slot: int = 0
    """Of those, the ones after the first side, number or market ("buy 2 ES *twice*"). A command
    holds none: "*avoid* buying 2 ES", "*schedule* buy 2 ES", "*évite* de mettre le risque à 1 %"
    are no orders; the slang ways into one ("balance", "slam", "pose une vente") are cue words
    (`neutral`)."""
    cue_categories: list[str] = field(default_factory=list)
    """Every cue's category as said ("side:BUY", "weak:positions"): checked per command intent (`_foreign`)."""
    unknown_after_topic: int = 0
    """Unknown words after a topic cue: "show my positions *in the garden*" is not a question
    MIA can answer, while the way into one may be new ("identifie le régime")."""
    unclear_side: bool = False
    """A side word next to a word no grammar knows ("vend re"): maybe a misheard word."""
    prices: list[tuple[ScannedValue, int]] = field(default_factory=list)
    """Numbers said right after a price marker ("at 5012.25", "limite 5 948,75"), with their
    start token; only an order after its market reads them as a price."""
    percent_items: list[tuple[ScannedValue, int]] = field(default_factory=list)
    """Percentages with their start token (a risk percentage when a risk cue is said)."""
    symbol_at: int = -1
    """Token index of the first market said (-1: none)."""
    currency: bool = False
    """A currency sign ("$5,000"): always money."""
    absolute_percent: bool = False
    """A percentage said right after "to" / "à" ("lower the risk *to* 0.5 %")."""
    side_nouns: int = 0
    """Side words said as a position ("my ES *short*", "mon *long*"): with a close cue, the
    position to close, not a side."""
    last_answer_at: int = -1
    last_answer_end: int = -1
    """Token index right after the last answer cue ("annule | pas")."""
    last_unclear_at: int = -1
    last_answer: str = ""
    """Category of the last answer cue (yes, yes_typed, no, cancel): "wait, no, cancel"."""
    no_after_yes: bool = False
    """A `no` cue said after the last yes ("oui... *non* non annule"), not "oui annule"."""
    switch_words: int = 0
    """Words of the mode switches the frames do not read (autopilot, reduce-only): a sentence
    about them is never an answer, a halt, a resume or a close ("go full auto on the autopilot"
    is not a yes, "coupe l'autopilote" is not a close)."""

    modes: set[str] = field(default_factory=set)
    """Autopilot modes named by `autopilot_modes` cues ("full auto", "suggestions")."""
    mode_cues: list[tuple[int, str]] = field(default_factory=list)
    """Those cues with their start token."""
    negation_ends: list[int] = field(default_factory=list)
    """Token index right after each negation cue ("not", "pas")."""
    no_ends: list[int] = field(default_factory=list)
    """Token index right after each `no` cue: "no automatic execution" negates the mode after it."""
    halt_lengths: list[int] = field(default_factory=list)
    """Word counts of the halt cues said: a one-word verb ("arrête", "stop") may switch the
    autopilot off; "arrête de trader" says more."""
    tokens: tuple[str, ...] = ()
    unclear_symbol: bool = False
    days: list[tuple[str, ...]] = field(default_factory=list)
    """The `elsewhen` cues said ("hier", "tomorrow")."""
    opens_with_switch: bool = False
    """The sentence opens on a switch's own phrase ("que des sorties…", "plus de nouvelles
    positions"): its first word is then no question word ("que", "quel")."""
    other_asset_phrases: list[tuple[str, ...]] = field(default_factory=list)
    """The `other_assets` cues said ("nasdaq", "gold"): an index MIA trades through one market
    (`index_markets`) may name it in a question or a close."""
    halt_phrases: list[tuple[str, ...]] = field(default_factory=list)
    """The halt cues said: "no new positions" is also the half of a reduce-only request (`no_new`)."""
    """A spelled market followed by one more letter ("E S P"): maybe another name misheard."""

    def has(self, *names: str) -> bool:
        categories = self.categories  # counts, never 0
        for name in names:
            if name in categories:
                return True
        return False


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise FrameError(f"{where}: expected a list of phrases")


class FrameMatcher:
    """Frame matcher over every loaded language: cue lexicons of all languages are merged
    (traders mix "le pnl daily"), slot values and numbers are read per language."""

    def __init__(self, languages: Mapping[str, CompiledLanguage],
                 frames: Mapping[str, Mapping[str, Any]],
                 symbol_intents: Iterable[str] = ()) -> None:
        self._languages = dict(languages)
        #: Discourse phrases of the templates' `lead_words` ("no worries", "no problem"): whatever cue opens them, they
        #: carry no answer ("ok no worries, buy 2 ES" is no yes and no; `opening_answers`).
        self._lead_phrases = frozenset(
            lead for comp in languages.values() for phrase in comp.grammar.lead_words
            if len(lead := tuple(normalize(phrase).split())) > 1)
        self._table = _CueTable()
        self._topic_intents: set[str] = set()
        self._symbol_intents = frozenset(symbol_intents)
        self._number_words: set[str] = set()
        self._article_words: set[str] = set()
        #: Each language's own articles ("a", "an"; "un", "une"): French "à" is typed "a" (`_article_before_market`).
        self._articles_by_language: dict[str, set[str]] = {}
        #: "ou", "or": between two numbers, an alternative ("un ou deux %"): the first is no article.
        self._alternatives: set[str] = set()
        self._period_topics: dict[str, str] = {}
        self._side_languages: dict[str, set[str]] = {}  # side phrase -> languages that say it
        self._numeric_topics: set[str] = set()
        self._request_words: set[str] = set()
        self._question_starts: set[str] = set()
        self._stress_words: set[str] = set()
        self._explain_questions: set[str] = set()
        self._why_words: set[str] = set()
        self._period_nouns: set[str] = set()
        self._mechanism: set[str] = set()
        #: Words that may end an explanation asked after its verb ("what are the quantiles for, anyway"):
        #: `mechanism_tails` (session 16).
        self._mechanism_tails: set[str] = set()
        #: Words before a market that make it someone else's ("ferme *son* MNQ"): `others_possessives`.
        self._others_possessives: set[str] = set()
        self._state_words: set[str] = set()
        self._opinion_words: set[str] = set()
        #: Words between a negation and the autopilot mode it negates ("pas *en* auto", "not *trade*
        #: on its own"): `negated_mode_glue`.
        self._negated_mode_glue: set[str] = set()
        #: Nouns after a mode that make a `no` before it a negation ("no automatic *execution*").
        self._negated_mode_nouns: set[str] = set()
        self._addressees: set[str] = set()
        self._polite: set[str] = set()
        #: Words that say nothing next to a name ("l'autopilote", "the autopilot"): `name_only`.
        self._name_only: set[str] = set()
        #: Words before a state word that make it no state of a switch ("c'est", "let's", "it's"):
        #: `not_state_before`.
        self._not_state_before: set[str] = set()
        #: Phrases an answer may hold besides its answer words (`answer_fillers`, `answer_objects`).
        #: phrase -> the read-back it names ("" for any: a filler, "it", "the order").
        self._answer_words_set: dict[tuple[str, ...], str] = {}
        self._answer_sizes: tuple[int, ...] = ()
        self._forecast_days: set[tuple[str, ...]] = set()
        self._forecast_topics: set[str] = set()
        self._lead_ins: set[tuple[str, ...]] = set()
        #: Openings of a request that start like a question ("have the autopilot…"): `causatives`.
        self._causatives: set[tuple[str, ...]] = set()
        #: A view of the market said before an order ("je pense que ça va monter, achète 2 ES"):
        #: `market_opinions`, no doubt about the order itself.
        self._market_opinions: set[tuple[str, ...]] = set()
        #: `_market_opinions` by first word (built on first use: `_opinion_size`).
        self._opinions_by_first: dict[str, list[tuple[str, ...]]] | None = None
        #: An index said for the one market MIA trades on it ("le nasdaq" -> MNQ): `index_markets`,
        #: phrase -> market. Read in questions and closes only; an order stays refused (NQ or MNQ?).
        self._index_markets: dict[tuple[str, ...], str] = {}
        #: Side cues that are an order's side only before its quantity ("grab 2 ES", not "grab the
        #: pnl"): `counted_sides`.
        self._counted_sides: set[tuple[str, ...]] = set()
        #: The quote sides said as nouns, an article first ("the bid", "l'offre": `quote_nouns`): the verb before
        #: them gives the side ("hit the bid", "lift the offer"); a side cue that opens on the noun itself ("bid
        #: for") gives none there ("whack the bid for two spoos": a verb no list knows, never a buy).
        self._quote_nouns: set[tuple[str, ...]] = set()
        #: A check said last after a command ("…, compris ?", "…, got it?"): `check_tags` (parser `_checked_command`).
        self._check_tags: set[tuple[str, ...]] = set()
        #: Help asked for something ("help me", "m'aider"): `help_requests` (parser `_help_outside`).
        self._help_requests: set[tuple[str, ...]] = set()
        #: The side of each `sides` cue ("offload" -> SELL): a counted side that is also a close cue ("offload
        #: my ES") or a harmless word ("pick up") is its side before a quantity (`_counted_side_cue`).
        self._side_of: dict[tuple[str, ...], str] = {}
        #: Mode cues only the autopilot has ("go full auto", "let it run by itself"): said as a request, they
        #: name it (`autopilot_only_modes`, `_names_autopilot`).
        self._autopilot_only_modes: set[tuple[str, ...]] = set()
        #: Close words that say the side of the position they close ("buy back", "rachète": a short): a close only
        #: with that position's side named (`side_bound_close`).
        self._side_bound_closes: set[tuple[str, ...]] = set()
        #: Words that make the autopilot mode verb after them a thing asked ("dis-moi ce que l'autopilote
        #: propose", "tell me what the bot proposes"): its status, never a switch (`mode_asked`, session 16).
        self._mode_asked: set[tuple[str, ...]] = set()
        #: A wish said as a subjunctive clause ("que l'autopilote me propose les trades"): a request, not the
        #: question "que" opens elsewhere ("que propose l'autopilote"); `wish_openers`, session 16.
        self._wish_openers: set[tuple[str, ...]] = set()
        self._side_neighbours: set[str] = set()
        #: Words known without being cues: one-word greetings ("bonjour MIA, pourriez-vous acheter un
        #: ES") and the chat abbreviations of a side ("b", "vd": `chat_sides`, read by order_extras).
        self._plain_known: set[str] = set()
        self._change_verbs: set[str] = set()
        #: A value said approximately ("about 1%", "environ 1 %"): `approximate` phrases, refused in a risk setting
        #: (an order already refuses them as `order_modifiers`; session 16, helper nlu34).
        self._approximate: set[tuple[str, ...]] = set()
        #: Round 33a: fillers that, said right before an order's number, make it approximate ("achète *genre* 2 ES":
        #: about two?); elsewhere they stay `neutral` ("genre, vends 2 micros").
        self._value_hedges: set[str] = set()
        #: Round 31c: how a figure is made asked ("how does the ensemble *choose* its weights", "comment le modèle
        #: *calcule* la CVaR"): a `how_words` word, then a `method_verbs` word (a stem when it ends with "*").
        self._how_words: set[str] = set()
        self._how_quantities: set[str] = set()  # "how *much* did I make": a figure, never a method
        self._method_verbs: set[str] = set()
        self._method_stems: tuple[str, ...] = ()
        #: Round 31c: verbs that move the account to another mode ("passe sur le compte réel", "switch me to live"):
        #: with the status topic in a statement, a switch MIA does not have (`mode_moves`).
        self._mode_moves: set[tuple[str, ...]] = set()
        #: Chat abbreviations of a side ("b", "s": `chat_sides`, read by order_extras.py): no stray letter.
        self._chat_words: set[str] = set()
        #: One-word joins of two commands (`order_joins`, also read by order_extras.py).
        self._joins: set[str] = set()
        self._change_auxiliaries: set[tuple[str, ...]] = set()
        self._no_new: set[tuple[str, ...]] = set()
        self._market_lookalikes: dict[str, set[tuple[str, ...]]] = {}
        #: A market name that is a word before these words ("es-tu long ?": the verb, not the ES).
        self._market_lookalikes_next: dict[str, set[str]] = {}
        #: A command told in the past tense ("I resumed trading", "j'ai levé la pause"): assistant/nlu/told.py.
        self._told = ToldPast()
        #: A yes or a no joined to a command ("non et ferme tout"): assistant/nlu/answer_then.py.
        self._answer_then = AnswerThen()
        #: A protective switch said as a preference ("the autopilot should only propose"): assistant/nlu/preference.py.
        self._preference = Preference()
        #: The last analysis per language: code -> (spaced, raw, analysis) (see `analysis`).
        self._last: dict[str, tuple[str, str, _Analysis]] = {}
        #: (side and market words, words of a command's cues, their stems as a tuple): `command_end`.
        self._command_gate: tuple[frozenset[str], frozenset[str], tuple[str, ...]] | None = None
        self._switch_words = frozenset(
            word for comp in self._languages.values()
            for intent in SWITCH_INTENTS for word in comp.keywords.get(intent, ())
        ) - GENERIC_SWITCH_WORDS
        for code, section in frames.items():
            unknown = set(section) - FRAME_KEYS
            if unknown:
                raise FrameError(f"frames ({code}): unknown key(s) {', '.join(sorted(unknown))} "
                                 f"(expected: {', '.join(sorted(FRAME_KEYS))})")
            for key, value in section.items():
                if key == "order_joins":
                    self._joins.update(w for w in (normalize(p) for p in _strings(value, f"frames ({code}) {key}"))
                                       if w and " " not in w)
                if key in ANSWER_THEN_KEYS:
                    self._answer_then.add(key, _strings(value, f"frames ({code}) {key}"))
                    continue
                if key in PREFERENCE_KEYS:
                    self._preference.add(key, _strings(value, f"frames ({code}) {key}"))
                    continue
                if key == "chat_sides" and isinstance(value, dict):
                    # "b 2 es short": order_extras reads the abbreviation against the side; known here
                    for shorts in value.values():
                        self._plain_known.update(normalize(w) for w in _strings(shorts, f"frames ({code}) {key}"))
                        self._chat_words.update(normalize(w) for w in _strings(shorts, f"frames ({code}) {key}"))
                if key in RESTATE_KEYS or key in SLOT_KEYS or key in TYPO_KEYS or key in EXTRAS_KEYS \
                        or key in NOT_GIVEN_KEYS or key in PRICE_KEYS or key in SHAPE_KEYS or key == "negating_prefixes" \
                        or key in INTENT_WORDS_KEYS or key in REQUEST_KEYS or key in SPOKEN_MARK_KEYS:
                    continue  # read by restate.py, slot_reader.py, typos.py, order_extras.py, not_given.py,
                    # trader_price.py, order_shapes.py, request_verbs.py, spoken_marks.py
                if key in TOLD_KEYS:
                    self._told.add(code, key, _strings(value, f"frames ({code}) {key}"))
                    continue
                if key in ("topics", "weak_topics"):
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) {key}: expected intent: [cues]")
                    kind = "topic" if key == "topics" else "weak"
                    for intent, cues in value.items():
                        self._topic_intents.add(intent)
                        for cue in _strings(cues, f"frames ({code}) {key}.{intent}"):
                            self._table.add(cue, f"{kind}:{intent}")
                elif key == "period_topics":
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) period_topics: expected intent: intent")
                    for intent, target in value.items():
                        names = _strings(target, f"frames ({code}) period_topics.{intent}")
                        if len(names) != 1:
                            raise FrameError(f"frames ({code}) period_topics.{intent}: expected one intent")
                        self._period_topics[intent] = names[0]
                elif key == "forecast_days":
                    self._forecast_days.update(tuple(normalize(w).split()) for w in _strings(value, f"frames ({code}) {key}"))
                elif key in ("answer_fillers", "answer_objects"):
                    # answer_objects: a list (any read-back) or read-back kind: [phrases]
                    groups = value.items() if isinstance(value, dict) else [("", value)]
                    if key == "answer_fillers" and isinstance(value, dict):
                        raise FrameError(f"frames ({code}) answer_fillers: expected a list of phrases")
                    for action, phrases in groups:
                        if action not in ANSWER_OBJECT_KINDS:
                            raise FrameError(f"frames ({code}) answer_objects: unknown read-back kind '{action}' "
                                             f"(expected: {', '.join(sorted(k for k in ANSWER_OBJECT_KINDS if k))})")
                        for phrase in _strings(phrases, f"frames ({code}) {key}"):
                            if normalize(phrase):
                                self._answer_words_set[tuple(normalize(phrase).split())] = str(action)
                elif key in ("lead_ins", "no_new", "change_auxiliaries", "causatives", "market_opinions", "counted_sides",
                             "autopilot_only_modes", "side_bound_closes", "mode_asked", "wish_openers", "quote_nouns",
                             "check_tags", "help_requests"):
                    # Phrases compared as whole token runs, not cues of the analysis.
                    into = {"lead_ins": self._lead_ins, "no_new": self._no_new,
                            "change_auxiliaries": self._change_auxiliaries, "causatives": self._causatives,
                    "market_opinions": self._market_opinions, "counted_sides": self._counted_sides,
                            "autopilot_only_modes": self._autopilot_only_modes,
                            "side_bound_closes": self._side_bound_closes, "mode_asked": self._mode_asked,
                            "wish_openers": self._wish_openers, "quote_nouns": self._quote_nouns,
                            "check_tags": self._check_tags, "help_requests": self._help_requests}[key]
                    into.update(tuple(normalize(w).split()) for w in _strings(value, f"frames ({code}) {key}")
                                if normalize(w))
                elif key == "side_neighbours":
                    # "je buy 1 ES", "un sell de 2 micros": a whole word next to a side word of another language
                    self._side_neighbours.update(normalize(w) for w in _strings(value, f"frames ({code}) {key}"))
                elif key == "number_alternatives":
                    self._alternatives.update(w for w in (normalize(p) for p in _strings(value, f"frames ({code}) {key}"))
                                              if w and " " not in w)
                elif key in ("market_lookalikes", "market_lookalikes_next"):
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) {key}: expected form: [words next to it]")
                    for form, near in value.items():
                        words = [normalize(w) for w in _strings(near, f"frames ({code}) {key}.{form}") if normalize(w)]
                        if key == "market_lookalikes":  # phrases before it ("où en es-tu")
                            self._market_lookalikes.setdefault(normalize(str(form)), set()).update(
                                tuple(w.split()) for w in words)
                        else:
                            self._market_lookalikes_next.setdefault(normalize(str(form)), set()).update(words)
                elif key == "index_markets":
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) index_markets: expected market: [index names]")
                    for market, names in value.items():
                        for name in _strings(names, f"frames ({code}) index_markets.{market}"):
                            self._index_markets[tuple(normalize(name).split())] = str(market)
                elif key == "greetings":
                    # read by the parser too: a sentence of greetings only (`Parser._greeting`)
                    # (one-word greetings only: "re" of "re bonjour" stays a fragment next to a side, "vend re")
                    self._plain_known.update(w for w in (normalize(g) for g in _strings(
                        value, f"frames ({code}) greetings")) if w and " " not in w)
                elif key == "value_hedges":
                    self._value_hedges.update(normalize(w) for w in _strings(value, f"frames ({code}) {key}"))
                elif key == "approximate":
                    self._approximate.update(tuple(normalize(w).split()) for w in _strings(value, f"frames ({code}) {key}"))
                elif key in ("how_words", "how_quantities"):
                    (self._how_words if key == "how_words" else self._how_quantities).update(
                        normalize(w) for w in _strings(value, f"frames ({code}) {key}"))
                elif key == "mode_moves":
                    self._mode_moves.update(tuple(normalize(w).split()) for w in _strings(value, f"frames ({code}) {key}")
                                            if normalize(w))
                elif key == "method_verbs":
                    for word in _strings(value, f"frames ({code}) {key}"):
                        if word.endswith("*"):
                            self._method_stems += (normalize(word[:-1]),)
                        else:
                            self._method_verbs.add(normalize(word))
                elif key == "change_verbs":
                    self._change_verbs.update(normalize(w) for w in _strings(value, f"frames ({code}) {key}"))
                elif key == "forecast_topics":
                    self._forecast_topics.update(_strings(value, f"frames ({code}) {key}"))
                elif key == "numeric_topics":
                    self._numeric_topics.update(_strings(value, f"frames ({code}) numeric_topics"))
                elif key in ("requests", "question_starts", "explain_questions", "mechanism", "states", "opinions",
                             "addressees", "polite", "stress_words", "name_only", "not_state_before", "why_words",
                             "negated_mode_glue", "negated_mode_nouns", "others_possessives", "period_nouns",
                             "mechanism_tails"):
                    # Words looked up one by one, not cues of the analysis.
                    target = {"requests": self._request_words, "question_starts": self._question_starts,
                              "explain_questions": self._explain_questions, "mechanism": self._mechanism,
                              "mechanism_tails": self._mechanism_tails,
                              "why_words": self._why_words,
                              "states": self._state_words, "opinions": self._opinion_words,
                              "addressees": self._addressees, "polite": self._polite,
                              "stress_words": self._stress_words, "name_only": self._name_only,
                              "not_state_before": self._not_state_before,
                              "negated_mode_glue": self._negated_mode_glue,
                              "negated_mode_nouns": self._negated_mode_nouns,
                              "others_possessives": self._others_possessives,
                              "period_nouns": self._period_nouns}[key]
                    for word in _strings(value, f"frames ({code}) {key}"):
                        target.update(normalize(word).split())
                elif key == "autopilot_modes":
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) autopilot_modes: expected mode: [cues]")
                    for mode, cues in value.items():
                        for cue in _strings(cues, f"frames ({code}) autopilot_modes.{mode}"):
                            self._table.add(cue, f"mode:{mode}")
                elif key == "sides":
                    if not isinstance(value, dict):
                        raise FrameError(f"frames ({code}) sides: expected BUY/SELL: [cues]")
                    for side, cues in value.items():
                        for cue in _strings(cues, f"frames ({code}) sides.{side}"):
                            self._table.add(cue, f"side:{side}")
                            self._side_of[tuple(normalize(cue).split())] = str(side)
                            self._side_languages.setdefault(normalize(cue), set()).add(code)
                else:
                    for cue in _strings(value, f"frames ({code}) {key}"):
                        self._table.add(cue, key)
                        if key == "articles":
                            self._article_words.update(normalize(cue).split())
                            self._articles_by_language.setdefault(code, set()).update(normalize(cue).split())
        for comp in self._languages.values():
            for form, side in comp.text_values.get(_SIDE, {}).items():
                self._table.add(form, f"side:{side}")
                self._side_languages.setdefault(normalize(form), set()).add(comp.code)
            # As phrases: "can't" is the cue "can t", never "can" or "t" alone ("t'as le P&L ?").
            for neg in comp.grammar.negations:
                if normalize(neg):
                    self._table.add(neg, "negations")
            self._number_words.update(w for w in comp.numbers.words
                                      if comp.numbers.parse(w) is not None)
            # ("hundred", "thousand" said outside a number: what is left of one misheard, never passed over)
            self._number_words.update(comp.numbers.multipliers())
        self._number_words -= self._article_words
        self._answer_sizes = tuple(sorted({len(p) for p in self._answer_words_set}, reverse=True))
        money = self._table.cues("money")
        firsts = sorted({c.words[0] for c in money if not c.words[0].endswith("*")}, key=len, reverse=True)
        stems = sorted({c.words[0][:-1] for c in money if c.words[0].endswith("*")}, key=len, reverse=True)
        # One C-level scan for the first word of any money cue, or "5k": most sentences hold
        # none, and this runs on every matched order, templates included.
        alternatives = [r"\d+(?:\.\d+)?k(?= |$)"]
        if firsts:
            alternatives.append("(?:" + "|".join(re.escape(w) for w in firsts) + ")(?= |$)")
        if stems:
            alternatives.append("(?:" + "|".join(re.escape(w) for w in stems) + ")")
        self._money_re = re.compile(r"(?:^| )(?:" + "|".join(alternatives) + ")")
        common = set(self._number_words) | self._article_words | self._table.words() | self._plain_known
        known = set(common)
        for comp in self._languages.values():
            known |= comp.vocabulary
            # A skip word of another language is a known word ("mode reduce only stp" read as English).
            for word in comp.grammar.skip_words:
                known.update(normalize(word).split())
        self._known = frozenset(known)
        # Next to a side word, only the sentence's own language counts: "re" is English ("we're")
        # but in "vend re" it is a fragment of a misheard "vendre".
        self._known_by_language = {code: common | comp.vocabulary for code, comp in self._languages.items()}
        #: The union of `_known_by_language` over a side word's languages when the sentence's is not one of them
        #: (`_known_of`): a union of whole vocabularies (~0.1 ms), made once per set of languages (a few at most).
        self._known_by_owners: dict[frozenset[str], frozenset[str]] = {}
        #: intent -> the cue categories its command frame may hold (`command_cues`)
        self._intent_cues = intent_cues(frames)
        self._topics_frozen = frozenset(self._topic_intents)
        #: (a gate of `moves_mode`: a run can only start at its first word)
        self._mode_move_firsts = frozenset(run[0] for run in self._mode_moves)
        #: (a gate of `after_answer`: the first words and stems of the answer cues, see `_CueTable.may_start`)
        firsts = [cue.words[0] for category in _ANSWER_CUES for cue in self._table.cues(category)]
        self._answer_firsts = frozenset(w for w in firsts if not w.endswith("*"))
        self._answer_stems = tuple(w[:-1] for w in firsts if w.endswith("*"))
        #: (a gate of `opening_answers`: the same for the cues its run may hold, `neutral` too; a first word that
        #: begins none of them gets another cue or none from `_CueTable.at`, which ends the run before it starts)
        firsts = [cue.words[0] for category in _OPENING_CUES for cue in self._table.cues(category)]
        self._opening_firsts = frozenset(w for w in firsts if not w.endswith("*"))
        self._opening_stems = tuple(w[:-1] for w in firsts if w.endswith("*"))
        for intent in self._topic_intents | set(self._period_topics.values()) | self._numeric_topics:
            for comp in self._languages.values():
                if intent not in comp.grammar.intents:
                    raise FrameError(f"frames: topic '{intent}' is not an intent of language '{comp.code}'")

    def help_asked_end(self, tokens: Sequence[str]) -> int | None:
        """Where the first `help_requests` phrase said ends ("tu peux m aider | a faire…"), or None."""
        for i in range(len(tokens)):
            size = max((len(p) for p in self._help_requests if tuple(tokens[i:i + len(p)]) == p), default=0)
            if size:
                return i + size
        return None

    def check_tag_size(self, tokens: Sequence[str]) -> int:
        """Words of the longest `check_tags` phrase the sentence ends with ("compris", "got it"), or 0."""
        return max((len(p) for p in self._check_tags if len(p) < len(tokens) and tuple(tokens[-len(p):]) == p),
                   default=0)

    @property
    def known_words(self) -> frozenset[str]:
        """Every word a grammar, a cue or a skip list of any language knows."""
        return self._known

    @property
    def topic_intents(self) -> frozenset[str]:
        """Read-only intents the frames answer (their `topics`)."""
        return self._topics_frozen

    def mentions_money(self, raw: str, normalized: str) -> bool:
        """True when the sentence states an amount of money ("$5,000", "5000 dollars", "5k"):
        whatever matched it, such a number is never a number of contracts."""
        if not _CURRENCY_SIGNS.isdisjoint(raw):
            return True
        if self._money_re.search(normalized) is None:
            return False
        tokens = normalized.split()
        for i, token in enumerate(tokens):
            if token[0].isdigit():
                if token[-1] == "k" and token[:-1].replace(".", "").isdigit():
                    return True
                continue
            cue = self._table.at(tokens, i, _PRIORITY)
            if cue is not None and cue.category == "money":
                return True
        return False

    def says_something(self, comp: CompiledLanguage, spaced: str, raw: str) -> bool:
        """The sentence holds something the frames read: a slot value, a topic, or a word of an
        action or answer (the restatement stage's gate: a sentence without any is not worth
        saying again)."""
        a = self.analysis(comp, spaced, raw)
        return bool(a.sides or a.symbols or a.numbers or a.percents or a.prices or a.topics or a.weak_topics
                    or a.switch_words or a.has(*_ACTION_CATEGORIES))

    def opens_question(self, tokens: Sequence[str]) -> bool:
        """The first word is a question's ("what", "where", "comment", "est ce")."""
        return bool(tokens) and (tokens[0] in self._question_starts or tokens[0] in self._explain_questions
                                 or tokens[0] in self._why_words)

    def command_end(self, tokens: Sequence[str]) -> int | None:
        """How many of `tokens` a command said first holds at least: up to its first side, market or command
        cue (a close, a halt, a switch, the risk: by its longest word) and to the last side or market said
        (an aside holds none); None when none is said. The cheap gate (set look-ups, no analysis) of a
        command looked for before an aside said with no mark (parser `_aside`)."""
        if self._command_gate is None:
            # (a market spelled out, "e s", "s and p": by no word of its own; only a pruning)
            values = frozenset(word for comp in self._languages.values() for kind in (_SIDE, _SYMBOL)
                               for text in comp.text_values.get(kind, {}) if text.strip()
                               for word in [_longest(text.split())] if " " not in text or len(word) > 3)
            firsts, stem_set = self._table.key_words(_COMMAND_CATEGORIES)
            # (a tuple of the stems: `str.startswith` tries them all in C; a token starts with a stem exactly when
            # its first len(stem) letters are one)
            self._command_gate = (values, firsts | values | self._switch_words, tuple(sorted(stem_set)))
        values, keys, stems = self._command_gate
        first = next((i + 1 for i, token in enumerate(tokens) if token in keys or token.startswith(stems)), None)
        if first is None:
            return None
        return max(first, max((i + 1 for i, token in enumerate(tokens) if token in values), default=0))

    def vetoes(self, normalized: str, intent: str | None, *, asked: str | None = None,
               language: str | None = None) -> str | None:
        """Why an approximate (fuzzy) match of `intent` must not stand, or None: small talk or a
        definition ("how's it going", "what is a"), an action told of someone else ("il a
        fermé tout"), or a switch asked about rather than requested (`asked`: the whole
        normalized sentence when a "?" was written; "l'autopilote est coupé ?" is close to
        "coupe l'autopilote", "tu peux couper l'autopilote ?" is a request), or an action told in the past
        tense in the matched `language` ("I switched the autopilot to auto")."""
        if asked is not None and intent in FLIP_INTENTS and not self._request_words.intersection(asked.split()):
            return SWITCH_QUESTION
        tokens = normalized.split()
        if intent in _ASKED_WHEN_OPENED_SO and tokens and (tokens[0] in self._question_starts or (
                intent == "set_risk" and asked is not None)) and not self._request_words.intersection(tokens):
            # (session 15: a risk setting approximated from a sentence with a "?" too: "je risque combien par trade ?")
            return SWITCH_QUESTION  # "is reduce-only on right now", "quel risque à 0,5 %": asked without a "?"
        if intent in FLIP_INTENTS and self._describes_state(tokens):
            return SWITCH_QUESTION  # "the autopilot is on auto", "le trading est arrêté": a state told
        if intent == "reduce_only" and any(
                (cue := self._table.at(tokens, i, _PRIORITY)) is not None and cue.category == "switch_off"
                for i in range(len(tokens))):
            return "the reverse of the switch"  # "sors du mode réduction seule" is close to the mode's name
        action = intent not in self._topic_intents
        if action and self._told_past(tokens, language):
            return "told of, not requested"  # "I switched the autopilot to auto" is close to "switch the autopilot…"
        named_only = intent == "autopilot_mode"  # nothing said but the autopilot's name (and politeness)
        i = 0
        while i < len(tokens):
            if action and tokens[i] in self._others_possessives:
                return "said of someone else, not a request"  # "coupe leurs ES" is close to "coupe les ES"
            cue = self._table.at(tokens, i, _PRIORITY)
            if cue is None:
                named_only = named_only and (tokens[i] in self._polite or tokens[i] in self._name_only)
                i += 1
                continue
            if cue.category == "chit_chat":
                return "small talk or a definition, not a request"
            if intent in FLIP_INTENTS and cue.category in _STATE_TOPICS:
                return SWITCH_QUESTION  # "l'autopilote a des propositions pour moi": asked, not switched
            if not action and cue.category == "quotes":
                return "a market price asked: MIA does not report quotes"
            if action and cue.category in ("others", "pronouns"):
                return "said of someone else, not a request"
            if action and cue.category == "past":
                return "told of, not requested"  # "I'm out of MNQ" is close to "get me out of MNQ"
            if action and cue.category in ("conditionals", "unclear") and intent != "cancel":
                # "peut-être acheter deux ES" is close to "acheter deux ES": a doubt or a condition
                # is never approximated away (a doubtful cancel still only cancels)
                return "a request said with doubt or a condition"
            named_only = named_only and cue.category == "autopilot"
            i += len(cue.words)
        if named_only:
            return "the autopilot named, no switch asked"  # "autopilote" alone: the state, or which switch?
        if intent != "help" and self.ends_on_mechanism(tokens):
            return "how something works or what it is for: an explanation, not a request"  # "what's the autopilot for"
        return None

    def _describes_state(self, tokens: Sequence[str]) -> bool:
        """A state told ("the autopilot is on auto", "l'autopilote est coupé"), not asked for: a
        state word not after "c'" / "let" / "it", and no request word ("can you", "peux")."""
        if self._request_words.intersection(tokens) or self._polite.intersection(tokens):
            return False
        return any(word in self._state_words and (i == 0 or tokens[i - 1] not in self._not_state_before)
                   for i, word in enumerate(tokens))

    # ------------------------------------------------------------------ analysis
    def analysis(self, comp: CompiledLanguage, spaced: str, raw: str) -> _Analysis:
        """`_analyse`, reusing the analysis just made of the same sentence in the same language
        (in one parse the frames stage reads it, then the classifier stage). Read-only."""
        last = self._last.get(comp.code)
        if last is not None and last[0] == spaced and last[1] == raw:
            return last[2]
        out = self._analyse(comp, spaced, raw)
        self._last[comp.code] = (spaced, raw, out)
        return out

    def _analyse(self, comp: CompiledLanguage, spaced: str, raw: str) -> _Analysis:
        out = _Analysis()
        tokens: list[str] = []
        values: dict[int, tuple[ScannedValue, int]] = {}  # start token -> (value, length)
        for item in comp.scan_items(spaced):
            if isinstance(item, str):
                tokens.append(item)
            elif item.kind == _SIDE or (item.kind == _SYMBOL and tokens and any(
                    tuple(tokens[-len(before):]) == before for before in self._market_lookalikes.get(item.text, ()))):
                # sides are cues of every language; "tu es", "t'es": a verb, not the market ES
                tokens.extend(item.text.split())
            else:
                size = len(item.text.split())
                values[len(tokens)] = (item, size)
                tokens.extend(item.text.split())
        for start, (item, size) in list(values.items()):
            if item.kind == _SYMBOL and start + size < len(tokens) \
                    and tokens[start + size] in self._market_lookalikes_next.get(item.text, ()) \
                    and not _punctuated(raw, item.text, tokens[start + size]):
                del values[start]  # "es-tu long ?": a verb, not the market ES ("sur l'ES, tu…" names it)
        if not _CURRENCY_SIGNS.isdisjoint(raw):
            out.categories["money"] = 1
            out.currency = True
        out.question_mark = "?" in raw
        out.first_word_cut = _FIRST_WORD_CUT.match(raw) is not None
        out.switch_words = sum(1 for token in tokens if token in self._switch_words)
        i = 0
        n = len(tokens)
        marker_ends: set[int] = set()  # token index right after a price marker ("at", "limite")
        to_ends: set[int] = set()      # token index right after "to" / "à" (an absolute value)
        while i < n:
            if i in values and self._starts_switch_cue(tokens, i, values[i][0]):
                del values[i]  # "un-pause": the prefix of a resume cue, not the article "un"
            if i in values:
                item, size = values[i]
                if item.kind == _SYMBOL:
                    out.symbols.append((comp.text_values[_SYMBOL][item.text], item.text))
                    if i and tokens[i - 1] in self._others_possessives:
                        out.categories["others"] = out.categories.get("others", 0) + 1  # "ferme *son* MNQ"
                    spelled = item.text.split()
                    after = i + size
                    if len(spelled) > 1 and all(len(w) == 1 for w in spelled) and after < n \
                            and after not in values and len(tokens[after]) == 1 and not (
                                tokens[after] in _WORD_LETTERS and (after + 1 < n or tokens[after] in "ay")):
                        out.unclear_symbol = True  # "E S P", "E S T": a spelled market and one more letter
                    if out.symbol_at < 0:
                        out.symbol_at = i
                elif item.kind == NUMBER_KIND:
                    out.numbers.append((item, i + size))
                elif item.kind == PERCENT_KIND:
                    out.percents += 1
                    out.percent_items.append((item, i))
                else:
                    out.categories["value:" + item.kind] = 1
                i += size
                continue
            cue = self._counted_side_cue(tokens, i, values, self._table.at(tokens, i, _PRIORITY))
            if cue is not None and i and cue.category[:5] == "side:" and tuple(tokens[i - 1:i + 1]) in self._quote_nouns:
                # ("whack the bid for 2 ES": the bid is the object of a verb no cue read; no side, and doubt)
                cue = None
                out.unknown_words += 1
            if cue is not None and len(cue.words) > 1 and any(j in values for j in range(i + 1, i + len(cue.words))):
                # A cue may run over an article or a number it says literally ("c'est quoi *un*
                # régime", "entre les *trois* modèles"), never over a market or a side.
                if all(values[j][0].kind == NUMBER_KIND and j + values[j][1] <= i + len(cue.words)
                       for j in range(i + 1, i + len(cue.words)) if j in values):
                    for j in range(i + 1, i + len(cue.words)):
                        values.pop(j, None)
                else:
                    cue = None
            if cue is None:
                token = tokens[i]
                if (not token.isalpha() and any(ch.isdigit() for ch in token)) or token in self._number_words:
                    out.stray_numbers += 1
                elif token not in self._known:
                    out.unknown_words += 1
                    if out.sides or out.symbols or out.numbers or out.percents:
                        out.unknown_after_slot += 1
                    if out.topics or out.weak_topics:
                        out.unknown_after_topic += 1
                elif len(token) == 1 and token.isalpha() and token not in _WORD_LETTERS \
                        and token not in self._addressees and token not in self._chat_words:
                    out.stray_letters += 1
                i += 1
                continue
            kind, _, value = cue.category.partition(":")
            out.categories[kind] = out.categories.get(kind, 0) + 1
            out.cue_categories.append(cue.category)
            if i == 0 and len(cue.words) > 1 and kind in _SWITCH_PHRASES:
                out.opens_with_switch = True
            if kind == "elsewhen":
                out.days.append(cue.words)
            elif kind == "other_assets":
                out.other_asset_phrases.append(tuple(tokens[i:i + len(cue.words)]))
            if kind in ("yes", "yes_typed", "no", "cancel"):
                out.last_answer = kind
                out.last_answer_at = i
                out.last_answer_end = i + len(cue.words)
                if kind == "no":
                    out.no_ends.append(i + len(cue.words))
                    out.no_after_yes = True
                elif kind != "cancel":
                    out.no_after_yes = False
            elif kind == "unclear":
                out.last_unclear_at = i
            elif kind in ("price_markers", "limit_words"):
                marker_ends.add(i + len(cue.words))
            elif kind == "to_markers":
                to_ends.add(i + len(cue.words))
            elif kind == "mode":
                out.modes.add(value)
                out.mode_cues.append((i, value))
            elif kind == "negations":
                out.negation_ends.append(i + len(cue.words))
            elif kind == "halt":
                out.halt_lengths.append(len(cue.words))
                out.halt_phrases.append(tuple(tokens[i:i + len(cue.words)]))
            if kind == "topic":
                out.topics.add(value)
            elif kind == "weak":
                out.weak_topics.add(value)
            elif kind == "side" and tuple(tokens[i:i + len(cue.words)]) in self._counted_sides \
                    and not self._quantity_follows(tokens, values, i + len(cue.words)):
                # "grab the pnl", "lemme get my positions": a verb of getting, an order only when a
                # quantity follows it ("grab 2 ES")
                out.categories["side"] -= 1
                if not out.categories["side"]:
                    del out.categories["side"]
            elif kind == "side":
                out.sides.append((value, " ".join(tokens[i:i + len(cue.words)])))
                before = i - 1
                if before >= 0 and self._in_value(values, before) and before not in values:
                    before = max(start for start in values if start <= before)
                if before >= 0 and before in values and values[before][0].kind == _SYMBOL:
                    before -= 1
                if before >= 0 and tokens[before] in _POSSESSIVES:
                    out.side_nouns += 1
                # Next to a side word, the words of the side word's own language count ("vend
                # re" is a misheard "vendre" even in a sentence that ends in English).
                owners = self._side_languages.get(" ".join(tokens[i:i + len(cue.words)]), {comp.code})
                known = self._known_by_language[comp.code] if comp.code in owners else self._known_of(owners)
                said = "".join(tokens[i:i + len(cue.words)])
                for j in (i - 1, i + len(cue.words)):
                    if 0 <= j < n and tokens[j] not in known and not self._in_value(values, j) \
                            and tokens[j] not in self._side_neighbours and (
                            len(tokens[j]) <= 2 or tokens[j] + said in known or said + tokens[j] in known):
                        out.unclear_side = True
            i += len(cue.words)
        # "buy a or two ES", "buy an ES or two": two quantities offered, the article one of them (whatever cue
        # it was read as)
        out.stray_numbers += sum(1 for i in range(1, n - 1) if tokens[i] in self._alternatives
                                 and i + 1 in values and values[i + 1][0].kind == NUMBER_KIND
                                 and not self._article_words.isdisjoint(tokens[:i]))
        if self._told_past(tokens, comp.code):
            out.categories["past"] = out.categories.get("past", 0) + 1  # "I resumed trading": told of
        # "un achat de deux ES": "un"/"a" before anything but a symbol or "contrats" is an article.
        kept: list[tuple[ScannedValue, int]] = []
        for item, end in out.numbers:
            if item.text in self._article_words:
                nxt = values.get(end)
                follows_contract = end < n and (cue := self._table.at(tokens, end, _PRIORITY)) is not None \
                    and cue.category == "contracts"
                if not (nxt is not None and nxt[0].kind == _SYMBOL) and not follows_contract \
                        and not (end + 1 in values and tokens[end] in self._alternatives):
                    continue  # (before "ou"/"or" and a number: "un ou deux %", two numbers)
            kept.append((item, end))
        # "at 5012.25" after the market: a price. Before the market ("achète 3 à 5 ES") the
        # number stays a number (and two numbers refuse the order).
        out.numbers = []
        for item, end in kept:
            start = end - len(item.text.split())
            if start in marker_ends and 0 <= out.symbol_at < start:
                out.prices.append((item, start))
            else:
                out.numbers.append((item, end))
        out.absolute_percent = any(start in to_ends for _, start in out.percent_items)
        out.tokens = tuple(tokens)
        topics_said = out.topics | out.weak_topics
        if out.days and topics_said and topics_said <= self._forecast_topics \
                and all(d in self._forecast_days for d in out.days):
            del out.categories["elsewhen"]  # "la vol prévue pour demain": a forecast's day, not another day
        return out

    def _known_of(self, owners: AbstractSet[str]) -> frozenset[str]:
        """The words known in any of `owners` (languages; those without a grammar count for nothing), memoised:
        a pure function of the fixed vocabularies, keyed by a subset of the loaded languages (bounded)."""
        key = frozenset(owners)
        known = self._known_by_owners.get(key)
        if known is None:
            known = self._known_by_owners[key] = frozenset().union(
                *(self._known_by_language[c] for c in key if c in self._known_by_language))
        return known

    def _counted_side_cue(self, tokens: Sequence[str], i: int, values: Mapping[int, tuple[ScannedValue, int]],
                          cue: _Cue | None) -> _Cue | None:
        """`cue`, or the side it also is: a `counted_sides` word that another category reads first (a close
        cue "offload", "revends", "largue"; a harmless "pick up") is an order's side right before its quantity
        ("offload 3 micros", "revends 2 ES"; "offload half", "revends mon long" stay closes)."""
        if cue is None or cue.category[:5] == "side:":
            return cue
        said = tuple(tokens[i:i + len(cue.words)])
        if said not in self._counted_sides or (side := self._side_of.get(said)) is None:
            return cue
        return _Cue(said, f"side:{side}", True) if self._quantity_follows(tokens, values, i + len(said)) else cue

    def _quantity_follows(self, tokens: Sequence[str], values: Mapping[int, tuple[ScannedValue, int]], at: int) -> bool:
        """A quantity said at `at`: a number, or an article right before a market ("rebuy *a micro*")."""
        after = values.get(at)
        if after is not None:
            return after[0].kind == NUMBER_KIND
        market = values.get(at + 1)
        return at < len(tokens) and tokens[at] in self._article_words and market is not None and market[0].kind == _SYMBOL

    def side_bound_close(self, tokens: Sequence[str]) -> bool:
        """A `side_bound_closes` phrase said ("buy back my ES") and no side word besides it: buying
        back closes a short, or adds to a long? ("buy back my ES short", "rachète mon short ES" say it)."""
        if not any(p[0] in tokens for p in self._side_bound_closes):
            return False  # (the cheap gate: no phrase's first word, as nearly every sentence)
        found = False
        i = 0
        while i < len(tokens):
            size = next((len(p) for p in self._side_bound_closes if tuple(tokens[i:i + len(p)]) == p), 0)
            if size:
                found, i = True, i + size
                continue
            cue = self._table.at(tokens, i, _PRIORITY)
            if cue is not None and cue.category.startswith("side:"):
                return False
            i += len(cue.words) if cue is not None else 1
        return found

    def is_article(self, word: str) -> bool:
        """`word` is an article ("a", "an", "un"): an order's quantity read from it is one (`_article_before_market`)."""
        return word in self._article_words

    def _article_before_market(self, a: _Analysis, code: str) -> bool:
        """One market said once, an article of the sentence's language ("a", "an") right before it and a side
        word said before that article (round 29a: "buy me an ES", "get me long an ES"; "an ES, buy", "a buy on
        ES" and "vends à ES" are not read so)."""
        at = a.symbol_at - 1
        if at < 1 or len(a.symbols) != 1 or a.tokens[at] not in self._articles_by_language.get(code, ()) \
                or len(a.tokens) > at + 1 + len(a.symbols[0][1].split()):
            # the market said last ("buy an ES call": an option; "a micro real quick" is left to the follow-up)
            return False
        side_words = {w for _, text in a.sides for w in text.split()}
        return any(token in side_words for token in a.tokens[:at])

    def _joins_an_object(self, a: _Analysis) -> bool:
        """A join (`order_joins`) then an article or a possessive after the command's market ("sell one micro *and
        my* car", "close the ES *and the* fridge"): one more thing the command is given, not said of it."""
        tokens = a.tokens
        return a.symbol_at >= 0 and any(
            tokens[i] in self._joins and (tokens[i + 1] in _POSSESSIVES or tokens[i + 1] in self._article_words)
            for i in range(a.symbol_at + 1, len(tokens) - 1))

    def _one_contract(self, a: _Analysis) -> bool:
        """An article right before the market of a close, or one word before it ("close *a* single micro"), no
        position named after it ("close *an* ES", "flatten a micro contract"): one contract, a partial close, not the position ("close an ES position" is the position:
        one net position per market)."""
        at = a.symbol_at - 1
        if at > 0 and a.tokens[at] not in self._article_words and a.tokens[at - 1] in self._article_words \
                and self._table.at(a.tokens, at, _PRIORITY) is None:
            at -= 1  # ("close a single micro": one word no cue reads between the article and the market)
        if at < 0 or a.tokens[at] not in self._article_words or not a.symbols:
            return False
        after = a.symbol_at + len(a.symbols[0][1].split())
        cue = self._table.at(a.tokens, after, _PRIORITY) if after < len(a.tokens) else None
        return not (cue is not None and cue.category in ("topic:positions", "weak:positions"))

    def _told_past(self, tokens: Sequence[str], language: str | None) -> bool:
        """A subject then a verb in the past ("I resumed trading", "on a relancé le trading"), in `language`'s
        own words (French "on a" is no subject in "put on a long"; None: every language's): told."""
        def category_at(i: int) -> str | None:
            cue = self._table.at(tokens, i, _PRIORITY)
            return None if cue is None else cue.category.partition(":")[0]
        return self._told.told(tokens, category_at, language)

    def _starts_switch_cue(self, tokens: Sequence[str], i: int, item: ScannedValue) -> bool:
        """An article word that opens a halt or resume cue of several words ("un pause", "un halt": the
        prefix "un-" typed apart) belongs to the cue, not to the numbers (French reads "un" as one)."""
        if item.kind != NUMBER_KIND or item.text not in self._article_words:
            return False
        cue = self._table.at(tokens, i, _PRIORITY)
        return cue is not None and len(cue.words) > 1 and cue.category in ("halt", "resume")

    @staticmethod
    def _in_value(values: Mapping[int, tuple[ScannedValue, int]], index: int) -> bool:
        return any(start <= index < start + size for start, (_, size) in values.items())

    # ------------------------------------------------------------------ decision
    def match(self, candidates: Sequence[tuple[CompiledLanguage, str]], raw: str, *,
              chosen_first: bool = False) -> FrameOutcome:
        """Outcome over the stripped texts (token + space form) of the languages the sentence
        may be in. `chosen_first`: the words settled the language, which is the first
        candidate: its decision, or when it recognises nothing, the other languages' (cue
        words are shared: "works for me" loses its "for me" to English skip words). Otherwise
        an accept only when every language reads the same command."""
        comp, spaced = candidates[0]
        first = self._decide(comp, self.analysis(comp, spaced, raw), comp.code)
        if len(candidates) == 1 or (first.status != "none" and chosen_first):
            return first  # decided without reading the other languages
        outcomes = [first] + [self._decide(comp, self.analysis(comp, spaced, raw), comp.code)
                              for comp, spaced in candidates[1:]]
        if chosen_first:
            outcomes = [o for o in outcomes if o.status != "none"] or outcomes
        refusals = [o for o in outcomes if o.status == "refuse"]
        if refusals:
            # A language that does not know a word refuses it as unknown ("b 2 es short" read in French);
            # the reason of a language that read every word is the one to give (both sides: ambiguous).
            return next((o for o in refusals if o.reason != "no_match"), refusals[0])
        first = outcomes[0]
        for other in outcomes[1:]:
            if (other.intent, other.slots, other.status) != (first.intent, first.slots, first.status):
                return _refuse("ambiguous_intent", "the languages read the sentence differently",
                               first.intent or other.intent)
        return first

    def _decide(self, comp: CompiledLanguage, a: _Analysis, code: str) -> FrameOutcome:
        out = self._decide_said(comp, a, code)
        if out.status != "accept" and a.sides and self._opens_with_answer(a):
            # "yeah let me get uh fifty-five e-mini long", "ouais alors mets-moi 35 MNQ à la vente": the
            # language's lead words (`lead_words`, as the templates drop them) before an order are no
            # answer; only an order read without them may stand.
            spaced = " ".join(a.tokens) + " "
            lead = comp.lead(spaced)
            if lead:
                marks = ("?" if a.question_mark else "") + ("$" if a.currency else "")
                again = self._decide(comp, self._analyse(comp, spaced[len(lead):], marks), code)
                if again.intent == "place_trade" and (again.status == "accept" or again.missing):
                    return again
        if out.status == "accept" or not a.has("halt", "resume"):
            return out
        # "ok, back in business", "c'est bon, on reprend les affaires", "ok that's enough, stop
        # trading": a lead-in said before a halt or a resume (`lead_ins`) decides nothing; only
        # the halt or resume read without it may stand.
        size = self._lead_in_size(a.tokens)
        if not size or size >= len(a.tokens):
            return out
        marks = ("?" if a.question_mark else "") + ("$" if a.currency else "")
        again = self._decide(comp, self._analyse(comp, " ".join(a.tokens[size:]) + " ", marks), code)
        return again if again.status == "accept" and again.intent in ("halt", "resume") else out

    def _decide_said(self, comp: CompiledLanguage, a: _Analysis, code: str) -> FrameOutcome:
        if a.has("chit_chat") and not (a.topics == {"help"} and not a.weak_topics):
            # "pourriez-vous m'expliquer ce que vous savez faire": explaining MIA is its help
            return _refuse("no_match", "talk about a topic, not a request")
        if self.explains(a):
            return _refuse("no_match", "how something works: an explanation, not a request")
        if a.unclear_symbol:
            return _refuse("ambiguous_symbol", "a spelled market followed by another letter (misheard?)")
        if a.has("elsewhen") or self.names_year(a):
            # "drawdown for 2025": a year is another period than MIA's figures cover
            return _refuse("no_match", "about another day than today")
        if self._names_autopilot(a):
            a = replace(a, categories={**a.categories, "autopilot": 1})
        if a.has("autopilot"):
            out = self._autopilot(a)
            if out.status != "accept":
                out = self._preferred_switch(comp, a) or out
        elif a.has("reduce_only"):
            out = self._reduce_only(a)
            if out.status != "accept":
                out = self._preferred_switch(comp, a) or out
        elif a.switch_words and not a.sides and not (a.topics or a.weak_topics):
            # A word of the mode switches without a cue the frames read ("reduce my ES"): only
            # the templates understand these.
            return _refuse("no_match", "about a mode switch the frames do not read")
        elif a.has("halt") and a.has("switch_on", "switch_off") and not a.sides and self._describes_state(a.tokens):
            out = self._halt_resume(a)  # "le kill switch est désactivé ?": its state asked about
        elif a.has("switch_off", "mode", "reduce_only_extras") or (
                a.has("switch_on") and not a.sides and not a.has("resume", "halt") and not (a.topics or a.weak_topics)):
            # "désactive…", "full auto", "pas ajouter", "allume…" without the switch they belong to.
            return _refuse("no_match", "a switch word the frames cannot place")
        elif a.sides and self._opens_with_answer(a):
            out = self._answer(a)  # "yes, buy them", "oui, confirme l'achat": the side read back
        elif a.sides and a.has("close") and a.side_nouns == len(a.sides):
            out = self._close(a)  # "buy back my ES short", "sell out my MNQ long"
        elif a.sides:
            out = self._order(comp, a)
        elif a.has("risk") and a.percents:
            out = self._set_risk(comp, a)
        elif a.has("close"):
            out = self._close(a)
        elif a.has("halt", "resume"):
            out = self._halt_resume(a)
        elif (a.topics or a.weak_topics) and not a.has("no", "cancel") and (
                a.question_mark or (a.categories.get("yes") == 1 and a.tokens[-1] in self._stress_words)):
            # "tu sers à quoi *exactement* ?", "what are you for exactly": an adverb, not a yes
            out = self._read_only(a)
        elif a.has("yes", "no", "cancel") or (a.has("yes_typed") and not (a.topics or a.weak_topics)):
            out = self._answer(a)
        elif a.topics or a.weak_topics:
            out = self._read_only(a)
        else:
            return _NONE
        if out.status == "none":
            return out
        if out.status == "accept" and out.intent != "halt" and a.has("halt_extras"):
            # "keep my positions", "garde ce que j'ai": what a halt leaves alone, said to anything else (a close,
            # a switch, an answer) is doubt.
            return _refuse("no_match", "the positions said to stay, next to no halt", out.intent)
        return FrameOutcome(out.status, out.intent, out.slots, out.slot_text, out.reason, out.detail,
                            out.missing, out.typed_only, code)

    def ends_on_cancel_verb(self, comp: CompiledLanguage, spaced: str) -> bool:
        """The sentence ends on a no then a cancel verb after its last yes, not negated ("oui...
        non non *annule*"): that undoes the yes ("oui annule" does not: yes to what?)."""
        a = self.analysis(comp, spaced, spaced)
        return a.last_answer == "cancel" and a.no_after_yes and not a.has("negations")

    def opens_with_answer(self, normalized: str) -> bool:
        """The sentence opens with a yes / no word and says more ("oui mais plutôt le MNQ", "yes
        3 MNQ"): said to a read-back, an answer with doubt whatever the rest parses to."""
        tokens = normalized.split()
        if len(tokens) < 2:
            return False
        cue = self._table.at(tokens, 0, _PRIORITY)
        if cue is not None and cue.category == "unclear":
            # "oui mais…", "d'accord mais…": the answer cue inside the doubt's first words
            size = len(cue.words)
            cue = None
            for k in range(size - 1, 0, -1):
                cue = self._table.at(tokens[:k], 0, _PRIORITY)
                if cue is not None and len(cue.words) == k:
                    break
                cue = None
        return cue is not None and cue.category in ("yes", "yes_typed", "no", "cancel") and len(tokens) > len(cue.words)

    def _cue_spans(self, tokens: Sequence[str]) -> Iterator[tuple[int, _Cue]]:
        """The cues said, left to right, each the longest at its place (as the analysis reads them)."""
        i = 0
        while i < len(tokens):
            cue = self._table.at(tokens, i, _PRIORITY)
            if cue is None:
                i += 1
                continue
            yield i, cue
            i += len(cue.words)

    def _assets_in_order(self, tokens: Sequence[str]) -> tuple[bool, bool, list[tuple[str, ...]]]:
        """(a side cue said, a close cue said, the `other_assets` phrases said), as the analysis reads
        the cues: what `index_order` and `other_market` decide on."""
        sided, closed, assets = False, False, []
        for i, cue in self._cue_spans(tokens):
            if cue.category.startswith("side:"):
                sided = True
            elif cue.category == "close":
                closed = True
            elif cue.category == "other_assets":
                assets.append(tuple(tokens[i:i + len(cue.words)]))
        return sided, closed, assets

    def index_order(self, normalized: str) -> str | None:
        """The market of an index named in an order with no market ("achète 2 nasdaq": NQ or the
        micro, MNQ?), else None."""
        tokens = normalized.split()
        if not self._table.may_start(tokens, "other_assets"):
            return None  # (the cheap gate: no asset named, as in most sentences)
        sided, _, assets = self._assets_in_order(tokens)
        markets = [self._index_markets.get(phrase) for phrase in assets]
        if not sided or not markets or None in markets:
            return None
        return markets[-1]

    def other_market(self, comps: Sequence[CompiledLanguage], normalized: str) -> str | None:
        """The market MIA does not trade named in an order or a close ("buy 2 CL", "vends 3 NQ",
        "close my gold") where none of its own is said (the "nq" of "micro nq" is MNQ): its words
        as said, else None. An index MIA trades through one of its markets ("achète 2 nasdaq") is
        `index_order`'s question, not this refusal."""
        tokens = normalized.split()
        if not self._table.may_start(tokens, "other_assets"):
            return None  # (the cheap gate: no asset named, as in most sentences)
        sided, closed, assets = self._assets_in_order(tokens)
        if not (sided or closed) or not assets or any(phrase in self._index_markets for phrase in assets):
            return None
        spaced = normalized + " "  # (scanned last: most refusals name no other asset)
        if any(not isinstance(item, str) and item.kind == _SYMBOL for comp in comps for item in comp.scan_items(spaced)):
            return None
        return " ".join(assets[0])

    def acts_on_all(self, tokens: Sequence[str]) -> str | None:
        """A word no list knows said right before an "all" cue ("zap all my positions", "tu me dégommes toutes les
        positions"): a verb done to every position (a close in words MIA does not know?), never a question about
        them. The word, or None."""
        known = self.known_words
        for i, token in enumerate(tokens[:-1]):
            if not token.isalpha() or token in known:
                continue
            for end in range(i + 2, min(i + 5, len(tokens) + 1)):
                # (the shortest run after the word that says "all", and says it from its first word on)
                if self._says_all(tokens[i + 1:end]):
                    if not self._says_all(tokens[i + 2:end]):
                        return token
                    break
        return None

    def _says_all(self, tokens: Sequence[str]) -> bool:
        words = " ".join(tokens) + " "
        return bool(tokens) and any(self._analyse(comp, comp.strip_skip(words), words).has("all")
                                    for comp in self._languages.values())

    def names_a_market(self, normalized: str) -> bool:
        """A market MIA trades is named in these words ("get rid of my ES bags"): said before a close of
        everything ("…, go flat"), which close was meant, that market's or all?"""
        for comp in self._languages.values():
            for item in comp.scan_items(normalized + " "):
                if not isinstance(item, str) and item.kind == _SYMBOL:
                    return True
        return False

    def names_other_market(self, normalized: str, symbol: object) -> bool:
        """The words said before a command are only a market's name ("CL, buy 2 ES", "ES, sell 2 micros"), another
        than the command's `symbol` (None: a close of everything): which market was meant? A comment about a market
        ("bonds are dumping, short 4 MNQ") says more than a name; an index MIA trades through the command's market
        ("nasdaq, short 2 micros") is that market."""
        tokens = normalized.split()
        named = [False] * len(tokens)
        other = False
        if self._table.may_start(tokens, "other_assets"):
            for i, cue in self._cue_spans(tokens):
                if cue.category == "other_assets":
                    phrase = tuple(tokens[i:i + len(cue.words)])
                    other = other or phrase not in self._index_markets or self._index_markets[phrase] != symbol
                    named[i:i + len(cue.words)] = [True] * len(cue.words)
        for comp in self._languages.values():
            at = 0
            for item in comp.scan_items(normalized + " "):
                size = 1 if isinstance(item, str) else len(item.text.split())
                if not isinstance(item, str) and item.kind == _SYMBOL:
                    other = other or comp.text_values[_SYMBOL][item.text] != symbol
                    named[at:at + size] = [True] * size
                at += size
        return other and all(said or token in self._name_only for token, said in zip(tokens, named))

    def may_hold(self, tokens: Sequence[str], category: str) -> bool:
        """Some word of `tokens` may begin a cue of `category` (a plain category, no "kind:value"): False says no
        analysis of these words, or of any of them (skip words dropped), finds one (`_CueTable.may_start`)."""
        return self._table.may_start(tokens, category)

    def asks_quote(self, normalized: str) -> bool:
        """A market's price is asked (a `quotes` cue: "le cours du micro", "what's ES trading at")."""
        tokens = normalized.split()
        if not self._table.may_start(tokens, "quotes"):
            return False  # (the cheap gate: no word may begin a cue of the quotes)
        return any((cue := self._table.at(tokens, i, _PRIORITY)) is not None and cue.category == "quotes"
                   for i in range(len(tokens)))

    def after_yes(self, normalized: str) -> str | None:
        """The words after the yes-words said first ("ok buy 2 ES là", "ja ja, show me my positions", "och aye,
        flatten me"), or None: out of a read-back, a yes opening a whole command is a filler (session 17 decision;
        the command is read back anyway when it is one). A yes and a no together open no command (`opening_answers`)."""
        tokens = normalized.split()
        kinds, end = self.opening_answers(tokens)
        if kinds != {"yes"} or end >= len(tokens) or self._names_a_read_back(tokens[end:]):
            return None
        return " ".join(tokens[end:])

    def _names_a_read_back(self, rest: Sequence[str]) -> bool:
        """`rest` opens with a kind of read-back named (`answer_objects` of a kind: "l'arrêt", "the close"): "oui,
        confirme *l'arrêt*" confirms something, it asks no halt."""
        return any(self._answer_words_set.get(tuple(rest[:n])) not in (None, "", "any")
                   for n in range(1, min(len(rest), 4) + 1))

    def opening_answers(self, tokens: Sequence[str]) -> tuple[frozenset[str], int]:
        """The answers a sentence opens with ({"yes"}, {"no"}, both) and where they end: a run of yes and no cues
        ("yes no", "yeah nah", "oui non"), with the interjections of `neutral` between them ("och aye")."""
        if not tokens or tokens[0] not in self._opening_firsts and not (
                self._opening_stems and tokens[0].startswith(self._opening_stems)):
            return frozenset(), 0  # (the cheap gate: asked of every command understood, most open on no answer)
        kinds: set[str] = set()
        i = end = 0
        while i < len(tokens) and (cue := self._table.at(tokens, i, _PRIORITY)) is not None:
            if cue.category == "no" and (lead := next((n for n in range(len(tokens) - i, 1, -1)
                                                       if tuple(tokens[i:i + n]) in self._lead_phrases), 0)):
                i += lead  # ("no worries", "no problem": a discourse phrase, said like "ok")
                continue
            if cue.category in ("yes", "yes_typed"):
                kinds.add("yes")
            elif cue.category == "no":
                kinds.add("no")
            elif cue.category != "neutral":
                break
            if cue.category != "neutral" and len(cue.words) > 1:
                # ("yeah nah", "nah yeah": one answer, the last word's; its words still say a yes and a no before a
                # command: "yeah nah, buy 2 ES" is no clean no nor yes)
                kinds.update(self._answer_kind(word) for word in cue.words)
                kinds.discard("")
            i += len(cue.words)
            if cue.category != "neutral":
                end = i
        return frozenset(kinds), end

    def one_answer(self, tokens: Sequence[str]) -> bool:
        """The sentence is one yes or no cue of several words ("yeah nah", "nah yeah"): no yes against a no."""
        cue = self._table.at(tokens, 0, _PRIORITY) if len(tokens) > 1 else None
        return cue is not None and len(cue.words) == len(tokens) and cue.category in ("yes", "yes_typed", "no")

    def _answer_kind(self, word: str) -> str:
        """"yes" or "no" for a word that is a yes or a no cue by itself, else ""."""
        cue = self._table.at((word,), 0, _PRIORITY)
        category = cue.category if cue is not None and len(cue.words) == 1 else ""
        return "yes" if category in ("yes", "yes_typed") else "no" if category == "no" else ""

    def after_answer(self, normalized: str) -> tuple[str, bool] | None:
        """"non et ferme tout", "yes and go reduce only": (the words after a yes or a no and a join, whether
        they add a command to the read-back: assistant/nlu/answer_then.py), or None. An answer that says
        both yes and no ("oui non et…") is doubt: None."""
        tokens = normalized.split()
        if not tokens or tokens[0] not in self._answer_firsts and not (
                self._answer_stems and tokens[0].startswith(self._answer_stems)):
            return None  # (the cheap gate, every sentence goes through here: the first word begins no answer)
        i = 0
        said: set[str] = set()
        while i < len(tokens) and (cue := self._table.at(tokens, i, _PRIORITY)) is not None \
                and cue.category in _ANSWER_CUES:
            said.add("no" if cue.category == "no" else "yes")
            i += len(cue.words)
        if not i or len(said) > 1:
            return None
        return self._answer_then.rest(tokens, i, self._joins)

    def after_no_instead(self, normalized: str) -> str | None:
        """"non, ferme tout plutôt", "no, just flatten everything": the command said instead after a no (the
        words after it without their `answer_instead` marker: assistant/nlu/answer_then.py), or None. A yes said
        with the no ("non oui plutôt…") is doubt: None."""
        tokens = normalized.split()
        i = 0
        while i < len(tokens) and (cue := self._table.at(tokens, i, _PRIORITY)) is not None and cue.category == "no":
            i += len(cue.words)
        if not i or i >= len(tokens) or ((cue := self._table.at(tokens, i, _PRIORITY)) is not None
                                          and cue.category in ("yes", "yes_typed")):
            return None
        return self._answer_then.instead(tokens, i)

    def _opens_with_answer(self, a: _Analysis) -> bool:
        """The sentence's first word starts an answer cue ("yes, buy them", "non, vends")."""
        if not a.has("yes", "yes_typed", "no", "cancel") or not a.tokens:
            return False
        cue = self._table.at(a.tokens, 0, _PRIORITY)
        return cue is not None and cue.category in ("yes", "yes_typed", "no", "cancel")

    def asks_change(self, a: _Analysis) -> bool:
        """A figure MIA only reports asked to change ("increase PPO's weight", "tu peux baisser
        la CVaR ?"): a `change_verbs` word in a statement or a request, not in a question ("will
        the volatility increase?")."""
        t = a.tokens
        if not self._change_verbs.intersection(t):
            return False
        asked, _, requested = self._asked(a)
        if requested:
            return True
        # "la vol va monter", "vol is going to increase": a change foretold, not asked for
        return not asked and any(
            word in self._change_verbs and not any(t[max(0, i - len(aux)):i] == aux for aux in self._change_auxiliaries)
            for i, word in enumerate(t))

    def _joined_change(self, tokens: Sequence[str]) -> bool:
        """A joining word ("and", "et", "then") followed within two words by a verb of change
        ("and *set* risk to 1%", "et *mets* le risque à 1%"): a second command."""
        return any(word in self._joins and not self._change_verbs.isdisjoint(tokens[i + 1:i + 3])
                   for i, word in enumerate(tokens))

    #: What a clause said before a command must not hold (`plain_commentary`): another command, an
    #: answer, a condition, someone else's words, doubt, a switch.
    #: (A price marker alone, "a", "to", is common in a comment and commits to nothing; a modifier
    #: said of the market, "rolling over", "tenu deux fois", is a `market_opinions` phrase.)
    _COMMITTING = ("close", "halt", "resume", "yes", "yes_typed", "no", "cancel", "conditionals", "others",
                   "unclear", "negations", "reduce_only", "reduce_only_extras", "halt_extras", "autopilot", "risk",
                   "modifiers", "order_modifiers", "limit_words")

    #: Questions about the account or MIA before a command ("je suis short de combien, je vends deux
    #: ES"): a question and an order, not a comment on the market.
    _ACCOUNT_TOPICS = frozenset({"positions", "pnl_today", "status", "autopilot_status", "help", "repeat"})

    def says_modal(self, tokens: Sequence[str]) -> bool:
        """A modal of advice or obligation said (`preference_modals`: "should", "must", "doit")."""
        return self._preference.says_modal(tokens)

    def plain_commentary(self, head: str, *, story: bool = False) -> bool:
        """The words before a command ("bon le marché tourne mal, | coupe tout", "honestly I think
        tech is toppy here, | short 2 MNQ") only comment: no side, price, percentage or cue of
        `_COMMITTING` once the lead-ins said first ("ok so", "bon") and the views of the market
        (`market_opinions`: "je pense que", "imo") are left out. A `story` (a long comment, parser
        `_commentary`) may hold negations of its own and the day it names ("listen I know the day isn't
        over yet, …"), unless it opens on a negation or asks."""
        return self._commits_to_nothing(head, aside=False, story=story)

    def plain_aside(self, tail: str, *, after_question: str | None = None, feeling: bool = False) -> bool:
        """The words after a whole command ("coupe tout, | je pars déjeuner", "vends 2 ES parce que |
        le CPI sort bientôt") only give a reason: what `plain_commentary` asks of a comment, and no
        market, number or topic either (a second order or question, a value changed). After a
        read-only question (`after_question`: its intent), doubt, a negation, someone else or
        orders said in the reason change nothing ("…sur l'ES, parce que je ne m'en souviens plus",
        "…connecté, j'ai l'impression que mes ordres ne partent pas"), nor the same topic said again
        ("…dans l'ensemble, pour que je voie lequel domine"); talk about something else does ("what is
        volatility, in general": a definition). `feeling`: a negation said of something impersonal after a
        way out ("close the ES, | this doesn't feel right") changes nothing either."""
        return self._commits_to_nothing(tail, aside=True, asked=after_question, feeling=feeling)

    #: What a feeling said after a way out may hold (`plain_aside` with `feeling`: "this doesn't feel right").
    _HARMLESS_IN_FEELING = frozenset({"negations", "yes"})

    #: What a reason said after a read-only question may hold (`plain_aside`).
    _HARMLESS_AFTER_QUESTION = frozenset({"negations", "unclear", "conditionals", "others", "past", "modifiers",
                                          "order_modifiers", "limit_words", "risk"})

    def _commits_to_nothing(self, clause: str, *, aside: bool, asked: str | None = None, feeling: bool = False,
                            story: bool = False) -> bool:
        lenient = asked is not None
        committing = [c for c in self._COMMITTING if not (lenient and c in self._HARMLESS_AFTER_QUESTION)
                      and not (feeling and c in self._HARMLESS_IN_FEELING)]
        tokens = clause.split()
        kept: list[str] = []
        i = self._lead_in_size(tokens)
        while i < len(tokens):
            size = self._opinion_size(tokens, i)
            if size and not (aside and i + size == len(tokens)):
                # (said last in an aside, it is read as any words: "buy 2 ES | I think" is a doubt of the order)
                i += size
                continue
            kept.append(tokens[i])
            i += 1
        analyses: list[_Analysis] = []
        for comp in self._languages.values():
            spaced = comp.strip_skip(" ".join(kept) + " ")
            if not spaced.strip():
                continue
            a = self._analyse(comp, spaced, clause)
            told = story and not a.question_mark and not a.has("questions")
            if a.sides or a.side_nouns or a.prices or a.percents or a.currency or a.switch_words \
                    or a.has(*(c for c in committing if not (told and c == "negations"))) \
                    or (told and min(a.negation_ends, default=_STORY_NEGATION) < _STORY_NEGATION) \
                    or (not told and (a.topics | a.weak_topics) & self._ACCOUNT_TOPICS):
                return False
            if aside and (a.symbols or a.numbers or a.stray_numbers or (a.topics | a.weak_topics) - {asked} or a.days
                          or a.modes or a.unclear_symbol
                          or a.has("all", "period", "questions", "elsewhen", "money", "other_assets")
                          # (session 16, nlu34: a switch turned on or a chart named after a command: "buy 1 ES thanks activate")
                          or (not lenient and a.has("switch_on", "quotes"))   # ("off" stays: "I m off to lunch")
                          or (not lenient and (a.has("others", "past", "pronouns")
                                               # ("le reduce only ça marche comment": a question, not an aside)
                                               or not self._explain_questions.isdisjoint(a.tokens)))
                          # (after a question, "in general", "ça veut dire quoi": a definition asked)
                          or (lenient and (a.has("chit_chat") or not self._mechanism.isdisjoint(a.tokens)))):
                return False
        return True

    def _opinion_size(self, tokens: Sequence[str], i: int) -> int:
        """Words of the longest `market_opinions` phrase said from token `i` ("je pense que", "imo"), or 0."""
        by_first = self._opinions_by_first
        if by_first is None:
            by_first = self._opinions_by_first = {}
            for phrase in self._market_opinions:
                by_first.setdefault(phrase[0], []).append(phrase)
        return max((len(p) for p in by_first.get(tokens[i], ()) if tuple(tokens[i:i + len(p)]) == p), default=0)

    def _lead_in_size(self, tokens: Sequence[str]) -> int:
        """Words of the longest `lead_ins` phrase the sentence opens with ("ok so", "bon"), or 0."""
        return max((len(p) for p in self._lead_ins if tuple(tokens[:len(p)]) == p), default=0)

    @staticmethod
    def names_year(a: _Analysis) -> bool:
        """A year said in digits ("drawdown for 2025")."""
        return any(_YEAR.fullmatch(word) for word in a.tokens)

    def explains(self, a: _Analysis) -> bool:
        """"how does QR-DQN actually work", "comment le modèle fonctionne": how something works, "why…",
        "what does reduce only do": a question word, then the sentence ends on a verb of working
        (the help topic excepted: "how does this work")."""
        t = a.tokens
        if not t or "help" in a.topics:
            return False
        if self._why_words.intersection(t):
            # "why is PPO weighted so heavily": a reason MIA cannot give; why the *model decides* is
            # what the SHAP features answer ("why does the model decide what it does")
            return "shap_features" not in a.topics
        if any(t[i] in self._explain_questions and t[i + 1] in self._mechanism for i in range(len(t) - 1)):
            return True  # "comment marchent les quantiles"
        if self.asks_method(t):
            return True  # "how does the ensemble choose its weights"
        return self.ends_on_mechanism(t)

    def moves_mode(self, a: _Analysis) -> bool:
        """"passe sur le compte réel", "switch me to the live account": a `mode_moves` verb in a statement or a
        request (not in a question: "on passe en réel quand ?" is none of MIA's, refused elsewhere)."""
        t = a.tokens
        if self._mode_move_firsts.isdisjoint(t) or \
                not any(tuple(t[i:i + len(run)]) == run for run in self._mode_moves for i in range(len(t))):
            return False
        asked, _, requested = self._asked(a)
        return requested or not asked

    def asks_method(self, tokens: Sequence[str]) -> bool:
        """How a figure is made ("how does the ensemble *choose* its weights", "comment sont *choisis* les
        poids", "how is the regime *decided*"): a `how_words` word, then a `method_verbs` word after it
        ("how are the weights split" asks the figure: "split" is none)."""
        first = next((i for i, word in enumerate(tokens) if word in self._how_words), None)
        if first is None or (first + 1 < len(tokens) and tokens[first + 1] in self._how_quantities):
            return False
        return any(word in self._method_verbs or word.startswith(self._method_stems) for word in tokens[first + 1:])

    def ends_on_mechanism(self, tokens: Sequence[str]) -> bool:
        """A question word, then the sentence ends on a verb of working or "for" ("what does
        reduce only do", "what's the autopilot for"), bar a `mechanism_tails` word ("…for, anyway")."""
        tokens = self.without_mechanism_tails(tokens)
        return bool(tokens) and tokens[-1] in self._mechanism \
            and any(word in self._explain_questions for word in tokens[:-1])

    def without_mechanism_tails(self, tokens: Sequence[str]) -> Sequence[str]:
        """`tokens` without the `mechanism_tails` words that end them ("what are the quantiles for, *anyway*")."""
        end = len(tokens)
        while end > 1 and tokens[end - 1] in self._mechanism_tails:
            end -= 1
        return tokens[:end]

    def _asked(self, a: _Analysis) -> tuple[bool, bool, bool]:
        """(asked, stated, requested): a question ("?", a question word, a question's first word),
        a state described ("l'autopilote *est* coupé"), a request word ("can", "peux")."""
        words = set(a.tokens)
        asked = a.question_mark or a.has("questions") or bool(
            a.tokens and a.tokens[0] in self._question_starts and not a.opens_with_switch
            and not any(a.tokens[:len(c)] == c for c in self._causatives))
        t = a.tokens
        # A request is addressed to MIA ("can you", "tu peux") or polite ("please"); "can the
        # autopilot trade without asking me?" asks about the autopilot.
        requested = bool(words & self._polite) or any(
            word in self._request_words and ((i > 0 and t[i - 1] in self._addressees)
                                             or (i + 1 < len(t) and t[i + 1] in self._addressees))
            for i, word in enumerate(t))
        # ("l'autopilote propose et *c'est* moi qui valide": no state word after "c'", as `_describes_state`)
        stated = any(word in self._state_words and (i == 0 or t[i - 1] not in self._not_state_before)
                     for i, word in enumerate(t))
        return asked, stated, requested

    _SWITCH_BLOCKERS = ("negations", "conditionals", "others", "past", "period", "money", "other_assets",
                        "modifiers", "order_modifiers", "risk", "relative", "limit_words", "yes", "yes_typed",
                        "no", "cancel", "unclear", "price_markers", "hedges")

    def _autopilot(self, a: _Analysis) -> FrameOutcome:
        """The autopilot named: its status when asked or described ("l'autopilote est coupé ?",
        "is the autopilot trading"), else a switch to exactly one mode ("laisse l'autopilote
        trader tout seul" -> auto, "allume l'autopilote" -> propose, "kill the autopilot" -> off)."""
        intent = "autopilot_mode"
        if a.sides or a.symbols or a.numbers or a.stray_numbers or a.percents or a.prices:
            return _refuse("no_match", "the autopilot with a market, a side or a number", intent)
        if a.has("reduce_only") or a.has("all") or (a.topics or a.weak_topics) - {"autopilot_status", "status"}:
            return _refuse("ambiguous_intent", "the autopilot mixed with another request", intent)
        a = self._without_negated_mode(a)
        asked, stated, requested = self._asked(a)
        wished = not a.question_mark and self._says_before(a.tokens, self._wish_openers, 1)
        if wished:
            asked, requested = False, True  # "que l'autopilote me propose les trades": I want it to
        # A state described is a question only without a mode named: "the autopilot is on auto,
        # switch it to proposals" is a command about a state (refused below).
        # Two modes with a state word ("l'autopilote est en auto ou en propose là") ask which one:
        # no switch goes to two modes.
        status_question = (asked or (stated and len(a.modes) != 1)) and not requested
        if "autopilot_status" in a.topics:
            status_question = not requested  # "l'autopilote a des propositions ?", "any proposals from the autopilot"
        if a.mode_cues and self._says_before(a.tokens, self._mode_asked, a.mode_cues[0][0]):
            status_question = True  # "dis-moi ce que l'autopilote propose": what it proposes, asked
        if "status" in a.topics and not (a.modes or a.halt_lengths) \
                and not a.has("switch_on", "switch_off", "close", "resume"):
            # "ap status", "statut de l'autopilote": its state named, nothing switched.
            status_question = True
        for kind in self._SWITCH_BLOCKERS:
            # "l'autopilote est allumé ou pas ?": a doubt is the question itself
            if a.has(kind) and not (kind == "unclear" and status_question):
                return _refuse("no_match", f"the autopilot with {kind.replace('_', ' ')}", intent)
        if self._opinion_words.intersection(a.tokens):
            return _refuse("no_match", "an opinion asked about the autopilot", intent)
        if status_question and a.modes and a.tokens[0] in self._change_verbs:
            # "put the autopilot on proposals I want to see what it does first": a switch said first, then
            # a question of the aside's: neither the status nor (with that question) the switch alone.
            return _refuse("ambiguous_intent", "a mode switched, then a question", intent)
        if status_question:
            if a.unknown_words > 1:
                return _refuse("no_match", "words no grammar knows in a question", "autopilot_status")
            return FrameOutcome("accept", "autopilot_status")
        if stated or a.has("pronouns"):
            return _refuse("no_match", "a request about the autopilot's state (ask or switch?)", intent)
        if a.unknown_words:
            # "*avoid* putting the autopilot on auto": the way into a switch is a cue word (`neutral`)
            return _refuse("no_match", "words no grammar knows in a switch", intent)
        modes = set(a.modes)
        if a.has("switch_off", "close") or any(n == 1 for n in a.halt_lengths):
            modes.add("off")
        if len(a.halt_lengths) > sum(1 for n in a.halt_lengths if n == 1) or a.has("resume") and len(modes) > 1:
            return _refuse("ambiguous_intent", "stop trading or switch the autopilot?", intent)
        if not modes and a.has("switch_on", "resume"):
            modes.add("propose")  # switched on: proposals, every trade still needs the trader's word
        if len(modes) != 1:
            return _refuse("no_match", "which autopilot mode?" if not modes else "several autopilot modes", intent)
        if wished and modes == {"auto"}:
            # a wish read as a request only where it takes money out of the machine's hands (as preferences)
            return _refuse("no_match", "trading alone wished, not asked", intent)
        return FrameOutcome("accept", intent, {"mode": next(iter(modes))})

    @staticmethod
    def _says_before(tokens: Sequence[str], phrases: AbstractSet[tuple[str, ...]], end: int) -> bool:
        """One of `phrases` said as whole words, starting before token `end`."""
        return any(tuple(tokens[i:i + len(p)]) == p for p in phrases for i in range(min(end, len(tokens))))

    #: The switches a preference may ask for: they take money out of the machine's hands.
    _PROTECTIVE = frozenset({("autopilot_mode", "propose"), ("autopilot_mode", "off"), ("reduce_only", None)})

    def _preferred_switch(self, comp: CompiledLanguage, a: _Analysis) -> FrameOutcome | None:
        """A protective switch said as a preference ("the autopilot should only propose", "l'autopilote doit
        juste proposer", "ideally we go reduce-only"): the sentence read without its
        preference words (assistant/nlu/preference.py), when that reading is a switch to the autopilot's
        proposals, off, or reduce-only. Never in a question; "the autopilot should trade on its own" stays
        refused (letting it trade alone is asked plainly)."""
        if a.question_mark:
            return None
        rest = self._preference.without(a.tokens)
        if rest is None:
            return None
        again = self._analyse(comp, " ".join(rest) + " ", "")
        if self._names_autopilot(again):
            again = replace(again, categories={**again.categories, "autopilot": 1})
        if again.has("autopilot"):
            out = self._autopilot(again)
        elif again.has("reduce_only"):
            out = self._reduce_only(again)
        else:
            return None
        if out.status != "accept" or (out.intent, out.slots.get("mode")) not in self._PROTECTIVE:
            return None
        return out

    def _names_autopilot(self, a: _Analysis) -> bool:
        """The autopilot meant without its own name, when nothing else is asked ("sur quoi se base l'algo" is
        SHAP, "stoppe l'algo, plus aucune entrée" a halt): a name that is its only then (`autopilot_names`:
        "coupe l'algo", "put the algo on full auto"), or one mode said twice ("propose trades but wait for my
        ok", "you can trade automatically without asking me": only the autopilot has modes), or a mode cue only
        the autopilot has said as a request (`autopilot_only_modes`: "go full auto"; "go full auto?" asks)."""
        if a.has("autopilot", "reduce_only", "reduce_only_extras") \
                or (a.topics | a.weak_topics) - {"autopilot_status", "status"} or any(n > 1 for n in a.halt_lengths):
            return False
        return a.has("autopilot_names") or (len(a.modes) == 1 and len(a.mode_cues) > 1) or (
            len(a.mode_cues) == 1 and not a.question_mark and not a.has("questions")
            and any(tuple(a.tokens[a.mode_cues[0][0]:a.mode_cues[0][0] + len(words)]) == words
                    for words in self._autopilot_only_modes))

    def _without_negated_mode(self, a: _Analysis) -> _Analysis:
        """"autopilot just suggestions, not automatic", "en auto, pas en proposition": a mode
        negated right where it is said ("not", "pas", then at most two `negated_mode_glue` words)
        next to exactly one other mode said plainly is that other mode; the analysis then holds
        the plain mode only and no negation. Any other negation stays (and refuses the switch):
        "not X" never selects X, and a negated mode alone selects nothing."""
        if not (a.negation_ends or a.no_ends) or not a.mode_cues:
            return a
        negated: set[str] = set()
        plain: set[str] = set()
        used: set[int] = set()
        for start, mode in a.mode_cues:
            k = start
            while k > 0 and k not in a.negation_ends and start - k < 2 and a.tokens[k - 1] in self._negated_mode_glue:
                k -= 1
            # "no automatic execution": a `no` right before the mode, a noun right after it; "propose,
            # no, auto" is a self-correction (the restatement stage reads it), never a negation.
            after = start + next((len(c.words) for c in (self._table.at(a.tokens, start, _PRIORITY),) if c), 1)
            said_no = start in a.no_ends and after < len(a.tokens) and a.tokens[after] in self._negated_mode_nouns
            if k in a.negation_ends or said_no:
                negated.add(mode)
                used.add(k if k in a.negation_ends else start)
            else:
                plain.add(mode)
        ends = set(a.negation_ends) | set(a.no_ends)
        if negated and used != ends and plain and not plain & {"auto"}:
            # "ne pas trader tout seul", "ne trade pas tout seul, juste proposer": the two halves of one French
            # negation (at most one word between them) negate one mode; only towards proposals or off, never
            # "ne propose pas, il trade tout seul" (auto is asked plainly)
            used |= {e for e in ends if any(0 < abs(u - e) <= 2 for u in used)}
        if not negated or used != ends or len(plain) != 1 or plain & negated:
            return a
        categories = {kind: n for kind, n in a.categories.items() if kind not in ("negations", "no")}
        return replace(a, categories=categories, modes=plain, negation_ends=[], no_ends=[])

    def _reduce_only(self, a: _Analysis) -> FrameOutcome:
        """Reduce-only mode asked for ("exits only", "n'autorise que les ordres de réduction");
        asked about ("are we reduce-only?") it is the status, never the switch."""
        intent = "reduce_only"
        if a.sides or a.symbols or a.numbers or a.stray_numbers or a.percents or a.prices:
            return _refuse("no_match", "reduce-only with a market, a side or a number", intent)
        # "no new positions, exits only": that halt cue is the other half of the request (`no_new`)
        halt = a.has("halt") and not all(p in self._no_new for p in a.halt_phrases)
        if halt or a.has("resume", "close", "all", "switch_off") or (a.topics | a.weak_topics) - _CLOSE_OBJECTS - {"status"}:
            return _refuse("ambiguous_intent", "reduce-only mixed with another request", intent)
        asked, stated, requested = self._asked(a)
        status_question = (asked or stated) and not requested
        for kind in self._SWITCH_BLOCKERS + ("pronouns",):
            if a.has(kind) and not (kind == "unclear" and status_question):
                return _refuse("no_match", f"reduce-only with {kind.replace('_', ' ')}", intent)
        if a.unknown_words:
            return _refuse("no_match", "words no grammar knows in a switch", intent)
        if self._opinion_words.intersection(a.tokens):
            return _refuse("no_match", "an opinion asked about reduce-only", intent)
        if status_question:
            return FrameOutcome("accept", "status")  # "are we in reduce-only?": the state, not the switch
        if stated:
            return _refuse("no_match", "a request about the state (ask or switch?)", intent)
        return FrameOutcome("accept", intent)

    def _every_market(self, a: _Analysis) -> bool:
        named = {value for value, _ in a.symbols}
        markets = {value for comp in self._languages.values() for value in comp.text_values.get(_SYMBOL, {}).values()}
        return bool(markets) and named == markets

    @staticmethod
    def _one_symbol(a: _Analysis) -> tuple[FrameOutcome | None, tuple[str, str] | None]:
        distinct = {value for value, _ in a.symbols}
        if len(distinct) > 1:
            return _refuse("ambiguous_symbol", "two markets in one sentence"), None
        return None, (a.symbols[0] if a.symbols else None)

    def _index_symbol(self, a: _Analysis) -> tuple[str, str] | None:
        """The market an index names when it is the only other asset said and no market is
        ("tendance ou range sur le nasdaq ?" -> MNQ), else None."""
        if a.symbols or not a.other_asset_phrases:
            return None
        markets = {self._index_markets.get(phrase) for phrase in a.other_asset_phrases}
        market = markets.pop() if len(markets) == 1 else None
        return (market, " ".join(a.other_asset_phrases[0])) if market is not None else None

    def _foreign(self, a: _Analysis, intent: str) -> bool:
        """A cue of a category `intent`'s command frame does not read ("buy 1 ES *agents*", "close ES *quotes*")."""
        cues = self._intent_cues.get(intent)
        bad_cue = foreign_cue(a.cue_categories, cues) if cues is not None else None
        return bad_cue is not None

    def _order(self, comp: CompiledLanguage, a: _Analysis) -> FrameOutcome:
        intent = "place_trade"
        if a.has("close", "halt", "resume", "yes", "yes_typed", "no", "cancel") or a.topics:
            return _refuse("ambiguous_intent", "an order mixed with another request", intent)
        for kind, why in (("negations", "a negated order"), ("conditionals", "a hypothetical order"),
                          ("hedges", "an order wrapped in a hedge ('when you get a sec')"),
                          ("period", "an order over a period of time"),
                          ("relative", "an order that changes something by an amount"),
                          ("all", "an order for 'all' or 'every' (how much? how often?)"),
                          ("unclear", "an order said with doubt"),
                          ("questions", "a question about an order, not an order"),
                          ("past", "an order told about, not given"),
                          ("others", "an order for or by someone else"),
                          ("pronouns", "an order for or by someone else"),
                          ("modifiers", "an order with a condition the frames do not read"),
                          ("order_modifiers", "an order with a condition the frames do not read")):
            if a.has(kind):
                return _refuse("no_match", why, intent)
        if a.has("money"):
            return _refuse("invalid_quantity", "a money amount is not a number of contracts", intent)
        for item, end in a.numbers:
            start = end - len(item.text.split())
            if start > 0 and a.tokens[start - 1] in _HELD:
                return _refuse(HELD_CONTRACTS, "an order on contracts already held: a close, or a new order?", intent)
            if start > 0 and a.tokens[start - 1] in self._value_hedges:
                return _refuse("no_match", "a number said with a filler before it ('genre 2 ES'): about that many?", intent)
        if a.has("other_assets"):
            return _refuse("invalid_symbol", "a market MIA does not trade", intent)
        if a.percents > 1 or (a.percents and not a.has("risk")):
            return _refuse("no_match", "a percentage in an order the frames do not read", intent)
        if a.has("risk") and not a.percents:
            return _refuse("no_match", "a risk in an order without its percentage", intent)
        if a.has("risk") and self._joined_change(a.tokens):
            # "long 1 ES and set risk to 1%": an order, then the risk setting changed (two commands),
            # not the order's own risk ("long 1 ES with 1% risk")
            return _refuse("ambiguous_intent", "an order and a change of the risk setting: one at a time", intent)
        if len(a.prices) > 1:
            return _refuse("ambiguous_price", "two prices in one order", intent)
        if a.has("limit_words") and not a.prices:
            return _refuse("no_match", "a limit order without its price", intent)
        sides = {value for value, _ in a.sides}
        if a.unclear_side:
            return _refuse("ambiguous_side", "a side next to a word no grammar knows (misheard?)", intent)
        if len(sides) > 1:
            return _refuse("ambiguous_side", "both buy and sell in one sentence", intent)
        trouble, symbol = self._one_symbol(a)
        if trouble is not None:
            return trouble
        if a.stray_numbers or len(a.numbers) > 1:
            return _refuse("ambiguous_quantity", "a number that is not the quantity", intent)
        if symbol is None:
            return _refuse("no_match", "an order without a market", intent)
        if a.unknown_after_slot:
            return _refuse("no_match", "words no grammar knows after the order's side, quantity or market",
                           intent)
        if a.unknown_words:
            return _refuse("no_match", "a word no grammar knows before the order (avoid? schedule? simulate?)",
                           intent)
        if a.stray_letters:
            return _refuse("no_match", "a lone letter no word explains in an order (misheard? mistyped?)", intent)
        if self._joins_an_object(a):
            return _refuse("no_match", "something else joined to the order ('… and my car')", intent)
        if self._foreign(a, intent):
            return _refuse("no_match", "a word of another request in an order ('buy one ES open')", intent)
        side_value, side_text = a.sides[0]
        slots: dict[str, Any] = {"side": side_value, "symbol": symbol[0]}
        texts = {"side": side_text, "symbol": symbol[1]}
        if not a.numbers and self._article_before_market(a, comp.code):
            # "buy me an ES", "get me short a micro": the article right before the market, after the side, is one
            return FrameOutcome("accept", intent, {**slots, "quantity": 1},
                                {**texts, "quantity": a.tokens[a.symbol_at - 1]})
        if not a.numbers:
            return FrameOutcome("missing", intent, slots, texts, "missing_quantity",
                                "an order without a number of contracts", ("quantity",))
        item = a.numbers[0][0]
        value, error = comp.convert("quantity", item.text, "quantity") if "quantity" in comp.range_lists \
            else (None, ("invalid_quantity", "no quantity list"))
        if error is not None:
            return _refuse(error[0], error[1], intent)
        slots["quantity"] = value
        texts["quantity"] = item.text
        if a.prices:
            price = a.prices[0][0]
            if "price" not in comp.range_lists:
                return _refuse("no_match", "no price list in this grammar", intent)
            value, error = comp.convert("price", price.text, "price")
            if error is not None:
                return _refuse(error[0], error[1], intent)
            slots["price"] = value
            texts["price"] = price.text
        if a.percent_items:
            percent_error, (slot, value, text) = self._percent(comp, a)
            if percent_error is not None:
                return _refuse(percent_error[0], percent_error[1], intent)
            slots[slot] = value
            texts[slot] = text
        return FrameOutcome("accept", intent, slots, texts)

    @staticmethod
    def _percent(comp: CompiledLanguage, a: _Analysis) -> tuple[tuple[str, str] | None, tuple[str, Any, str]]:
        """The sentence's one percentage as (slot name, value, text), or the reason it is not one."""
        names = [name for name, rng in comp.range_lists.items() if rng.kind == "percent"]
        if len(names) != 1:
            return ("no_match", "no single percentage list in this grammar"), ("", None, "")
        slot = comp.grammar.slot_name(names[0], None)
        item = a.percent_items[0][0]
        value, error = comp.convert(names[0], item.text, slot)
        return error, (slot, value, item.text)

    def _set_risk(self, comp: CompiledLanguage, a: _Analysis) -> FrameOutcome:
        """"risk setting: 0.8 percent", "dimensionnement : 0,8 % du capital par position"."""
        intent = "set_risk"
        if intent not in comp.grammar.intents:
            return _NONE
        if a.has("close", "halt", "resume", "yes", "yes_typed", "no", "cancel") or a.topics - _CLOSE_OBJECTS:
            # "calibre *mes positions* pour risquer 2,5 %": the positions are what is sized
            return _refuse("ambiguous_intent", "a risk setting mixed with another request", intent)
        for kind in ("negations", "unclear", "conditionals", "questions", "past", "others", "modifiers",
                     "limit_words", "other_assets", "period", "pronouns", "hedges"):
            if a.has(kind):
                return _refuse("no_match", f"a risk setting with {kind.replace('_', ' ')}", intent)
        if a.currency:
            return _refuse("no_match", "a money amount is not a risk percentage", intent)
        if a.percents != 1:
            return _refuse("ambiguous_risk_percent", "several percentages", intent)
        if a.numbers or a.stray_numbers or a.prices:
            return _refuse("no_match", "a number the risk setting does not explain", intent)
        if self._approximate and any(tuple(a.tokens[i:i + len(p)]) == p for p in self._approximate
                                     for i in range(len(a.tokens))):
            return _refuse("no_match", "a risk said approximately (about 1 %: which value?)", intent)
        if a.has("relative") and not a.absolute_percent:
            # "raise the risk by 0.5 %", "augmente le risque de 0,5 %": a change, not the value.
            return _refuse("no_match", "a change of the risk, not its new value", intent)
        if a.unknown_words:
            return _refuse("no_match", "words no grammar knows in a risk setting", intent)
        if self._foreign(a, intent):
            return _refuse("no_match", "a word of another request in a risk setting", intent)
        trouble, symbol = self._one_symbol(a)
        if trouble is not None:
            return trouble
        error, (slot, value, text) = self._percent(comp, a)
        if error is not None:
            return _refuse(error[0], error[1], intent)
        slots: dict[str, Any] = {slot: value}
        texts = {slot: text}
        if symbol is not None:
            slots["symbol"], texts["symbol"] = symbol
        return FrameOutcome("accept", intent, slots, texts)

    def _close(self, a: _Analysis) -> FrameOutcome:
        intent = "close_positions"
        if a.has("halt", "resume", "yes", "yes_typed", "no", "cancel") or a.topics - _CLOSE_OBJECTS:
            return _refuse("ambiguous_intent", "a close mixed with another request", intent)
        index = self._index_symbol(a)
        for kind in ("negations", "unclear", "conditionals", "questions", "past", "others", "modifiers",
                     "order_modifiers", "money", "other_assets", "limit_words", "risk", "period", "relative",
                     "pronouns", "hedges"):
            if a.has(kind) and not (kind == "other_assets" and index is not None):
                return _refuse("no_match", f"a close with {kind.replace('_', ' ')}", intent)
        if a.numbers or a.stray_numbers or a.percents or a.prices:
            return _refuse("no_match", "a number in a close (partial closes are not read by frames)", intent)
        if a.unknown_words:
            return _refuse("no_match", "a close with words no grammar knows (close what?)", intent)
        if a.stray_letters:
            return _refuse("no_match", "a lone letter no word explains in a close (misheard? mistyped?)", intent)
        if self._joins_an_object(a):
            return _refuse("no_match", "something else joined to the close ('… and the fridge')", intent)
        if self._foreign(a, intent):
            return _refuse("no_match", "a word of another request in a close ('close ES sharpe')", intent)
        if self._one_contract(a):
            return _refuse("no_match", "one contract of a market closed ('close an ES'): partial closes are not "
                           "supported", intent)
        if len({value for value, _ in a.symbols}) > 1 and a.has("all") and self._every_market(a):
            # "ferme toutes les positions, ES et MNQ", "close both ES and MNQ": every market MIA
            # trades named, with "all" / "both", is all of them ("clôture de ES et de MNQ" alone
            # stays unclear).
            return FrameOutcome("accept", intent, {"scope": "all"}, {})
        trouble, symbol = self._one_symbol(a)
        if trouble is not None:
            return trouble
        symbol = symbol or index
        if symbol is not None:
            return FrameOutcome("accept", intent, {"symbol": symbol[0]}, {"symbol": symbol[1]})
        if a.has("all"):
            return FrameOutcome("accept", intent, {"scope": "all"}, {})
        return _refuse("no_match", "a close without a market", intent)

    def _halt_resume(self, a: _Analysis) -> FrameOutcome:
        if a.has("halt") and a.has("resume"):
            return _refuse("ambiguous_intent", "both stop and resume")
        intent = "halt" if a.has("halt") else "resume"
        if intent == "halt" and self._stop_then_no(a):
            return FrameOutcome("accept", "cancel")  # "stop, non", "stop stop no": MIA stopped, not trading
        if a.has("yes", "yes_typed", "no", "cancel") or a.topics or a.symbols:
            return _refuse("ambiguous_intent", f"{intent} mixed with another request", intent)
        for kind in ("negations", "unclear", "conditionals", "questions", "past", "others", "modifiers",
                     "money", "other_assets", "limit_words", "risk", "period", "relative", "pronouns", "hedges"):
            if a.has(kind):
                return _refuse("no_match", f"{intent} with {kind.replace('_', ' ')}", intent)
        if a.numbers or a.stray_numbers or a.percents or a.prices:
            return _refuse("no_match", f"a number in a {intent} command", intent)
        asked, stated, requested = self._asked(a)
        if not requested and (asked or (stated and a.has("switch_on", "switch_off"))):
            # "le kill switch est-il activé", "is the engine halted" (a one-word halt: its participle): its
            # state asked about (the status says it); "le trading peut reprendre ?", "are we done trading for
            # today?": asked, refused.
            participle = asked and intent == "halt" and all(n == 1 for n in a.halt_lengths)
            if (a.has("switch_on", "switch_off") or participle) and self._describes_state(a.tokens) \
                    and not a.unknown_words:
                return FrameOutcome("accept", "status")
            return _refuse("no_match", f"a question about {intent}, not a command", intent)
        if a.unknown_words:
            return _refuse("no_match", f"{intent} with words no grammar knows ({intent} what?)", intent)
        return FrameOutcome("accept", intent)

    def _answer_words(self, a: _Analysis) -> tuple[int, set[str], set[str], bool, int]:
        """Read an answer word by word: (content words, sides named, read-back kinds named, doubt
        said, where the last doubt starts). Besides its answer cues (yes / no / cancel, doubt, negations) an answer
        may hold fillers, politeness, intensifiers, MIA's name (`answer_fillers`) and the
        read-back named (`answer_objects`, or a side word: the dialogue checks what is named
        against what was read back); every other word is content ("ok *mets le en route*", "yes *go back*",
        "oui *plus tard*"), and an answer with content is doubt, never a confirmation. A filler
        phrase at least as long as a cue there wins ("oui oui *c'est bon*")."""
        t = a.tokens
        n = len(t)
        content = 0
        sides: set[str] = set()
        kinds: set[str] = set()
        unclear = soft_doubt = False
        last_soft = -1
        last_unclear = -1
        i = 0
        while i < n:
            size = next((k for k in self._answer_sizes
                         if i + k <= n and tuple(t[i:i + k]) in self._answer_words_set), 0)
            cue = self._table.at(t, i, _PRIORITY)
            kind, _, value = cue.category.partition(":") if cue is not None else ("", "", "")
            if cue is not None and kind in _ANSWER_PARTS and len(cue.words) > size:
                if kind == "unclear":
                    unclear, last_unclear = True, i
                i += len(cue.words)
            elif size:
                if kind == "unclear":
                    # "oui oui *c'est bon*": reassurance after a yes; with a no, it stays doubt
                    # ("non c'est bon": drop it, or it is fine?)
                    soft_doubt, last_soft = True, i
                named = self._answer_words_set[tuple(t[i:i + size])]
                if named not in ("", "any"):
                    kinds.add(named)
                i += size
            elif cue is not None and kind == "side":
                sides.add(value)
                i += len(cue.words)
            else:
                content += 1
                i += 1
        if soft_doubt and not a.has("yes", "yes_typed"):
            unclear, last_unclear = True, max(last_unclear, last_soft)
        return content, sides, kinds, unclear, last_unclear

    def _stop_then_no(self, a: _Analysis) -> bool:
        """"stop, non", "stop stop no, don't send it": a sentence that opens with an `answer_stops` word and
        holds only those, no or cancel cues and answer fillers, with no yes (assistant/nlu/answer_then.py). Never
        "no stop" / "non stop" (no stop-loss? nonstop?) nor "stop, no more orders" (a halt)."""
        stops = self._answer_then.stops
        if not a.has("no", "cancel") or a.has("yes", "yes_typed") or stops.isdisjoint(a.tokens) \
                or a.tokens[0] not in stops:
            return False
        t, i = a.tokens, 0
        while i < len(t):
            cue = self._table.at(t, i, _PRIORITY)
            size = next((k for k in self._answer_sizes
                         if i + k <= len(t) and tuple(t[i:i + k]) in self._answer_words_set), 0)
            if t[i] in stops:
                i += 1
            elif cue is not None and cue.category in ("no", "cancel"):
                i += len(cue.words)
            elif size:
                i += size
            else:
                return False
        return True

    def no_right_after_cancel(self, a: _Analysis) -> bool:
        """A `no` cue that opens with a negation word said right after a cancel cue ("annule | surtout pas")."""
        t, i = a.tokens, 0
        while i < len(t):
            cue = self._table.at(t, i, _PRIORITY)
            if cue is None:
                i += 1
                continue
            end = i + len(cue.words)
            if cue.category == "cancel" and end < len(t):
                after = self._table.at(t, end, _PRIORITY)
                if after is not None and after.category == "no" and not _VERB_NEGATIONS.isdisjoint(after.words):
                    return True
            i = end
        return False

    def _answer(self, a: _Analysis) -> FrameOutcome:
        """Confirm, cancel, or doubt (`unclear_answer`: the dialogue asks again, nothing is done)."""
        if a.question_mark:
            return _refuse(UNCLEAR_ANSWER, "a question is not an answer")
        content, sides, kinds, unclear, last_unclear_at = self._answer_words(a)
        if content or a.symbols or a.numbers or a.stray_numbers or a.percents or a.prices or a.currency:
            # "ok mets le en route", "yes go back", "oui plus tard", "yes 3 MNQ": more than an answer
            return _refuse(UNCLEAR_ANSWER, "an answer with words that are not an answer")
        yes = a.has("yes", "yes_typed")
        negated = a.has("negations")
        refusal = a.has("no")
        cancel_verb = a.has("cancel")
        if unclear:
            # "wait, no, cancel", "vas-y... non attends, annule": a hesitation that ends on a
            # refusal is a cancel (the safe side); any other hesitation decides nothing.
            # After a yes, only a cancel verb undoes it ("yes wait no" stays unclear).
            ends_refusing = a.last_answer == "cancel" or (a.last_answer == "no" and not yes)
            if ends_refusing and a.last_answer_at > last_unclear_at and not (negated and cancel_verb):
                return FrameOutcome("accept", "cancel")
            return _refuse(UNCLEAR_ANSWER, "an answer with doubt")
        if negated:
            if yes and not refusal and not cancel_verb and a.first_word_cut and 1 in a.negation_ends:
                return _refuse(UNCLEAR_ANSWER, "a negation said alone before a yes (Korean 'ne': yes?)")
            if cancel_verb and yes and not refusal:
                # "je confirme pas, annule", "don't confirm, cancel": a refused yes and a cancel
                # say the same (and "I don't cancel, confirm" lands on the safe side).
                return FrameOutcome("accept", "cancel")
            if cancel_verb:
                return _refuse(UNCLEAR_ANSWER, "a negated cancel (keep or cancel?)")
            if yes or refusal:
                return FrameOutcome("accept", "cancel")  # "je ne valide pas": the safe side
            return _refuse("no_match", "a negation without an answer")
        if refusal and cancel_verb and self.no_right_after_cancel(a):
            # "annule surtout pas": "n'annule surtout pas" with the "ne" dropped (keep it), or "annule, surtout
            # pas" (cancel, don't send)? Asked again.
            return _refuse(UNCLEAR_ANSWER, "a cancel verb followed by a no (keep or cancel?)")
        if refusal or cancel_verb:
            if yes and a.last_answer == "cancel" and a.no_after_yes and not (sides or kinds):
                # "oui... non non annule", "yep, no no, scrap that": a no then a cancel verb said last
                # undo the yes (the safe side); "oui annule" (yes to what?) and a yes said last after
                # a no ("no... ok go") stay doubt.
                return FrameOutcome("accept", "cancel")
            if yes:
                return _refuse(UNCLEAR_ANSWER, "the sentence says yes and no")
            if sides or kinds:
                return _refuse(UNCLEAR_ANSWER, "a refusal that names what to do (a new command?)")
            return FrameOutcome("accept", "cancel")
        if sides:
            kinds.add("order")
        if len(sides) > 1 or len(kinds) > 1:
            return _refuse(UNCLEAR_ANSWER, "an answer that names two different things")
        typed_only = not a.has("yes")  # "ok", "go" alone: typed only, as in the templates
        # What the answer names is checked against the read-back by the dialogue ("yes, buy them"
        # to a sell is asked again).
        slots: dict[str, Any] = {}
        if sides:
            slots["side"] = next(iter(sides))
        if kinds:
            slots["readback"] = next(iter(kinds))
        return FrameOutcome("accept", "confirm", slots, typed_only=typed_only)

    def _read_only(self, a: _Analysis) -> FrameOutcome:
        topics = a.topics or a.weak_topics
        if a.has("period") or not self._period_nouns.isdisjoint(a.tokens):
            # "how profitable lately", "pnl for the week": today's P&L asked over a span of time is the
            # performance. (A period noun alone blocks no switch: "reduce only, I'm done for the week".)
            topics = {self._period_topics.get(t, t) for t in topics}
        if len(topics) > 1:
            return _refuse("ambiguous_intent", "several topics: " + ", ".join(sorted(topics)))
        intent = next(iter(topics))
        index = self._index_symbol(a)
        for kind in ("negations", "conditionals", "others", "modifiers", "other_assets", "limit_words", "quotes"):
            if a.has(kind) and not (kind == "other_assets" and index is not None):
                return _refuse("no_match", f"a question with {kind.replace('_', ' ')}", intent)
        if self.asks_change(a):
            return _refuse("no_match", "a change asked of a figure MIA only reports", intent)
        if intent == "status" and self.moves_mode(a):
            return _refuse("no_match", "the account's mode asked to change", intent)
        if (a.numbers or a.stray_numbers or a.percents or a.prices) and intent not in self._numeric_topics:
            # Figures belong to some questions only ("the top 10 features", "the worst 5 % of
            # cases"); elsewhere a number is something the question does not explain.
            return _refuse("no_match", "a number the question does not explain", intent)
        # One word no grammar knows may follow the topic in a question ("which features have the
        # most *impact*?"); a command-like sentence gets none ("show my positions *twice*").
        if a.unknown_after_topic > (1 if a.question_mark or a.has("questions") else 0):
            return _refuse("no_match", "words no grammar knows after the topic", intent)
        trouble, symbol = self._one_symbol(a)
        if trouble is not None:
            return trouble
        symbol = symbol or index
        if symbol is None:
            return FrameOutcome("accept", intent)
        if intent not in self._symbol_intents:
            return _refuse("no_match", f"'{intent}' does not take a market", intent)
        return FrameOutcome("accept", intent, {"symbol": symbol[0]}, {"symbol": symbol[1]})
