"""Backend selection per language and the start-up message."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.asr import BackendUnavailable, hotwords_from_phrases, select_backends, startup_report
from trading_core.config import load_config

from .conftest import WHISPER_MODEL


def _config(tmp_path: Path, **asr):
    return load_config(env={}, overrides={"asr": {"models_dir": str(tmp_path / "models"), **asr}})


def _fake_vosk_model(root: Path, name: str) -> Path:
    (root / name / "am").mkdir(parents=True)
    (root / name / "am" / "final.mdl").write_bytes(b"\0")
    (root / name / "conf").mkdir()
    (root / name / "conf" / "model.conf").write_text("")
    return root / name


def test_fresh_machine_english_pocketsphinx_french_none(tmp_path: Path) -> None:
    choices = select_backends(_config(tmp_path))
    assert choices["en"].backend == "pocketsphinx"
    assert choices["fr"].backend is None and not choices["fr"].available
    report = startup_report(choices)
    assert "EN : pocketsphinx" in report and "EN: pocketsphinx" in report
    assert "mia models download fr" in report and "asr.whisper_model" in report
    with pytest.raises(BackendUnavailable, match="No speech recogniser for language fr"):
        choices["fr"].create()


def test_grammar_whisper_serves_both_languages_when_a_model_is_configured(tmp_path: Path) -> None:
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip("shared Whisper model absent")
    choices = select_backends(_config(tmp_path, whisper_model=str(WHISPER_MODEL)))
    for lang in ("en", "fr"):
        assert choices[lang].backend == "whisper-grammar" and choices[lang].model_path == WHISPER_MODEL
    report = startup_report(choices)
    assert "FR : whisper-grammar" in report and "EN: whisper-grammar" in report
    assert "une seule recherche" in report and "one search" in report


def test_free_whisper_still_serves_french_on_request(tmp_path: Path) -> None:
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip("shared Whisper model absent")
    choices = select_backends(_config(tmp_path, whisper_model=str(WHISPER_MODEL), backend_fr="whisper",
                                      backend_en="pocketsphinx"))
    assert choices["fr"].backend == "whisper" and "FR : whisper" in choices["fr"].message
    assert choices["en"].backend == "pocketsphinx"


def test_grammar_whisper_requested_without_model_is_explained(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as err:
        select_backends(_config(tmp_path, backend_fr="whisper-grammar"))
    assert "tokenizer.json" in err.value.fr and "tokenizer.json" in err.value.en
    assert "asr.whisper_model" in str(err.value)


def test_grammar_whisper_refuses_a_model_without_tokenizer(tmp_path: Path) -> None:
    """A folder with model.bin and config.json but no tokenizer.json is not usable by the
    constrained recogniser: auto falls back (free Whisper for French) and says so."""
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip("shared Whisper model absent")
    partial = tmp_path / "whisper-no-tokenizer"
    partial.mkdir()
    for name in ("model.bin", "config.json"):
        (partial / name).symlink_to(WHISPER_MODEL / name)
    choices = select_backends(_config(tmp_path, whisper_model=str(partial)))
    assert choices["fr"].backend == "whisper"
    assert choices["en"].backend == "pocketsphinx"


def test_installed_vosk_model_wins(tmp_path: Path) -> None:
    _fake_vosk_model(tmp_path / "models", "vosk-model-small-fr-0.22")
    choices = select_backends(_config(tmp_path))
    assert choices["fr"].backend == "vosk"
    assert choices["fr"].model_path == tmp_path / "models" / "vosk-model-small-fr-0.22"
    assert "vosk-model-small-fr-0.22" in choices["fr"].message


def test_explicit_backend_that_cannot_run_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as err:
        select_backends(_config(tmp_path, backend_en="vosk"))
    assert "mia models download en" in str(err.value)
    with pytest.raises(BackendUnavailable, match="whisper_model"):
        select_backends(_config(tmp_path, backend_fr="whisper"))


def test_cli_override_pocketsphinx_keeps_french_on_auto(tmp_path: Path) -> None:
    choices = select_backends(_config(tmp_path), override="pocketsphinx")
    assert choices["en"].backend == "pocketsphinx" and choices["fr"].backend is None


def test_explicit_vosk_model_path(tmp_path: Path) -> None:
    model = _fake_vosk_model(tmp_path / "elsewhere", "my-model")
    choices = select_backends(_config(tmp_path, backend_en="vosk", vosk_model_en=str(model)))
    assert choices["en"].backend == "vosk" and choices["en"].model_path == model


def test_hotwords_are_the_most_used_words() -> None:
    phrases = ["achète deux contrats e s", "vends deux contrats e s", "quel est le régime"]
    words = hotwords_from_phrases(phrases, limit=4).split()
    assert words[:2] == ["deux", "contrats"] and len(words) == 4
