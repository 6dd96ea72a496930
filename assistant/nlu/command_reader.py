"""Learned last-resort reader for ORDERS and CLOSES worded freely.

Every earlier stage refuses a sentence holding a word no grammar knows next to an order's slots:
"for gods sake just sell 2 ES already", "vends-moi trois micros min, hein", "sawa sawa, you sell
seven micros now". Most such words are colour (an oath, a regional tag, a name) and the order is
plain; a few change it ("mañana", "unless"). Rules cannot list every word of colour, so this stage
asks a small linear model (the read-only classifier's features and training, assistant/nlu/
classifier.py) whether the sentence, as a whole, is an order or a close like the labelled ones, and
reads its values from the grammar's own detectors (the frames' analysis), never from the model.

It answers only when all of this holds (anything else leaves the earlier refusal standing):

1. **Only known kinds of words besides the unknown ones**: every cue the frames find belongs to
   `ALLOWED_CUES` (side words, contracts words, close and "all" words, politeness, lead-ins...). A
   negation, a condition, a time, a stop, another asset, someone else's trade, a past tense, a yes
   or a no, doubt, a price or a percentage, a question mark, a stray letter or number: refused.
2. **Values read without doubt**: an order has one side (one direction, never as a position
   noun), one market and one whole quantity of at least one; a close has a close word, no side and
   no number, and one market or "all". A value missing makes it a follow-up question
   ("how many contracts?"), as for any incomplete order.
3. **Few unknown words**: at most `max_unknown`, and fewer than the known words.
4. **The model agrees**, sure enough: its best class is the intent the cues say, with
   `probability` and a `margin` over the runner-up (the "none" class learnt from every refusal
   line of the corpora, the grammar's other intents and out-of-domain sentences).

What it reads is always read back and waits for the trader's "yes" (every order and close is), so
a sentence it reads wrongly costs a "no", never a trade. Its results carry method "learned".
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz.distance import OSA  # a swap of two letters is one edit ("jamias")

from assistant.grammar.model import Grammar
from assistant.nlu.build_cache import default_cache_dir
from assistant.nlu.classifier import (
    ClassifierOptions, NONE, Example, LinearModel, _digest, cached_model, corpus_lines, default_corpora,
    fit_examples, grammar_examples, masked_words, out_of_domain_examples, source_digest,
)
from assistant.nlu.compiled import CompiledLanguage
from assistant.nlu.normalize import cached_normalize, normalize

if TYPE_CHECKING:
    from assistant.nlu.frames import FrameMatcher, _Analysis

__all__ = ["ALLOWED_CUES", "COMMAND_INTENTS", "CommandGuess", "CommandReader", "CommandReaderOptions"]

log = logging.getLogger("mia.nlu.command_reader")

#: The intents this stage may read.
COMMAND_INTENTS = frozenset({"place_trade", "close_positions"})
#: Cue categories of the frames (grammars/frames_*.yaml) a sentence read here may hold: the words
#: of an order or a close and the harmless words around one. Any other cue refuses it.
ALLOWED_CUES = frozenset({
    "side", "contracts", "articles", "close", "all", "neutral", "polite", "greetings", "lead_ins",
    "requests", "addressees", "paper_words", "stress_words", "name_only", "answer_fillers",
    # a yes opening a command out of a read-back is a filler (session 17): "ja take 1 micro"
    "yes", "yes_typed",
    # words that only mean something next to a value this stage never reads (a price, a percentage):
    # "load *up* 4 ES", "buy 10 micros *off* the offer", "sell *a* wee micro" (French "à")
    "relative", "switch_off", "to_markers", "price_markers",
})


@dataclass(frozen=True, slots=True)
class CommandReaderOptions(ClassifierOptions):
    """The classifier's training options (corpora, cache, sampling, regularisation), stricter decision
    thresholds (an order is at stake, not a question), and how many unknown words a sentence may hold."""

    probability: float = 0.85
    margin: float = 0.6
    max_unknown: int = 3


@dataclass(frozen=True, slots=True)
class CommandGuess:
    """What the stage made of a sentence: `intent` None is a refusal (`reason` says why); `missing`
    names the values an incomplete command lacks (then it is a follow-up, never executed)."""

    intent: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    slot_text: dict[str, str] = field(default_factory=dict)
    probability: float = 0.0
    missing: tuple[str, ...] = ()
    reason: str | None = None


def corpus_commands(paths: Iterable[Path], targets: frozenset[str], default_language: str) -> list[Example]:
    """Labelled lines: an order or a close (said whole, or a follow-up's start) under its intent,
    every other line (questions, refusals, other commands) as "none". Answers said while a read-back
    waits are left out (they are read by the dialogue, not here)."""
    out: list[Example] = []
    for line, code in corpus_lines(paths, default_language):
        if line.get("context"):
            continue
        intent = line.get("i") if not line.get("reject") else None
        if intent is None:
            intent = line.get("followup")
        label = intent if isinstance(intent, str) and intent in targets else NONE
        out.append(Example(str(line["t"]), label, code))
    return out


class CommandReader:
    """The learned reader of orders and closes (see the module docstring). Built with the parser."""

    def __init__(self, grammar: Grammar, compiled: Mapping[str, CompiledLanguage], frames: "FrameMatcher",
                 options: CommandReaderOptions | None = None) -> None:
        self.options = options or CommandReaderOptions()
        self._compiled = dict(compiled)
        self._frames = frames
        self._grammar = grammar
        self.targets = frozenset(name for lg in grammar.languages.values() for name in lg.intents) & COMMAND_INTENTS
        self._corpora = self.options.corpora if self.options.corpora is not None else default_corpora()
        data = [lg.frames for lg in grammar.languages.values() if lg.frames]
        #: Words that leave a sentence unfinished when said last ("achète 2 ES *à*", "close everything *and*").
        self._open_ends = _words(data, ("order_unfinished", "order_joins", "to_markers", "price_markers", "limit_words"),
                                 single=True)
        #: Words joining a second thing to the command ("ferme tout *et* le frigo").
        self._joins = _words(data, ("order_joins",), single=True)
        #: Words that make a value approximate ("vends *genre* deux micros", "about", "environ").
        self._hedges = _words(data, ("value_hedges", "approximate"), single=False)
        #: Modals that make an order a wish or advice ("we must close everything on MNQ", "je devrais vendre").
        self._modals = _words(data, ("preference_modals",), single=False)
        #: Words that point a value somewhere ("lift the offer two *to* ES": 2? 22? a price?).
        self._pointers = _words(data, ("to_markers", "price_markers"), single=True)
        #: Other markets of every language ("buy three micros, *NQ*").
        self._other_assets = _words(data, ("other_assets",), single=True)
        #: Side words by direction ("vte 2 es long": an abbreviated sale beside a buy).
        self._side_words = {side: _words(data, (f"sides.{side}",), single=True) | frozenset(
            form for comp in self._compiled.values() for form, value in comp.text_values.get("side", {}).items()
            if value == side and " " not in form) for side in ("BUY", "SELL")}
        #: Words whose typo or abbreviation changes a command ("vte" for "vente", "jamias", "shortly").
        self._meaning_words = frozenset(w for w in _words(data, ("sides", "close", "negations"), single=True)
                                        .union(*self._side_words.values()) if len(w) >= 3)
        #: Numbers said in words, every language ("two", "deux").
        self._number_words = frozenset().union(*(comp.numbers.words for comp in self._compiled.values()))
        #: Markets said in several words ("micro nasdaq"), normalised.
        self._market_names = frozenset(name for comp in self._compiled.values()
                                       for name in comp.text_values.get("symbol", {}) if " " in name)
        self.model = self._load_or_train() if self.targets else None

    # ------------------------------------------------------------------ model
    def training_examples(self) -> list[Example]:
        default = "en" if "en" in self._compiled else next(iter(self._compiled))
        return (grammar_examples(self._grammar, self.targets, self.options.per_template)
                + corpus_commands(self._corpora, self.targets, default)
                + out_of_domain_examples(self._compiled, self.options.per_template))

    def _load_or_train(self) -> LinearModel | None:
        key = source_digest("cmd|", self.options, self._grammar, self._corpora) \
            or _digest(self.training_examples(), self.options)
        path = (self.options.cache_dir or default_cache_dir()) / f"nlu-commands-{key}.joblib"
        return cached_model(path, self.options.cache, lambda: self.train(self.training_examples()), "command reader")

    def train(self, examples: Sequence[Example]) -> LinearModel | None:
        def featurise(ex: Example) -> str:
            comp = self._compiled.get(ex.language)
            return self.featurise(comp, ex.text) if comp is not None else ""

        return fit_examples(examples, featurise, self.options.regularisation)

    @staticmethod
    def featurise(comp: CompiledLanguage, text: str) -> str:
        """The sentence's words with its values masked: a market "sym", a number "num" (a number
        said in words keeps its word: "a", "un" are articles too), a percentage "pct"."""
        norm = cached_normalize(text)
        if not norm:
            return ""
        words = masked_words(comp, comp.strip_skip(norm + " "))
        return " ".join(words)

    # ------------------------------------------------------------------ reading
    def read(self, text: str, language: str) -> CommandGuess:
        comp = self._compiled.get(language)
        if comp is None or self.model is None:
            return CommandGuess(None, reason="no grammar or no model")
        if "?" in text:
            return CommandGuess(None, reason="asked as a question")
        norm = cached_normalize(text)
        spaced = comp.strip_skip(norm + " ") if norm else ""
        if not spaced.strip():
            return CommandGuess(None, reason="empty")
        a = self._frames.analysis(comp, spaced, text)
        other = next((kind for kind in a.categories if kind not in ALLOWED_CUES), None)
        if other is not None:
            return CommandGuess(None, reason=f"a '{other}' word")
        if a.prices or a.percents or a.stray_numbers or a.stray_letters or a.currency \
                or a.unclear_symbol or a.unclear_side or a.side_nouns:
            return CommandGuess(None, reason="a value read with doubt")
        known = len(a.tokens) - a.unknown_words
        if a.unknown_words > self.options.max_unknown or a.unknown_words >= known:
            return CommandGuess(None, reason="too many unknown words")
        cued = self._cued_intent(a)
        if cued is None:
            return CommandGuess(None, reason="neither an order's nor a close's words")
        # the values before the model and the doubts: "buy two three ES" (two numbers) is refused by a cheap
        # look at the analysis, not after the model and the word-by-word checks (the same refusal either way)
        guess = self._values(comp, a, cued, 0.0)
        if guess.intent is None:
            return guess
        probs = self.model.probabilities(self.featurise(comp, text))
        order = np.argsort(-probs)
        best = self.model.classes[int(order[0])]
        p_best = float(probs[order[0]])
        margin = p_best - (float(probs[order[1]]) if len(order) > 1 else 0.0)
        if best != cued or p_best < self.options.probability or margin < self.options.margin:
            return CommandGuess(None, probability=p_best, reason=f"the model is not sure ({best} {p_best:.2f})")
        # the word-by-word doubts last: the dearest check, asked only of a sentence every other check let through
        doubt = self._doubt(a.tokens, text)
        if doubt is not None:
            return CommandGuess(None, probability=p_best, reason=doubt)
        return replace(guess, probability=p_best)

    def _doubt(self, tokens: Sequence[str], text: str) -> str | None:
        """Why the words around the order leave it in doubt, or None."""
        if not tokens or tokens[-1] in self._open_ends or len(tokens[-1]) == 1:
            return "an unfinished sentence"
        for side, words in self._side_words.items():
            other = self._side_words["SELL" if side == "BUY" else "BUY"]
            if any(t in words for t in tokens) and any(
                    len(t) >= 2 and t not in other and t not in words and any(_near(t, w) for w in other if len(w) >= 4)
                    for t in tokens):
                return "a word like a side word of the other direction"
        if any(t in self._joins for t in tokens[:-1]):
            return "a second thing joined to the command"
        if any(t in self._other_assets for t in tokens):
            return "another market named"
        said = f" {' '.join(tokens)} "
        if any(f" {hedge} " in said for hedge in self._hedges):
            return "a value said approximately"
        if any(f" {modal} " in said for modal in self._modals):
            return "a modal: a wish or advice, not an order"
        for i, token in enumerate(tokens):
            if token in self._pointers and any(
                    0 <= j < len(tokens) and (tokens[j].isdigit() or tokens[j] in self._number_words) for j in (i - 1, i + 1)):
                return f"'{token}' beside a number: a price, or a misheard number?"
        known = self._frames.known_words
        for token in tokens:
            if token not in self._meaning_words and any(
                    token.startswith(word) for word in self._meaning_words if len(word) >= 4):
                return f"'{token}' holds a command word ('shortly', 'buyers')"
            if token in known or token.isdigit():
                continue
            if len(token) <= 2:
                return f"a fragment ('{token}'): a misheard or mistyped word?"
            if any(_near(token, word) for word in self._meaning_words):
                return f"'{token}' may be a command word mistyped"
        pieces = [normalize(piece) for piece in _MARKS.split(text)]
        if len(pieces) > 1 and not self._markets_whole(tokens, pieces):
            return "a market's words split by a mark"
        said_words = [w for piece in pieces for w in (*piece.split(), "|")]
        for i, word in enumerate(said_words[1:], 1):
            before = said_words[i - 1]
            if (word in self._side_words["BUY"] or word in self._side_words["SELL"]) and before != "|" \
                    and before not in known and not before.isdigit():
                # "kablooey buy 2 ES", "force buy 2 ES": a word no grammar knows right before the order's verb may
                # be a verb of its own governing it (an unknown word cut off by a mark is an exclamation)
                return f"an unknown word right before the side ('{before}')"
        return None

    def _markets_whole(self, tokens: Sequence[str], pieces: Sequence[str]) -> bool:
        """Every market said in several words stands in one piece between marks ("micro, nasdaq" is no
        micro nasdaq)."""
        for name in self._market_names:
            if f" {name} " in f" {' '.join(tokens)} " and not any(f" {name} " in f" {p} " for p in pieces):
                return False
        return True

    def _cued_intent(self, a: "_Analysis") -> str | None:
        directions = {side for side, _ in a.sides}
        if a.has("close"):
            if directions or a.numbers or a.has("articles", "contracts", "relative", "switch_off", "price_markers") \
                    or (a.symbols and a.has("all")):
                # "close *an* ES", "close *a* single micro" (a part?), "shut it all *down*" (a halt?), "close ES,
                # everything"
                return None
            return "close_positions"
        if len(directions) == 1 and not a.has("all"):
            return "place_trade"
        return None

    def _values(self, comp: CompiledLanguage, a: "_Analysis", intent: str, probability: float) -> CommandGuess:
        markets = {value for value, _ in a.symbols}
        if len(markets) > 1:
            return CommandGuess(None, reason="two markets")
        slots: dict[str, Any] = {}
        slot_text: dict[str, str] = {}
        if a.symbols:
            slots["symbol"], slot_text["symbol"] = a.symbols[0]
        if intent == "close_positions":
            if not slots and a.has("all"):
                slots["scope"], slot_text["scope"] = "all", "all"
            missing: tuple[str, ...] = () if slots else ("symbol",)
            return CommandGuess(intent, slots, slot_text, probability, missing)
        side, side_text = a.sides[0]
        slots["side"], slot_text["side"] = side, side_text
        if len(a.numbers) > 1:
            return CommandGuess(None, reason="two numbers")
        if a.numbers:
            item, _ = a.numbers[0]
            value = comp.literal_value(item)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                return CommandGuess(None, reason="not a whole number of contracts")
            slots["quantity"], slot_text["quantity"] = value, item.text
        missing = tuple(name for name in ("quantity", "symbol") if name not in slots)
        return CommandGuess(intent, slots, slot_text, probability, missing)


#: Punctuation that separates pieces of a sentence (a decimal point between digits does not).
_MARKS = re.compile(r"[,;:!?]|\.(?!\d)")


def _words(data: Sequence[Mapping[str, Any]], keys: Sequence[str], *, single: bool) -> frozenset[str]:
    """The normalised words of the frames' `keys` in every language (a mapping's values included:
    "sides" is BUY/SELL -> phrases); `single`: one-word entries only."""
    out: set[str] = set()

    def add(entry: Any) -> None:
        if isinstance(entry, Mapping):
            for value in entry.values():
                add(value)
        elif isinstance(entry, (list, tuple)):
            for value in entry:
                add(value)
        elif isinstance(entry, str):
            words = normalize(entry.rstrip("*")).split()
            if words and (len(words) == 1 or not single):
                out.add(" ".join(words))

    for frames in data:
        for key in keys:
            name, _, part = key.partition(".")
            entry = frames.get(name)
            add(entry.get(part) if part and isinstance(entry, Mapping) else entry)
    return frozenset(out)


def _near(token: str, word: str) -> bool:
    """`token` may be `word` mistyped or cut short: it starts with it ("shortly"), or it is an
    abbreviation of it (its letters in order, the same first letter: "vte", "ach"), or one edit
    away ("jamias")."""
    if token.startswith(word) or (word.startswith(token) and len(token) >= 3):
        return True
    if token[0] == word[0] and len(token) < len(word):
        it = iter(word)
        if all(ch in it for ch in token):
            return True
    return abs(len(token) - len(word)) <= 1 and OSA.distance(token, word, score_cutoff=1) <= 1
