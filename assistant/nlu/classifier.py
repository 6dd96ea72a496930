"""Learned last-resort stage for READ-ONLY questions worded freely.

Templates (exact, fuzzy) and frames (cue words under strict rules) cannot enumerate every way a
trader asks a question: "what are the model's main drivers", "est-ce que je gagne de l'argent
ces temps-ci", "where do the three agents stand in the mix". This stage is a small linear
classifier (TF-IDF of word and character n-grams, multinomial logistic regression) that the
parser asks only about sentences every other stage refused for want of a match. It may only
answer with a read-only intent (`READ_ONLY_INTENTS`): nothing it understands moves money.

Three independent safeguards keep "wrong" at zero:

1. **Hard gates** (the frames' own detectors, `grammars/frames_*.yaml`): a side word, an
   action word (close, halt, resume), an answer (yes/no/cancel), a negation, a conditional, a
   money amount, another asset, someone else's trade, an order modifier, two markets, or a
   number that may be a quantity (a number next to a market or a contracts word, or any
   number when a market is named), a word only the grammar's commands use ("liquidate"), or a
   statement (no "?", no question word first) with a word no grammar knows ("wrap up my MNQ
   position") leave the sentence refused without asking the model; so does a wish or a thank-you
   without a "?" ("bonne journée": lexicon.yaml `courtesies`). A few cues are harmless in a
   sentence asked (`forgiven_asked`: "are we live?", "how has the account performed", a tag
   "then"); a command word inside a name ("état du pilote *auto*", `names`) or asked with "?"
   ("did the autopilot *propose* a trade?", `asked_actions`) is no sign of a command.
2. **A domain cue**: at least one domain word (`classifier_data/domain_words.yaml`), a topic
   cue of the frames, or a market. "hey how's it going" never reaches the model.
3. **A "none of these" class** trained on every refusal line of the labelled corpora, on the
   grammar's other intents and on generated out-of-domain sentences
   (`classifier_data/out_of_domain.yaml`: chit-chat, definitions, opinions, other people's
   trades), and a decision that needs both a probability and a margin over the runner-up.

Training data: sentences generated from the grammar's templates (both languages), the labelled
corpora of tests/nlu/ and the out-of-domain templates. Training is deterministic (seeded
sampling, lbfgs) and takes a second or two; the model is cached under the user's cache
directory keyed by a hash of the training data, the settings and `MODEL_VERSION`, and a
corrupt or unreadable cache file is rebuilt silently. Prediction does not use scikit-learn:
the model is kept as plain arrays and scored in a few tens of microseconds.
"""
from __future__ import annotations

import hashlib
import logging
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from assistant.grammar.expand import Part, sample_expansions
from assistant.nlu.build_cache import HERE, code_files, default_cache_dir, files_digest, note_use, write_atomically
from assistant.grammar.model import Grammar, LanguageGrammar, RangeList, TextList
from assistant.grammar.template import Alternative, Expr, RuleRef, SlotRef, Words, parse_template
from assistant.grammar.template import Sequence as Seq
from assistant.nlu.compiled import NUMBER_KIND, PERCENT_KIND, CompiledLanguage
from assistant.nlu.normalize import cached_normalize, normalize

if TYPE_CHECKING:
    from assistant.nlu.frames import FrameMatcher

__all__ = [
    "READ_ONLY_INTENTS", "NONE", "MODEL_VERSION", "ClassifierOptions", "Example", "Guess", "LinearModel",
    "ReadOnlyClassifier", "cached_model", "corpus_lines", "default_corpora", "fit_examples", "masked_words", "source_digest", "train_model",
]

log = logging.getLogger("mia.nlu.classifier")

#: The only intents this stage may produce: questions whose answer changes nothing.
READ_ONLY_INTENTS = frozenset({
    "market_regime", "performance_metrics", "shap_features", "cvar_loss", "qr_quantiles",
    "ensemble_weights", "positions", "pnl_today", "status", "help", "autopilot_status",
    "volatility_forecast",
})
NONE = "none"
"""The "none of these" class."""
#: Bump when the features, the training or the stored format change: old cache files are ignored.
MODEL_VERSION = "2"

#: (`HERE`, the package's folder, comes from build_cache: compiled with mypyc, this module's own `__file__` is the
#: compiled build's, outside the package.)
DATA_DIR = HERE / "classifier_data"
ROOT = HERE.parents[1]
CORPUS_DIR = ROOT / "tests" / "nlu"
CORPUS_PATTERNS = ("cases_*.yaml", "frames_*.yaml", "paraphrases_*.yaml")

#: Last words of a question about what a thing is for or how it works ("what's SHAP for", "how does
#: the ensemble work"); "what does QR-DQN say" asks its figures.
_EXPLAINED_ENDS = frozenset({"for", "work", "works", "function", "functions", "fonctionne", "fonctionnent"})

# Frame categories that make a sentence more than a question (see grammars/frames_*.yaml), as
# in the frames' own rules for questions ("order_modifiers" such as "per", "each" are harmless
# in a question; "all", "everything" are how a close is said: "wrap up all positions"). Negations are checked as whole phrases (see `_negation`), and a few cues of
# "chit_chat", "others", "elsewhen", "modifiers", "reduce_only_extras" and "conditionals" are forgiven (lexicon.yaml
# `forgiven`: "this week", "are we live?", "the account", a tag "then"), then the gate is checked again.
_GATES = ("close", "halt", "resume", "yes", "yes_typed", "no", "cancel", "conditionals",
          "money", "other_assets", "others", "modifiers", "chit_chat", "all", "elsewhen", "quotes",
          # a mode switch ("only exits for the rest of the day"): the frames read it, or nobody
          "reduce_only", "reduce_only_extras", "switch_on", "switch_off", "halt_extras")
_RECHECK = frozenset({"others", "chit_chat", "elsewhen", "modifiers", "reduce_only_extras", "conditionals"})
_MASKS = frozenset({"sym", "num", "pct"})
_NOT_TODAY = "#not-today"  # a marker among the topics: another period than today was named


def default_corpora() -> tuple[Path, ...]:
    """The labelled corpora of the repository (tests/nlu), sorted; empty outside a checkout."""
    found: set[Path] = set()
    for pattern in CORPUS_PATTERNS:
        found.update(CORPUS_DIR.glob(pattern))
    return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class ClassifierOptions:
    """How the stage is trained and when it answers."""

    probability: float = 0.75
    """The winning intent's probability must reach this..."""
    margin: float = 0.55
    """...and beat the runner-up (the "none" class included) by this much."""
    corpora: tuple[Path, ...] | None = None
    """Labelled corpora to learn from (None: `default_corpora()`)."""
    cache_dir: Path | None = None
    """Where the trained model is kept (None: $XDG_CACHE_HOME/mia or ~/.cache/mia)."""
    cache: bool = True
    per_template: int = 12
    """Sentences generated per template of a read-only intent (other intents: a third)."""
    regularisation: float = 16.0
    """Inverse regularisation strength C of the logistic regression."""

    def __post_init__(self) -> None:
        if not 0.0 < self.probability <= 1.0 or not 0.0 <= self.margin < 1.0:
            raise ValueError("classifier probability must be in (0, 1], margin in [0, 1)")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str
    language: str


@dataclass(frozen=True, slots=True)
class Guess:
    """What the stage made of one sentence. `intent` is None when it refused (see `reason`)."""

    intent: str | None
    probability: float = 0.0
    margin: float = 0.0
    slots: dict[str, Any] = field(default_factory=dict)
    slot_text: dict[str, str] = field(default_factory=dict)
    ranking: tuple[tuple[str, float], ...] = ()
    reason: str | None = None


# ---------------------------------------------------------------------------- features
def ngrams(doc: str) -> list[str]:
    """Word unigrams and bigrams, and character 2..5-grams inside word boundaries (the
    scikit-learn `char_wb` scheme), of a featurised sentence. Used at training time by the
    vectoriser and at prediction time by `LinearModel`, so both see exactly the same features."""
    words = doc.split()
    out = ["w " + w for w in words]
    out.extend("b " + a + " " + b for a, b in zip(words, words[1:]))
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(2, 6):
            if n > size:
                break
            out.extend("c" + padded[i:i + n] for i in range(size - n + 1))
    return out


@dataclass(frozen=True, slots=True)
class LinearModel:
    """TF-IDF + multinomial logistic regression as plain arrays (no scikit-learn at run time)."""

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    """(n_features, n_classes): the transposed coefficients, one row per feature."""
    intercept: np.ndarray

    def probabilities(self, doc: str) -> np.ndarray:
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for gram in ngrams(doc):
            index = vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if counts:
            idx = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            value = tf * self.idf[idx]
            value /= math.sqrt(float(value @ value))
            scores = value @ self.weights[idx] + self.intercept
        else:
            scores = self.intercept.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()

    def as_dict(self) -> dict[str, Any]:
        return {"version": MODEL_VERSION, "classes": list(self.classes), "vocabulary": self.vocabulary,
                "idf": self.idf, "weights": self.weights, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: Any) -> "LinearModel":
        if not isinstance(data, dict) or data.get("version") != MODEL_VERSION:
            raise ValueError("not a classifier model of this version")
        classes = tuple(str(c) for c in data["classes"])
        vocabulary = data["vocabulary"]
        idf, weights, intercept = (np.asarray(data[k], dtype=np.float64) for k in ("idf", "weights", "intercept"))
        if not isinstance(vocabulary, dict) or weights.shape != (len(vocabulary), len(classes)) \
                or idf.shape != (len(vocabulary),) or intercept.shape != (len(classes),) \
                or not np.all(np.isfinite(weights)) or not np.all(np.isfinite(idf)):
            raise ValueError("inconsistent classifier model")
        return cls(classes, vocabulary, idf, np.ascontiguousarray(weights), intercept)


def train_model(docs: Sequence[str], labels: Sequence[str], regularisation: float) -> LinearModel | None:
    """Fit TF-IDF + logistic regression (deterministic: lbfgs, no sampling); None when the data
    hold fewer than two classes (a grammar with no read-only question to tell apart)."""
    if len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    vectoriser = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, norm="l2", dtype=np.float64)
    matrix = vectoriser.fit_transform(docs)
    model = LogisticRegression(C=regularisation, max_iter=1000, tol=1e-3, class_weight="balanced")
    # One BLAS thread: on a busy 2-core machine threads fight each other (10 s instead of 0.4 s).
    with threadpool_limits(limits=1):
        model.fit(matrix, list(labels))
    vocabulary = {str(k): int(v) for k, v in vectoriser.vocabulary_.items()}
    return LinearModel(tuple(str(c) for c in model.classes_), vocabulary,
                       np.asarray(vectoriser.idf_, dtype=np.float64),
                       np.ascontiguousarray(model.coef_.T, dtype=np.float64),
                       np.asarray(model.intercept_, dtype=np.float64))


def masked_words(comp: CompiledLanguage, spaced: str) -> list[str]:
    """The words of a normalised sentence with its values masked, as the models see them: a market "sym", a
    number in digits "num" (in words it keeps its word: "a", "un" are articles too), a percentage "pct"."""
    words: list[str] = []
    for item in comp.scan_items(spaced):
        if isinstance(item, str):
            words.append(item)
        elif item.kind == PERCENT_KIND:
            words.append("pct")
        elif item.kind == NUMBER_KIND:
            words.append("num" if any(ch.isdigit() for ch in item.text) else item.text)
        elif item.kind == "symbol":
            words.append("sym")
        else:
            words.extend(item.text.split())
    return words


def source_digest(tag: str, options: ClassifierOptions, grammar: Grammar, corpora: Sequence[Path]) -> str | None:
    """Cache key of a model (`tag` tells the models apart) from what its training data and features are made
    of: the grammar files, the corpora (names: their suffix is the language), the classifier's data files and
    the code that reads them (grammar loader, scanner, frames, these modules). Cheaper than generating the
    examples on every start; None when a grammar was not read from files (then hash the examples)."""
    files = [Path(p) for p in grammar.sources]
    if not files:
        return None
    return files_digest(f"{tag}{MODEL_VERSION}|{options.per_template}|{options.regularisation}",
                        (sorted(files), list(corpora), sorted(DATA_DIR.glob("*.yaml")), code_files()))


def fit_examples(examples: Iterable[Example], featurise: Callable[[Example], str | None],
                 regularisation: float) -> LinearModel | None:
    """Featurise the examples (None or "": left out), drop repeated (document, label) pairs, fit."""
    docs: list[str] = []
    labels: list[str] = []
    seen: set[tuple[str, str]] = set()
    for ex in examples:
        doc = featurise(ex)
        if not doc or (doc, ex.label) in seen:
            continue
        seen.add((doc, ex.label))
        docs.append(doc)
        labels.append(ex.label)
    return train_model(docs, labels, regularisation)


def cached_model(path: Path, use_cache: bool, train: Callable[[], LinearModel | None], what: str) -> LinearModel | None:
    """The model stored at `path` (a corrupt, truncated or older file is retrained silently), or trained
    and stored there atomically (a read-only home: trained again next time, nothing lost)."""
    import joblib

    if use_cache and path.is_file():
        try:
            kept = LinearModel.from_dict(joblib.load(path))
            note_use(path)
            return kept
        except Exception as exc:  # corrupt, truncated, older format: rebuild it
            log.info("%s: cache %s unreadable (%s); retraining", what, path, exc)
    model = train()
    if model is not None and use_cache:
        try:
            write_atomically(path, lambda tmp: joblib.dump(model.as_dict(), tmp))
        except OSError as exc:
            log.info("%s: cannot write cache %s (%s)", what, path, exc)
    return model


# ---------------------------------------------------------------------------- training data
def _render(parts: Sequence[Part], lg: LanguageGrammar, rng: random.Random) -> str:
    words: list[str] = []
    for part in parts:
        if not isinstance(part, SlotRef):
            words.append(part)
            continue
        slot_list = lg.lists[part.list_name]
        if isinstance(slot_list, TextList):
            value = slot_list.values[rng.randrange(len(slot_list.values))]
            words.append(value.forms[rng.randrange(len(value.forms))])
        elif isinstance(slot_list, RangeList):
            number = str(rng.randint(1, 12))
            words.append(number + (" %" if slot_list.kind == "percent" else ""))
    return " ".join(w for w in words if w)


def grammar_examples(grammar: Grammar, targets: frozenset[str], per_template: int) -> list[Example]:
    """Sentences of every intent's templates: read-only intents under their own name, every
    other intent as "none" (a third of the budget: they teach what is *not* a question)."""
    out: list[Example] = []
    for code in sorted(grammar.languages):
        lg = grammar.languages[code]
        for name in sorted(lg.intents):
            label = name if name in targets else NONE
            budget = per_template if label != NONE else max(1, per_template // 3)
            for tpl in lg.intents[name].templates:
                # Seeded by the sentence itself, not its place: a sentence added to a grammar changes no other
                # sentence's samples (by place, one added line moved every later one's, and with them the
                # model's margins on lines far away: session 16).
                seed = int(hashlib.sha256(f"{code}/{name}/{tpl.text}".encode()).hexdigest()[:8], 16)
                rng = random.Random(seed)
                for parts in sample_expansions(tpl.expr, lg.rules, budget, seed=seed):
                    text = _render(parts, lg, rng)
                    if text:
                        out.append(Example(text, label, code))
    return out


def _yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader


def corpus_examples(paths: Iterable[Path], targets: frozenset[str], default_language: str) -> list[Example]:
    """Labelled lines: a read-only command under its intent, everything else (refusals,
    incomplete commands, other intents) as "none". The language is the file name's suffix."""
    out: list[Example] = []
    for line, code in corpus_lines(paths, default_language):
        intent = line.get("i")
        label = intent if isinstance(intent, str) and intent in targets and not line.get("reject") else NONE
        out.append(Example(str(line["t"]), label, code))
    return out


def corpus_lines(paths: Iterable[Path], default_language: str) -> Iterable[tuple[dict[str, Any], str]]:
    """Every labelled line ({t: ...}) of the corpora with its language, the file name's suffix."""
    for path in paths:
        stem = path.stem
        code = stem.rsplit("_", 1)[-1] if "_" in stem else default_language
        lines = _yaml(path) or []
        if not isinstance(lines, list):
            raise ValueError(f"{path}: expected a YAML list of labelled lines")
        for line in lines:
            if isinstance(line, dict) and "t" in line:
                yield line, code


def out_of_domain_examples(languages: Iterable[str], per_template: int) -> list[Example]:
    data = _yaml(DATA_DIR / "out_of_domain.yaml") or {}
    out: list[Example] = []
    for code in languages:
        for number, text in enumerate(data.get(code, ())):
            expr = parse_template(text)
            for parts in sample_expansions(expr, {}, per_template, seed=number):
                out.append(Example(" ".join(p for p in parts if isinstance(p, str)), NONE, code))
    return out


def _digest(examples: Sequence[Example], options: ClassifierOptions) -> str:
    h = hashlib.sha256(f"{MODEL_VERSION}|{options.per_template}|{options.regularisation}\n".encode())
    for ex in examples:
        h.update(f"{ex.language}\t{ex.label}\t{ex.text}\n".encode())
    return h.hexdigest()[:24]


# ---------------------------------------------------------------------------- the stage
class _Lexicon:
    """Whole words and "stem*" prefixes (normalised)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.words: set[str] = set()
        stems: set[str] = set()
        for entry in entries:
            star = entry.endswith("*")
            norm = normalize(entry.rstrip("*"))
            if not norm:
                continue
            if star:
                stems.add(norm)
            else:
                self.words.add(norm)
        self.stems = tuple(sorted(stems))

    def __contains__(self, token: str) -> bool:
        return token in self.words or token.startswith(self.stems)


#: Intents whose words are commands: a word only they use ("add", "liquidate", "raise") makes a
#: sentence a command, never a question.
ACTION_INTENTS = frozenset({"place_trade", "close_positions", "set_risk", "reduce_only", "halt", "resume",
                            "autopilot_mode"})


def _template_words(expr: Expr, rules: Mapping[str, Expr], out: set[str], seen: frozenset[str] = frozenset()) -> None:
    if isinstance(expr, Words):
        out.update(normalize(expr.text).split())
    elif isinstance(expr, RuleRef):
        if expr.name not in seen and expr.name in rules:
            _template_words(rules[expr.name], rules, out, seen | {expr.name})
    elif isinstance(expr, Seq):
        for item in expr.items:
            _template_words(item, rules, out, seen)
    elif isinstance(expr, Alternative):
        for option in expr.options:
            _template_words(option, rules, out, seen)


def action_words(grammar: Grammar, targets: frozenset[str]) -> frozenset[str]:
    """Words the templates of command intents use and no read-only question's template does
    (every language together: traders mix them)."""
    commands: set[str] = set()
    questions: set[str] = set()
    for lg in grammar.languages.values():
        for name, intent in lg.intents.items():
            bucket = commands if name in ACTION_INTENTS else questions if name in targets else None
            if bucket is not None:
                for tpl in intent.templates:
                    _template_words(tpl.expr, lg.rules, bucket)
    return frozenset(commands - questions)


def _phrases(entries: Iterable[str]) -> re.Pattern[str] | None:
    """One regex over token+space text for phrases where "stem*" is a word prefix and a lone
    "*" is a gap of one to three words ("what does * mean")."""
    alternatives: list[str] = []
    for entry in entries:
        parts: list[str] = []
        for word in entry.split():
            if word == "*":
                parts.append(r"(?:\S+ ){1,3}")
            elif word.endswith("*"):
                parts.append(re.escape(normalize(word[:-1])) + r"\S* ")
            else:
                parts.append(re.escape(normalize(word)) + " ")
        if parts:
            alternatives.append("".join(parts))
    return re.compile(r"(?<![^ ])(?:" + "|".join(alternatives) + ")") if alternatives else None


def _word_runs(entries: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases as tuples of normalised words, longest first."""
    runs = {tuple(normalize(entry).split()) for entry in entries}
    return tuple(sorted((run for run in runs if run), key=len, reverse=True))


def _covered(words: Sequence[str], runs: Sequence[tuple[str, ...]]) -> frozenset[int]:
    """The positions of `words` inside one of the phrases `runs` ("pilote auto": "auto" there is
    no command word)."""
    if not runs:
        return frozenset()
    out: set[int] = set()
    for run in runs:
        size = len(run)
        for i in range(len(words) - size + 1):
            if tuple(words[i:i + size]) == run:
                out.update(range(i, i + size))
    return frozenset(out)


class ReadOnlyClassifier:
    """The fourth stage of the parser (see the module docstring). Built with the parser."""

    def __init__(self, grammar: Grammar, compiled: Mapping[str, CompiledLanguage], frames: "FrameMatcher",
                 symbol_intents: Iterable[str], options: ClassifierOptions | None = None) -> None:
        self.options = options or ClassifierOptions()
        self._compiled = dict(compiled)
        self._frames = frames
        self._symbol_intents = frozenset(symbol_intents)
        self.targets = frozenset(name for lg in grammar.languages.values() for name in lg.intents) & READ_ONLY_INTENTS
        lexicon = _yaml(DATA_DIR / "lexicon.yaml") or {}
        self._domain = _Lexicon(w for entries in (lexicon.get("domain") or {}).values() for w in entries)
        self._definitions = _phrases(w for entries in (lexicon.get("definitions") or {}).values() for w in entries)
        self._courtesies = _phrases(w for entries in (lexicon.get("courtesies") or {}).values() for w in entries)
        self._opinions = _phrases(w for entries in (lexicon.get("opinions") or {}).values() for w in entries)
        self._not_today = _Lexicon(w for entries in (lexicon.get("not_today") or {}).values() for w in entries)
        generic = _Lexicon(w for entries in (lexicon.get("not_actions") or {}).values() for w in entries)
        self._actions = frozenset(w for w in action_words(grammar, self.targets)
                                  if w not in self._domain and w not in generic)
        self._asked_actions = frozenset(normalize(w) for entries in (lexicon.get("asked_actions") or {}).values()
                                        for w in entries)
        self._names = _word_runs(w for entries in (lexicon.get("names") or {}).values() for w in entries)
        self._not_domain = _word_runs(w for entries in (lexicon.get("not_domain") or {}).values() for w in entries)
        self._question_starts = _Lexicon(w for entries in (lexicon.get("question_starts") or {}).values()
                                         for w in entries)
        forgiven = [w for entries in (lexicon.get("forgiven") or {}).values() for w in entries]
        self._forgiven = _phrases(forgiven)
        self._forgiven_asked = _phrases(forgiven + [w for entries in (lexicon.get("forgiven_asked") or {}).values()
                                                    for w in entries])
        # Negations as whole phrases of the grammars and the frames ("can't" is "can t": the
        # frames' table also holds the single tokens "can" and "t", which a question may say).
        self._negation = _phrases(sorted({
            phrase for lg in grammar.languages.values()
            for phrase in list(lg.negations) + [str(c) for c in (lg.frames or {}).get("negations", ())]}))
        self._grammar = grammar
        self._corpora = self.options.corpora if self.options.corpora is not None else default_corpora()
        self.key = source_digest("", self.options, self._grammar, self._corpora) \
            or _digest(self.training_examples(), self.options)
        self.model = self._load_or_train()

    def training_examples(self) -> list[Example]:
        """Grammar sentences, labelled corpora and out-of-domain sentences, in a fixed order."""
        default = "en" if "en" in self._compiled else next(iter(self._compiled))
        return (grammar_examples(self._grammar, self.targets, self.options.per_template)
                + corpus_examples(self._corpora, self.targets, default)
                + out_of_domain_examples(self._compiled, self.options.per_template))

    # ------------------------------------------------------------------ model
    def _cache_file(self) -> Path:
        return (self.options.cache_dir or default_cache_dir()) / f"nlu-classifier-{self.key}.joblib"

    def _load_or_train(self) -> LinearModel | None:
        return cached_model(self._cache_file(), self.options.cache, lambda: self.train(self.training_examples()),
                            "nlu classifier")

    def train(self, examples: Sequence[Example]) -> LinearModel | None:
        """Featurise and gate the examples as sentences are at prediction time, then fit.
        Examples the gates refuse never reach the model, so they are not learnt from."""
        def featurise(ex: Example) -> str | None:
            comp = self._compiled.get(ex.language)
            prepared = self._prepare(comp, ex.text) if comp is not None else None
            return None if prepared is None or isinstance(prepared, str) else prepared[0]

        return fit_examples(examples, featurise, self.options.regularisation)

    # ------------------------------------------------------------------ prediction
    def _prepare(self, comp: CompiledLanguage, text: str) -> tuple[str, tuple[str, str] | None, frozenset[str]] | str | None:
        """(featurised sentence, the market named or None, the intents of the frames' topic cues
        said), or the reason it is refused (a string), or None when nothing is left after
        normalisation."""
        norm = cached_normalize(text)
        if not norm:
            return None
        if self._definitions is not None and self._definitions.search(norm + " "):
            return "a definition or an explanation"
        if self._opinions is not None and self._opinions.search(norm + " "):
            return "an opinion asked"
        if "?" not in text and self._courtesies is not None and self._courtesies.search(norm + " "):
            return "a courtesy (a wish, a thank-you), no question"
        spaced = comp.strip_skip(norm + " ")
        if not spaced.strip():
            return None
        if self._negation is not None and self._negation.search(spaced):
            return "a negation"
        a = self._frames.analysis(comp, spaced, text)
        if a.sides:
            return "an order word"
        recheck = None
        forgiven = self._forgiven_asked if self._asked(text, spaced) else self._forgiven
        for kind in _GATES:
            if a.has(kind):
                if kind in _RECHECK and forgiven is not None:
                    if recheck is None:
                        kept = forgiven.sub("", spaced)
                        recheck = self._frames._analyse(comp, kept, text) if kept.strip() else a
                    if not recheck.has(kind):
                        continue
                return f"a {kind.replace('_', ' ')} word"
        if self._frames.asks_change(a):
            return "a change asked of a figure MIA only reports"
        if self._frames.asks_method(a.tokens):
            return "how a figure is made: an explanation"
        if (not a.topics or "status" in a.topics) and self._frames.moves_mode(a):
            return "the account's mode asked to change (a switch MIA does not have)"
        if self._frames.names_year(a):
            return "a year: another period than the figures cover"
        said = self._frames.without_mechanism_tails(norm.split())  # ("…for, anyway": its last word is "for")
        if said[-1] in _EXPLAINED_ENDS and self._frames.ends_on_mechanism(said):
            # "what's SHAP for?", "how does the PPO DQN ensemble work": what a thing is for or how
            # it works, refused by the frames; a guess of the topic
            # would answer a question nobody asked
            return "what something is for"
        markets = {value for value, _ in a.symbols}
        if len(markets) > 1:
            return "two markets"
        if a.unclear_symbol:
            return "a spelled market followed by another letter (misheard?)"
        numbered = bool(a.numbers or a.stray_numbers or a.percents)
        if numbered and (markets or a.has("contracts")):
            return "a number that may be a quantity"
        words = masked_words(comp, spaced)
        not_domain = _covered(words, self._not_domain)
        if not (a.topics or a.weak_topics or markets
                or any(w in self._domain for i, w in enumerate(words) if i not in not_domain)):
            return "no domain word"
        named = _covered(words, self._names)
        asked = self._asked_actions if "?" in text else frozenset()
        action = next((w for i, w in enumerate(words) if w in self._actions and i not in named and w not in asked),
                      None)
        if action is not None:
            return f"a word of commands only ('{action}')"
        if "?" not in text and a.has("unclear"):
            # "my P&L is terrible today lol": doubt or a remark taken back, and no question mark
            return "doubt or a remark taken back ('lol', 'just kidding'), no question asked"
        if "?" not in text and not (words and words[0] in self._question_starts):
            known = self._frames._known
            strange = [w for w in words if w not in known and w not in self._domain and w not in _MASKS]
            if strange:
                return f"a statement with words no grammar knows ('{strange[0]}'): maybe an action"
        topics = frozenset(a.topics)
        if any(w in self._not_today for w in words):
            topics |= {_NOT_TODAY}
        return " ".join(words), (a.symbols[0] if a.symbols else None), topics

    def _asked(self, text: str, spaced: str) -> bool:
        """A question by its mark or its first word ("are we live", "is this real money?")."""
        first = spaced.split(None, 1)[:1]
        return "?" in text or (bool(first) and first[0] in self._question_starts)

    def classify(self, text: str, language: str) -> Guess:
        """The read-only intent of `text` (in `language`), or a refusal with its reason."""
        comp = self._compiled.get(language)
        if comp is None:
            return Guess(None, reason="no grammar for the language")
        prepared = self._prepare(comp, text)
        if prepared is None:
            return Guess(None, reason="empty")
        if isinstance(prepared, str):
            return Guess(None, reason=prepared)
        doc, market, topics = prepared
        if self.model is None:
            return Guess(None, reason="no model (nothing to learn from)")
        probs = self.model.probabilities(doc)
        order = np.argsort(-probs)
        ranking = tuple((self.model.classes[i], round(float(probs[i]), 4)) for i in order[:3])
        best, p_best = ranking[0]
        margin = p_best - (ranking[1][1] if len(ranking) > 1 else 0.0)
        if best == NONE or best not in self.targets:
            return Guess(None, p_best, margin, ranking=ranking, reason="none of the questions")
        if p_best < self.options.probability or margin < self.options.margin:
            return Guess(None, p_best, margin, ranking=ranking, reason="not sure enough")
        if _NOT_TODAY in topics and best == "pnl_today":
            return Guess(None, p_best, margin, ranking=ranking, reason="today's P&L asked about another period")
        topics = topics - {_NOT_TODAY}
        if topics and best not in topics:
            return Guess(None, p_best, margin, ranking=ranking, reason="the model and the topic words disagree")
        if len(topics) > 1:
            # The cue words of two questions ("which *factor* carries the most *weight*"): the
            # frames refuse it as ambiguous, and so does this stage, however sure the model is.
            return Guess(None, p_best, margin, ranking=ranking, reason="the topic words of several questions")
        if market is not None:
            if best not in self._symbol_intents:
                return Guess(None, p_best, margin, ranking=ranking, reason=f"'{best}' does not take a market")
            return Guess(best, p_best, margin, {"symbol": market[0]}, {"symbol": market[1]}, ranking)
        return Guess(best, p_best, margin, ranking=ranking)
