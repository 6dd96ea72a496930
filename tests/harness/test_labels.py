"""Labels (Picovoice format + rejection items): parsing, and clear errors for every bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.harness.labels import Label, LabelsError, language_from_name, load_dataset, load_labels


def write(path: Path, content: str | object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.zeros(1600, np.int16), 16000)
    return path


def test_picovoice_format_with_rejection_items(tmp_path: Path) -> None:
    labels = load_labels(write(tmp_path / "labels_fr.json", {
        "a.wav": {"intent": "place_trade", "slots": {"side": "BUY", "quantity": 2, "symbol": "ES"}},
        "b.wav": {"intent": "halt"},
        "c.wav": {"intent": None},
        "d.wav": {},
        "e.wav": None,
        "f.wav": {"intent": "status", "slots": {}, "language": "EN", "text": "status report"},
    }))
    assert labels["a.wav"] == Label("a.wav", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"}, "fr")
    assert labels["b.wav"].slots == {} and not labels["b.wav"].is_rejection
    assert all(labels[k].is_rejection for k in ("c.wav", "d.wav", "e.wav"))
    assert labels["f.wav"].language == "en" and labels["f.wav"].text == "status report"


def test_language_from_option_then_file_name() -> None:
    assert language_from_name("tests/labels_fr.json") == "fr"
    assert language_from_name("en.json") == "en"
    assert language_from_name("labels-EN.json") == "en"
    assert language_from_name("labels.json") is None
    assert language_from_name("french.json") is None


def test_default_language_wins_over_the_file_name(tmp_path: Path) -> None:
    labels = load_labels(write(tmp_path / "labels_fr.json", {"a.wav": {"intent": "halt"}}), default_language="en")
    assert labels["a.wav"].language == "en"


def test_missing_labels_file(tmp_path: Path) -> None:
    with pytest.raises(LabelsError) as err:
        load_labels(tmp_path / "nope.json")
    assert "Labels file not found" in err.value.en and "introuvable" in err.value.fr


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "labels.json", '{\n  "a.wav": {"intent": "halt"},\n  "b.wav": {"intent": }\n}')
    with pytest.raises(LabelsError) as err:
        load_labels(path)
    assert "is not valid JSON" in err.value.en and "line 3, column" in err.value.en
    assert "ligne 3" in err.value.fr


@pytest.mark.parametrize("content,message", [
    ([{"a.wav": {"intent": "halt"}}], "expected a JSON object mapping"),
    ({}, "holds no labels"),
    ({"a.wav": "halt"}, "expected an object"),
    ({"a.wav": {"intnet": "halt"}}, "unknown key(s) intnet"),
    ({"a.wav": {"intent": 3}}, "'intent' must be an intent name or null"),
    ({"a.wav": {"intent": ""}}, "'intent' must be an intent name or null"),
    ({"a.wav": {"intent": "halt", "slots": ["ES"]}}, "'slots' must be an object"),
    ({"a.wav": {"intent": "place_trade", "slots": {"symbol": ["ES"]}}}, "slot 'symbol' must be text or a number"),
    ({"a.wav": {"intent": "place_trade", "slots": {"symbol": None}}}, "slot 'symbol' must be text or a number"),
    ({"a.wav": {"intent": "place_trade", "slots": {"symbol": "  "}}}, "slot 'symbol' has an empty value"),
    ({"a.wav": {"intent": None, "slots": {"symbol": "ES"}}}, "cannot have slots"),
    ({"a.wav": {"intent": "halt", "language": 5}}, "'language' must be a language code"),
])
def test_bad_labels_are_refused_with_the_entry(tmp_path: Path, content: object, message: str) -> None:
    with pytest.raises(LabelsError) as err:
        load_labels(write(tmp_path / "labels.json", content))
    assert message in err.value.en
    assert err.value.fr  # every message exists in French too


def test_non_utf8_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_bytes('{"é.wav": {"intent": "halt"}}'.encode("latin-1"))
    with pytest.raises(LabelsError, match="not UTF-8"):
        load_labels(path)


def test_dataset_lists_every_missing_file_and_skips_unlabelled_ones(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    wav(audio / "a.wav")
    wav(audio / "sub" / "b.flac")
    wav(audio / "extra.wav")
    labels = write(tmp_path / "labels_en.json", {"a.wav": {"intent": "halt"}, "sub/b.flac": {}})
    ds = load_dataset([audio], [labels])
    assert [(p.name, lb.intent) for p, lb in ds.items] == [("a.wav", "halt"), ("b.flac", None)]
    assert ds.unlabelled == [str(audio / "extra.wav")]
    write(labels, {"a.wav": {"intent": "halt"}, "gone1.wav": {}, "gone2.wav": {}})
    with pytest.raises(LabelsError) as err:
        load_dataset([audio], [labels])
    assert "2 labelled file(s) missing" in err.value.en and "gone1.wav, gone2.wav" in err.value.en


def test_dataset_folder_and_labels_pairing(tmp_path: Path) -> None:
    en, fr = tmp_path / "en", tmp_path / "fr"
    wav(en / "x.wav")
    wav(fr / "x.wav")
    le = write(tmp_path / "labels_en.json", {"x.wav": {"intent": "halt"}})
    lf = write(tmp_path / "labels_fr.json", {"x.wav": {"intent": "cancel"}})
    ds = load_dataset([en, fr], [le, lf])
    assert [(lb.language, lb.intent) for _, lb in ds.items] == [("en", "halt"), ("fr", "cancel")]
    with pytest.raises(LabelsError, match="labelled twice"):
        load_dataset([en], [le, le])
    with pytest.raises(LabelsError, match="one folder per labels file"):
        load_dataset([en, fr, tmp_path], [le, lf])
    with pytest.raises(LabelsError, match="Audio folder not found"):
        load_dataset([tmp_path / "nowhere"], [le])
