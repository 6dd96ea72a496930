"""The committed labels match the generator, mean what the grammar says, and cover the grammar."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from assistant.harness.labels import load_labels
from assistant.harness.scoring import Inferred, score
from tests.audio_fixtures import generate

from .conftest import FIXTURES, requires_espeak

SLOT_TYPES = {"side", "quantity", "symbol", "price", "risk_percent", "scope"}


@pytest.fixture(scope="module")
def parser():
    from assistant.dialogue import shared_parser

    return shared_parser()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_committed_labels_are_the_generators(lang: str) -> None:
    committed = json.loads((FIXTURES / f"labels_{lang}.json").read_text(encoding="utf-8"))
    assert committed == generate.labels(lang), (
        f"labels_{lang}.json is stale: run .venv/bin/python tests/audio_fixtures/generate.py --write-labels")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_sentence_parses_to_its_label(parser, lang: str) -> None:
    """Typed, each sentence is understood exactly as labelled (and rejection sentences are refused):
    a failure in the audio runs is a recognition failure, never a labelling mistake."""
    labels = load_labels(FIXTURES / f"labels_{lang}.json")
    wrong = []
    for label in labels.values():
        if label.text is None:
            continue
        result = parser.parse(label.text, "auto", prefer=lang)
        inferred = [Inferred(result.intent, result.slots)] if result.matched and result.intent else []
        verdict = score(label, inferred)
        if not verdict.accepted or (result.matched and result.language != lang):
            wrong.append((label.file, label.text, verdict.detail, result.language))
    assert not wrong


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_fixtures_cover_every_intent_slot_type_and_rejection_kind(parser, lang: str) -> None:
    labels = load_labels(FIXTURES / f"labels_{lang}.json")
    intents = {lb.intent for lb in labels.values() if lb.intent}
    assert set(parser.intents(lang)) <= intents
    slots = {name for lb in labels.values() for name in lb.slots}
    assert SLOT_TYPES <= slots
    items = dict(generate.items(lang))
    kinds = {items[name].kind for name, lb in labels.items() if lb.is_rejection}
    assert {"speech", "silence", "noise_burst"} <= kinds  # out-of-domain speech, silence, noise


@requires_espeak
def test_generated_audio_matches_the_labels(generated: Path) -> None:
    names = {p.name for p in (generated / "speech").glob("*.wav")}
    for lang in ("en", "fr"):
        assert set(generate.labels(lang)) <= names
    for path in sorted((generated / "speech").glob("*.wav"))[:5] + list((generated / "noise").glob("*.wav")):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert {p.stem for p in (generated / "noise").glob("*.wav")} == {"pink", "brown", "babble"}
    size = sum(p.stat().st_size for p in generated.rglob("*") if p.is_file())
    assert size < 30 * 1024 * 1024
    assert generate.is_current(generated)


def test_natural_voices_are_only_used_when_installed() -> None:
    for lang in ("en", "fr"):
        for voice in generate.natural_voices(lang):
            kind, name = voice.split(":", 1)
            assert kind in ("espeak", "pico")
            assert name in generate.MBROLA_VOICES[lang] + generate.PICO_LANGS[lang]
    out = Path("/tmp/x.wav")
    assert generate.pico_command("bonjour", "fr-FR", out) == ["pico2wave", "-l", "fr-FR", "-w", str(out), "bonjour"]
    assert generate.espeak_command("hi", "mb-us1", 150, 50, out)[:3] == ["espeak-ng", "-v", "mb-us1"]
