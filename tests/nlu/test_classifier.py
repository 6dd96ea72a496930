"""The learned last stage for read-only questions (assistant/nlu/classifier.py).

It may only ever produce a read-only intent, never accept a line any corpus labels as a
refusal, never act on a sentence with an order word, a number next to a market, a negation...,
and it must generalise: each blind held-out set is scored by a classifier trained without it
(cross-set), against floors measured when it was built. Training is deterministic and cached;
a corrupt cache file is rebuilt silently."""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.nlu.classifier import (
    NONE,
    READ_ONLY_INTENTS,
    ClassifierOptions,
    LinearModel,
    ReadOnlyClassifier,
    default_corpora,
    ngrams,
)
from assistant.nlu.parser import Parser

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HELD_OUT = {
    "heldout2": (HERE / "paraphrases_heldout2_fr.yaml", HERE / "paraphrases_heldout2_en.yaml"),
    "heldout1": (HERE / "paraphrases_heldout1_fr.yaml", HERE / "paraphrases_heldout1_en.yaml"),
}
#: Cross-set floors (bench/classifier_crossset.py when the stage was built): the overall share
#: of correct lines of each held-out file with the classifier trained WITHOUT that set. Other
#: stages improving only raises these; the classifier must not lower them.
CROSS_SET_FLOORS = {
    "paraphrases_heldout2_fr.yaml": 0.835, "paraphrases_heldout2_en.yaml": 0.835,
    "paraphrases_heldout1_fr.yaml": 0.915, "paraphrases_heldout1_en.yaml": 0.825,
}


@functools.cache
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("paraphrase_acceptance", ROOT / "bench" / "paraphrase_acceptance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _lines(path: Path) -> list[dict[str, Any]]:
    return [c for c in yaml.safe_load(path.read_text(encoding="utf-8")) if isinstance(c, dict) and "t" in c]


def _stage(parser: Parser, **options: Any) -> ReadOnlyClassifier:
    symbol_intents = [name for name in parser.intents() if "symbol" in parser.slot_names(name)]
    return ReadOnlyClassifier(parser.grammar, parser._compiled, parser._frames,  # type: ignore[arg-type]
                              symbol_intents, ClassifierOptions(**options))


@contextlib.contextmanager
def _swapped(parser: Parser, **attributes: Any) -> Iterator[Parser]:
    """The session parser with some attributes replaced while the block runs (compiling the grammar again takes
    seconds, and a parser compiled with mypyc, assistant/nlu/native.py, cannot be copied)."""
    kept = {name: getattr(parser, name) for name in attributes}
    try:
        for name, value in attributes.items():
            setattr(parser, name, value)
        yield parser
    finally:
        for name, value in kept.items():
            setattr(parser, name, value)


def test_the_project_parser_has_the_stage(parser: Parser) -> None:
    stage = parser._classifier
    assert stage is not None and stage.model is not None
    assert set(stage.model.classes) <= READ_ONLY_INTENTS | {NONE}
    assert NONE in stage.model.classes and len(stage.model.classes) >= 10


def test_it_answers_freely_worded_read_only_questions(parser: Parser) -> None:
    # Asked of the stage itself: other stages may learn some of these phrasings later. A learned
    # model is scored on the set: most understood, none understood as another question.
    stage = parser._classifier
    assert stage is not None
    questions = (
        ("where do the three agents stand in the mix", "en", "ensemble_weights"),
        ("quels facteurs font bouger les prédictions ?", "fr", "shap_features"),
        ("le modèle estime quoi comme perte moyenne sur les très mauvais jours ?", "fr", "cvar_loss"),
        ("répartition des votes entre les agents", "fr", "ensemble_weights"),
        ("quels indicateurs comptent le plus pour l'IA ?", "fr", "shap_features"),
        ("which inputs drive the model's decisions the most", "en", "shap_features"),
        ("how much could I lose on a really bad day according to the model", "en", "cvar_loss"),
        ("how are the votes split between the agents", "en", "ensemble_weights"),
    )
    right = 0
    for text, lang, intent in questions:
        guess = stage.classify(text, lang).intent
        assert guess in (None, intent), (text, guess)
        result = parser.parse(text)
        assert not result.matched or result.intent == intent, (text, result.intent)
        right += guess == intent and result.matched
    assert right >= len(questions) - 2, right


CorpusParses = list[tuple[Path, dict[str, Any], Any]]  # (corpus file, its line, the parse)


@pytest.fixture(scope="module")
def corpus_parses(parser: Parser) -> CorpusParses:
    """Every line of every corpus parsed once by the session's parser, read by the two tests below (the
    refusals are a part of all the lines; `Parser.parse` does not mutate the parser: same results)."""
    return [(path, case, parser.parse(str(case["t"]))) for path in default_corpora() for case in _lines(path)]


@pytest.mark.slow
def test_it_never_returns_anything_but_a_read_only_intent(corpus_parses: CorpusParses) -> None:
    for _, case, result in corpus_parses:
        if result.method == "classifier":
            assert result.matched and result.intent in READ_ONLY_INTENTS, case["t"]
            assert set(result.slots) <= {"symbol"} and result.reason is None


@pytest.mark.slow
def test_refusals_stay_refused(corpus_parses: CorpusParses) -> None:
    # Every line a corpus labels as a refusal or an incomplete command: whatever the other
    # stages do with it, the classifier never accepts it.
    checked = 0
    for path, case, result in corpus_parses:
        if case.get("reject") or "followup" in case:
            checked += 1
            assert result.method != "classifier", (path.name, case["t"], result.intent)
    assert checked > 400


@pytest.mark.parametrize("text", [
    # chit-chat, opinions, definitions and explanations, other people's money
    "hey how's it going", "salut ça va", "tell me a joke about the model", "bonne journée",
    "crazy market today huh", "comment on calcule la CVaR ?", "c'est quoi un régime de marché ?",
    "what is a quantile", "explain the sharpe ratio to me", "explique-moi le ratio de sharpe",
    "how much did my friend make today", "combien mon patron a gagné aujourd'hui",
    "do you think the market will go up tomorrow", "P&L for last week", "le P&L de la semaine dernière",
    "what does CVaR mean", "que veut dire shap",
    # judgements and comments said about MIA's own figures, other periods
    "my P&L is terrible today lol", "les agents se disputent encore", "is the regime detector reliable",
    "show me last week's performance",
    # (not "ça donne quoi les résultats depuis lundi ?": the frames read it as the performance metrics, results over
    # a period (`period_topics`), and since session 18 the classifier, retrained, agrees with them)
])
def test_out_of_domain_is_refused(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert result.method != "classifier"
    assert parser._classifier is not None and parser._classifier.classify(text, result.language or "en").intent is None


@pytest.mark.parametrize("text, lang, why", [
    ("buy me the model's favourite features", "en", "order"),
    ("show my positions then sell them", "en", "order"),
    ("what does the model weigh most, then close everything", "en", "close"),
    ("stop showing me the regime", "en", "halt"),
    ("don't tell me the ensemble weights", "en", "negation"),
    ("ne me montre pas les poids des agents", "fr", "negation"),
    ("if the market is trending what are the model's drivers", "en", "conditional"),
    ("si le marché est en tendance montre les quantiles", "fr", "conditional"),
    ("what regime is gold in", "en", "other asset"),
    ("what are the model's drivers on ES and MNQ", "en", "two markets"),
    ("positions 2 ES", "en", "quantity"),
    ("les poids des agents pour 3 contrats", "fr", "quantity"),
    ("what's my friend's tail risk", "en", "someone else"),
    ("yes show the quantiles", "en", "answer"),
    ("wrap up all positions", "en", "an 'all' cue: how a close is said"),
    ("what can't the model see", "en", "negation"),
    ("wrap up my MNQ position", "en", "a statement with a word no grammar knows: maybe an action"),
    ("liquidate my ES position", "en", "a word only commands use"),
    # session 15 (nlu31): a wish without "?" ("journée" is a word of today's P&L); "ai" of "j'ai" is no AI
    ("bonne journée", "fr", "a courtesy"), ("have a good session", "en", "a courtesy"),
    ("j'ai faim", "fr", "no domain word: 'ai' is the verb"),
    # live, the account, "then", "propose" are forgiven only in a sentence asked
    ("trade the real account", "en", "a switch to live, said"), ("use the live account", "en", "said"),
    ("weights then", "en", "a conditional 'then' in a statement"), ("autopilot propose", "en", "a switch said"),
    ("mode auto", "fr", "a switch: 'auto' is a name only in 'pilote auto'"),
])
def test_gates_refuse_before_the_model(parser: Parser, text: str, lang: str, why: str) -> None:
    stage = parser._classifier
    assert stage is not None
    guess = stage.classify(text, lang)
    assert guess.intent is None and guess.ranking == (), (why, guess)  # never reached the model
    result = parser.parse(text)
    assert result.method != "classifier"


@pytest.mark.parametrize("text, lang", [
    # cues the frames block in any sentence, harmless in a question: the token "can" of "can't",
    # "per", a dislocated pronoun, "what does ... say"
    ("can you remind me what the agents weigh", "en"), ("how bad is the tail, per the model", "en"),
    ("le PPO, il a combien de poids ?", "fr"), ("what does the QR-DQN say", "en"),
    # session 15 (nlu31): live or paper, the account, a tag "then", "et sinon", a mode word inside a name or asked
    ("t'es en live là ?", "fr"), ("How has the account performed recently?", "en"), ("where we at on P&L then", "en"),
    ("et sinon le sharpe ?", "fr"), ("état du pilote auto", "fr"), ("did the autopilot propose a trade?", "en"),
    ("Que pouvez-vous faire ?", "fr"),
])
def test_cues_harmless_in_a_question_do_not_gate(parser: Parser, text: str, lang: str) -> None:
    stage = parser._classifier
    assert stage is not None
    assert stage.classify(text, lang).ranking != ()  # reached the model


def test_a_market_only_when_exactly_one_is_named(parser: Parser) -> None:
    stage = parser._classifier
    assert stage is not None
    one = stage.classify("quels facteurs font bouger les prédictions sur ES ?", "fr")
    assert one.intent == "shap_features" and one.slots == {"symbol": "ES"}
    none = stage.classify("quels facteurs font bouger les prédictions ?", "fr")
    assert none.intent == "shap_features" and none.slots == {}
    two = stage.classify("quels facteurs font bouger les prédictions sur ES et MNQ ?", "fr")
    assert two.intent is None and two.ranking == ()


def test_no_stage_without_fuzzy_matching_or_when_disabled(parser: Parser) -> None:
    # (the session parser, fuzzy matching off for a moment: compiling the grammar again takes seconds)
    assert parser._build_classifier(False) is None
    with _swapped(parser, fuzzy_enabled=False) as exact_only:
        assert exact_only._build_classifier(True) is None


@pytest.fixture(scope="module")
def cross_set(parser: Parser, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReadOnlyClassifier]:
    cache = tmp_path_factory.mktemp("clf-cross")
    return {name: _stage(parser, cache_dir=cache, corpora=tuple(p for p in default_corpora() if p not in held))
            for name, held in HELD_OUT.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_cross_set_generalisation(parser: Parser, cross_set: dict[str, ReadOnlyClassifier], name: str) -> None:
    """Each blind held-out set, scored by a classifier that never saw it: above its floor, and
    the classifier wrong at most once per set (both languages)."""
    bench = _bench()
    wrong_by_classifier: list[str] = []
    for path in HELD_OUT[name]:
        cases = bench.load_cases(path)
        ok = 0
        for case in cases:
            with _swapped(parser, _classifier=cross_set[name]) as other:
                result = other.parse(str(case["t"]))
            verdict = bench.judge(case, result)
            ok += verdict.ok
            if verdict.wrong and result.method == "classifier":
                wrong_by_classifier.append(str(case["t"]))
        assert ok / len(cases) >= CROSS_SET_FLOORS[path.name], f"{path.name}: {ok}/{len(cases)}"
    assert len(wrong_by_classifier) <= 1, wrong_by_classifier


@pytest.mark.slow
def test_training_is_deterministic_cached_and_survives_a_corrupt_cache(parser: Parser, tmp_path: Path) -> None:
    first = _stage(parser, cache_dir=tmp_path)
    files = list(tmp_path.glob("nlu-classifier-*.joblib"))
    assert len(files) == 1 and first.key in files[0].name and first.model is not None
    cached = _stage(parser, cache_dir=tmp_path)  # loaded, not trained
    for garbage in (b"not a joblib file at all", files[0].read_bytes()[:100]):
        files[0].write_bytes(garbage)
        again = _stage(parser, cache_dir=tmp_path)  # corrupt: retrained silently, file rewritten
        assert again.model is not None
        for model in (cached.model, again.model):
            assert model is not None
            assert model.classes == first.model.classes and model.vocabulary == first.model.vocabulary
            assert np.array_equal(model.weights, first.model.weights)
            assert np.array_equal(model.intercept, first.model.intercept)
        assert LinearModel.from_dict(__import__("joblib").load(files[0])).classes == first.model.classes
    # Another training set is another key, hence another file: a stale model is never used.
    fewer = _stage(parser, cache_dir=tmp_path, corpora=default_corpora()[:2])
    assert fewer.key != first.key and len(list(tmp_path.glob("nlu-classifier-*.joblib"))) == 2


def test_the_fast_scorer_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from assistant.nlu.classifier import train_model

    docs = ["show the regime", "market regime on sym", "what are the drivers", "top features of the model",
            "tell me a joke", "hello there", "ensemble weights", "weights of the agents"]
    labels = ["market_regime", "market_regime", "shap_features", "shap_features", NONE, NONE,
              "ensemble_weights", "ensemble_weights"]
    model = train_model(docs, labels, 8.0)
    assert model is not None
    vec = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, norm="l2")
    ref = LogisticRegression(C=8.0, max_iter=1000, tol=1e-3, class_weight="balanced").fit(vec.fit_transform(docs), labels)
    for doc in ("what is the regime", "the agents weights", "unknown words only zzz", ""):
        assert np.allclose(model.probabilities(doc), ref.predict_proba(vec.transform([doc]))[0], atol=1e-9)
    assert train_model(docs[:2], labels[:2], 8.0) is None  # one class: nothing to tell apart
