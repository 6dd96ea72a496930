"""Recogniser vocabularies compiled from the grammars: JSGF (PocketSphinx) and Vosk phrases."""
from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pocketsphinx
import pytest

from assistant.grammar import load_grammar
from assistant.grammar.compile import (
    GrammarWarning, compile_jsgf, jsgf_pronunciations, pocketsphinx_dictionary, spoken_words, to_jsgf,
    vosk_phrases,
)
from assistant.nlu.parser import Parser


@pytest.fixture(scope="module")
def grammar():
    return load_grammar()


@pytest.fixture(scope="module")
def jsgf_en(grammar) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GrammarWarning)
        return to_jsgf(grammar, "en")


def _decoder(jsgf: str) -> pocketsphinx.Decoder:
    # bestpath=False: the lattice pass is slow and less accurate with a grammar this size.
    decoder = pocketsphinx.Decoder(lm=None, samprate=16000, loglevel="FATAL", bestpath=False)
    for word, alternatives in jsgf_pronunciations(jsgf).items():  # the grammar's pronunciations: section
        for n, phones in enumerate(alternatives):
            decoder.add_word(word if n == 0 else f"{word}({n + 1})", phones, True)
    decoder.add_jsgf_string("mia", jsgf)
    decoder.activate_search("mia")
    return decoder


def test_english_jsgf_loads_into_pocketsphinx(jsgf_en: str, tmp_path: Path) -> None:
    assert jsgf_en.startswith("#JSGF V1.0;\ngrammar mia_en;")
    assert "public <command> = <intent_place_trade> |" in jsgf_en
    _decoder(jsgf_en)                                    # add_jsgf_string + activate
    # Decoder(jsgf=FILE): the words of the pronunciations: section go in a dictionary file.
    path = tmp_path / "mia_en.gram"
    path.write_text(jsgf_en, encoding="utf-8")
    dic = tmp_path / "extra.dict"
    base = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    extra = [f"{w}{'' if n == 0 else f'({n + 1})'} {p}" for w, alts in jsgf_pronunciations(jsgf_en).items()
             for n, p in enumerate(alts)]
    dic.write_text(base.read_text(encoding="utf-8") + "\n".join(extra) + "\n", encoding="utf-8")
    pocketsphinx.Decoder(jsgf=str(path), dict=str(dic), samprate=16000, loglevel="FATAL")


def test_jsgf_words_are_lowercase_dictionary_words(jsgf_en: str) -> None:
    dictionary = pocketsphinx_dictionary()
    assert dictionary is not None
    dictionary = dictionary | set(jsgf_pronunciations(jsgf_en))  # + the grammar's pronunciations: section
    bodies = " ".join(line.split("=", 1)[1] for line in jsgf_en.splitlines() if line.startswith(("<", "public")))
    words = set(re.findall(r"[^\s<>\[\]()|;]+", re.sub(r"<[\w.]+>", " ", bodies)))
    assert words and words <= dictionary, sorted(words - dictionary)
    assert all(w == w.lower() and not any(c.isdigit() for c in w) for w in words)
    assert "e s" in jsgf_en and "m n q" in jsgf_en and "s and p five hundred" in jsgf_en
    # Numbers are sub-rules, not exploded lists.
    assert "<num_n99> = <num_tens> [<num_unit>] | <num_teen> | <num_unit>;" in jsgf_en
    assert len(jsgf_en) < 40_000


def test_out_of_vocabulary_words_are_reported_and_skipped() -> None:
    # Without grammars/pronunciations_en.yaml, the words the dictionary lacks are left out, warned.
    grammars = Path(__file__).resolve().parents[2] / "grammars"
    bare = load_grammar([p for p in sorted(grammars.glob("*.yaml")) if not p.name.startswith("pronunciations")])
    with pytest.warns(GrammarWarning, match="not in the PocketSphinx dictionary.*quantiles"):
        to_jsgf(bare, "en")
    result = compile_jsgf(bare, "en")
    assert {"quantiles", "cvar", "mnq"} & result.missing_words == {"quantiles", "cvar"}
    assert any("micro nas" in s for s in result.skipped)
    # The intent stays reachable through its other phrasings.
    assert "<intent_qr_quantiles> =" in result.text and "distribution of returns" in result.text


def test_pronunciations_make_missing_words_sayable(grammar) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", GrammarWarning)  # nothing left out of the project grammar
        result = compile_jsgf(grammar, "en")
    assert not result.missing_words
    assert {"cvar", "qr", "dqn", "quantiles", "pnl", "emini", "nas", "unhalt", "unpause", "importances",
            "var", "quantile"} <= set(result.pronunciations)
    carried = jsgf_pronunciations(result.text)
    assert carried["cvar"] == ["S IY V AA R", "S IY V AE R"] and carried["qr"] == ["K Y UW AA R"]
    # Only the words this grammar uses travel with it; French has no dictionary check, no list.
    assert not compile_jsgf(grammar, "fr").pronunciations


def test_other_grammars_and_languages(coffee_path: Path) -> None:
    with pytest.warns(GrammarWarning, match="cappuccinos"):   # not in the CMU dictionary
        coffee = to_jsgf(coffee_path, "en")
    assert "latte | espresso" in coffee and "<list_count> = <num_n99> | zero;" in coffee
    _decoder(coffee)
    french = compile_jsgf(load_grammar(), "fr")          # no French dictionary: nothing skipped
    assert not french.missing_words
    assert "achète" in french.text and "zéro" in french.text and "vingt" in french.text
    with pytest.raises(KeyError, match="no grammar for language 'de'"):
        to_jsgf(coffee_path, "de")


@pytest.mark.audio
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_pocketsphinx_decodes_synthesised_commands_with_the_grammar(jsgf_en: str, parser: Parser,
                                                                    tmp_path: Path) -> None:
    decoder = _decoder(jsgf_en)
    for sentence, intent, slots in [
        ("buy two e s", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
        ("stop trading", "halt", {}),
    ]:
        wav = tmp_path / "utt.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), sentence], check=True)
        pcm = _to_16k(wav)
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        assert hyp is not None and hyp.hypstr == sentence
        result = parser.parse(hyp.hypstr, lang="en")
        assert (result.intent, result.slots) == (intent, slots)


def _to_16k(wav: Path) -> bytes:
    """espeak-ng writes 22.05 kHz mono 16-bit: resample linearly to 16 kHz."""
    import wave
    with wave.open(str(wav)) as fh:
        rate = fh.getframerate()
        samples = np.frombuffer(fh.readframes(fh.getnframes()), dtype=np.int16).astype(np.float64)
    n = int(len(samples) * 16000 / rate)
    resampled = np.interp(np.arange(n) * rate / 16000, np.arange(len(samples)), samples)
    return resampled.astype(np.int16).tobytes()


# ------------------------------------------------------------------ Vosk
def test_vosk_phrases_are_bounded_deterministic_and_parse(grammar, parser: Parser) -> None:
    for lang in ("en", "fr"):
        phrases = vosk_phrases(grammar, lang)
        assert phrases[-1] == "[unk]" and phrases.count("[unk]") == 1
        assert 500 < len(phrases) <= 6000
        assert phrases == vosk_phrases(grammar, lang)          # deterministic
        assert len(vosk_phrases(grammar, lang, max_phrases=200)) <= 200
        assert all(p == p.lower() and not re.search(r"\d|[&%]", p) for p in phrases[:-1])
        # What Vosk may return is understood by the parser: every intent is covered and the
        # sentences (not the bare number phrases at the end) parse to a command.
        parsed = [parser.parse(p, lang=lang) for p in phrases[:-1]]
        intents = {r.intent for r in parsed if r.matched}
        assert intents == set(parser.intents(lang)), set(parser.intents(lang)) - intents
        # Incomplete commands ("buy e s") are understood as such: the dialogue asks for the rest.
        numbers = set(parser._compiled[lang].numbers.words)
        sentences = [r for r in parsed if len(r.text.split()) > 2 and not set(r.normalized.split()) <= numbers]
        assert sum(r.matched or bool(r.missing) for r in sentences) / len(sentences) > 0.97
    french = vosk_phrases(grammar, "fr")
    assert any("achète" in p for p in french) and any("e s" in p.split(" e s")[0] + " e s" for p in french)


def test_spoken_words() -> None:
    assert spoken_words("S&P 500", "en") == ["s", "and", "p", "five", "hundred"]
    assert spoken_words("S&P 500", "fr") == ["s", "et", "p", "cinq", "cents"]
    assert spoken_words("QR-DQN", "en") == ["q", "r", "d", "q", "n"]
    assert spoken_words("what's the P&L?", "en") == ["what's", "the", "p", "and", "l"]
    assert spoken_words("Achète l'ES à 0", "fr") == ["achète", "l'", "e", "s", "à", "zéro"]
    assert spoken_words("1 %", "fr") == ["un", "pour", "cent"]
